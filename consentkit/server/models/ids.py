"""Opaque identifiers: random, unguessable, never a row number."""

import uuid


def new_id() -> str:
    return uuid.uuid4().hex
