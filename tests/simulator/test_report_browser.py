"""The HTML report as a person sees and uses it: headless Chromium, driven by Playwright."""

import shutil
import subprocess

import pytest
from click.testing import CliRunner
from PIL import Image, ImageStat

from consentkit.cli import main
from consentkit.simulator.rules import catalogue

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


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, report):
    """The report in a 1280×900 window; any request that leaves the file is recorded."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.outside = []

    def watch(route):
        if not route.request.url.startswith("file:"):
            page.outside.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    page.route("**/*", watch)
    page.goto(report.as_uri())
    yield page
    context.close()


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
        "Device timelines",
        "camera-nagger",
        "PERM-REASK",
        "zhenyi-erp",
    ):
        assert text in dom, text
    assert dom.count('<span class="granted"') > 10  # the funnel's bars were drawn


def test_screenshot_is_a_real_page(report, tmp_path):
    shot = tmp_path / "report.png"
    _chromium("--window-size=1280,1600", f"--screenshot={shot}", report.as_uri())
    image = Image.open(shot).convert("L")
    assert image.size == (1280, 1600)
    assert ImageStat.Stat(image).stddev[0] > 20  # not a blank page
    header = image.crop((0, 0, 1280, 60))
    assert ImageStat.Stat(header).mean[0] < 80  # the dark header band is drawn


def _in_view(page, locator) -> bool:
    box = locator.bounding_box()
    height = page.viewport_size["height"]
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height


def test_clicking_a_finding_shows_its_evidence_in_its_devices_timeline(page):
    link = page.locator("#rules tr.finding a.to-event").first
    target = link.get_attribute("href")[1:]
    finding = link.get_attribute("data-finding")
    row = page.locator(f"[id='{target}']")
    assert not row.is_visible()  # the timelines start folded
    link.click()
    assert row.is_visible() and _in_view(page, row)
    assert "focus" in row.get_attribute("class")
    evidence = page.locator(f"tr[data-f~='{finding}']")
    assert evidence.count() >= 1
    for n in range(evidence.count()):
        assert evidence.nth(n).is_visible()
        assert "lit" in evidence.nth(n).get_attribute("class")
    # the timeline opened is the finding's device's
    device = page.locator(f"tr.finding[id='{finding}'] td").nth(1).inner_text()
    assert page.locator(f"details.timeline[data-device='{device}']").get_attribute("open") == ""


def test_every_finding_links_to_a_timeline_that_exists(page):
    missing = page.evaluate(
        """() => [...document.querySelectorAll("#rules a[href^='#']")]
                .map(a => a.getAttribute('href').slice(1))
                .filter(id => !document.getElementById(id))"""
    )
    assert missing == []
    flagged = set(page.locator("#rules tr.finding td:nth-child(2)").all_inner_texts())
    timelines = set(
        page.evaluate(
            "() => [...document.querySelectorAll('details.timeline')].map(d => d.dataset.device)"
        )
    )
    assert flagged and flagged <= timelines


def test_times_advance_in_a_timeline(page):
    times = page.evaluate(
        """() => [...document.querySelectorAll('details.timeline')].map(d =>
               [...d.querySelectorAll('td[title]')].map(td => td.title))"""
    )
    assert times
    for rows in times:
        assert rows == sorted(rows)  # ISO times of one device: never back in time
    assert all(rows[0] != rows[-1] for rows in times if len(rows) > 5)


def test_consent_rate_labels_are_not_cut_off(page):
    cut = page.evaluate(
        """() => [...document.querySelectorAll('#consent tr.consent td.label')]
               .filter(td => td.scrollWidth > td.clientWidth
                        || td.getBoundingClientRect().right > window.innerWidth)
               .map(td => td.innerText)"""
    )
    assert page.locator("#consent tr.consent").count() > 10
    assert cut == []


def test_per_app_counts_match_the_apps_table(page):
    apps = page.evaluate(
        """() => [...document.querySelectorAll('#apps tr.app')].map(tr => [
               tr.dataset.app, Number(tr.dataset.findings),
               Number(tr.querySelector('td:nth-child(2)').innerText)])"""
    )
    for name, findings, devices in apps:
        listed = page.locator(f"#rules tr.finding[data-app='{name}']").count()
        assert listed == findings, name
        policy = page.locator(
            f"#consent tr.consent[data-app='{name}'][data-purpose='(the policy)']"
        )
        assert int(policy.get_attribute("data-of")) == devices, name  # every phone saw it


def test_every_rule_caught_its_misbehaving_apps_in_the_demo(page):
    shown = page.locator("#rules details.rule")
    assert shown.count() == len(catalogue())  # the demo has apps that break every rule
    assert all(shown.nth(n).get_attribute("open") == "" for n in range(shown.count()))
    assert page.locator("details#clean-rules").count() == 0


def test_rules_with_no_findings_are_folded_away(browser, qa_run):
    _, out, report = qa_run
    page = browser.new_page()
    page.goto((out / "report.html").as_uri())
    folded = page.locator("details#clean-rules")
    assert folded.get_attribute("open") is None
    assert not folded.locator("tr").first.is_visible()
    shown = page.locator("#rules details.rule")
    assert shown.count() == len({f["rule"] for f in report["findings"]}) >= 1
    assert all(shown.nth(n).get_attribute("open") == "" for n in range(shown.count()))
    page.close()


def test_the_page_is_self_contained(page, report):
    html = report.read_text()
    assert "http://" not in html and "https://" not in html
    page.locator("#rules tr.finding a.to-event").first.click()
    assert page.outside == []


def test_a_device_error_shows_its_traceback(browser, qa_run):
    _, out, _ = qa_run
    page = browser.new_page()
    page.goto((out / "report.html").as_uri())
    summary = page.locator("#errors details summary").first
    assert "PlatformPermissionError" in summary.inner_text()
    trace = page.locator("#errors details pre").first
    assert not trace.is_visible()
    summary.click()
    assert trace.is_visible() and "read_whole_address_book" in trace.inner_text()
    page.close()
