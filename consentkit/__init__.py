"""consentkit: make a mobile app's privacy policy true in code, and prove it."""

__version__ = "0.1.0"
