"""Fixtures shared by every test package."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIELDNOTES = Path(__file__).resolve().parent / "policy" / "fieldnotes.yaml"


@pytest.fixture
def fieldnotes_text() -> str:
    """The manifest of shared/MANIFEST.md (values with commas quoted)."""
    return FIELDNOTES.read_text("utf-8")
