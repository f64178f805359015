"""Store and regulator declarations generated from one manifest."""

from .apple import privacy_info
from .china import collected_list, shared_list
from .play import data_safety_csv

EXPORTS = {
    "PrivacyInfo.xcprivacy": privacy_info,
    "data-safety.csv": data_safety_csv,
    "personal-information-collected.md": collected_list,
    "third-party-sharing.md": shared_list,
}

__all__ = ["EXPORTS", "collected_list", "data_safety_csv", "privacy_info", "shared_list"]
