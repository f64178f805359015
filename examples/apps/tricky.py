"""Well-behaved apps on the edges of the rules: each must give no finding at all.

They run the Zhenyi ERP policy through the tricky scenario (every feature, exactly the
re-ask cooldown later every feature again, a restart, a flush) with users who make the
edges happen: the re-ask falls exactly at the cooldown, photos are shared in part,
Android 12 users grant approximate location only and are asked once for precise, a user
refuses every dialog, uploads wait for the end of the session, contacts are chosen in
the app's own picker.
"""

import contextlib
from functools import partial
from pathlib import Path

from consentkit.device_sdk import ServerError
from consentkit.device_sdk.collectors.camera import prepare
from consentkit.simulator.app import App, AppContext, standard_feature

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = ROOT / "manifests" / "zhenyi-erp.yaml"
SCENARIO = ROOT / "scenarios" / "tricky.yaml"
HELD = ("granted", "limited")


def album_in_part(ctx: AppContext) -> None:
    """Reads the photo library; under limited access it gets the photos the user shared,
    and uploads them without their GPS."""
    if not ctx.sdk.request_permission("photos", ctx.feature).allowed:
        ctx.run.outcome = "degraded"
        return
    for photo in ctx.phone.all_photos()[:1]:
        clean = prepare(ctx.sdk, photo.jpeg, "product_photos")
        ctx.sdk.upload_media("user.media.photo", "product_photos", ctx.feature, clean.jpeg)


def ask_once_for_precise(ctx: AppContext) -> None:
    """Navigation works with approximate location; it asks once to upgrade to precise
    (Android 12's upgrade dialog), and never again when the user keeps approximate."""
    status = ctx.phone.check_permission
    approximate = status("location.coarse") in HELD and status("location.precise") not in HELD
    if approximate and not ctx.sdk.store.get("asked_upgrade"):
        ctx.sdk.store.put("asked_upgrade", True)
        text = ctx.manifest.permissions["location.precise"].rationale
        ctx.sdk.tracer.emit(
            "permission.rationale", source="app", permission="location.precise", text=text
        )
        ctx.phone.request_permissions(["location.precise", "location.coarse"])
    standard_feature(ctx)


def orders_need_a_customer(ctx: AppContext) -> None:
    """Taking an order needs a customer on the server; this user has entered none, so the
    order screen says so — a business rule, nothing to do with any permission."""
    ctx.run.outcome = "blocked"


def pick_in_the_app(ctx: AppContext) -> None:
    """The app's own contact picker: it reads the address book on the phone, the user
    ticks a few, and only those are sent."""
    if not ctx.sdk.request_permission("contacts", ctx.feature).allowed:
        ctx.run.outcome = "degraded"
        return
    with contextlib.suppress(ServerError):  # the business API needs an organization
        ctx.sdk.client.request("POST", "orgs", json={"name": "Tea House"})
    book = ctx.phone.address_book()
    chosen = book[: ctx.phone.persona.contacts]
    ctx.sdk.tracer.emit(
        "contacts.selected", source="app", ids=[c.id for c in chosen], count=len(chosen)
    )
    ctx.sdk.send(
        "customers/import",
        {
            "app_id": ctx.manifest.id,
            "contacts": [{"name": c.name, "phone": c.phones[0]} for c in chosen],
        },
        categories=["user.contacts.entry"],
        purpose="customer_import",
        feature=ctx.feature,
    )


def upload_on_leaving(ctx: AppContext) -> None:
    """Everything queued goes out in one batch as the app leaves the screen."""
    ctx.sdk.flush()


def statistics_when_allowed(ctx: AppContext) -> None:
    """The statistics SDK reports the device model and OS to its own domain, and only
    while the user allows statistics."""
    standard_feature(ctx)
    if ctx.sdk.consents.consented("sdk_statistics"):
        report = {"device_model": ctx.phone.model, "os_version": str(ctx.phone.os_version)}
        ctx.fetch("POST", "https://stats.example.cn/v1/report", json=report)


def _app(name: str, description: str, persona: str, **kwargs) -> App:
    return App(
        name, MANIFEST, description=description, persona=persona, scenario=SCENARIO, **kwargs
    )


LATER = partial(standard_feature, flush=False)

APPS = [
    _app("reask-at-cooldown", "asks again exactly when the cooldown ends", "deny-then-grant-later"),
    _app(
        "limited-photos",
        "reads the photo library under limited access",
        "limited-selector",
        features={"publish_product": album_in_part},
    ),
    _app(
        "coarse-only",
        "Android 12: approximate location only, one upgrade request",
        "limited-selector",
        features={"navigate_to_customer": ask_once_for_precise},
        os="android-12",
    ),
    _app(
        "refuse-everything",
        "every dialog refused; an unrelated order screen blocked",
        "refuses-dialogs",
        features={"place_order": orders_need_a_customer},
    ),
    _app(
        "batch-on-exit",
        "queues everything, uploads in one batch as the app leaves",
        "accept-all",
        features={
            f: LATER for f in ("add_customer", "navigate_to_customer", "risk_check", "sign_up")
        },
        in_background=upload_on_leaving,
    ),
    _app(
        "statistics-sdk",
        "reports to its statistics SDK's domain only with consent",
        "mix",
        features={"usage_statistics": statistics_when_allowed},
    ),
    _app(
        "in-app-picker",
        "its own contact picker reads the book, sends the chosen",
        "accept-all",
        features={"import_contacts": pick_in_the_app},
    ),
]
