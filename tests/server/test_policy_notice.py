"""Promises about policy changes the server keeps: notice before a change takes effect,
and the events the policy counts as a major change."""

from datetime import UTC, datetime, timedelta

import pytest
import yaml

from consentkit.examples import manifest_paths
from consentkit.policy import manifest_from_dict
from consentkit.server import db
from consentkit.server.problems import Problem
from consentkit.server.services import policies

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 09:00 in China


def _seed(name: str) -> dict:
    path = next(p for p in manifest_paths() if p.stem == name)
    return yaml.safe_load(path.read_text("utf-8"))


@pytest.fixture
def clock(app):
    now = {"t": NOW}
    app.extensions["consentkit.clock"] = lambda: now["t"]
    return now


def _publish(app, data: dict):
    with app.app_context():
        s = db.session()
        row, _ = policies.publish(s, manifest_from_dict(data))
        s.commit()
        return row.version


def _in_force(client, app_id: str) -> str:
    return client.get(f"/api/v1/apps/{app_id}/policy").json["version"]


def test_a_change_cannot_take_effect_before_zhenyis_seven_days(app, client, clock):
    data = _seed("zhenyi-erp")
    data["app"]["policy"].update(version="2026.03.02", change="major", effective="2026-03-02")
    with pytest.raises(Problem) as refused:
        _publish(app, data)
    assert refused.value.code == "notice_period_not_run"
    # 7 days from 03-02 01:00 end on 03-09 01:00: the change takes effect the next day
    assert "effective: 2026-03-10 or later" in refused.value.detail
    assert _in_force(client, "zhenyi-erp") == "2023.11.08"


def test_an_announced_version_takes_effect_on_its_date(app, client, clock):
    data = _seed("zhenyi-erp")
    data["app"]["policy"].update(version="2026.03.10", change="major", effective="2026-03-10")
    _publish(app, data)
    assert _in_force(client, "zhenyi-erp") == "2023.11.08"  # announced, not yet in force
    clock["t"] = NOW + timedelta(days=7, hours=22)  # 2026-03-09 23:00 UTC
    assert _in_force(client, "zhenyi-erp") == "2023.11.08"
    clock["t"] = NOW + timedelta(days=8)  # 2026-03-10 01:00 UTC: in force at once
    assert _in_force(client, "zhenyi-erp") == "2026.03.10"


def test_a_policy_without_a_notice_period_changes_at_once(app, client, clock):
    data = _seed("order-desk")
    data["app"]["policy"].update(version="2.0", change="major", effective="2026-03-02")
    _publish(app, data)
    assert _in_force(client, "order-desk") == "2.0"


def test_an_event_the_policy_counts_as_major_cannot_be_published_as_minor(app, clock):
    data = _seed("incs")
    data["app"]["policy"].update(version="2026.03.02", change="minor", effective="2026-03-02")
    data["app"]["controller"]["contact"] = "dpo@incs.example.com"  # contact_change
    with pytest.raises(Problem) as refused:
        _publish(app, data)
    assert refused.value.code == "major_change_required"
    assert "contact_change" in refused.value.detail
    data["app"]["policy"]["change"] = "major"
    assert _publish(app, data) == "2026.03.02"


def test_what_the_policy_calls_sensitive_needs_its_own_consent(api):
    """COPE calls transaction information sensitive: an order needs its own tick."""
    tokens = api.register()
    api.consent(tokens["access_token"], app_id="cope-erp")
    order = {
        "category": "user.transaction.order",
        "purpose": "account",
        "feature": "place_order",
        "collected_at": datetime.now(UTC).isoformat(),
        "payload": {"ref": "SO-1", "total": "9.90"},
    }
    r = api.collect(tokens["access_token"], [order], app_id="cope-erp")
    assert r.json["results"][0]["code"] == "sensitive_consent_required"
    api.consent(
        tokens["access_token"],
        app_id="cope-erp",
        categories={"user.transaction.order": True},
    )
    r = api.collect(tokens["access_token"], [order], app_id="cope-erp")
    assert r.json["results"][0]["status"] == "accepted", r.json
