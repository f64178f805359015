"""A small run shared by the QA-tool tests: an app that crashes, one built to break
CONTACTS-MIN that breaks PERM-JIT too, and a well-behaved one; JUnit and SARIF asked."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from consentkit.cli import main
from consentkit.examples import examples_dir

QA_APPS = str(Path(__file__).parent / "apps" / "qa_apps.py")
SMOKE = str(examples_dir() / "scenarios" / "smoke.yaml")


@pytest.fixture(scope="session")
def qa_run(tmp_path_factory):
    """(result, folder, report) of ``simulate`` over the three apps, two devices each."""
    out = tmp_path_factory.mktemp("qa-run")
    args = ["simulate", "--apps", QA_APPS, "--scenario", SMOKE, "--devices", "2"]
    for app in ("crasher", "double-breaker", "well-behaved"):
        args += ["--app", app]
    args += ["--out", str(out), "--junit", str(out / "junit.xml"), "--sarif", str(out / "x.sarif")]
    result = CliRunner().invoke(main, args)
    return result, out, json.loads((out / "report.json").read_text())
