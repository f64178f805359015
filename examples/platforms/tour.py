"""Parcel Run: one app, every OS behaviour that changes between releases.

Run it on one phone per release that matters, and read the permission funnel of the
report (docs/platforms.md explains each column):

    consentkit simulate --apps examples/platforms/tour.py \\
        --scenario examples/platforms/releases.yaml --os releases --devices 9

Each feature asks the SDK the way a well-behaved app does; the SDK and the phone decide
what the user sees on each release: the call log granted with the call permission on
Android 8, background location in the dialog (10), on the Settings page (11+) or as a
provisional Always confirmed later (iOS), the Precise switch on every iOS location
prompt, Android 14's temporary photo selection, the IDFA before and after iOS 14.5, and
permissions reset after months of disuse except on a phone without Google Play services.
"""

from pathlib import Path

from consentkit.device_sdk import AppBuild
from consentkit.simulator.app import App, AppContext, standard_feature

MANIFEST = Path(__file__).resolve().parent / "platform-tour.yaml"

# Its Android package targets Android 14 and does not declare
# READ_MEDIA_VISUAL_USER_SELECTED (so Android 14 runs it in compatibility mode); it looks
# for WeChat (Android <queries>, iOS LSApplicationQueriesSchemes) to send receipts.
BUILD = AppBuild(
    package="com.example.parcelrun",
    target_sdk=34,
    declares_selected_photos=False,
    queries=("com.tencent.mm", "weixin"),
)


def _degraded(ctx: AppContext) -> None:
    ctx.run.outcome = "degraded"


def track_run(ctx: AppContext) -> None:
    """Follow the courier, also with the screen off: background location."""
    sdk, feature = ctx.sdk, ctx.feature
    if not sdk.consents.consented("delivery_tracking"):
        return _degraded(ctx)
    background = sdk.request_permission("location.background", feature)
    ok = sdk.location.locate(feature, "delivery_tracking").ok and background.allowed
    # The phone is locked mid-run: a background read (iOS may ask to confirm Always now).
    if ok and not sdk.location.locate(feature, "delivery_tracking", background=True).ok:
        ok = False
    sdk.flush()  # uploads leave inside the feature that collected them
    if not ok:
        _degraded(ctx)
    return None


def proof_of_delivery(ctx: AppContext) -> None:
    """Choose the proof photo from the album, then save the stamped copy back to it."""
    sdk, feature = ctx.sdk, ctx.feature
    if not sdk.consents.consented("proof_of_delivery"):
        return _degraded(ctx)
    sdk.request_permission("photos", feature)
    library = sdk.album.library(feature, "proof_of_delivery")
    if not library.ok or not library.value:
        return _degraded(ctx)
    if sdk.request_permission("photos.add", feature).allowed:
        sdk.album.save(feature, library.value[0].jpeg)
    return None


def call_recipient(ctx: AppContext) -> None:
    """Dial the recipient, then note the call from the recent calls."""
    sdk, feature = ctx.sdk, ctx.feature
    if not sdk.consents.consented("recipient_calls"):
        return _degraded(ctx)
    dial = sdk.request_permission("phone.call", feature)
    if not (dial.allowed or ctx.phone.os_name == "ios"):
        return _degraded(ctx)
    sdk.calls.place_call(feature, "+8613900000001")
    if not sdk.request_permission("phone.call_log", feature).allowed:
        return _degraded(ctx)
    if not sdk.calls.call_log(feature, "recipient_calls").ok:
        _degraded(ctx)
    return None


def export_run(ctx: AppContext) -> None:
    """Save the day's list as a file: the app's own file, so scoped storage needs nothing;
    refused before Android 11, the list goes to the app's private folder instead."""
    ctx.sdk.request_permission("storage", ctx.feature)


def paste_tracking_number(ctx: AppContext) -> None:
    if not ctx.sdk.clipboard.read(ctx.feature, "account").ok:
        _degraded(ctx)


def send_receipt(ctx: AppContext) -> None:
    apps = ctx.sdk.apps.installed(ctx.feature, "account")
    if not apps.ok or not apps.value:
        _degraded(ctx)  # no chat app to send it with: the receipt stays in the app


def measure_ads(ctx: AppContext) -> None:
    sdk, feature = ctx.sdk, ctx.feature
    if not sdk.consents.consented("ads_measurement"):
        return _degraded(ctx)
    sdk.request_permission("tracking", feature)
    ok = sdk.identifiers.read("idfa", feature, "ads_measurement").ok
    sdk.flush()
    if not ok:
        _degraded(ctx)
    return None


APPS = [
    App(
        "platform-tour",
        MANIFEST,
        features={
            "sign_up": standard_feature,
            "paste_tracking_number": paste_tracking_number,
            "send_receipt": send_receipt,
            "export_run": export_run,
            "track_run": track_run,
            "proof_of_delivery": proof_of_delivery,
            "call_recipient": call_recipient,
            "measure_ads": measure_ads,
        },
        build=BUILD,
        persona="limited-selector",
        description="Parcel Run: every OS behaviour that changes between releases",
    )
]
