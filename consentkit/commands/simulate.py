"""``consentkit simulate``: a fleet of virtual phones through a scenario, audited."""

from __future__ import annotations

from pathlib import Path

import click

from ..examples import examples_dir
from ..simulator.exit_codes import ExitCode, for_summary
from ..simulator.summary import print_summary


def _writable(folder: str, *files: str | None) -> None:
    """Fail before the run, not after it, when its results could not be written."""
    Path(folder).mkdir(parents=True, exist_ok=True)
    for name in files:
        if name:
            Path(name).parent.mkdir(parents=True, exist_ok=True)
            with open(name, "ab"):
                pass


def output_options(command):
    """``--junit`` and ``--sarif``, for the commands that audit."""
    command = click.option(
        "--sarif",
        type=click.Path(dir_okay=False),
        default=None,
        help="Also write the findings as SARIF 2.1.0 (code scanning), one result per finding.",
    )(command)
    return click.option(
        "--junit",
        type=click.Path(dir_okay=False),
        default=None,
        help="Also write JUnit XML: a test suite per app, a test case per rule.",
    )(command)


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
    help="Devices PER APP: 5 apps with --devices 10 run 50 phones.",
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
@output_options
@click.option("--quiet", "-q", is_flag=True, help="No progress display.")
def simulate(
    apps_file,
    names,
    scenario,
    devices,
    personas,
    os_mix,
    seed,
    workers,
    server_url,
    out,
    junit,
    sarif,
    quiet,
):
    """Run virtual phones through a scenario against the server and audit every trace.

    Writes trace.jsonl, report.json and report.html into --out. Exit codes: 0 clean,
    1 an app broke a rule it should keep (or a misbehaving app was not caught), 2 bad
    input, 3 devices errored (app code raised or a step could not run; wins over 1)."""
    from ..simulator.personas import persona_names
    from ..simulator.phone import pick_os
    from ..simulator.run import AppFileInvalid, jobs_from
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
        _writable(out, junit, sarif)
        jobs = jobs_from(apps_file, scenario, devices, personas, os_mix, list(names) or None)
        outcome = run(
            jobs,
            out=Path(out),
            seed=seed,
            workers=workers,
            server_url=server_url,
            title="simulate",
            show_progress=not quiet,
            junit=junit,
            sarif=sarif,
        )
    except (ScenarioInvalid, AppFileInvalid) as exc:
        click.echo(str(exc), err=True)
        raise click.exceptions.Exit(ExitCode.BAD_INPUT) from None
    except KeyError as exc:
        raise click.UsageError(exc.args[0] if exc.args else str(exc)) from None
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    except OSError as exc:
        click.echo(f"cannot write the report: {exc}", err=True)
        raise click.exceptions.Exit(ExitCode.BAD_INPUT) from None
    print_summary(outcome)
    raise click.exceptions.Exit(for_summary(outcome.report["summary"]))
