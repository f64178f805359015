"""Getting a server ready to answer: schema up to date, manifests published.

``consentkit serve`` does both; a multi-worker deployment runs ``consentkit db upgrade``
and ``consentkit policy publish`` once, before starting its workers.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flask import Flask
from sqlalchemy.exc import OperationalError, ProgrammingError

from ..policy import Manifest, ManifestInvalid, load_manifest
from . import db
from .migrate import upgrade
from .problems import Problem as ApiProblem
from .services import policies


class PublishRefused(Exception):
    """Nothing was published; ``reasons`` says why, one line each."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__("\n".join(reasons))
        self.reasons = reasons


@dataclass(frozen=True)
class Published:
    app_id: str
    version: str
    new: bool

    def __str__(self) -> str:
        return f"{self.app_id} {self.version} ({'published' if self.new else 'unchanged'})"


def load_all(paths: list[Path]) -> list[Manifest]:
    """Every manifest checked before any is published: one bad file publishes nothing."""
    manifests, problems = [], []
    for path in paths:
        try:
            manifests.append(load_manifest(path))
        except ManifestInvalid as exc:
            problems.extend(exc.problems)
    if problems:
        raise ManifestInvalid(problems)
    return manifests


def publish_all(app: Flask, paths: list[Path]) -> list[Published]:
    """Publish each manifest version not yet published, all in one transaction.

    Publishing the same content again changes nothing; other content under a published
    version is refused, and so is a database without the schema."""
    manifests = load_all(paths)
    with app.app_context():
        s = db.session()
        done, refused = [], []
        try:
            for manifest in manifests:
                try:
                    _row, new = policies.publish(s, manifest)
                except ApiProblem as exc:
                    refused.append(exc.detail)
                    continue
                done.append(Published(manifest.id, manifest.version, new))
        except (OperationalError, ProgrammingError):
            s.rollback()
            raise PublishRefused(
                ["the database has no consentkit schema: run `consentkit db upgrade` first"]
            ) from None
        if refused:
            s.rollback()
            raise PublishRefused(refused)
        s.commit()
    return done


def prepare(app: Flask, manifest_paths: list[Path]) -> list[Published]:
    """Migrate the database, then publish the manifests."""
    upgrade(app.config["DATABASE_URL"])
    return publish_all(app, manifest_paths)
