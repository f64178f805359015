"""Which sentences of a policy make a promise a machine could check: the rule table of
``data/promise_patterns.yaml`` (actions, deadlines, data and permission names; English
and Chinese), read once."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

import yaml

__all__ = ["Match", "PromiseTable", "promise_table"]

_CJK = re.compile(r"[\u3400-\u9fff]")


@dataclass(frozen=True)
class Match:
    """What a sentence promises: the actions and deadlines found, and about what."""

    actions: tuple[str, ...]
    deadlines: tuple[str, ...]
    subjects: tuple[str, ...]

    heading: bool = False

    @property
    def is_promise(self) -> bool:
        return not self.heading and bool(self.actions or self.deadlines or self.subjects)


class PromiseTable:
    def __init__(self, raw: dict) -> None:
        def compiled(section: str) -> dict[str, re.Pattern[str]]:
            return {
                name: re.compile("|".join(f"(?:{p})" for p in langs.values()), re.IGNORECASE)
                for name, langs in raw[section].items()
            }

        self.actions = compiled("actions")
        self.deadlines = compiled("deadlines")
        self.subjects = compiled("subjects")
        self.unchecked: dict[str, str] = dict(raw["unchecked"])
        self.min_words: int = raw["min_words"]
        self.min_chars: int = raw["min_chars"]

    def is_heading(self, text: str) -> bool:
        """Too short to promise anything: a heading or a label."""
        if _CJK.search(text):
            return len(_CJK.findall(text)) < self.min_chars and len(text.split()) < self.min_words
        return len(text.split()) < self.min_words

    def match(self, text: str) -> Match:
        def found(table: dict[str, re.Pattern[str]]) -> tuple[str, ...]:
            return tuple(name for name, pattern in table.items() if pattern.search(text))

        return Match(
            found(self.actions), found(self.deadlines), found(self.subjects), self.is_heading(text)
        )


@cache
def promise_table() -> PromiseTable:
    """The shipped rule table."""
    text = (
        resources.files("consentkit.policy")
        .joinpath("data/promise_patterns.yaml")
        .read_text("utf-8")
    )
    return PromiseTable(yaml.safe_load(text))
