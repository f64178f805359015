"""Writing an app for the simulator: a manifest plus feature implementations.

    from consentkit.simulator.app import App

    def quick_call(ctx):                       # a feature: uses the SDK, sets the outcome
        ctx.sdk.request_permission("phone.call", ctx.feature)
        if not ctx.sdk.calls.place_call(ctx.feature, "+8613900000001").ok:
            ctx.run.outcome = "degraded"

    APP = App("zhenyi-erp", "manifests/zhenyi-erp.yaml", features={"quick_call": quick_call})

Every feature without its own implementation gets ``standard_feature``: the well-behaved
way, derived from the manifest — ask each permission inside the feature, after its
rationale, one at a time; collect each category through its collector, for a consented
purpose only; flush. A misbehaving app overrides a feature (or ``on_launch``) to go
around the SDK and call the phone directly — the phone still traces it.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from ..device_sdk import ConsentKit, FeatureRun
from ..device_sdk.platform import AppBuild
from ..policy import Manifest, load_manifest, taxonomy
from .phone import VirtualPhone

__all__ = ["App", "AppContext", "FeatureImpl", "standard_feature"]


@dataclass
class AppContext:
    """What a feature implementation works with."""

    sdk: ConsentKit
    phone: VirtualPhone
    rng: random.Random
    feature: str = ""
    run: FeatureRun = field(default_factory=lambda: FeatureRun(""))

    @property
    def manifest(self) -> Manifest:
        """The policy in force (before the SDK has fetched it, the app's own copy)."""
        return self.sdk.manifest or self.phone.policy()

    def api(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """The app's own HTTP call to its server, around the SDK and its gate (what many
        apps do). It goes out through the phone's network all the same."""
        headers = dict(kwargs.pop("headers", None) or {})
        tokens = self.sdk.client.tokens
        if tokens:
            headers.setdefault("Authorization", f"Bearer {tokens['access_token']}")
        return self.sdk.client.http.request(method, path.lstrip("/"), headers=headers, **kwargs)

    def fetch(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """The app's own request to any host (an SDK's collector, a tracker, a CDN), through
        the phone's network: a host other than the app's server is recorded as contacted
        and answered by the simulation (204), never by the real internet."""
        return self.sdk.client.http.request(method, url, **kwargs)

    def plant_canary(self, category: str | None = None, prefix: str = "") -> str:
        """A value to put into data the app sends (LOG-PII checks it never reaches a server
        log); ``category`` says what it stands for, so the network recognises it."""
        value = f"{prefix}CANARY-{self.rng.randrange(10**8):08d}"
        self.phone.plant(value, category)
        fields = {"category": category} if category else {}
        self.sdk.tracer.emit("canary.planted", source="app", values=[value], **fields)
        return value

    def purpose_for(self, category: str) -> str | None:
        """The first of the feature's purposes that declares the category and is consented."""
        for purpose in self.manifest.features[self.feature].purposes:
            if self.manifest.category_allowed(category, purpose, self.feature) and (
                self.sdk.consents.consented(purpose)
            ):
                return purpose
        return None


FeatureImpl = Callable[[AppContext], None]
LaunchHook = Callable[[AppContext], None]
CancelHook = Callable[[AppContext, str], None]


class App:
    def __init__(
        self,
        name: str,
        manifest: str | Path,
        *,
        features: dict[str, FeatureImpl] | None = None,
        on_launch: LaunchHook | None = None,
        on_home: LaunchHook | None = None,
        in_background: LaunchHook | None = None,
        cancel: CancelHook | None = None,
        expects: str | None = None,
        persona: str | None = None,
        scenario: str | Path | None = None,
        os: str | None = None,
        description: str = "",
        build: AppBuild | None = None,
    ) -> None:
        self.name = name
        self.manifest_path = Path(manifest)
        self.manifest = load_manifest(self.manifest_path)
        # What the app's package declares to the phone's OS (AndroidManifest, Info.plist).
        self.build = build or AppBuild(package=f"com.example.{self.manifest.id}".replace("-", "_"))
        self.features = features or {}
        self.on_launch = on_launch  # runs as the process starts, before the SDK
        self.on_home = on_home  # runs on the home screen, once the SDK has started
        self.in_background = in_background  # work the app goes on with after it leaves the screen
        self.expects = expects  # the one rule a deliberately misbehaving app breaks
        self.persona = persona  # the user a demo runs it with, when it needs a particular one
        self.cancel = cancel  # how the app carries out "cancel my account" (default: the SDK)
        self.scenario = Path(scenario) if scenario else None  # the demo's journey for it
        self.os = os  # the phone a demo runs it on (e.g. android-12), when it needs one
        self.description = description
        unknown = set(self.features) - set(self.manifest.features)
        if unknown:
            raise ValueError(f"{name}: {sorted(unknown)} are not features of {self.manifest.id}")

    def launch(self, ctx: AppContext) -> None:
        """Process start: the app's own code first, then the SDK, then the home screen."""
        ctx.phone.policy = lambda: ctx.sdk.consents.manifest or self.manifest
        ctx.phone.background = [lambda: self.in_background(ctx)] if self.in_background else []
        if self.on_launch is not None:
            self.on_launch(ctx)
        ctx.sdk.start()
        if self.on_home is not None:
            self.on_home(ctx)

    def cancel_account(self, ctx: AppContext, password: str) -> None:
        """The user closes the account from the app."""
        if self.cancel is not None:
            self.cancel(ctx, password)
        else:
            ctx.sdk.cancel_account(password=password)

    def use(self, ctx: AppContext, feature: str) -> str:
        """The user starts ``feature``; returns its outcome."""
        with ctx.phone.feature_in_use(feature), ctx.sdk.feature(feature) as run:
            ctx.feature, ctx.run = feature, run
            (self.features.get(feature) or standard_feature)(ctx)
        return run.outcome


# the standard, well-behaved feature -------------------------------------------------


def _permissions_in_order(ctx: AppContext) -> list[str]:
    """Each permission once; coarse location rides with precise (one dialog)."""
    perms = list(ctx.manifest.features[ctx.feature].permissions)
    if "location.precise" in perms and "location.coarse" in perms:
        perms.remove("location.coarse")
    return perms


def _needed(ctx: AppContext, permission: str) -> bool:
    """Ask only for a permission whose data has a consented purpose here."""
    feature = ctx.manifest.features[ctx.feature]
    needs = [c for c in feature.collects if permission in taxonomy().categories[c].permissions]
    if not needs:  # e.g. placing a call: no data, the feature itself needs it
        return any(ctx.sdk.consents.consented(p) for p in feature.purposes)
    return any(ctx.purpose_for(c) for c in needs)


def _form_payload(ctx: AppContext, category: str) -> dict | None:
    kind = taxonomy().categories[category].payload
    n = ctx.rng.randrange(10**8)
    return {
        "text": {"value": f"{category.rsplit('.', 1)[-1]} {n}"},
        "phone": {"phone": f"+86139{n:08d}"},
        "email": {"email": f"user{n}@example.com"},
        "object": {"ref": f"{ctx.feature}-{n}", "note": "entered in the app"},
    }.get(kind)


def _collect(ctx: AppContext, category: str, purpose: str) -> bool:
    sdk, feature = ctx.sdk, ctx.feature
    name = category.rsplit(".", 1)[-1]
    if category in ("user.location.precise", "user.location.coarse"):
        return sdk.location.locate(feature, purpose).ok
    if category in ("user.media.photo", "user.account.avatar", "user.media.file"):
        if category == "user.media.photo" and sdk.permissions.status("camera") == "granted":
            return sdk.camera.take_photo(feature, purpose).ok
        return sdk.album.pick(feature, purpose, limit=1, category=category).ok
    if category == "user.media.camera_frame":
        return sdk.camera.take_photo(feature, purpose, upload=False, category=category).ok
    if category == "user.contacts.entry":
        return sdk.contacts.pick(feature, purpose, limit=5).ok
    if category.startswith("user.device.device_id."):
        return sdk.identifiers.read(name, feature, purpose).ok
    if category == "user.calls.log":
        return sdk.calls.call_log(feature, purpose).ok
    if category == "user.device.app_list":
        return True  # used on the phone only (stored: false); nothing is read for upload
    payload = _form_payload(ctx, category)
    if payload is None:
        return False
    if not sdk.gate.can_collect(category, purpose, feature):
        return False
    sdk.queue_event(category, purpose, feature, payload)
    return True


def standard_feature(ctx: AppContext, *, flush: bool = True) -> None:
    """The well-behaved feature; ``flush=False`` leaves the upload to a later flush."""
    feature = ctx.manifest.features[ctx.feature]
    for permission in _permissions_in_order(ctx):
        if _needed(ctx, permission):
            ctx.sdk.request_permission(permission, ctx.feature)
    ok = True
    located = False
    for category in feature.collects:
        purpose = ctx.purpose_for(category)
        if purpose is None:
            ok = False
            continue
        if category.startswith("user.location."):
            if located:
                continue
            located = True
        ok = _collect(ctx, category, purpose) and ok
    if "phone.call" in feature.permissions and any(
        ctx.sdk.consents.consented(p) for p in feature.purposes
    ):
        ok = ctx.sdk.calls.place_call(ctx.feature, "+8613900000001").ok and ok
    if flush:
        ctx.sdk.flush()
    if not ok:
        ctx.run.outcome = "degraded"
