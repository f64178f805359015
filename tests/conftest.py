"""Fixtures shared by every test package."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

# CI replays the same examples on every run (main stays green and failures reproduce);
# a developer's run explores new ones.
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

ROOT = Path(__file__).resolve().parent.parent
FIELDNOTES = Path(__file__).resolve().parent / "policy" / "fieldnotes.yaml"


@pytest.fixture
def fieldnotes_text() -> str:
    """The manifest of shared/MANIFEST.md (values with commas quoted)."""
    return FIELDNOTES.read_text("utf-8")
