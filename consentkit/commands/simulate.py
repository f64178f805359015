"""``consentkit simulate``: a fleet of virtual phones through a scenario, audited."""

from __future__ import annotations

from pathlib import Path

import click

from ..examples import examples_dir


def print_summary(outcome) -> None:
    report = outcome.report
    s = report["summary"]
    click.echo(
        f"{s['devices']} devices, {s['events']} events, {s['findings']} findings, "
        f"{s['errors']} device errors in {report['meta']['duration_s']} s"
    )
    for app in report["apps"]:
        found = ", ".join(f"{r} x{n}" for r, n in app["findings"].items()) or "no findings"
        expected = f" (expects {app['expects']})" if app["expects"] else ""
        click.echo(
            f"  {app['verdict']:>6}  {app['name']:<22} {app['devices']:>4} devices  "
            f"{found}{expected}"
        )
    click.echo(f"report: {outcome.html.resolve()}")


@click.command()
@click.option(
    "--apps",
    "apps_file",
    type=click.Path(dir_okay=False, exists=True),
    default=None,
    help="A Python file defining APP or APPS (default: the five seed apps).",
)
@click.option("--app", "names", multiple=True, help="Only these apps of the file (repeatable).")
@click.option(
    "--scenario",
    type=click.Path(dir_okay=False, exists=True),
    default=None,
    help="Scenario YAML (default: examples/scenarios/reference.yaml).",
)
@click.option(
    "--devices",
    type=click.IntRange(1, 1_000_000),
    default=10,
    show_default=True,
    help="Devices per app.",
)
@click.option(
    "--personas",
    default="mix",
    show_default=True,
    help="A persona name or a mix (see simulator/data/personas.yaml).",
)
@click.option(
    "--os",
    "os_mix",
    default="mix",
    show_default=True,
    help=(
        "A mix (mix, releases, android, ios), a device profile, one release such as "
        "android-14 or ios-14.5, or a comma list the devices take in turn "
        "(see simulator/data/devices.yaml)."
    ),
)
@click.option("--seed", type=int, default=1, show_default=True)
@click.option(
    "--workers", type=click.IntRange(1, 64), default=None, help="Processes (default: CPUs)."
)
@click.option(
    "--server",
    "server_url",
    default=None,
    help="A running server's URL instead of the embedded one (CONSENTKIT_ENV=development).",
)
@click.option(
    "--out", type=click.Path(file_okay=False), default="reports/simulation", show_default=True
)
def simulate(apps_file, names, scenario, devices, personas, os_mix, seed, workers, server_url, out):
    """Run virtual phones through a scenario against the server and audit every trace.

    Exits 1 when an app breaks a rule it should not (for CI), 2 on bad input."""
    from ..simulator.personas import persona_names
    from ..simulator.phone import pick_os
    from ..simulator.run import jobs_from
    from ..simulator.scenario import ScenarioInvalid
    from ..simulator.session import simulate as run

    root = examples_dir()
    apps_file = apps_file or str(root / "apps" / "seed_apps.py")
    scenario = scenario or str(root / "scenarios" / "reference.yaml")
    if personas not in persona_names():
        raise click.BadParameter(
            f"unknown persona; known: {', '.join(persona_names())}", param_hint="--personas"
        )
    try:
        import random

        pick_os(os_mix, random.Random(0))
        jobs = jobs_from(apps_file, scenario, devices, personas, os_mix, list(names) or None)
        outcome = run(
            jobs, out=Path(out), seed=seed, workers=workers, server_url=server_url, title="simulate"
        )
    except ScenarioInvalid as exc:
        click.echo(str(exc), err=True)
        raise click.exceptions.Exit(2) from None
    except (KeyError, ValueError) as exc:
        raise click.UsageError(str(exc)) from None
    print_summary(outcome)
    if not outcome.report["summary"]["passed"]:
        raise click.exceptions.Exit(1)
