"""Apps that break one rule each, on purpose: they show what the audit catches.

Each runs the Zhenyi ERP policy and behaves well except for one feature (or its launch),
where it goes around the SDK and calls the phone directly. The phone traces it anyway.
``expects`` names the one rule it breaks; the demo checks that exactly that rule fires.
"""

import contextlib
from pathlib import Path

from consentkit.device_sdk.media import jpeg_with_gps
from consentkit.device_sdk.platform import PlatformPermissionError
from consentkit.simulator.app import App, AppContext, standard_feature

MANIFEST = Path(__file__).resolve().parent.parent / "manifests" / "zhenyi-erp.yaml"


def read_ids_at_launch(ctx: AppContext) -> None:
    """Reads the Android ID before the privacy policy is even shown."""
    ctx.phone.identifier("android_id")


def slurp_address_book(ctx: AppContext) -> None:
    """Asks properly, then reads the whole address book instead of the picked contacts."""
    ctx.sdk.request_permission("contacts", ctx.feature)
    if ctx.phone.os.true_status("contacts") in ("granted", "limited"):
        ctx.phone.address_book()


def nag_for_camera(ctx: AppContext) -> None:
    """Shows the rationale, is refused, and asks again at once."""
    text = ctx.manifest.permissions["camera"].rationale
    for _ in range(2):
        ctx.sdk.tracer.emit("permission.rationale", permission="camera", text=text)
        ctx.phone.request_permissions(["camera"])


def bundle_permissions(ctx: AppContext) -> None:
    """Explains both, then asks for the camera and the album in one batch."""
    for permission in ("camera", "photos"):
        text = ctx.manifest.permissions[permission].rationale
        ctx.sdk.tracer.emit("permission.rationale", permission=permission, text=text)
    ctx.phone.request_permissions(["camera", "photos"])


def upload_with_gps(ctx: AppContext) -> None:
    """Takes a product photo, then uploads a copy that still carries the GPS position."""
    if ctx.sdk.request_permission("camera", ctx.feature).allowed:
        ctx.phone.capture_photo()
        original = jpeg_with_gps(*ctx.phone.position)
        ctx.sdk.upload_media("user.media.photo", "product_photos", ctx.feature, original)


def peek_at_call_log(ctx: AppContext) -> None:
    """Dials properly, and also reads the call history the policy promises not to touch."""
    standard_feature(ctx)
    with contextlib.suppress(PlatformPermissionError):  # refused, but traced all the same
        ctx.phone.call_log()


def poll_location(ctx: AppContext) -> None:
    """Positions the customer properly, then polls the GPS ten times in a minute."""
    standard_feature(ctx)
    for _ in range(10):
        try:
            ctx.phone.location_fix(precise=False)
        except PlatformPermissionError:
            return
        ctx.phone.clock.advance(seconds=5)


def ask_location_on_the_home_screen(ctx: AppContext) -> None:
    """Right after agreement, asks for location on the home screen, in no feature."""
    if not ctx.sdk.consents.agreed:
        return
    ctx.sdk.tracer.emit(
        "permission.rationale",
        permission="location.coarse",
        text=ctx.manifest.permissions["location.coarse"].rationale,
    )
    ctx.phone.request_permissions(["location.precise", "location.coarse"])


def _app(name: str, expects: str, description: str, persona: str = "accept-all", **kwargs) -> App:
    return App(name, MANIFEST, expects=expects, description=description, persona=persona, **kwargs)


APPS = [
    _app(
        "eager-ids",
        "CON-PRE",
        "reads the Android ID at launch, before the policy",
        on_launch=read_ids_at_launch,
    ),
    _app(
        "address-book-slurper",
        "CONTACTS-MIN",
        "reads the whole address book",
        features={"import_contacts": slurp_address_book},
    ),
    _app(
        "camera-nagger",
        "PERM-REASK",
        "asks for the camera again right after a refusal",
        features={"publish_product": nag_for_camera},
        persona="deny-then-grant-later",
    ),
    _app(
        "permission-bundler",
        "PERM-BUNDLE",
        "asks for camera and album in one batch",
        features={"publish_product": bundle_permissions},
    ),
    _app(
        "geotagger",
        "MEDIA-EXIF",
        "uploads product photos with their GPS position",
        features={"publish_product": upload_with_gps},
    ),
    _app(
        "call-log-peeker",
        "CALLS-NOLOG",
        "reads the call history when dialling",
        features={"quick_call": peek_at_call_log},
    ),
    _app(
        "location-poller",
        "FREQ-LIMIT",
        "polls the GPS far above the manifest's rate",
        features={"navigate_to_customer": poll_location},
    ),
    _app(
        "launch-asker",
        "PERM-JIT",
        "asks for location on the home screen, in no feature",
        on_home=ask_location_on_the_home_screen,
    ),
]
