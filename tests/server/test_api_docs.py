"""``/api/docs`` as a person opens it on a machine without internet: headless Chromium,
every host name but the server's unresolvable."""

from __future__ import annotations

import shutil
import subprocess
import threading
from collections.abc import Iterator

import pytest
from PIL import Image, ImageStat
from werkzeug.serving import make_server

from .conftest import make_app
from .live import free_port

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
OFFLINE = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
    # No network: any host name but the loopback address fails to resolve (a CDN too).
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    # Run the page's scripts (fetching the document, rendering) before the dump.
    "--virtual-time-budget=20000",
]

pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="headless Chromium is not installed (apt-get install chromium; .ci/run installs it)",
)


@pytest.fixture(scope="module")
def docs_server(tmp_path_factory) -> Iterator[tuple[str, dict]]:
    folder = tmp_path_factory.mktemp("docs")
    app = make_app(f"sqlite:///{folder / 'docs.sqlite'}", folder / "instance")
    document = app.test_client().get("/api/openapi.json").json
    server = make_server("127.0.0.1", free_port(), app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/api/docs", document
    finally:
        server.shutdown()


def _chromium(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([CHROMIUM, *OFFLINE, *args], capture_output=True, text=True, timeout=90)


def test_swagger_ui_renders_every_operation_offline(docs_server):
    url, document = docs_server
    dom = _chromium("--dump-dom", url).stdout
    operations = sum(
        1 for item in document["paths"].values() for method in item if method != "parameters"
    )
    assert dom.count('class="opblock-summary-path"') == operations
    assert "btn authorize" in dom  # bearerAuth is declared: the Authorize button is there
    assert 'data-path="/api/v1/collect"' in dom
    assert "cdn." not in dom and "https://" not in dom.split("<body")[0]


def test_the_page_is_drawn(docs_server, tmp_path):
    url, _ = docs_server
    shot = tmp_path / "docs.png"
    _chromium("--window-size=1280,900", f"--screenshot={shot}", url)
    image = Image.open(shot).convert("L")
    assert ImageStat.Stat(image).stddev[0] > 20  # text and coloured operation bars, not blank
