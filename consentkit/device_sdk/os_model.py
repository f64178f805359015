"""What the phone's OS does with permissions — the state machine behind the dialogs.

Driven entirely by ``OsRules``: the virtual phone of the simulator and the SDK's test
platform run this machine; the SDK itself only sees what ``check`` and ``request``
return, exactly as an app on a real phone does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from .os_rules import OsRules

__all__ = ["DIALOG_ANSWERS", "AnswerFn", "OsPermissions"]

DIALOG_ANSWERS = ("allow", "allow_once", "allow_coarse", "allow_limited", "deny", "deny_dont_ask")

# The user at the dialog: given the permissions it covers and the buttons it offers.
AnswerFn = Callable[[tuple[str, ...], tuple[str, ...]], str]


@dataclass
class _State:
    status: str = "not_determined"
    denials: int = 0
    one_time: bool = False


class OsPermissions:
    """One app's permissions on one phone, as the OS keeps them."""

    def __init__(
        self,
        rules: OsRules,
        answer: AnswerFn,
        *,
        on_dialog: Callable[[str], None] = lambda permission: None,
        restricted: Iterable[str] = (),
    ) -> None:
        self.rules = rules
        self.answer = answer
        self.on_dialog = on_dialog
        self.restricted = frozenset(restricted)
        self._states: dict[str, _State] = {}
        self.last_used: datetime | None = None

    def _state(self, permission: str) -> _State:
        return self._states.setdefault(permission, _State())

    def true_status(self, permission: str) -> str:
        """What the OS knows; ``check`` may show the app less."""
        availability = self.rules.availability(permission)
        if availability == "unavailable":
            return "unavailable"
        if availability in ("none_needed", "install_time"):
            return "granted"
        if permission in self.restricted:
            return "restricted"
        return self._state(permission).status

    def ask_each_time(self, permission: str) -> bool:
        """A per-use permission (iOS 16's paste prompt): Settings' Allow or Deny answers;
        otherwise the OS asks now, and the answer is not kept."""
        status = self.true_status(permission)
        if status == "granted":
            return True
        if status != "not_determined":
            return False
        self.on_dialog(permission)
        options = ("allow", "deny")
        choice = self.answer((permission,), options)
        if choice not in options:
            raise ValueError(f"{choice!r} is not a button of this dialog: {options}")
        return choice == "allow"

    def check(self, permission: str) -> str:
        """The status an app can read: Android shows never-asked and blocked as denied."""
        status = self.true_status(permission)
        if self.rules.os == "android" and status in ("not_determined", "blocked"):
            return "denied"
        if not self.rules.check_sees_blocked and status == "blocked":
            return "denied"
        return status

    def should_show_rationale(self, permission: str) -> bool:
        """Android's flag: true after a denial, false again once blocked."""
        return self.rules.rationale_flag and self.true_status(permission) == "denied"

    def _options(self, group: tuple[str, ...], requested: set[str]) -> tuple[str, ...]:
        options = ["allow"]
        if any(p in self.rules.one_time for p in group):
            options.append("allow_once")
        coarse_choice = self.rules.coarse_only_choice or self.rules.reduced_accuracy
        if coarse_choice and "location.precise" in group and "location.coarse" in requested:
            options.append("allow_coarse")
        if any(p in self.rules.limited for p in group):
            options.append("allow_limited")
        options.append("deny")
        if self.rules.denials_to_block is None and max(self._state(p).denials for p in group) >= 1:
            options.append("deny_dont_ask")
        return tuple(options)

    def request(self, permissions: list[str]) -> dict[str, str]:
        """Show the dialogs the OS would show, ask the user, return what the app is told."""
        requested = set(permissions)
        results: dict[str, str] = {}
        for permission in permissions:
            if permission in results:
                continue
            group = tuple(p for p in sorted(self.rules.linked(permission)) if p in requested)
            status = self.true_status(permission)
            if self.rules.availability(permission) == "per_use":
                results[permission] = status  # asked at each use, never by a request
                continue
            if status != "not_determined" and status != "denied":
                for p in group:
                    results[p] = self.check(p)
                continue
            if (
                self.rules.precise_needs_coarse
                and permission == "location.precise"
                and "location.coarse" not in requested
            ):
                results[permission] = self.check(permission)  # the OS ignores the request
                continue
            self.on_dialog(permission)
            options = self._options(group, requested)
            choice = self.answer(group, options)
            if choice not in options:
                raise ValueError(f"{choice!r} is not a button of this dialog: {options}")
            self._apply(group, choice)
            for p in group:
                results[p] = self.check(p)
        return results

    def _apply(self, group: tuple[str, ...], choice: str) -> None:
        for p in group:
            state = self._state(p)
            if choice in ("allow", "allow_once"):
                state.status, state.one_time = "granted", choice == "allow_once"
            elif choice == "allow_limited":
                state.status = "limited" if p in self.rules.limited else "granted"
            elif choice == "allow_coarse":
                if p == "location.precise":
                    state.status = "limited" if self.rules.reduced_accuracy else "denied"
                else:
                    state.status = "granted"
            else:
                state.denials += 1
                blocked = choice == "deny_dont_ask" or (
                    self.rules.denials_to_block is not None
                    and state.denials >= self.rules.denials_to_block
                )
                state.status = "blocked" if blocked else "denied"

    def settings_set(self, permission: str, status: str) -> None:
        """The user changed it in Settings; the app sees it on its next check."""
        if status not in ("granted", "limited", "denied"):
            raise ValueError(f"Settings offers granted, limited or denied, not {status!r}")
        state = self._state(permission)
        state.one_time = False
        if self.rules.availability(permission) == "per_use":
            state.status = "granted" if status == "granted" else "denied"  # Allow / Deny
            return
        if status == "denied":
            # iOS never shows the dialog again; Android lets the app ask once more.
            state.status = "blocked" if self.rules.os == "ios" else "denied"
        else:
            state.status = (
                status if status != "limited" or permission in self.rules.limited else "granted"
            )

    def end_session(self) -> None:
        """ "Only this time" and "Allow Once" grants end when the app's session ends."""
        for state in self._states.values():
            if state.one_time:
                state.status, state.one_time = "not_determined", False

    def app_used(self, now: datetime) -> None:
        """Android's auto-reset: an app unused for long loses its runtime grants."""
        days = self.rules.auto_reset_days
        if (
            days is not None
            and self.last_used is not None
            and now - self.last_used >= timedelta(days=days)
        ):
            for state in self._states.values():
                if state.status in ("granted", "limited"):
                    state.status, state.denials = "not_determined", 0
        self.last_used = now
