"""A guardian consents for a minor, verified by a code sent to the guardian's phone."""

from __future__ import annotations

from flask import current_app
from marshmallow import Schema, fields

from .. import db, limits
from ..problems import Problem
from ..services import ledger, otp, phones, policies
from ..services.keyed_hash import keyed_hash
from .auth import CodeSent
from .common import AUTH, current_user
from .edge import Blueprint, Identifier, OneTimeCode, Text

blp = Blueprint("guardian", __name__, description="Guardian consent for minors")


class GuardianCodeRequest(Schema):
    app_id = Identifier(required=True)
    guardian_phone = Text(required=True, max_length=32)


class GuardianConsentRequest(GuardianCodeRequest):
    code = OneTimeCode(required=True)


class ReceiptAnswer(Schema):
    receipt = fields.Dict()


def _minor_and_guardian(body: dict):
    s = db.session()
    user = current_user()
    manifest = policies.current(s, body["app_id"])
    if not ledger.is_minor(user, manifest):
        raise Problem(409, "not_a_minor", "This account does not need a guardian's consent.")
    guardian = phones.normalise(body["guardian_phone"])
    if guardian == user.phone:
        raise Problem(
            422,
            "validation_error",
            "The guardian's phone must not be the minor's own.",
            errors={"guardian_phone": ["Must be the guardian's own phone."]},
        )
    return s, user, manifest, guardian


@blp.route("/guardian/code", methods=["POST"])
@limits.limited("OTP_LIMIT_PER_PHONE", key=limits.body_phone("guardian_phone"))
@limits.limited("OTP_LIMIT_PER_CLIENT", key=limits.client)
@blp.arguments(GuardianCodeRequest)
@blp.response(202, CodeSent)
@blp.doc(security=AUTH)
def send_guardian_code(body: dict):
    """Send a code to the guardian's phone."""
    s, _user, _manifest, guardian = _minor_and_guardian(body)
    otp.issue(s, guardian, "guardian")
    s.commit()
    return {"sent": True, "expires_in": current_app.config["OTP_TTL_SECONDS"]}


@blp.route("/guardian/consent", methods=["POST"])
@blp.arguments(GuardianConsentRequest)
@blp.response(201, ReceiptAnswer)
@blp.doc(security=AUTH)
def guardian_consents(body: dict):
    """The guardian, holding the code, consents; the minor may then give consents."""
    s, user, manifest, guardian = _minor_and_guardian(body)
    otp.verify(s, guardian, "guardian", body["code"])
    receipt = ledger.record_guardian(
        s, manifest, user, keyed_hash(guardian, context="guardian"), "guardian_sms"
    )
    s.commit()
    return {"receipt": receipt.document}
