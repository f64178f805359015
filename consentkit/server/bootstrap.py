"""Getting a server ready to answer: schema up to date, manifests published."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from ..policy import load_manifest
from . import db
from .migrate import upgrade
from .services import policies


def prepare(app: Flask, manifest_paths: list[Path]) -> list[str]:
    """Migrate the database and publish each manifest version not yet published."""
    upgrade(app.config["DATABASE_URL"])
    published = []
    with app.app_context():
        s = db.session()
        for path in manifest_paths:
            manifest = load_manifest(path)
            _row, new = policies.publish(s, manifest)
            s.commit()
            published.append(f"{manifest.id} {manifest.version}{' (new)' if new else ''}")
    return published
