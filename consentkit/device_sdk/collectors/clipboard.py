"""The clipboard: read only inside a feature that declares clipboard text, because what
another app put there (a code, an address, a password) is the user's, not the app's."""

from __future__ import annotations

from ..gate import Decision, Reason
from .base import Collector, Outcome

CLIPBOARD = "user.content.clipboard"
PASTE = "clipboard"  # the permission behind iOS 16's paste prompt


class ClipboardCollector(Collector):
    def read(self, feature: str, purpose: str, *, upload: bool = False) -> Outcome[str]:
        """The clipboard's text. The OS may still say no (iOS 16+ asks "Allow Paste"; an
        app in the background gets nothing on Android 10+) and may show the user a notice
        (Android 12+, iOS 14+). Nothing is read when the clipboard is empty."""
        decision = self.sdk.gate.can_collect(CLIPBOARD, purpose, feature)
        if not decision:
            return Outcome(None, decision)
        platform = self.sdk.platform
        if not platform.clipboard_has_text():  # metadata: no notice, no prompt
            return Outcome(None, Decision(False, Reason.UNAVAILABLE, "the clipboard is empty"))
        if self._may_prompt():
            # iOS 16+ may ask "Allow Paste": a prompt like any other, so the feature must
            # declare the clipboard permission and its rationale comes first.
            explained = self.sdk.explain([PASTE], feature)
            if not explained:
                return Outcome(None, explained)
        text = platform.read_clipboard()
        if text is None:
            return Outcome(
                None, Decision(False, Reason.PERMISSION_DENIED, "the OS did not hand it over")
            )
        self._traced_read("clipboard.read", CLIPBOARD, 1, purpose=purpose)
        if upload:
            self.sdk.queue_event(CLIPBOARD, purpose, feature, {"value": text})
        return Outcome(text, decision)

    def _may_prompt(self) -> bool:
        rules = self.sdk.permissions.rules
        return rules.paste_prompt and self.sdk.permissions.status(PASTE) == "not_determined"
