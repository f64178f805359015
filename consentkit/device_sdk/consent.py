"""The consent manager: the policy, the user's choices, and the server's ledger in step.

Before the user agrees to the policy in force, nothing personal happens: the only value
the SDK makes is a random install id. Choices go to the server's ledger; a withdrawal
takes effect on the device at once (even offline) and deletes the purpose's queued data.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Protocol

from ..policy import Manifest, manifest_from_dict
from .client import ApiClient
from .errors import OfflineError, ServerError
from .store import DeviceStore
from .trace import Tracer

__all__ = ["ConsentManager", "ConsentUI", "PolicyChoice"]


@dataclass
class PolicyChoice:
    """What the user did on the policy screen: agree or not, and which optional boxes."""

    agreed: bool
    purposes: set[str] = field(default_factory=set)
    categories: set[str] = field(default_factory=set)


class ConsentUI(Protocol):
    """The app's screens that the SDK drives; the simulator's personas answer them."""

    def show_policy(self, manifest: Manifest, reason: str) -> PolicyChoice: ...
    def show_rationale(self, permission: str, text: str) -> bool: ...
    def suggest_settings(self, permission: str, text: str) -> bool: ...
    def guardian_contact(self) -> tuple[str, str] | None: ...


@lru_cache(maxsize=64)
def _checked(app_id: str, version: str, document: str) -> Manifest:
    """A published version never changes: check each one once per process."""
    return manifest_from_dict(json.loads(document), source=f"{app_id}@{version}")


class ConsentManager:
    def __init__(
        self, app_id: str, client: ApiClient, store: DeviceStore, tracer: Tracer, ui: ConsentUI
    ) -> None:
        self.app_id = app_id
        self.client = client
        self.store = store
        self.tracer = tracer
        self.ui = ui
        self.manifest: Manifest | None = None
        self._state: dict[str, Any] = store.get("consent") or {}

    # identity -------------------------------------------------------------------
    @property
    def install_id(self) -> str:
        """Random, made on the device: the one value allowed before consent."""
        value = self.store.get("install_id")
        if value is None:
            value = secrets.token_hex(16)
            self.store.put("install_id", value)
        return value

    # the policy -----------------------------------------------------------------
    def load_policy(self) -> Manifest:
        """The policy in force, from the server, else the cached copy when offline."""
        try:
            doc = self.client.policy(self.app_id)
            self.store.put("policy", doc)
        except OfflineError:
            doc = self.store.get("policy")
            if doc is None:
                raise
        if self.manifest is None or self.manifest.version != doc["version"]:
            self.manifest = _checked(
                self.app_id, doc["version"], json.dumps(doc["manifest"], sort_keys=True)
            )
        return self.manifest

    def refresh_state(self) -> dict[str, Any]:
        """Read the ledger's view of this install or user."""
        params = {"app_id": self.app_id, "install_id": self.install_id}
        answer = self.client.request("GET", "consents", params=params)
        self._keep(answer["state"])
        return self._state

    def _keep(self, state: dict[str, Any]) -> None:
        self._state = {
            "agreed_version": state.get("agreed_version"),
            "purposes": {p: v["granted"] for p, v in state.get("purposes", {}).items()},
            "categories": dict(state.get("categories", {})),
            "minor": state.get("minor", False),
            "guardian": state.get("guardian_consented", False),
        }
        self.store.put("consent", self._state)

    # what the gate reads, locally -------------------------------------------------
    @property
    def agreed(self) -> bool:
        return bool(self.manifest) and self._state.get("agreed_version") == self.manifest.version

    def consented(self, purpose: str) -> bool:
        return self.agreed and self._state.get("purposes", {}).get(purpose, False)

    def category_consented(self, category: str) -> bool:
        return self._state.get("categories", {}).get(category, False)

    @property
    def state_minor(self) -> bool:
        """The server says this user is a minor."""
        return bool(self._state.get("minor"))

    @property
    def needs_guardian(self) -> bool:
        return bool(self._state.get("minor")) and not self._state.get("guardian")

    # choices ------------------------------------------------------------------
    def ensure_agreed(self) -> bool:
        """Show the policy when it was never agreed or changed in a major way since."""
        new_install = self.store.get("install_id") is None and not self.client.tokens
        manifest = self.load_policy()
        if new_install:
            self._keep({})  # an install id made just now has no history to read
        else:
            self.refresh_state()
        if self.agreed:
            return True
        reason = "policy_changed" if self.store.get("ever_agreed") else "first_run"
        self.tracer.emit(
            "policy.shown",
            version=manifest.version,
            reason=reason,
            change=manifest.app.policy.change,
        )
        choice = self.ui.show_policy(manifest, reason)
        if not choice.agreed:
            self.tracer.emit("policy.declined", version=manifest.version)
            return False
        return self.agree(choice)

    def agree(self, choice: PolicyChoice) -> bool:
        manifest = self.manifest or self.load_policy()
        optional = set(manifest.optional_purposes())
        purposes = {p: True for p in manifest.basic_purposes()}
        purposes.update({p: p in choice.purposes for p in optional})
        answer = self._post_consent(purposes, {c: True for c in choice.categories})
        if answer is None:
            return False
        self.store.put("ever_agreed", True)
        self.store.put(
            "last_choice",
            {"purposes": sorted(choice.purposes), "categories": sorted(choice.categories)},
        )
        self.tracer.emit(
            "policy.agreed",
            version=manifest.version,
            granted=sorted(p for p, v in purposes.items() if v),
            refused=sorted(p for p, v in purposes.items() if not v),
        )
        return True

    def _post_consent(self, purposes: dict[str, bool], categories: dict[str, bool]) -> dict | None:
        body = {
            "app_id": self.app_id,
            "policy_version": self.manifest.version,
            "install_id": self.install_id,
            "purposes": purposes,
            "categories": categories,
        }
        try:
            answer = self.client.request("POST", "consents", json=body)
        except ServerError as exc:
            if exc.code == "guardian_required":
                self._state["minor"], self._state["guardian"] = True, False
                self.store.put("consent", self._state)
                return None
            raise
        self._keep(answer["state"])
        return answer

    def grant(self, purposes: list[str], categories: list[str] = ()) -> None:
        """A later, separate grant (e.g. an optional purpose asked for in context)."""
        self._post_consent(dict.fromkeys(purposes, True), dict.fromkeys(categories, True))
        self.tracer.emit("consent.granted", purposes=list(purposes), categories=list(categories))

    def withdraw(self, purposes: list[str]) -> int:
        """Effective on the device at once; queued data of these purposes is deleted."""
        for purpose in purposes:
            self._state.setdefault("purposes", {})[purpose] = False
        self.store.put("consent", self._state)
        dropped = self.store.drop_purposes(list(purposes))
        self.tracer.emit("consent.withdrawn", purposes=list(purposes), dropped=dropped)
        pending = set(self.store.get("pending_withdrawals", [])) | set(purposes)
        self.store.put("pending_withdrawals", sorted(pending))
        self.send_pending_withdrawals()
        return dropped

    def send_pending_withdrawals(self) -> None:
        """Tell the server about withdrawals made offline; until then the device enforces them."""
        pending = self.store.get("pending_withdrawals", [])
        if not pending:
            return
        body = {"app_id": self.app_id, "install_id": self.install_id, "purposes": pending}
        try:
            answer = self.client.request("POST", "consents/withdraw", json=body)
        except OfflineError:
            return
        self.store.put("pending_withdrawals", [])
        self._keep(answer["state"])

    def run_guardian_flow(self) -> bool:
        """A minor's guardian verifies with a code, then the minor's choices are recorded."""
        contact = self.ui.guardian_contact()
        if contact is None:
            return False
        guardian_phone, code_source = contact
        body = {"app_id": self.app_id, "guardian_phone": guardian_phone}
        self.client.request("POST", "guardian/code", json=body)
        code = (
            code_source if code_source.isdigit() else self._code_from(code_source, guardian_phone)
        )
        self.client.request("POST", "guardian/consent", json={**body, "code": code})
        self.tracer.emit("guardian.consented", guardian="verified")
        self._state["guardian"] = True
        last = self.store.get("last_choice") or {"purposes": [], "categories": []}
        return self.agree(PolicyChoice(True, set(last["purposes"]), set(last["categories"])))

    def _code_from(self, source: str, phone: str) -> str:
        """``outbox``: read the code from the development outbox (simulations only)."""
        if source != "outbox":
            raise ValueError("guardian code source must be digits or 'outbox'")
        return self.client.dev_outbox(phone)[0]["body"].split("code is ")[1][:6]
