"""Apple's privacy manifest, ``PrivacyInfo.xcprivacy``."""

from __future__ import annotations

import plistlib

from ..manifest import Manifest
from ..taxonomy import taxonomy
from .common import collected, is_tracking

PREFIX = "NSPrivacyCollectedDataType"


def privacy_info(m: Manifest) -> bytes:
    """The plist Xcode bundles: tracking, tracking domains and collected data types."""
    tax = taxonomy()
    types: dict[str, dict] = {}
    for cat in collected(m):
        apple = tax.categories[cat.id].apple or "OtherDataTypes"
        entry = types.setdefault(apple, {"linked": False, "tracking": False, "purposes": set()})
        entry["linked"] = True  # stored with the account, hashed or not
        entry["tracking"] |= any(is_tracking(m, p) for p in cat.purposes)
        entry["purposes"] |= {tax.purpose_kinds[m.purposes[p].kind].apple for p in cat.purposes}
    domains = sorted({d for party in m.third_parties for d in party.tracking_domains})
    document = {
        "NSPrivacyTracking": any(is_tracking(m, p) for p in m.purposes),
        "NSPrivacyTrackingDomains": domains,
        "NSPrivacyCollectedDataTypes": [
            {
                "NSPrivacyCollectedDataType": PREFIX + name,
                "NSPrivacyCollectedDataTypeLinked": entry["linked"],
                "NSPrivacyCollectedDataTypeTracking": entry["tracking"],
                "NSPrivacyCollectedDataTypePurposes": [
                    f"{PREFIX}Purpose{p}" for p in sorted(entry["purposes"])
                ],
            }
            for name, entry in sorted(types.items())
        ],
        "NSPrivacyAccessedAPITypes": [],
    }
    return plistlib.dumps(document, fmt=plistlib.FMT_XML, sort_keys=False)
