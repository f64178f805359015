"""The two lists Chinese regulators expect beside a privacy policy.

个人信息收集清单 (personal information collected) and 第三方共享清单 (information
shared with third parties), as Markdown tables.
"""

from __future__ import annotations

from ..manifest import Manifest
from ..taxonomy import taxonomy
from .common import features_collecting, is_optional

STORED = {True: "stored on our servers", False: "on the device only", "hashed": "stored hashed"}


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def collected_list(m: Manifest) -> bytes:
    """Every category: what, why, in which feature, required or optional, how long."""
    tax = taxonomy()
    lines = [
        f"# 个人信息收集清单 — Personal information collected by {m.app.name}",
        "",
        f"Policy version {m.version}, effective {m.app.policy.effective}. "
        f"Controller: {m.app.controller.name} ({m.app.controller.contact}).",
        "",
        "| Personal information | Category id | Purpose | Feature | Required or optional "
        "| Sensitive | Storage | Retention |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for cat in m.data_categories.values():
        info = tax.categories[cat.id]
        purposes = "; ".join(m.purposes[p].description for p in cat.purposes)
        features = ", ".join(features_collecting(m, cat.id)) or "—"
        lines.append(
            "| "
            + " | ".join(
                _cell(x)
                for x in (
                    info.name,
                    cat.id,
                    purposes,
                    features,
                    "optional" if is_optional(m, cat) else "required",
                    "yes" if m.is_sensitive(cat.id) else "no",
                    STORED[cat.stored],
                    cat.retention,
                )
            )
            + " |"
        )
    lines += [
        "",
        "## Permissions requested",
        "",
        "| Permission | Why | Features |",
        "|---|---|---|",
    ]
    for key, use in m.permissions.items():
        lines.append(
            f"| {_cell(tax.permissions[key].name)} | {_cell(use.rationale)} "
            f"| {_cell(', '.join(m.features_requesting(key)) or '—')} |"
        )
    if m.never_collected:
        lines += ["", "## Never collected", ""]
        lines += [f"- {tax.categories[k].name} (`{k}`)" for k in m.never_collected]
    return ("\n".join(lines) + "\n").encode("utf-8")


def shared_list(m: Manifest) -> bytes:
    """Every third party: who, why, what, and where its own policy is."""
    tax = taxonomy()
    lines = [
        f"# 第三方共享清单 — Information shared with third parties by {m.app.name}",
        "",
        f"Policy version {m.version}. Each sharing is a separate choice you can refuse.",
        "",
    ]
    if not m.third_parties:
        lines.append("We share no personal information with third parties.")
    else:
        lines += [
            "| Third party | Purpose | Personal information shared | Privacy policy |",
            "|---|---|---|---|",
        ]
        for party in m.third_parties:
            lines.append(
                "| "
                + " | ".join(
                    _cell(x)
                    for x in (
                        party.name,
                        "; ".join(m.purposes[p].description for p in party.purposes),
                        ", ".join(tax.categories[c].name for c in party.categories) or "—",
                        party.policy_url or "—",
                    )
                )
                + " |"
            )
    return ("\n".join(lines) + "\n").encode("utf-8")
