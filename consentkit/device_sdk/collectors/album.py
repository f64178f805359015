"""Album: only the photos the user selected in the picker, GPS handled as for the camera."""

from __future__ import annotations

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
