"""The seed apps exercise the promises their policies make and the manifests now say."""

from datetime import datetime

import pytest

from consentkit.examples import examples_dir
from consentkit.simulator.run import Job, run_fleet

ROOT = examples_dir()
SEEDS = str(ROOT / "apps" / "seed_apps.py")
REFERENCE = str(ROOT / "scenarios" / "reference.yaml")


@pytest.fixture(scope="module")
def traces():
    jobs = [
        Job(SEEDS, app, REFERENCE, 1, "accept-all", os_mix)
        for app, os_mix in [
            ("incs", "android-13"),
            ("zhenyi-erp", "android-14"),
            ("cargosoon", "android-14"),
            ("cope-erp", "android-12"),
        ]
    ]
    results = run_fleet(jobs, seed=5, workers=1)
    for r in results:
        assert r.errors == [], (r.app, r.errors)
    return {r.app: r.events for r in results}


def _in_feature(events, feature):
    """Events between a start of ``feature`` and its end, with the end's outcome."""
    out, inside = [], False
    for e in events:
        if e["type"] == "feature.start" and e["feature"] == feature:
            inside = True
        elif e["type"] == "feature.end" and e["feature"] == feature:
            out.append(e)
            inside = False
        elif inside:
            out.append(e)
    return out


def test_incs_shares_a_location_on_android_12_and_later(traces):
    events = _in_feature(traces["incs"], "share_location")
    reads = [e for e in events if e["type"] == "api.read" and e.get("api") == "location.read"]
    assert reads, "share_location never got a location"
    asked = [e for e in events if e["type"] == "permission.request"]
    assert {"location.precise", "location.coarse"} <= set(asked[0]["permissions"])
    assert any(e["type"] == "feature.end" and e["outcome"] == "ok" for e in events)


def test_zhenyi_reads_the_app_list_with_authorization_and_keeps_no_call_record(traces):
    events = traces["zhenyi-erp"]
    reads = [e for e in _in_feature(events, "risk_check") if e["type"] == "api.read"]
    assert any(e["api"] == "app_list.read" and e["status"] == "granted" for e in reads)
    uploads = [e for e in events if e["type"] == "net.upload"]
    assert any("user.device.app_list" in e["categories"] for e in uploads)
    assert not any("/calls" in e["endpoint"] for e in uploads)
    assert any(e["type"] == "api.read" and e["api"] == "calls.place" for e in events) or any(
        e["type"] == "feature.end" and e["feature"] == "quick_call" for e in events
    )


def test_zhenyi_major_change_takes_effect_after_its_seven_days_notice(traces):
    events = traces["zhenyi-erp"]
    first = datetime.fromisoformat(events[0]["t"])
    agreed = [e for e in events if e["type"] == "policy.agreed" and "-r" in e["version"]]
    assert agreed, "the major change was never agreed"
    assert (datetime.fromisoformat(agreed[0]["t"]) - first).days >= 7 + 1  # a day of story first


def test_cargosoon_uses_the_app_list_on_the_phone_to_share_and_uploads_it_for_risk(traces):
    events = traces["cargosoon"]
    share = _in_feature(events, "share_cargo")
    assert any(e["type"] == "api.read" and e["api"] == "app_list.read" for e in share)
    assert not any(
        e["type"] == "net.upload" and "user.device.app_list" in e["categories"] for e in share
    )
    risk = [
        e for e in events if e["type"] == "net.upload" and e["purpose"] == "app_list_risk_control"
    ]
    assert risk and "user.device.app_list" in risk[0]["categories"]


def test_cope_logs_phone_information_and_asks_for_the_sensitive_order(traces):
    events = traces["cope-erp"]
    assert any(
        e["type"] == "api.read" and e["api"] == "calls.log_read" and e["status"] == "granted"
        for e in events
    )
    # the SDK's gate lets an order out only under its own, separate consent
    assert any(
        e["type"] == "net.upload" and "user.transaction.order" in e["categories"] for e in events
    )
