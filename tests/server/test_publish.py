"""``consentkit policy publish``: what a deployment runs before it starts its workers."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from consentkit.cli import main
from consentkit.examples import manifest_paths
from consentkit.server.migrate import upgrade

from ..conftest import FIELDNOTES


@pytest.fixture
def database(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'publish.sqlite'}"
    monkeypatch.setenv("CONSENTKIT_DATABASE_URL", url)
    monkeypatch.setenv("CONSENTKIT_INSTANCE_PATH", str(tmp_path / "instance"))
    return url


def publish(*paths) -> object:
    return CliRunner().invoke(main, ["policy", "publish", *map(str, paths)])


def test_publishing_is_idempotent(database):
    upgrade(database)
    first = publish(*manifest_paths())
    assert first.exit_code == 0, first.output
    assert first.output.count("(published)") == 5
    again = publish(*manifest_paths())
    assert again.exit_code == 0 and again.output.count("(unchanged)") == 5


def test_an_invalid_manifest_publishes_nothing(database, tmp_path):
    upgrade(database)
    broken = tmp_path / "broken.yaml"
    broken.write_text(FIELDNOTES.read_text("utf-8").replace("basic: true", "basic: perhaps", 1))
    result = publish(FIELDNOTES, broken)
    assert result.exit_code == 1
    assert "broken.yaml" in result.output and "Traceback" not in result.output
    assert publish(FIELDNOTES).output.count("(published)") == 1  # nothing was published before


def test_other_content_under_a_published_version_is_refused(database, tmp_path):
    upgrade(database)
    assert publish(FIELDNOTES).exit_code == 0
    changed = tmp_path / "changed.yaml"
    changed.write_text(
        FIELDNOTES.read_text("utf-8").replace("Create and protect your account.", "Changed.")
    )
    result = publish(changed)
    assert result.exit_code == 1 and "already published with other content" in result.output


def test_a_database_without_the_schema_is_a_clear_error(database):
    result = publish(FIELDNOTES)
    assert result.exit_code == 1 and "consentkit db upgrade" in result.output
    assert "Traceback" not in result.output
