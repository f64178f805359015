"""Contacts: only the entries the user picked, only a name and a phone number each."""

from __future__ import annotations

from .base import Collector, Outcome

ENTRY = "user.contacts.entry"


class ContactsCollector(Collector):
    def pick(
        self, feature: str, purpose: str, limit: int = 50, *, upload: bool = True
    ) -> Outcome[list[dict[str, str]]]:
        decision = self.sdk.gate.can_collect(ENTRY, purpose, feature)
        if not decision:
            return Outcome(None, decision)
        picked = self.sdk.platform.pick_contacts(limit)
        self._traced_read("contacts.pick", ENTRY, len(picked), purpose=purpose)
        minimal = [{"name": c.name, "phone": c.phones[0]} for c in picked if c.phones]
        if upload:
            for entry in minimal:
                self.sdk.queue_event(ENTRY, purpose, feature, entry)
        return Outcome(minimal, decision)
