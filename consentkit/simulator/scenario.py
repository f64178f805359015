"""Scenarios: what a scripted user does, step by step, as YAML.

    name: reference
    app: zhenyi-erp            # the app it was written for, or "any"
    steps:
      - launch                 # cold start: the policy screen, answered by the persona
      - register
      - logout
      - login                  # with the password chosen at registration
      - use: add_customer      # the user starts a feature
      - use_all                # every feature of the policy, in manifest order
      - advance: P2D           # virtual time passes (ISO-8601)
      - settings: {permission: camera, status: denied}
      - revoke                 # a revoker persona turns a granted permission off
      - withdraw: [customer_positioning]
      - withdraw_optional      # withdraws one optional purpose the user had granted
      - grant: [customer_positioning]
      - publish_policy: major  # the server publishes a new version (major | minor)
      - restart                # exit and cold start
      - update_app: 1.1.0
      - flush
      - export                 # the user asks for a copy of their data
      - cancel_account         # closes the account (password re-entered)
      - wait_deadline          # days pass, the server's jobs run, until the purge is seen

Errors name the file, the line, the step and the reason, like manifest errors; every
problem of a file is reported in one pass, with "did you mean" for a misspelt name, and
the features, purposes and permissions a scenario names are checked against the app's
policy in that same pass.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..policy import Manifest, taxonomy
from ..policy.durations import DurationError, parse_duration
from ..policy.located import LocatedError, Problem, line_index
from ..policy.schema import ID_PATTERN

__all__ = [
    "STEPS",
    "Scenario",
    "ScenarioInvalid",
    "Step",
    "check_against",
    "load_scenario",
    "parse_scenario",
]

_ID = re.compile(ID_PATTERN)
KEYS = ("name", "app", "steps", "description")
SETTINGS = ("granted", "limited", "denied")


def _suggest(name: Any, known: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` for the nearest known name, or nothing."""
    close = difflib.get_close_matches(str(name), sorted(set(known)), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


# step -> (does it take an argument, a check of the argument returning an error or None)


def _no_arg(value: Any) -> str | None:
    return None if value is None else "takes no argument"


def _feature(value: Any) -> str | None:
    return None if isinstance(value, str) and _ID.match(value) else "needs a feature id"


def _duration(value: Any) -> str | None:
    if not isinstance(value, str):
        return "needs an ISO-8601 duration such as PT2H or P7D"
    try:
        parse_duration(value, words=False)
    except DurationError as exc:
        return str(exc)
    return None


def _purposes(value: Any) -> str | None:
    if (
        isinstance(value, list)
        and value
        and all(isinstance(v, str) and _ID.match(v) for v in value)
    ):
        return None
    return "needs a list of purpose ids"


def _setting(value: Any) -> str | None:
    if not isinstance(value, dict) or set(value) != {"permission", "status"}:
        return "needs {permission: ..., status: granted|limited|denied}"
    if not isinstance(value["permission"], str):
        return "needs a permission id, such as camera"
    if value["status"] not in SETTINGS:
        return (
            f"status {value['status']!r} is not granted, limited or denied"
            f"{_suggest(value['status'], SETTINGS)}"
        )
    return None


def _change(value: Any) -> str | None:
    if value in ("major", "minor"):
        return None
    return f"needs major or minor{_suggest(value, ('major', 'minor'))}"


def _version(value: Any) -> str | None:
    return None if isinstance(value, str) and value else "needs an app version string"


STEPS = {
    "launch": _no_arg,
    "restart": _no_arg,
    "register": _no_arg,
    "logout": _no_arg,
    "login": _no_arg,
    "use": _feature,
    "use_all": _no_arg,
    "advance": _duration,
    "settings": _setting,
    "revoke": _no_arg,
    "withdraw": _purposes,
    "withdraw_optional": _no_arg,
    "grant": _purposes,
    "publish_policy": _change,
    "update_app": _version,
    "flush": _no_arg,
    "export": _no_arg,
    "cancel_account": _no_arg,
    "wait_deadline": _no_arg,
}


class ScenarioInvalid(LocatedError):
    """The scenario cannot run; ``problems`` says where and why."""


@dataclass(frozen=True)
class Step:
    kind: str
    arg: Any = None
    line: int | None = None
    index: int = 0  # its place in the file's list of steps


@dataclass(frozen=True)
class Scenario:
    name: str
    app: str
    steps: tuple[Step, ...]
    description: str = ""
    source: str = ""


def load_scenario(path: str | Path, manifest: Manifest | None = None) -> Scenario:
    """The scenario at ``path``, checked against ``manifest`` when given."""
    path = Path(path)
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioInvalid([Problem(str(path), "", f"cannot read the file: {exc}")]) from None
    return parse_scenario(text, str(path), manifest)


def parse_scenario(
    text: str, source: str = "<scenario>", manifest: Manifest | None = None
) -> Scenario:
    """Every problem of the text in one pass: shape, steps, and the names it uses (against
    ``manifest`` when given, otherwise only what the taxonomy knows)."""
    try:
        data = yaml.safe_load(text)
        lines = line_index(yaml.compose(text)) if data is not None else {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ScenarioInvalid(
            [
                Problem(
                    source,
                    "",
                    f"not valid YAML: {getattr(exc, 'problem', None) or exc}",
                    mark.line + 1 if mark else None,
                )
            ]
        ) from None
    problems: list[Problem] = []

    def bad(path: str, message: str, parts: tuple = ()) -> None:
        problems.append(Problem(source, path, message, lines.get(parts)))

    if not isinstance(data, dict):
        raise ScenarioInvalid(
            [Problem(source, "", "a scenario is a mapping with name, app and steps")]
        )
    for key in sorted(set(data) - set(KEYS), key=str):
        bad(str(key), f"unknown key{_suggest(key, KEYS)}", (key,))
    for key in ("name", "app"):
        if not isinstance(data.get(key), str) or not data.get(key):
            bad(key, "required text is missing", (key,))
    if not isinstance(data.get("description", ""), str):
        bad("description", "needs text", ("description",))
    steps_raw = data.get("steps")
    steps: list[Step] = []
    if not isinstance(steps_raw, list) or not steps_raw:
        bad("steps", "needs a list of steps", ("steps",))
        steps_raw = []
    for i, raw in enumerate(steps_raw):
        where, parts = f"steps[{i}]", ("steps", i)
        if isinstance(raw, str):
            kind, arg = raw, None
        elif isinstance(raw, dict) and len(raw) == 1:
            kind, arg = next(iter(raw.items()))
        else:
            bad(where, "a step is a name or a one-key mapping such as {use: add_customer}", parts)
            continue
        check = STEPS.get(kind) if isinstance(kind, str) else None
        if check is None:
            bad(
                where,
                f"unknown step {kind!r}{_suggest(kind, STEPS)}; known: {', '.join(STEPS)}",
                parts,
            )
            continue
        error = check(arg)
        if error:
            bad(f"{where}.{kind}", error, parts)
            continue
        steps.append(Step(kind, arg, lines.get(parts), i))
    scenario = Scenario(
        data.get("name") or "",
        data.get("app") or "",
        tuple(steps),
        data.get("description") or "",
        source,
    )
    problems += _name_problems(scenario, manifest)
    if problems:
        raise ScenarioInvalid(sorted(problems, key=lambda p: (p.line or 0, p.path)))
    return scenario


def _name_problems(scenario: Scenario, manifest: Manifest | None) -> list[Problem]:
    """Features, purposes and permissions the steps name that the policy does not have."""
    problems = []
    permissions = manifest.permissions if manifest else taxonomy().permissions
    owner = f"{manifest.id} has" if manifest else "there is"
    for step in scenario.steps:
        names: list[tuple[str, Iterable[str], str]] = []
        if step.kind == "use" and manifest:
            names = [(step.arg, manifest.features, "feature")]
        elif step.kind in ("withdraw", "grant") and manifest:
            names = [(p, manifest.purposes, "purpose") for p in step.arg]
        elif step.kind == "settings":
            names = [(step.arg["permission"], permissions, "permission")]
        for name, known, what in names:
            if name not in known:
                problems.append(
                    Problem(
                        scenario.source,
                        f"steps[{step.index}].{step.kind}",
                        f"{owner} no {what} {name!r}{_suggest(name, known)}",
                        step.line,
                    )
                )
    return problems


def check_against(scenario: Scenario, manifest: Manifest) -> None:
    """Features, purposes and permissions a scenario names must exist in the app's policy."""
    problems = _name_problems(scenario, manifest)
    if problems:
        raise ScenarioInvalid(problems)
