"""Password hashing with Argon2id (memory-hard), parameters from config."""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app


def _hasher() -> PasswordHasher:
    cfg = current_app.config
    key = ("consentkit.argon2", cfg["ARGON2_TIME_COST"], cfg["ARGON2_MEMORY_COST"])
    hasher = current_app.extensions.get(key)
    if hasher is None:
        hasher = PasswordHasher(time_cost=key[1], memory_cost=key[2])
        current_app.extensions[key] = hasher
    return hasher


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def _dummy_hash() -> str:
    """A hash of nothing anyone knows, made with the live parameters."""
    cfg = current_app.config
    key = ("consentkit.argon2.dummy", cfg["ARGON2_TIME_COST"], cfg["ARGON2_MEMORY_COST"])
    if key not in current_app.extensions:
        current_app.extensions[key] = _hasher().hash(secrets.token_urlsafe(32))
    return current_app.extensions[key]


def verify_password(stored: str | None, password: str) -> bool:
    """Whether ``password`` matches ``stored``. Without a stored hash (no such account, or
    one without a password) a dummy hash is checked instead, so the answer takes as long
    as for a real account and its timing tells nobody whether the account exists."""
    try:
        return _hasher().verify(stored or _dummy_hash(), password) and bool(stored)
    except (VerificationError, InvalidHashError):
        return False
