"""Where the five seed apps (and the demo's misbehaving apps) live."""

from __future__ import annotations

import os
from pathlib import Path

from .policy import Manifest, load_manifest


def examples_dir() -> Path:
    """``$CONSENTKIT_EXAMPLES``, else the checkout's ``examples/`` folder."""
    env = os.environ.get("CONSENTKIT_EXAMPLES")
    return Path(env) if env else Path(__file__).resolve().parent.parent / "examples"


def manifest_paths() -> list[Path]:
    return sorted((examples_dir() / "manifests").glob("*.yaml"))


def example_manifests() -> list[Manifest]:
    """The seed apps' manifests, checked."""
    return [load_manifest(p) for p in manifest_paths()]
