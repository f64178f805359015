"""consentkit's device SDK: permission gating as the OS really behaves, consent-aware
collection, and an API client that never leaks a withdrawn purpose.

The public API, flat:
"""

from .client import ApiClient, in_process
from .collectors import Outcome
from .consent import ConsentUI, PolicyChoice
from .errors import (
    AuthError,
    ConfigurationError,
    ConsentKitError,
    NotAllowed,
    OfflineError,
    ServerError,
)
from .gate import Decision, Gate, Reason
from .os_model import DIALOG_ANSWERS, OsPermissions
from .os_rules import STATUSES, OsRules, rules_for, supported_releases
from .platform import (
    AppBuild,
    CallRecord,
    Contact,
    IdentifierUnavailable,
    InstalledApp,
    LocationFix,
    Photo,
    Platform,
)
from .sdk import ConsentKit, FeatureRun
from .store import DeviceStore
from .trace import JsonlSink, ListSink, NullSink, Tracer, TraceSink

__all__ = [
    "DIALOG_ANSWERS",
    "STATUSES",
    "ApiClient",
    "AppBuild",
    "AuthError",
    "CallRecord",
    "ConfigurationError",
    "ConsentKit",
    "ConsentKitError",
    "ConsentUI",
    "Contact",
    "Decision",
    "DeviceStore",
    "FeatureRun",
    "Gate",
    "IdentifierUnavailable",
    "InstalledApp",
    "JsonlSink",
    "ListSink",
    "LocationFix",
    "NotAllowed",
    "NullSink",
    "OfflineError",
    "OsPermissions",
    "OsRules",
    "Outcome",
    "Photo",
    "Platform",
    "PolicyChoice",
    "Reason",
    "ServerError",
    "TraceSink",
    "Tracer",
    "in_process",
    "rules_for",
    "supported_releases",
]
