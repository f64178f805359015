import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from consentkit.examples import manifest_paths
from consentkit.policy import ManifestInvalid, load_manifest, manifest_from_dict, parse_manifest
from tests.conftest import FIELDNOTES


def test_contract_example_loads(fieldnotes_text):
    m = parse_manifest(fieldnotes_text)
    assert m.id == "fieldnotes"
    assert m.version == "2024.03.01"
    assert m.basic_purposes() == ["account", "security"]
    assert "ads_measurement" in m.optional_purposes()
    assert m.rights.deadline("cancellation").within == 7
    assert m.rights.deadline("cancellation").unit == "working_days"
    assert m.rights.holds[0].then == "anonymize"
    assert m.minors.age == 14
    assert m.prompts.reads_per_minute["location.precise"] == 2
    assert m.category_allowed("user.location.precise", "customer_positioning", "add_customer")
    assert not m.category_allowed("user.location.precise", "account", "add_customer")
    assert m.features_requesting("camera") == ["publish_product"]


def test_five_seed_apps_ship_and_validate():
    paths = manifest_paths()
    assert len(paths) == 5
    ids = {load_manifest(p).id for p in paths}
    assert ids == {"cope-erp", "cargosoon", "zhenyi-erp", "incs", "order-desk"}


def test_zhenyi_keeps_its_seven_working_day_deletion():
    m = load_manifest(next(p for p in manifest_paths() if p.stem == "zhenyi-erp"))
    assert m.rights.deadline("cancellation").within == 7
    assert m.rights.deadline("cancellation").unit == "working_days"
    assert "user.calls.log" in m.never_collected


def _mutate(text: str, change) -> str:
    data = yaml.safe_load(text)
    change(data)
    return yaml.safe_dump(data, sort_keys=False)


BROKEN = [
    ("unknown top-level key", lambda d: d.update(extra=1), "extra", "unknown key"),
    (
        "unknown category",
        lambda d: d["features"]["publish_product"]["collects"].append("user.media.fotos"),
        "features.publish_product.collects[1]",
        "unknown category 'user.media.fotos'",
    ),
    (
        "unknown permission",
        lambda d: d["permissions"].update({"camera.front": {"rationale": "x" * 20}}),
        "permissions.camera.front",
        "unknown permission",
    ),
    (
        "permission no category needs",
        lambda d: d["features"]["place_order"].update(permissions=["camera"]),
        "features.place_order.permissions[0]",
        "no category this feature",
    ),
    (
        "missing rationale",
        lambda d: d["permissions"]["camera"].update(rationale=""),
        "permissions.camera.rationale",
        "rationale",
    ),
    (
        "bad retention",
        lambda d: d["data_categories"]["user.media.photo"].update(retention="forever"),
        "data_categories.user.media.photo.retention",
        "not an ISO-8601 duration",
    ),
    (
        "bad unit",
        lambda d: d["rights"]["access"].update(unit="weeks"),
        "rights.access.unit",
        "unknown unit 'weeks'",
    ),
    (
        "unused purpose",
        lambda d: d["purposes"].update(
            spare={"description": "x", "kind": "analytics", "basic": False}
        ),
        "purposes.spare",
        "used by no category",
    ),
    (
        "sensitive without own purpose",
        lambda d: d["data_categories"]["user.location.precise"].update(purposes=["account"]),
        "data_categories.user.location.precise.purposes",
        "sensitive",
    ),
    (
        "feature collects undeclared",
        lambda d: d["features"]["place_order"]["collects"].append("user.media.photo"),
        "features.place_order.collects[1]",
        "none of this feature's purposes",
    ),
    (
        "never collected but declared",
        lambda d: d["never_collected"].append("user.media.photo"),
        "never_collected[2]",
        "promised never collected",
    ),
    (
        "unknown purpose kind",
        lambda d: d["purposes"]["account"].update(kind="fun"),
        "purposes.account.kind",
        "unknown purpose kind",
    ),
    ("bad id", lambda d: d["app"].update(id="Field Notes"), "app.id", "must match"),
]


@pytest.mark.parametrize(("name", "change", "path", "reason"), BROKEN, ids=[b[0] for b in BROKEN])
def test_broken_manifest_names_path_and_reason(fieldnotes_text, name, change, path, reason):
    with pytest.raises(ManifestInvalid) as info:
        parse_manifest(_mutate(fieldnotes_text, change), source="broken.yaml")
    problems = info.value.problems
    match = [p for p in problems if p.path == path and reason in p.message]
    assert match, [str(p) for p in problems]
    assert match[0].source == "broken.yaml"
    assert match[0].line is not None


def test_yaml_syntax_error_names_line():
    with pytest.raises(ManifestInvalid) as info:
        parse_manifest("format: 1\napp: [unclosed\n", source="x.yaml")
    assert "not valid YAML" in str(info.value)
    assert info.value.problems[0].line is not None


def test_comma_in_flow_mapping_gets_a_hint(fieldnotes_text):
    text = fieldnotes_text.replace('"Example Trading Co., Ltd."', "Example Trading Co., Ltd.")
    with pytest.raises(ManifestInvalid) as info:
        parse_manifest(text)
    assert "quote that value" in str(info.value)


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(ManifestInvalid, match="cannot read"):
        load_manifest(tmp_path / "nope.yaml")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None)
@given(json_values)
def test_any_data_is_a_manifest_or_a_clear_error(value):
    try:
        manifest_from_dict(value)
    except ManifestInvalid as exc:
        assert exc.problems


@settings(max_examples=100, deadline=None)
@given(
    st.sampled_from(
        [
            "purposes",
            "features",
            "data_categories",
            "permissions",
            "rights",
            "prompts",
            "minors",
            "app",
            "third_parties",
            "never_collected",
        ]
    ),
    json_values,
)
def test_any_section_value_is_a_clear_error(section, value):
    data = yaml.safe_load(FIELDNOTES.read_text("utf-8"))
    data[section] = value
    try:
        manifest_from_dict(data)
    except ManifestInvalid as exc:
        assert exc.problems


def test_three_problems_are_reported_in_one_run(fieldnotes_text):
    """Two shape errors and an unknown purpose: all three at once, the typo with a hint."""

    def three(d):
        d["purposes"]["account"]["basic"] = "maybe"  # shape
        d["prompts"]["max_optional_per_request"] = "one"  # shape
        d["features"]["place_order"]["purposes"] = ["acount"]  # reference

    with pytest.raises(ManifestInvalid) as info:
        parse_manifest(_mutate(fieldnotes_text, three), source="three.yaml")
    found = {p.path: p.message for p in info.value.problems}
    assert "purposes.account.basic" in found
    assert "prompts.max_optional_per_request" in found
    assert found["features.place_order.purposes[0]"] == (
        "unknown purpose 'acount'; did you mean 'account'?"
    )
    assert all(p.line for p in info.value.problems)


def test_unknown_key_suggests_the_known_one(fieldnotes_text):
    text = fieldnotes_text.replace("    on_withdraw: delete\n", "    on_withdrew: delete\n", 1)
    with pytest.raises(ManifestInvalid) as info:
        parse_manifest(text)
    assert "did you mean 'on_withdraw'?" in str(info.value)


@pytest.mark.parametrize("bad", ["2025-13-01", "2025-02-30", "1 March 2025", "2025-3-1"])
def test_bad_effective_date_is_a_located_error(fieldnotes_text, bad):
    text = fieldnotes_text.replace("effective: 2024-03-01", f"effective: {bad}")
    with pytest.raises(ManifestInvalid) as info:
        parse_manifest(text, source="dated.yaml")
    (problem,) = info.value.problems
    assert problem.path == "app.policy.effective" and problem.line == 10
    assert bad in problem.message


def test_cli_reports_every_problem_and_never_a_traceback(tmp_path, fieldnotes_text):
    from click.testing import CliRunner

    from consentkit.cli import main

    text = fieldnotes_text.replace("effective: 2024-03-01", "effective: 2025-13-01")
    text = text.replace("purposes: [customer_import]\n", "purposes: [customer_imports]\n", 1)
    path = tmp_path / "m.yaml"
    path.write_text(text, "utf-8")
    result = CliRunner().invoke(main, ["policy", "validate", str(path)])
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "app.policy.effective" in result.output
    assert "did you mean 'customer_import'?" in result.output


def test_precise_location_alone_is_refused(fieldnotes_text):
    """Android 12+ asks precise with coarse: a feature declaring precise only never works."""

    def precise_only(d):
        d["features"]["add_customer"]["permissions"] = ["location.precise"]
        d["features"]["add_customer"]["collects"] = ["user.location.precise"]

    with pytest.raises(ManifestInvalid) as info:
        parse_manifest(_mutate(fieldnotes_text, precise_only))
    assert any(
        p.path == "features.add_customer.permissions[0]" and "location.coarse" in p.message
        for p in info.value.problems
    )
