"""What the exports share: which declared categories leave the device, to whom, and why.

The store forms ask the same few questions about each kind of data — does it leave the
phone, who receives it, is it tied to the user, is it used to track them, can the user
refuse it — and each answer is derived here, once, from the manifest.
"""

from __future__ import annotations

from ..manifest import DataCategory, Manifest, ThirdParty
from ..taxonomy import taxonomy


def recipients(m: Manifest, key: str) -> list[ThirdParty]:
    """The third parties that receive this category."""
    return [party for party in m.third_parties if key in party.categories]


def leaves_device(m: Manifest, category: DataCategory) -> bool:
    """Collected in the stores' sense: sent off the phone, to our servers (``stored`` true
    or hashed) or to a third party (an SDK in the app collects for its provider)."""
    return category.stored is not False or bool(recipients(m, category.id))


def collected(m: Manifest) -> list[DataCategory]:
    """Categories that leave the device; ``stored: false`` ones nobody receives stay on it."""
    return [c for c in m.data_categories.values() if leaves_device(m, c)]


def linked(m: Manifest, category: DataCategory) -> bool:
    """Tied to the user's identity (Apple's "Linked"). The consentkit server keeps what it
    stores under the user's account, hashed or not; data that only reaches third parties
    in de-identified form is not linked."""
    if category.stored is not False:
        return True
    return any(not party.de_identified for party in recipients(m, category.id))


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


def tracks(m: Manifest, category: DataCategory) -> bool:
    """Used to track the user: collected for a tracking purpose, or handed to an advertiser
    in a form that identifies the user."""
    if any(is_tracking(m, p) for p in category.purposes if p in m.purposes):
        return True
    return any(
        party.kind == "advertiser" and not party.de_identified
        for party in recipients(m, category.id)
    )


def is_optional(m: Manifest, category: DataCategory) -> bool:
    """Optional when every purpose it serves is a separate choice."""
    return all(not m.purposes[p].basic for p in category.purposes)


def features_collecting(m: Manifest, key: str) -> list[str]:
    return [f.id for f in m.features.values() if key in f.collects]


def cell(text: object) -> str:
    """A value for one cell of a Markdown table."""
    return str(text).replace("|", "\\|").replace("\n", " ")
