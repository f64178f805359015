"""Growing back-off for guesses at a secret (a password), per phone and per client.

Each key (a hashed phone, a client address, an account) allows ``free`` attempts in its
window; after that every further attempt waits twice as long as the one before (``base``,
``2 × base``, … up to ``cap``), and an attempt that comes too early is answered 429 with
``Retry-After`` — without being checked, and without counting. A success clears the
phone's count.

Attempts are counted *before* the secret is compared, in the rate-limit store (memory, or
Redis shared by every worker), and the wait is a gate taken with one atomic increment: of
many attempts sent at once, only the one that takes the gate is checked.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

from flask import current_app

from ..extensions import limiter
from ..problems import Problem


@dataclass(frozen=True)
class Rule:
    """How many attempts a key gets for free, and how the wait grows after them."""

    free: int
    base: float = 1.0
    cap: float = 900.0
    window: int = 3600

    def wait(self, attempt: int) -> int:
        """Seconds to wait after ``attempt`` (counted from 1), once past the free ones."""
        return math.ceil(min(self.cap, self.base * 2 ** (attempt - self.free - 1)))


@dataclass(frozen=True)
class Guarded:
    """One key and its rule, e.g. ``Guarded("login.phone:<hash>", Rule(free=5))``."""

    key: str
    rule: Rule
    clear_on_success: bool = True


def rule(free_setting: str, cap_setting: str = "LOGIN_BACKOFF_MAX_SECONDS") -> Rule:
    """The configured back-off (``LOGIN_BACKOFF_*``) after ``config[free_setting]`` free
    attempts, waiting at most ``config[cap_setting]``."""
    cfg = current_app.config
    return Rule(
        free=cfg[free_setting],
        base=cfg["LOGIN_BACKOFF_BASE_SECONDS"],
        cap=cfg[cap_setting],
        window=cfg["LOGIN_ATTEMPT_WINDOW_SECONDS"],
    )


def _enabled() -> bool:
    return bool(current_app.config.get("RATELIMIT_ENABLED", True))


def _name(key: str, part: str) -> str:
    prefix = current_app.config.get("RATELIMIT_KEY_PREFIX") or ""
    return f"{prefix}/backoff/{key}/{part}"


def attempt(guards: Sequence[Guarded]) -> None:
    """Count one attempt on every key, or refuse it with a 429 if any key must wait."""
    if not _enabled():
        return
    store = limiter.storage
    counted: list[Guarded] = []
    for guard in guards:
        n = store.incr(_name(guard.key, "n"), guard.rule.window)
        counted.append(guard)
        if n <= guard.rule.free:
            continue
        gate = _name(guard.key, "gate")
        if store.incr(gate, guard.rule.wait(n)) == 1:
            continue  # this attempt takes the gate: the next one waits
        for done in counted:  # a refused attempt is not checked, so it does not count
            store.incr(_name(done.key, "n"), done.rule.window, amount=-1)
        retry = max(1, math.ceil(store.get_expiry(gate) - time.time()))
        raise Problem(
            429,
            "rate_limited",
            f"Too many attempts; try again in {retry} seconds.",
            headers={"Retry-After": str(retry)},
        )


def succeeded(guards: Sequence[Guarded]) -> None:
    """The secret was right: keys that clear on success start over; the others get this
    attempt back (a client that signs in many people is not slowed by its successes)."""
    if not _enabled():
        return
    store = limiter.storage
    for guard in guards:
        if guard.clear_on_success:
            store.clear(_name(guard.key, "n"))
            store.clear(_name(guard.key, "gate"))
        else:
            store.incr(_name(guard.key, "n"), guard.rule.window, amount=-1)
