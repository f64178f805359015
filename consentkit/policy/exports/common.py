"""What the exports share: which declared categories leave the device, and why."""

from __future__ import annotations

from ..manifest import DataCategory, Manifest
from ..taxonomy import taxonomy


def collected(m: Manifest) -> list[DataCategory]:
    """Categories that leave the device; ``stored: false`` ones stay on it."""
    return [c for c in m.data_categories.values() if c.stored is not False]


def shared_categories(m: Manifest) -> set[str]:
    return {key for party in m.third_parties for key in party.categories}


def is_tracking(m: Manifest, purpose_id: str) -> bool:
    """Apple's sense: shared with a third party for advertising, or behind an ATT prompt."""
    purpose = m.purposes[purpose_id]
    if not purpose.third_party:
        return False
    asks_att = any(
        "tracking" in f.permissions for f in m.features.values() if purpose_id in f.purposes
    )
    return asks_att or taxonomy().purpose_kinds[purpose.kind].tracking


def is_optional(m: Manifest, category: DataCategory) -> bool:
    """Optional when every purpose it serves is a separate choice."""
    return all(not m.purposes[p].basic for p in category.purposes)


def features_collecting(m: Manifest, key: str) -> list[str]:
    return [f.id for f in m.features.values() if key in f.collects]
