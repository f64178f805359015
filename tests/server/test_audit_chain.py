"""The audit log's chain: what ``verify`` calls a break, and what it must not."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from consentkit.server.migrate import upgrade
from consentkit.server.models import AuditEntry, ChainHead
from consentkit.server.services import audit_log


@pytest.fixture
def engine(tmp_path):
    url = f"sqlite:///{tmp_path / 'chain.sqlite'}"
    upgrade(url)
    engine = create_engine(url)
    with Session(engine) as s:
        for n in range(5):
            audit_log.append(s, "system", "test.event", f"thing:{n}", n=n)
            s.commit()  # one transaction per append, as requests do
    yield engine
    engine.dispose()


def verify(engine) -> audit_log.Verification:
    with Session(engine) as s:
        return audit_log.verify(s)


def test_appends_are_numbered_and_the_head_follows(engine):
    with Session(engine) as s:
        entries = list(s.scalars(text("SELECT position FROM audit_log ORDER BY id")))
        head = s.get(ChainHead, "audit")
        last = s.scalar(text("SELECT hash FROM audit_log ORDER BY position DESC LIMIT 1"))
    assert entries == [1, 2, 3, 4, 5]
    assert (head.position, head.hash) == (5, last)
    assert verify(engine).ok


@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        ("UPDATE audit_log SET subject = 'x' WHERE position = 3", "edited"),
        ("DELETE FROM audit_log WHERE position = 3", "removed"),
        ("DELETE FROM audit_log WHERE position = 5", "entries were removed"),
        (
            "UPDATE audit_log SET position = CASE position WHEN 2 THEN 3 ELSE 2 END"
            " WHERE position IN (2, 3)",
            "removed or moved",
        ),
    ],
)
def test_tampering_is_a_break(engine, tamper, reason):
    with engine.begin() as conn:
        if "CASE" in tamper:  # swap through a free number: the column is unique
            conn.execute(text("UPDATE audit_log SET position = 100 WHERE position = 2"))
            conn.execute(text("UPDATE audit_log SET position = 2 WHERE position = 3"))
            conn.execute(text("UPDATE audit_log SET position = 3 WHERE position = 100"))
        else:
            conn.execute(text(tamper))
    result = verify(engine)
    assert not result.ok and reason in result.reason


def test_a_second_entry_after_the_same_one_cannot_be_stored(engine):
    from sqlalchemy.exc import IntegrityError

    with Session(engine) as s:
        last = s.scalar(text("SELECT hash FROM audit_log WHERE position = 5"))
        s.add(
            AuditEntry(
                position=5, actor="a", action="b", subject="c", details={}, prev_hash=last, hash="0"
            )
        )
        with pytest.raises(IntegrityError):
            s.commit()


def test_forks_from_before_the_chain_head_are_not_called_tampering(tmp_path):
    """A log written by a server that could fork it, then upgraded: verify tolerates the
    old forks (and says so) but not a fork after the upgrade."""
    url = f"sqlite:///{tmp_path / 'legacy.sqlite'}"
    upgrade(url, "0005")
    engine = create_engine(url)
    entries = []
    prev = None
    for n in range(4):
        # entries 2 and 3 both follow entry 1, as two unserialized workers wrote them
        parent = entries[0][0] if n == 2 else prev
        at = f"2026-01-01T00:00:0{n}+00:00"
        digest = audit_log._digest(parent, at, "system", "x", f"s{n}", {})
        entries.append((digest, parent, at, n))
        prev = digest
    with engine.begin() as conn:
        for digest, parent, at, n in entries:
            conn.execute(
                text(
                    "INSERT INTO audit_log (at, actor, action, subject, details, prev_hash, hash)"
                    " VALUES (:at, 'system', 'x', :s, '{}', :p, :h)"
                ),
                {
                    "at": at.replace("T", " ").replace("+00:00", ".000000"),
                    "s": f"s{n}",
                    "p": parent,
                    "h": digest,
                },
            )
    upgrade(url)
    result = verify(engine)
    assert result.ok and result.legacy_forks == 1, result
    with Session(engine) as s:
        audit_log.append(s, "system", "after", "upgrade")
        s.commit()
    assert verify(engine).ok
    engine.dispose()
