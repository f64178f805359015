"""What a withdrawal does to data already stored: what the manifest says, everywhere.

Personal data collected for a purpose lives in more than one table: items sent to
``/collect`` and ``/media``, identifiers sent with a device, a customer's location taken
on the phone, customers imported from the address book, orders. Each store has a sweep;
a withdrawal runs every sweep for every category declared for the withdrawn purposes, and
applies the category's ``on_withdraw`` (``delete``, ``anonymize`` or ``retain``). A legal
hold turns a deletion into an anonymization, as in the purge.

Runs in the withdrawal's transaction, under the subject's lock (``ledger.locked_state``):
nothing collected under the withdrawn consent can commit after the sweep.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from ...policy import Manifest, taxonomy
from ..models import CollectedItem, ConsentEvent, Customer, Device, DeviceIdentifier, Order, User
from .purge import anonymize_item, drop_media, hold_for

LOCATION_CATEGORIES = frozenset({"user.location.precise", "user.location.coarse"})
CONTACT_CATEGORY = "user.contacts.entry"
ORDER_CATEGORY = "user.transaction.order"


@dataclass
class Effects:
    """Counts of what the withdrawal did, for the answer and the audit log."""

    deleted: int = 0
    anonymized: int = 0
    retained: int = 0
    by_store: dict[str, int] = field(default_factory=dict)

    def add(self, store: str, action: str, n: int) -> None:
        if n:
            setattr(self, action, getattr(self, action) + n)
            self.by_store[store] = self.by_store.get(store, 0) + n

    def as_dict(self) -> dict[str, int]:
        return {"deleted": self.deleted, "anonymized": self.anonymized, "retained": self.retained}


@dataclass(frozen=True)
class Sweep:
    """One category's withdrawal in one store."""

    db: Session
    manifest: Manifest
    user: User
    category: str
    purposes: tuple[str, ...]
    action: str  # delete | anonymize | retain

    def consents(self):
        """The ids of the consent events for the withdrawn purposes."""
        return select(ConsentEvent.id).where(ConsentEvent.purpose.in_(self.purposes))


def _collected_items(sweep: Sweep, effects: Effects) -> None:
    rows = list(
        sweep.db.scalars(
            select(CollectedItem).where(
                CollectedItem.app_id == sweep.manifest.id,
                CollectedItem.user_id == sweep.user.id,
                CollectedItem.category == sweep.category,
                CollectedItem.purpose.in_(sweep.purposes),
            )
        )
    )
    if sweep.action == "retain":
        effects.add("collected_items", "retained", len(rows))
        return
    held = sweep.action == "anonymize" or hold_for(sweep.manifest, sweep.category) is not None
    for row in rows:
        if held:
            anonymize_item(sweep.db, row, sweep.manifest)
        else:
            drop_media(sweep.db, row.payload)
            sweep.db.delete(row)
    effects.add("collected_items", "anonymized" if held else "deleted", len(rows))


def _retained(sweep: Sweep, effects: Effects, store: str, key, where: tuple) -> bool:
    """Count what ``retain`` keeps in a store; True when there is nothing else to do."""
    if sweep.action != "retain":
        return False
    kept = sweep.db.scalar(select(func.count(key)).where(*where)) or 0
    effects.add(store, "retained", kept)
    return True


def _device_identifiers(sweep: Sweep, effects: Effects) -> None:
    """An identifier cannot be made anonymous: anonymize deletes it too."""
    if taxonomy().categories[sweep.category].payload != "identifier":
        return
    devices = select(Device.id).where(
        Device.app_id == sweep.manifest.id, Device.user_id == sweep.user.id
    )
    where = (
        DeviceIdentifier.device_id.in_(devices),
        DeviceIdentifier.category == sweep.category,
        DeviceIdentifier.purpose.in_(sweep.purposes),
    )
    if _retained(sweep, effects, "device_identifiers", DeviceIdentifier.id, where):
        return
    n = sweep.db.execute(delete(DeviceIdentifier).where(*where)).rowcount
    effects.add("device_identifiers", "deleted", n)


def _customer_locations(sweep: Sweep, effects: Effects) -> None:
    """The place a customer was located at, taken from the user's phone."""
    if sweep.category not in LOCATION_CATEGORIES:
        return
    where = (
        Customer.created_by == sweep.user.id,
        Customer.location_consent_id.in_(sweep.consents()),
    )
    if _retained(sweep, effects, "customers.location", Customer.id, where):
        return
    # Anonymized, only the city and region stay: not a position anyone stood at.
    cleared = {"lat": None, "lon": None, "location_consent_id": None}
    if sweep.action == "delete":
        cleared |= {"city": None, "region": None}
    n = sweep.db.execute(update(Customer).where(*where).values(**cleared)).rowcount
    effects.add("customers.location", _done(sweep), n)


def _imported_contacts(sweep: Sweep, effects: Effects) -> None:
    """Customers made from contacts the user picked in their address book."""
    if sweep.category != CONTACT_CATEGORY:
        return
    where = (
        Customer.created_by == sweep.user.id,
        Customer.contact_consent_id.in_(sweep.consents()),
    )
    if _retained(sweep, effects, "customers.contacts", Customer.id, where):
        return
    if sweep.action == "anonymize":
        n = sweep.db.execute(
            update(Customer).where(*where).values(phone=None, contact_consent_id=None)
        ).rowcount
    else:
        n = sweep.db.execute(delete(Customer).where(*where)).rowcount
    effects.add("customers.contacts", _done(sweep), n)


def _orders(sweep: Sweep, effects: Effects) -> None:
    """Transaction records: a legal hold keeps them, without the person."""
    if sweep.category != ORDER_CATEGORY:
        return
    where = (Order.created_by == sweep.user.id, Order.consent_event_id.in_(sweep.consents()))
    if _retained(sweep, effects, "orders", Order.id, where):
        return
    if sweep.action == "anonymize" or hold_for(sweep.manifest, sweep.category) is not None:
        n = sweep.db.execute(
            update(Order)
            .where(*where)
            .values(created_by=None, notes=None, consent_event_id=None, anonymized=True)
        ).rowcount
        effects.add("orders", "anonymized", n)
        return
    n = sweep.db.execute(delete(Order).where(*where)).rowcount
    effects.add("orders", "deleted", n)


def _done(sweep: Sweep) -> str:
    return {"delete": "deleted", "anonymize": "anonymized", "retain": "retained"}[sweep.action]


SWEEPS: tuple[Callable[[Sweep, Effects], None], ...] = (
    _collected_items,
    _device_identifiers,
    _customer_locations,
    _imported_contacts,
    _orders,
)


def apply(db: Session, manifest: Manifest, user: User | None, purposes: list[str]) -> Effects:
    """Do to stored data what the manifest says withdrawing ``purposes`` does."""
    effects = Effects()
    if user is None:  # before login nothing personal is stored on the server
        return effects
    for category, declared in manifest.data_categories.items():
        hit = tuple(p for p in purposes if p in declared.purposes)
        if hit:
            sweep = Sweep(db, manifest, user, category, hit, declared.on_withdraw)
            for run in SWEEPS:
                run(sweep, effects)
    db.flush()
    return effects
