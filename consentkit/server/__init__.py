"""consentkit server."""
