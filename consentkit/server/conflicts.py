"""Twin requests: when a concurrent request got there first, the answer is a 409.

Views check before they write (is this phone taken? is this account in an organization?),
but two requests can pass the same check at once; the database's constraint then refuses
the second. Each constraint that a race can hit maps to the problem the check would have
given, so the loser of a race gets the same answer as a request that came second.
"""

from __future__ import annotations

import re

from sqlalchemy.exc import IntegrityError

from .models import Base

# (table, columns) of a constraint → (code, detail)
CONFLICTS: dict[tuple[str, tuple[str, ...]], tuple[str, str]] = {
    ("users", ("phone",)): (
        "phone_taken",
        "An account with this phone exists; log in instead.",
    ),
    ("memberships", ("user_id",)): (
        "already_member",
        "That account already belongs to an organization.",
    ),
    ("invitations", ("org_id", "phone_hash")): (
        "invitation_pending",
        "This number was invited by a concurrent request; the invitation is open.",
    ),
    ("idempotency_records", ("user_id", "key")): (
        "conflict",
        "A concurrent request used this Idempotency-Key.",
    ),
    ("devices", ("app_id", "install_id")): (
        "conflict",
        "This install was registered by a concurrent request; send it again.",
    ),
    ("policy_versions", ("app_id", "version")): (
        "policy_version_exists",
        "This policy version was published by a concurrent request.",
    ),
}
FALLBACK = ("conflict", "A concurrent change got there first; read the current state and retry.")

_SQLITE = re.compile(r"(?:UNIQUE|PRIMARY KEY) constraint failed: (.+)")


def _constraints() -> dict[str, tuple[str, tuple[str, ...]]]:
    found = {}
    for table in Base.metadata.tables.values():
        for constraint in table.constraints:
            if constraint.name:
                found[str(constraint.name)] = (
                    table.name,
                    tuple(c.name for c in constraint.columns),
                )
        for index in table.indexes:
            if index.unique and index.name:
                found[str(index.name)] = (table.name, tuple(c.name for c in index.columns))
    return found


def constraint_of(exc: IntegrityError) -> tuple[str, tuple[str, ...]] | None:
    """The (table, columns) the database named, on PostgreSQL and on SQLite."""
    diag = getattr(exc.orig, "diag", None)
    name = getattr(diag, "constraint_name", None)
    if name:
        return _constraints().get(name)
    match = _SQLITE.search(str(exc.orig))
    if match:
        columns = [part.strip().split(".", 1) for part in match.group(1).split(",")]
        if all(len(c) == 2 for c in columns):
            return columns[0][0], tuple(c[1] for c in columns)
    return None


def describe(exc: IntegrityError) -> tuple[str, str]:
    """The problem code and detail for a constraint a race hit."""
    return CONFLICTS.get(constraint_of(exc) or ("", ()), FALLBACK)
