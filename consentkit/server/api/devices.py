"""Installs register themselves; identifiers come only under a consent that declares them."""

from __future__ import annotations

from marshmallow import Schema, fields, validate
from sqlalchemy import select

from ...policy import taxonomy
from .. import db
from ..models import Device, DeviceIdentifier
from ..problems import Problem
from ..services import ledger, policies
from ..services.keyed_hash import keyed_hash
from .common import AUTH, current_user
from .edge import Blueprint, CategoryKey, Identifier, InstallId, Text

blp = Blueprint("devices", __name__, description="App installs and their identifiers")


class IdentifierIn(Schema):
    category = CategoryKey(required=True)
    purpose = Identifier(required=True)
    value = Text(required=True, min_length=1, max_length=200)


class DeviceRequest(Schema):
    app_id = Identifier(required=True)
    install_id = InstallId(required=True)
    platform = Text(required=True, max_length=16, validate=validate.OneOf(["android", "ios"]))
    os_version = Text(required=True, min_length=1, max_length=32)
    app_version = Text(required=True, min_length=1, max_length=32)
    model = Text(load_default=None, max_length=64)
    identifiers = fields.List(
        fields.Nested(IdentifierIn), load_default=list, validate=validate.Length(max=20)
    )


class DeviceAnswer(Schema):
    id = fields.String()
    install_id = fields.String()
    platform = fields.String()
    os_version = fields.String()
    app_version = fields.String()
    identifiers = fields.List(fields.Dict())


def _check_identifier(manifest, state, item: dict) -> tuple[dict, object]:
    category, purpose = item["category"], item["purpose"]
    known = taxonomy().categories.get(category)
    if known is None or not known.is_device_identifier:
        return {"category": category, "status": "rejected", "code": "not_an_identifier"}, None
    if not manifest.category_allowed(category, purpose):
        return {"category": category, "status": "rejected", "code": "undeclared_category"}, None
    verdict = state.live(purpose)
    if not verdict.ok:
        return {"category": category, "status": "rejected", "code": verdict.code}, None
    return {"category": category, "status": "accepted"}, verdict


@blp.route("/devices", methods=["POST"])
@blp.arguments(DeviceRequest)
@blp.response(200, DeviceAnswer)
@blp.doc(security=AUTH)
def register_device(body: dict):
    """Register or update an install once the policy is agreed; identifiers each checked."""
    s = db.session()
    manifest = policies.current(s, body["app_id"])
    user = current_user(optional=True)
    subject = ledger.Subject(user=user, install_id=body["install_id"])
    state = ledger.locked_state(s, manifest, subject)
    if state.agreed_version() is None:
        raise Problem(403, "consent_required", "Agree to the policy before registering the device.")
    device = s.scalar(
        select(Device).where(Device.app_id == manifest.id, Device.install_id == body["install_id"])
    )
    if device is None:
        device = Device(app_id=manifest.id, install_id=body["install_id"])
        s.add(device)
    device.platform = body["platform"]
    device.os_version = body["os_version"]
    device.app_version = body["app_version"]
    device.model = body["model"]
    if user is not None:
        device.user_id = user.id
    s.flush()
    results = []
    for item in body["identifiers"]:
        result, verdict = _check_identifier(manifest, state, item)
        if verdict is not None:
            raw = manifest.data_categories[item["category"]].stored is True
            s.add(
                DeviceIdentifier(
                    device_id=device.id,
                    category=item["category"],
                    purpose=item["purpose"],
                    value=item["value"]
                    if raw
                    else keyed_hash(item["value"], context=item["category"]),
                    hashed=not raw,
                    consent_event_id=verdict.event.id,
                )
            )
        results.append(result)
    s.commit()
    return {
        "id": device.id,
        "install_id": device.install_id,
        "platform": device.platform,
        "os_version": device.os_version,
        "app_version": device.app_version,
        "identifiers": results,
    }
