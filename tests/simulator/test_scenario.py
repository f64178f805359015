import pytest

from consentkit.examples import examples_dir
from consentkit.policy import parse_manifest
from consentkit.simulator.scenario import (
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
