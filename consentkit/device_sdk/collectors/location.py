"""Location: precise only when precise is granted and consented; otherwise a coarse fix."""

from __future__ import annotations

from ..gate import Decision, Reason
from ..platform import LocationFix, PlatformPermissionError
from .base import Collector, Outcome

PRECISE, COARSE = "user.location.precise", "user.location.coarse"
COARSE_DECIMALS = 2  # about a kilometre
COARSE_ACCURACY_M = 1500.0


def coarsen(fix: LocationFix) -> LocationFix:
    return LocationFix(
        round(fix.lat, COARSE_DECIMALS),
        round(fix.lon, COARSE_DECIMALS),
        max(fix.accuracy_m, COARSE_ACCURACY_M),
        False,
    )


class LocationCollector(Collector):
    def locate(
        self, feature: str, purpose: str, *, upload: bool = True, background: bool = False
    ) -> Outcome[LocationFix]:
        """A fix for ``purpose``; ``background`` reads it as an app in the background does
        (it needs background location, and on iOS may bring the Always upgrade prompt)."""
        gate = self.sdk.gate
        precise = gate.can_collect(PRECISE, purpose, feature)
        coarse = gate.can_collect(COARSE, purpose, feature)
        if not precise and not coarse:
            return Outcome(None, precise if precise.reason != "undeclared_category" else coarse)
        try:
            fix = self.sdk.platform.location_fix(precise=bool(precise), background=background)
        except PlatformPermissionError as exc:
            return Outcome(None, Decision(False, Reason.PERMISSION_NOT_GRANTED, str(exc)))
        if fix.precise and not precise:
            fix = coarsen(fix)  # the OS gave precise, but only coarse is consented
        category = PRECISE if fix.precise else COARSE
        gate.note_read(category)
        self._traced_read("location.read", category, 1, purpose=purpose)
        if upload:
            self.sdk.queue_event(
                category,
                purpose,
                feature,
                {"lat": fix.lat, "lon": fix.lon, "accuracy_m": fix.accuracy_m},
            )
        return Outcome(fix, precise if fix.precise else coarse)
