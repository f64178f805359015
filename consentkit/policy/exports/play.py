"""Google Play's Data safety form, as a CSV a person can copy from."""

from __future__ import annotations

import csv
import io

from ..manifest import Manifest
from ..taxonomy import taxonomy
from .common import collected, is_optional, shared_categories

COLUMNS = [
    "data_category",
    "data_type",
    "collected",
    "shared",
    "processed_ephemerally",
    "required_or_optional",
    "purposes",
    "manifest_categories",
]


def data_safety_csv(m: Manifest) -> bytes:
    """One row per Play data type the app collects."""
    tax = taxonomy()
    shared = shared_categories(m)
    rows: dict[str, dict] = {}
    for cat in collected(m):
        play = tax.categories[cat.id].play or "Personal info / Other info"
        row = rows.setdefault(
            play, {"shared": False, "optional": True, "purposes": set(), "keys": []}
        )
        row["shared"] |= cat.id in shared
        row["optional"] &= is_optional(m, cat)
        row["purposes"] |= {tax.purpose_kinds[m.purposes[p].kind].play for p in cat.purposes}
        row["keys"].append(cat.id)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for play, row in sorted(rows.items()):
        group, _, kind = play.partition(" / ")
        writer.writerow(
            [
                group,
                kind,
                "yes",
                "yes" if row["shared"] else "no",
                "no",
                "optional" if row["optional"] else "required",
                "; ".join(sorted(row["purposes"])),
                " ".join(row["keys"]),
            ]
        )
    return out.getvalue().encode("utf-8")
