"""Zhenyi ERP 3.2: the well-behaved app."""

from pathlib import Path

from consentkit.simulator.app import App

MANIFEST = Path(__file__).resolve().parents[3] / "examples" / "manifests" / "zhenyi-erp.yaml"

APP = App("zhenyi-erp", MANIFEST)
