import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consentkit.cli import main
from consentkit.examples import examples_dir
from consentkit.policy import parse_manifest
from consentkit.simulator.scenario import (
    STEPS,
    ScenarioInvalid,
    check_against,
    load_scenario,
    parse_scenario,
)
from tests.conftest import FIELDNOTES


def test_shipped_scenarios_load():
    for path in (examples_dir() / "scenarios").glob("*.yaml"):
        scenario = load_scenario(path)
        assert scenario.steps and scenario.name


def test_errors_name_line_step_and_reason():
    text = """name: broken
app: fieldnotes
steps:
  - launch
  - use: Add Customer
  - advance: two days
  - teleport
  - {withdraw: [], grant: [x]}
  - settings: {permission: camera, status: maybe}
"""
    with pytest.raises(ScenarioInvalid) as info:
        parse_scenario(text, "broken.yaml")
    messages = [str(p) for p in info.value.problems]
    assert "broken.yaml:5: steps[1].use: needs a feature id" in messages
    assert any(
        m.startswith("broken.yaml:6: steps[2].advance:") and "ISO-8601" in m for m in messages
    )
    assert any("broken.yaml:7: steps[3]: unknown step 'teleport'" in m for m in messages)
    assert any("steps[4]: a step is a name or a one-key mapping" in m for m in messages)
    assert any("status 'maybe'" in m for m in messages)


def test_unknown_features_and_purposes_of_the_app():
    scenario = parse_scenario(
        "name: x\napp: fieldnotes\nsteps:\n  - use: fly\n  - withdraw: [ads]\n"
    )
    with pytest.raises(ScenarioInvalid) as info:
        check_against(scenario, parse_manifest(FIELDNOTES.read_text("utf-8")))
    text = str(info.value)
    assert "no feature 'fly'" in text and "no purpose 'ads'" in text


@pytest.mark.parametrize("text", ["", "[1, 2]", "name: x\napp: y\nsteps: []\n", "a: [unclosed"])
def test_any_input_is_a_clear_error(text):
    with pytest.raises(ScenarioInvalid):
        parse_scenario(text)


def test_every_problem_in_one_pass_with_did_you_mean():
    text = """name: broken
app: fieldnotes
stesp: []
steps:
  - launch
  - use_al
  - use: add_custmer
  - withdraw: [customer_positionning]
  - settings: {permission: camra, status: denid}
  - settings: {permission: camra, status: denied}
  - publish_policy: majr
  - advance: two days
"""
    manifest = parse_manifest(FIELDNOTES.read_text("utf-8"))
    with pytest.raises(ScenarioInvalid) as info:
        parse_scenario(text, "broken.yaml", manifest)
    messages = [str(p) for p in info.value.problems]
    assert messages[:3] == [
        "broken.yaml:3: stesp: unknown key; did you mean 'steps'?",
        "broken.yaml:6: steps[1]: unknown step 'use_al'; did you mean 'use_all'?; known: "
        + ", ".join(STEPS),
        "broken.yaml:7: steps[2].use: fieldnotes has no feature 'add_custmer'; "
        "did you mean 'add_customer'?",
    ]
    assert (
        "broken.yaml:8: steps[3].withdraw: fieldnotes has no purpose 'customer_positionning'; "
        "did you mean 'customer_positioning'?" in messages
    )
    assert any(
        "status 'denid' is not granted, limited or denied; did you mean 'denied'?" in m
        for m in messages
    )
    assert (
        "broken.yaml:10: steps[5].settings: fieldnotes has no permission 'camra'; "
        "did you mean 'camera'?" in messages
    )
    assert any(m.startswith("broken.yaml:11:") and "did you mean 'major'?" in m for m in messages)
    assert any(m.startswith("broken.yaml:12: steps[7].advance:") for m in messages)
    assert len(messages) == 8


def test_the_simulate_command_reports_shape_and_names_together(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\napp: any\nsteps:\n  - launch\n  - teleport\n  - use: fly\n")
    result = CliRunner().invoke(
        main, ["simulate", "--app", "zhenyi-erp", "--scenario", str(bad), "--out", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert f"{bad}:5: steps[1]: unknown step 'teleport'" in result.output
    assert f"{bad}:6: steps[2].use: zhenyi-erp has no feature 'fly'" in result.output
    assert "Traceback" not in result.output


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=12),
        lambda inner: (
            st.lists(inner, max_size=4)
            | st.dictionaries(st.text(max_size=12) | st.integers(), inner, max_size=4)
        ),
        max_leaves=12,
    )
)
def test_any_yaml_is_a_scenario_or_a_clear_error(value):
    text = yaml.safe_dump({"name": "x", "app": "any", "steps": value}, allow_unicode=True)
    manifest = parse_manifest(FIELDNOTES.read_text("utf-8"))
    try:
        parse_scenario(text, "fuzz.yaml", manifest)
    except ScenarioInvalid as exc:
        assert exc.problems and all(str(p).startswith("fuzz.yaml") for p in exc.problems)
