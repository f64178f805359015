"""Configuration from the environment, with secrets generated once per instance.

Settings come from ``CONSENTKIT_*`` variables; the signing and hashing keys are made on
first run and kept in the instance folder (never in the repository), so restarts keep
tokens and identifier hashes valid.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

ENV_PREFIX = "CONSENTKIT_"
SECRET_NAMES = ("SECRET_KEY", "JWT_SECRET_KEY", "IDENTIFIER_HASH_KEY", "QR_SIGNING_KEY")


def defaults(instance_path: str) -> dict[str, Any]:
    """Settings for the embedded default: SQLite in the instance folder, jobs in-process."""
    return {
        "ENV": "production",
        "DATABASE_URL": f"sqlite:///{Path(instance_path) / 'consentkit.sqlite'}",
        "MANIFESTS_DIR": None,
        "MAX_CONTENT_LENGTH": 1024 * 1024,
        "JWT_ACCESS_TOKEN_EXPIRES": 15 * 60,
        "JWT_REFRESH_TOKEN_EXPIRES": 30 * 24 * 3600,
        "OTP_TTL_SECONDS": 300,
        "OTP_MAX_ATTEMPTS": 5,
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": "memory://",
        "OTP_LIMIT_PER_PHONE": "5 per 10 minutes",
        "OTP_LIMIT_PER_CLIENT": "60 per hour",
        # Passwords and codes: after the free attempts, each wait doubles up to the cap.
        # A client address may be a carrier's NAT with many people behind it: it gets more
        # attempts, and waits at most a minute.
        "LOGIN_FREE_ATTEMPTS_PER_PHONE": 5,
        "LOGIN_FREE_ATTEMPTS_PER_CLIENT": 100,
        "LOGIN_BACKOFF_BASE_SECONDS": 1,
        "LOGIN_BACKOFF_MAX_SECONDS": 900,
        "LOGIN_CLIENT_BACKOFF_MAX_SECONDS": 60,
        "LOGIN_ATTEMPT_WINDOW_SECONDS": 3600,
        "LOGIN_LIMIT_PER_CLIENT": "60 per minute; 1000 per hour",
        # Endpoints that cost CPU, memory or SMS: per account (or per client before login).
        # As many as the codes a client may ask for: many phones share one address behind
        # a mobile carrier's NAT, and the per-phone limits carry the real protection.
        "REGISTER_LIMIT_PER_CLIENT": "60 per hour",
        "MEDIA_LIMIT_PER_USER": "20 per minute; 300 per day",
        "EXPORT_LIMIT_PER_USER": "5 per hour",
        "HEAVY_LIMIT_PER_USER": "60 per minute",
        "COLLECT_LIMIT_PER_USER": "120 per minute",
        "ARGON2_TIME_COST": 2,
        "ARGON2_MEMORY_COST": 19 * 1024,
        "COLLECT_MAX_EVENTS": 500,
        "CLOCK_SKEW_SECONDS": 300,
        "MEDIA_ROOT": None,
        "MEDIA_MAX_BYTES": 8 * 1024 * 1024,
        # 4096 x 4096: a 12-megapixel phone photo fits; decoding one takes ~70 MB.
        "MEDIA_MAX_PIXELS": 4096 * 4096,
        # Pixels one process decodes at once (0: one largest image); the rest wait.
        "MEDIA_DECODE_BUDGET_PIXELS": 0,
        "MEDIA_DECODE_WAIT_SECONDS": 30,
        "EXPORTS_ROOT": None,
        "JOBS_INLINE": True,
        "IMPORT_MAX_CONTACTS": 50,
        "INVITATION_TTL_DAYS": 14,
        # Codes and notices: see services/senders.py and docs/deployment.md.
        "SENDER": "",
        "SENDER_TIMEOUT_SECONDS": 5,
        "SENDER_ATTEMPTS": 3,
        "SMS_GATEWAY_URL": "",
        "SMS_GATEWAY_AUTH_HEADER": "",
        "SMS_GATEWAY_BODY": '{"to": "$phone", "text": "$text"}',
        "SMS_GATEWAY_CONTENT_TYPE": "application/json",
        "SMTP_HOST": "",
        "SMTP_PORT": 587,
        "SMTP_SECURITY": "starttls",
        "SMTP_USERNAME": "",
        "SMTP_PASSWORD": "",
        "SMTP_FROM": "",
        "SMTP_TO": "",
        "TRUSTED_PROXIES": 0,
    }


def from_environment() -> dict[str, Any]:
    """``CONSENTKIT_X=value`` becomes ``X``, typed like its default."""
    out: dict[str, Any] = {}
    for key, value in os.environ.items():
        if key.startswith(ENV_PREFIX) and not key.startswith(ENV_PREFIX + "TEST_"):
            out[key[len(ENV_PREFIX) :]] = value
    return out


def coerce(config: dict[str, Any], reference: dict[str, Any]) -> None:
    """Environment strings take the type of the default they replace."""
    for key, default in reference.items():
        value = config.get(key)
        if not isinstance(value, str) or default is None or isinstance(default, str):
            continue
        if isinstance(default, bool):
            config[key] = value.strip().lower() in {"1", "true", "yes", "on"}
        elif isinstance(default, int):
            config[key] = int(value)


def load_or_create_secrets(instance_path: str) -> dict[str, str]:
    """Keys kept in ``instance/secrets.env``, created with mode 0600 on first run.

    Several workers may start at once on a fresh instance folder: the file is created
    exclusively, so exactly one of them writes it and every worker reads the same keys
    (two workers with different signing keys would reject each other's tokens)."""
    path = Path(instance_path) / "secrets.env"
    found = _read_secrets(path)
    missing = [n for n in SECRET_NAMES if n not in found]
    if not missing:
        return found
    Path(instance_path).mkdir(parents=True, exist_ok=True)
    fresh = {**{n: secrets.token_urlsafe(48) for n in missing}, **found}
    partial = path.with_name(f".secrets.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        # (other settings an operator keeps in the file stay in it)
        fh.writelines(
            f"{n}={fresh[n]}\n" for n in [*SECRET_NAMES, *sorted(set(found) - set(SECRET_NAMES))]
        )
    if found:  # completing an older file: replace it whole
        os.replace(partial, path)
        return fresh
    try:
        os.link(partial, path)  # fails if another worker got there first
    except FileExistsError:
        return _read_secrets(path)
    finally:
        partial.unlink()
    return fresh


def _read_secrets(path: Path) -> dict[str, str]:
    found: dict[str, str] = {}
    if path.exists():
        for line in path.read_text("utf-8").splitlines():
            name, _, value = line.partition("=")
            if name and value:
                found[name.strip()] = value.strip()
    return found
