"""The taxonomy as data: permissions, data categories and purpose kinds.

Every identifier that the server, the SDK and the simulator use is read from
``data/taxonomy.yaml``; code never spells one it did not get from here or from a
manifest. Records follow fideslang's shape so that a manifest maps onto Fides.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

__all__ = [
    "Category",
    "Permission",
    "PurposeKind",
    "Taxonomy",
    "taxonomy",
]


@dataclass(frozen=True)
class Permission:
    """An OS runtime permission, as the manifest names it."""

    fides_key: str
    name: str
    version_added: str
    needs_category: bool = True
    android: tuple[str, ...] = ()
    ios: str | None = None
    dialog_group: str | None = None
    version_deprecated: str | None = None
    replaced_by: str | None = None

    @property
    def dialog(self) -> str:
        """The OS dialog that answers this permission (shared by a group)."""
        return self.dialog_group or self.fides_key


@dataclass(frozen=True)
class Category:
    """A kind of personal data, a fideslang data category extended for phones."""

    fides_key: str
    name: str
    version_added: str
    parent_key: str | None = None
    permissions: tuple[str, ...] = ()
    sensitive: bool = False
    payload: str | None = None
    apple: str | None = None
    play: str | None = None
    version_deprecated: str | None = None
    replaced_by: str | None = None

    @property
    def is_device_identifier(self) -> bool:
        """Identifiers get hashing and the IDS-CONSENT rule."""
        return self.fides_key.startswith("user.device.device_id")

    @property
    def collectable(self) -> bool:
        """Only leaves with a payload shape can be collected; parents only group."""
        return self.payload is not None


@dataclass(frozen=True)
class PurposeKind:
    """What a purpose is for, mapped to the store declarations' vocabularies."""

    fides_key: str
    name: str
    version_added: str
    parent_key: str | None = None
    apple: str = "Other"
    play: str = "PSL_APP_FUNCTIONALITY"
    tracking: bool = False


class Taxonomy:
    """Lookups over the three vocabularies."""

    def __init__(self, raw: dict[str, Any]) -> None:
        self.version: str = raw["version"]
        self.permissions: dict[str, Permission] = {
            r["fides_key"]: Permission(**_tupled(r)) for r in raw["permissions"]
        }
        self.categories: dict[str, Category] = {
            r["fides_key"]: Category(**_tupled(r)) for r in raw["categories"]
        }
        self.purpose_kinds: dict[str, PurposeKind] = {
            r["fides_key"]: PurposeKind(**r) for r in raw["purpose_kinds"]
        }
        # Closed word lists of the manifest's extensions: name -> {word: meaning}.
        self.vocabularies: dict[str, dict[str, str]] = raw.get("vocabularies", {})

    def category(self, key: str) -> Category:
        """The category, or KeyError naming the unknown key."""
        return self.categories[key]

    def permission(self, key: str) -> Permission:
        """The permission, or KeyError naming the unknown key."""
        return self.permissions[key]

    def categories_needing(self, permission: str) -> list[Category]:
        """The categories that this permission gives access to."""
        return [c for c in self.categories.values() if permission in c.permissions]

    def words(self, vocabulary: str) -> list[str]:
        """The words of one closed list (channels, third-party kinds, ...), in order."""
        return list(self.vocabularies[vocabulary])

    def is_sensitive(self, key: str) -> bool:
        """Sensitive categories need their own, separate consent (PIPL art. 29)."""
        return self.categories[key].sensitive


def _tupled(record: dict[str, Any]) -> dict[str, Any]:
    return {k: tuple(v) if isinstance(v, list) else v for k, v in record.items()}


@cache
def taxonomy() -> Taxonomy:
    """The shipped taxonomy, loaded once per process."""
    text = resources.files("consentkit.policy").joinpath("data/taxonomy.yaml").read_text("utf-8")
    return Taxonomy(yaml.safe_load(text))
