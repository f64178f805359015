"""The example app in examples/ runs and shows what the SDK promises."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_sdk_tour_shows_each_promise():
    spec = importlib.util.spec_from_file_location("sdk_tour", ROOT / "examples" / "sdk_tour.py")
    tour = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tour)
    lines: list[str] = []
    tour.tour(say=lines.append)
    text = "\n".join(lines)
    assert "policy_not_agreed; reads=0 dialogs=0" in text
    assert "outside the feature -> feature_not_started; inside -> ok" in text
    assert "['permission.rationale', 'permission.dialog']" in text
    assert "camera wrote GPS: True; uploaded with GPS: False" in text
    assert "queued 3, dropped 3, sent after withdrawal: 0" in text
    assert "second -> blocked_open_settings (open Settings: True)" in text
    assert "OS check still says 'denied'" in text
    assert "precise=False" in text
