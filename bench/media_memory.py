"""Peak memory of a gunicorn worker decoding worst-case image uploads at once.

    python bench/media_memory.py [UPLOADS]        # default: 4 at once

One gunicorn worker with as many threads as uploads, on SQLite; one user with the photo
consent sends UPLOADS copies of the worst image the server accepts at the same moment:
a PNG of exactly ``MEDIA_MAX_PIXELS`` pixels (the installed default), RGBA, with an EXIF
orientation that makes the server turn it (a second full-size buffer), and tiny on the
wire (one colour compresses to almost nothing). The figure is the worker's peak resident
memory (``VmHWM``), with its memory before the uploads beside it.

Goal (issue 15): under 300 MB with four uploads. To measure another checkout's code
(e.g. before a change), put it first on the path: ``PYTHONPATH=/path/to/checkout``.
"""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
from PIL import Image

import consentkit
from consentkit.server.config import defaults

BIN = Path(sys.executable).parent
FIELDNOTES = Path(__file__).resolve().parent.parent / "tests" / "policy" / "fieldnotes.yaml"


def worst_png(pixels: int) -> bytes:
    """The most memory per byte sent: RGBA, ``pixels`` pixels, turned on decoding."""
    side = int(pixels**0.5)
    width, height = side, pixels // side
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees to display
    out = io.BytesIO()
    Image.new("RGBA", (width, height), (120, 30, 200, 255)).save(
        out, "PNG", exif=exif, compress_level=9
    )
    return out.getvalue()


def peak_kib(pid: int) -> tuple[int, int]:
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    return int(fields["VmHWM"].split()[0]), int(fields["VmRSS"].split()[0])


def main(uploads: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="consentkit-media-bench-"))
    env = {
        **os.environ,
        "CONSENTKIT_ENV": "development",
        "CONSENTKIT_DATABASE_URL": f"sqlite:///{folder / 'bench.sqlite'}",
        "CONSENTKIT_INSTANCE_PATH": str(folder / "instance"),
        "CONSENTKIT_ARGON2_TIME_COST": "1",
        "CONSENTKIT_ARGON2_MEMORY_COST": "256",
    }
    for step in (["db", "upgrade"], ["policy", "publish", str(FIELDNOTES)]):
        subprocess.run([str(BIN / "consentkit"), *step], env=env, check=True, capture_output=True)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "--workers=1",
            f"--threads={uploads}",
            f"--bind=127.0.0.1:{port}",
            "--timeout=300",
            "consentkit.server.wsgi:app",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        client = httpx.Client(base_url=base, timeout=300)
        for _ in range(300):
            try:
                if client.get("/apps/fieldnotes/policy").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        worker = int(Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()[0])
        phone = "+8613912345678"
        client.post("/auth/code", json={"phone": phone})
        code = client.get("/dev/outbox", params={"phone": phone}).json()[0]["body"]
        code = code.split("code is ")[1][:6]
        token = client.post(
            "/auth/register", json={"phone": phone, "code": code, "password": "bench horse 1"}
        ).json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        version = client.get("/apps/fieldnotes/policy").json()["version"]
        client.post(
            "/consents",
            headers=auth,
            json={
                "app_id": "fieldnotes",
                "policy_version": version,
                "purposes": {"account": True, "security": True, "product_photos": True},
            },
        )
        pixels = defaults("")["MEDIA_MAX_PIXELS"]
        png = worst_png(pixels)
        before = peak_kib(worker)
        statuses: list[int] = []
        start = threading.Barrier(uploads)

        def upload() -> None:
            start.wait()
            r = client.post(
                "/media",
                headers=auth,
                data={
                    "app_id": "fieldnotes",
                    "category": "user.media.photo",
                    "purpose": "product_photos",
                    "feature": "publish_product",
                    "collected_at": datetime.now(UTC).isoformat(),
                },
                files={"file": ("worst.png", png, "image/png")},
            )
            statuses.append(r.status_code)

        began = time.perf_counter()
        threads = [threading.Thread(target=upload) for _ in range(uploads)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        took = time.perf_counter() - began
        peak, _ = peak_kib(worker)
        print(f"code: {Path(consentkit.__file__).parent}")
        print(
            f"worst case: {pixels / 1e6:.1f} megapixels, RGBA PNG turned by EXIF, "
            f"{len(png) / 1024:.0f} KiB on the wire"
        )
        print(f"{uploads} uploads at once: statuses {sorted(statuses)}, {took:.1f} s")
        print(f"worker memory before: {before[1] / 1024:.0f} MB; peak: {peak / 1024:.0f} MB")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 4)
