"""DESIGN.md's dependency rules, checked on every import statement."""

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parent.parent / "consentkit"

FORBIDDEN = {
    "policy": {"server", "device_sdk", "simulator", "commands"},
    "server": {"device_sdk", "simulator", "commands"},
    "device_sdk": {"server", "simulator", "commands"},
    "simulator": {"commands"},
}


def _imports(path: Path) -> set[str]:
    """Top-level consentkit subpackages a module imports, absolute or relative."""
    rel = path.relative_to(PKG).parts
    found = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = list(rel[: len(rel) - node.level])
                names = [".".join(["consentkit", *base, *(node.module or "").split(".")])]
                names += [f"{names[0]}.{a.name}" for a in node.names] if not node.module else []
            else:
                names = [node.module or ""]
        else:
            continue
        for name in names:
            parts = [p for p in name.split(".") if p]
            if len(parts) > 1 and parts[0] == "consentkit":
                found.add(parts[1])
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_keeps_its_dependency_rules(package):
    offences = []
    for path in (PKG / package).rglob("*.py"):
        bad = _imports(path) & FORBIDDEN[package]
        if bad:
            offences.append(f"{path.relative_to(PKG)} imports {sorted(bad)}")
    assert not offences, offences


def test_simulator_starts_the_server_in_one_place_only():
    users = [p for p in (PKG / "simulator").rglob("*.py") if "server" in _imports(p)]
    assert len(users) <= 1, users
