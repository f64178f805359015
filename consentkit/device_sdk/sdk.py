"""``ConsentKit``: the one object an app holds.

sdk = ConsentKit("zhenyi-erp", platform=phone, ui=screens, transport=in_process(app))
sdk.start()                                  # shows the policy if needed; nothing before
with sdk.feature("add_customer"):            # the user started it: dialogs may follow
    sdk.request_permission("location.precise", "add_customer")
    sdk.location.locate("add_customer", "customer_positioning")
sdk.flush()                                  # queued uploads, with retry and backoff
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx

from .client import ApiClient
from .collectors import (
    AlbumCollector,
    AppListCollector,
    CallsCollector,
    CameraCollector,
    ClipboardCollector,
    ContactsCollector,
    IdentifierCollector,
    LocationCollector,
)
from .consent import ConsentManager, ConsentUI
from .errors import ConfigurationError, NotAllowed, OfflineError, ServerError
from .gate import Decision, Gate, Reason
from .os_rules import BACKGROUND, FOREGROUND
from .permissions import PermissionManager
from .platform import Platform
from .store import DeviceStore
from .trace import NullSink, Tracer, TraceSink

__all__ = ["ConsentKit", "FeatureRun"]

BATCH = 100
PURPOSE_HEADER = "ConsentKit-Purpose"  # on send(): what the upload is for
FEATURE_HEADER = "ConsentKit-Feature"  # and the feature that collected it
BACKOFF_BASE_S = 30
BACKOFF_MAX_S = 3600
PRECISE, COARSE = FOREGROUND
OWN_FILES = ("storage", "photos.add")  # what scoped storage lets an app do without asking
SCOPED_STORAGE = "scoped storage: the app's own files need no permission"


@dataclass
class FeatureRun:
    """A user-started feature; set ``outcome`` to degraded/blocked/error as it ends."""

    feature: str
    outcome: str = "ok"


class ConsentKit:
    def __init__(
        self,
        app_id: str,
        platform: Platform,
        ui: ConsentUI,
        *,
        base_url: str = "http://consentkit.local/api/v1",
        transport: httpx.BaseTransport | None = None,
        client: ApiClient | None = None,
        store: DeviceStore | None = None,
        tracer: Tracer | None = None,
        trace_sink: TraceSink | None = None,
        device_id: str = "device",
    ) -> None:
        self.app_id = app_id
        self.platform = platform
        self.ui = ui
        self.store = store or DeviceStore()
        self.client = client or ApiClient(base_url, transport=transport, store=self.store)
        self.tracer = (
            tracer
            or getattr(platform, "tracer", None)
            or Tracer(trace_sink or NullSink(), device_id, app_id, platform.now)
        )
        self.consents = ConsentManager(app_id, self.client, self.store, self.tracer, ui)
        self.permissions = PermissionManager(platform, self.store, self.tracer)
        self._gate: Gate | None = None
        self._reads: dict = {}  # the gate's read history, kept across restarts
        self.location = LocationCollector(self)
        self.camera = CameraCollector(self)
        self.album = AlbumCollector(self)
        self.contacts = ContactsCollector(self)
        self.calls = CallsCollector(self)
        self.identifiers = IdentifierCollector(self)
        self.apps = AppListCollector(self)
        self.clipboard = ClipboardCollector(self)

    # life cycle --------------------------------------------------------------
    def start(self) -> bool:
        """At launch: fetch the policy, show it when needed. True once it is agreed."""
        agreed = self.consents.ensure_agreed()
        self._gate = Gate(
            self.consents.manifest, self.consents, self.permissions, self.platform.now, self._reads
        )
        self.consents.send_pending_withdrawals()
        return agreed

    @property
    def gate(self) -> Gate:
        if self._gate is None:
            raise ConfigurationError("call start() first: the gate needs the policy")
        return self._gate

    @property
    def manifest(self):
        return self.consents.manifest

    # accounts ------------------------------------------------------------------
    def register(self, phone: str, code: str, password: str, birth_date: str | None = None) -> dict:
        """Create the account; this install's consents become the user's."""
        answer = self.client.register(phone, code, password, self.consents.install_id, birth_date)
        self.tracer.emit(
            "account.registered",
            user=answer["user"]["id"],
            minor=bool(birth_date and self._is_minor_after_refresh()),
        )
        return answer

    def _is_minor_after_refresh(self) -> bool:
        self.consents.refresh_state()
        return self.consents.needs_guardian

    def login(self, phone: str, *, password: str | None = None, code: str | None = None) -> dict:
        answer = self.client.login(
            phone, password=password, code=code, install_id=self.consents.install_id
        )
        self.consents.refresh_state()
        self.tracer.emit(
            "account.login",
            user=(answer.get("user") or {}).get("id"),
            minor=bool(self.consents.state_minor),
        )
        return answer

    def logout(self) -> None:
        """End this session on the server and on the device."""
        user = (self.store.get("user") or {}).get("id")
        self.client.logout()
        self.tracer.emit("account.logout", user=user)

    # the user's rights ---------------------------------------------------------------
    def export_data(self, *, polls: int = 10) -> bytes | None:
        """A copy of everything the server holds about the user (a ZIP), once it is ready."""
        request = self.client.request("POST", "me/exports", json={"app_id": self.app_id})
        for _ in range(polls):
            if request["status"] == "done" and request.get("download"):
                response = self.client.http.get(
                    request["download"].removeprefix("/api/v1/"),
                    headers={"Authorization": f"Bearer {self.client.tokens['access_token']}"},
                )
                self.tracer.emit(
                    "rights.exported", request=request["id"], bytes=len(response.content)
                )
                return response.content
            request = self.client.request("GET", f"me/exports/{request['id']}")
        return None

    def cancel_account(self, *, password: str | None = None, code: str | None = None) -> dict:
        """Close the account; every session ends at once, the purge follows by the deadline."""
        body = {"app_id": self.app_id}
        body.update({"password": password} if password is not None else {"code": code})
        answer = self.client.request("POST", "me/cancellation", json=body)
        user = (self.store.get("user") or {}).get("id")
        self.store.delete("tokens")
        self.store.put("cancellation", answer["id"])
        self.tracer.emit(
            "account.cancel_requested", user=user, request=answer["id"], due_at=answer["due_at"]
        )
        return answer

    def cancellation_status(self) -> dict | None:
        """Where the account's cancellation stands; traces the purge once it is done."""
        request_id = self.store.get("cancellation")
        if request_id is None:
            return None
        answer = self.client.request("GET", f"rights/requests/{request_id}", auth=False)
        if answer["status"] == "done" and not self.store.get("purge_seen"):
            self.store.put("purge_seen", True)
            self.tracer.emit(
                "account.purged",
                user=(self.store.get("user") or {}).get("id"),
                request=request_id,
                at=answer["completed_at"],
            )
        return answer

    # consent ---------------------------------------------------------------------
    def grant(self, purposes: list[str], categories: list[str] = ()) -> None:
        self.consents.grant(purposes, list(categories))

    def withdraw(self, purposes: list[str]) -> int:
        """Withdraw at once; returns how many queued uploads were deleted unsent."""
        return self.consents.withdraw(purposes)

    # features and dialogs ----------------------------------------------------------------
    @contextmanager
    def feature(self, feature: str) -> Iterator[FeatureRun]:
        """The user started ``feature``: inside it, and only inside, dialogs may appear."""
        if feature not in self.manifest.features:
            raise ConfigurationError(f"{feature!r} is not a feature of the policy")
        run = FeatureRun(feature)
        self.tracer.emit("feature.start", feature=feature)
        self.gate.start_feature(feature)
        try:
            yield run
        except Exception:
            run.outcome = "error"
            raise
        finally:
            self.gate.end_feature(feature)
            self.tracer.emit("feature.end", feature=feature, outcome=run.outcome)

    def request_permission(self, permission: str, feature: str) -> Decision:
        """Rationale first, then the OS dialog — only when the gate allows it, and shaped
        the way this OS release wants it asked (precise with coarse on Android 12+,
        background location after or with foreground, nothing for scoped storage)."""
        if permission == BACKGROUND:
            return self._request_background(feature)
        permissions = [permission]
        if permission == PRECISE and self.permissions.rules.precise_needs_coarse:
            permissions.append(COARSE)  # Android 12+ ignores precise alone
        return self._request(permissions, feature, permission)

    def reselect(self, permission: str, feature: str) -> Decision:
        """Re-open the OS's selector for a partial grant (Android 14 selected photos, for an
        app that declares READ_MEDIA_VISUAL_USER_SELECTED): the user may pick more."""
        rules = self.permissions.rules
        lasting = rules.selection(permission, self.permissions.build) == "lasting"
        if rules.os != "android" or not lasting or self.permissions.status(permission) != "limited":
            return Decision(False, Reason.NOT_NEEDED, f"no selection of {permission} to re-open")
        decision = self.gate.can_request([permission], feature)
        if not decision and decision.reason != Reason.RATIONALE_REQUIRED:
            return decision
        return self._decide(permission, self.permissions.request([permission])[permission])

    def _request_background(self, feature: str) -> Decision:
        """Background location, the way each release grants it: with the foreground grant
        (Android 6–9), in the same dialog (10), on the Settings page once foreground is
        granted (11+), or from While Using to Always (iOS)."""
        mode = self.permissions.rules.background_location
        feature_permissions = self.manifest.features[feature].permissions
        foreground = [p for p in FOREGROUND if p in feature_permissions]
        held = any(self.permissions.status(p) in ("granted", "limited") for p in FOREGROUND)
        if mode == "with_foreground":
            # No such permission: the foreground dialog is the one the user sees.
            if not held:
                asked = foreground or [COARSE]
                first = self._request(asked, feature, asked[0])
                if not first:
                    return first
            return self._decide(BACKGROUND, self.permissions.status(BACKGROUND))
        if mode == "in_dialog" and not held and foreground:
            # One dialog with "Allow all the time" in it.
            return self._request([*foreground, BACKGROUND], feature, BACKGROUND)
        if mode == "settings_only" and not held:
            first = self.request_permission(foreground[0] if foreground else COARSE, feature)
            approximate = any(self.permissions.status(p) == "granted" for p in FOREGROUND)
            if not first and not approximate:  # approximate location is enough to go on
                return Decision(
                    False,
                    first.reason,
                    f"background location needs foreground location first: {first.detail}",
                    first.open_settings,
                )
        # iOS: an Always granted from the first prompt is provisional (there is no Always
        # button on it); the OS asks again when the app first uses location in the back.
        provisional = mode == "upgrade_prompt" and not held
        return self._request([BACKGROUND], feature, BACKGROUND, provisional=provisional)

    def _request(
        self, permissions: list[str], feature: str, main: str, *, provisional: bool = False
    ) -> Decision:
        decision = self.gate.can_request(permissions, feature)
        askable = decision.allowed or decision.reason == Reason.RATIONALE_REQUIRED
        scoped = self.permissions.rules.own_files_need_no_permission(self.permissions.build)
        if scoped and main in OWN_FILES and askable:
            return Decision(True, Reason.NOT_NEEDED, f"{SCOPED_STORAGE}: no {main} dialog")
        if decision.allowed:
            held = [self.permissions.status(p) for p in permissions]
            if all(h in ("granted", "limited") for h in held):
                # Already held: no dialog to show, nothing to ask the OS.
                limited = "limited" in held
                return Decision(True, Reason.LIMITED if limited else Reason.OK)
        decision = self.explain(permissions, feature, decision)
        if not decision:
            if decision.open_settings:
                self.ui.suggest_settings(main, self.manifest.permissions[main].rationale)
            return decision
        results = self.permissions.request(permissions)
        return self._decide(main, results[main], provisional=provisional)

    def explain(
        self, permissions: list[str], feature: str, decision: Decision | None = None
    ) -> Decision:
        """Before an OS prompt: the gate, and the manifest's rationale for each permission
        the prompt will be about (none for what the OS grants silently through its group).
        Returns the gate's final word on showing the prompt."""
        decision = decision or self.gate.can_request(permissions, feature)
        if decision.reason != Reason.RATIONALE_REQUIRED:
            return decision
        for p in permissions:
            if self.permissions.status(p) in ("granted", "limited"):
                continue
            if self.permissions.will_grant_silently(p):
                continue  # the OS grants it through its group: no dialog to explain
            text = self.manifest.permissions[p].rationale
            self.tracer.emit("permission.rationale", permission=p, text=text)
            if not self.ui.show_rationale(p, text):
                return Decision(False, Reason.RATIONALE_DECLINED, "the user did not continue")
            self.gate.rationale_shown(feature, p)
        return self.gate.can_request(permissions, feature)

    def _decide(self, permission: str, status: str, *, provisional: bool = False) -> Decision:
        if status == "granted":
            if provisional:
                detail = "Always, provisionally: iOS asks the user again at background use"
                return Decision(True, Reason.OK, detail)
            return Decision(True, Reason.OK)
        if status == "limited":
            return Decision(True, Reason.LIMITED, f"{permission} granted in part")
        if status == "blocked":
            self.ui.suggest_settings(permission, self.manifest.permissions[permission].rationale)
            return Decision(
                False,
                Reason.BLOCKED_OPEN_SETTINGS,
                f"{permission} is blocked; open Settings to change it",
                True,
            )
        return Decision(False, Reason.PERMISSION_DENIED, f"{permission} is {status}")

    # uploads --------------------------------------------------------------------
    def queue_event(
        self, category: str, purpose: str, feature: str, payload: dict[str, Any]
    ) -> int:
        """Queue one ``/collect`` event; ``flush`` sends it."""
        return self.store.enqueue(
            {
                "category": category,
                "purpose": purpose,
                "feature": feature,
                "collected_at": self.platform.now().isoformat(),
                "payload": payload,
            }
        )

    def upload_media(self, category: str, purpose: str, feature: str, jpeg: bytes) -> dict | None:
        """Upload a photo now; the server checks consent and strips what it must."""
        data = {
            "app_id": self.app_id,
            "category": category,
            "purpose": purpose,
            "feature": feature,
            "collected_at": self.platform.now().isoformat(),
        }
        if not self._network_observed:
            from .media import gps_of

            self.tracer.emit(
                "net.upload",
                endpoint="/api/v1/media",
                categories=[category],
                feature=feature,
                purpose=purpose,
                items=1,
                gps_in_media=gps_of(jpeg) is not None,
            )
        return self.client.request(
            "POST", "media", data=data, files={"file": ("photo.jpg", jpeg, "image/jpeg")}
        )

    @property
    def _network_observed(self) -> bool:
        """A phone that observes its own network records every upload itself; elsewhere
        (a real app) the SDK records its own, before they leave."""
        return bool(getattr(self.platform, "observes_network", False))

    def send(
        self, path: str, body: dict[str, Any], *, categories: list[str], purpose: str, feature: str
    ) -> Any:
        """Send personal data to the app's own API: the gate checks every category first,
        and the upload is traced like any other. Raises ``NotAllowed`` when refused."""
        for category in categories:
            decision = self.gate.can_collect(category, purpose, feature)
            if not decision:
                raise NotAllowed(decision)
        if not self._network_observed:
            self.tracer.emit(
                "net.upload",
                endpoint=f"/api/v1/{path}",
                categories=sorted(categories),
                feature=feature,
                purpose=purpose,
                items=len(body.get("contacts", [])) or 1,
            )
        # The request says what it is for, as queued events and media uploads do in their
        # body: whoever observes the network (a proxy, the virtual phone) can tell.
        declared = {PURPOSE_HEADER: purpose, FEATURE_HEADER: feature}
        return self.client.request("POST", path, json=body, headers=declared)

    def flush(self) -> dict[str, int]:
        """Send what is queued, batch by batch; on failure back off and keep it queued."""
        sent = accepted = 0
        self.consents.send_pending_withdrawals()
        if not self.consents.agreed or self.consents.needs_guardian:
            # Nothing leaves while the policy in force is not agreed (a changed policy the
            # user declined) or a minor's guardian has not consented; it stays queued.
            return {"sent": 0, "accepted": 0, "queued": self.store.queued()}
        while True:
            due = self.store.due(self.platform.now(), BATCH)
            if not due:
                break
            key = due[0]["_batch"] or uuid.uuid4().hex
            batch = [e for e in due if e["_batch"] in (None, key)]
            self.store.assign_batch([e["_id"] for e in batch], key)
            events = [{k: v for k, v in e.items() if not k.startswith("_")} for e in batch]
            self._trace_upload(events)
            try:
                answer = self.client.request(
                    "POST",
                    "collect",
                    json={"app_id": self.app_id, "events": events},
                    headers={"Idempotency-Key": key},
                )
            except (OfflineError, ServerError) as exc:
                if isinstance(exc, ServerError) and 400 <= exc.status < 500 and exc.status != 429:
                    self.store.remove([e["_id"] for e in batch])  # would fail forever
                    continue
                attempts = max(e["_attempts"] for e in batch)
                wait = min(BACKOFF_BASE_S * 2**attempts, BACKOFF_MAX_S)
                wait = max(wait, getattr(exc, "retry_after", None) or 0)  # as the server asks
                self.store.defer(
                    [e["_id"] for e in batch], self.platform.now() + timedelta(seconds=wait)
                )
                break
            self.store.remove([e["_id"] for e in batch])
            sent += len(events)
            accepted += answer["accepted"]
        return {"sent": sent, "accepted": accepted, "queued": self.store.queued()}

    def _trace_upload(self, events: list[dict[str, Any]]) -> None:
        """One ``net.upload`` per feature and purpose the queued data was collected for."""
        if self._network_observed:
            return
        groups: dict[tuple[str | None, str], list[str]] = {}
        for e in events:
            groups.setdefault((e.get("feature"), e["purpose"]), []).append(e["category"])
        for (feature, purpose), categories in groups.items():
            self.tracer.emit(
                "net.upload",
                endpoint="/api/v1/collect",
                categories=sorted(set(categories)),
                feature=feature,
                purpose=purpose,
                items=len(categories),
            )
