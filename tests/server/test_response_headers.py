"""Every answer is hardened: nosniff, no referrer, never framed, never stored by a cache when
it may hold personal data; a 405 says which methods the path takes."""

import re

import pytest

PUBLIC = re.compile(r"^/api/v1/apps/\{app_id\}/policy")


@pytest.fixture
def auth(api, client):
    tokens = api.register()
    api.consent(tokens["access_token"])
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    client.post("/api/v1/orgs", json={"name": "Headers"}, headers=headers)
    return headers


def _operations(client):
    document = client.get("/api/openapi.json").json
    for template, item in document["paths"].items():
        methods = [m for m in item if m in ("get", "post", "patch", "delete", "put")]
        url = re.sub(r"\{(\w+)\}", lambda m: "fieldnotes" if m[1] == "app_id" else "x1", template)
        yield template, url, methods


def test_every_operation_answers_with_the_hardening_headers(client, auth):
    checked = 0
    for template, url, methods in _operations(client):
        for method in methods:
            r = client.open(url, method=method.upper(), headers=auth, json={})
            where = f"{method.upper()} {template} -> {r.status_code}"
            assert r.headers["X-Content-Type-Options"] == "nosniff", where
            assert r.headers["Referrer-Policy"] == "no-referrer", where
            assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"], where
            if not PUBLIC.match(template) or r.status_code >= 400:
                assert r.headers["Cache-Control"] == "no-store", where
            checked += 1
    assert checked > 60, checked


def test_personal_answers_are_never_stored_and_public_policies_may_be(client, auth):
    r = client.get("/api/v1/me/data?app_id=fieldnotes", headers=auth)
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"
    policy = client.get("/api/v1/apps/fieldnotes/policy")
    assert policy.status_code == 200 and "no-store" not in policy.headers.get("Cache-Control", "")


def test_the_html_docs_page_may_not_be_framed(client):
    r = client.get("/api/docs")
    assert r.status_code == 200 and r.mimetype == "text/html"
    policy = r.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy and "default-src 'self'" in policy
    assert r.headers["X-Frame-Options"] == "DENY"


def test_a_405_names_the_methods_the_path_takes(client, auth):
    checked = 0
    for template, url, methods in _operations(client):
        if "put" in methods:
            continue
        r = client.put(url, headers=auth, json={})
        if r.status_code == 404:  # a segment that is no route (the docs list it anyway)
            continue
        assert r.status_code == 405, (template, r.status_code)
        assert r.mimetype == "application/problem+json"
        allowed = {m.strip().lower() for m in r.headers["Allow"].split(",")}
        assert set(methods) <= allowed, (template, r.headers["Allow"])
        checked += 1
    assert checked > 30, checked
