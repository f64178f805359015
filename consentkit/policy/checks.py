"""Coherence checks of a manifest: does every part fit the taxonomy and the rest?

Each check is a small generator of ``(path, reason)``; ``CHECKS`` lists them, and
``check_manifest`` runs them all so that one run reports every problem at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from .apple_vocab import apple_vocab
from .durations import DURATION_WORDS
from .located import suggest
from .manifest import Manifest
from .paths import resolve
from .taxonomy import taxonomy

Found = Iterator[tuple[tuple[str | int, ...], str]]

__all__ = ["CHECKS", "check_manifest"]


def _unknown_category(key: str) -> str | None:
    cat = taxonomy().categories.get(key)
    if cat is None:
        return f"unknown category {key!r}{suggest(key, taxonomy().categories)}"
    if not cat.collectable:
        return f"{key!r} only groups categories; name one of its leaves"
    return None


def categories_known(m: Manifest) -> Found:
    for key in m.data_categories:
        if reason := _unknown_category(key):
            yield ("data_categories", key), reason
    for i, key in enumerate(m.never_collected):
        if key not in taxonomy().categories:
            yield (
                ("never_collected", i),
                f"unknown category {key!r}" + suggest(key, taxonomy().categories),
            )
    for fid, feat in m.features.items():
        for i, key in enumerate(feat.collects):
            if reason := _unknown_category(key):
                yield ("features", fid, "collects", i), reason
    for t, party in enumerate(m.third_parties):
        for i, key in enumerate(party.categories):
            if key not in m.data_categories:
                yield (
                    ("third_parties", t, "categories", i),
                    f"{key!r} is not a declared data category{suggest(key, m.data_categories)}",
                )
    for h, hold in enumerate(m.rights.holds):
        for i, key in enumerate(hold.categories):
            if key not in m.data_categories:
                yield (
                    ("rights", "holds", h, "categories", i),
                    f"{key!r} is not a declared data category{suggest(key, m.data_categories)}",
                )


def permissions_known(m: Manifest) -> Found:
    known = taxonomy().permissions
    for key in m.permissions:
        if key not in known:
            yield ("permissions", key), f"unknown permission {key!r}{suggest(key, known)}"
    for fid, feat in m.features.items():
        for i, key in enumerate(feat.permissions):
            if key not in known:
                yield (
                    ("features", fid, "permissions", i),
                    f"unknown permission {key!r}{suggest(key, known)}",
                )
            elif key not in m.permissions:
                yield (
                    ("features", fid, "permissions", i),
                    f"{key!r} has no entry under permissions: (its rationale is missing)",
                )
    for key in m.prompts.reads_per_minute:
        if key not in known:
            yield (
                ("prompts", "reads_per_minute", key),
                f"unknown permission {key!r}{suggest(key, known)}",
            )


def rationale_present(m: Manifest) -> Found:
    for key, use in m.permissions.items():
        if len(use.rationale.strip()) < 10:
            yield (
                ("permissions", key, "rationale"),
                "a permission needs a rationale the user can read",
            )


def purposes_known_and_used(m: Manifest) -> Found:
    kinds = taxonomy().purpose_kinds
    used: set[str] = set()
    for pid, purpose in m.purposes.items():
        if purpose.kind not in kinds:
            yield (
                ("purposes", pid, "kind"),
                f"unknown purpose kind {purpose.kind!r}{suggest(purpose.kind, kinds)}",
            )
    refs: list[tuple[tuple[str | int, ...], str]] = []
    for key, cat in m.data_categories.items():
        refs += [(("data_categories", key, "purposes", i), p) for i, p in enumerate(cat.purposes)]
    for fid, feat in m.features.items():
        refs += [(("features", fid, "purposes", i), p) for i, p in enumerate(feat.purposes)]
    for t, party in enumerate(m.third_parties):
        refs += [(("third_parties", t, "purposes", i), p) for i, p in enumerate(party.purposes)]
    for path, pid in refs:
        used.add(pid)
        if pid not in m.purposes:
            yield path, f"unknown purpose {pid!r}{suggest(pid, m.purposes)}"
    for pid in m.purposes:
        if pid not in used:
            yield (
                ("purposes", pid),
                f"purpose {pid!r} is used by no category, feature or third party",
            )


def features_collect_declared(m: Manifest) -> Found:
    for fid, feat in m.features.items():
        for i, key in enumerate(feat.collects):
            declared = m.data_categories.get(key)
            if declared is None:
                if key in taxonomy().categories:
                    yield ("features", fid, "collects", i), f"{key!r} is not under data_categories"
                continue
            if not set(declared.purposes) & set(feat.purposes):
                yield (
                    ("features", fid, "collects", i),
                    f"{key!r} is declared for {list(declared.purposes)}, none of this feature's "
                    f"purposes {list(feat.purposes)}",
                )


def features_need_their_permissions(m: Manifest) -> Found:
    tax = taxonomy()
    for fid, feat in m.features.items():
        for i, key in enumerate(feat.permissions):
            perm = tax.permissions.get(key)
            if perm is None or not perm.needs_category:
                continue
            needed_by = {c.fides_key for c in tax.categories_needing(key)}
            if not needed_by & set(feat.collects):
                yield (
                    ("features", fid, "permissions", i),
                    f"{key!r} is requested but no category this feature collects needs it",
                )


def never_collected_kept(m: Manifest) -> Found:
    for i, key in enumerate(m.never_collected):
        if key in m.data_categories:
            yield ("never_collected", i), f"{key!r} is promised never collected but is declared"
        for fid, feat in m.features.items():
            if key in feat.collects:
                yield (
                    ("never_collected", i),
                    f"{key!r} is promised never collected but {fid} collects it",
                )


def sensitive_has_own_consent(m: Manifest) -> Found:
    """The taxonomy's sensitive categories need an optional purpose. A category that only
    the policy calls sensitive (``sensitive: true``) may stay under basic purposes: it then
    gets its own explicit consent when first collected, as every sensitive category does."""
    tax = taxonomy()
    for key, cat in m.data_categories.items():
        known = tax.categories.get(key)
        if known is None or not known.sensitive:
            continue
        if all(m.purposes[p].basic for p in cat.purposes if p in m.purposes):
            yield (
                ("data_categories", key, "purposes"),
                f"{key!r} is sensitive: it needs its own optional purpose (a separate consent)",
            )


def third_parties_marked(m: Manifest) -> Found:
    """Sharing is a separate choice; a processor (entrusted processing) works on the
    controller's behalf and may serve basic purposes."""
    for t, party in enumerate(m.third_parties):
        if party.kind == "processor":
            continue
        for i, pid in enumerate(party.purposes):
            purpose = m.purposes.get(pid)
            if purpose is not None and purpose.basic:
                yield (
                    ("third_parties", t, "purposes", i),
                    f"sharing with {party.name} must be a separate choice, but {pid!r} is basic",
                )


def domains_have_one_owner(m: Manifest) -> Found:
    """A domain names one owner: the audit judges what a host may receive by it."""
    owners: dict[str, str] = {}
    places = [(("app", "domains", i), d, "the app") for i, d in enumerate(m.app.domains)]
    for t, party in enumerate(m.third_parties):
        places += [
            (("third_parties", t, "domains", i), d, party.name) for i, d in enumerate(party.domains)
        ]
        places += [
            (("third_parties", t, "tracking_domains", i), d, party.name)
            for i, d in enumerate(party.tracking_domains)
        ]
    for path, domain, owner in places:
        first = owners.setdefault(domain, owner)
        if first != owner:
            yield path, f"{domain} is already {first}'s domain; a domain has one owner"


def retention_fits(m: Manifest) -> Found:
    for key, cat in m.data_categories.items():
        if cat.retention == "session" and cat.stored is not False:
            yield (
                ("data_categories", key, "retention"),
                "'session' retention is for data kept on the device only (stored: false)",
            )
    if m.prompts.reask_after in DURATION_WORDS:
        yield ("prompts", "reask_after"), "the cooldown must be a duration"


def precise_location_with_coarse(m: Manifest) -> Found:
    """Android 12+ ignores a request for precise location without approximate location,
    so a feature declaring only ``location.precise`` can never get a fix there."""
    for fid, feat in m.features.items():
        if "location.precise" in feat.permissions and "location.coarse" not in feat.permissions:
            i = feat.permissions.index("location.precise")
            yield (
                ("features", fid, "permissions", i),
                "location.precise needs location.coarse beside it: Android 12+ asks for both "
                "and the user may grant approximate only (declare user.location.coarse too)",
            )


def profiling_can_be_refused(m: Manifest) -> Found:
    """A profile for personalised recommendation must be refusable (PIPL art. 24)."""
    for pid, purpose in m.purposes.items():
        if purpose.profiling and purpose.basic:
            yield (
                ("purposes", pid, "basic"),
                f"{pid!r} builds a profile: the user must be able to refuse it (basic: false)",
            )


def roles_fit(m: Manifest) -> Found:
    """Only data processed on an organization's behalf is answered by that organization."""
    for key, cat in m.data_categories.items():
        if cat.rights_answered_by == "organization" and cat.role != "processor":
            yield (
                ("data_categories", key, "rights_answered_by"),
                "only a processor-role category (role: processor) is answered by the "
                "organization that controls it",
            )


def transfers_fit_storage(m: Manifest) -> Found:
    """A recipient abroad contradicts a promise that data never leaves the country, and
    needs a separate choice where the policy asks consent for it."""
    if m.storage is None:
        return
    for t, party in enumerate(m.third_parties):
        if party.country is None or party.country.split("-")[0] in {
            c.split("-")[0] for c in m.storage.location
        }:
            continue
        if m.storage.cross_border == "none":
            yield (
                ("third_parties", t, "country"),
                f"{party.name} is in {party.country}, but storage.cross_border promises no "
                "transfer abroad",
            )
        elif m.storage.cross_border == "with_consent" and any(
            m.purposes[p].basic for p in party.purposes if p in m.purposes
        ):
            yield (
                ("third_parties", t, "purposes"),
                f"a transfer to {party.name} in {party.country} needs the user's separate "
                "consent: use optional purposes only",
            )


def required_reasons_known(m: Manifest) -> Found:
    """Only Apple's categories and the reasons Apple approves for each; App Store Connect
    refuses any other. Reasons for SDKs wrapping an API are not an app's to declare."""
    apis = apple_vocab().reason_apis
    for word, codes in m.required_reason_apis.items():
        api = apis.get(word)
        if api is None:
            yield (
                ("required_reason_apis", word),
                f"unknown required-reason API {word!r}{suggest(word, apis)}; "
                f"Apple's categories: {', '.join(apis)}",
            )
            continue
        for i, code in enumerate(codes):
            if code not in api.reasons:
                yield (
                    ("required_reason_apis", word, i),
                    f"{code!r} is not a reason Apple approves for {word}"
                    f"{suggest(code, api.reasons)}; use one of {', '.join(api.reasons)}",
                )
            elif code in api.sdk_only:
                yield (
                    ("required_reason_apis", word, i),
                    f"{code!r} may be declared only by a third-party SDK that wraps the API, "
                    "not by an app",
                )
        if len(set(codes)) != len(codes):
            yield ("required_reason_apis", word), "a reason code is listed twice"


def accounts_coherent(m: Manifest) -> Found:
    """``none`` (nobody creates an account) excludes every way of creating one."""
    if m.accounts and "none" in m.accounts.creation and len(m.accounts.creation) > 1:
        yield (
            ("accounts", "creation"),
            "'none' says the app lets nobody create an account: it cannot stand with other ways",
        )


def choices_point_somewhere(m: Manifest) -> Found:
    """Each marked choice names a value of this manifest (a stale mark is an error)."""
    for path in m.choices:
        if resolve(m.raw, path) is None:
            yield ("choices", path), f"{path!r} names no value of this manifest"


CHECKS: tuple[Callable[[Manifest], Found], ...] = (
    categories_known,
    permissions_known,
    rationale_present,
    purposes_known_and_used,
    features_collect_declared,
    features_need_their_permissions,
    never_collected_kept,
    sensitive_has_own_consent,
    third_parties_marked,
    retention_fits,
    precise_location_with_coarse,
    profiling_can_be_refused,
    roles_fit,
    transfers_fit_storage,
    required_reasons_known,
    accounts_coherent,
    choices_point_somewhere,
    domains_have_one_owner,
)


def check_manifest(m: Manifest) -> list[tuple[tuple[str | int, ...], str]]:
    """Every coherence problem of the manifest, in a stable order."""
    return [found for check in CHECKS for found in check(m)]
