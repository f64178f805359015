"""Sign-up and login: phone + one-time code, password; rotated refresh tokens."""

from __future__ import annotations

from flask import current_app
from flask_jwt_extended import get_jwt, jwt_required
from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from sqlalchemy import select

from .. import db, limits
from ..db import utcnow
from ..models import User
from ..problems import Problem
from ..services import backoff, ledger, otp, passwords, phones, tokens
from .common import AUTH
from .edge import Blueprint, InstallId, OneTimeCode, Text

blp = Blueprint("auth", __name__, description="Codes, registration, login, token refresh")


class CodeRequest(Schema):
    phone = Text(required=True, max_length=32)
    purpose = Text(
        load_default="login", max_length=16, validate=validate.OneOf(["login", "verify"])
    )


class CodeSent(Schema):
    sent = fields.Boolean()
    expires_in = fields.Integer()


class RegisterRequest(Schema):
    phone = Text(required=True, max_length=32)
    code = OneTimeCode(required=True)
    password = Text(required=True, min_length=8, max_length=128, load_only=True)
    birth_date = fields.Date(load_default=None)
    install_id = InstallId(load_default=None)

    @validates_schema
    def _birth_in_past(self, data: dict, **_: object) -> None:
        if data.get("birth_date") and data["birth_date"] > utcnow().date():
            raise ValidationError("Must not be in the future.", "birth_date")


class LoginRequest(Schema):
    phone = Text(required=True, max_length=32)
    password = Text(load_default=None, max_length=128, load_only=True)
    code = OneTimeCode(load_default=None)
    install_id = InstallId(load_default=None)

    @validates_schema
    def _one_secret(self, data: dict, **_: object) -> None:
        if (data.get("password") is None) == (data.get("code") is None):
            raise ValidationError("Give either password or code.", "password")


class UserSchema(Schema):
    id = fields.String()
    phone = fields.String()
    birth_date = fields.Date(allow_none=True)
    status = fields.String()


class TokensSchema(Schema):
    access_token = fields.String()
    refresh_token = fields.String()
    token_type = fields.String()
    user = fields.Nested(UserSchema)


def login_guards(phone: str) -> list[backoff.Guarded]:
    """Guesses at a password or code: counted per phone (cleared by a success) and per
    client (a client trying many phones)."""
    return [
        backoff.Guarded(
            "login." + limits.phone_key(phone), backoff.rule("LOGIN_FREE_ATTEMPTS_PER_PHONE")
        ),
        backoff.Guarded(
            "login." + limits.client(),
            backoff.rule("LOGIN_FREE_ATTEMPTS_PER_CLIENT", "LOGIN_CLIENT_BACKOFF_MAX_SECONDS"),
            clear_on_success=False,
        ),
    ]


@blp.route("/auth/code", methods=["POST"])
@limits.limited("OTP_LIMIT_PER_PHONE", key=limits.body_phone("phone"))
@limits.limited("OTP_LIMIT_PER_CLIENT", key=limits.client)
@blp.arguments(CodeRequest)
@blp.response(202, CodeSent)
def send_code(body: dict):
    """Send a one-time code to a phone (rate limited per phone and per client)."""
    s = db.session()
    phone = phones.normalise(body["phone"])
    otp.issue(s, phone, body["purpose"])
    s.commit()
    return {"sent": True, "expires_in": current_app.config["OTP_TTL_SECONDS"]}


@blp.route("/auth/register", methods=["POST"])
@limits.limited("REGISTER_LIMIT_PER_CLIENT", key=limits.client)
@blp.arguments(RegisterRequest)
@blp.response(201, TokensSchema)
def register(body: dict):
    """Create an account from a verified phone; the install's consents become the user's."""
    s = db.session()
    phone = phones.normalise(body["phone"])
    # The code first: only the phone's owner learns whether it has an account.
    otp.verify(s, phone, "login", body["code"])
    if s.scalar(select(User.id).where(User.phone == phone)):
        s.commit()  # the code is used up either way
        raise Problem(409, "phone_taken", "An account with this phone exists; log in instead.")
    user = User(
        phone=phone,
        password_hash=passwords.hash_password(body["password"]),
        birth_date=body["birth_date"],
    )
    s.add(user)
    s.flush()
    ledger.link_install(s, user, body["install_id"])
    pair = tokens.issue(s, user)
    s.commit()
    return {**pair, "user": user}


@blp.route("/auth/login", methods=["POST"])
@limits.limited("LOGIN_LIMIT_PER_CLIENT", key=limits.client)
@blp.arguments(LoginRequest)
@blp.response(200, TokensSchema)
def login(body: dict):
    """Log in with a password or a one-time code. Wrong guesses are slowed down per phone
    and per client (429 with Retry-After); an unknown phone is answered exactly like a
    wrong password, in the same time."""
    s = db.session()
    phone = phones.normalise(body["phone"])
    guards = login_guards(phone)
    backoff.attempt(guards)
    user = s.scalar(select(User).where(User.phone == phone, User.status == "active"))
    if body["code"] is not None:
        otp.verify(s, phone, "login", body["code"])
        if user is None:
            s.commit()
            raise Problem(401, "invalid_credentials", "Phone or password is wrong.")
    elif not passwords.verify_password(user.password_hash if user else None, body["password"]):
        raise Problem(401, "invalid_credentials", "Phone or password is wrong.")
    backoff.succeeded(guards)
    ledger.link_install(s, user, body["install_id"])
    pair = tokens.issue(s, user)
    s.commit()
    return {**pair, "user": user}


@blp.route("/auth/refresh", methods=["POST"])
@jwt_required(refresh=True)
@blp.response(200, TokensSchema)
@blp.doc(security=AUTH)
def refresh():
    """Swap a refresh token for a new pair; replaying an old one ends the session."""
    s = db.session()
    pair = tokens.rotate(s, get_jwt())
    return {**pair, "user": s.get(User, get_jwt()["sub"])}


@blp.route("/auth/logout", methods=["POST"])
@jwt_required(verify_type=False)
@blp.response(204)
@blp.doc(security=AUTH)
def logout():
    """End this session: its access and refresh tokens stop working at once."""
    s = db.session()
    tokens.revoke_family(s, get_jwt()["fam"], "logout")
    s.commit()
