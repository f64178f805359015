"""Apple's privacy-manifest vocabulary, as data (``data/apple_privacy.yaml``).

Collected data types, their purposes, and the required-reason API categories with the
reasons Apple approves: the manifest validator, the exports and ``policy check-app`` all
accept these identifiers and no others.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

import yaml

__all__ = [
    "DATA_TYPE_PREFIX",
    "PURPOSE_PREFIX",
    "AppleVocab",
    "ReasonApi",
    "apple_vocab",
]

DATA_TYPE_PREFIX = "NSPrivacyCollectedDataType"
PURPOSE_PREFIX = "NSPrivacyCollectedDataTypePurpose"


@dataclass(frozen=True)
class ReasonApi:
    """One required-reason API category: its manifest word, Apple's id, the reasons."""

    word: str
    category: str
    apis: str
    reasons: dict[str, str]  # code -> what it allows
    sdk_only: frozenset[str]  # codes only a third-party SDK may declare


@dataclass(frozen=True)
class AppleVocab:
    data_types: dict[str, str]  # suffix -> what Apple says it is
    purposes: dict[str, str]  # suffix -> meaning
    reason_apis: dict[str, ReasonApi]  # manifest word -> category

    def data_type_id(self, suffix: str) -> str:
        return DATA_TYPE_PREFIX + suffix

    def purpose_id(self, suffix: str) -> str:
        return PURPOSE_PREFIX + suffix

    def data_type_ids(self) -> set[str]:
        return {self.data_type_id(s) for s in self.data_types}

    def purpose_ids(self) -> set[str]:
        return {self.purpose_id(s) for s in self.purposes}

    def reason_api_by_category(self, category: str) -> ReasonApi | None:
        return next((a for a in self.reason_apis.values() if a.category == category), None)


@cache
def apple_vocab() -> AppleVocab:
    """The shipped vocabulary, loaded once per process."""
    text = (
        resources.files("consentkit.policy").joinpath("data/apple_privacy.yaml").read_text("utf-8")
    )
    raw = yaml.safe_load(text)
    apis = {}
    for word, spec in raw["required_reason_apis"].items():
        reasons = {
            code: (v["says"] if isinstance(v, dict) else v) for code, v in spec["reasons"].items()
        }
        sdk_only = frozenset(
            code for code, v in spec["reasons"].items() if isinstance(v, dict) and v["sdk_only"]
        )
        apis[word] = ReasonApi(word, spec["category"], spec["apis"], reasons, sdk_only)
    return AppleVocab(dict(raw["data_types"]), dict(raw["purposes"]), apis)
