"""The virtual phone's own life: its other apps and clipboard, drawn from its seed, and a
persona at the OS's prompts."""

import random

from consentkit.device_sdk import AppBuild
from consentkit.device_sdk.testing import VirtualClock
from consentkit.device_sdk.trace import ListSink, Tracer
from consentkit.simulator.personas import persona
from consentkit.simulator.phone import OsProfile, VirtualPhone


def phone(os_name="android", version=14, who="accept-all", seed=3, build=None):
    clock = VirtualClock()
    tracer = Tracer(ListSink(), "d1", "app", clock.now)
    return VirtualPhone(
        OsProfile(os_name, version, "test phone"),
        persona(who),
        random.Random(seed),
        device_id="d1",
        app_id="app",
        clock=clock,
        tracer=tracer,
        build=build,
    )


def test_other_apps_and_clipboard_replay_from_the_seed_and_differ_between_phones():
    lives = {
        seed: (
            [a.id for a in phone(seed=seed).installed],
            phone(seed=seed).clip,
        )
        for seed in range(12)
    }
    assert lives[3] == ([a.id for a in phone(seed=3).installed], phone(seed=3).clip)
    assert len({tuple(apps) for apps, _ in lives.values()}) > 6
    assert any(clip is None for _, clip in lives.values())
    assert any(clip is not None for _, clip in lives.values())


def test_ios_phones_name_their_apps_by_bundle_id():
    ids = {a.id for a in phone("ios", 17, seed=1).installed}
    android_ids = {a.id for a in phone("android", 14, seed=1).installed}
    assert ids and android_ids and not ids & {"com.tencent.mm", "com.eg.android.AlipayGphone"}


def test_package_visibility_hides_what_the_app_did_not_query():
    p = phone(build=AppBuild(queries=("com.tencent.mm",)), seed=5)
    visible = p.installed_apps()
    assert {a.id for a in visible} <= {"com.tencent.mm"}
    assert len(p.installed) > len(visible)
    assert p.tracer.sink.events[-1]["count"] == len(visible)


def test_the_persona_answers_the_paste_prompt():
    for who, expected in (("accept-all", True), ("privacy-first", False)):
        p = phone("ios", 17, who=who, seed=2)
        p.copy_in_other_app("hello", "com.tencent.xin")
        assert (p.read_clipboard() == "hello") is expected
        dialogs = [e for e in p.tracer.sink.events if e["type"] == "permission.dialog"]
        assert [d["permission"] for d in dialogs] == ["clipboard"]
