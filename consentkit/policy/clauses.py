"""Clause maps: which manifest entries express which sentences of the policy text.

A clause map lives beside the manifest (``clauses/<manifest file name>``) and names
sentences by position and short hash (``12#1a2b3c4d``, see ``sentences.py``), never by
their words. Each clause says which manifest paths express the sentences, or why no
machine can check them (a reason kind of the promise table, or a reason of its own).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from .located import LocatedError, Problem, line_index, problems_from, suggest
from .promises import promise_table

__all__ = ["TODO", "Clause", "ClauseMap", "ClauseMapInvalid", "clause_map_path", "load_clause_map"]

REF = re.compile(r"^(\d+)#([0-9a-f]{8})$")
TODO = "TODO"  # a scaffolded clause not yet decided: counts as unmapped


class ClauseMapInvalid(LocatedError):
    """The clause map cannot be read; ``problems`` says where and why."""


@dataclass(frozen=True)
class Ref:
    position: int
    hash: str

    def __str__(self) -> str:
        return f"{self.position}#{self.hash}"


@dataclass(frozen=True)
class Clause:
    index: int
    refs: tuple[Ref, ...]
    expresses: tuple[str, ...] = ()
    unchecked: str | None = None
    note: str = ""


@dataclass(frozen=True)
class ClauseMap:
    source: str
    policy_file: str | None
    clauses: tuple[Clause, ...]


def _ref(value: str) -> str:
    if not isinstance(value, str) or not REF.match(value):
        raise ValidationError(
            f"a sentence is named POSITION#HASH8 (e.g. 12#1a2b3c4d), got {value!r}"
        )
    return value


class _ClauseSchema(Schema):
    class Meta:
        unknown = RAISE

    sentences = fields.List(
        fields.String(validate=_ref), required=True, validate=validate.Length(min=1)
    )
    expresses = fields.List(fields.String(validate=validate.Length(min=1)), load_default=list)
    unchecked = fields.String(load_default=None)
    note = fields.String(load_default="")

    @validates_schema
    def _one_of(self, data: dict, **_: Any) -> None:
        if bool(data.get("expresses")) == bool(data.get("unchecked")):
            raise ValidationError("give either expresses (manifest paths) or unchecked (a reason)")
        reason = data.get("unchecked")
        kinds = promise_table().unchecked
        if reason and reason != TODO and reason not in kinds and len(reason) < 10:
            raise ValidationError(
                f"unchecked is one of {', '.join(kinds)}, {TODO}, or a reason in words"
                f"{suggest(reason, kinds)}",
                "unchecked",
            )


class _PolicySchema(Schema):
    class Meta:
        unknown = RAISE

    file = fields.String(load_default=None)
    sentences = fields.Integer(load_default=None)


class _ClauseMapSchema(Schema):
    class Meta:
        unknown = RAISE

    policy = fields.Nested(_PolicySchema, load_default=dict)
    clauses = fields.List(fields.Nested(_ClauseSchema), required=True)


def clause_map_path(manifest: str | Path) -> Path:
    """Where a manifest's clause map lives: ``clauses/`` beside it, same file name."""
    manifest = Path(manifest)
    return manifest.parent / "clauses" / manifest.name


def load_clause_map(path: str | Path) -> ClauseMap:
    """Read and check a clause map's shape (its paths are checked against the manifest
    by the coverage report, which knows the manifest)."""
    path = Path(path)
    source = str(path)
    try:
        text = path.read_text("utf-8")
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except OSError as exc:
        raise ClauseMapInvalid([Problem(source, "", f"cannot read the file: {exc}")]) from exc
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise ClauseMapInvalid([Problem(source, "", f"not valid YAML: {exc}", line)]) from exc
    if not isinstance(data, dict):
        raise ClauseMapInvalid([Problem(source, "", "a clause map is a mapping with clauses:")])
    try:
        loaded = _ClauseMapSchema().load(data)
    except ValidationError as exc:
        lines = line_index(node) if node is not None else {}
        raise ClauseMapInvalid(problems_from(exc.messages, source, lines)) from exc
    clauses = []
    for i, c in enumerate(loaded["clauses"]):
        refs = tuple(
            Ref(int(m.group(1)), m.group(2)) for m in (REF.match(r) for r in c["sentences"])
        )
        clauses.append(Clause(i, refs, tuple(c["expresses"]), c["unchecked"], c["note"]))
    return ClauseMap(source, loaded["policy"].get("file"), tuple(clauses))
