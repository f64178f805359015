from sqlalchemy import select

from consentkit.server import db
from consentkit.server.models import OtpCode, User

from .conftest import new_phone


def test_register_returns_tokens_and_e164_user(api, client):
    phone = new_phone()
    local = phone.removeprefix("+86")
    r = client.post(
        "/api/v1/auth/register",
        json={"phone": local, "code": api.code(phone), "password": "correct horse 1"},
    )
    assert r.status_code == 201, r.json
    assert r.json["user"]["phone"] == phone
    assert r.json["access_token"] and r.json["refresh_token"]


def test_password_and_code_are_stored_hashed(api, app):
    phone = new_phone()
    code = api.code(phone)
    with app.app_context():
        row = db.session().scalar(select(OtpCode).where(OtpCode.phone == phone))
        assert code not in row.code_hash
    api.client.post(
        "/api/v1/auth/register", json={"phone": phone, "code": code, "password": "correct horse 1"}
    )
    with app.app_context():
        user = db.session().scalar(select(User).where(User.phone == phone))
        assert user.password_hash.startswith("$argon2id$")


def test_code_is_single_use(api, client):
    phone = new_phone()
    code = api.code(phone)
    body = {"phone": phone, "code": code, "password": "correct horse 1"}
    assert client.post("/api/v1/auth/register", json=body).status_code == 201
    r = client.post("/api/v1/auth/login", json={"phone": phone, "code": code})
    assert r.status_code == 401
    assert r.json["code"] == "invalid_code"


def test_expired_code_is_refused(app_factory):
    app = app_factory(OTP_TTL_SECONDS=0)
    from .conftest import Api

    api = Api(app.test_client())
    phone = new_phone()
    r = api.client.post(
        "/api/v1/auth/register",
        json={"phone": phone, "code": api.code(phone), "password": "correct horse 1"},
    )
    assert r.status_code == 401 and r.json["code"] == "invalid_code"


def test_too_many_wrong_codes_kill_the_code(api, client):
    phone = new_phone()
    code = api.code(phone)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        r = client.post(
            "/api/v1/auth/register",
            json={"phone": phone, "code": wrong, "password": "correct horse 1"},
        )
        assert r.json["code"] == "invalid_code"
    r = client.post(
        "/api/v1/auth/register", json={"phone": phone, "code": code, "password": "correct horse 1"}
    )
    assert r.status_code == 401


def test_phone_taken(api, client):
    user = api.register()
    phone = user["user"]["phone"]
    r = client.post(
        "/api/v1/auth/register",
        json={"phone": phone, "code": api.code(phone), "password": "correct horse 1"},
    )
    assert r.status_code == 409 and r.json["code"] == "phone_taken"


def test_login_with_password_and_wrong_password(api, client):
    phone = api.register()["user"]["phone"]
    ok = client.post("/api/v1/auth/login", json={"phone": phone, "password": "correct horse 1"})
    assert ok.status_code == 200 and ok.json["access_token"]
    bad = client.post("/api/v1/auth/login", json={"phone": phone, "password": "wrong horse 1"})
    assert bad.status_code == 401 and bad.json["code"] == "invalid_credentials"


def test_login_needs_exactly_one_secret(api, client):
    r = client.post("/api/v1/auth/login", json={"phone": new_phone()})
    assert r.status_code == 422 and "password" in r.json["errors"]


def test_invalid_phone_is_a_field_error(client):
    r = client.post("/api/v1/auth/code", json={"phone": "12345"})
    assert r.status_code == 422
    assert r.json["code"] == "validation_error" and "phone" in r.json["errors"]


def test_refresh_rotates_and_replay_revokes_the_family(api, client):
    tokens = api.register()
    first_refresh = tokens["refresh_token"]
    r = client.post("/api/v1/auth/refresh", headers={"Authorization": f"Bearer {first_refresh}"})
    assert r.status_code == 200
    new = r.json
    assert new["refresh_token"] != first_refresh
    me = {"Authorization": f"Bearer {new['access_token']}"}
    assert client.get("/api/v1/consents?app_id=fieldnotes", headers=me).status_code == 200
    replay = client.post(
        "/api/v1/auth/refresh", headers={"Authorization": f"Bearer {first_refresh}"}
    )
    assert replay.status_code == 401 and replay.json["code"] == "refresh_token_reused"
    # the whole family is dead: the newest refresh token and its access token too
    r = client.post(
        "/api/v1/auth/refresh", headers={"Authorization": f"Bearer {new['refresh_token']}"}
    )
    assert r.status_code == 401
    r = client.get("/api/v1/consents?app_id=fieldnotes", headers=me)
    assert r.status_code == 401 and r.json["code"] == "token_revoked"


def test_logout_ends_the_session_at_once(api, client):
    tokens = api.register()
    auth = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert client.post("/api/v1/auth/logout", headers=auth).status_code == 204
    r = client.get("/api/v1/consents?app_id=fieldnotes", headers=auth)
    assert r.status_code == 401 and r.json["code"] == "token_revoked"


def test_forged_and_missing_tokens(client):
    r = client.get(
        "/api/v1/consents?app_id=fieldnotes&install_id=abcdefgh",
        headers={"Authorization": "Bearer not.a.jwt"},
    )
    assert r.status_code == 401 and r.json["code"] == "token_invalid"
    r = client.post(
        "/api/v1/collect",
        json={"app_id": "fieldnotes", "events": []},
        headers={"Idempotency-Key": "k"},
    )
    assert r.status_code in (401, 422)
    r = client.post("/api/v1/auth/logout")
    assert r.status_code == 401 and r.json["code"] == "auth_required"


def test_token_signed_with_another_key_is_invalid(api, client):
    import jwt as pyjwt

    forged = pyjwt.encode(
        {"sub": "x", "type": "access", "fam": "y", "jti": "z"}, "other-key-" * 4, algorithm="HS256"
    )
    r = client.post("/api/v1/auth/logout", headers={"Authorization": f"Bearer {forged}"})
    assert r.status_code == 401 and r.json["code"] == "token_invalid"


def test_expired_access_token(app_factory):
    app = app_factory(JWT_ACCESS_TOKEN_EXPIRES=-10)
    from .conftest import Api

    api = Api(app.test_client())
    tokens = api.register()
    r = api.client.post(
        "/api/v1/auth/logout", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert r.status_code == 401 and r.json["code"] == "token_expired"


def test_codes_are_rate_limited_per_phone(api, client):
    phone = new_phone()
    statuses = [
        client.post("/api/v1/auth/code", json={"phone": phone}).status_code for _ in range(6)
    ]
    assert statuses[:5] == [202] * 5
    assert statuses[5] == 429
    r = client.post("/api/v1/auth/code", json={"phone": phone})
    assert r.json["code"] == "rate_limited"
    assert r.mimetype == "application/problem+json"
    assert client.post("/api/v1/auth/code", json={"phone": new_phone()}).status_code == 202


def test_outbox_is_404_outside_development(app_factory):
    app = app_factory(ENV="production")
    r = app.test_client().get("/api/v1/dev/outbox?phone=%2B8613800000001")
    assert r.status_code == 404 and r.json["code"] == "not_found"
    # and production refuses to pretend it sent a code
    r = app.test_client().post("/api/v1/auth/code", json={"phone": "+8613800000001"})
    assert r.status_code == 503 and r.json["code"] == "sender_unavailable"
