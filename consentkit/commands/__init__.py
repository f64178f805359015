"""The ``consentkit`` command's subcommands, one module per group."""
