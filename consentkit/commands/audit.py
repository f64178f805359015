"""``consentkit audit``: the rules over a trace recorded anywhere."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import click

from ..policy import Manifest, ManifestInvalid, load_manifest
from ..simulator.exit_codes import ExitCode
from .simulate import output_options


class DefaultToTrace(click.Group):
    """``consentkit audit TRACE.jsonl`` runs the ``trace`` subcommand; named ones still work."""

    def resolve_command(self, ctx: click.Context, args: list[str]):
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["trace", *args]
        return super().resolve_command(ctx, args)


@click.group(cls=DefaultToTrace)
def audit() -> None:
    """Audit device traces against the rule catalogue, compare two runs (``diff``), or
    verify the server's audit log (``verify``)."""


@audit.command("trace")
@click.argument("trace_path", metavar="TRACE.jsonl", type=click.Path(dir_okay=False))
@click.option(
    "--manifest",
    "manifests",
    multiple=True,
    required=True,
    type=click.Path(dir_okay=False),
    help="The app's manifest (repeat for several apps).",
)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.option(
    "--html",
    type=click.Path(dir_okay=False),
    default=None,
    help="Also write the HTML report: findings, the evidence behind each (with its place in "
    "an imported file), and the rules the evidence cannot judge.",
)
@output_options
def trace_command(
    trace_path: str,
    manifests: tuple[str, ...],
    fmt: str,
    html: str | None,
    junit: str | None,
    sarif: str | None,
) -> None:
    """Print the findings of TRACE.jsonl. Exit codes: 0 none, 1 findings, 2 bad input,
    3 the trace records device errors (sim.error: the recording is incomplete).

    A trace imported from a real phone (``consentkit trace import``) shows less than a
    simulation; the rules its evidence cannot judge are listed as not judgeable."""
    from ..simulator.rules import audit as run_audit
    from ..simulator.rules import not_judgeable, places_of
    from ..simulator.trace_io import TraceError, read_trace

    loaded = _manifests(manifests)
    try:
        events = read_trace(trace_path)
    except TraceError as exc:
        click.echo(f"{trace_path}: {exc}", err=True)
        raise click.exceptions.Exit(ExitCode.BAD_INPUT) from None
    findings = run_audit(events, loaded)
    unjudged = [d for d in not_judgeable(events) if d["app"] in loaded]
    devices = len({(e["app"], e["device"]) for e in events})
    refs = places_of(events)
    if junit or sarif or html:
        _reports(trace_path, events, findings, loaded, manifests, junit, sarif, html, unjudged)
    if fmt == "json":
        listed = [{**f.as_dict(), "evidence_refs": f.places(refs)} for f in findings]
        click.echo(
            json.dumps(
                {
                    "findings": listed,
                    "devices": devices,
                    "events": len(events),
                    "not_judgeable": unjudged,
                },
                ensure_ascii=False,
            )
        )
    else:
        for f in findings:
            where = f"seq {f.seq}" if f.seq is not None else "end of trace"
            click.echo(
                f"{f.rule} [{f.severity}] {f.app}/{f.device} {where}: {f.message} "
                f"(evidence: {', '.join(map(str, f.evidence)) or '-'})"
            )
            for seq in f.evidence:
                if (f.device, seq) in refs:  # where it sits in the imported file
                    click.echo(f"    seq {seq}: {refs[(f.device, seq)]}")
        for d in unjudged:
            click.echo(
                f"not judgeable from this source ({d['source']} {d['file'] or ''}, "
                f"{d['app']}/{d['device']}): "
                + ", ".join(
                    f"{rule} (needs {' and '.join(lack)})" for rule, lack in d["rules"].items()
                )
            )
        counts = Counter(f.rule for f in findings)
        summary = ", ".join(f"{rule} x{n}" for rule, n in sorted(counts.items())) or "no findings"
        click.echo(f"{len(events)} events, {devices} devices: {summary}")
    errored = {e["device"] for e in events if e["type"] == "sim.error"}
    if errored:
        click.echo(
            f"{len(errored)} devices recorded errors (sim.error): the trace is incomplete",
            err=True,
        )
        raise click.exceptions.Exit(ExitCode.DEVICE_ERRORS)
    if findings:
        raise click.exceptions.Exit(ExitCode.FINDINGS)


def _manifests(paths: tuple[str, ...]) -> dict[str, Manifest]:
    """The manifests by app id; a bad one is bad input (exit 2)."""
    try:
        return {m.id: m for m in (load_manifest(path) for path in paths)}
    except ManifestInvalid as exc:
        click.echo(str(exc), err=True)
        raise click.exceptions.Exit(ExitCode.BAD_INPUT) from None


def _reports(trace_path, events, findings, loaded, paths, junit, sarif, html, unjudged) -> None:
    """The JUnit, SARIF and HTML files of a trace, as ``simulate`` writes them."""
    from datetime import UTC, datetime

    from ..simulator.report import build, render_html, to_junit, to_sarif
    from ..simulator.trace_io import devices_of

    devices = devices_of(events)
    meta = {
        "title": f"audit {trace_path}",
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
        "server": "",
        "seed": "",
    }
    report = build(devices, findings, loaded, meta, not_judgeable=unjudged)
    try:
        if html:
            Path(html).write_text(render_html(report), "utf-8")
        if junit:
            Path(junit).write_bytes(to_junit(report))
        if sarif:
            log = to_sarif(
                report,
                trace=trace_path,
                lines={(e["device"], e["seq"]): e["_line"] for e in events},
                events={(e["device"], e["seq"]): e for e in events},
                manifests={load_manifest(path).id: path for path in paths},
            )
            Path(sarif).write_text(json.dumps(log, ensure_ascii=False, indent=1), "utf-8")
    except OSError as exc:
        click.echo(f"cannot write: {exc}", err=True)
        raise click.exceptions.Exit(ExitCode.BAD_INPUT) from None


@audit.command("diff")
@click.argument("old", metavar="OLD", type=click.Path(dir_okay=False))
@click.argument("new", metavar="NEW", type=click.Path(dir_okay=False))
@click.option(
    "--manifest",
    "manifests",
    multiple=True,
    type=click.Path(dir_okay=False),
    help="The apps' manifests (needed when OLD or NEW is a trace; repeatable).",
)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
def diff_command(old: str, new: str, manifests: tuple[str, ...], fmt: str) -> None:
    """Compare two runs, each a trace (.jsonl) or a report.json: the findings that appeared
    or disappeared, and the permission-funnel and consent-rate changes per permission and
    OS. Exit codes: 0 no finding appeared, 1 findings appeared, 2 bad input."""
    from ..simulator.diff import DiffInputError, diff, load_side, render_text

    loaded = _manifests(manifests)
    try:
        result = diff(load_side(old, loaded), load_side(new, loaded))
    except DiffInputError as exc:
        click.echo(str(exc), err=True)
        raise click.exceptions.Exit(ExitCode.BAD_INPUT) from None
    if fmt == "json":
        click.echo(json.dumps(result, ensure_ascii=False))
    else:
        click.echo(render_text(result))
    if result["findings"]["appeared"]:
        raise click.exceptions.Exit(ExitCode.FINDINGS)


@audit.command("verify")
def verify_log() -> None:
    """Check the server's audit log: exit 1 if any entry was edited, removed or reordered."""
    from ..server import create_app, db
    from ..server.services import audit_log

    app = create_app()
    with app.app_context():
        result = audit_log.verify(db.session())
    if result.ok:
        click.echo(f"audit log intact: {result.entries} entries")
        if result.legacy_forks:
            click.echo(
                f"note: {result.legacy_forks} entries written before the chain head existed "
                "follow an earlier entry than the one before them (concurrent appends, not "
                "tampering)"
            )
        return
    click.echo(
        f"audit log BROKEN at entry {result.broken_at}: {result.reason} "
        f"({result.entries} entries read)",
        err=True,
    )
    raise click.exceptions.Exit(1)
