"""The behaviour tables, release by release, on the SDK's test phone, the simulator's
virtual phone and the SDK — the three must agree with the table and so with each other."""

import pytest

from consentkit.device_sdk.os_rules import os_rules_table, release_key, supported_releases
from tests.device_sdk.behaviour import (
    cases,
    releases_with_rule,
    run_phone,
    run_sdk,
    scripted_phone,
    virtual_phone,
)

ALL = cases("android") + cases("ios")


@pytest.mark.parametrize("case", ALL, ids=lambda c: c.id)
def test_the_sdk_test_phone_behaves_as_the_table_says(case):
    run_phone(case, scripted_phone)


@pytest.mark.parametrize("case", ALL, ids=lambda c: c.id)
def test_the_virtual_phone_behaves_as_the_table_says(case):
    run_phone(case, virtual_phone)


@pytest.mark.parametrize("case", ALL, ids=lambda c: c.id)
def test_the_sdk_sees_and_knows_what_the_table_says(case):
    run_sdk(case)


@pytest.mark.parametrize("os_name", ["android", "ios"])
def test_every_rule_is_shown_on_releases_it_applies_to(os_name):
    """Each rule of os_rules.yaml has cases, and no case claims a rule outside its
    releases."""
    shown = releases_with_rule(os_name)
    for rule in os_rules_table(os_name):
        assert rule.id in shown, f"no case shows {os_name} rule {rule.id}"
        outside = {r for r in shown[rule.id] if not rule.applies_to(r)}
        assert not outside, f"{rule.id} does not apply to {sorted(outside)}"
    rules = {r.id: r for r in os_rules_table(os_name)}
    before = releases_with_rule(os_name, before=True)
    unknown = (set(shown) | set(before)) - set(rules)
    assert not unknown, f"cases name rules that do not exist: {unknown}"
    for rule_id, releases in before.items():
        since = release_key(rules[rule_id].since)
        late = {r for r in releases if release_key(r) >= since}
        assert not late, f"cases before {rule_id} run on {sorted(late)}, where it applies"


@pytest.mark.parametrize("os_name", ["android", "ios"])
def test_every_release_has_its_own_table(os_name):
    per_release = {r: 0 for r in supported_releases(os_name)}
    for case in cases(os_name):
        per_release[case.release] += 1
    thin = {r: n for r, n in per_release.items() if n < 10}
    assert not thin, f"releases with fewer than 10 cases: {thin}"
    assert sorted(per_release, key=release_key) == supported_releases(os_name)
