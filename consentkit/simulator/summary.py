"""A run's outcome for a terminal or a CI log: the verdict per app, every device error,
where the files are. Printed by ``consentkit simulate`` and ``demo`` and by a Locust
master at the end of a fleet."""

from __future__ import annotations

from collections import Counter, defaultdict

import click

__all__ = ["print_summary"]

ERRORS_PRINTED = 10  # kinds of device error printed; the report has them all


def _fleet(devices_per_app: dict[str, int]) -> str:
    """``5 apps × 10 devices`` (or ``5 apps × 6 devices + 8 apps × 1 device``)."""
    groups = Counter(devices_per_app.values())
    return " + ".join(
        f"{apps} app{'s' * (apps != 1)} × {n} device{'s' * (n != 1)}"
        for n, apps in sorted(groups.items(), key=lambda kv: -kv[0])
    )


def print_summary(outcome) -> None:
    """The verdict per app, every device error, and where the files are."""
    report = outcome.report
    s = report["summary"]
    click.echo(
        f"{s['devices']} devices ({_fleet(s['devices_per_app'])}), {s['events']} events, "
        f"{s['findings']} findings, {s['errored_devices']} devices errored "
        f"in {report['meta']['duration_s']} s"
    )
    for app in report["apps"]:
        found = ", ".join(f"{r} x{n}" for r, n in app["findings"].items()) or "no findings"
        if app["expects"]:
            found = f"{app['expects']} x{app['findings'].get(app['expects'], 0)}"
            extra = ", ".join(f"{r} x{n}" for r, n in app["extra"].items())
            found += f" (expected{'; extra: ' + extra if extra else ''})"
        errored = f", {app['errored_devices']} errored" if app["errored_devices"] else ""
        click.echo(
            f"  {app['verdict']:>6}  {app['name']:<22} {app['devices']:>4} devices{errored}  "
            f"{found}"
        )
    _print_errors(report)
    for kind in ("html", "junit", "sarif"):
        if kind in outcome.written:
            click.echo(f"{'report' if kind == 'html' else kind}: {outcome.written[kind].resolve()}")


def _print_errors(report: dict) -> None:
    """Device errors, alike ones together: what was raised, where, on which devices."""
    if not report["errors"]:
        return
    groups: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for device in report["errors"]:
        details = device["details"] or [{}] * len(device["errors"])
        for error, detail in zip(device["errors"], details, strict=True):
            groups[(error, detail.get("where", ""))][device["device"]] += 1
    total = sum(len(d["errors"]) for d in report["errors"])
    click.echo(
        f"device errors: {total} on {len(report['errors'])} of "
        f"{report['summary']['devices']} devices (tracebacks in the report)",
        err=True,
    )
    for (error, where), devices in list(groups.items())[:ERRORS_PRINTED]:
        click.echo(f"  {error}", err=True)
        if where:
            click.echo(f"    at {where}", err=True)
        named = [f"{d} (×{n})" if n > 1 else d for d, n in list(devices.items())[:5]]
        more = f" and {len(devices) - 5} more" if len(devices) > 5 else ""
        click.echo(f"    on {', '.join(named)}{more}", err=True)
    if len(groups) > ERRORS_PRINTED:
        click.echo(f"  … and {len(groups) - ERRORS_PRINTED} other errors", err=True)
