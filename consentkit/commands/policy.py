"""``consentkit policy``: check manifests and generate store declarations."""

from __future__ import annotations

from pathlib import Path

import click

from ..policy import ManifestInvalid, load_manifest
from ..policy.exports import EXPORTS, export_notes
from .check_app import check_app
from .coverage import coverage


@click.group()
def policy() -> None:
    """Check policy manifests and export what app stores and regulators want."""


@policy.command()
@click.argument("manifests", nargs=-1, required=True, type=click.Path(dir_okay=False))
def validate(manifests: tuple[str, ...]) -> None:
    """Check MANIFESTS; print every problem with file, line and path."""
    failed = 0
    for path in manifests:
        try:
            m = load_manifest(path)
        except ManifestInvalid as exc:
            failed += 1
            for problem in exc.problems:
                click.echo(str(problem), err=True)
            continue
        click.echo(
            f"{path}: ok — {m.app.name} {m.version}: {len(m.purposes)} purposes, "
            f"{len(m.data_categories)} categories, {len(m.permissions)} permissions, "
            f"{len(m.features)} features"
        )
    if failed:
        raise click.exceptions.Exit(1)


policy.add_command(coverage)
policy.add_command(check_app)


@policy.command()
@click.argument("manifests", nargs=-1, required=True, type=click.Path(dir_okay=False))
def publish(manifests: tuple[str, ...]) -> None:
    """Publish MANIFESTS to the server's database (CONSENTKIT_DATABASE_URL).

    Idempotent: a version already published with the same content is left as it is. An
    invalid manifest, or other content under a version already published, publishes
    nothing and exits 1. Run it after `consentkit db upgrade`, before starting workers."""
    from ..server import create_app
    from ..server.bootstrap import PublishRefused, publish_all

    app = create_app()
    try:
        done = publish_all(app, [Path(m) for m in manifests])
    except ManifestInvalid as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        raise click.exceptions.Exit(1) from None
    except PublishRefused as exc:
        for reason in exc.reasons:
            click.echo(f"refused: {reason}", err=True)
        raise click.exceptions.Exit(1) from None
    for published in done:
        click.echo(f"policy: {published}")


@policy.command()
@click.argument("manifest", type=click.Path(dir_okay=False))
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Folder to write the files into [default: exports/<app id>].",
)
@click.option(
    "--only",
    type=click.Choice(sorted(EXPORTS)),
    multiple=True,
    help="Write only these files (repeatable).",
)
def export(manifest: str, out_dir: str | None, only: tuple[str, ...]) -> None:
    """Write what the stores and regulators ask for: Apple's PrivacyInfo.xcprivacy and
    Info.plist usage strings (with zh-Hans InfoPlist.strings where the manifest has Chinese
    text), the Android <uses-permission> list, Google Play's Data safety CSV (Google's
    template) with its checklist, and the Chinese lists (personal information collected,
    third-party sharing, third-party SDKs). Then print what is left for a person."""
    try:
        m = load_manifest(manifest)
    except ManifestInvalid as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        raise click.exceptions.Exit(1) from None
    target = Path(out_dir) if out_dir else Path("exports") / m.id
    try:
        target.mkdir(parents=True, exist_ok=True)
        for name, make in EXPORTS.items():
            if only and name not in only:
                continue
            data = make(m)
            if data is None:
                continue  # nothing to say (e.g. no text in that language)
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            (target / name).write_bytes(data)
            click.echo(str(target / name))
    except OSError as exc:
        raise click.ClickException(f"cannot write to {target}: {exc.strerror or exc}") from None
    for note in export_notes(m):
        name = note.split(": ", 1)[0]
        if not only or name in only:
            click.echo(f"note: {target / note}", err=True)
