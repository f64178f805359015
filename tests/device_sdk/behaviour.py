"""Runs the behaviour tables (``behaviour/android.yaml``, ``behaviour/ios.yaml``).

A table case is a phone (OS release, the app's package, Play services) and steps: a
permission request with the user's answers, or an action on the phone. Each step says
what the user sees (the OS's dialogs, in order) and what the app gets. The same case runs
on three phones — the SDK's test phone, the simulator's virtual phone and the SDK itself
on the test phone — and all three must match the table, so they cannot disagree.
"""

from __future__ import annotations

import contextlib
import random
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from consentkit.device_sdk import AppBuild, ConsentKit, DeviceStore
from consentkit.device_sdk.gate import Gate
from consentkit.device_sdk.os_model import AppTerminated
from consentkit.device_sdk.os_rules import rules_for
from consentkit.device_sdk.platform import (
    Contact,
    IdentifierUnavailable,
    PlatformPermissionError,
)
from consentkit.device_sdk.testing import ScriptedPhone, ScriptedUI, VirtualClock
from consentkit.device_sdk.trace import ListSink, Tracer
from consentkit.policy import Manifest, parse_manifest, taxonomy

TABLES = Path(__file__).resolve().parent / "behaviour"
FEATURE = "everything"


@dataclass
class Case:
    os: str
    release: str
    name: str
    rules: list[str]
    steps: list[dict[str, Any]]
    build: dict[str, Any] = field(default_factory=dict)
    phone: dict[str, Any] = field(default_factory=dict)
    before: str | None = None

    @property
    def id(self) -> str:
        return f"{self.os}-{self.release}: {self.name}"


@cache
def table(os_name: str) -> dict[str, Any]:
    return yaml.safe_load((TABLES / f"{os_name}.yaml").read_text("utf-8"))


def cases(os_name: str) -> list[Case]:
    """Every case of one OS, once per release it names."""
    out = []
    for raw in table(os_name)["cases"]:
        rules = raw["rules"] if isinstance(raw["rules"], list) else [raw["rules"]]
        for release in raw["releases"]:
            out.append(
                Case(
                    os_name,
                    str(release),
                    raw["name"],
                    rules,
                    raw["steps"],
                    raw.get("build", {}),
                    raw.get("phone", {}),
                    raw.get("before"),
                )
            )
    return out


# the phones ------------------------------------------------------------------------------------


class Script:
    """The user's answers for one step, consumed in order; a dialog with no answer left
    fails the step."""

    def __init__(self) -> None:
        self.answers: list[str] = []

    def __call__(self, group: tuple[str, ...], options: tuple[str, ...]) -> str:
        if not self.answers:
            raise AssertionError(f"a dialog the table did not expect: {group} {options}")
        return self.answers.pop(0)


def _build(case: Case) -> AppBuild:
    raw = dict(case.build)
    if "declares" in raw:
        raw["declares"] = frozenset(raw["declares"])
    return AppBuild(package="com.example.behaviour", **raw)


def scripted_phone(case: Case, script: Script) -> ScriptedPhone:
    return ScriptedPhone(
        case.os,
        case.release,
        answers=script,
        app_id="behaviour",
        build=_build(case),
        play_services=case.phone.get("play_services", True),
    )


def virtual_phone(case: Case, script: Script):
    """The simulator's phone, its persona replaced by the table's script."""
    from consentkit.simulator.personas import persona
    from consentkit.simulator.phone import OsProfile, VirtualPhone

    clock = VirtualClock()
    profile = OsProfile(case.os, case.release, "table phone", case.phone.get("play_services", True))
    phone = VirtualPhone(
        profile,
        persona("accept-all"),
        random.Random(7),
        device_id="table",
        app_id="behaviour",
        clock=clock,
        tracer=Tracer(ListSink(), "table", "behaviour", clock.now),
        build=_build(case),
    )
    phone.os.answer = script
    # Its own life (scrambled identifiers, other apps, clipboard, album, how many photos
    # the persona picks) gives way to the test phone's fixed content: the table checks
    # the OS's behaviour, and its values are the test phone's.
    fixed = ScriptedPhone(case.os, case.release)
    for name in ("identifiers", "installed", "clip", "picked_photos", "picked_contacts"):
        setattr(phone, name, getattr(fixed, name))
    phone._photos, phone._contacts = fixed.photos, fixed.contacts
    return phone


@cache
def manifest() -> Manifest:
    """Every permission in one feature, each with a category that needs it."""
    tax = taxonomy()
    categories = {}
    for p, permission in tax.permissions.items():
        if permission.needs_category:
            category = tax.categories_needing(p)[0]
            purpose = "sensitive" if category.sensitive else "service"
            categories[category.fides_key] = {
                "purposes": [purpose],
                "retention": "P1Y",
                "on_withdraw": "delete",
            }
    doc = {
        "format": 1,
        "app": {
            "id": "behaviour",
            "name": "Behaviour table",
            "controller": {"name": "Example", "contact": "privacy@example.com"},
            "jurisdictions": ["CN"],
            "policy": {"version": "1", "effective": "2024-01-01", "change": "major"},
        },
        "purposes": {
            "service": {"description": "Run the app.", "kind": "essential.service", "basic": True},
            "sensitive": {"description": "Sensitive parts.", "kind": "essential.service"},
        },
        "data_categories": categories,
        "permissions": {p: {"rationale": f"Why the app needs {p}."} for p in tax.permissions},
        "features": {
            FEATURE: {
                "basic": True,
                "purposes": ["service", "sensitive"],
                "permissions": list(tax.permissions),
                "collects": list(categories),
            }
        },
        "rights": {"calendar": "CN", "cancellation": {"within": 7, "unit": "working_days"}},
        "prompts": {"reask_after": "PT0S", "max_optional_per_request": 1},
    }
    return parse_manifest(yaml.safe_dump(doc))


class _Consents:
    """Everything agreed and consented: the table is about the OS, not consent."""

    agreed = True
    needs_guardian = False

    def consented(self, purpose: str) -> bool:
        return True

    def category_consented(self, category: str) -> bool:
        return True


def sdk_on(phone: ScriptedPhone) -> ConsentKit:
    """The real SDK on the phone, its policy agreed, inside the one feature."""
    sdk = ConsentKit("behaviour", phone, ScriptedUI(), store=DeviceStore())
    sdk.consents.manifest = manifest()
    sdk._gate = Gate(manifest(), _Consents(), sdk.permissions, phone.now)
    sdk.gate.start_feature(FEATURE)
    return sdk


# running a case ----------------------------------------------------------------------------------


ERRORS = (PlatformPermissionError, AppTerminated, IdentifierUnavailable)
SHOWN = ("permission.dialog", "os.notice")  # what the user sees: dialogs and notices


def _dialogs(phone, since: int) -> list[dict[str, Any]]:
    return [e for e in phone.tracer.sink.events[since:] if e["type"] in SHOWN]


def _matches(seen: dict[str, Any], expected: str | dict[str, Any]) -> bool:
    if seen["type"] == "os.notice" or (isinstance(expected, dict) and "notice" in expected):
        return isinstance(expected, dict) and seen.get("notice") == expected.get("notice")
    if isinstance(expected, str):
        return seen["permission"] == expected and seen["kind"] == "permission"
    want = {"permission": expected["dialog"], "kind": expected.get("kind", "permission")}
    for key in ("options", "precise_switch"):
        if key in expected:
            want[key] = expected[key]
    if "needless" in expected:
        return (
            all(seen.get(k) == v for k, v in want.items())
            and bool(seen.get("needless")) is expected["needless"]
        )
    return all(seen.get(k) == v for k, v in want.items())


def check_sees(phone, since: int, sees: list, where: str) -> None:
    dialogs = _dialogs(phone, since)
    shown = [d.get("notice") or (d["permission"], d["kind"], d["options"]) for d in dialogs]
    assert len(dialogs) == len(sees) and all(
        _matches(d, e) for d, e in zip(dialogs, sees, strict=True)
    ), f"{where}: the user saw {shown}, the table says {sees}"


def act(phone, action: str | dict[str, Any]) -> Any:
    """A phone action of the table; returns what the app got."""
    name, arg = (action, None) if isinstance(action, str) else next(iter(action.items()))
    if name == "end_session":
        return phone.end_session()
    if name == "launch":
        return phone.launch()
    if name == "advance_days":
        return phone.advance(days=arg)
    if name == "settings":
        for permission, status in arg.items():
            phone.change_setting(permission, status)
        return None
    if name == "identifier":
        return phone.identifier(arg)
    if name == "background_location":
        return phone.location_fix(precise=False, background=True).lat is not None
    if name == "save_photo":
        return bool(phone.save_photo(b"\xff\xd8 a photo"))
    if name == "add_contact":
        return phone.add_contact(Contact("made", "Made by the app", ("+8613800000000",))).id
    if name == "address_book":
        return len(phone.address_book())
    if name == "all_photos":
        return len(phone.all_photos())
    if name == "wifi_networks":
        return len(phone.wifi_networks())
    if name == "installed_apps":
        return len(phone.installed_apps())
    if name == "read_clipboard":
        return phone.read_clipboard()
    raise AssertionError(f"unknown action {name!r}")


def run_phone(case: Case, make) -> None:
    """The case on a bare phone: requests straight to the OS."""
    script = Script()
    phone = make(case, script)
    for n, step in enumerate(case.steps, 1):
        where = f"{case.id}, step {n}"
        since = len(phone.tracer.sink.events)
        script.answers = list(step.get("answers", []))
        if "request" in step:
            if step.get("gets") == "terminated":
                try:
                    phone.request_permissions(step["request"])
                except AppTerminated:
                    pass
                else:
                    raise AssertionError(f"{where}: the app was not terminated")
            else:
                got = phone.request_permissions(step["request"])
                assert got == step["gets"], f"{where}: the app got {got}, not {step['gets']}"
        else:
            try:
                got = act(phone, step["action"])
            except ERRORS as exc:
                got = f"error: {type(exc).__name__}"
            if "gets" in step:
                assert got == step["gets"], f"{where}: {step['action']} gave {got!r}"
        check_sees(phone, since, step.get("sees", []), where)
        assert not script.answers, f"{where}: answers left over {script.answers}"
        for permission, status in step.get("status", {}).items():
            true = phone.os.true_status(permission)
            assert true == status, f"{where}: the OS holds {permission} {true}, not {status}"


def run_sdk(case: Case) -> None:
    """The case through the SDK: ``request_permission`` for the step's permission (or
    what the step's ``sdk`` part says the SDK asks instead). The SDK must see the same
    dialogs and know the same statuses as the OS, unless the table says why not."""
    script = Script()
    phone = scripted_phone(case, script)
    sdk = sdk_on(phone)
    for n, step in enumerate(case.steps, 1):
        where = f"{case.id}, SDK step {n}"
        own = step.get("sdk", {})
        if own is False:
            continue  # a request the SDK never makes; the table says why
        since = len(phone.tracer.sink.events)
        script.answers = list(own.get("answers", step.get("answers", [])))
        if "request" in step:
            wanted = own.get("request", step["request"][0])
            decision = sdk.request_permission(wanted, FEATURE)
            if "decision" in own:
                assert decision.reason == own["decision"], f"{where}: {decision}"
            for needle in own.get("detail", []):
                assert needle in decision.detail, f"{where}: {decision.detail!r} lacks {needle!r}"
        else:
            with contextlib.suppress(*ERRORS):
                act(phone, step["action"])
        check_sees(phone, since, own.get("sees", step.get("sees", [])), where)
        assert not script.answers, f"{where}: answers left over {script.answers}"
        expected = {**step.get("status", {}), **own.get("status", {})}
        for permission, status in expected.items():
            known = sdk.permissions.status(permission)
            assert known == status, f"{where}: the SDK says {permission} is {known}, not {status}"


def releases_with_rule(os_name: str, *, before: bool = False) -> dict[str, set[str]]:
    """Which releases the cases show each rule on (``before``: show the behaviour the
    rule replaced, on the releases before it)."""
    seen: dict[str, set[str]] = {}
    for case in cases(os_name):
        for rule in [case.before] if before else case.rules:
            if rule:
                seen.setdefault(rule, set()).add(case.release)
    return seen


def release_of(os_name: str, version: str) -> str:
    return rules_for(os_name, version).version
