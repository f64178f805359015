"""Album: only the photos the user selected in the picker, GPS handled as for the camera."""

from __future__ import annotations

from ..gate import Decision, Reason
from ..platform import PlatformPermissionError
from .base import Collector, Outcome
from .camera import PHOTO, PreparedPhoto, prepare


class AlbumCollector(Collector):
    def pick(
        self,
        feature: str,
        purpose: str,
        limit: int = 9,
        *,
        upload: bool = True,
        category: str = PHOTO,
    ) -> Outcome[list[PreparedPhoto]]:
        decision = self.sdk.gate.can_collect(category, purpose, feature)
        if not decision:
            return Outcome(None, decision)
        chosen = self.sdk.platform.pick_photos(limit)
        self._traced_read("photos.pick", category, len(chosen), purpose=purpose)
        prepared = [prepare(self.sdk, p.jpeg, purpose) for p in chosen]
        if upload:
            for photo in prepared:
                self.sdk.upload_media(category, purpose, feature, photo.jpeg)
        return Outcome(prepared, decision)

    def library(
        self, feature: str, purpose: str, *, category: str = PHOTO
    ) -> Outcome[list[PreparedPhoto]]:
        """The photos the OS lets the app read from the library: all of them, or only the
        user's selection (iOS limited, Android 14 selected photos). Needs the photos
        permission; nothing is uploaded."""
        decision = self.sdk.gate.can_collect(category, purpose, feature)
        if not decision:
            return Outcome(None, decision)
        try:
            photos = self.sdk.platform.all_photos()
        except PlatformPermissionError as exc:
            return Outcome(None, Decision(False, Reason.PERMISSION_NOT_GRANTED, str(exc)))
        self._traced_read("photos.read_all", category, len(photos), purpose=purpose)
        return Outcome([prepare(self.sdk, p.jpeg, purpose) for p in photos], decision)

    def save(self, feature: str, jpeg: bytes) -> Outcome[str]:
        """Add a photo to the user's album (nothing is collected): inside a started
        feature, with iOS's add-only permission; Android needs none under scoped storage."""
        if feature not in self.sdk.gate.active:
            return Outcome(
                None, Decision(False, Reason.FEATURE_NOT_STARTED, f"{feature} not started")
            )
        try:
            return Outcome(self.sdk.platform.save_photo(jpeg), Decision(True, Reason.OK))
        except PlatformPermissionError as exc:
            return Outcome(None, Decision(False, Reason.PERMISSION_NOT_GRANTED, str(exc)))
