"""``consentkit demo``: the main job, on the five seed apps."""

from __future__ import annotations

import click

from ..examples import manifest_paths
from ..policy import ManifestInvalid, load_manifest


@click.command()
def demo() -> None:
    """Check the five seed apps' manifests and summarise what each promises."""
    paths = manifest_paths()
    if not paths:
        raise click.ClickException("no example manifests found (set CONSENTKIT_EXAMPLES)")
    bad = 0
    for path in paths:
        try:
            m = load_manifest(path)
        except ManifestInvalid as exc:
            bad += 1
            click.echo(str(exc), err=True)
            continue
        deadlines = ", ".join(f"{r} {d.within} {d.unit}" for r, d in m.rights.deadlines.items())
        click.echo(f"{m.app.name} ({m.id}) policy {m.version}")
        click.echo(f"  basic purposes: {', '.join(m.basic_purposes())}")
        click.echo(f"  separate choices: {', '.join(m.optional_purposes()) or '—'}")
        click.echo(f"  permissions: {', '.join(m.permissions) or '—'}")
        click.echo(f"  never collected: {', '.join(m.never_collected) or '—'}")
        click.echo(f"  rights: {deadlines or '—'}")
    if bad:
        raise click.exceptions.Exit(1)
