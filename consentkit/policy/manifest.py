"""The policy manifest (format 1) as typed, immutable data.

The shape mirrors format 1 (``docs/manifest.md``) field for field, with its additive
extensions; the loader builds it from YAML and the checks make sure it is coherent.
Everything downstream (server, SDK, simulator, exports) reads a ``Manifest`` and never
the YAML.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "EXTRA_RIGHTS",
    "RIGHTS",
    "Accounts",
    "App",
    "Breach",
    "Controller",
    "DataCategory",
    "Deadline",
    "Feature",
    "Hold",
    "IdentityCheck",
    "Manifest",
    "Minors",
    "Notice",
    "NoticeRule",
    "PermissionUse",
    "PolicyVersion",
    "Prompts",
    "Purpose",
    "Rights",
    "Security",
    "Storage",
    "ThirdParty",
]

RIGHTS = ("access", "export", "correction", "deletion", "cancellation")
# Rights the server does not carry out as requests, promised a reply within a deadline.
EXTRA_RIGHTS = ("withdrawal", "complaint", "inquiry")


@dataclass(frozen=True)
class Controller:
    name: str
    contact: str


@dataclass(frozen=True)
class PolicyVersion:
    version: str
    effective: str
    change: str = "major"
    url: str | None = None


@dataclass(frozen=True)
class App:
    id: str
    name: str
    controller: Controller
    policy: PolicyVersion
    jurisdictions: tuple[str, ...] = ()
    governing_law: str | None = None
    domains: tuple[str, ...] = ()  # the app's own network domains (and their subdomains)


@dataclass(frozen=True)
class Purpose:
    id: str
    description: str
    kind: str
    basic: bool = False
    third_party: bool = False
    profiling: bool = False  # builds a profile for personalised recommendation or display


@dataclass(frozen=True)
class DataCategory:
    id: str
    purposes: tuple[str, ...]
    stored: bool | str = True
    retention: str = "until_withdrawn"
    on_withdraw: str = "delete"
    sensitive: bool = False  # the policy calls it sensitive (the taxonomy may not)
    role: str = "controller"  # controller | processor (on behalf of the user's organization)
    rights_answered_by: str | None = None  # app | organization; default follows the role

    @property
    def answered_by(self) -> str:
        """Who answers rights requests about it: the app's controller or the organization."""
        if self.rights_answered_by:
            return self.rights_answered_by
        return "organization" if self.role == "processor" else "app"


@dataclass(frozen=True)
class PermissionUse:
    id: str
    rationale: str
    translations: dict[str, str] = field(default_factory=dict)  # locale -> rationale

    def text(self, locale: str | None = None) -> str | None:
        """The rationale in one language (None: the manifest has no such translation)."""
        return self.rationale if locale is None else self.translations.get(locale)


@dataclass(frozen=True)
class Feature:
    id: str
    purposes: tuple[str, ...]
    basic: bool = False
    permissions: tuple[str, ...] = ()
    collects: tuple[str, ...] = ()


@dataclass(frozen=True)
class ThirdParty:
    name: str
    purposes: tuple[str, ...]
    categories: tuple[str, ...]
    policy_url: str | None = None
    tracking_domains: tuple[str, ...] = ()
    kind: str | None = None
    country: str | None = None
    de_identified: bool = False
    domains: tuple[str, ...] = ()
    sdk_name: str | None = None  # the SDK's own name, when the recipient is an SDK in the app

    @property
    def all_domains(self) -> tuple[str, ...]:
        """Every domain it is reached at: its ``domains`` and its ``tracking_domains``."""
        return tuple(dict.fromkeys(self.domains + self.tracking_domains))

    @property
    def is_sdk(self) -> bool:
        """An SDK inside the app that collects data itself (China's SDK list names them)."""
        return self.kind == "sdk" or self.sdk_name is not None


@dataclass(frozen=True)
class Deadline:
    within: int
    unit: str


@dataclass(frozen=True)
class Hold:
    categories: tuple[str, ...]
    retention: str
    then: str
    basis: str = ""


@dataclass(frozen=True)
class IdentityCheck:
    """Rights whose requests are verified first, and how."""

    rights: tuple[str, ...]
    methods: tuple[str, ...]


@dataclass(frozen=True)
class Rights:
    calendar: str | None
    deadlines: dict[str, Deadline]
    holds: tuple[Hold, ...] = ()
    verify_identity: IdentityCheck | None = None

    def deadline(self, right: str) -> Deadline | None:
        """The promised deadline of one right, if the policy promises one."""
        return self.deadlines.get(right)


@dataclass(frozen=True)
class Minors:
    age: int
    guardian_consent: bool = True


@dataclass(frozen=True)
class Prompts:
    reask_after: str = "PT48H"
    max_optional_per_request: int = 1
    reads_per_minute: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class NoticeRule:
    """Notice given ``before`` something happens (None: before it, for no stated time)."""

    before: str | None = None
    channels: tuple[str, ...] = ()
    applies_to: str = "major"  # policy changes: major | every


@dataclass(frozen=True)
class Notice:
    policy_change: NoticeRule | None = None
    shutdown: NoticeRule | None = None
    major_changes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Breach:
    channels: tuple[str, ...]
    within: str | None = None
    public_notice: bool = False
    regulator: bool = False


@dataclass(frozen=True)
class Storage:
    location: tuple[str, ...]
    cross_border: str


@dataclass(frozen=True)
class Accounts:
    """How users get an account, and where they ask to delete it (the store forms ask)."""

    creation: tuple[str, ...] = ()  # words of the taxonomy's account_creation list
    outside_app: tuple[str, ...] = ()  # words of outside_account: accounts made elsewhere
    deletion_url: str | None = None  # a web page to request deleting the account and its data


@dataclass(frozen=True)
class Security:
    encrypted_in_transit: bool  # every connection carrying personal data is encrypted (TLS)


@dataclass(frozen=True)
class Manifest:
    """One app's policy, one version."""

    format: int
    app: App
    purposes: dict[str, Purpose]
    data_categories: dict[str, DataCategory]
    never_collected: tuple[str, ...]
    permissions: dict[str, PermissionUse]
    features: dict[str, Feature]
    third_parties: tuple[ThirdParty, ...]
    rights: Rights
    minors: Minors | None
    prompts: Prompts
    notice: Notice = field(default_factory=Notice)
    breach: Breach | None = None
    storage: Storage | None = None
    accounts: Accounts | None = None
    security: Security | None = None
    # Apple's required-reason APIs the app calls: manifest word -> Apple's reason codes
    required_reason_apis: dict[str, tuple[str, ...]] = field(default_factory=dict)
    choices: dict[str, str] = field(default_factory=dict)  # manifest path -> reason
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def id(self) -> str:
        return self.app.id

    @property
    def version(self) -> str:
        return self.app.policy.version

    def basic_purposes(self) -> list[str]:
        """Purposes accepted together with the policy itself."""
        return [p.id for p in self.purposes.values() if p.basic]

    def optional_purposes(self) -> list[str]:
        """Purposes that are each a separate, unticked choice."""
        return [p.id for p in self.purposes.values() if not p.basic]

    def category_allowed(self, category: str, purpose: str, feature: str | None = None) -> bool:
        """Is this category declared for this purpose (and, if named, this feature)?"""
        declared = self.data_categories.get(category)
        if declared is None or purpose not in declared.purposes:
            return False
        if feature is None:
            return True
        feat = self.features.get(feature)
        return feat is not None and category in feat.collects and purpose in feat.purposes

    def features_requesting(self, permission: str) -> list[str]:
        """Features that may show this permission's dialog (just-in-time)."""
        return [f.id for f in self.features.values() if permission in f.permissions]

    def requested_permissions(self) -> list[str]:
        """Permissions some feature may ask for, in the order the manifest lists them: what
        the app needs to declare to its OS (a permission no feature asks needs none)."""
        asked = {p for f in self.features.values() for p in f.permissions}
        return [p for p in self.permissions if p in asked]

    def tracking_domains(self) -> list[str]:
        """Every domain the policy says engages in tracking (its third parties'
        ``tracking_domains``): the one list Apple's NSPrivacyTrackingDomains and the audit
        of real-device traffic read."""
        return sorted({d for party in self.third_parties for d in party.tracking_domains})

    def read_rate(self, category: str) -> int | None:
        """Reads a minute allowed for a category: the rate of its own permission (the
        first of the taxonomy's permissions for it that the manifest rates)."""
        from .taxonomy import taxonomy

        known = taxonomy().categories.get(category)
        for permission in known.permissions if known else ():
            if permission in self.prompts.reads_per_minute:
                return self.prompts.reads_per_minute[permission]
        return None

    def is_sensitive(self, category: str) -> bool:
        """Sensitive by the taxonomy or by the policy's own word: a separate consent."""
        from .taxonomy import taxonomy

        declared = self.data_categories.get(category)
        if declared is not None and declared.sensitive:
            return True
        known = taxonomy().categories.get(category)
        return bool(known and known.sensitive)

    def notice_before(self, change: str) -> str | None:
        """The notice period a policy change of this kind (major | minor) must wait."""
        rule = self.notice.policy_change
        if rule is None or rule.before is None:
            return None
        return rule.before if change == "major" or rule.applies_to == "every" else None

    def purposes_declaring(self, category: str) -> tuple[str, ...]:
        declared = self.data_categories.get(category)
        return declared.purposes if declared else ()
