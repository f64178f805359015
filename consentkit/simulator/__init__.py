"""consentkit simulator: virtual phones and scripted users that drive the real SDK against
the real server, trace every personal-data access, and audit the trace."""
