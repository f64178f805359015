"""Apple: the privacy manifest ``PrivacyInfo.xcprivacy`` and the Info.plist usage strings.

Both derive from the manifest only: collected data types with their ``Linked`` and
``Tracking`` flags from how each category is kept and used, tracking domains from the
third parties, required-reason APIs from ``required_reason_apis``, and one usage string per
Info.plist key from the rationales of the permissions some feature asks for.
"""

from __future__ import annotations

import plistlib
from collections.abc import Callable

from ..apple_vocab import apple_vocab
from ..manifest import Manifest
from ..taxonomy import taxonomy
from .common import collected, linked, tracks

__all__ = [
    "privacy_document",
    "privacy_info",
    "privacy_notes",
    "strings_file",
    "usage_descriptions",
    "usage_strings",
]


def privacy_document(m: Manifest) -> dict:
    """The privacy manifest as a dictionary (what plistlib writes and reads)."""
    tax = taxonomy()
    apple = apple_vocab()
    types: dict[str, dict] = {}
    for cat in collected(m):
        entry = types.setdefault(
            tax.categories[cat.id].apple or "OtherDataTypes",
            {"linked": False, "tracking": False, "purposes": set()},
        )
        entry["linked"] |= linked(m, cat)
        entry["tracking"] |= tracks(m, cat)
        entry["purposes"] |= {tax.purpose_kinds[m.purposes[p].kind].apple for p in cat.purposes}
    asks_att = any("tracking" in f.permissions for f in m.features.values())
    return {
        "NSPrivacyTracking": asks_att or any(entry["tracking"] for entry in types.values()),
        "NSPrivacyTrackingDomains": m.tracking_domains(),
        "NSPrivacyCollectedDataTypes": [
            {
                "NSPrivacyCollectedDataType": apple.data_type_id(name),
                "NSPrivacyCollectedDataTypeLinked": entry["linked"],
                "NSPrivacyCollectedDataTypeTracking": entry["tracking"],
                "NSPrivacyCollectedDataTypePurposes": [
                    apple.purpose_id(p) for p in apple.purposes if p in entry["purposes"]
                ],
            }
            for name, entry in sorted(types.items())
        ],
        "NSPrivacyAccessedAPITypes": [
            {
                "NSPrivacyAccessedAPIType": api.category,
                "NSPrivacyAccessedAPITypeReasons": list(m.required_reason_apis[word]),
            }
            for word, api in apple.reason_apis.items()
            if word in m.required_reason_apis
        ],
    }


def privacy_info(m: Manifest) -> bytes:
    """The plist Xcode bundles: tracking, tracking domains, collected data types and the
    required-reason APIs the app calls."""
    return plistlib.dumps(privacy_document(m), fmt=plistlib.FMT_XML, sort_keys=False)


def privacy_notes(m: Manifest) -> list[str]:
    """What the privacy manifest cannot say for itself and a person should look at."""
    doc = privacy_document(m)
    notes = []
    if doc["NSPrivacyTracking"] and not doc["NSPrivacyTrackingDomains"]:
        notes.append(
            "PrivacyInfo.xcprivacy: NSPrivacyTracking is true but the manifest names no "
            "tracking domain; Apple asks for at least one (third_parties[].tracking_domains)"
        )
    if not m.required_reason_apis:
        notes.append(
            "PrivacyInfo.xcprivacy: NSPrivacyAccessedAPITypes is empty: if the app calls "
            "UserDefaults, file timestamps, system boot time, disk space or active keyboards, "
            "add required_reason_apis (App Store Connect refuses the upload otherwise)"
        )
    return notes


def usage_strings(m: Manifest, locale: str | None = None) -> dict[str, str]:
    """Info.plist key -> usage description, for every permission a feature asks that iOS
    guards with one. Permissions sharing a key (precise and approximate location) share
    one string made of their rationales. In a locale, a key is left out unless every
    rationale behind it is translated (iOS then falls back to the Info.plist text)."""
    tax = taxonomy()
    parts: dict[str, list[str | None]] = {}
    for key in m.requested_permissions():
        plist_key = tax.permissions[key].ios
        if plist_key:
            text = m.permissions[key].text(locale)
            if text not in parts.setdefault(plist_key, []):
                parts[plist_key].append(text)
    joiner = "" if locale and locale.startswith("zh") else " "
    return {
        plist_key: joiner.join(t.strip() for t in texts if t)
        for plist_key, texts in parts.items()
        if all(texts)
    }


def usage_descriptions(m: Manifest) -> bytes:
    """The usage-description entries to merge into the app's Info.plist."""
    return plistlib.dumps(usage_strings(m), fmt=plistlib.FMT_XML, sort_keys=False)


def strings_file(locale: str) -> Callable[[Manifest], bytes | None]:
    """``<locale>.lproj/InfoPlist.strings``: the usage strings in one language, or None
    when the manifest has no text in it."""

    def make(m: Manifest) -> bytes | None:
        strings = usage_strings(m, locale)
        if not strings:
            return None
        lines = [
            f"/* {m.app.name}, policy {m.version}: Info.plist usage descriptions ({locale}),"
            " generated by consentkit from the manifest. */",
        ]
        lines += [f'"{key}" = "{_escape(text)}";' for key, text in strings.items()]
        return ("\n".join(lines) + "\n").encode("utf-8")

    make.__doc__ = f"The usage strings in {locale} (InfoPlist.strings)."
    return make


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
