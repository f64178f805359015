"""Apps that break one rule each, on purpose: they show what the audit catches.

Each runs a seed app's policy (Zhenyi ERP unless said otherwise) and behaves well except
for one feature, its launch or its background work, where it goes around the SDK — calls
the phone directly, or sends with its own HTTP code. The phone traces it anyway: every
read names the feature on screen, every request is observed before it leaves. Every rule
has at least two apps that break it in different, quiet ways. ``expects`` names the one
rule an app breaks; the demo checks that exactly that rule fires.
"""

import contextlib
from pathlib import Path

from consentkit.device_sdk import ServerError
from consentkit.device_sdk.media import jpeg_with_gps, strip_gps
from consentkit.device_sdk.platform import IdentifierUnavailable, PlatformPermissionError
from consentkit.simulator.app import App, AppContext, standard_feature

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = ROOT / "manifests" / "zhenyi-erp.yaml"
INCS = ROOT / "manifests" / "incs.yaml"
COPE = ROOT / "manifests" / "cope-erp.yaml"
CARGOSOON = ROOT / "manifests" / "cargosoon.yaml"
ORDER_DESK = ROOT / "manifests" / "order-desk.yaml"
SCENARIOS = ROOT / "scenarios"

refused = contextlib.suppress(PlatformPermissionError, IdentifierUnavailable, ServerError)


def _explain_and_ask(ctx: AppContext, *permissions: str) -> dict[str, str]:
    """The manifest's rationale for each, then the OS request itself (no gate)."""
    for p in permissions:
        text = ctx.manifest.permissions[p].rationale
        ctx.sdk.tracer.emit("permission.rationale", source="app", permission=p, text=text)
    return ctx.phone.request_permissions(list(permissions))


def _org(ctx: AppContext) -> None:
    """The user's organization (the business API needs one)."""
    with contextlib.suppress(ServerError):
        ctx.sdk.client.request("POST", "orgs", json={"name": f"Shop {ctx.rng.randrange(10**6)}"})


def _envelope(category: str, purpose: str, feature: str, payload: dict, at: str) -> dict:
    return {
        "category": category,
        "purpose": purpose,
        "feature": feature,
        "collected_at": at,
        "payload": payload,
    }


# CON-PRE: nothing personal before the policy is agreed --------------------------------------


def read_ids_at_launch(ctx: AppContext) -> None:
    """Reads the Android ID before the privacy policy is even shown."""
    if not ctx.sdk.store.get("ever_agreed"):
        ctx.phone.identifier("android_id")


def ask_location_in_onboarding(ctx: AppContext) -> None:
    """Its onboarding asks for location on the first launch, before the policy screen."""
    if not ctx.sdk.store.get("ever_agreed"):
        _explain_and_ask(ctx, "location.precise", "location.coarse")


# CON-REFUSED: nothing for a purpose the user refused ----------------------------------------


def position_anyway(ctx: AppContext) -> None:
    """The user unticked positioning; the app asks the OS itself and reads the location."""
    standard_feature(ctx)
    if not ctx.sdk.consents.consented("customer_positioning"):
        _explain_and_ask(ctx, "location.precise", "location.coarse")
        with refused:
            ctx.phone.location_fix(precise=True)


def avatar_anyway(ctx: AppContext) -> None:
    """Product photos were refused; the avatar comes from the system picker all the same
    (no permission needed), cleaned of GPS and posted by the app's own code."""
    if ctx.sdk.consents.consented("product_photos"):
        standard_feature(ctx)
        return
    photo = ctx.phone.pick_photos(1)[0]
    ctx.api(
        "POST",
        "media",
        data={
            "app_id": ctx.manifest.id,
            "category": "user.account.avatar",
            "purpose": "product_photos",
            "feature": ctx.feature,
            "collected_at": ctx.phone.now().isoformat(),
        },
        files={"file": ("avatar.jpg", strip_gps(photo.jpeg), "image/jpeg")},
    )


# CON-SCOPE: every category declared for the feature that collects it -------------------------


def locate_orders(ctx: AppContext) -> None:
    """Attaches where the order was taken to each order: location is no part of ordering."""
    ctx.phone.clock.advance(minutes=1)  # the user takes a minute over the order
    with refused:
        fix = ctx.phone.location_fix(precise=False)
        ctx.api("POST", "orders", json={"app_id": ctx.manifest.id, "lat": fix.lat, "lon": fix.lon})


def keep_qr_frames(ctx: AppContext) -> None:
    """Decoding a QR code needs a camera frame on the phone only; this app uploads it."""
    if not ctx.sdk.request_permission("camera", ctx.feature).allowed:
        return
    frame = strip_gps(ctx.phone.capture_photo())
    with refused:
        ctx.sdk.upload_media("user.media.photo", "qr_scanning", ctx.feature, frame)


def _user_copied_an_address(ctx: AppContext) -> None:
    """The user has just copied something in a chat app (for the demo: every time)."""
    ctx.phone.copy_in_other_app("Room 1203, Building 4, Tianhe Road 88", "com.tencent.mm")


def read_clipboard_on_the_home_screen(ctx: AppContext) -> None:
    """Peeks at the clipboard each time the home screen shows, "to detect shared links"."""
    _user_copied_an_address(ctx)
    ctx.phone.read_clipboard()


def fill_from_clipboard(ctx: AppContext) -> None:
    """Adding a customer, reads the clipboard on its own and sends whatever is there as the
    customer's note."""
    standard_feature(ctx)
    _user_copied_an_address(ctx)
    text = ctx.phone.read_clipboard()
    if text:
        _org(ctx)
        with refused:
            ctx.api(
                "POST", "customers", json={"app_id": ctx.manifest.id, "name": "New", "note": text}
            )


# CON-NEVER: nothing the policy promises never to collect ------------------------------------


def suggest_apps_in_search(ctx: AppContext) -> None:
    """COPE: search suggests the user's other apps — the installed-app list the policy
    promises it never collects."""
    standard_feature(ctx)
    ctx.phone.installed_apps()


def assign_to_a_contact(ctx: AppContext) -> None:
    """Order Desk: assigns a task to someone picked in the address book, and sends the
    contact — a policy that never collects contacts."""
    standard_feature(ctx)
    for contact in ctx.phone.pick_contacts(1):
        with refused:
            ctx.api("POST", "orders", json={"assignee": contact.name, "phone": contact.phones[0]})


# CON-WITHDRAW: nothing after a withdrawal --------------------------------------------------


def navigate_after_withdrawal(ctx: AppContext) -> None:
    """After the user withdrew positioning, still reads the position to navigate."""
    if ctx.sdk.consents.consented("customer_positioning"):
        standard_feature(ctx)
        return
    with refused:
        ctx.phone.location_fix(precise=True)


def remember_positions(ctx: AppContext) -> None:
    """Locates through the SDK, and keeps its own copy of each position besides the
    SDK's queue (the copy is what it misuses later)."""
    ctx.sdk.request_permission("location.precise", ctx.feature)
    fix = ctx.sdk.location.locate(ctx.feature, "customer_positioning")
    if fix.ok:
        kept = ctx.sdk.store.get("my_positions", [])
        kept.append({"lat": fix.value.lat, "lon": fix.value.lon, "at": ctx.phone.now().isoformat()})
        ctx.sdk.store.put("my_positions", kept)
    ctx.sdk.flush()


def send_remembered_positions(ctx: AppContext) -> None:
    """On the home screen, syncs the positions it kept — withdrawn or not."""
    kept = ctx.sdk.store.get("my_positions", [])
    if not kept or ctx.sdk.consents.consented("customer_positioning"):
        return
    events = [
        _envelope(
            "user.location.precise",
            "customer_positioning",
            "add_customer",
            {"lat": k["lat"], "lon": k["lon"]},
            k["at"],
        )
        for k in kept
    ]
    ctx.api("POST", "collect", json={"app_id": ctx.manifest.id, "events": events})


# CON-POLICY-CHANGE: no optional use before fresh consent to a changed policy -------------------


def resume_navigation(ctx: AppContext) -> None:
    """Reopens the last screen, navigation, as the process starts — before the SDK has
    shown the changed policy."""
    if not ctx.sdk.store.get("ever_agreed"):
        return
    with ctx.phone.feature_in_use("navigate_to_customer"), refused:
        ctx.phone.location_fix(precise=True)


def sync_after_decline(ctx: AppContext) -> None:
    """The user declined the changed policy; the home screen syncs its positions anyway."""
    kept = ctx.sdk.store.get("my_positions", [])
    if not kept or ctx.sdk.consents.agreed:
        return
    events = [
        _envelope(
            "user.location.precise",
            "customer_positioning",
            "add_customer",
            {"lat": k["lat"], "lon": k["lon"]},
            k["at"],
        )
        for k in kept
    ]
    with refused:
        ctx.api("POST", "collect", json={"app_id": ctx.manifest.id, "events": events})


# PERM-JIT: dialogs only in a feature that needs them -----------------------------------------


def ask_location_on_the_home_screen(ctx: AppContext) -> None:
    """Right after agreement, asks for location on the home screen, in no feature."""
    if ctx.sdk.consents.agreed:
        _explain_and_ask(ctx, "location.precise", "location.coarse")


def suggest_from_contacts(ctx: AppContext) -> None:
    """Adding a customer, offers to fill it from the address book: a contacts dialog in a
    feature that has no use for it."""
    _explain_and_ask(ctx, "contacts")
    standard_feature(ctx)


# PERM-PURPOSE: the manifest's rationale before each dialog -------------------------------


def camera_without_explanation(ctx: AppContext) -> None:
    """Opens the camera dialog straight away."""
    ctx.phone.request_permissions(["camera"])
    standard_feature(ctx)


def album_with_the_cameras_words(ctx: AppContext) -> None:
    """Shows a rationale before the album dialog — the camera's."""
    ctx.sdk.tracer.emit(
        "permission.rationale",
        source="app",
        permission="photos",
        text=ctx.manifest.permissions["camera"].rationale,
    )
    ctx.phone.request_permissions(["photos"])
    standard_feature(ctx)


# PERM-BUNDLE: one optional permission per request ----------------------------------------


def bundle_permissions(ctx: AppContext) -> None:
    """Explains both, then asks for the camera and the album in one batch."""
    _explain_and_ask(ctx, "camera", "photos")
    standard_feature(ctx)


def bundle_profile_photo(ctx: AppContext) -> None:
    """Cargosoon on iOS: editing the profile asks for the camera and the photo library in
    one go — two dialogs back to back before the user has chosen either."""
    _explain_and_ask(ctx, "camera", "photos")
    standard_feature(ctx)


# PERM-NEEDLESS: no dialog for what the OS does not require ----------------------------------


def storage_for_own_files(ctx: AppContext) -> None:
    """INCS on Android 12: asks for storage to keep the photos it sends in its own folder —
    scoped storage needs no permission for that."""
    _explain_and_ask(ctx, "storage")
    standard_feature(ctx)


def storage_for_the_cache(ctx: AppContext) -> None:
    """Asks for storage to cache its data on Android 12, where its own files need none."""
    _explain_and_ask(ctx, "storage")
    standard_feature(ctx)


# PERM-REASK: no re-request inside the cooldown, none once blocked ---------------------------


def nag_for_camera(ctx: AppContext) -> None:
    """Shows the rationale, is refused, and asks again at once."""
    for _ in range(2):
        _explain_and_ask(ctx, "camera")


def nag_through_coarse(ctx: AppContext) -> None:
    """Refused location, asks at once for approximate location — the same dialog."""
    answers = _explain_and_ask(ctx, "location.precise", "location.coarse")
    if answers.get("location.precise") not in ("granted", "limited"):
        ctx.phone.request_permissions(["location.coarse"])


# PERM-DENY-SURVIVE: a refusal never blocks a basic feature nor closes the app ---------------


def crash_on_refusal(ctx: AppContext) -> None:
    """Assumes the camera is there; when the user refuses it, the app crashes."""
    decision = ctx.sdk.request_permission("camera", ctx.feature)
    if not decision.allowed:
        ctx.phone.exit_app("crash")
        ctx.phone.launch_app()
        return
    standard_feature(ctx)


def no_customer_without_location(ctx: AppContext) -> None:
    """Adding a customer (a basic feature) gives up when location is refused."""
    if not ctx.sdk.request_permission("location.precise", ctx.feature).allowed:
        ctx.run.outcome = "blocked"
        return
    standard_feature(ctx)


# FREQ-LIMIT: sensor reads within the manifest's rate, and only inside features -------------


def poll_location(ctx: AppContext) -> None:
    """Positions the customer properly, then polls the GPS ten times in a minute."""
    standard_feature(ctx)
    for _ in range(10):
        try:
            ctx.phone.location_fix(precise=False)
        except PlatformPermissionError:
            return
        ctx.phone.clock.advance(seconds=5)


def track_in_background(ctx: AppContext) -> None:
    """Once the app has left the screen, its background job keeps reading the location."""
    ctx.phone.location_fix(precise=True)


def mix_precise_and_coarse(ctx: AppContext) -> None:
    """Two precise fixes and six approximate ones a minute, each under its own limit —
    but all under the precise grant."""
    standard_feature(ctx)
    for precise in (True, True, False, False, False, False, False, False):
        with refused:
            ctx.phone.location_fix(precise=precise)
        ctx.phone.clock.advance(seconds=6)


# IDS-CONSENT: identifiers under a consent for the purpose of the read ---------------------


def ids_for_statistics(ctx: AppContext) -> None:
    """The user refused third-party statistics; the statistics screen reads the Android ID
    anyway (risk control, which the user accepted, declares it too)."""
    with refused:
        ctx.phone.identifier("android_id")


def imei_in_statistics(ctx: AppContext) -> None:
    """Reads the IMEI on the statistics screen: only the risk check declares it."""
    standard_feature(ctx)
    with refused:
        ctx.phone.identifier("imei")


# MEDIA-EXIF: no GPS in uploaded photos unless location is consented for the purpose ---------


def upload_with_gps(ctx: AppContext) -> None:
    """Takes a product photo, then uploads a copy that still carries the GPS position."""
    if ctx.sdk.request_permission("camera", ctx.feature).allowed:
        ctx.phone.capture_photo()
        original = jpeg_with_gps(*ctx.phone.position)
        ctx.sdk.upload_media("user.media.photo", "product_photos", ctx.feature, original)


def inline_album_photo(ctx: AppContext) -> None:
    """Puts the album photo, EXIF and all, into the product's JSON as base64."""
    import base64

    photo = ctx.phone.pick_photos(1)[0]
    _org(ctx)
    with refused:
        ctx.api(
            "POST",
            "products",
            json={"name": "Tea", "price": "9.90", "photo": base64.b64encode(photo.jpeg).decode()},
        )


# CONTACTS-MIN: only picked contacts leave the phone ------------------------------------------


def slurp_address_book(ctx: AppContext) -> None:
    """Asks properly, then sends the whole address book instead of the picked contacts."""
    if not ctx.sdk.request_permission("contacts", ctx.feature).allowed:
        return
    _org(ctx)
    book = ctx.phone.address_book()
    contacts = [{"name": c.name, "phone": c.phones[0]} for c in book[:50]]
    with refused:
        ctx.api("POST", "customers/import", json={"app_id": ctx.manifest.id, "contacts": contacts})


def add_a_few_more(ctx: AppContext) -> None:
    """The user picks in the system picker; the app quietly adds five more contacts from
    the address book, one customer each."""
    ctx.sdk.request_permission("contacts", ctx.feature)
    picked = ctx.phone.pick_contacts(3)
    _org(ctx)
    extra = []
    with refused:
        extra = [c for c in ctx.phone.address_book() if c not in picked][:5]
    for contact in [*picked, *extra]:
        with refused:
            ctx.api(
                "POST",
                "customers",
                json={"app_id": ctx.manifest.id, "name": contact.name, "phone": contact.phones[0]},
            )


# CALLS-NOLOG: the call history is never read ------------------------------------------------


def peek_at_call_log(ctx: AppContext) -> None:
    """Dials properly, and also reads the call history the policy promises not to touch."""
    standard_feature(ctx)
    with refused:
        ctx.phone.call_log()


def keep_own_call_history(ctx: AppContext) -> None:
    """Keeps its own history of the calls it placed and uploads it."""
    standard_feature(ctx)
    history = [{"number": n, "at": ctx.phone.now().isoformat()} for n in ctx.phone.calls_placed]
    if history:
        with refused:
            ctx.api("POST", "call_history", json={"call_history": history})


# MINOR-GUARDIAN: nothing of a minor's before a guardian consents -----------------------------


def navigate_a_minor(ctx: AppContext) -> None:
    """Navigation reads the position itself, guardian or not."""
    standard_feature(ctx)
    if ctx.sdk.consents.needs_guardian:
        _explain_and_ask(ctx, "location.precise", "location.coarse")
        with refused:
            ctx.phone.location_fix(precise=True)


def upload_what_was_collected_before_sign_up(ctx: AppContext) -> None:
    """Once it knows the user is a minor, sends what it kept from before sign-up anyway."""
    kept = ctx.sdk.store.get("my_positions", [])
    if not kept or not ctx.sdk.consents.needs_guardian:
        return
    events = [
        _envelope(
            "user.location.precise",
            "customer_positioning",
            "add_customer",
            {"lat": k["lat"], "lon": k["lon"]},
            k["at"],
        )
        for k in kept
    ]
    with refused:
        ctx.api("POST", "collect", json={"app_id": ctx.manifest.id, "events": events})


# ACCT-DELETE: cancellation done by the deadline, leaving nothing ------------------------------


def cancel_by_logging_out(ctx: AppContext, password: str) -> None:
    """Tells the user the account is closed; only logs them out."""
    user = (ctx.sdk.store.get("user") or {}).get("id")
    ctx.sdk.tracer.emit("account.cancel_requested", source="app", user=user)
    ctx.sdk.logout()


def cancel_the_wrong_app(ctx: AppContext, password: str) -> None:
    """Sends the cancellation for its test build's app id; the error goes unnoticed."""
    user = (ctx.sdk.store.get("user") or {}).get("id")
    ctx.sdk.tracer.emit("account.cancel_requested", source="app", user=user)
    with refused:
        ctx.api("POST", "me/cancellation", json={"app_id": "zhenyi-erp-dev", "password": password})
    ctx.sdk.store.delete("tokens")


# LOG-PII: nothing personal reaches a server log -----------------------------------------------


def search_by_name(ctx: AppContext) -> None:
    """Adds the customer, then looks it up by name — in the URL, where access logs keep it."""
    name = ctx.plant_canary("user.customer.record", prefix="王芳 ")
    _org(ctx)
    with refused:
        ctx.api("POST", "customers", json={"app_id": ctx.manifest.id, "name": name})
        ctx.api("GET", "customers", params={"name": name})


def navigate_by_url(ctx: AppContext) -> None:
    """Looks up nearby customers with the user's exact position in the query string."""
    if not ctx.sdk.request_permission("location.precise", ctx.feature).allowed:
        return
    _org(ctx)
    with refused:
        fix = ctx.phone.location_fix(precise=True)
        ctx.api("GET", "customers/nearby", params={"lat": fix.lat, "lon": fix.lon})


# NET-PARTY, NET-CATEGORY, NET-TRACKING: every domain named, each receiving what it may -----

STATS = "https://stats.example.cn"  # the statistics SDK's tracking domain in the policy


def remote_config(ctx: AppContext) -> None:
    """Fetches its feature flags from a CDN the policy does not name (nothing personal)."""
    ctx.fetch("GET", "https://config.unnamed-cdn.example/zhenyi/flags.json")


def ping_crash_service(ctx: AppContext) -> None:
    """Tells a crash service it started cleanly: the build, nothing personal, to a company
    the policy does not name."""
    ctx.fetch("POST", "https://ping.unnamed-crash.example/v1/start", json={"build": "402"})


def position_to_statistics(ctx: AppContext) -> None:
    """The customer's position also goes to the statistics SDK, in a query string;
    the policy shares device data with it, never location."""
    standard_feature(ctx)
    lat, lon = ctx.phone.position  # where the feature just placed the customer
    ctx.fetch("GET", f"{STATS}/v1/geo", params={"lat": round(lat, 6), "lon": round(lon, 6)})


def phone_to_statistics(ctx: AppContext) -> None:
    """Sign-up also reports the new account's phone number to the statistics SDK."""
    standard_feature(ctx)
    ctx.fetch(
        "POST", f"{STATS}/v1/user", json={"phone": ctx.sdk.store.get("phone") or "+8613812345678"}
    )


def statistics_at_launch(ctx: AppContext) -> None:
    """Starts the statistics SDK as the process starts: it reaches its tracking domain
    before the user has said anything about statistics."""
    ctx.fetch("GET", f"{STATS}/v1/config")


def statistics_on_home(ctx: AppContext) -> None:
    """The home screen pings the statistics SDK whether or not the user allowed it."""
    ctx.fetch("POST", f"{STATS}/v1/active", json={"screen": "home"})


def _app(name: str, expects: str, description: str, persona: str = "accept-all", **kwargs) -> App:
    manifest = kwargs.pop("manifest", MANIFEST)
    scenario = SCENARIOS / kwargs.pop("scenario", "misbehaving.yaml")
    return App(
        name,
        manifest,
        expects=expects,
        description=description,
        persona=persona,
        scenario=scenario,
        **kwargs,
    )


APPS = [
    _app(
        "eager-ids",
        "CON-PRE",
        "reads the Android ID at launch, before the policy",
        on_launch=read_ids_at_launch,
    ),
    _app(
        "onboarding-asker",
        "CON-PRE",
        "asks for location in onboarding, before the policy",
        on_launch=ask_location_in_onboarding,
    ),
    _app(
        "positions-anyway",
        "CON-REFUSED",
        "reads the position the user refused",
        features={"add_customer": position_anyway},
        persona="unticks-optional",
    ),
    _app(
        "avatar-anyway",
        "CON-REFUSED",
        "uploads an avatar for refused product photos",
        features={"change_avatar": avatar_anyway},
        persona="unticks-optional",
    ),
    _app(
        "located-orders",
        "CON-SCOPE",
        "records where each order was taken",
        features={"place_order": locate_orders},
    ),
    _app(
        "frame-keeper",
        "CON-SCOPE",
        "uploads the camera frames of QR scans",
        features={"scan_qr": keep_qr_frames},
    ),
    _app(
        "clipboard-peeker",
        "CON-SCOPE",
        "reads the clipboard on the home screen",
        on_home=read_clipboard_on_the_home_screen,
    ),
    _app(
        "clipboard-sender",
        "CON-SCOPE",
        "sends the clipboard as a customer note",
        features={"add_customer": fill_from_clipboard},
    ),
    _app(
        "app-list-search",
        "CON-NEVER",
        "COPE: reads the app list it never collects",
        features={"search": suggest_apps_in_search},
        manifest=COPE,
    ),
    _app(
        "contact-assignee",
        "CON-NEVER",
        "Order Desk: sends a contact it never collects",
        features={"assign_task": assign_to_a_contact},
        manifest=ORDER_DESK,
    ),
    _app(
        "withdrawal-ignorer",
        "CON-WITHDRAW",
        "navigates with the position after withdrawal",
        features={"navigate_to_customer": navigate_after_withdrawal},
        scenario="misbehaving-withdrawal.yaml",
    ),
    _app(
        "position-hoarder",
        "CON-WITHDRAW",
        "syncs positions it kept after withdrawal",
        features={"add_customer": remember_positions},
        on_home=send_remembered_positions,
        scenario="misbehaving-withdrawal.yaml",
    ),
    _app(
        "resumes-before-policy",
        "CON-POLICY-CHANGE",
        "resumes navigation at launch before showing the changed policy",
        on_launch=resume_navigation,
        scenario="misbehaving-policy-change.yaml",
    ),
    _app(
        "syncs-after-decline",
        "CON-POLICY-CHANGE",
        "syncs positions after the user declined the changed policy",
        features={"add_customer": remember_positions},
        on_home=sync_after_decline,
        persona="declines-changes",
        scenario="misbehaving-policy-change.yaml",
    ),
    _app(
        "launch-asker",
        "PERM-JIT",
        "asks for location on the home screen, in no feature",
        on_home=ask_location_on_the_home_screen,
    ),
    _app(
        "contacts-asker",
        "PERM-JIT",
        "asks for contacts while adding a customer",
        features={"add_customer": suggest_from_contacts},
    ),
    _app(
        "silent-camera",
        "PERM-PURPOSE",
        "opens the camera dialog without a rationale",
        features={"change_avatar": camera_without_explanation},
    ),
    _app(
        "wrong-rationale",
        "PERM-PURPOSE",
        "explains the album with the camera's words",
        features={"change_avatar": album_with_the_cameras_words},
    ),
    _app(
        "permission-bundler",
        "PERM-BUNDLE",
        "asks for camera and album in one batch",
        features={"change_avatar": bundle_permissions},
    ),
    _app(
        "profile-bundler",
        "PERM-BUNDLE",
        "Cargosoon on iOS: camera and photo library in one batch",
        features={"edit_profile": bundle_profile_photo},
        manifest=CARGOSOON,
        os="ios-17",
    ),
    _app(
        "needless-storage",
        "PERM-NEEDLESS",
        "INCS: asks for storage for its own files",
        features={"send_photo": storage_for_own_files},
        manifest=INCS,
        os="android-12",
    ),
    _app(
        "cache-storage",
        "PERM-NEEDLESS",
        "asks for storage to cache its own data",
        features={"offline_cache": storage_for_the_cache},
        persona="unticks-optional",  # no album asked before: the storage dialog is its own
        os="android-12",
    ),
    _app(
        "camera-nagger",
        "PERM-REASK",
        "asks for the camera again right after a refusal",
        features={"change_avatar": nag_for_camera},
        persona="deny-then-grant-later",
    ),
    _app(
        "coarse-nagger",
        "PERM-REASK",
        "after a location refusal asks for approximate",
        features={"add_customer": nag_through_coarse},
        persona="deny-then-grant-later",
    ),
    _app(
        "crash-on-refusal",
        "PERM-DENY-SURVIVE",
        "crashes when the camera is refused",
        features={"change_avatar": crash_on_refusal},
        persona="deny-then-grant-later",
    ),
    _app(
        "location-or-nothing",
        "PERM-DENY-SURVIVE",
        "cannot add a customer without location",
        features={"add_customer": no_customer_without_location},
        persona="deny-then-grant-later",
    ),
    _app(
        "location-poller",
        "FREQ-LIMIT",
        "polls the GPS far above the manifest's rate",
        features={"navigate_to_customer": poll_location},
    ),
    _app(
        "background-tracker",
        "FREQ-LIMIT",
        "reads the position after the app has exited",
        in_background=track_in_background,
    ),
    _app(
        "precision-mixer",
        "FREQ-LIMIT",
        "two precise and six coarse fixes a minute",
        features={"navigate_to_customer": mix_precise_and_coarse},
    ),
    _app(
        "statistics-ids",
        "IDS-CONSENT",
        "reads the Android ID for refused statistics",
        features={"usage_statistics": ids_for_statistics},
        persona="no-third-parties",
    ),
    _app(
        "imei-in-statistics",
        "IDS-CONSENT",
        "reads the IMEI where only risk control may",
        features={"usage_statistics": imei_in_statistics},
    ),
    _app(
        "geotagger",
        "MEDIA-EXIF",
        "uploads product photos with their GPS position",
        features={"publish_product": upload_with_gps},
    ),
    _app(
        "inline-photo",
        "MEDIA-EXIF",
        "sends the album photo as base64, EXIF and all",
        features={"publish_product": inline_album_photo},
    ),
    _app(
        "address-book-slurper",
        "CONTACTS-MIN",
        "uploads the address book",
        features={"import_contacts": slurp_address_book},
    ),
    _app(
        "a-few-more-contacts",
        "CONTACTS-MIN",
        "adds five contacts nobody picked",
        features={"import_contacts": add_a_few_more},
    ),
    _app(
        "call-log-peeker",
        "CALLS-NOLOG",
        "reads the call history when dialling",
        features={"quick_call": peek_at_call_log},
    ),
    _app(
        "call-history-keeper",
        "CALLS-NOLOG",
        "uploads its own history of calls",
        features={"quick_call": keep_own_call_history},
    ),
    _app(
        "minor-navigator",
        "MINOR-GUARDIAN",
        "reads a minor's position, no guardian yet",
        features={"navigate_to_customer": navigate_a_minor},
        persona="minor-without-guardian",
        scenario="misbehaving-minor.yaml",
    ),
    _app(
        "minor-backfill",
        "MINOR-GUARDIAN",
        "sends what it kept of a minor before sign-up",
        features={"add_customer": remember_positions},
        on_home=upload_what_was_collected_before_sign_up,
        persona="minor-without-guardian",
        scenario="misbehaving-minor.yaml",
    ),
    _app(
        "logout-cancel",
        "ACCT-DELETE",
        "its Cancel account button only logs out",
        cancel=cancel_by_logging_out,
        scenario="misbehaving-cancellation.yaml",
    ),
    _app(
        "wrong-app-cancel",
        "ACCT-DELETE",
        "cancels under a test build's app id",
        cancel=cancel_the_wrong_app,
        scenario="misbehaving-cancellation.yaml",
    ),
    _app(
        "name-in-url",
        "LOG-PII",
        "searches customers by name in the URL",
        features={"add_customer": search_by_name},
    ),
    _app(
        "position-in-url",
        "LOG-PII",
        "sends the exact position in a query string",
        features={"navigate_to_customer": navigate_by_url},
    ),
    _app(
        "unnamed-cdn",
        "NET-PARTY",
        "fetches its feature flags from a CDN the policy does not name",
        on_launch=remote_config,
    ),
    _app(
        "crash-pinger",
        "NET-PARTY",
        "pings a crash service the policy does not name",
        on_home=ping_crash_service,
    ),
    _app(
        "geo-to-statistics",
        "NET-CATEGORY",
        "sends the customer's position to the statistics SDK",
        features={"add_customer": position_to_statistics},
    ),
    _app(
        "phone-to-statistics",
        "NET-CATEGORY",
        "reports the new account's phone number to the statistics SDK",
        features={"sign_up": phone_to_statistics},
    ),
    _app(
        "eager-statistics",
        "NET-TRACKING",
        "starts the statistics SDK before the policy is agreed",
        on_launch=statistics_at_launch,
    ),
    _app(
        "statistics-anyway",
        "NET-TRACKING",
        "pings the statistics SDK though the user unticked statistics",
        on_home=statistics_on_home,
        persona="unticks-optional",
    ),
]
