"""Keyed hashes (HMAC-SHA256) for identifiers and one-time codes.

A plain hash of an IMEI can be reversed by enumeration; a keyed one cannot without the
instance's key.
"""

from __future__ import annotations

import hashlib
import hmac

from flask import current_app


def keyed_hash(value: str, *, context: str) -> str:
    key = current_app.config["IDENTIFIER_HASH_KEY"].encode()
    return hmac.new(key, f"{context}\x00{value}".encode(), hashlib.sha256).hexdigest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a, b)
