"""data-safety.csv is Google's Data safety template, read back by an independent reader.

The expected rows are unrolled here from the template data file itself (not through the
export's code): five columns, the template's question and response ids in the template's
order, each answer coherent with the manifest it came from.
"""

import csv
import io

import pytest
import yaml
from click.testing import CliRunner

from consentkit.cli import main
from consentkit.examples import example_manifests, manifest_paths
from consentkit.policy import parse_manifest
from consentkit.policy.exports import data_safety_checklist, data_safety_csv, export_notes
from tests.conftest import ROOT

TEMPLATE = yaml.safe_load(
    (ROOT / "consentkit/policy/data/play_data_safety.yaml").read_text("utf-8")
)
HEADER = [
    "Question ID (machine readable)",
    "Response ID (machine readable)",
    "Response value",
    "Answer requirement",
    "Human-friendly question label",
]


def template_keys() -> list[tuple[str, str, str]]:
    """(question id, response id, requirement) of every template row, unrolled here."""
    rows = []
    for q in TEMPLATE["general"]:
        responses = q.get("responses") or [{"id": ""}]
        rows += [(q["question"], r["id"], q["requirement"]) for r in responses]
    types = [t["id"] for t in TEMPLATE["data_types"]]
    rows += [(t["question"], t["id"], "MULTIPLE_CHOICE") for t in TEMPLATE["data_types"]]
    for t in types:
        for part in TEMPLATE["usage"]:
            responses = part.get("responses") or [{"id": ""}]
            if responses == "purposes":
                responses = TEMPLATE["purposes"]
            rows += [
                (f"PSL_DATA_USAGE_RESPONSES:{t}:{part['part']}", r["id"], part["requirement"])
                for r in responses
            ]
    return rows


def read(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


def values(rows: list[list[str]]) -> dict[tuple[str, str], str]:
    return {(r[0], r[1]): r[2] for r in rows[1:]}


def test_the_template_data_is_googles_shape():
    # 783 lines: what Play Console's export holds today (22 general rows, 38 data types,
    # 19 usage rows each); the data file says which revision and where it came from.
    assert len(template_keys()) + 1 == TEMPLATE["template"]["lines"] == 783
    assert TEMPLATE["columns"] == HEADER
    assert TEMPLATE["template"]["sources"] and TEMPLATE["template"]["as_of"]
    ids = [t["id"] for t in TEMPLATE["data_types"]]
    assert len(ids) == len(set(ids)) == 38


@pytest.mark.parametrize("manifest", example_manifests(), ids=lambda m: m.id)
def test_every_seed_exports_the_template_row_for_row(manifest):
    rows = read(data_safety_csv(manifest))
    assert rows[0] == HEADER
    assert [(r[0], r[1], r[3]) for r in rows[1:]] == template_keys()
    assert all(len(r) == 5 for r in rows)
    for r in rows[1:]:
        if r[3] in ("MULTIPLE_CHOICE", "SINGLE_CHOICE"):
            assert r[2] in ("", "true"), r
        elif r[0].endswith("_URL"):
            assert r[2] == "" or r[2].startswith("http"), r
        else:
            assert r[2] in ("", "true", "false"), r


@pytest.mark.parametrize("manifest", example_manifests(), ids=lambda m: m.id)
def test_every_declared_type_is_answered_in_full(manifest):
    v = values(read(data_safety_csv(manifest)))
    purposes = [p["id"] for p in TEMPLATE["purposes"]]
    declared = [t["id"] for t in TEMPLATE["data_types"] if v[(t["question"], t["id"])] == "true"]
    assert declared
    for t in (t["id"] for t in TEMPLATE["data_types"]):

        def u(part, response="", t=t):
            return v[(f"PSL_DATA_USAGE_RESPONSES:{t}:{part}", response)]

        control = [
            u("DATA_USAGE_USER_CONTROL", f"PSL_DATA_USAGE_USER_CONTROL_{x}")
            for x in ("OPTIONAL", "REQUIRED")
        ]
        collecting = [u("DATA_USAGE_COLLECTION_PURPOSE", p) for p in purposes]
        sharing = [u("DATA_USAGE_SHARING_PURPOSE", p) for p in purposes]
        shared = u("PSL_DATA_USAGE_COLLECTION_AND_SHARING", "PSL_DATA_USAGE_ONLY_SHARED")
        if t in declared:
            assert u("PSL_DATA_USAGE_COLLECTION_AND_SHARING", "PSL_DATA_USAGE_ONLY_COLLECTED")
            assert u("PSL_DATA_USAGE_EPHEMERAL") == "false"
            assert sorted(control) == ["", "true"], t  # exactly one
            assert "true" in collecting, t
            assert ("true" in sharing) == (shared == "true"), t
        else:  # nothing about a type the app does not collect
            assert set(control + collecting + sharing + [shared]) == {""}, t


def test_general_questions_come_from_the_manifest():
    zhenyi = next(m for m in example_manifests() if m.id == "zhenyi-erp")
    v = values(read(data_safety_csv(zhenyi)))
    assert v[("PSL_DATA_COLLECTION_COLLECTS_PERSONAL_DATA", "")] == "true"
    assert v[("PSL_DATA_COLLECTION_ENCRYPTED_IN_TRANSIT", "")] == "true"  # security.*
    methods = {r for (q, r), x in v.items() if q == "PSL_SUPPORTED_ACCOUNT_CREATION_METHODS" and x}
    assert methods == {"PSL_ACM_USER_ID_PASSWORD_OTHER_AUTH"}
    assert v[("PSL_SUPPORT_DATA_DELETION_BY_USER", "DATA_DELETION_YES")] == "true"
    assert v[("PSL_HAS_OUTSIDE_APP_ACCOUNTS", "")] == "false"
    incs = next(m for m in example_manifests() if m.id == "incs")
    v = values(read(data_safety_csv(incs)))
    assert v[("PSL_HAS_OUTSIDE_APP_ACCOUNTS", "")] == "true"
    assert v[
        ("PSL_OUTSIDE_APP_ACCOUNT_TYPES", "PSL_LOGIN_THROUGH_EMPLOYMENT_OR_ENTERPRISE_ACCOUNT")
    ]


def test_call_history_is_what_google_calls_contacts():
    # COPE collects the phone log: Google counts call history under "Contacts", and has
    # no "Phone calls" type (the old checklist's invention).
    cope = next(m for m in example_manifests() if m.id == "cope-erp")
    v = values(read(data_safety_csv(cope)))
    assert v[("PSL_DATA_TYPES_CONTACTS", "PSL_CONTACTS")] == "true"
    assert v[("PSL_DATA_TYPES_EMAIL_AND_TEXT", "PSL_SMS_CALL_LOG")] == ""
    contacts = "PSL_DATA_USAGE_RESPONSES:PSL_CONTACTS:DATA_USAGE_COLLECTION_PURPOSE"
    assert v[(contacts, "PSL_FRAUD_PREVENTION_SECURITY")] == "true"  # phone_log: security.fraud


def test_sharing_purposes_are_not_collection_purposes():
    zhenyi = next(m for m in example_manifests() if m.id == "zhenyi-erp")
    v = values(read(data_safety_csv(zhenyi)))
    q = "PSL_DATA_USAGE_RESPONSES:PSL_OTHER_PERFORMANCE:"  # device model, OS version
    collection = {r for (k, r), x in v.items() if k == q + "DATA_USAGE_COLLECTION_PURPOSE" and x}
    sharing = {r for (k, r), x in v.items() if k == q + "DATA_USAGE_SHARING_PURPOSE" and x}
    # collected for security (fraud) and the statistics SDK; shared only with the SDK
    assert collection == {"PSL_FRAUD_PREVENTION_SECURITY", "PSL_ANALYTICS"}
    assert sharing == {"PSL_ANALYTICS"}


def test_a_service_provider_is_not_sharing(fieldnotes_text):
    data = yaml.safe_load(fieldnotes_text)
    m = parse_manifest(yaml.safe_dump(data))
    v = values(read(data_safety_csv(m)))
    shared = (
        "PSL_DATA_USAGE_RESPONSES:PSL_DEVICE_ID:PSL_DATA_USAGE_COLLECTION_AND_SHARING",
        "PSL_DATA_USAGE_ONLY_SHARED",
    )
    assert v[shared] == "true"  # an analytics partner receives the Android ID
    data["third_parties"][0]["kind"] = "processor"  # ... now processing on our behalf
    m = parse_manifest(yaml.safe_dump(data))
    assert values(read(data_safety_csv(m)))[shared] == ""


def test_unanswerable_questions_are_left_to_a_person_with_the_reason(fieldnotes_text):
    m = parse_manifest(fieldnotes_text)  # says nothing of accounts or transport
    v = values(read(data_safety_csv(m)))
    assert v[("PSL_DATA_COLLECTION_ENCRYPTED_IN_TRANSIT", "")] == ""
    assert v[("PSL_ACCOUNT_DELETION_URL", "")] == ""
    notes = "\n".join(export_notes(m))
    for question in (
        "PSL_DATA_COLLECTION_ENCRYPTED_IN_TRANSIT",
        "PSL_SUPPORTED_ACCOUNT_CREATION_METHODS",
        "PSL_ACCOUNT_DELETION_URL",
    ):
        assert f"{question}: for a person to answer — " in notes
    checklist = data_safety_checklist(m).decode()
    assert "## For you to answer" in checklist
    assert "security.encrypted_in_transit" in checklist
    data = yaml.safe_load(fieldnotes_text)
    data["security"] = {"encrypted_in_transit": True}
    data["accounts"] = {
        "creation": ["other_auth"],
        "outside_app": [],
        "deletion_url": "https://example.com/account/delete",
    }
    m = parse_manifest(yaml.safe_dump(data))
    v = values(read(data_safety_csv(m)))
    assert v[("PSL_ACCOUNT_DELETION_URL", "")] == "https://example.com/account/delete"
    assert v[("PSL_SUPPORTED_ACCOUNT_CREATION_METHODS", "PSL_ACM_USER_ID_OTHER_AUTH")] == "true"
    assert [n for n in export_notes(m) if "data-safety.csv" in n] == []
    assert "Nothing: the manifest answers" in data_safety_checklist(m).decode()


def test_export_writes_the_template_and_the_checklist(tmp_path):
    path = next(p for p in manifest_paths() if p.stem == "cope-erp")
    result = CliRunner().invoke(main, ["policy", "export", str(path), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    out = next(tmp_path.rglob("data-safety.csv")).parent
    assert read((out / "data-safety.csv").read_bytes())[0] == HEADER
    checklist = (out / "data-safety-checklist.md").read_text("utf-8")
    assert "| Contacts / Contacts | yes |" in checklist
    # COPE's policy promises SSL only "in certain services": a person answers that one
    assert "PSL_DATA_COLLECTION_ENCRYPTED_IN_TRANSIT: for a person to answer" in result.stderr
