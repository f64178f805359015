"""Network domains in a manifest: whose a host is, and what it may receive.

A domain in the manifest covers itself and every subdomain (``example.com`` covers
``api.example.com``), the way Apple's ``NSPrivacyTrackingDomains`` entries are read. The
app's own domains (``app.domains``) may receive every category the policy declares; a
third party's (``third_parties[].domains`` and ``tracking_domains``) only the categories
it is declared to receive.
"""

from __future__ import annotations

from dataclasses import dataclass

from .manifest import Manifest, ThirdParty

__all__ = ["DOMAIN_PATTERN", "Owner", "covers", "normalize", "owner_of"]

# A hostname: dot-separated labels of letters, digits and inner hyphens (IDN in punycode).
DOMAIN_PATTERN = (
    r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"
)


def normalize(host: str) -> str:
    """A host as the manifest writes it: lower case, no trailing dot, no port."""
    host = host.strip().lower().rstrip(".")
    if host.startswith("[") or host.count(":") > 1:
        return host  # an IPv6 literal
    return host.split(":", 1)[0]


def covers(domain: str, host: str) -> bool:
    """Does the manifest's ``domain`` cover ``host`` (itself or a subdomain)?"""
    return _covers(normalize(domain), normalize(host))


def _covers(domain: str, host: str) -> bool:
    return host == domain or host.endswith("." + domain)


@dataclass(frozen=True)
class Owner:
    """Whose a host is: the app's (``party`` None) or a third party's."""

    domain: str  # the manifest's entry that covers the host
    party: ThirdParty | None = None
    tracking: bool = False

    @property
    def name(self) -> str:
        return self.party.name if self.party else "the app"

    def receives(self, manifest: Manifest, category: str) -> bool:
        """May this owner receive ``category``?"""
        if self.party is None:
            return category in manifest.data_categories
        return category in self.party.categories


def owner_of(manifest: Manifest, host: str) -> Owner | None:
    """The manifest's owner of ``host``, the most specific entry first; None when the
    policy names nobody there. (The manifest's domains are normalized when it loads.)"""
    host = normalize(host)
    best: Owner | None = None
    for domain in manifest.app.domains:
        if _covers(domain, host) and (best is None or len(domain) > len(best.domain)):
            best = Owner(domain)
    for party in manifest.third_parties:
        for domain in party.all_domains:
            if _covers(domain, host) and (best is None or len(domain) > len(best.domain)):
                best = Owner(domain, party, domain in party.tracking_domains)
    return best
