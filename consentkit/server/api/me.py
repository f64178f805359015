"""The user's rights: access, export, correction, deletion, account cancellation."""

from __future__ import annotations

from flask import current_app, send_file
from marshmallow import Schema, ValidationError, fields, validates_schema
from sqlalchemy import select

from ...policy import taxonomy
from ...policy.payloads import validate_payload
from .. import db
from ..db import utcnow
from ..limits import limited
from ..models import CollectedItem, Membership, RightsRequest
from ..openapi import file_response
from ..problems import Problem
from ..services import (
    audit_log,
    backoff,
    jobs,
    otp,
    passwords,
    personal_data,
    policies,
    rights,
    serial,
)
from ..services.storage import exports_folder
from ..services.tokens import revoke_all
from .common import AUTH, current_user
from .edge import Blueprint, CategoryKey, Identifier, JsonObject, OneTimeCode, Text

blp = Blueprint("me", __name__, description="The user's rights over their personal data")


class AppQuery(Schema):
    app_id = Identifier(required=True)


class DeleteQuery(AppQuery):
    category = CategoryKey(required=True)


class CorrectionRequest(Schema):
    payload = JsonObject(required=True)


class ProfileRequest(Schema):
    birth_date = fields.Date(required=True)


class CancelRequest(Schema):
    app_id = Identifier(required=True)
    password = Text(load_default=None, load_only=True, max_length=128)
    code = OneTimeCode(load_default=None)

    @validates_schema
    def _identity(self, data: dict, **_: object) -> None:
        if (data.get("password") is None) == (data.get("code") is None):
            raise ValidationError("Confirm who you are with your password or a code.", "password")


class RequestSchema(Schema):
    id = fields.String()
    kind = fields.String()
    status = fields.String()
    app_id = fields.String()
    policy_version = fields.String()
    deadline = fields.String()
    due_at = fields.DateTime()
    days_left = fields.Float()
    created_at = fields.DateTime()
    completed_at = fields.DateTime(allow_none=True)
    download = fields.String(allow_none=True)


class DataAnswer(Schema):
    profile = fields.Dict()
    categories = fields.Dict()
    devices = fields.List(fields.Dict())
    consents = fields.List(fields.Dict())
    staff_reads = fields.List(
        fields.Dict(),
        metadata={"description": "each time staff read your data: when, app, role"},
    )


class ProfileAnswer(Schema):
    profile = fields.Dict()


class CorrectedAnswer(Schema):
    categories = fields.Dict()


class CountsAnswer(Schema):
    deleted = fields.Integer()
    anonymized = fields.Integer()
    forwarded_to = fields.String(allow_none=True)  # the organization that decides
    request = fields.String(allow_none=True)


def request_view(row: RightsRequest) -> dict:
    done = row.status == "done"
    link = f"/api/v1/me/exports/{row.id}/download" if done and row.kind == "export" else None
    return {
        "id": row.id,
        "kind": row.kind,
        "status": row.status,
        "app_id": row.app_id,
        "policy_version": row.policy_version,
        "deadline": f"{row.within} {row.unit}",
        "due_at": row.due_at,
        "days_left": rights.days_left(row),
        "created_at": row.created_at,
        "completed_at": row.completed_at,
        "download": link,
    }


@blp.route("/me/data")
@limited("HEAVY_LIMIT_PER_USER")
@blp.arguments(AppQuery, location="query")
@blp.response(200, DataAnswer)
@blp.doc(security=AUTH)
def access(query: dict):
    """All personal data about you, by category, each with purpose, consent and
    retention, and every time staff read it."""
    user = current_user()
    s = db.session()
    manifest = policies.current(s, query["app_id"])
    data = personal_data.gather(s, user)
    data["staff_reads"] = personal_data.staff_reads(s, user)
    # Recorded after the reading: the audit log's head is held only for the two appends.
    row = rights.open_request(s, user, manifest, "access")
    rights.complete(s, row, {"categories": len(data["categories"])})
    s.commit()
    return data


@blp.route("/me/data", methods=["DELETE"])
@blp.arguments(DeleteQuery, location="query")
@blp.response(200, CountsAnswer)
@blp.doc(security=AUTH)
def delete_category(query: dict):
    """Delete one category of your data; records under a legal hold are anonymized instead."""
    user = current_user()
    s = db.session()
    manifest = policies.current(s, query["app_id"])
    if query["category"] not in manifest.data_categories:
        raise Problem(
            422,
            "validation_error",
            "Not a category of this policy.",
            errors={"category": ["Unknown category."]},
        )
    serial.lock_subject(s, f"user:{user.id}")  # no collect of this category commits after
    row = rights.open_request(s, user, manifest, "deletion")
    member = s.get(Membership, user.id)
    if manifest.data_categories[query["category"]].answered_by == "organization" and member:
        # Processed on the organization's behalf: its admins answer, within the deadline.
        rights.forward(s, row, member.org_id, query["category"])
        s.commit()
        return {"deleted": 0, "anonymized": 0, "forwarded_to": member.org_id, "request": row.id}
    counts = rights.delete_category(s, user.id, manifest, query["category"])
    rights.complete(s, row, counts)
    s.commit()
    return counts


@blp.route("/me/data/<row_id:item_id>", methods=["PATCH"])
@blp.arguments(CorrectionRequest)
@blp.response(200, CorrectedAnswer)
@blp.doc(security=AUTH)
def correct(body: dict, item_id: int):
    """Correct one item of your data; the new value is validated like a collected one."""
    user = current_user()
    s = db.session()
    item = s.scalar(
        select(CollectedItem).where(CollectedItem.id == item_id, CollectedItem.user_id == user.id)
    )
    if item is None:
        raise Problem(404, "not_found", "No such item of yours.")
    kind = taxonomy().categories[item.category].payload
    if kind in ("identifier", "media"):
        raise Problem(422, "not_correctable", "Identifiers and media are replaced, not edited.")
    clean, errors = validate_payload(kind, body["payload"])
    if errors:
        raise Problem(
            422, "validation_error", "The new value does not fit the category.", errors=errors
        )
    row = rights.open_request(s, user, policies.current(s, item.app_id), "correction")
    item.payload = clean
    audit_log.append(
        s, f"user:{user.id}", "data.corrected", f"item:{item.id}", category=item.category
    )
    rights.complete(s, row, {"item": item.id})
    s.commit()
    return {"categories": {item.category: [personal_data.item_view(item)]}}


@blp.route("/me/profile", methods=["PATCH"])
@blp.arguments(ProfileRequest)
@blp.response(200, ProfileAnswer)
@blp.doc(security=AUTH)
def correct_profile(body: dict):
    """Correct your birth date (it decides whether a guardian must consent)."""
    user = current_user()
    if body["birth_date"] > utcnow().date():
        raise Problem(
            422,
            "validation_error",
            "Must not be in the future.",
            errors={"birth_date": ["Must not be in the future."]},
        )
    s = db.session()
    user.birth_date = body["birth_date"]
    audit_log.append(
        s, f"user:{user.id}", "profile.corrected", f"user:{user.id}", fields=["birth_date"]
    )
    s.commit()
    return {"profile": personal_data.gather(s, user)["profile"]}


@blp.route("/me/exports", methods=["POST"])
@limited("EXPORT_LIMIT_PER_USER")
@blp.arguments(AppQuery)
@blp.response(202, RequestSchema)
@blp.doc(security=AUTH)
def start_export(body: dict):
    """Start a copy of all your data (a ZIP: JSON, media, consent receipts); poll its status."""
    user = current_user()
    s = db.session()
    row = rights.open_request(s, user, policies.current(s, body["app_id"]), "export")
    s.commit()
    if current_app.config["JOBS_INLINE"]:
        jobs.run_request(s, row, {})
        s.commit()
    return request_view(row)


def _own_request(request_id: str, kind: str) -> RightsRequest:
    user = current_user()
    row = db.session().get(RightsRequest, request_id)
    if row is None or row.user_id != user.id or row.kind != kind:
        raise Problem(404, "not_found", "No such request of yours.")
    return row


@blp.route("/me/exports/<request_id>")
@blp.response(200, RequestSchema)
@blp.doc(security=AUTH)
def export_status(request_id: str):
    """The export's status; when done, the download link (valid 24 hours)."""
    return request_view(_own_request(request_id, "export"))


@blp.route("/me/exports/<request_id>/download")
@blp.doc(security=AUTH, responses=file_response("The ZIP.", "application/zip"))
def download_export(request_id: str):
    """The ZIP, to its owner only, for 24 hours."""
    row = _own_request(request_id, "export")
    result = row.result or {}
    if row.status != "done" or result.get("expires_at", "") < utcnow().isoformat():
        raise Problem(404, "not_found", "This export is not ready or has expired.")
    path = exports_folder() / result["file"]
    if not path.exists():
        raise Problem(404, "not_found", "This export has expired.")
    return send_file(
        path,
        mimetype="application/zip",
        as_attachment=True,
        download_name=f"consentkit-export-{row.id}.zip",
    )


@blp.route("/me/cancellation", methods=["POST"])
@blp.arguments(CancelRequest)
@blp.response(202, RequestSchema)
@blp.doc(security=AUTH)
def cancel_account(body: dict):
    """Close your account: confirmed with password or code, effective at once (every token
    stops working), personal data purged within the policy's deadline."""
    user = current_user()
    s = db.session()
    manifest = policies.current(s, body["app_id"])
    # A stolen access token must not become a way to guess the password.
    guards = [
        backoff.Guarded(f"cancel.user:{user.id}", backoff.rule("LOGIN_FREE_ATTEMPTS_PER_PHONE"))
    ]
    backoff.attempt(guards)
    if body["code"] is not None:
        otp.verify(s, user.phone, "verify", body["code"])
    elif not passwords.verify_password(user.password_hash, body["password"]):
        raise Problem(401, "invalid_credentials", "The password is wrong.")
    backoff.succeeded(guards)
    serial.lock_subject(s, f"user:{user.id}")
    user.status = "cancelled"
    revoke_all(s, user, "account_cancelled")
    row = rights.open_request(s, user, manifest, "cancellation")
    s.commit()
    return request_view(row)


@blp.route("/rights/requests/<request_id>")
@blp.response(200, RequestSchema)
def request_status(request_id: str):
    """A request's status, due date and days left. The unguessable id is the key: it still
    works after cancellation, when the account can no longer log in."""
    row = db.session().get(RightsRequest, request_id)
    if row is None:
        raise Problem(404, "not_found", "No such request.")
    return request_view(row)
