"""The HTML report as a person sees it: rendered by headless Chromium."""

import shutil
import subprocess

import pytest
from click.testing import CliRunner
from PIL import Image, ImageStat

from consentkit.cli import main

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
]

pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="headless Chromium is not installed (apt-get install chromium; .ci/run installs it)",
)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    result = CliRunner().invoke(main, ["demo", "--devices", "1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out / "report.html"


def _chromium(*args, timeout=60):
    return subprocess.run(
        [CHROMIUM, *FLAGS, *args], capture_output=True, text=True, timeout=timeout
    )


def test_rendered_page_shows_verdict_apps_rules_and_charts(report):
    dom = _chromium("--dump-dom", report.as_uri()).stdout
    assert "Every well-behaved app passed every rule" in dom
    for text in (
        "Findings by rule",
        "Permission funnel",
        "Consent rates",
        "Device timeline",
        "camera-nagger",
        "PERM-REASK",
        "zhenyi-erp",
    ):
        assert text in dom, text
    assert dom.count("<rect") > 10  # the charts were drawn


def test_screenshot_is_a_real_page(report, tmp_path):
    shot = tmp_path / "report.png"
    _chromium("--window-size=1280,1600", f"--screenshot={shot}", report.as_uri())
    image = Image.open(shot).convert("L")
    assert image.size == (1280, 1600)
    assert ImageStat.Stat(image).stddev[0] > 20  # not a blank page
    header = image.crop((0, 0, 1280, 60))
    assert ImageStat.Stat(header).mean[0] < 80  # the dark header band is drawn
