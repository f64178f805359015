"""Other installed apps: read only inside a feature that declares the app list, and never
sent anywhere unless the manifest stores it."""

from __future__ import annotations

from ..platform import InstalledApp
from .base import Collector, Outcome

APP_LIST = "user.device.app_list"


class AppListCollector(Collector):
    def installed(
        self, feature: str, purpose: str, *, upload: bool = False
    ) -> Outcome[list[InstalledApp]]:
        """The other apps the OS lets this app see (Android 11+ package visibility and
        iOS URL schemes decide how many); ``upload`` queues their ids for the server."""
        decision = self.sdk.gate.can_collect(APP_LIST, purpose, feature)
        if not decision:
            return Outcome(None, decision)
        apps = self.sdk.platform.installed_apps()
        self._traced_read("app_list.read", APP_LIST, len(apps), purpose=purpose)
        if upload:
            self.sdk.queue_event(APP_LIST, purpose, feature, {"apps": [a.id for a in apps]})
        return Outcome(apps, decision)
