"""Calls: place a call; the call log is read only where the policy declares it."""

from __future__ import annotations

from ..gate import Decision, Reason
from ..platform import CallRecord, PlatformPermissionError
from .base import Collector, Outcome

LOG = "user.calls.log"


class CallsCollector(Collector):
    def place_call(self, feature: str, number: str) -> Outcome[str]:
        """Dial: needs the feature started and the call permission where the OS has one."""
        gate = self.sdk.gate
        if feature not in gate.active:
            return Outcome(
                None, Decision(False, Reason.FEATURE_NOT_STARTED, f"{feature} not started")
            )
        try:
            self.sdk.platform.place_call(number)
        except PlatformPermissionError as exc:
            return Outcome(None, Decision(False, Reason.PERMISSION_NOT_GRANTED, str(exc)))
        return Outcome(number, Decision(True, Reason.OK))

    def call_log(self, feature: str, purpose: str) -> Outcome[list[CallRecord]]:
        decision = self.sdk.gate.can_collect(LOG, purpose, feature)
        if not decision:
            return Outcome(None, decision)
        records = self.sdk.platform.call_log()
        self._traced_read("calls.log_read", LOG, len(records), purpose=purpose)
        return Outcome(records, decision)
