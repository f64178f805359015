"""The app's own declarations against its policy.

What an app can do is fixed by its files before any code runs: ``AndroidManifest.xml``
lists the permissions it may request, ``Info.plist`` the usage strings without which iOS
refuses a dialog, ``PrivacyInfo.xcprivacy`` what the app tells Apple it collects. Each is
compared with what the manifest allows and needs — the same derivations the exports use —
and every difference is a finding located in the app's file.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..apple_vocab import apple_vocab
from ..exports.android import allowed_android_permissions, other_android_permissions
from ..exports.apple import privacy_document, usage_strings
from ..located import PathPart, format_path
from ..manifest import Manifest
from ..taxonomy import taxonomy
from .android import AndroidApp
from .files import AppFileInvalid
from .plist import LocatedPlist

__all__ = [
    "CODES",
    "Finding",
    "Locate",
    "check_android",
    "check_info_plist",
    "check_privacy_manifest",
]

# Where a manifest path is, as a reader wants it ("m.yaml:42 features.x.permissions[0]").
Locate = Callable[[tuple[PathPart, ...]], str]

# Stable finding codes, for CI and for reading the output.
CODES = {
    "permission-not-in-policy": "the app declares a permission no feature of the policy needs",
    "permission-missing": "a feature of the policy needs a permission the app cannot request",
    "usage-string-missing": "a feature needs a dialog whose Info.plist usage string is missing",
    "usage-string-different": "an Info.plist usage string says something else than the policy",
    "usage-string-not-in-policy": "a usage string for a permission no feature of the policy needs",
    "privacy-manifest-differs": "the privacy manifest disagrees with the policy",
}

USAGE_KEY = re.compile(r"^NS[A-Za-z]+UsageDescription$")


@dataclass(frozen=True)
class Finding:
    file: str
    line: int | None
    code: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.code}: {self.message}"

    def as_json(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "code": self.code, "message": self.message}


def _path(parts: tuple[PathPart, ...]) -> str:
    return format_path(parts)


def _asked_by(m: Manifest, permission: str, locate: Locate) -> str:
    """ "feature add_customer, navigate (m.yaml:213 features.add_customer.permissions[0])"."""
    features = m.features_requesting(permission)
    first = features[0]
    where = locate(
        ("features", first, "permissions", m.features[first].permissions.index(permission))
    )
    return f"feature {', '.join(features)} ({where})"


def check_android(m: Manifest, app: AndroidApp, locate: Locate = _path) -> list[Finding]:
    """Permissions declared that nothing in the policy needs, and permissions a feature
    needs that the app cannot request."""
    tax = taxonomy()
    allowed = allowed_android_permissions(m)
    by_name: dict[str, list[str]] = {}
    for key, perm in tax.permissions.items():
        for n in perm.android:
            by_name.setdefault(n, []).append(key)
    others = other_android_permissions()
    found = []
    for name, declared in app.permissions.items():
        if name in allowed:
            continue
        if name in by_name:
            keys = by_name[name]
            why = (
                "the policy lists it under permissions but no feature asks for it"
                if any(k in m.permissions for k in keys)
                else "the policy has no feature that asks for it"
            )
            promised = [
                c.fides_key
                for k in keys
                for c in tax.categories_needing(k)
                if c.fides_key in m.never_collected
            ]
            if promised:
                why += f"; the policy promises never to collect {', '.join(promised)}"
            found.append(
                Finding(
                    app.path,
                    declared.line,
                    "permission-not-in-policy",
                    f"{name} ({'; '.join(f'{k}: {tax.permissions[k].name}' for k in keys)}) "
                    f"is declared, but {why}",
                )
            )
        elif name in others:
            other = others[name]
            reach = (
                f"; the policy collects no {other.category} in any feature"
                if other.category
                else ""
            )
            found.append(
                Finding(
                    app.path,
                    declared.line,
                    "permission-not-in-policy",
                    f"{name} ({other.says}) is declared, but no feature of the policy needs "
                    f"it{reach}",
                )
            )
    for key in m.requested_permissions():
        names = tax.permissions[key].android
        if names and not any(n in app.permissions for n in names):
            found.append(
                Finding(
                    app.path,
                    app.line,
                    "permission-missing",
                    f"{_asked_by(m, key, locate)} asks for {key} "
                    f"({tax.permissions[key].name}), but the app declares none of "
                    f"{', '.join(names)}: it can never show that dialog",
                )
            )
    for name, needs in allowed.items():
        if name not in app.permissions and name not in by_name:
            found.append(
                Finding(
                    app.path,
                    app.line,
                    "permission-missing",
                    f"the policy collects {', '.join(needs)}, which needs {name}; the app does not "
                    "declare it",
                )
            )
    return found


def check_info_plist(m: Manifest, plist: LocatedPlist, locate: Locate = _path) -> list[Finding]:
    """Every usage string a feature needs, present and saying what the policy says; no
    usage string for a permission the policy does not need."""
    tax = taxonomy()
    wanted = usage_strings(m)
    found = []
    for key, text in wanted.items():
        have = plist.value.get(key)
        permissions = [p for p in m.requested_permissions() if tax.permissions[p].ios == key]
        asked = _asked_by(m, permissions[0], locate)
        if not isinstance(have, str) or not have.strip():
            found.append(
                Finding(
                    plist.path,
                    plist.line(key) if key in plist.value else plist.line(),
                    "usage-string-missing",
                    f"{key} is {'empty' if key in plist.value else 'missing'}, but {asked} asks "
                    f"for {', '.join(permissions)}: iOS refuses the dialog (or ends the app) "
                    "without it",
                )
            )
        elif _norm(have) != _norm(text):
            found.append(
                Finding(
                    plist.path,
                    plist.line(key),
                    "usage-string-different",
                    f"{key} says {have!r}; the policy's rationale is {text!r}",
                )
            )
    for key in plist.value:
        if USAGE_KEY.match(key) and key not in wanted:
            known = [p for p, perm in tax.permissions.items() if perm.ios == key]
            what = f" ({', '.join(known)})" if known else ""
            found.append(
                Finding(
                    plist.path,
                    plist.line(key, key=True),
                    "usage-string-not-in-policy",
                    f"{key}{what} lets the app ask for a permission no feature of the policy needs",
                )
            )
    return found


def _norm(text: str) -> str:
    return " ".join(text.split())


def check_privacy_manifest(m: Manifest, plist: LocatedPlist) -> list[Finding]:
    """The app's PrivacyInfo.xcprivacy against the one the policy makes, key by key."""
    want = privacy_document(m)
    have = _privacy_shape(plist)
    apple = apple_vocab()
    found: list[Finding] = []

    def differs(line: int | None, message: str) -> None:
        found.append(Finding(plist.path, line, "privacy-manifest-differs", message))

    tracking = have.get("NSPrivacyTracking", False)
    if tracking != want["NSPrivacyTracking"]:
        uses = "uses" if want["NSPrivacyTracking"] else "does not use"
        differs(
            plist.line("NSPrivacyTracking"),
            f"NSPrivacyTracking is {_yes(tracking)}; the policy {uses} data for tracking",
        )
    domains = have.get("NSPrivacyTrackingDomains", [])
    for i, domain in enumerate(domains):
        if domain not in want["NSPrivacyTrackingDomains"]:
            differs(
                plist.line("NSPrivacyTrackingDomains", i),
                f"tracking domain {domain!r} is not one the policy names",
            )
    for domain in want["NSPrivacyTrackingDomains"]:
        if domain not in domains:
            differs(
                plist.line("NSPrivacyTrackingDomains"),
                f"the policy's tracking domain {domain!r} is missing",
            )

    wanted_types = {t["NSPrivacyCollectedDataType"]: t for t in want["NSPrivacyCollectedDataTypes"]}
    seen = set()
    for i, entry in enumerate(have.get("NSPrivacyCollectedDataTypes", [])):
        name = entry.get("NSPrivacyCollectedDataType")
        line = plist.line("NSPrivacyCollectedDataTypes", i, "NSPrivacyCollectedDataType")
        if name not in apple.data_type_ids():
            differs(line, f"{name!r} is not a data type Apple defines")
            continue
        seen.add(name)
        policy = wanted_types.get(name)
        if policy is None:
            differs(line, f"{name} is declared collected, but the policy collects no such data")
            continue
        for flag, word in (("Linked", "linked to the user"), ("Tracking", "used for tracking")):
            key = f"NSPrivacyCollectedDataType{flag}"
            if entry.get(key, False) != policy[key]:
                differs(
                    plist.line("NSPrivacyCollectedDataTypes", i, key),
                    f"{name}: {key} is {_yes(entry.get(key, False))}; by the policy it is "
                    f"{'' if policy[key] else 'not '}{word}",
                )
        purposes = set(entry.get("NSPrivacyCollectedDataTypePurposes", []))
        unknown = purposes - apple.purpose_ids()
        extra = purposes - set(policy["NSPrivacyCollectedDataTypePurposes"]) - unknown
        missing = set(policy["NSPrivacyCollectedDataTypePurposes"]) - purposes
        purposes_line = plist.line(
            "NSPrivacyCollectedDataTypes", i, "NSPrivacyCollectedDataTypePurposes"
        )
        if unknown:
            differs(
                purposes_line,
                f"{name}: {', '.join(sorted(unknown))} is not a purpose Apple defines",
            )
        if extra or missing:
            differs(
                purposes_line,
                f"{name}: purposes differ from the policy's"
                + (f"; not in the policy: {', '.join(sorted(extra))}" if extra else "")
                + (f"; missing: {', '.join(sorted(missing))}" if missing else ""),
            )
    for name in wanted_types:
        if name not in seen:
            differs(
                plist.line("NSPrivacyCollectedDataTypes"),
                f"{name} is missing, but the policy collects it",
            )

    wanted_apis = {
        a["NSPrivacyAccessedAPIType"]: a["NSPrivacyAccessedAPITypeReasons"]
        for a in want["NSPrivacyAccessedAPITypes"]
    }
    seen = set()
    for i, entry in enumerate(have.get("NSPrivacyAccessedAPITypes", [])):
        category = entry.get("NSPrivacyAccessedAPIType")
        line = plist.line("NSPrivacyAccessedAPITypes", i, "NSPrivacyAccessedAPIType")
        api = apple.reason_api_by_category(category)
        if api is None:
            differs(line, f"{category!r} is not a required-reason API category Apple defines")
            continue
        seen.add(category)
        reasons = entry.get("NSPrivacyAccessedAPITypeReasons", [])
        reasons_line = plist.line("NSPrivacyAccessedAPITypes", i, "NSPrivacyAccessedAPITypeReasons")
        for code in reasons:
            if code not in api.reasons:
                differs(reasons_line, f"{category}: {code!r} is not a reason Apple approves for it")
        if category not in wanted_apis:
            differs(
                line,
                f"{category} is declared, but the policy's required_reason_apis has no {api.word}",
            )
        elif set(reasons) != set(wanted_apis[category]):
            differs(
                reasons_line,
                f"{category}: reasons {', '.join(reasons) or 'none'}; the policy declares "
                f"{', '.join(wanted_apis[category])} (required_reason_apis.{api.word})",
            )
    for category, reasons in wanted_apis.items():
        if category not in seen:
            differs(
                plist.line("NSPrivacyAccessedAPITypes"),
                f"{category} ({', '.join(reasons)}) is missing, but the policy declares it",
            )
    return found


def _yes(value: object) -> str:
    return "true" if value else "false"


SHAPE = {
    "NSPrivacyTracking": bool,
    "NSPrivacyTrackingDomains": list,
    "NSPrivacyCollectedDataTypes": list,
    "NSPrivacyAccessedAPITypes": list,
}


def _privacy_shape(plist: LocatedPlist) -> dict[str, Any]:
    """The privacy manifest's keys in the types Apple's schema gives them, or
    AppFileInvalid: a file Xcode would reject is bad input, not a disagreement."""
    doc = plist.value
    for key, kind in SHAPE.items():
        if key in doc and not isinstance(doc[key], kind):
            raise AppFileInvalid(plist.path, f"{key} must be a {kind.__name__}", plist.line(key))
    for i, domain in enumerate(doc.get("NSPrivacyTrackingDomains", [])):
        if not isinstance(domain, str):
            raise AppFileInvalid(
                plist.path,
                "NSPrivacyTrackingDomains holds strings only",
                plist.line("NSPrivacyTrackingDomains", i),
            )
    for list_key, fields in (
        (
            "NSPrivacyCollectedDataTypes",
            {
                "NSPrivacyCollectedDataType": str,
                "NSPrivacyCollectedDataTypeLinked": bool,
                "NSPrivacyCollectedDataTypeTracking": bool,
                "NSPrivacyCollectedDataTypePurposes": list,
            },
        ),
        (
            "NSPrivacyAccessedAPITypes",
            {
                "NSPrivacyAccessedAPIType": str,
                "NSPrivacyAccessedAPITypeReasons": list,
            },
        ),
    ):
        for i, entry in enumerate(doc.get(list_key, [])):
            if not isinstance(entry, dict):
                raise AppFileInvalid(
                    plist.path, f"{list_key}[{i}] must be a dictionary", plist.line(list_key, i)
                )
            for key, kind in fields.items():
                value = entry.get(key)
                if value is None and kind is str:
                    raise AppFileInvalid(
                        plist.path, f"{list_key}[{i}] has no {key}", plist.line(list_key, i)
                    )
                if value is not None and not isinstance(value, kind):
                    raise AppFileInvalid(
                        plist.path,
                        f"{list_key}[{i}].{key} must be a {kind.__name__}",
                        plist.line(list_key, i, key),
                    )
                if kind is list and value and not all(isinstance(v, str) for v in value):
                    raise AppFileInvalid(
                        plist.path,
                        f"{list_key}[{i}].{key} holds strings only",
                        plist.line(list_key, i, key),
                    )
    return doc
