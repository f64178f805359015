"""Issue #12: each blind spot of the audit (a misbehaving trace that passed) and each false
finding (a good trace that was flagged), as a hand-written trace in the shape the virtual
phone and the SDK write it."""

from datetime import UTC, datetime, timedelta

import pytest
import yaml

from consentkit.examples import examples_dir
from consentkit.policy import load_manifest, manifest_from_dict, parse_manifest
from consentkit.simulator.rules import audit
from consentkit.simulator.trace_io import validate_events
from tests.conftest import FIELDNOTES

FIELD = parse_manifest(FIELDNOTES.read_text("utf-8"))
ZHENYI = load_manifest(examples_dir() / "manifests" / "zhenyi-erp.yaml")
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def trace(*steps, device="d1", app="fieldnotes", start=T0, first_seq=1):
    """Steps are (type, fields) or (type, fields, seconds after the previous event)."""
    events, t = [], start
    for seq, step in enumerate(steps, start=first_seq):
        kind, fields, *gap = step
        t += timedelta(seconds=gap[0] if gap else 1)
        event = {"seq": seq, "t": t.isoformat(), "device": device, "app": app, "type": kind}
        events.append((seq, {**event, **fields}))
    return validate_events(events)


def findings(events, manifest=FIELD):
    return audit(events, {manifest.id: manifest})


def rules_of(events, manifest=FIELD):
    return sorted(f.rule for f in findings(events, manifest))


def agree(granted, refused=(), version="2024.03.01"):
    return (
        "policy.agreed",
        {"version": version, "granted": list(granted), "refused": list(refused)},
    )


ALL = ["account", "security", "customer_positioning", "product_photos", "customer_import"]
AGREE = agree(ALL, ["ads_measurement"])
LAUNCH = ("app.launch", {"cold": True, "os": "android", "os_version": 14}, 0)


def feature(name, *inner, outcome="ok"):
    return [
        ("feature.start", {"feature": name}),
        *inner,
        ("feature.end", {"feature": name, "outcome": outcome}),
    ]


def read(api, category, feature=None, **extra):
    fields = {"api": api, "category": category, "status": "granted", "count": 1}
    if feature is not False:
        fields.update(feature=feature)
    return ("api.read", {**fields, **extra}, extra.pop("_gap", 1))


def precise(feature, gap=1):
    return (
        "api.read",
        {
            "api": "location.read",
            "category": "user.location.precise",
            "status": "granted",
            "count": 1,
            "feature": feature,
            "purposes": ["customer_positioning"],
        },
        gap,
    )


def coarse(feature, gap=1):
    return (
        "api.read",
        {
            "api": "location.read",
            "category": "user.location.coarse",
            "status": "granted",
            "count": 1,
            "feature": feature,
        },
        gap,
    )


def upload(categories, **fields):
    body = {
        "endpoint": "/api/v1/collect",
        "categories": categories,
        "items": 1,
        "source": "network",
    }
    return ("net.upload", {**body, **fields})


RATIONALE = (
    "permission.rationale",
    {"permission": "location.precise", "text": FIELD.permissions["location.precise"].rationale},
)
GRANT_LOCATION = [
    ("permission.request", {"permissions": ["location.precise", "location.coarse"]}),
    ("permission.result", {"permission": "location.precise", "status": "granted"}),
    ("permission.result", {"permission": "location.coarse", "status": "granted"}),
]


# 1. reads carry the purposes of the feature they happen in --------------------------------


def test_a_read_whose_only_purpose_was_refused_is_found():
    refused = agree(["account", "security"], ["customer_positioning"])
    events = trace(LAUNCH, refused, *feature("add_customer", precise("add_customer")))
    assert rules_of(events) == ["CON-REFUSED"]


def test_a_read_whose_only_purpose_was_withdrawn_is_found():
    events = trace(
        LAUNCH,
        AGREE,
        ("consent.withdrawn", {"purposes": ["customer_positioning"]}),
        *feature("add_customer", precise("add_customer")),
    )
    assert rules_of(events) == ["CON-WITHDRAW"]


def test_an_older_phone_trace_without_attribution_is_attributed_to_the_running_feature():
    refused = agree(["account", "security"], ["customer_positioning"])
    bare = read("location.read", "user.location.precise", feature=False)
    events = trace(LAUNCH, refused, *feature("add_customer", bare))
    assert rules_of(events) == ["CON-REFUSED"]


def test_a_read_with_one_live_purpose_left_is_fine():
    # sign_up may collect the Android ID for security (consented) or ads (refused)
    events = trace(
        LAUNCH,
        AGREE,
        *feature("sign_up", read("identifier.read", "user.device.device_id.android_id", "sign_up")),
    )
    assert rules_of(events) == []


# 2. uploads seen on the network, whatever sent them ----------------------------------------


def test_an_upload_the_server_refused_is_still_judged():
    events = trace(
        LAUNCH,
        AGREE,
        *feature(
            "publish_product",
            upload(
                ["user.media.photo"],
                endpoint="/api/v1/media",
                request=7,
                feature="publish_product",
                purpose="product_photos",
                images=1,
                gps_in_media=True,
            ),
            ("net.response", {"request": 7, "status": 403, "code": "consent_required"}),
        ),
    )
    assert rules_of(events) == ["MEDIA-EXIF"]


def test_an_apps_own_upload_of_the_address_book_is_caught():
    events = trace(
        LAUNCH,
        AGREE,
        *feature(
            "import_contacts",
            read("contacts.pick", "user.contacts.entry", "import_contacts", count=1, ids=["c1"]),
            upload(
                ["user.contacts.entry"],
                endpoint="/api/v1/customers/import",
                feature="import_contacts",
                items=40,
                contacts=40,
                contact_ids=[f"c{i}" for i in range(1, 41)],
            ),
        ),
    )
    assert rules_of(events) == ["CONTACTS-MIN"]


# 3. CON-POLICY-CHANGE from the version in force ------------------------------------------


def test_optional_use_at_launch_after_a_published_major_change_is_found():
    events = trace(
        LAUNCH,
        AGREE,
        ("policy.published", {"version": "2024.09.01", "change": "major", "source": "server"}),
        ("app.exit", {"reason": "user"}),
        LAUNCH,
        *feature("add_customer", precise("add_customer")),  # before the SDK shows it again
    )
    assert rules_of(events) == ["CON-POLICY-CHANGE"]


def test_an_app_that_never_shows_the_changed_policy_is_found():
    events = trace(
        LAUNCH,
        AGREE,
        ("policy.published", {"version": "2024.09.01", "change": "major"}),
        *feature("add_customer", precise("add_customer")),
        *feature("add_customer", precise("add_customer", gap=120)),
    )
    assert rules_of(events) == ["CON-POLICY-CHANGE", "CON-POLICY-CHANGE"]


def test_collecting_after_declining_the_changed_policy_is_found_even_for_basic_purposes():
    events = trace(
        LAUNCH,
        AGREE,
        ("policy.shown", {"version": "2024.09.01", "reason": "policy_changed"}),
        ("policy.declined", {"version": "2024.09.01"}),
        *feature(
            "place_order",
            upload(["user.transaction.order"], feature="place_order", purpose="account"),
        ),
    )
    assert rules_of(events) == ["CON-POLICY-CHANGE"]


def test_a_minor_change_needs_no_fresh_consent_and_agreement_ends_the_wait():
    minor = trace(
        LAUNCH,
        AGREE,
        ("policy.published", {"version": "2024.03.15", "change": "minor"}),
        *feature("add_customer", precise("add_customer")),
    )
    assert rules_of(minor) == []
    agreed_again = trace(
        LAUNCH,
        AGREE,
        ("policy.published", {"version": "2024.09.01", "change": "major"}),
        ("policy.shown", {"version": "2024.09.01", "reason": "policy_changed"}),
        agree(ALL, ["ads_measurement"], version="2024.09.01"),
        *feature("add_customer", precise("add_customer")),
    )
    assert rules_of(agreed_again) == []


# 4. PERM-REASK on dialogs, per OS release --------------------------------------------------


def test_reasking_through_another_permission_of_the_same_dialog_is_found():
    events = trace(
        LAUNCH,
        AGREE,
        *feature(
            "add_customer",
            RATIONALE,
            ("permission.request", {"permissions": ["location.precise", "location.coarse"]}),
            ("permission.dialog", {"permission": "location.precise"}),
            ("permission.result", {"permission": "location.precise", "status": "denied"}),
            ("permission.result", {"permission": "location.coarse", "status": "denied"}),
            ("permission.request", {"permissions": ["location.coarse"]}),
        ),
    )
    assert rules_of(events) == ["PERM-REASK"]


def test_android_12_upgrade_from_approximate_to_precise_is_not_nagging():
    launch12 = ("app.launch", {"cold": True, "os": "android", "os_version": 12}, 0)
    ask = ("permission.request", {"permissions": ["location.precise", "location.coarse"]})
    events = trace(
        launch12,
        AGREE,
        *feature(
            "add_customer",
            RATIONALE,
            ask,
            ("permission.dialog", {"permission": "location.precise"}),
            ("permission.result", {"permission": "location.precise", "status": "denied"}),
            ("permission.result", {"permission": "location.coarse", "status": "granted"}),
        ),
        *feature("add_customer", ask),  # the upgrade: precise, while coarse is held
    )
    assert rules_of(events) == []


def test_a_refused_upgrade_asked_again_at_once_is_nagging():
    launch12 = ("app.launch", {"cold": True, "os": "android", "os_version": 12}, 0)
    ask = ("permission.request", {"permissions": ["location.precise", "location.coarse"]})
    coarse_only = [
        ask,
        ("permission.result", {"permission": "location.precise", "status": "denied"}),
        ("permission.result", {"permission": "location.coarse", "status": "granted"}),
    ]
    events = trace(
        launch12,
        AGREE,
        *feature("add_customer", *coarse_only),
        *feature("add_customer", *coarse_only),  # the upgrade, refused
        *feature("add_customer", ask),  # and asked again at once
    )
    assert rules_of(events) == ["PERM-REASK"]


def test_reask_exactly_at_the_cooldown_is_fine():
    events = trace(
        LAUNCH,
        AGREE,
        *feature(
            "publish_product",
            ("permission.request", {"permissions": ["camera"]}),
            ("permission.result", {"permission": "camera", "status": "denied"}),
        ),
        ("feature.start", {"feature": "publish_product"}, 48 * 3600 - 1),
        (
            "permission.rationale",
            {"permission": "camera", "text": FIELD.permissions["camera"].rationale},
            0,
        ),
        ("permission.request", {"permissions": ["camera"]}, 0),
        ("feature.end", {"feature": "publish_product", "outcome": "ok"}),
    )
    assert rules_of(events) == []


# 5. MINOR-GUARDIAN across devices ---------------------------------------------------------


def test_the_same_minor_on_a_second_device_is_still_a_minor():
    first = trace(
        LAUNCH,
        AGREE,
        ("account.registered", {"user": "u7", "minor": True}),
        device="tablet",
    )
    second = trace(
        LAUNCH,
        AGREE,
        ("account.login", {"user": "u7"}, 600),
        *feature("add_customer", precise("add_customer")),
        device="phone",
    )
    for events in (first + second, second + first):
        found = findings(events)
        assert [(f.rule, f.device) for f in found] == [("MINOR-GUARDIAN", "phone")]


def test_a_guardian_who_consented_on_one_device_covers_the_other():
    first = trace(
        LAUNCH,
        AGREE,
        ("account.registered", {"user": "u7", "minor": True}),
        ("guardian.consented", {"guardian": "verified"}),
        device="tablet",
    )
    second = trace(
        LAUNCH,
        AGREE,
        ("account.login", {"user": "u7"}, 600),
        *feature("add_customer", precise("add_customer")),
        device="phone",
    )
    assert rules_of(first + second) == []


# 6. CONTACTS-MIN by identity, across categories -----------------------------------------


def test_one_contact_picked_fifty_uploaded_as_customer_records():
    events = trace(
        LAUNCH,
        AGREE,
        *feature(
            "import_contacts",
            read("contacts.pick", "user.contacts.entry", "import_contacts", count=1, ids=["c3"]),
        ),
        *feature(
            "place_order",
            upload(
                ["user.transaction.order"],
                feature="place_order",
                contacts=50,
                contact_ids=[f"c{i}" for i in range(50)],
            ),
        ),
    )
    assert rules_of(events) == ["CONTACTS-MIN"]


def test_three_picked_twice_six_uploaded():
    pick = read(
        "contacts.pick", "user.contacts.entry", "import_contacts", count=3, ids=["c0", "c1", "c2"]
    )
    events = trace(
        LAUNCH,
        AGREE,
        *feature("import_contacts", pick),
        *feature("import_contacts", pick),
        *feature(
            "import_contacts",
            upload(
                ["user.contacts.entry"],
                feature="import_contacts",
                items=6,
                contacts=6,
                contact_ids=[f"c{i}" for i in range(6)],
            ),
        ),
    )
    assert rules_of(events) == ["CONTACTS-MIN"]


def test_without_identities_counts_add_up_across_uploads():
    events = trace(
        LAUNCH,
        AGREE,
        *feature(
            "import_contacts",
            read("contacts.pick", "user.contacts.entry", "import_contacts", count=2),
        ),
        *feature(
            "import_contacts",
            upload(["user.contacts.entry"], purpose="customer_import", items=2),
            upload(["user.contacts.entry"], purpose="customer_import", items=2),
        ),
    )
    assert rules_of(events) == ["CONTACTS-MIN"]


# 7. FREQ-LIMIT by gating permission; reads outside a feature ------------------------------


def test_two_precise_and_six_coarse_reads_under_a_precise_grant_are_too_many():
    reads = [precise("add_customer", gap=3)] * 2 + [coarse("add_customer", gap=3)] * 6
    events = trace(LAUNCH, AGREE, *feature("add_customer", *GRANT_LOCATION, *reads))
    assert rules_of(events) == ["FREQ-LIMIT"]


def test_six_coarse_reads_under_a_coarse_only_grant_are_within_the_rate():
    granted = [
        ("permission.request", {"permissions": ["location.precise", "location.coarse"]}),
        ("permission.result", {"permission": "location.precise", "status": "denied"}),
        ("permission.result", {"permission": "location.coarse", "status": "granted"}),
    ]
    reads = [coarse("add_customer", gap=5)] * 6
    events = trace(LAUNCH, AGREE, *feature("add_customer", *granted, *reads))
    assert rules_of(events) == []


def test_reads_after_the_feature_ended_or_the_app_exited_are_found_once():
    events = trace(
        LAUNCH,
        AGREE,
        *feature("add_customer", *GRANT_LOCATION, precise("add_customer")),
        precise(None, gap=600),
        precise(None, gap=600),
        ("app.exit", {"reason": "user"}),
        ("api.read", {**precise(None)[1], "foreground": False}, 600),
    )
    found = findings(events)
    assert [f.rule for f in found] == ["FREQ-LIMIT"]
    assert "outside any feature" in found[0].message


def test_a_polling_loop_is_one_finding():
    reads = [precise("add_customer", gap=5)] * 10
    events = trace(LAUNCH, AGREE, *feature("add_customer", *GRANT_LOCATION, *reads))
    assert rules_of(events) == ["FREQ-LIMIT"]


# 8. IDS-CONSENT per read purpose ---------------------------------------------------------


def test_an_identifier_read_whose_purpose_was_refused_is_found():
    events = trace(
        LAUNCH,
        agree(["account", "security", "device_risk_control"], ["sdk_statistics"], "2023.11.08"),
        *feature(
            "usage_statistics",
            read("identifier.read", "user.device.device_id.android_id", "usage_statistics"),
        ),
        app="zhenyi-erp",
    )
    assert rules_of(events, ZHENYI) == ["IDS-CONSENT"]


# 9. PERM-PURPOSE compares the rationale's text ---------------------------------------------


def test_the_cameras_rationale_before_the_album_dialog_is_found():
    events = trace(
        LAUNCH,
        AGREE,
        *feature(
            "publish_product",
            (
                "permission.rationale",
                {"permission": "photos", "text": FIELD.permissions["camera"].rationale},
            ),
            ("permission.request", {"permissions": ["photos"]}),
            ("permission.dialog", {"permission": "photos"}),
            ("permission.result", {"permission": "photos", "status": "granted"}),
        ),
    )
    assert rules_of(events) == ["PERM-PURPOSE"]


# 10. LOG-PII in any encoding, and the access log -------------------------------------------

CANARY = "客户 CANARY-5521"


@pytest.mark.parametrize(
    "line",
    [
        "POST /api/v1/customers name=%E5%AE%A2%E6%88%B7%20CANARY-5521 201",
        'created {"name": "\\u5ba2\\u6237 CANARY-5521"}',
        "search q=%25E5%25AE%25A2%25E6%2588%25B7+CANARY-5521",
        "payload 5a6i5oi3IENBTkFSWS01NTIx",
    ],
)
def test_a_canary_written_any_way_is_found(line):
    events = trace(("canary.planted", {"values": [CANARY]}), ("log.line", {"text": line}))
    assert rules_of(events) == ["LOG-PII"]


def test_the_access_log_shows_personal_data_in_query_strings():
    access = (
        '127.0.0.1 - - [02/Mar/2026:09:00:03 +0000] "GET /api/v1/customers/nearby?'
        'lat=31.230416&lon=121.473701&radius_km=5 HTTP/1.1" 200 512'
    )
    phone = '"GET /api/v1/customers?phone=%2B8613912345678 HTTP/1.1" 200 33'
    events = trace(
        ("log.line", {"text": access, "log": "access", "source": "server"}),
        ("log.line", {"text": phone, "log": "access", "source": "server"}),
        ("log.line", {"text": '"GET /api/v1/customers/3f2a9c1b HTTP/1.1" 200 91', "log": "access"}),
    )
    assert [f.seq for f in findings(events)] == [1, 2]


# 11. residue after withdrawal: delete and anonymize, per purpose ---------------------------


def test_residue_after_a_withdrawal_is_judged_per_purpose_and_by_what_withdrawal_does():
    raw = yaml.safe_load(FIELDNOTES.read_text("utf-8"))
    raw["data_categories"]["user.location.precise"]["on_withdraw"] = "anonymize"
    manifest = manifest_from_dict(raw)
    residue = {
        "after": "withdrawal",
        "categories": ["user.location.precise", "user.device.device_id.android_id"],
        "items": [
            {"category": "user.location.precise", "purpose": "customer_positioning", "count": 2},
            {"category": "user.device.device_id.android_id", "purpose": "security", "count": 1},
        ],
        "source": "server",
    }
    withdrawn = ("consent.withdrawn", {"purposes": ["customer_positioning", "ads_measurement"]})
    events = trace(LAUNCH, AGREE, withdrawn, ("server.residue", residue))
    assert rules_of(events, manifest) == ["CON-WITHDRAW"]
    kept = {**residue, "items": residue["items"][1:], "categories": residue["categories"][1:]}
    assert rules_of(trace(LAUNCH, AGREE, withdrawn, ("server.residue", kept)), manifest) == []


# 12. the app list and the clipboard ---------------------------------------------------------

APPS = ("api.read", {"api": "app_list.read", "category": "user.device.app_list", "count": 41})


def clip(**extra):
    fields = {"api": "clipboard.read", "category": "user.content.clipboard", "count": 1}
    return ("api.read", {**fields, "status": "granted", "detail": "com.tencent.mm", **extra})


def test_the_app_list_the_policy_never_collects_is_found_once_per_feature_run():
    events = trace(
        LAUNCH,
        AGREE,
        *feature(
            "add_customer",
            (APPS[0], {**APPS[1], "feature": "add_customer", "detail": "all"}),
            upload(["user.device.app_list"], feature="add_customer", purpose="account"),
        ),
    )
    found = findings(events)
    assert [f.rule for f in found] == ["CON-NEVER"]
    assert "never collected" in found[0].message


def test_the_app_list_where_a_feature_declares_it_is_fine():
    events = trace(
        LAUNCH,
        agree(["account", "security", "device_risk_control"], ["sdk_statistics"], "2023.11.08"),
        *feature("risk_check", (APPS[0], {**APPS[1], "feature": "risk_check"})),
        app="zhenyi-erp",
    )
    assert rules_of(events, ZHENYI) == []


def test_the_clipboard_read_outside_a_paste_or_sent_is_out_of_scope():
    at_launch = trace(LAUNCH, AGREE, clip(feature=None))
    assert rules_of(at_launch) == ["CON-SCOPE"]
    sent = trace(
        LAUNCH,
        AGREE,
        *feature(
            "add_customer",
            clip(feature="add_customer"),
            upload(["user.content.clipboard"], feature="add_customer"),
        ),
    )
    assert rules_of(sent) == ["CON-SCOPE", "CON-SCOPE"]


def test_a_background_clipboard_read_the_os_refused_is_still_an_attempt():
    events = trace(
        LAUNCH,
        AGREE,
        ("app.exit", {"reason": "user"}),
        clip(feature=None, status="unavailable", count=0, foreground=False),
    )
    assert rules_of(events) == ["CON-SCOPE"]


# 13. limited photos: the read counts what the app got (phone side: test_observation.py) ---


# False findings ---------------------------------------------------------------------------


def test_queued_data_flushed_outside_any_feature_keeps_its_feature():
    events = trace(
        LAUNCH,
        AGREE,
        *feature("add_customer", *GRANT_LOCATION, precise("add_customer")),
        *feature("place_order"),
        upload(
            ["user.location.precise"],
            feature="add_customer",
            purpose="customer_positioning",
        ),
    )
    assert rules_of(events) == []


def test_an_on_device_picker_reading_the_book_and_sending_the_pick_is_fine():
    events = trace(
        LAUNCH,
        AGREE,
        *feature(
            "import_contacts",
            read("contacts.read_all", "user.contacts.entry", "import_contacts", count=200),
            ("contacts.selected", {"ids": ["c17"], "count": 1, "source": "app"}),
            upload(
                ["user.contacts.entry"],
                endpoint="/api/v1/customers/import",
                feature="import_contacts",
                contacts=1,
                contact_ids=["c17"],
            ),
        ),
    )
    assert rules_of(events) == []


def test_a_refusal_days_earlier_does_not_explain_an_unrelated_failure():
    events = trace(
        LAUNCH,
        AGREE,
        *feature(
            "publish_product",
            ("permission.request", {"permissions": ["camera"]}),
            ("permission.result", {"permission": "camera", "status": "denied"}),
            outcome="degraded",
        ),
        ("feature.start", {"feature": "place_order"}, 3 * 86400),
        ("feature.end", {"feature": "place_order", "outcome": "error"}),
    )
    assert rules_of(events) == []


def test_a_crash_right_after_a_refusal_is_still_found():
    events = trace(
        LAUNCH,
        AGREE,
        ("feature.start", {"feature": "publish_product"}),
        ("permission.request", {"permissions": ["camera"]}),
        ("permission.result", {"permission": "camera", "status": "denied"}),
        ("app.exit", {"reason": "crash"}),
    )
    assert rules_of(events) == ["PERM-DENY-SURVIVE"]


# the SDK's own trace of a real app: purposes as the SDK records them ------------------------


def test_an_sdk_trace_is_judged_by_the_purposes_it_records():
    sdk_read = (
        "api.read",
        {
            "api": "location.read",
            "category": "user.location.precise",
            "status": "granted",
            "count": 1,
            "purpose": "customer_positioning",
            "source": "sdk",
        },
    )
    good = trace(AGREE, *feature("add_customer", sdk_read))
    assert rules_of(good) == []
    refused = trace(
        agree(["account", "security"], ["customer_positioning"]),
        *feature("add_customer", sdk_read),
    )
    assert rules_of(refused) == ["CON-REFUSED"]
