"""The five seed apps as well-behaved apps: each a manifest plus its features.

Most features are the standard, manifest-driven implementation (see
``consentkit.simulator.app``). Zhenyi ERP — the seed that maps each permission to a
feature — implements its features on the server's business API: customers placed on the
map, contacts imported as customers, products with photos and QR codes, orders, calls.
"""

from pathlib import Path

from consentkit.device_sdk import NotAllowed, ServerError
from consentkit.device_sdk.platform import AppBuild
from consentkit.simulator.app import App, AppContext, standard_feature

MANIFESTS = Path(__file__).resolve().parent.parent / "manifests"


def _org(ctx: AppContext) -> bool:
    """The user's organization, created on first use (False before login). The app
    remembers it per account, as a real app keeps the profile it fetched at sign-in."""
    if not ctx.sdk.client.tokens:
        return False
    user = (ctx.sdk.store.get("user") or {}).get("id")
    known = ctx.sdk.store.get("org")
    if known and known["user"] == user:
        return True
    try:
        org = ctx.sdk.client.request("GET", "orgs/me")
    except ServerError as exc:
        if exc.code != "no_organization":
            raise
        name = f"Shop {ctx.rng.randrange(10**6)}"
        org = ctx.sdk.client.request("POST", "orgs", json={"name": name})
    ctx.sdk.store.put("org", {"user": user, "id": org["id"]})
    return True


def _customers(ctx: AppContext) -> list[dict]:
    return ctx.sdk.client.request("GET", "customers") if _org(ctx) else []


def add_customer(ctx: AppContext) -> None:
    """Locate the new customer (optional) and add it, placed on the map by the server."""
    if not _org(ctx):
        ctx.run.outcome = "degraded"
        return
    sdk, feature = ctx.sdk, ctx.feature
    # A planted canary: LOG-PII checks that this value never shows up in a server log.
    canary = f"CANARY-{ctx.rng.randrange(10**8):08d}"
    ctx.sdk.tracer.emit("canary.planted", source="app", values=[canary])
    body = {"app_id": ctx.manifest.id, "name": f"Customer {canary}"}
    categories = ["user.customer.record"]
    if sdk.consents.consented("customer_positioning"):
        sdk.request_permission("location.precise", feature)
        fix = sdk.location.locate(feature, "customer_positioning", upload=False)
        if fix.ok:
            body["location"] = {
                "lat": fix.value.lat,
                "lon": fix.value.lon,
                "accuracy_m": fix.value.accuracy_m,
                "collected_at": ctx.phone.now().isoformat(),
            }
            categories.append(
                "user.location.precise" if fix.value.precise else "user.location.coarse"
            )
    purpose = "customer_positioning" if "location" in body else "account"
    try:
        sdk.send(
            "customers",
            body,
            categories=categories[1:] or categories,
            purpose=purpose,
            feature=feature,
        )
    except NotAllowed:
        ctx.run.outcome = "degraded"
    if "location" not in body:
        ctx.run.outcome = "degraded"


def import_contacts(ctx: AppContext) -> None:
    """The user picks contacts; each becomes a customer (a name and a phone, nothing more)."""
    if not _org(ctx) or not ctx.sdk.consents.consented("customer_import"):
        ctx.run.outcome = "degraded"
        return
    ctx.sdk.request_permission("contacts", ctx.feature)
    picked = ctx.sdk.contacts.pick(ctx.feature, "customer_import", limit=5, upload=False)
    if not picked.ok or not picked.value:
        ctx.run.outcome = "degraded"
        return
    ctx.sdk.send(
        "customers/import",
        {"app_id": ctx.manifest.id, "contacts": picked.value},
        categories=["user.contacts.entry"],
        purpose="customer_import",
        feature=ctx.feature,
    )


def publish_product(ctx: AppContext) -> None:
    """A product with a photo from the camera (or the album), and its QR code."""
    sdk, feature = ctx.sdk, ctx.feature
    if not _org(ctx) or not sdk.consents.consented("product_photos"):
        ctx.run.outcome = "degraded"
        return
    photo = None
    if sdk.request_permission("camera", feature).allowed:
        shot = sdk.camera.take_photo(feature, "product_photos", upload=False)
        photo = shot.value.jpeg if shot.ok else None
    if photo is None and sdk.request_permission("photos", feature).allowed:
        picked = sdk.album.pick(feature, "product_photos", limit=1, upload=False)
        photo = picked.value[0].jpeg if picked.ok and picked.value else None
    image = (
        sdk.upload_media("user.media.photo", "product_photos", feature, photo) if photo else None
    )
    product = sdk.client.request(
        "POST",
        "products",
        json={
            "name": f"Product {ctx.rng.randrange(10**4)}",
            "price": "19.90",
            "image_id": image["id"] if image else None,
        },
    )
    ctx.sdk.client.http.get(
        f"products/{product['id']}/qr.png",
        headers={"Authorization": f"Bearer {sdk.client.tokens['access_token']}"},
    )
    if image is None:
        ctx.run.outcome = "degraded"


def place_order(ctx: AppContext) -> None:
    customers = _customers(ctx)
    if not customers:
        ctx.run.outcome = "degraded"
        return
    body = {
        "app_id": ctx.manifest.id,
        "customer_id": customers[0]["id"],
        "items": [
            {"sku": "T1", "name": "Tea", "quantity": ctx.rng.randrange(1, 5), "price": "9.90"}
        ],
    }
    ctx.sdk.send(
        "orders",
        body,
        categories=["user.transaction.order"],
        purpose="account",
        feature=ctx.feature,
    )


def quick_call(ctx: AppContext) -> None:
    """Call a downstream customer from the customer page: the dialer only. The policy
    "will not actively obtain and store call information", so no call record is sent."""
    customers = _customers(ctx)
    allowed = ctx.sdk.request_permission("phone.call", ctx.feature).allowed
    number = (customers[0].get("phone") if customers else None) or "+8613900000001"
    if (allowed or ctx.phone.os_name == "ios") and ctx.sdk.calls.place_call(ctx.feature, number).ok:
        return
    ctx.run.outcome = "degraded"


def clear_chat_history(ctx: AppContext) -> None:
    """INCS: a member asks to delete her messages. They are the enterprise's data (a
    processor-role category), so the request goes to her organization; here she is its
    admin too, and answers it from the admin screen."""
    if not _org(ctx):
        ctx.run.outcome = "degraded"
        return
    client = ctx.sdk.client
    answer = client.request(
        "DELETE",
        "me/data",
        params={"app_id": ctx.manifest.id, "category": "user.messages.content"},
    )
    if answer.get("forwarded_to"):
        waiting = [r["id"] for r in client.request("GET", "orgs/requests")]
        if answer["request"] not in waiting:
            raise RuntimeError("a forwarded request did not reach the organization")
        client.request(
            "POST", f"orgs/requests/{answer['request']}/answer", json={"decision": "delete"}
        )


SOCIAL_APPS = (
    "com.tencent.mm",
    "com.tencent.mobileqq",
    "com.sina.weibo",
    "com.alibaba.android.rimet",
)
SOCIAL_SCHEMES = ("weixin", "mqq", "sinaweibo", "dingtalk")
RISKY_APPS = ("cmb.pb", "com.icbc", "com.eg.android.AlipayGphone")
RISKY_SCHEMES = ("cmbmobilebank", "com.icbc.iphoneclient", "alipay")


def _reads_app_list(purpose: str, *, upload: bool):
    """A feature that also reads the installed-app list, with the user's authorization
    (its optional purpose consented): uploaded for risk control, or used on the phone only
    to open the social app the user picks."""

    def feature(ctx: AppContext) -> None:
        standard_feature(ctx)  # whatever else the feature declares
        if not ctx.sdk.consents.consented(purpose):
            ctx.run.outcome = "degraded"
            return
        apps = ctx.sdk.apps.installed(ctx.feature, purpose, upload=upload)
        if upload:
            ctx.sdk.flush()
        if not apps.ok or not apps.value:
            ctx.run.outcome = "degraded"

    return feature


APPS = [
    App(
        "zhenyi-erp",
        MANIFESTS / "zhenyi-erp.yaml",
        features={
            "add_customer": add_customer,
            "import_contacts": import_contacts,
            "publish_product": publish_product,
            "place_order": place_order,
            "quick_call": quick_call,
            "risk_check": _reads_app_list("device_risk_control", upload=True),
        },
        build=AppBuild(package="com.zhenyi.erp", queries=RISKY_APPS + RISKY_SCHEMES),
        description="Zhenyi ERP: customers with positioning, photos, contacts import, calls",
    ),
    App(
        "cope-erp",
        MANIFESTS / "cope-erp.yaml",
        description="COPE Cloud ERP: warehousing and billing, identity verification, cloud sync",
    ),
    App(
        "cargosoon",
        MANIFESTS / "cargosoon.yaml",
        features={
            "share_cargo": _reads_app_list("social_sharing", upload=False),
            "risk_scan": _reads_app_list("app_list_risk_control", upload=True),
        },
        build=AppBuild(
            package="com.cargosoon.app",
            queries=SOCIAL_APPS + SOCIAL_SCHEMES + RISKY_APPS + RISKY_SCHEMES,
        ),
        description="Cargosoon logistics: phone login, authentication, payments, sharing",
    ),
    App(
        "incs",
        MANIFESTS / "incs.yaml",
        features={"clear_chat_history": clear_chat_history},
        description="INCS messaging: chat, media, location sharing, third-party apps",
    ),
    App(
        "order-desk",
        MANIFESTS / "order-desk.yaml",
        description="Order Desk: orders, tasks, attachments, notifications",
    ),
]

__all__ = ["APPS", "standard_feature"]
