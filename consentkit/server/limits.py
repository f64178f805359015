"""Who a rate limit counts, and the limits of the endpoints that cost the most.

flask-limiter counts in the store named by ``RATELIMIT_STORAGE_URI`` (memory, or Redis
for several workers). Keys never hold a phone number: a phone is counted by a keyed hash
of its E.164 form, so ``+86 138 0013 8000``, ``0086…`` and ``138…`` share one counter, and
the store holds nothing that can be read back as a number. Signed-in callers are counted
per account, others per client address.

The limits themselves are settings (``CONSENTKIT_MEDIA_LIMIT_PER_USER=…``); each view
that needs one names its setting with ``limited``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import current_app, request
from flask_jwt_extended import decode_token
from flask_limiter.util import get_remote_address

from .extensions import limiter
from .problems import Problem
from .services import phones
from .services.keyed_hash import keyed_hash


def phone_key(raw: Any) -> str:
    """The counter of a phone number: a keyed hash of its E.164 form."""
    if not isinstance(raw, str):
        return "phone:none"
    try:
        number = phones.normalise(raw)
    except Problem:
        return "phone:invalid"  # refused with a 422 anyway; one shared counter
    return "phone:" + keyed_hash(number, context="ratelimit.phone")[:32]


def body_phone(field: str = "phone") -> Callable[[], str]:
    """A key function: the phone number in the JSON body's ``field``."""

    def key() -> str:
        body = request.get_json(silent=True)
        return phone_key(body.get(field) if isinstance(body, dict) else None)

    key.__name__ = f"body_phone_{field}"
    return key


def client() -> str:
    """The calling client's address (behind a proxy, configure the proxy's forwarding)."""
    return "client:" + (get_remote_address() or "?")


def account_or_client() -> str:
    """The signed-in account (from a valid bearer token), else the client address.

    Only the signature and expiry are checked here; the view checks the session."""
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        try:
            return "user:" + str(decode_token(header[7:])["sub"])
        except Exception:  # any bad token: counted by address, refused by the view
            pass
    return client()


def limited(setting: str, key: Callable[[], str] = account_or_client):
    """flask-limiter's decorator, for the limit in the setting ``setting``
    (``"30 per minute; 300 per day"``)."""
    return limiter.limit(lambda: current_app.config[setting], key_func=key)
