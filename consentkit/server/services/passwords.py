"""Password hashing with Argon2id (memory-hard), parameters from config."""

from __future__ import annotations

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


def verify_password(stored: str | None, password: str) -> bool:
    if not stored:
        return False
    try:
        return _hasher().verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False
