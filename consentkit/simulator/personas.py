"""Scripted users, from ``data/personas.yaml``: they answer screens and dialogs."""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

from ..device_sdk import PolicyChoice
from ..policy import Manifest

__all__ = ["Persona", "PersonaUI", "persona", "persona_names", "pick_persona"]


@dataclass(frozen=True)
class Persona:
    name: str
    agree: bool
    optional: str | float
    first: str
    then: str
    prefer: tuple[str, ...]
    rationale: bool
    photos: int
    contacts: int
    revokes: bool = False
    minor_age: int | None = None
    guardian: bool = True
    on_change: str = "agree"

    def answer(self, asked_before: bool, options: tuple[str, ...]) -> str:
        """The button pressed on an OS dialog. A screen without the wanted button gets the
        nearest one: a user who allows takes "Allow all the time" on a background-location
        page that has no plain "Allow"; one who denies keeps what they have."""
        for choice in self.prefer:
            if choice in options:
                return choice
        wanted = self.then if asked_before else self.first
        if wanted in options:
            return wanted
        if wanted.startswith("deny"):
            return "deny" if "deny" in options else options[-1]
        allows = [o for o in options if o in ("allow", "allow_always")]
        return allows[0] if allows else options[0]


@cache
def _table() -> dict[str, Any]:
    return yaml.safe_load(
        resources.files("consentkit.simulator").joinpath("data/personas.yaml").read_text()
    )


def persona_names() -> list[str]:
    return list(_table()["personas"]) + list(_table()["mixes"])


@cache
def persona(name: str) -> Persona:
    raw = _table()["personas"].get(name)
    if raw is None:
        raise KeyError(f"unknown persona {name!r}; known: {', '.join(persona_names())}")
    return Persona(
        name=name,
        agree=raw["policy"]["agree"],
        optional=raw["policy"]["optional"],
        first=raw["dialogs"]["first"],
        then=raw["dialogs"]["then"],
        prefer=tuple(raw["dialogs"].get("prefer", ())),
        rationale=raw["rationale"],
        photos=raw["pick"]["photos"],
        contacts=raw["pick"]["contacts"],
        revokes=raw.get("revokes", False),
        minor_age=raw.get("minor_age"),
        guardian=raw.get("guardian", True),
        on_change=raw["policy"].get("on_change", "agree"),
    )


def pick_persona(name: str, rng: random.Random) -> Persona:
    """A persona by name, or one drawn from a mix by its weights."""
    mix = _table()["mixes"].get(name)
    if mix is None:
        return persona(name)
    names, weights = zip(*mix.items(), strict=True)
    return persona(rng.choices(names, weights=weights)[0])


class PersonaUI:
    """The app's screens as this persona answers them (the SDK's ``ConsentUI``)."""

    def __init__(self, who: Persona, rng: random.Random, guardian_phone: str) -> None:
        self.who = who
        self.rng = rng
        self.guardian_phone = guardian_phone

    def show_policy(self, manifest: Manifest, reason: str) -> PolicyChoice:
        if not self.who.agree or (reason == "policy_changed" and self.who.on_change == "decline"):
            return PolicyChoice(False)
        optional = manifest.optional_purposes()
        # Sensitive data under basic purposes is a separate tick of its own, answered like
        # the optional purposes.
        separate = [
            c
            for c, d in manifest.data_categories.items()
            if manifest.is_sensitive(c) and any(manifest.purposes[p].basic for p in d.purposes)
        ]
        if self.who.optional == "all":
            chosen, ticked = set(optional), set(separate)
        elif self.who.optional == "none":
            chosen, ticked = set(), set()
        elif self.who.optional == "first_party":
            chosen = {p for p in optional if not manifest.purposes[p].third_party}
            ticked = set(separate)
        else:
            share = float(self.who.optional)
            chosen = {p for p in optional if self.rng.random() < share}
            ticked = {c for c in separate if self.rng.random() < share}
        return PolicyChoice(True, chosen, ticked)

    def show_rationale(self, permission: str, text: str) -> bool:
        return self.who.rationale

    def suggest_settings(self, permission: str, text: str) -> bool:
        return False

    def guardian_contact(self) -> tuple[str, str] | None:
        return (self.guardian_phone, "outbox") if self.who.guardian else None
