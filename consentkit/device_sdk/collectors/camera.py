"""Camera: real photo bytes, GPS EXIF taken out unless location is consented for the purpose."""

from __future__ import annotations

from dataclasses import dataclass

from ..gate import Decision, Reason
from ..media import gps_of, strip_gps
from ..platform import PlatformPermissionError
from .base import Collector, Outcome

PHOTO = "user.media.photo"


@dataclass(frozen=True)
class PreparedPhoto:
    jpeg: bytes
    gps_removed: bool


def prepare(sdk, jpeg: bytes, purpose: str) -> PreparedPhoto:
    """Keep GPS only when a location category is declared and consented for this purpose."""
    manifest = sdk.consents.manifest
    location_ok = sdk.consents.consented(purpose) and any(
        purpose in manifest.purposes_declaring(c)
        for c in ("user.location.precise", "user.location.coarse")
    )
    if gps_of(jpeg) is not None and not location_ok:
        return PreparedPhoto(strip_gps(jpeg), True)
    return PreparedPhoto(jpeg, False)


class CameraCollector(Collector):
    def take_photo(
        self, feature: str, purpose: str, *, upload: bool = True, category: str = PHOTO
    ) -> Outcome[PreparedPhoto]:
        decision = self.sdk.gate.can_collect(category, purpose, feature)
        if not decision:
            return Outcome(None, decision)
        try:
            jpeg = self.sdk.platform.capture_photo()
        except PlatformPermissionError as exc:
            return Outcome(None, Decision(False, Reason.PERMISSION_NOT_GRANTED, str(exc)))
        self._traced_read("camera.capture", category, 1, purpose=purpose)
        photo = prepare(self.sdk, jpeg, purpose)
        if upload:
            self.sdk.upload_media(category, purpose, feature, photo.jpeg)
        return Outcome(photo, decision)
