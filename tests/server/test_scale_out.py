"""Scale-out settings: rate limits kept in Redis are shared by every worker."""

import os
import uuid

import pytest

from .conftest import make_app, new_phone

REDIS_URL = os.environ.get("CONSENTKIT_TEST_REDIS_URL")


@pytest.mark.skipif(not REDIS_URL, reason="needs CONSENTKIT_TEST_REDIS_URL (.ci/run sets it)")
def test_code_limits_live_in_redis_for_all_workers(tmp_path):
    import redis

    from consentkit.server.extensions import limiter
    from consentkit.server.models import Base

    prefix = f"ck-test-{uuid.uuid4().hex[:8]}"
    app = make_app(
        f"sqlite:///{tmp_path / 'r.sqlite'}",
        tmp_path / "instance",
        RATELIMIT_STORAGE_URI=REDIS_URL,
        RATELIMIT_KEY_PREFIX=prefix,
    )
    Base.metadata.create_all(app.extensions["consentkit.engine"])
    client = app.test_client()
    phone = new_phone()
    statuses = [
        client.post("/api/v1/auth/code", json={"phone": phone}).status_code for _ in range(6)
    ]
    assert statuses == [202] * 5 + [429]
    keys = redis.Redis.from_url(REDIS_URL).keys(f"*{prefix}*")
    assert keys, "the counters are not in Redis"
    # A second worker reads the same counters: it is refused too.
    other = make_app(
        f"sqlite:///{tmp_path / 'r.sqlite'}",
        tmp_path / "instance2",
        RATELIMIT_STORAGE_URI=REDIS_URL,
        RATELIMIT_KEY_PREFIX=prefix,
    )
    assert other.test_client().post("/api/v1/auth/code", json={"phone": phone}).status_code == 429
    redis.Redis.from_url(REDIS_URL).delete(*keys)
    limiter.reset()
