"""The documentation of the OS tables, generated from them.

The README's list of what the tables reproduce and docs/platforms.md's rule table are
written from ``data/os_rules.yaml``, between marker comments, so they never drift from
what the SDK and the virtual phone do. A test checks both files against this output.

    python -m consentkit.device_sdk.rules_doc            # print the sections
    python -m consentkit.device_sdk.rules_doc --write    # rewrite README.md, docs/platforms.md
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from .os_rules import OsRule, os_rules_table, release_key

__all__ = ["SECTIONS", "replace_sections", "rule_list", "rule_table", "sections"]

NAMES = {"android": "Android", "ios": "iOS"}
# Which generated section each document carries.
SECTIONS = {"README.md": ("os-rules",), "docs/platforms.md": ("os-rules-table",)}


def _releases(rule: OsRule) -> str:
    return f"{NAMES[rule.os]} {rule.releases}"


def _in_release_order(os_name: str) -> list[OsRule]:
    """Oldest first; rules of the same release in the table's order."""
    return sorted(os_rules_table(os_name), key=lambda rule: release_key(rule.since))


def rule_list() -> str:
    """One line per rule: the releases, what it does, its source."""
    lines = []
    for os_name in NAMES:
        lines.append(f"{NAMES[os_name]}:\n")
        for rule in _in_release_order(os_name):
            lines.append(f"- **{_releases(rule)}**: {rule.says} ([source]({rule.source}))")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def rule_table() -> str:
    """The same rules as a table with their ids, for the platform reference."""
    rows = [
        "| releases | rule | what the SDK and the virtual phone do | source |",
        "|---|---|---|---|",
    ]
    for os_name in NAMES:
        for rule in os_rules_table(os_name):
            says = rule.says.replace("|", "\\|")
            rows.append(f"| {_releases(rule)} | `{rule.id}` | {says} | [link]({rule.source}) |")
    return "\n".join(rows) + "\n"


def sections() -> dict[str, str]:
    return {"os-rules": rule_list(), "os-rules-table": rule_table()}


def replace_sections(text: str, names: tuple[str, ...]) -> str:
    """``text`` with each named section between its markers regenerated."""
    generated = sections()
    for name in names:
        begin, end = f"<!-- {name}:begin -->\n", f"<!-- {name}:end -->"
        pattern = re.compile(re.escape(begin) + ".*?" + re.escape(end), flags=re.DOTALL)
        if not pattern.search(text):
            raise ValueError(f"no {begin.strip()} … {end} markers")
        section = begin + generated[name] + end
        text = pattern.sub(lambda _match, section=section: section, text)
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="rewrite the documents in place")
    parser.add_argument("--root", default=".", help="the checkout (default: here)")
    args = parser.parse_args(argv)
    if not args.write:
        for name, text in sections().items():
            print(f"<!-- {name} -->\n{text}")
        return 0
    for document, names in SECTIONS.items():
        path = Path(args.root) / document
        try:
            path.write_text(replace_sections(path.read_text("utf-8"), names), "utf-8")
        except (OSError, ValueError) as exc:
            print(f"{path}: {exc}", file=sys.stderr)
            return 1
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
