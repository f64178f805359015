"""Rate limits that hold: per phone whatever its spelling, per client, with growing back-off
for guesses, on the expensive endpoints, hashed in the store, and shared by every worker
— or the server refuses to run several workers without a shared store."""

import io
import os
import threading
import time
import uuid
from collections import Counter

import httpx
import pytest
from PIL import Image

from consentkit.server.services.backoff import Rule

from .conftest import Api, make_app, new_phone, upload_photo
from .live import live_server

REDIS_URL = os.environ.get("CONSENTKIT_TEST_REDIS_URL")
needs_redis = pytest.mark.skipif(
    not REDIS_URL, reason="needs CONSENTKIT_TEST_REDIS_URL (.ci/run sets it)"
)


def spellings(e164: str) -> list[str]:
    """Ways people write one Chinese mobile number."""
    national = e164.removeprefix("+86")
    a, b, c = national[:3], national[3:7], national[7:]
    return [
        f"+86 {a} {b} {c}",
        f"0086{national}",
        national,
        f"+86-{a}-{b}-{c}",
        f"(+86) {a} {b} {c}",
        f"0086 {a} {b} {c}",
        e164,
    ]


def test_codes_per_phone_count_every_spelling_of_the_number(client):
    """55 codes reached one phone through spellings when the key was the raw string."""
    statuses = [
        client.post("/api/v1/auth/code", json={"phone": spelled}).status_code
        for spelled in spellings(new_phone())
    ]
    assert statuses == [202] * 5 + [429] * 2


@pytest.fixture
def slow(app_factory) -> Api:
    """A first wait of a minute: no turn comes round while a test sends its guesses, however
    slowly the machine runs them."""
    return Api(app_factory(LOGIN_BACKOFF_BASE_SECONDS=60).test_client())


def test_wrong_passwords_back_off_per_phone_with_retry_after(slow):
    """40 wrong passwords, 0 × 429 when the issue measured it."""
    api, client = slow, slow.client
    phone = api.register()["user"]["phone"]
    answers = [
        client.post("/api/v1/auth/login", json={"phone": phone, "password": f"wrong {i:05d}"})
        for i in range(40)
    ]
    statuses = [r.status_code for r in answers]
    assert statuses[:6] == [401] * 6  # five free, the sixth takes the first wait's turn
    assert Counter(statuses[6:]) == {429: 34}
    refused = answers[6]
    assert refused.json["code"] == "rate_limited" and refused.mimetype == "application/problem+json"
    assert 55 <= int(refused.headers["Retry-After"]) <= 60
    # even the right password waits its turn: the guesses cannot be told from the owner
    r = client.post("/api/v1/auth/login", json={"phone": phone, "password": "correct horse 1"})
    assert r.status_code == 429


def test_the_wait_doubles_and_a_success_starts_over(api, client):
    phone = api.register()["user"]["phone"]

    def login(password: str):
        return client.post("/api/v1/auth/login", json={"phone": phone, "password": password})

    assert [login("wrong horse 0").status_code for _ in range(6)] == [401] * 6
    first = login("wrong horse 0")
    assert first.status_code == 429 and first.headers["Retry-After"] == "1"
    time.sleep(1.1)
    assert login("wrong horse 0").status_code == 401  # its turn came: checked, wrong
    second = login("wrong horse 0")
    assert second.status_code == 429 and second.headers["Retry-After"] == "2"
    time.sleep(2.1)
    assert login("correct horse 1").status_code == 200
    assert [login("wrong horse 0").status_code for _ in range(5)] == [401] * 5


def test_the_wait_grows_to_its_cap():
    rule = Rule(free=5, base=1, cap=900)
    assert [rule.wait(n) for n in range(6, 17)] == [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900]


def test_one_client_guessing_many_phones_backs_off_too(app_factory):
    app = app_factory(LOGIN_BACKOFF_BASE_SECONDS=60, LOGIN_FREE_ATTEMPTS_PER_CLIENT=10)
    client = app.test_client()
    statuses = [
        client.post(
            "/api/v1/auth/login", json={"phone": new_phone(), "password": "wrong horse 1"}
        ).status_code
        for _ in range(15)
    ]
    assert statuses[:11] == [401] * 11  # ten free for this client, then one a turn
    assert set(statuses[11:]) == {429}


def test_guesses_sent_at_once_get_one_turn_each(slow):
    phone = slow.register()["user"]["phone"]
    statuses: list[int] = []
    start = threading.Barrier(12)

    def guess() -> None:
        client = slow.client.application.test_client()
        start.wait()
        r = client.post("/api/v1/auth/login", json={"phone": phone, "password": "wrong horse 1"})
        statuses.append(r.status_code)

    threads = [threading.Thread(target=guess) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert Counter(statuses) == {401: 6, 429: 6}


def test_a_stolen_token_cannot_guess_the_password_to_cancel(slow):
    client = slow.client
    tokens = slow.register()
    auth = {"Authorization": f"Bearer {tokens['access_token']}"}
    statuses = [
        client.post(
            "/api/v1/me/cancellation",
            json={"app_id": "fieldnotes", "password": f"guess {i:05d}"},
            headers=auth,
        ).status_code
        for i in range(10)
    ]
    assert statuses[:6] == [401] * 6 and set(statuses[6:]) == {429}


def _tiny_jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 10, 10)).save(out, "JPEG")
    return out.getvalue()


def test_uploads_are_limited_per_account(api, client):
    tokens = api.register()
    api.consent(
        tokens["access_token"], purposes={"account": True, "security": True, "product_photos": True}
    )
    auth = {"Authorization": f"Bearer {tokens['access_token']}"}
    statuses = [upload_photo(client, auth, _tiny_jpeg()).status_code for _ in range(21)]
    assert statuses == [201] * 20 + [429]


def test_exports_are_limited_per_account(api, client):
    auth = {"Authorization": f"Bearer {api.register()['access_token']}"}
    statuses = [
        client.post("/api/v1/me/exports", json={"app_id": "fieldnotes"}, headers=auth).status_code
        for _ in range(6)
    ]
    assert statuses == [202] * 5 + [429]


def test_a_multiprocess_server_with_limits_in_memory_refuses_requests(app_factory):
    """Any WSGI server running several processes says so (``wsgi.multiprocess``)."""
    app = app_factory()
    r = app.test_client().get(
        "/api/v1/apps/fieldnotes/policy", environ_overrides={"wsgi.multiprocess": True}
    )
    assert r.status_code == 503 and r.json["code"] == "server_misconfigured"
    alone = app.test_client().get("/api/v1/apps/fieldnotes/policy")
    assert alone.status_code == 200


def test_gunicorn_refuses_several_workers_counting_in_memory(tmp_path):
    """With two workers each counted on its own: 10 codes before a 429. The README's plain
    command: each worker refuses to boot, saying why, and gunicorn stops."""
    with (
        pytest.raises(AssertionError) as refused,
        live_server(
            "sqlite",
            tmp_path,
            workers=2,
            settings={"CONSENTKIT_RATELIMIT_ENABLED": "true"},
            cli_setup=False,
        ),
    ):
        pass
    assert "needs a shared rate-limit store" in str(refused.value)
    assert "CONSENTKIT_RATELIMIT_STORAGE_URI" in str(refused.value)


def test_the_shipped_gunicorn_config_refuses_before_forking(monkeypatch):
    from consentkit.server import gunicorn_conf

    class Server:
        class cfg:
            workers = 3

        class log:
            error = staticmethod(lambda message: None)

    monkeypatch.delenv("CONSENTKIT_RATELIMIT_STORAGE_URI", raising=False)
    monkeypatch.delenv("CONSENTKIT_RATELIMIT_ENABLED", raising=False)
    with pytest.raises(SystemExit) as refused:
        gunicorn_conf.on_starting(Server)
    assert "--workers 3 needs a shared rate-limit store" in str(refused.value)
    monkeypatch.setenv("CONSENTKIT_RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/0")
    gunicorn_conf.on_starting(Server)  # shared: starts


@needs_redis
def test_two_workers_share_the_limits_in_redis(tmp_path):
    prefix = f"ck-workers-{uuid.uuid4().hex[:8]}"
    settings = {
        "CONSENTKIT_RATELIMIT_ENABLED": "true",
        "CONSENTKIT_RATELIMIT_STORAGE_URI": REDIS_URL,
        "CONSENTKIT_RATELIMIT_KEY_PREFIX": prefix,
    }
    with live_server(
        "sqlite", tmp_path, workers=2, threads=1, settings=settings, cli_setup=False
    ) as live:
        phone = new_phone()
        statuses = []
        for _ in range(8):  # fresh connections: the requests spread over both workers
            statuses.append(httpx.post(f"{live.base}/auth/code", json={"phone": phone}).status_code)
        assert statuses == [202] * 5 + [429] * 3
    _drop_keys(prefix)


@needs_redis
def test_the_store_holds_no_phone_number(tmp_path):
    import redis

    prefix = f"ck-hashed-{uuid.uuid4().hex[:8]}"
    app = make_app(
        f"sqlite:///{tmp_path / 'r.sqlite'}",
        tmp_path / "instance",
        RATELIMIT_STORAGE_URI=REDIS_URL,
        RATELIMIT_KEY_PREFIX=prefix,
    )
    from consentkit.server.models import Base

    Base.metadata.create_all(app.extensions["consentkit.engine"])
    api = Api(app.test_client())
    phone = api.register()["user"]["phone"]
    for spelled in spellings(phone)[:3]:
        api.client.post("/api/v1/auth/code", json={"phone": spelled})
        api.client.post("/api/v1/auth/login", json={"phone": spelled, "password": "wrong one"})
    keys = [k.decode() for k in redis.Redis.from_url(REDIS_URL).keys(f"*{prefix}*")]
    assert any("/backoff/login.phone:" in k for k in keys), keys
    assert any("phone:" in k and "auth.send_code" in k for k in keys), keys
    national = phone.removeprefix("+86")
    assert not [k for k in keys if national[-8:] in k.replace(" ", "").replace("-", "")], keys
    _drop_keys(prefix)


def _drop_keys(prefix: str) -> None:
    import redis

    from consentkit.server.extensions import limiter

    store = redis.Redis.from_url(REDIS_URL)
    keys = store.keys(f"*{prefix}*")
    if keys:
        store.delete(*keys)
    limiter.reset()
