"""Google Play's Data safety form: Google's CSV template, filled in, and a checklist.

``data-safety.csv`` is the template itself (every row of ``data/play_data_safety.yaml``,
in order, with the "Response value" column filled in): Play Console's "Import from CSV"
and the Play Developer API's ``applications.dataSafety`` take it as it is.
``data-safety-checklist.md`` is for the person who reviews it: each answer with the part
of the manifest it comes from, and the questions the manifest cannot answer, with why.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from ..manifest import Manifest
from ..play_template import TemplateRow, play_template
from ..taxonomy import taxonomy
from .common import cell, collected, is_optional, recipients

__all__ = ["Answer", "answers", "data_safety_checklist", "data_safety_csv", "data_safety_notes"]


@dataclass(frozen=True)
class Answer:
    """The value of one template row, and where it comes from.

    ``open``: a person must answer it, for this reason (the manifest cannot).
    ``blank``: left blank on purpose (not applicable, or optional), for this reason.
    """

    value: str = ""
    source: str = ""
    open: str = ""
    blank: str = ""


@dataclass
class TypeUse:
    """How the app uses one Play data type, over the manifest categories mapped to it."""

    keys: list[str] = field(default_factory=list)
    shared_with: list[str] = field(default_factory=list)
    optional: bool = True
    collection: set[str] = field(default_factory=set)
    sharing: set[str] = field(default_factory=set)


def type_uses(m: Manifest) -> dict[str, TypeUse]:
    """Play data type id -> its use, for every type the app collects."""
    tax = taxonomy()
    not_sharing = play_template().not_sharing_kinds
    uses: dict[str, TypeUse] = {}
    for cat in collected(m):
        use = uses.setdefault(tax.categories[cat.id].play or "PSL_OTHER_PERSONAL", TypeUse())
        use.keys.append(cat.id)
        use.optional &= is_optional(m, cat)
        use.collection |= {_play_purpose(m, p) for p in cat.purposes}
        for party in recipients(m, cat.id):
            if party.kind in not_sharing:
                continue  # a service provider processing on our behalf: not sharing
            if party.name not in use.shared_with:
                use.shared_with.append(party.name)
            # why it is shared: the purposes it receives this category for (Google refuses a
            # shared type without one, so all of the party's purposes if none is the category's)
            why = [p for p in party.purposes if p in cat.purposes] or list(party.purposes)
            use.sharing |= {_play_purpose(m, p) for p in why}
    return uses


def _play_purpose(m: Manifest, purpose_id: str) -> str:
    return taxonomy().purpose_kinds[m.purposes[purpose_id].kind].play


def answers(m: Manifest) -> list[tuple[TemplateRow, Answer]]:
    """Every row of Google's template with its answer, in the template's order."""
    template = play_template()
    uses = type_uses(m)
    general = _general(m, bool(uses))
    out = []
    for row in template.rows():
        if row.question in general:
            answer = general[row.question](row.response)
        elif row.question.startswith("PSL_DATA_TYPES_"):
            use = uses.get(row.response)
            answer = (
                Answer(template.true, _categories(use)) if use else Answer(blank="not collected")
            )
        else:
            answer = _usage(row, uses)
        out.append((row, answer))
    return out


def _categories(use: TypeUse) -> str:
    return ", ".join(f"data_categories.{k}" for k in use.keys)


def _usage(row: TemplateRow, uses: dict[str, TypeUse]) -> Answer:
    t = play_template()
    _, data_type, part = row.question.split(":")
    use = uses.get(data_type)
    if use is None:
        return Answer(blank="not collected")
    yes = t.true
    if part == "PSL_DATA_USAGE_COLLECTION_AND_SHARING":
        if row.response == "PSL_DATA_USAGE_ONLY_COLLECTED":
            return Answer(yes, _categories(use))
        if use.shared_with:
            return Answer(yes, "third_parties: " + ", ".join(use.shared_with))
        return Answer(blank="not shared")
    if part == "PSL_DATA_USAGE_EPHEMERAL":
        # Kept on the server or by a third party: never only held for one request.
        return Answer(t.false, ", ".join(f"data_categories.{k}.stored" for k in use.keys))
    if part == "DATA_USAGE_USER_CONTROL":
        chosen = (
            "PSL_DATA_USAGE_USER_CONTROL_OPTIONAL"
            if use.optional
            else "PSL_DATA_USAGE_USER_CONTROL_REQUIRED"
        )
        source = ", ".join(f"data_categories.{k}.purposes" for k in use.keys)
        return Answer(yes, source) if row.response == chosen else Answer(blank="not chosen")
    if part == "DATA_USAGE_COLLECTION_PURPOSE":
        if row.response in use.collection:
            return Answer(yes, ", ".join(f"data_categories.{k}.purposes" for k in use.keys))
        return Answer(blank="not a purpose of collection")
    if part == "DATA_USAGE_SHARING_PURPOSE":
        if row.response in use.sharing:
            return Answer(yes, "third_parties[].purposes: " + ", ".join(use.shared_with))
        return Answer(blank="not a purpose of sharing")
    raise KeyError(f"the template has a usage question consentkit does not know: {part}")


def _general(m: Manifest, collects: bool) -> dict:
    """Question id -> (response id -> Answer) for the form's general questions."""
    t = play_template()
    accounts = m.accounts
    creation = set(accounts.creation) if accounts else set()
    outside = set(accounts.outside_app) if accounts else set()
    no_accounts = creation == {"none"}

    def collects_any(_: str) -> Answer:
        return Answer(t.true if collects else t.false, "data_categories, third_parties")

    def encrypted(_: str) -> Answer:
        if not collects:
            return Answer(blank="asked only when the app collects data")
        if m.security is None:
            return Answer(
                open="the manifest does not say whether all personal data travels encrypted: "
                "add security.encrypted_in_transit (what the policy promises about transport)"
            )
        return Answer(
            t.true if m.security.encrypted_in_transit else t.false,
            "security.encrypted_in_transit",
        )

    def creation_methods(response: str) -> Answer:
        if not creation:
            return Answer(
                open="the manifest does not say how users create an account: add accounts.creation"
            )
        chosen = {t.account_creation[w] for w in creation}
        if response in chosen:
            return Answer(t.true, "accounts.creation")
        return Answer(blank="not chosen")

    def specify_creation(_: str) -> Answer:
        if "other" in creation:
            return Answer(open="accounts.creation says 'other': describe that way of creating one")
        return Answer(blank="asked only for 'Other'")

    def account_deletion_url(_: str) -> Answer:
        if no_accounts:
            return Answer(blank="the app lets nobody create an account")
        if accounts and accounts.deletion_url:
            return Answer(accounts.deletion_url, "accounts.deletion_url")
        return Answer(
            open="Google asks for a web page where users request deleting their account and "
            "its data without the app; the manifest names none (accounts.deletion_url)"
        )

    def deletion_supported(response: str) -> Answer:
        if not collects:
            return Answer(blank="asked only when the app collects data")
        deadline = m.rights.deadline("deletion")
        source = (
            f"rights.deletion (within {deadline.within} {deadline.unit})"
            if deadline
            else "rights.deletion (consentkit's deletion right; one month by default)"
        )
        if response == "DATA_DELETION_YES":
            return Answer(t.true, source)
        return Answer(blank="not chosen")

    def data_deletion_url(_: str) -> Answer:
        return Answer(
            blank="optional: a page to delete some data but keep the account; users do that "
            "in the app (the deletion right)"
        )

    def families(_: str) -> Answer:
        return Answer(
            blank="optional: only for apps whose target age group includes children, which "
            "Play Console's Target audience holds, not the manifest"
        )

    def masa(_: str) -> Answer:
        return Answer(blank="optional: a MASA security review is not part of a privacy policy")

    def upi(_: str) -> Answer:
        if "IN" in m.app.jurisdictions:
            return Answer(open="the UPI badge is for apps taking UPI payments in India")
        return Answer(blank="optional: the UPI badge is for apps taking UPI payments in India")

    def has_outside(_: str) -> Answer:
        if accounts is None:
            return Answer(
                open="the manifest does not say whether accounts made outside the app sign "
                "in: add accounts.outside_app (an empty list says none)"
            )
        return Answer(t.true if outside else t.false, "accounts.outside_app")

    def outside_types(response: str) -> Answer:
        chosen = {t.outside_account[w] for w in outside}
        if response in chosen:
            return Answer(t.true, "accounts.outside_app")
        return Answer(blank="not chosen")

    def specify_outside(_: str) -> Answer:
        if "other" in outside:
            return Answer(
                open="accounts.outside_app says 'other': describe how those accounts are made"
            )
        return Answer(blank="asked only for 'Other'")

    return {
        "PSL_DATA_COLLECTION_COLLECTS_PERSONAL_DATA": collects_any,
        "PSL_DATA_COLLECTION_ENCRYPTED_IN_TRANSIT": encrypted,
        "PSL_SUPPORTED_ACCOUNT_CREATION_METHODS": creation_methods,
        "PSL_ACM_SPECIFY": specify_creation,
        "PSL_ACCOUNT_DELETION_URL": account_deletion_url,
        "PSL_SUPPORT_DATA_DELETION_BY_USER": deletion_supported,
        "PSL_DATA_DELETION_URL": data_deletion_url,
        "PSL_DATA_COLLECTION_COMPLIES_FAMILY_POLICY": families,
        "PSL_INDEPENDENTLY_VALIDATED": masa,
        "PSL_UPI_BADGE_OPT_IN": upi,
        "PSL_HAS_OUTSIDE_APP_ACCOUNTS": has_outside,
        "PSL_OUTSIDE_APP_ACCOUNT_TYPES": outside_types,
        "PSL_OUTSIDE_APP_ACCOUNT_TYPE_SPECIFY": specify_outside,
    }


def data_safety_csv(m: Manifest) -> bytes:
    """Google's template with the manifest's answers: the file Play Console imports."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(play_template().columns)
    for row, answer in answers(m):
        writer.writerow([row.question, row.response, answer.value, row.requirement, row.label])
    return out.getvalue().encode("utf-8")


def open_questions(m: Manifest) -> list[tuple[TemplateRow, str]]:
    """The questions a person must answer, once each, with the reason."""
    seen: set[str] = set()
    out = []
    for row, answer in answers(m):
        if answer.open and row.question not in seen:
            seen.add(row.question)
            out.append((row, answer.open))
    return out


def data_safety_notes(m: Manifest) -> list[str]:
    return [
        f"data-safety.csv: {row.question}: for a person to answer — {reason}"
        for row, reason in open_questions(m)
    ]


def data_safety_checklist(m: Manifest) -> bytes:
    """The same answers for a person: general questions, open questions, data types."""
    t = play_template()
    rows = answers(m)
    lines = [
        f"# Google Play Data safety — checklist for {m.app.name}",
        "",
        f"Policy version {m.version}. `data-safety.csv` beside this file is Google's own "
        "template filled in from the manifest: import it in Play Console (App content → "
        "Data safety → Import from CSV) or send it with the Play Developer API "
        "(`applications.dataSafety`). This page shows where each answer comes from.",
        "",
        f"Template: {' '.join(t.raw['template']['follows'].split())}, as of "
        f"{t.raw['template']['as_of']}.",
        "",
        "## General questions",
        "",
        "| Question | Answer | From the manifest |",
        "|---|---|---|",
    ]
    general = _by_question(rows)
    for group in general.values():
        shown = _shown(group)
        if shown:
            source = next((a.source for _, a in group if a.source), "—")
            lines.append(f"| {cell(_question_label(group))} | {cell(shown)} | {cell(source)} |")
    opened = open_questions(m)
    lines += ["", "## For you to answer", ""]
    if opened:
        lines += [
            f"- `{row.question}` — {_question_label([(row, Answer())])}: {reason}"
            for row, reason in opened
        ]
    else:
        lines.append("Nothing: the manifest answers every question the form requires.")
    left = [
        (q, group[0][1].blank)
        for q, group in general.items()
        if not _shown(group) and group[0][1].blank
    ]
    if left:
        lines += ["", "Left blank on purpose:", ""]
        lines += [f"- `{q}`: {reason}" for q, reason in left]
    lines += [
        "",
        "## Data types",
        "",
        "| Data type | Collected | Shared with | Ephemeral | Required or optional "
        "| Collection purposes | Sharing purposes | Manifest categories |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for type_id, use in sorted(type_uses(m).items(), key=lambda kv: _type_order(kv[0])):
        lines.append(
            "| "
            + " | ".join(
                cell(x)
                for x in (
                    t.data_types[type_id]["label"],
                    "yes",
                    ", ".join(use.shared_with) or "no",
                    "no",
                    "optional" if use.optional else "required",
                    "; ".join(t.purposes[p] for p in t.purposes if p in use.collection),
                    "; ".join(t.purposes[p] for p in t.purposes if p in use.sharing) or "—",
                    " ".join(use.keys),
                )
            )
            + " |"
        )
    return ("\n".join(lines) + "\n").encode("utf-8")


def _by_question(
    rows: list[tuple[TemplateRow, Answer]],
) -> dict[str, list[tuple[TemplateRow, Answer]]]:
    """The general questions' rows, grouped by question, in template order."""
    general = {q["question"] for q in play_template().raw["general"]}
    out: dict[str, list[tuple[TemplateRow, Answer]]] = {}
    for row, answer in rows:
        if row.question in general:
            out.setdefault(row.question, []).append((row, answer))
    return out


def _shown(group: list[tuple[TemplateRow, Answer]]) -> str:
    """A question's answer as a person reads it: Yes/No, the chosen options, a link."""
    t = play_template()
    if any(a.open for _, a in group):
        return "**for you to answer**"
    if len(group) == 1 and not group[0][0].response:
        value = group[0][1].value
        return {t.true: "Yes", t.false: "No"}.get(value, value)
    return "; ".join(r.label.rsplit(" / ", 1)[-1] for r, a in group if a.value == t.true)


def _question_label(group: list[tuple[TemplateRow, Answer]]) -> str:
    row = group[0][0]
    label = row.label.rsplit(" / ", 1)[0] if row.response else row.label
    return _short(label)


def _type_order(type_id: str) -> int:
    return list(play_template().data_types).index(type_id)


def _short(label: str) -> str:
    return " ".join(label.split())[:140]
