"""Small apps for the phone's observation tests: each does one thing the phone must see."""

import base64
import contextlib

from consentkit.device_sdk import ServerError
from consentkit.device_sdk.media import jpeg_with_gps
from consentkit.device_sdk.platform import PlatformPermissionError
from consentkit.examples import examples_dir
from consentkit.simulator.app import App, AppContext

MANIFEST = examples_dir() / "manifests" / "zhenyi-erp.yaml"


def post_contacts_itself(ctx: AppContext) -> None:
    """Its own HTTP code: the picked contacts and a geotagged photo, base64 in JSON."""
    ctx.sdk.request_permission("contacts", ctx.feature)
    picked = ctx.phone.pick_contacts(2)
    photo = base64.b64encode(jpeg_with_gps(31.2, 121.4)).decode()
    ctx.api(
        "POST",
        "customers/import",
        json={
            "app_id": ctx.manifest.id,
            "contacts": [{"name": c.name, "phone": c.phones[0]} for c in picked],
            "avatar": photo,
        },
    )


def photo_for_an_unconsented_purpose(ctx: AppContext) -> None:
    """Uploads a geotagged photo for a purpose the user never granted: the server says no."""
    with contextlib.suppress(ServerError):
        ctx.sdk.upload_media(
            "user.media.photo", "product_photos", ctx.feature, jpeg_with_gps(31.2, 121.4)
        )


def queue_only(ctx: AppContext) -> None:
    """Locates and queues; the upload happens later, outside any feature."""
    ctx.sdk.request_permission("location.precise", ctx.feature)
    ctx.sdk.location.locate(ctx.feature, "customer_positioning")


def album_under_limited_access(ctx: AppContext) -> None:
    ctx.sdk.request_permission("photos", ctx.feature)
    with contextlib.suppress(PlatformPermissionError):
        ctx.phone.all_photos()


def poll_in_background(ctx: AppContext) -> None:
    ctx.phone.location_fix(precise=True)


def report_elsewhere(ctx: AppContext) -> None:
    """Its own code reaches two other hosts: one with the user's phone number, one twice
    with nothing personal."""
    ctx.fetch("POST", "https://collector.elsewhere.example/v1/u", json={"phone": "+8613812345678"})
    ctx.fetch("GET", "https://cdn.elsewhere.example/a.json")
    ctx.fetch("GET", "https://cdn.elsewhere.example/b.json")


APPS = [
    App("own-http", MANIFEST, features={"import_contacts": post_contacts_itself}),
    App("refused-upload", MANIFEST, features={"publish_product": photo_for_an_unconsented_purpose}),
    App("queue-then-flush", MANIFEST, features={"navigate_to_customer": queue_only}),
    App("limited-album", MANIFEST, features={"publish_product": album_under_limited_access}),
    App("background", MANIFEST, in_background=poll_in_background),
    App("elsewhere", MANIFEST, features={"place_order": report_elsewhere}),
]
