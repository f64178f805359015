"""Read rates: which of the manifest's ``reads_per_minute`` a read counts against.

A read counts against every rated permission that can gate its category and that the app
holds: with precise location granted, an approximate fix is still a read under the
precise grant. The SDK's gate limits reads this way and the audit's FREQ-LIMIT judges
them this way, so a well-behaved app is never flagged for what its SDK allowed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from .taxonomy import taxonomy

__all__ = ["charged_permissions"]


def charged_permissions(
    category: str | None, rates: Mapping[str, int], held: Callable[[str], bool]
) -> tuple[str, ...]:
    """The rated permissions a read of ``category`` counts against. When the app holds
    none of them (or nobody knows), the category's own first rated permission."""
    known = taxonomy().categories.get(category or "")
    gates = tuple(p for p in (known.permissions if known else ()) if p in rates)
    return tuple(p for p in gates if held(p)) or gates[:1]
