"""The five seed apps as well-behaved apps: each a manifest plus its features.

Most features are the standard, manifest-driven implementation (see
``consentkit.simulator.app``); where an app does something particular, it says so here.
"""

from pathlib import Path

from consentkit.simulator.app import App, AppContext

MANIFESTS = Path(__file__).resolve().parent.parent / "manifests"


def zhenyi_quick_call(ctx: AppContext) -> None:
    """Call a downstream customer from the customer page: the dialer, never the call log."""
    allowed = ctx.sdk.request_permission("phone.call", ctx.feature).allowed
    if (allowed or ctx.phone.os_name == "ios") and ctx.sdk.calls.place_call(
        ctx.feature, "+8613900000001"
    ).ok:
        return
    ctx.run.outcome = "degraded"


APPS = [
    App(
        "zhenyi-erp",
        MANIFESTS / "zhenyi-erp.yaml",
        features={"quick_call": zhenyi_quick_call},
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
        description="Cargosoon logistics: phone login, authentication, payments, sharing",
    ),
    App(
        "incs",
        MANIFESTS / "incs.yaml",
        description="INCS messaging: chat, media, location sharing, third-party apps",
    ),
    App(
        "order-desk",
        MANIFESTS / "order-desk.yaml",
        description="Order Desk: orders, tasks, attachments, notifications",
    ),
]
