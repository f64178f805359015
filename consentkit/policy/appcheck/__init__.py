"""``consentkit policy check-app``: an app's own files checked against its policy.

Readers for ``AndroidManifest.xml`` and property lists (``Info.plist``,
``PrivacyInfo.xcprivacy``) that keep line numbers, and the comparisons with the manifest.
"""

from .android import AndroidApp, read_android_manifest
from .check import (
    CODES,
    Finding,
    Locate,
    check_android,
    check_info_plist,
    check_privacy_manifest,
)
from .files import AppFileInvalid
from .plist import LocatedPlist, read_plist

__all__ = [
    "CODES",
    "AndroidApp",
    "AppFileInvalid",
    "Finding",
    "Locate",
    "LocatedPlist",
    "check_android",
    "check_info_plist",
    "check_privacy_manifest",
    "read_android_manifest",
    "read_plist",
]
