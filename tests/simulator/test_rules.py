"""Each rule of the catalogue, on a minimal hand-written trace that breaks it."""

from datetime import UTC, datetime, timedelta

import pytest

from consentkit.policy import parse_manifest
from consentkit.simulator.rules import audit, catalogue
from consentkit.simulator.trace_io import validate_events
from tests.conftest import FIELDNOTES

# The contract example, with the network domains the NET rules judge by.
MANIFEST = parse_manifest(
    FIELDNOTES.read_text("utf-8")
    .replace(
        "  jurisdictions: [CN]\n", "  jurisdictions: [CN]\n  domains: [fieldnotes.example.com]\n", 1
    )
    .replace(
        "    policy_url: https://ads.example.com/privacy\n",
        "    policy_url: https://ads.example.com/privacy\n"
        "    tracking_domains: [ads.example.com]\n",
        1,
    )
)
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
AGREE = (
    "policy.agreed",
    {
        "version": "2024.03.01",
        "granted": [
            "account",
            "security",
            "customer_positioning",
            "product_photos",
            "customer_import",
        ],
        "refused": ["ads_measurement"],
    },
)


def trace(*steps, device="d1"):
    """Steps are (type, fields) or (type, fields, seconds after the previous event)."""
    events, t = [], T0
    for seq, step in enumerate(steps, start=1):
        kind, fields, *gap = step
        t += timedelta(seconds=gap[0] if gap else 1)
        events.append(
            (
                seq,
                {
                    "seq": seq,
                    "t": t.isoformat(),
                    "device": device,
                    "app": "fieldnotes",
                    "type": kind,
                    **fields,
                },
            )
        )
    return validate_events(events)


def rules_of(events):
    return sorted({f.rule for f in audit(events, {"fieldnotes": MANIFEST})})


def feature(name, *inner):
    return [
        ("feature.start", {"feature": name}),
        *inner,
        ("feature.end", {"feature": name, "outcome": "ok"}),
    ]


LOC_READ = (
    "api.read",
    {"api": "location.read", "category": "user.location.coarse", "status": "granted", "count": 1},
)
CLEAN_UPLOAD = (
    "net.upload",
    {
        "endpoint": "/api/v1/collect",
        "categories": ["user.location.coarse"],
        "purpose": "customer_positioning",
        "items": 1,
    },
)

SIGN_UP_PHONE = {
    "endpoint": "/api/v1/auth/code",
    "categories": ["user.contact.phone_number"],
    "feature": "sign_up",
    "purpose": "account",
    "items": 1,
}

CASES = {
    "NET-PARTY": [
        AGREE,
        ("net.connect", {"domain": "api.fieldnotes.example.com", "initiated": "app"}),
        ("net.connect", {"domain": "pages.other.example", "initiated": "non-app"}),
        ("net.connect", {"domain": "sdk.unnamed-analytics.example", "initiated": "app"}),
    ],
    "NET-CATEGORY": [
        AGREE,
        ("net.upload", {**SIGN_UP_PHONE, "domain": "api.fieldnotes.example.com"}),
        ("net.upload", {**SIGN_UP_PHONE, "domain": "ads.example.com"}),
    ],
    "NET-TRACKING": [
        AGREE,  # ads_measurement refused
        ("net.connect", {"domain": "api.fieldnotes.example.com", "initiated": "app"}),
        ("net.connect", {"domain": "ads.example.com", "initiated": "app"}),
    ],
    "CON-PRE": [
        ("app.launch", {"cold": True}),
        (
            "api.read",
            {
                "api": "identifier.read",
                "category": "user.device.device_id.android_id",
                "status": "granted",
                "count": 1,
            },
        ),
    ],
    "CON-REFUSED": [
        (
            "policy.agreed",
            {
                "version": "2024.03.01",
                "granted": ["account", "security"],
                "refused": ["customer_positioning"],
            },
        ),
        *feature("add_customer", CLEAN_UPLOAD),
    ],
    "CON-SCOPE": [AGREE, *feature("place_order", LOC_READ)],
    "CON-WITHDRAW": [
        AGREE,
        ("consent.withdrawn", {"purposes": ["customer_positioning"]}),
        *feature("add_customer", CLEAN_UPLOAD),
    ],
    "CON-NEVER": [
        AGREE,
        *feature(
            "add_customer",
            (
                "api.read",
                {"api": "app_list.read", "category": "user.device.app_list", "status": "granted"},
            ),
        ),
    ],
    "CON-POLICY-CHANGE": [
        AGREE,
        ("policy.shown", {"version": "2025.01.01", "reason": "policy_changed"}),
        *feature("add_customer", CLEAN_UPLOAD),
    ],
    "PERM-JIT": [AGREE, ("permission.dialog", {"permission": "camera"})],
    "PERM-PURPOSE": [
        AGREE,
        *feature("publish_product", ("permission.dialog", {"permission": "camera"})),
    ],
    "PERM-BUNDLE": [
        AGREE,
        *feature("publish_product", ("permission.request", {"permissions": ["camera", "photos"]})),
    ],
    "PERM-REASK": [
        AGREE,
        *feature(
            "publish_product",
            ("permission.result", {"permission": "camera", "status": "denied"}),
            ("permission.request", {"permissions": ["camera"]}, 60),
        ),
    ],
    "PERM-DENY-SURVIVE": [
        AGREE,
        ("permission.result", {"permission": "location.precise", "status": "denied"}),
        ("feature.start", {"feature": "add_customer"}),
        ("feature.end", {"feature": "add_customer", "outcome": "blocked"}),
    ],
    "FREQ-LIMIT": [
        AGREE,
        *feature(
            "add_customer",
            *[
                (
                    "api.read",
                    {
                        "api": "location.read",
                        "category": "user.location.precise",
                        "status": "granted",
                        "count": 1,
                    },
                    5,
                )
            ]
            * 3,
        ),
    ],
    "IDS-CONSENT": [
        (
            "policy.agreed",
            {
                "version": "2024.03.01",
                "granted": ["account"],
                "refused": ["security", "ads_measurement"],
            },
        ),
        *feature(
            "sign_up",
            (
                "api.read",
                {
                    "api": "identifier.read",
                    "category": "user.device.device_id.android_id",
                    "status": "granted",
                    "count": 1,
                },
            ),
        ),
    ],
    "MEDIA-EXIF": [
        AGREE,
        *feature(
            "publish_product",
            (
                "net.upload",
                {
                    "endpoint": "/api/v1/media",
                    "categories": ["user.media.photo"],
                    "purpose": "product_photos",
                    "items": 1,
                    "gps_in_media": True,
                },
            ),
        ),
    ],
    "CONTACTS-MIN": [
        AGREE,
        *feature(
            "import_contacts",
            (
                "api.read",
                {
                    "api": "contacts.read_all",
                    "category": "user.contacts.entry",
                    "status": "granted",
                    "count": 200,
                },
            ),
            (
                "net.upload",
                {
                    "endpoint": "/api/v1/customers/import",
                    "categories": ["user.contacts.entry"],
                    "purpose": "customer_import",
                    "items": 200,
                },
            ),
        ),
    ],
    "CALLS-NOLOG": [
        AGREE,
        *feature(
            "quick_call",
            (
                "api.read",
                {
                    "api": "calls.log_read",
                    "category": "user.calls.log",
                    "status": "granted",
                    "count": 3,
                },
            ),
        ),
    ],
    "MINOR-GUARDIAN": [
        AGREE,
        ("account.registered", {"user": "u1", "minor": True}),
        *feature("add_customer", LOC_READ),
    ],
    "ACCT-DELETE": [
        AGREE,
        ("account.cancel_requested", {"user": "u1"}),
        ("account.purged", {"user": "u1"}, 20 * 24 * 3600),
    ],
    "LOG-PII": [
        ("canary.planted", {"values": ["CANARY-7731"]}),
        ("log.line", {"text": "created customer CANARY-7731"}),
    ],
    "PERM-NEEDLESS": [
        AGREE,
        *feature(
            "publish_product",
            (
                "permission.rationale",
                {"permission": "photos", "text": MANIFEST.permissions["photos"].rationale},
            ),
            ("permission.request", {"permissions": ["photos"]}),
            (
                "permission.dialog",
                {"permission": "photos", "needless": "scoped storage: own files"},
            ),
        ),
    ],
}


@pytest.mark.parametrize("rule", sorted(CASES))
def test_rule_catches_its_breach_and_only_it(rule):
    assert rules_of(trace(*CASES[rule])) == [rule]


def test_every_rule_of_the_catalogue_has_a_case():
    assert {r.id for r in catalogue()} == set(CASES)


def test_a_well_behaved_trace_has_no_findings():
    events = trace(
        ("app.launch", {"cold": True}),
        ("policy.shown", {"version": "2024.03.01"}),
        AGREE,
        ("feature.start", {"feature": "add_customer"}),
        (
            "permission.rationale",
            {
                "permission": "location.precise",
                "text": MANIFEST.permissions["location.precise"].rationale,
            },
        ),
        ("permission.request", {"permissions": ["location.precise", "location.coarse"]}),
        ("permission.dialog", {"permission": "location.precise"}),
        ("permission.result", {"permission": "location.precise", "status": "denied"}),
        ("permission.result", {"permission": "location.coarse", "status": "granted"}),
        LOC_READ,
        CLEAN_UPLOAD,
        ("feature.end", {"feature": "add_customer", "outcome": "degraded"}),
        ("feature.start", {"feature": "place_order"}),
        (
            "net.upload",
            {
                "endpoint": "/api/v1/collect",
                "categories": ["user.transaction.order"],
                "purpose": "account",
                "items": 1,
            },
        ),
        ("feature.end", {"feature": "place_order", "outcome": "ok"}),
        ("account.cancel_requested", {"user": "u1"}),
        ("account.purged", {"user": "u1"}, 3 * 24 * 3600),
    )
    assert rules_of(events) == []


def test_reask_after_the_cooldown_is_fine_but_blocked_never_is():
    ok = trace(
        AGREE,
        *feature(
            "publish_product",
            ("permission.result", {"permission": "camera", "status": "denied"}),
            ("permission.rationale", {"permission": "camera", "text": "..."}, 49 * 3600),
            ("permission.request", {"permissions": ["camera"]}),
        ),
    )
    assert rules_of(ok) == []
    blocked = trace(
        AGREE,
        *feature(
            "publish_product",
            ("permission.result", {"permission": "camera", "status": "blocked"}),
            ("permission.request", {"permissions": ["camera"]}, 49 * 3600),
        ),
    )
    assert rules_of(blocked) == ["PERM-REASK"]


def test_cancellation_not_purged_by_the_deadline_is_found_at_the_end():
    events = trace(
        AGREE,
        ("account.cancel_requested", {"user": "u1"}),
        ("app.launch", {"cold": True}, 30 * 24 * 3600),
    )
    findings = audit(events, {"fieldnotes": MANIFEST})
    assert [(f.rule, f.seq) for f in findings] == [("ACCT-DELETE", None)]


def test_findings_carry_device_event_and_evidence():
    finding = audit(trace(*CASES["PERM-REASK"]), {"fieldnotes": MANIFEST})[0]
    assert finding.device == "d1" and finding.severity == "high"
    assert finding.seq == 4 and finding.evidence == [3, 4]


def test_unknown_event_types_and_fields_are_ignored():
    events = trace(
        AGREE,
        ("something.new", {"x": 1}),
        ("feature.start", {"feature": "add_customer", "extra": "field"}),
        LOC_READ,
        ("feature.end", {"feature": "add_customer"}),
    )
    assert rules_of(events) == []
