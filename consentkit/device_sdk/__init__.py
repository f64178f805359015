"""consentkit device_sdk."""
