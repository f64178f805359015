"""Device identifiers: read only after consent; unavailable ones fall back to alternatives."""

from __future__ import annotations

from ..gate import Decision, Reason
from ..platform import IdentifierUnavailable, PlatformPermissionError
from .base import Collector, Outcome

PREFIX = "user.device.device_id."


class IdentifierCollector(Collector):
    def read(self, name: str, feature: str, purpose: str, *, upload: bool = True) -> Outcome[str]:
        category = PREFIX + name
        decision = self.sdk.gate.can_collect(category, purpose, feature)
        if not decision:
            return Outcome(None, decision)
        try:
            value = self.sdk.platform.identifier(name)
        except IdentifierUnavailable as exc:
            return Outcome(None, Decision(False, Reason.UNAVAILABLE, str(exc)))
        except PlatformPermissionError as exc:
            return Outcome(None, Decision(False, Reason.PERMISSION_NOT_GRANTED, str(exc)))
        placeholder = self.sdk.permissions.rules.placeholder_ids.get(name)
        if value == placeholder:
            # The OS hands every app the same stand-in (the MAC reads 02:00:00:00:00:00):
            # it identifies nothing, so it is not worth keeping.
            detail = f"{name} reads as the placeholder {placeholder} on this OS"
            return Outcome(None, Decision(False, Reason.UNAVAILABLE, detail))
        self._traced_read("identifier.read", category, 1, detail=name, purpose=purpose)
        if upload:
            self.sdk.queue_event(category, purpose, feature, {"value": value})
        return Outcome(value, decision)

    def read_first(self, names: list[str], feature: str, purpose: str) -> Outcome[str]:
        """The first identifier the phone gives and the policy allows — e.g. IMEI, then
        the resettable OAID or Android ID where IMEI is unavailable (Android 10+)."""
        last = Outcome(None, Decision(False, Reason.UNDECLARED_CATEGORY, "no identifier declared"))
        for name in names:
            outcome = self.read(name, feature, purpose)
            if outcome.ok:
                return outcome
            last = outcome
        return last
