"""Apps for the QA-tool tests: one that crashes, one that breaks two rules, a slow one."""

import contextlib
import time
from pathlib import Path

from consentkit.device_sdk.platform import PlatformPermissionError
from consentkit.simulator.app import App, AppContext

MANIFEST = Path(__file__).resolve().parents[3] / "examples" / "manifests" / "zhenyi-erp.yaml"


def read_whole_address_book(ctx: AppContext) -> None:
    """Peeks at the call history (CALLS-NOLOG), then reads the address book with no
    permission asked: the OS refuses, and the app does not catch it."""
    with contextlib.suppress(PlatformPermissionError):
        ctx.phone.call_log()
    ctx.phone.address_book()


def slurp_and_ask_on_home(ctx: AppContext) -> None:
    """Reads the whole address book once it may and sends it (CONTACTS-MIN)."""
    ctx.sdk.request_permission("contacts", ctx.feature)
    if ctx.phone.os.true_status("contacts") in ("granted", "limited"):
        book = ctx.phone.address_book()[:20]
        contacts = [{"name": c.name, "phone": c.phones[0]} for c in book]
        ctx.api("POST", "customers/import", json={"app_id": ctx.manifest.id, "contacts": contacts})


def ask_location_on_home(ctx: AppContext) -> None:
    """A location dialog on the home screen, in no feature (PERM-JIT)."""
    if ctx.sdk.consents.agreed:
        ctx.phone.request_permissions(["location.precise", "location.coarse"])


def slow_first_device(ctx: AppContext) -> None:
    if ctx.sdk.tracer.device.endswith("-00000"):
        time.sleep(3)


APPS = [
    App("crasher", MANIFEST, features={"import_contacts": read_whole_address_book}),
    App("well-behaved", MANIFEST),
    App(
        "double-breaker",
        MANIFEST,
        expects="CONTACTS-MIN",
        persona="accept-all",
        features={"import_contacts": slurp_and_ask_on_home},
        on_home=ask_location_on_home,
    ),
    App("slow-first", MANIFEST, on_launch=slow_first_device),
]
