"""Store and regulator declarations generated from one manifest.

``EXPORTS`` maps each file name to the function that writes it; a function may answer
None when the manifest gives it nothing to say (no Chinese text: no zh-Hans strings).
``export_notes`` lists what a person still has to look at before filing them.
"""

from __future__ import annotations

from collections.abc import Callable

from ..manifest import Manifest
from ..taxonomy import taxonomy
from .android import uses_permissions
from .apple import privacy_info, privacy_notes, strings_file, usage_descriptions
from .china import collected_list, sdk_list, sdk_notes, shared_list
from .play import data_safety_checklist, data_safety_csv, data_safety_notes

EXPORTS: dict[str, Callable[[Manifest], bytes | None]] = {
    "PrivacyInfo.xcprivacy": privacy_info,
    "Info-usage-descriptions.plist": usage_descriptions,
    **{
        f"{locale}.lproj/InfoPlist.strings": strings_file(locale)
        for locale in taxonomy().words("locale")
    },
    "AndroidManifest-permissions.xml": uses_permissions,
    "data-safety.csv": data_safety_csv,
    "data-safety-checklist.md": data_safety_checklist,
    "personal-information-collected.md": collected_list,
    "third-party-sharing.md": shared_list,
    "third-party-sdks.md": sdk_list,
}


def export_notes(m: Manifest) -> list[str]:
    """Questions the manifest leaves to a person, file by file, with the reason."""
    return data_safety_notes(m) + privacy_notes(m) + sdk_notes(m)


__all__ = [
    "EXPORTS",
    "collected_list",
    "data_safety_checklist",
    "data_safety_csv",
    "export_notes",
    "privacy_info",
    "sdk_list",
    "shared_list",
    "usage_descriptions",
    "uses_permissions",
]
