"""consentkit simulator."""
