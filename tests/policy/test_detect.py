"""The shared detector of personal data in requests (``policy.detect``): what the virtual
phone's network and the HAR importer both rely on."""

import json

from consentkit.policy.detect import detect_request


def _categories(method, url, body=b"", content_type="application/json"):
    return detect_request(method, url, content_type, body).categories


def test_coordinates_in_a_query_string_are_a_location():
    assert _categories("GET", "https://a.example/p?lat=31.230416&lng=121.473701") == {
        "user.location.precise"
    }
    assert _categories("GET", "https://a.example/p?lat=31.23&lng=121.47") == {
        "user.location.coarse"
    }


def test_a_body_nested_deeper_than_any_payload_is_read_without_crashing():
    """A hostile body (100,000 brackets, or a value 900 levels down) must not take the phone
    or the importer down with a RecursionError."""
    assert _categories("POST", "https://a.example/x", b"[" * 100_000 + b"]" * 100_000) == set()
    for levels in (65, 900, 5000):  # beyond what is walked: its values are still read
        deep = "[" * levels + json.dumps({"phone": "13812345678"}) + "]" * levels
        found = _categories("POST", "https://a.example/x", deep.encode())
        assert found == {"user.contact.phone_number"}, levels
    shallow = "[" * 40 + json.dumps({"phone": "13812345678"}) + "]" * 40
    assert _categories("POST", "https://a.example/x", shallow.encode()) == {
        "user.contact.phone_number"
    }
