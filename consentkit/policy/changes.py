"""What changed between two versions of a policy, in the words of ``notice.major_changes``.

A policy may list the events it counts as a major change; publishing a version that
brings one of them as ``change: minor`` breaks that promise, so the server refuses it.
Only the events a manifest can show are detected here (an impact assessment cannot be).
"""

from __future__ import annotations

from .manifest import Manifest

__all__ = ["change_events"]


def _processing(m: Manifest) -> dict:
    return {
        "purposes": {p.id: p.kind for p in m.purposes.values()},
        "categories": {c.id: tuple(sorted(c.purposes)) for c in m.data_categories.values()},
    }


def _recipients(m: Manifest) -> set:
    return {(t.name, t.kind, tuple(sorted(t.categories))) for t in m.third_parties}


def _rights(m: Manifest) -> tuple:
    deadlines = {k: (d.within, d.unit) for k, d in m.rights.deadlines.items()}
    return (sorted(deadlines.items()), m.rights.verify_identity)


def change_events(old: Manifest, new: Manifest) -> set[str]:
    """The change events (taxonomy vocabulary ``change_event``) from ``old`` to ``new``."""
    found = set()
    if _processing(old) != _processing(new):
        found.add("business_model")
    if old.app.controller.name != new.app.controller.name:
        found.add("controller_change")
    if _recipients(old) != _recipients(new):
        found.add("recipients_change")
    if _rights(old) != _rights(new):
        found.add("rights_change")
    if old.app.controller.contact != new.app.controller.contact:
        found.add("contact_change")
    return found
