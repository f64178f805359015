"""Google Play's Data safety CSV template, as data (``data/play_data_safety.yaml``).

The template is a fixed sequence of rows keyed by (question id, response id); Play Console
and the Play Developer API import a file only in that shape. This module unrolls the data
file into those rows, in the template's order, so that the export fills values in and a
test can compare a file against the template without sharing any code with the export.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

__all__ = ["PlayTemplate", "TemplateRow", "play_template", "usage_question"]

USAGE_PREFIX = "PSL_DATA_USAGE_RESPONSES"


def usage_question(data_type: str, part: str) -> str:
    """The question id of one usage question about one data type."""
    return f"{USAGE_PREFIX}:{data_type}:{part}"


@dataclass(frozen=True)
class TemplateRow:
    """One row of the template, without its value."""

    question: str
    response: str
    requirement: str
    label: str


@dataclass(frozen=True)
class PlayTemplate:
    """The template: its rows in order, and the vocabularies the export maps onto."""

    raw: dict[str, Any]

    @property
    def columns(self) -> list[str]:
        return list(self.raw["columns"])

    @property
    def true(self) -> str:
        return self.raw["values"]["true"]

    @property
    def false(self) -> str:
        return self.raw["values"]["false"]

    @property
    def data_types(self) -> dict[str, dict[str, str]]:
        """Response id -> {question, label} of every data type, in order."""
        return {t["id"]: t for t in self.raw["data_types"]}

    @property
    def purposes(self) -> dict[str, str]:
        """Purpose response id -> label."""
        return {p["id"]: p["label"] for p in self.raw["purposes"]}

    @property
    def account_creation(self) -> dict[str, str]:
        return dict(self.raw["account_creation"])

    @property
    def outside_account(self) -> dict[str, str]:
        return dict(self.raw["outside_account"])

    @property
    def not_sharing_kinds(self) -> frozenset[str]:
        return frozenset(self.raw["not_sharing_kinds"])

    def type_name(self, data_type: str) -> str:
        """The short name the usage labels use: "Name" for "Personal info / Name"."""
        return self.data_types[data_type]["label"].split(" / ")[-1]

    def rows(self) -> list[TemplateRow]:
        """Every row of the template, in the template's order."""
        out: list[TemplateRow] = []
        for q in self.raw["general"]:
            out += self._question_rows(q["question"], q, q["label"])
        for t in self.raw["data_types"]:
            out.append(TemplateRow(t["question"], t["id"], "MULTIPLE_CHOICE", t["label"]))
        for t in self.raw["data_types"]:
            head = f"Data usage and handling ({self.type_name(t['id'])})"
            for part in self.raw["usage"]:
                out += self._question_rows(
                    usage_question(t["id"], part["part"]), part, f"{head} / {part['label']}"
                )
        return out

    def _question_rows(self, question: str, spec: dict[str, Any], label: str) -> list[TemplateRow]:
        responses = spec.get("responses")
        if responses is None:
            return [TemplateRow(question, "", spec["requirement"], label)]
        if responses == "purposes":
            responses = self.raw["purposes"]
        return [
            TemplateRow(question, r["id"], spec["requirement"], f"{label} / {r['label']}")
            for r in responses
        ]


@cache
def play_template() -> PlayTemplate:
    """The shipped template, loaded once per process."""
    text = (
        resources.files("consentkit.policy")
        .joinpath("data/play_data_safety.yaml")
        .read_text("utf-8")
    )
    return PlayTemplate(yaml.safe_load(text))
