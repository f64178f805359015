"""Fixtures shared by every test package."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

from tests import openapi_conformance

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


openapi_conformance.install()


@pytest.fixture(autouse=True)
def responses_match_the_openapi_document():
    """Fails the test if any API response it caused differs from the OpenAPI document."""
    openapi_conformance.mismatches.clear()
    yield
    found = list(openapi_conformance.mismatches)
    openapi_conformance.mismatches.clear()
    if found:
        shown = "\n".join(dict.fromkeys(found))  # once each, in order
        pytest.fail(f"responses that differ from the OpenAPI document:\n{shown}", pytrace=False)
