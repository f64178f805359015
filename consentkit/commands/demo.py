"""``consentkit demo``: the five seed apps and the misbehaving ones, audited, in a minute."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click

from ..examples import examples_dir
from ..simulator.exit_codes import for_summary
from ..simulator.summary import print_summary

SEED_DEVICES = 6


@click.command()
@click.option(
    "--devices",
    type=click.IntRange(1, 1000),
    default=SEED_DEVICES,
    show_default=True,
    help="Devices per seed app.",
)
@click.option("--seed", type=int, default=1, show_default=True)
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    default=None,
    help="Report folder (default: reports/demo-<time>).",
)
def demo(devices: int, seed: int, out: str | None) -> None:
    """Run the seed apps' reference scenario on a small fleet of mixed phones and users,
    and the misbehaving demo apps once each; audit everything; write the report.

    Exit codes: 0 every seed app passed and every misbehaving app was caught by its rule,
    1 otherwise, 3 devices errored."""
    from ..simulator.run import Job, apps_in
    from ..simulator.session import simulate

    root = examples_dir()
    seeds = str(root / "apps" / "seed_apps.py")
    jobs = [
        Job(seeds, name, str(root / "scenarios" / "reference.yaml"), devices, "mix", "mix")
        for name in apps_in(seeds)
    ]
    for demo_apps in ("misbehaving.py", "tricky.py"):  # one phone each, on its own journey
        path = str(root / "apps" / demo_apps)
        jobs += [
            Job(
                path,
                name,
                str(app.scenario or root / "scenarios" / "misbehaving.yaml"),
                1,
                app.persona or "accept-all",
                app.os or "android-14",
            )
            for name, app in apps_in(path).items()
        ]
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    folder = Path(out) if out else Path("reports") / f"demo-{stamp}"
    click.echo(
        f"consentkit demo: {len(jobs)} apps, "
        f"{sum(j.devices for j in jobs)} virtual phones, embedded server"
    )
    outcome = simulate(jobs, out=folder, seed=seed, title="demo")
    print_summary(outcome)
    raise click.exceptions.Exit(for_summary(outcome.report["summary"]))
