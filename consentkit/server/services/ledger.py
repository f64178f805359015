"""The consent ledger: who agreed to what, when — and is that consent live now?

Events are only ever appended. A subject is an install before login and a user after;
``install_links`` attaches an install's history to its user without rewriting it.

Whatever changes a subject's consents, or stores data under them, reads the subject's
state with ``locked_state``: the subject's lock (``serial.lock_subject``) is held from that
read until the transaction ends, so a withdrawal and a collect never interleave.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, insert, or_, select
from sqlalchemy.orm import Session

from ...policy import Manifest
from ..db import utcnow
from ..models import ConsentEvent, InstallLink, User
from ..problems import Problem
from . import audit_log, policies, receipts, serial


@dataclass
class Subject:
    """Whose consent: a user, an install, or both once linked."""

    user: User | None = None
    install_id: str | None = None

    @property
    def key(self) -> str:
        return f"user:{self.user.id}" if self.user else f"install:{self.install_id}"


def link_install(db: Session, user: User, install_id: str | None) -> None:
    """From now on this install's consents are this user's (the first user to log in on
    an install keeps it). Under the install's lock: its pre-login consents and the link
    are written one after the other."""
    if not install_id:
        return
    serial.lock_subject(db, f"install:{install_id}")
    if db.get(InstallLink, install_id) is None:
        db.add(InstallLink(install_id=install_id, user_id=user.id))
        db.flush()


_INSTALLS = select(InstallLink.install_id).where(InstallLink.user_id == bindparam("user"))
_USER_EVENTS = (
    select(ConsentEvent)
    .where(
        ConsentEvent.app_id == bindparam("app"),
        or_(
            ConsentEvent.user_id == bindparam("user"),
            ConsentEvent.install_id.in_(
                select(InstallLink.install_id).where(InstallLink.user_id == bindparam("user"))
            ),
        ),
    )
    .order_by(ConsentEvent.recorded_at, ConsentEvent.id)
)
_INSTALL_EVENTS = (
    select(ConsentEvent)
    .where(ConsentEvent.app_id == bindparam("app"), ConsentEvent.install_id == bindparam("install"))
    .order_by(ConsentEvent.recorded_at, ConsentEvent.id)
)


def _installs(db: Session, user: User) -> list[str]:
    return list(db.scalars(_INSTALLS, {"user": user.id}))


def chain_keys(db: Session, subject: Subject, installs: tuple[str, ...] | None = None) -> list[str]:
    """The receipt subjects of one person: the user and every install linked to them
    (``installs`` when the caller has read them already)."""
    keys = [subject.key]
    if subject.user is not None:
        linked = _installs(db, subject.user) if installs is None else installs
        keys += [f"install:{i}" for i in linked]
    if subject.install_id:
        keys.append(f"install:{subject.install_id}")
    return list(dict.fromkeys(keys))


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def is_minor(user: User | None, manifest: Manifest) -> bool:
    """Below the manifest's threshold, a guardian consents first."""
    if user is None or user.birth_date is None or manifest.minors is None:
        return False
    if not manifest.minors.guardian_consent:
        return False
    return age_on(user.birth_date, utcnow().date()) < manifest.minors.age


@dataclass
class Verdict:
    """Whether a use is covered, and by which consent event (its provenance)."""

    event: ConsentEvent | None
    code: str = ""
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.event is not None and not self.code


@dataclass
class ConsentState:
    """A subject's whole history in one app, answerable for any moment."""

    manifest: Manifest
    events: list[ConsentEvent]
    lapsed_versions: frozenset[str] = frozenset()
    minor: bool = False
    # The installs linked to the user, once a consent change has needed them (None: not read).
    installs: tuple[str, ...] | None = None
    locked: bool = False  # read under the subject's lock (``locked_state``)

    def latest(
        self, *, purpose: str | None = None, category: str | None = None, at: datetime | None = None
    ) -> ConsentEvent | None:
        found = None
        for ev in self.events:
            # A consent counts from the start of its second: clients commonly send
            # whole-second timestamps, and an event in the same second is not earlier.
            if at is not None and ev.recorded_at.replace(microsecond=0) > at:
                break
            if (purpose is not None and ev.purpose == purpose and ev.category is None) or (
                category is not None and ev.category == category
            ):
                found = ev
        return found

    def guardian(self) -> ConsentEvent | None:
        latest = None
        for ev in self.events:
            if ev.purpose is None and ev.category is None and ev.action in ("guardian", "withdraw"):
                latest = ev
        return latest if latest is not None and latest.action == "guardian" else None

    def agreed_version(self) -> str | None:
        """The policy version of the last agreement, if it has not lapsed since."""
        basic = self.manifest.basic_purposes()
        for ev in reversed(self.events):
            if ev.purpose in basic and ev.action == "grant":
                return None if ev.policy_version in self.lapsed_versions else ev.policy_version
        return None

    def live(self, purpose: str, *, at: datetime | None = None) -> Verdict:
        """Is ``purpose`` consented now and, if ``at`` is given, at that moment too?"""
        guardian = self.guardian() if self.minor else None
        if self.minor and guardian is None:
            return Verdict(None, "guardian_required", "a guardian has not consented for this minor")
        now_event = self.latest(purpose=purpose)
        if guardian is not None and now_event is not None and now_event.id < guardian.id:
            return Verdict(
                None, "guardian_required", "this consent predates the guardian's; ask again"
            )
        if now_event is None or not now_event.granted:
            what = "withdrawn" if now_event and now_event.action == "withdraw" else "not given"
            return Verdict(None, "consent_required", f"consent for {purpose!r} is {what}")
        if now_event.policy_version in self.lapsed_versions:
            return Verdict(
                None,
                "consent_outdated",
                f"consent for {purpose!r} was given to version {now_event.policy_version}; "
                "the policy changed since and must be agreed again",
            )
        if at is not None:
            then = self.latest(purpose=purpose, at=at)
            if then is None or not then.granted:
                return Verdict(
                    None,
                    "consent_required",
                    f"no consent for {purpose!r} was live at {at.isoformat()}",
                )
        return Verdict(now_event)

    def category_consented(self, category: str) -> bool:
        ev = self.latest(category=category)
        return ev is not None and ev.granted

    def summary(self) -> dict[str, Any]:
        purposes = {}
        for pid in self.manifest.purposes:
            ev = self.latest(purpose=pid)
            purposes[pid] = {
                "granted": bool(
                    ev and ev.granted and ev.policy_version not in self.lapsed_versions
                ),
                "action": ev.action if ev else None,
                "policy_version": ev.policy_version if ev else None,
                "recorded_at": ev.recorded_at.isoformat() if ev else None,
            }
        categories = {}
        for ev in self.events:
            if ev.category:
                categories[ev.category] = ev.granted
        return {
            "app_id": self.manifest.id,
            "current_version": self.manifest.version,
            "agreed_version": self.agreed_version(),
            "purposes": purposes,
            "categories": categories,
            "minor": self.minor,
            "guardian_consented": self.guardian() is not None,
        }


def state(
    db: Session, manifest: Manifest, subject: Subject, *, locked: bool = False
) -> ConsentState:
    """Load the subject's history once; batch checks then run in memory."""
    if subject.user is not None:
        params = {"app": manifest.id, "user": subject.user.id}
        query = _USER_EVENTS
    else:
        if not subject.install_id:
            raise Problem(
                422,
                "validation_error",
                "install_id is required before login",
                errors={"install_id": ["Required before login."]},
            )
        link = db.get(InstallLink, subject.install_id)
        if link is not None:
            user = db.get(User, link.user_id)
            if locked:
                serial.lock_subject(db, f"user:{user.id}")
            return state(db, manifest, Subject(user, subject.install_id), locked=locked)
        params, query = {"app": manifest.id, "install": subject.install_id}, _INSTALL_EVENTS
    events = list(db.scalars(query, params))
    lapsed = policies.lapsed_versions(db, manifest.id)
    minor = is_minor(subject.user, manifest)
    return ConsentState(manifest, events, lapsed, minor, None, locked)


def locked_state(db: Session, manifest: Manifest, subject: Subject) -> ConsentState:
    """The subject's state, read under its lock, for a transaction that records a consent
    change or stores data under one. An install linked to a user takes the user's lock
    too (install first, then user: always that order)."""
    serial.lock_subject(db, subject.key if subject.user else f"install:{subject.install_id}")
    return state(db, manifest, subject, locked=True)


@dataclass
class Recorded:
    """A recorded change: its receipt, and the subject's state with it."""

    receipt: receipts.ConsentReceipt
    state: ConsentState


def record(
    db: Session,
    manifest: Manifest,
    subject: Subject,
    *,
    purposes: dict[str, bool],
    categories: dict[str, bool],
    method: str,
    action_if_false: str = "refuse",
    current: ConsentState | None = None,
) -> Recorded:
    """Append one decision per purpose and category, and a receipt for them all.

    ``current`` is the subject's state when the caller has just read it with
    ``locked_state``; the answer holds the state after the change, so nobody reads the
    history twice."""
    now = utcnow()
    if current is None:
        current = locked_state(db, manifest, subject)
    if not current.locked:
        raise RuntimeError("a consent change needs the state read with locked_state()")
    if current.minor and current.guardian() is None:
        raise Problem(
            403,
            "guardian_required",
            "You are below this app's age threshold: a guardian must consent first "
            "(POST /api/v1/guardian/code, then /api/v1/guardian/consent).",
        )
    decisions: dict[str, str] = {}
    category_decisions: dict[str, str] = {}
    events = []
    for pid, value in purposes.items():
        action = "grant" if value else action_if_false
        decisions[pid] = action
        events.append((pid, None, action))
    for key, value in categories.items():
        action = "grant" if value else action_if_false
        category_decisions[key] = action
        events.append((None, key, action))
    chain = chain_keys(db, subject, current.installs)
    granted_now = [p for p in manifest.purposes if _granted_after(current, p, decisions)]
    receipt = receipts.make(
        db,
        manifest,
        subject=subject.key,
        chain_subjects=chain,
        user_id=subject.user.id if subject.user else None,
        granted=granted_now,
        decisions=decisions,
        categories=category_decisions,
        method=method,
        at=now,
    )
    receipt_id = receipt.id
    rows = [
        {
            "app_id": manifest.id,
            "user_id": subject.user.id if subject.user else None,
            "install_id": subject.install_id,
            "policy_version": manifest.version,
            "purpose": pid,
            "category": key,
            "action": action,
            "method": method,
            "receipt_id": receipt_id,
            "recorded_at": now,
        }
        for pid, key, action in events
    ]
    # One INSERT for the batch; the ids order events recorded in the same instant.
    inserted = db.scalars(insert(ConsentEvent).returning(ConsentEvent), rows) if rows else []
    added = sorted(inserted, key=lambda ev: ev.id)
    audit_log.append(
        db,
        subject.key,
        "consent.withdrawn" if action_if_false == "withdraw" else "consent.recorded",
        f"receipt:{receipt.id}",
        app=manifest.id,
        decisions=decisions,
        categories=category_decisions,
    )
    after = ConsentState(
        manifest,
        current.events + added,
        current.lapsed_versions,
        current.minor,
        current.installs,
        locked=True,
    )
    return Recorded(receipt, after)


def _granted_after(current: ConsentState, pid: str, decisions: dict[str, str]) -> bool:
    if pid in decisions:
        return decisions[pid] == "grant"
    return current.live(pid).ok


def record_guardian(
    db: Session, manifest: Manifest, user: User, guardian_phone_hash: str, method: str
) -> receipts.ConsentReceipt:
    """A verified guardian's consent: the minor may now consent for themself."""
    serial.lock_subject(db, f"user:{user.id}")
    now = utcnow()
    receipt = receipts.make(
        db,
        manifest,
        subject=f"user:{user.id}",
        chain_subjects=chain_keys(db, Subject(user=user)),
        user_id=user.id,
        granted=[],
        decisions={"guardian": "guardian"},
        categories={},
        method=method,
        at=now,
    )
    audit_log.append(
        db, f"user:{user.id}", "consent.guardian", f"receipt:{receipt.id}", app=manifest.id
    )
    db.add(
        ConsentEvent(
            app_id=manifest.id,
            user_id=user.id,
            policy_version=manifest.version,
            action="guardian",
            method=method,
            guardian_phone_hash=guardian_phone_hash,
            receipt_id=receipt.id,
            recorded_at=now,
        )
    )
    return receipt


def sensitive_needs_own_consent(manifest: Manifest, category: str, purpose: str) -> bool:
    """A sensitive category (by the taxonomy or the policy's own word) under a basic
    purpose needs its own explicit consent."""
    return manifest.is_sensitive(category) and manifest.purposes[purpose].basic
