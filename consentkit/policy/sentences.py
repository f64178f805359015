"""A policy text as numbered sentences, each with a short hash of its text.

Sentences are found line by line (policies put clauses on lines of their own) with
pySBD's rules for English or Chinese, chosen per line by its share of CJK characters.
A sentence is named by its position (1-based) and the first eight hex digits of the
SHA-256 of its text with whitespace collapsed, so an edited policy shows which
references went stale and where a moved sentence went.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cache

import pysbd

__all__ = ["Sentence", "sentence_hash", "split_sentences"]

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LETTER = re.compile(r"\w")
_SPACE = re.compile(r"\s+")
_BULLET = re.compile(r"^\s*(?:[-•*·]\s*)+")
CJK_SHARE = 0.3  # a line this much CJK is split with the Chinese rules


@dataclass(frozen=True)
class Sentence:
    position: int  # 1-based, in document order
    text: str
    line: int  # 1-based line of the policy text it is on

    @property
    def hash(self) -> str:
        return sentence_hash(self.text)

    @property
    def ref(self) -> str:
        """How a clause map names it: ``12#1a2b3c4d``."""
        return f"{self.position}#{self.hash}"


def sentence_hash(text: str) -> str:
    """Eight hex digits of the text's SHA-256, whitespace collapsed."""
    normal = _SPACE.sub(" ", text).strip()
    return hashlib.sha256(normal.encode("utf-8")).hexdigest()[:8]


@cache
def _segmenter(language: str) -> pysbd.Segmenter:
    return pysbd.Segmenter(language=language, clean=False)


def _language(line: str) -> str:
    letters = len(_LETTER.findall(line)) or 1
    return "zh" if len(_CJK.findall(line)) / letters >= CJK_SHARE else "en"


def split_sentences(text: str) -> list[Sentence]:
    """Every sentence of the policy, in order; bullets and blank lines dropped."""
    out: list[Sentence] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = _BULLET.sub("", raw).strip()
        if not _LETTER.search(line):
            continue
        for piece in _segmenter(_language(line)).segment(line):
            piece = _SPACE.sub(" ", piece).strip()
            if _LETTER.search(piece):
                out.append(Sentence(len(out) + 1, piece, number))
    return out
