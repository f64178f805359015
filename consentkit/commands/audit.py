"""``consentkit audit``: the rules over a trace recorded anywhere."""

from __future__ import annotations

import json
from collections import Counter

import click

from ..policy import ManifestInvalid, load_manifest


class DefaultToTrace(click.Group):
    """``consentkit audit TRACE.jsonl`` runs the ``trace`` subcommand; named ones still work."""

    def resolve_command(self, ctx: click.Context, args: list[str]):
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["trace", *args]
        return super().resolve_command(ctx, args)


@click.group(cls=DefaultToTrace)
def audit() -> None:
    """Audit device traces against the rule catalogue, or verify the server's audit log."""


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
def trace_command(trace_path: str, manifests: tuple[str, ...], fmt: str) -> None:
    """Print the findings of TRACE.jsonl; exit 1 when there are any, 2 on bad input."""
    from ..simulator.rules import audit as run_audit
    from ..simulator.trace_io import TraceError, read_trace

    try:
        loaded = {m.id: m for m in (load_manifest(path) for path in manifests)}
    except ManifestInvalid as exc:
        click.echo(str(exc), err=True)
        raise click.exceptions.Exit(2) from None
    try:
        events = read_trace(trace_path)
    except TraceError as exc:
        click.echo(f"{trace_path}: {exc}", err=True)
        raise click.exceptions.Exit(2) from None
    findings = run_audit(events, loaded)
    devices = len({(e["app"], e["device"]) for e in events})
    if fmt == "json":
        click.echo(
            json.dumps(
                {
                    "findings": [f.as_dict() for f in findings],
                    "devices": devices,
                    "events": len(events),
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
        counts = Counter(f.rule for f in findings)
        summary = ", ".join(f"{rule} x{n}" for rule, n in sorted(counts.items())) or "no findings"
        click.echo(f"{len(events)} events, {devices} devices: {summary}")
    if findings:
        raise click.exceptions.Exit(1)


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
