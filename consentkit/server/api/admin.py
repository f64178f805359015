"""Staff work: auditors read (every read audited), the DPO handles requests, admins record
breaches — each on the apps they hold a role on (``services.staff``). Users never reach
anyone's data but their own; staff reach it only here, only for their apps' users, and
every read shows in the person's own ``GET /me/data``."""

from __future__ import annotations

from datetime import timedelta

from marshmallow import Schema, fields, validate
from sqlalchemy import select

from ...policy.durations import DEADLINE_UNITS
from ...policy.manifest import Deadline
from .. import db
from ..db import utcnow
from ..limits import limited
from ..models import ConsentEvent, Incident, RightsRequest, User
from ..problems import Problem
from ..services import audit_log, otp, personal_data, rights, staff
from .common import AUTH, current_user
from .edge import Blueprint, CategoryKey, Identifier, Int, Text
from .me import DataAnswer, RequestSchema, request_view

blp = Blueprint("admin", __name__, description="Auditors, the DPO and admins")

BREACH_CLOCK = timedelta(hours=72)  # GDPR art. 33; PIPL art. 57 asks for "immediately"


class ExtendRequest(Schema):
    within = Int(required=True, minimum=1, maximum=90)
    unit = Text(required=True, max_length=16, validate=validate.OneOf(sorted(DEADLINE_UNITS)))
    reason = Text(required=True, min_length=5, max_length=500)


class PendingQuery(Schema):
    status = Text(
        load_default="pending", max_length=16, validate=validate.OneOf(["pending", "done"])
    )
    app_id = Identifier(load_default=None)


class IncidentRequest(Schema):
    app_id = Identifier(required=True)
    title = Text(required=True, min_length=3, max_length=200)
    description = Text(required=True, min_length=3, max_length=4000)
    categories = fields.List(CategoryKey(), required=True, validate=validate.Length(min=1, max=100))
    affected_users = fields.List(
        Text(max_length=32), required=True, validate=validate.Length(max=100_000)
    )
    detected_at = fields.AwareDateTime(required=True)


class ConsentRecords(Schema):
    schema = fields.String()
    app_id = fields.String()
    records = fields.List(fields.Dict())


class AuditCheck(Schema):
    ok = fields.Boolean()
    entries = fields.Integer()
    broken_at = fields.Integer(allow_none=True)
    reason = fields.String()


class IncidentSchema(Schema):
    id = fields.String()
    app_id = fields.String()
    title = fields.String()
    categories = fields.List(fields.String())
    affected = fields.Integer()
    users_notified = fields.Integer()
    detected_at = fields.DateTime()
    notify_regulator_by = fields.DateTime()
    hours_left = fields.Float()


class RecordsQuery(Schema):
    app_id = Identifier(required=True)


def _incident_view(row: Incident) -> dict:
    deadline = row.detected_at + BREACH_CLOCK
    return {
        "id": row.id,
        "app_id": row.app_id,
        "title": row.title,
        "categories": row.categories,
        "affected": len(row.affected_users),
        "users_notified": row.users_notified,
        "detected_at": row.detected_at,
        "notify_regulator_by": deadline,
        "hours_left": round((deadline - utcnow()).total_seconds() / 3600, 1),
    }


@blp.route("/admin/users/<user_id>/data")
@limited("HEAVY_LIMIT_PER_USER")
@blp.arguments(RecordsQuery, location="query")
@blp.response(200, DataAnswer)
@blp.doc(security=AUTH)
def read_user_data(query: dict, user_id: str):
    """A user's data in one app, for that app's staff; the read is audited and shown to
    the user in their own ``GET /me/data``."""
    reader = current_user()
    s = db.session()
    role = staff.require(s, reader, "auditor", query["app_id"])
    user = s.get(User, user_id)
    if user is None or not personal_data.uses_app(s, user, query["app_id"]):
        raise Problem(404, "not_found", "No such user of this app.")
    data = personal_data.gather(s, user, app_id=query["app_id"])
    audit_log.append(s, f"{role}:{reader.id}", "staff.read", f"user:{user_id}", app=query["app_id"])
    s.commit()
    return data


@blp.route("/admin/requests")
@blp.arguments(PendingQuery, location="query")
@blp.response(200, RequestSchema(many=True))
@blp.doc(security=AUTH)
def list_requests(query: dict):
    """Rights requests of your apps by due date: what the DPO must answer next."""
    s = db.session()
    apps = staff.apps_for(s, current_user(), "dpo")
    if query["app_id"] is not None:
        apps = [a for a in apps if a == query["app_id"]]
    if not apps:
        raise Problem(404, "not_found", "The requested URL was not found on the server.")
    rows = s.scalars(
        select(RightsRequest)
        .where(RightsRequest.status == query["status"], RightsRequest.app_id.in_(apps))
        .order_by(RightsRequest.due_at)
        .limit(500)
    )
    return [request_view(r) for r in rows]


@blp.route("/admin/requests/<request_id>/extend", methods=["POST"])
@blp.arguments(ExtendRequest)
@blp.response(200, RequestSchema)
@blp.doc(security=AUTH)
def extend_request(body: dict, request_id: str):
    """Extend a request's deadline, with a reason; the extension is recorded and audited."""
    dpo = current_user()
    s = db.session()
    row = s.get(RightsRequest, request_id)
    role = staff.role_on(s, dpo, row.app_id if row else None)
    if row is None or row.status != "pending" or role not in staff.MAY["dpo"]:
        raise Problem(404, "not_found", "No pending request with this id.")
    rights.extend(
        s, row, Deadline(body["within"], body["unit"]), body["reason"], f"{role}:{dpo.id}"
    )
    s.commit()
    return request_view(row)


@blp.route("/admin/incidents", methods=["POST"])
@blp.arguments(IncidentRequest)
@blp.response(201, IncidentSchema)
@blp.doc(security=AUTH)
def record_incident(body: dict):
    """Record a breach of one app's data; its affected users are notified at once; the
    72-hour clock starts. Only the app's own users are sent a notice."""
    admin = current_user()
    s = db.session()
    staff.require(s, admin, "admin", body["app_id"])
    row = Incident(
        app_id=body["app_id"],
        title=body["title"],
        description=body["description"],
        categories=body["categories"],
        affected_users=body["affected_users"],
        detected_at=body["detected_at"],
        recorded_by=admin.id,
    )
    notified = 0
    for user_id in body["affected_users"]:
        user = s.get(User, user_id)
        if user is not None and user.phone and personal_data.uses_app(s, user, row.app_id):
            otp.sender().send(
                s,
                user.phone,
                "incident",
                f"Security notice: {body['title']}. Affected: "
                f"{', '.join(body['categories'])}. We will keep you informed.",
            )
            notified += 1
    row.users_notified = notified
    s.add(row)
    s.flush()
    audit_log.append(
        s,
        f"admin:{admin.id}",
        "incident.recorded",
        f"incident:{row.id}",
        affected=len(body["affected_users"]),
        notified=notified,
    )
    s.commit()
    return _incident_view(row)


@blp.route("/admin/incidents/<incident_id>")
@blp.response(200, IncidentSchema)
@blp.doc(security=AUTH)
def incident(incident_id: str):
    """An incident of one of your apps, and its clock."""
    s = db.session()
    row = s.get(Incident, incident_id)
    if row is None or staff.role_on(s, current_user(), row.app_id) not in staff.MAY["auditor"]:
        raise Problem(404, "not_found", "No such incident.")
    return _incident_view(row)


@blp.route("/admin/consent-records")
@limited("HEAVY_LIMIT_PER_USER")
@blp.arguments(RecordsQuery, location="query")
@blp.response(200, ConsentRecords)
@blp.doc(security=AUTH)
def consent_records(query: dict):
    """Consent records in the spirit of ISO/IEC TS 27560: one record per subject and
    purpose, with its events. Pseudonymous: subjects are ids, never phones. The read is
    audited and shown to every person in it, in their own ``GET /me/data``."""
    auditor = current_user()
    s = db.session()
    role = staff.require(s, auditor, "auditor", query["app_id"])
    records: dict[tuple, dict] = {}
    events = s.scalars(
        select(ConsentEvent).where(ConsentEvent.app_id == query["app_id"]).order_by(ConsentEvent.id)
    )
    for e in events:
        subject = f"user:{e.user_id}" if e.user_id else f"install:{e.install_id}"
        key = (subject, e.purpose or e.category or "guardian")
        record = records.setdefault(
            key,
            {
                "recordId": f"{query['app_id']}:{key[0]}:{key[1]}",
                "subject": subject,
                "purpose": key[1],
                "events": [],
            },
        )
        record["events"].append(
            {
                "eventType": e.action,
                "time": e.recorded_at.isoformat(),
                "policyVersion": e.policy_version,
                "method": e.method,
                "receipt": e.receipt_id,
            }
        )
        record["state"] = (
            "given" if e.granted else ("withdrawn" if e.action == "withdraw" else "refused")
        )
    audit_log.append(s, f"{role}:{auditor.id}", "staff.read", f"consent-records:{query['app_id']}")
    s.commit()
    return {
        "schema": "ISO/IEC TS 27560 (consent record and events)",
        "app_id": query["app_id"],
        "records": list(records.values()),
    }


@blp.route("/admin/audit/verify")
@blp.response(200, AuditCheck)
@blp.doc(security=AUTH)
def verify_audit_log():
    """Whether the audit log is intact: an auditor's check, on any app (it shows counts,
    nobody's data)."""
    s = db.session()
    if not staff.apps_for(s, current_user(), "auditor"):
        raise Problem(404, "not_found", "The requested URL was not found on the server.")
    result = audit_log.verify(s)
    return {
        "ok": result.ok,
        "entries": result.entries,
        "broken_at": result.broken_at,
        "reason": result.reason,
    }
