"""Coverage of a policy text by its manifest: every promise sentence is expressed by
manifest entries or justified as beyond a machine's reach.

The report reads three things: the policy text (split into sentences, the promise
sentences found by the rule table), the manifest, and the clause map beside it. It
names promise sentences that no clause covers, clause references whose sentence has
changed (stale: the policy was edited), and clause paths that name nothing in the
manifest; and it lists the manifest's marked choices, the values the policy does not say.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .clauses import TODO, Clause, ClauseMap
from .manifest import Manifest
from .paths import resolve
from .promises import promise_table
from .sentences import Sentence, split_sentences

__all__ = ["Coverage", "PromiseLine", "coverage"]


@dataclass
class PromiseLine:
    sentence: Sentence
    actions: tuple[str, ...]
    deadlines: tuple[str, ...]
    subjects: tuple[str, ...]
    expresses: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        if self.expresses:
            return "mapped"
        return "justified" if self.reasons else "missing"


@dataclass
class Coverage:
    manifest: str
    sentences: int
    promises: list[PromiseLine]
    stale: list[dict[str, Any]]
    broken: list[dict[str, Any]]
    choices: dict[str, str]

    def count(self, status: str) -> int:
        return sum(1 for p in self.promises if p.status == status)

    @property
    def ok(self) -> bool:
        return not (self.count("missing") or self.stale or self.broken)

    @property
    def percent(self) -> float:
        total = len(self.promises)
        done = total - self.count("missing")
        return 100.0 if not total else round(100.0 * done / total, 1)

    def as_json(self) -> dict[str, Any]:
        return {
            "manifest": self.manifest,
            "sentences": self.sentences,
            "summary": {
                "promises": len(self.promises),
                "mapped": self.count("mapped"),
                "justified": self.count("justified"),
                "missing": self.count("missing"),
                "stale": len(self.stale),
                "broken": len(self.broken),
                "percent": self.percent,
                "choices": len(self.choices),
            },
            "promises": [
                {
                    "position": p.sentence.position,
                    "hash": p.sentence.hash,
                    "line": p.sentence.line,
                    "text": p.sentence.text,
                    "actions": list(p.actions),
                    "deadlines": list(p.deadlines),
                    "subjects": list(p.subjects),
                    "status": p.status,
                    "expresses": p.expresses,
                    "reasons": p.reasons,
                }
                for p in self.promises
            ],
            "stale": self.stale,
            "broken": self.broken,
            "choices": self.choices,
        }


def _reason(clause: Clause) -> str:
    table = promise_table().unchecked
    text = table.get(clause.unchecked or "", clause.unchecked or "")
    kind = f"{clause.unchecked}: " if clause.unchecked in table else ""
    return kind + text + (f" ({clause.note})" if clause.note else "")


def coverage(manifest: Manifest, text: str, clauses: ClauseMap) -> Coverage:
    """The coverage report of ``text`` by ``manifest`` through ``clauses``."""
    sentences = split_sentences(text)
    by_position = {s.position: s for s in sentences}
    by_hash: dict[str, list[int]] = {}
    for s in sentences:
        by_hash.setdefault(s.hash, []).append(s.position)
    table = promise_table()
    promises = {}
    for s in sentences:
        found = table.match(s.text)
        if found.is_promise:
            promises[s.position] = PromiseLine(s, found.actions, found.deadlines, found.subjects)
    stale: list[dict[str, Any]] = []
    broken: list[dict[str, Any]] = []
    for clause in clauses.clauses:
        for path in clause.expresses:
            if resolve(manifest.raw, path) is None:
                broken.append({"clause": clause.index, "path": path})
        for ref in clause.refs:
            here = by_position.get(ref.position)
            if here is None or here.hash != ref.hash:
                moved = [p for p in by_hash.get(ref.hash, []) if p != ref.position]
                stale.append(
                    {
                        "clause": clause.index,
                        "ref": str(ref),
                        "now": here.ref if here else None,
                        "moved_to": moved[0] if moved else None,
                    }
                )
                continue
            line = promises.get(ref.position)
            if line is None:
                continue  # a sentence mapped although the table finds no promise in it
            if clause.expresses:
                line.expresses += [p for p in clause.expresses if p not in line.expresses]
            elif clause.unchecked and clause.unchecked != TODO:
                line.reasons.append(_reason(clause))
    return Coverage(
        manifest.id,
        len(sentences),
        [promises[k] for k in sorted(promises)],
        stale,
        broken,
        dict(manifest.choices),
    )
