"""docs/trace.md is the complete reference of the trace: every event type and field that
the project writes, and every one the rules read, is documented there."""

import ast
import re
from pathlib import Path

import yaml

from consentkit.simulator.run import Job, run_fleet
from tests.conftest import ROOT

DOC = ROOT / "docs" / "trace.md"
PKG = ROOT / "consentkit"
RULES = PKG / "simulator" / "rules"
EVENT_NAMES = {"e", "event"}
COMMON = {"seq", "t", "device", "app", "type", "source"}


def documented() -> set[str]:
    return set(re.findall(r"`([a-z_][a-z0-9_.]*)`", DOC.read_text("utf-8")))


def documented_types() -> set[str]:
    """Event types with a row of their own (or a paragraph opening with them)."""
    text = DOC.read_text("utf-8")
    return set(re.findall(r"^(?:\| )?`([a-z]+\.[a-z_]+)`", text, re.M))


def _trees(*folders: Path):
    for folder in folders:
        for path in folder.rglob("*.py"):
            yield path, ast.parse(path.read_text("utf-8"))


def emitted() -> dict[str, set[str]]:
    """Every ``tracer.emit("type", field=...)`` in the package and the example apps."""
    out: dict[str, set[str]] = {}
    for _path, tree in _trees(PKG, ROOT / "examples"):
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "attr", None) == "emit"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                fields = {k.arg for k in node.keywords if k.arg}
                out.setdefault(node.args[0].value, set()).update(fields)
    return out


def read_by_rules() -> tuple[set[str], set[str]]:
    """Event types and fields the rules read: the catalogue's ``events``, the state's
    ``_on_<type>`` handlers, ``e["type"] == ...`` comparisons, ``e.get(...)``/``e[...]``."""
    catalogue = yaml.safe_load((PKG / "simulator" / "data" / "rules.yaml").read_text())
    types = {t for rule in catalogue["rules"] for t in rule["events"]}
    fields: set[str] = set()
    for _path, tree in _trees(RULES):
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and node.name.startswith("_on_"):
                kind, _, rest = node.name[4:].partition("_")
                types.add(f"{kind}.{rest}")
            if isinstance(node, ast.Compare) and _is_event_key(node.left, "type"):
                for c in node.comparators:
                    if isinstance(c, ast.Constant) and isinstance(c.value, str):
                        types.add(c.value)
            if isinstance(node, ast.Subscript) and _event(node.value):
                key = node.slice
                if isinstance(key, ast.Constant) and isinstance(key.value, str):
                    fields.add(key.value)
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "attr", None) == "get"
                and _event(node.func.value)
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                fields.add(node.args[0].value)
    return types, {f for f in fields if not f.startswith("_")}


def _event(node: ast.AST) -> bool:
    return isinstance(node, ast.Name) and node.id in EVENT_NAMES | {"item"}


def _is_event_key(node: ast.AST, key: str) -> bool:
    return (
        isinstance(node, ast.Subscript)
        and _event(node.value)
        and isinstance(node.slice, ast.Constant)
        and node.slice.value == key
    )


def test_every_event_type_and_field_the_rules_read_is_documented():
    types, fields = read_by_rules()
    assert {"api.read", "net.upload", "policy.published", "server.residue"} <= types
    assert {"purpose", "feature", "contact_ids", "gps_in_media", "flow"} <= fields
    assert sorted(types - documented_types()) == []
    assert sorted(fields - documented()) == []


def test_every_event_type_and_field_the_project_writes_is_documented():
    written = emitted()
    assert len(written) > 30
    assert sorted(set(written) - documented_types()) == []
    missing = {t: sorted(f - documented() - {"source"}) for t, f in written.items()}
    assert {t: f for t, f in missing.items() if f} == {}


def test_what_a_phone_actually_records_is_documented(tmp_path):
    """The phone builds some events from dicts (attribution, network findings): run it."""
    apps = str(Path(__file__).parent / "apps" / "observed.py")
    scenario = tmp_path / "s.yaml"
    scenario.write_text(
        "name: s\napp: any\nsteps: [launch, register, use_all, restart, flush, cancel_account]\n"
    )
    results = run_fleet(
        [
            Job(apps, name, str(scenario), 1, "accept-all", "android-14")
            for name in ("own-http", "queue-then-flush", "background")
        ],
        seed=5,
        workers=1,
    )
    seen: dict[str, set[str]] = {}
    for result in results:
        for e in result.events:
            seen.setdefault(e["type"], set()).update(e)
    assert {"api.read", "net.upload", "net.response", "log.line"} <= set(seen)
    assert sorted(set(seen) - documented_types()) == []
    undocumented = {t: sorted(f - documented() - COMMON) for t, f in seen.items()}
    assert {t: f for t, f in undocumented.items() if f} == {}


def test_docs_send_no_reader_to_shared_trace():
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        assert "TRACE.md" not in path.read_text("utf-8"), path
    for path in PKG.rglob("*.py"):
        assert "shared/TRACE.md" not in path.read_text("utf-8"), path


def test_docs_say_how_every_rule_decides():
    from consentkit.simulator.rules import catalogue

    text = (ROOT / "docs" / "simulator.md").read_text("utf-8")
    rows = set(re.findall(r"^\| ([A-Z-]+) \|", text, re.M))
    assert {r.id for r in catalogue()} <= rows
