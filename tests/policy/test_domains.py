"""Network domains in a manifest: whose a host is, and what the validator refuses."""

import pytest

from consentkit.policy import ManifestInvalid, parse_manifest
from consentkit.policy.domains import covers, owner_of
from tests.conftest import FIELDNOTES

BASE = FIELDNOTES.read_text("utf-8")


def _with(app_domains: str, party: str = "") -> str:
    text = BASE.replace(
        "  jurisdictions: [CN]\n", f"  jurisdictions: [CN]\n  domains: {app_domains}\n", 1
    )
    return text.replace(
        "    policy_url: https://ads.example.com/privacy\n",
        f"    policy_url: https://ads.example.com/privacy\n{party}",
        1,
    )


def test_a_domain_covers_itself_and_its_subdomains_only():
    assert covers("example.com", "example.com")
    assert covers("example.com", "API.Example.com.")
    assert covers("example.com", "a.b.example.com:443")
    assert not covers("example.com", "notexample.com")
    assert not covers("api.example.com", "example.com")


def test_the_most_specific_entry_names_the_owner():
    m = parse_manifest(
        _with(
            "[example.com]",
            "    domains: [ads.example.com]\n    tracking_domains: [t.ads.example.com]\n",
        )
    )
    assert owner_of(m, "www.example.com").party is None
    assert owner_of(m, "x.ads.example.com").name == "Example Ads Measurement Ltd."
    tracking = owner_of(m, "t.ads.example.com")
    assert tracking.tracking and tracking.receives(m, "user.device.device_id.android_id")
    assert not tracking.receives(m, "user.contact.phone_number")
    assert owner_of(m, "example.org") is None


@pytest.mark.parametrize(
    "domains,says",
    [
        ("[https://example.com/]", "must be a host name"),
        ("[example.com:8443]", "must be a host name"),
        ("[exa mple.com]", "must be a host name"),
    ],
)
def test_a_domain_that_is_not_a_host_name_is_refused(domains, says):
    with pytest.raises(ManifestInvalid) as caught:
        parse_manifest(_with(domains))
    assert says in str(caught.value) and "app.domains" in str(caught.value).replace(
        "app > domains", "app.domains"
    )


def test_a_domain_has_one_owner():
    with pytest.raises(ManifestInvalid) as caught:
        parse_manifest(_with("[ads.example.com]", "    domains: [ads.example.com]\n"))
    assert "already the app's domain" in str(caught.value)
