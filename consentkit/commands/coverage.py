"""``consentkit policy coverage``: is every promise of the policy text in the manifest?"""

from __future__ import annotations

import json
from pathlib import Path

import click
import yaml

from ..policy import ManifestInvalid, load_manifest
from ..policy.clauses import (
    TODO,
    ClauseMap,
    ClauseMapInvalid,
    clause_map_path,
    load_clause_map,
)
from ..policy.coverage import Coverage
from ..policy.coverage import coverage as measure
from ..policy.sentences import split_sentences

EXCERPT = 70


@click.command()
@click.argument("manifest", type=click.Path(dir_okay=False))
@click.option(
    "--text",
    "text_path",
    required=True,
    type=click.Path(dir_okay=False),
    help="The policy as plain text (UTF-8).",
)
@click.option(
    "--clauses",
    "clauses_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="The clause map [default: clauses/<manifest file name> beside the manifest].",
)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.option(
    "--scaffold",
    is_flag=True,
    help="Print the clause map with a TODO clause for each promise sentence not yet covered.",
)
def coverage(
    manifest: str, text_path: str, clauses_path: str | None, fmt: str, scaffold: bool
) -> None:
    """Report, for each promise sentence of the policy TEXT, the MANIFEST entries that
    express it or why no machine can check it. Exit 1 when a promise sentence is neither
    mapped nor justified (or a clause is stale or names nothing), 2 on bad input."""
    try:
        m = load_manifest(manifest)
    except ManifestInvalid as exc:
        _bad_input([str(p) for p in exc.problems])
    try:
        text = Path(text_path).read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        _bad_input([f"{text_path}: cannot read the policy text: {exc}"])
    path = Path(clauses_path) if clauses_path else clause_map_path(manifest)
    if scaffold and not path.exists():
        clauses = ClauseMap(str(path), Path(text_path).name, ())
    else:
        try:
            clauses = load_clause_map(path)
        except ClauseMapInvalid as exc:
            hint = ["start one with --scaffold"] if not path.exists() else []
            _bad_input([str(p) for p in exc.problems] + hint)
    report = measure(m, text, clauses)
    if scaffold:
        click.echo(_scaffold(report, clauses, text_path), nl=False)
        return
    if fmt == "json":
        click.echo(json.dumps(report.as_json(), ensure_ascii=False, indent=2))
    else:
        _print(report, path)
    if not report.ok:
        raise click.exceptions.Exit(1)


def _bad_input(lines: list[str]) -> None:
    for line in lines:
        click.echo(line, err=True)
    raise click.exceptions.Exit(2)


def _print(report: Coverage, clauses: Path) -> None:
    for p in report.promises:
        s = p.sentence
        what = ", ".join(p.actions + p.deadlines) + (
            f" — about {', '.join(p.subjects)}" if p.subjects else ""
        )
        click.echo(f"{s.ref} (line {s.line}) [{p.status}] {what}")
        click.echo(f"    {s.text[:110]}{'…' if len(s.text) > 110 else ''}")
        for path in p.expresses:
            click.echo(f"    → {path}")
        for reason in p.reasons:
            click.echo(f"    ✗ not machine-checkable: {reason}")
    for stale in report.stale:
        where = f"; the same text is now sentence {stale['moved_to']}" if stale["moved_to"] else ""
        click.echo(
            f"{clauses}: clauses[{stale['clause']}]: sentence {stale['ref']} is stale "
            f"(now {stale['now'] or 'absent'}){where}"
        )
    for broken in report.broken:
        click.echo(
            f"{clauses}: clauses[{broken['clause']}]: {broken['path']!r} names nothing in "
            f"{report.manifest}"
        )
    if report.choices:
        click.echo(f"\nchoices — values the policy does not say ({len(report.choices)}):")
        for path, reason in report.choices.items():
            click.echo(f"  {path}: {reason}")
    click.echo(
        f"\n{report.manifest}: {len(report.promises)} promise sentences of {report.sentences}: "
        f"{report.count('mapped')} mapped, {report.count('justified')} justified, "
        f"{report.count('missing')} missing; {len(report.stale)} stale, "
        f"{len(report.broken)} broken — {report.percent}% mapped-or-justified"
    )


def _scaffold(report: Coverage, clauses: ClauseMap, text_path: str) -> str:
    """The clause map as it is, plus a TODO clause per uncovered promise sentence (with an
    excerpt in a comment, to be replaced by your decision)."""
    existing = (
        yaml.safe_load(Path(clauses.source).read_text("utf-8"))
        if Path(clauses.source).exists()
        else None
    )
    head = {
        "policy": {
            "file": clauses.policy_file or Path(text_path).name,
            "sentences": len(split_sentences(Path(text_path).read_text("utf-8"))),
        },
        "clauses": (existing or {}).get("clauses", []),
    }
    out = yaml.safe_dump(head, sort_keys=False, allow_unicode=True)
    if not head["clauses"]:
        out = out.replace("clauses: []\n", "clauses:\n")
    for p in report.promises:
        if p.status == "missing":
            excerpt = p.sentence.text[:EXCERPT].replace("\n", " ")
            out += f"- sentences: ['{p.sentence.ref}']  # {excerpt}\n  unchecked: {TODO}\n"
    return out
