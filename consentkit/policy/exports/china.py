"""The lists Chinese regulators expect beside a privacy policy, as Markdown tables.

个人信息收集清单 (personal information collected), 第三方共享清单 (information shared
with third parties) and 第三方SDK目录 (the third-party SDKs in the app, which MIIT app
inspections ask for: each SDK's name, its company, purpose, the personal information it
collects, the permissions it relies on and the link to its own privacy policy).
"""

from __future__ import annotations

from ..manifest import Manifest
from ..taxonomy import taxonomy
from .common import cell as _cell
from .common import features_collecting, is_optional

STORED = {True: "stored on our servers", False: "on the device only", "hashed": "stored hashed"}
NOT_NAMED = "(not named in the manifest)"
NO_LINK = "(no link in the manifest)"


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


def sdk_permissions(m: Manifest, categories: tuple[str, ...]) -> list[str]:
    """The permissions the app asks for that reach these categories (what an SDK in the
    app relies on to collect them)."""
    tax = taxonomy()
    asked = m.requested_permissions()
    out: list[str] = []
    for key in categories:
        for perm in tax.categories[key].permissions:
            if perm in asked and perm not in out:
                out.append(perm)
    return out


def sdk_list(m: Manifest) -> bytes:
    """第三方SDK目录: every third-party SDK in the app (third parties of kind ``sdk`` or
    with an ``sdk_name``), with what an MIIT inspection asks of each."""
    tax = taxonomy()
    sdks = [party for party in m.third_parties if party.is_sdk]
    lines = [
        f"# 第三方SDK目录 — Third-party SDKs in {m.app.name}",
        "",
        f"Policy version {m.version}. Each SDK below collects personal information inside the "
        "app for its own company, under that company's privacy policy; each is a separate "
        "choice you can refuse.",
        "",
    ]
    if not sdks:
        lines.append(
            "本应用未嵌入收集个人信息的第三方SDK。 The app embeds no third-party SDK that "
            "collects personal information."
        )
    else:
        lines += [
            "| SDK 名称 SDK | 运营方 Company | 使用目的 Purpose | 收集的个人信息 Personal "
            "information | 所需权限 Permissions | 隐私政策 Privacy policy |",
            "|---|---|---|---|---|---|",
        ]
        for party in sdks:
            lines.append(
                "| "
                + " | ".join(
                    _cell(x)
                    for x in (
                        party.sdk_name or NOT_NAMED,
                        party.name,
                        "; ".join(m.purposes[p].description for p in party.purposes),
                        ", ".join(tax.categories[c].name for c in party.categories) or "—",
                        ", ".join(
                            tax.permissions[p].name for p in sdk_permissions(m, party.categories)
                        )
                        or "—",
                        party.policy_url or NO_LINK,
                    )
                )
                + " |"
            )
    return ("\n".join(lines) + "\n").encode("utf-8")


def sdk_notes(m: Manifest) -> list[str]:
    """What an inspector would find missing from the SDK list."""
    notes = []
    for i, party in enumerate(m.third_parties):
        if not party.is_sdk:
            continue
        if party.sdk_name is None:
            notes.append(
                f"third-party-sdks.md: {party.name}: the manifest names no SDK "
                f"(third_parties[{i}].sdk_name); MIIT inspections ask for it"
            )
        if party.policy_url is None:
            notes.append(
                f"third-party-sdks.md: {party.name}: no link to its privacy policy "
                f"(third_parties[{i}].policy_url); MIIT inspections ask for it"
            )
    return notes
