"""``consentkit policy check-app``: does the app declare what its policy says, no more?"""

from __future__ import annotations

import json
from pathlib import Path

import click
import yaml

from ..policy import ManifestInvalid, load_manifest
from ..policy.appcheck import (
    AppFileInvalid,
    Finding,
    check_android,
    check_info_plist,
    check_privacy_manifest,
    read_android_manifest,
    read_plist,
)
from ..policy.loader import TextLoader
from ..policy.located import PathPart, format_path, line_for, line_index


@click.command("check-app")
@click.argument("manifest", type=click.Path(dir_okay=False))
@click.option(
    "--android",
    "android_path",
    type=click.Path(dir_okay=False),
    help="The app's AndroidManifest.xml (the source one or the merged one).",
)
@click.option("--ios", "ios_path", type=click.Path(dir_okay=False), help="The app's Info.plist.")
@click.option(
    "--privacy-manifest",
    "privacy_path",
    type=click.Path(dir_okay=False),
    help="The app's PrivacyInfo.xcprivacy.",
)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def check_app(
    manifest: str,
    android_path: str | None,
    ios_path: str | None,
    privacy_path: str | None,
    fmt: str,
) -> None:
    """Check the app's own files against MANIFEST: every permission the app declares that
    no feature of the policy needs, every permission a feature needs that the app cannot
    request, a missing or different usage string, and a privacy manifest that disagrees
    with the policy — each located to file and line. Exit 1 on any finding, 2 on bad input
    (an unreadable or malformed file, an invalid manifest)."""
    if not (android_path or ios_path or privacy_path):
        _bad_input(["give at least one of --android, --ios, --privacy-manifest"])
    try:
        m = load_manifest(manifest)
    except ManifestInvalid as exc:
        _bad_input([str(p) for p in exc.problems])
    locate = _locator(manifest)
    findings: list[Finding] = []
    checked: list[str] = []
    try:
        if android_path:
            findings += check_android(m, read_android_manifest(android_path), locate)
            checked.append(android_path)
        if ios_path:
            findings += check_info_plist(m, read_plist(ios_path, "an Info.plist"), locate)
            checked.append(ios_path)
        if privacy_path:
            plist = read_plist(privacy_path, "a privacy manifest")
            findings += check_privacy_manifest(m, plist)
            checked.append(privacy_path)
    except AppFileInvalid as exc:
        _bad_input([str(exc)])
    order = {path: i for i, path in enumerate(checked)}
    findings.sort(key=lambda f: (order.get(f.file, len(order)), f.line or 0))
    if fmt == "json":
        click.echo(
            json.dumps(
                {
                    "manifest": manifest,
                    "checked": checked,
                    "findings": [f.as_json() for f in findings],
                },
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        for finding in findings:
            click.echo(str(finding))
        click.echo(
            f"{m.id} {m.version}: {len(findings)} finding{'s' * (len(findings) != 1)} in "
            f"{', '.join(checked)}"
        )
    if findings:
        raise click.exceptions.Exit(1)


def _locator(manifest: str):
    """manifest path parts -> "m.yaml:42 features.x.permissions[0]" (the manifest loaded
    already, so its text is readable)."""
    node = yaml.compose(Path(manifest).read_text("utf-8"), Loader=TextLoader)
    lines = line_index(node) if node is not None else {}

    def locate(parts: tuple[PathPart, ...]) -> str:
        line = line_for(lines, parts)
        return f"{manifest}:{line} {format_path(parts)}" if line else format_path(parts)

    return locate


def _bad_input(lines: list[str]) -> None:
    for line in lines:
        click.echo(line, err=True)
    raise click.exceptions.Exit(2)
