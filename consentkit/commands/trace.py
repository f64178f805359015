"""``consentkit trace``: evidence from real phones, turned into a trace to audit."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ..simulator.exit_codes import ExitCode


def _device_id(value: str | None) -> str | None:
    if value is not None and (not value or len(value) > 200 or not value.isprintable()):
        raise click.BadParameter("1 to 200 printable characters, on one line")
    return value


@click.group()
def trace() -> None:
    """Work with traces: import evidence recorded on real phones."""


@trace.command("import")
@click.argument("evidence", metavar="FILE", type=click.Path(dir_okay=False))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["ios-privacy-report", "har"]),
    required=True,
    help="ios-privacy-report: the .ndjson iOS saves from App Privacy Report; "
    "har: an HTTP capture (mitmproxy, Charles, Proxyman, browser tools).",
)
@click.option("--app-id", required=True, help="The app id of the manifest the audit uses.")
@click.option(
    "--bundle-id",
    default=None,
    help="The app's bundle id (package name): the records to keep. A privacy report of "
    "several apps needs it; in a HAR it keeps the requests whose headers name it.",
)
@click.option(
    "--device",
    default=None,
    callback=lambda ctx, param, value: _device_id(value),
    help="The device id in the trace (default: from the file).",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False),
    default=None,
    help="Write the trace here (default: standard output).",
)
def import_command(
    evidence: str,
    fmt: str,
    app_id: str,
    bundle_id: str | None,
    device: str | None,
    out: str | None,
) -> None:
    """Convert FILE into a consentkit trace that ``consentkit audit`` judges against the
    app's manifest. Exit codes: 0 done, 2 the file is not evidence of that format."""
    from ..simulator.imports import EvidenceError, import_evidence

    try:
        imported = import_evidence(evidence, fmt, app_id=app_id, bundle_id=bundle_id, device=device)
    except EvidenceError as exc:
        click.echo(f"{evidence}: {exc}", err=True)
        raise click.exceptions.Exit(ExitCode.BAD_INPUT) from None
    # ASCII JSON: whatever a file held (lone surrogates, line separators) stays one line
    lines = "".join(json.dumps(e) + "\n" for e in imported.events)
    if out:
        try:
            Path(out).write_text(lines, "utf-8")
        except OSError as exc:
            click.echo(f"cannot write {out}: {exc}", err=True)
            raise click.exceptions.Exit(ExitCode.BAD_INPUT) from None
    else:
        click.echo(lines, nl=False)
    skipped = f"; {imported.skipped} of other apps skipped" if imported.skipped else ""
    unknown = f"; {imported.unknown} of unknown kinds skipped" if imported.unknown else ""
    click.echo(
        f"{len(imported.events)} events for {app_id} from {imported.records} records of "
        f"{evidence}{skipped}{unknown}" + (f" -> {out}" if out else ""),
        err=True,
    )
