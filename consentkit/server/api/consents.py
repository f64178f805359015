"""The consent ledger over HTTP: agree, change, withdraw, read, and the receipts."""

from __future__ import annotations

from marshmallow import Schema, fields, validate
from sqlalchemy import select

from .. import db
from ..models import ConsentReceipt
from ..problems import Problem
from ..services import ledger, policies, receipts, withdrawal
from .common import AUTH, StrictBool, current_user
from .edge import Blueprint, CategoryKey, Identifier, InstallId, Text

blp = Blueprint("consents", __name__, description="Consents per purpose, with receipts")

METHODS = ["app_ui", "web_form", "api", "guardian_sms"]


class ConsentRequest(Schema):
    app_id = Identifier(required=True)
    policy_version = Text(required=True, max_length=64)
    install_id = InstallId(load_default=None)
    purposes = fields.Dict(keys=Identifier(), values=StrictBool(), required=True)
    categories = fields.Dict(keys=CategoryKey(), values=StrictBool(), load_default=dict)
    method = Text(load_default="app_ui", max_length=32, validate=validate.OneOf(METHODS))


class WithdrawRequest(Schema):
    app_id = Identifier(required=True)
    install_id = InstallId(load_default=None)
    purposes = fields.List(Identifier(), required=True, validate=validate.Length(min=1, max=64))
    method = Text(load_default="app_ui", max_length=32, validate=validate.OneOf(METHODS))


class StateQuery(Schema):
    app_id = Identifier(required=True)
    install_id = InstallId(load_default=None)


class ConsentAnswer(Schema):
    receipt = fields.Dict()
    state = fields.Dict()
    effects = fields.Dict()


class ReceiptsAnswer(Schema):
    receipts = fields.List(fields.Dict())
    chain_valid = fields.Boolean()


def _subject(install_id: str | None) -> ledger.Subject:
    user = current_user(optional=True)
    if user is None and not install_id:
        raise Problem(
            422,
            "validation_error",
            "Before login, consents are keyed by install_id.",
            errors={"install_id": ["Required before login."]},
        )
    return ledger.Subject(user=user, install_id=install_id)


def _unknown(manifest, purposes) -> None:
    bad = {p: ["Unknown purpose."] for p in purposes if p not in manifest.purposes}
    if bad:
        raise Problem(
            422,
            "validation_error",
            "Some purposes are not in the policy.",
            errors={"purposes": bad},
        )


@blp.route("/consents", methods=["POST"])
@blp.arguments(ConsentRequest)
@blp.response(201, ConsentAnswer)
@blp.doc(security=AUTH)
def give(body: dict):
    """Record choices for the current policy version: agreement, or a later change.

    A first agreement to a version must accept every basic purpose; optional purposes
    left out are recorded as refused (unticked by default).
    """
    s = db.session()
    manifest = policies.current(s, body["app_id"])
    if body["policy_version"] != manifest.version:
        raise Problem(
            409,
            "policy_outdated",
            f"The policy in force is version {manifest.version}; show it and ask again.",
            current_version=manifest.version,
        )
    _unknown(manifest, body["purposes"])
    bad_cats = {
        c: ["Not a sensitive category of this policy."]
        for c in body["categories"]
        if c not in manifest.data_categories or not manifest.is_sensitive(c)
    }
    if bad_cats:
        raise Problem(
            422,
            "validation_error",
            "Separate consent is for sensitive categories.",
            errors={"categories": bad_cats},
        )
    subject = _subject(body["install_id"])
    state = ledger.locked_state(s, manifest, subject)
    purposes = dict(body["purposes"])
    if state.agreed_version() != manifest.version:
        missing = [p for p in manifest.basic_purposes() if purposes.get(p) is not True]
        if missing:
            raise Problem(
                422,
                "policy_agreement_required",
                "Agreeing to the policy accepts its basic purposes: " + ", ".join(missing),
                errors={"purposes": {p: ["Must be true to agree."] for p in missing}},
            )
        for pid in manifest.optional_purposes():
            purposes.setdefault(pid, False)
    recorded = ledger.record(
        s,
        manifest,
        subject,
        purposes=purposes,
        categories=body["categories"],
        method=body["method"],
        current=state,
    )
    s.commit()
    return {"receipt": recorded.receipt.document, "state": recorded.state.summary()}


@blp.route("/consents", methods=["GET"])
@blp.arguments(StateQuery, location="query")
@blp.response(200, ConsentAnswer)
@blp.doc(security=AUTH)
def current(query: dict):
    """The subject's consent state for the policy in force."""
    s = db.session()
    manifest = policies.current(s, query["app_id"])
    return {"state": ledger.state(s, manifest, _subject(query["install_id"])).summary()}


@blp.route("/consents/withdraw", methods=["POST"])
@blp.arguments(WithdrawRequest)
@blp.response(200, ConsentAnswer)
@blp.doc(security=AUTH)
def withdraw(body: dict):
    """Withdraw purposes at once; stored data is deleted, anonymized or kept as declared."""
    s = db.session()
    manifest = policies.current(s, body["app_id"])
    _unknown(manifest, body["purposes"])
    subject = _subject(body["install_id"])
    # Under the subject's lock: a collect either committed before (and is swept here) or
    # reads the withdrawal after it (and is refused).
    state = ledger.locked_state(s, manifest, subject)
    effects = withdrawal.apply(s, manifest, subject.user, body["purposes"])
    recorded = ledger.record(
        s,
        manifest,
        subject,
        purposes=dict.fromkeys(body["purposes"], False),
        categories={},
        method=body["method"],
        action_if_false="withdraw",
        current=state,
    )
    s.commit()
    return {
        "receipt": recorded.receipt.document,
        "effects": effects.as_dict(),
        "state": recorded.state.summary(),
    }


@blp.route("/consents/receipts", methods=["GET"])
@blp.arguments(StateQuery, location="query")
@blp.response(200, ReceiptsAnswer)
@blp.doc(security=AUTH)
def list_receipts(query: dict):
    """Every receipt of the subject in this app, oldest first, and whether the chain holds."""
    s = db.session()
    policies.in_force(s, query["app_id"])  # 404 for an unknown app
    keys = ledger.chain_keys(s, _subject(query["install_id"]))
    rows = list(
        s.scalars(
            select(ConsentReceipt)
            .where(ConsentReceipt.app_id == query["app_id"], ConsentReceipt.subject.in_(keys))
            .order_by(ConsentReceipt.position, ConsentReceipt.created_at, ConsentReceipt.id)
        )
    )
    return {"receipts": [r.document for r in rows], "chain_valid": receipts.verify_chain(rows)}
