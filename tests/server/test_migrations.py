"""Alembic builds the schema from an empty database, and it matches the models."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from consentkit.server.migrate import upgrade
from consentkit.server.models import Base


def test_upgrade_from_empty_matches_the_models(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.sqlite'}"
    upgrade(url)
    upgrade(url)  # running it again is a no-op
    engine = create_engine(url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert set(Base.metadata.tables) <= set(inspect(conn).get_table_names())
    assert diff == [], diff


def test_bootstrap_publishes_the_examples_once(tmp_path):
    from consentkit.examples import manifest_paths
    from consentkit.server.bootstrap import prepare

    from .conftest import make_app

    app = make_app(f"sqlite:///{tmp_path / 'boot.sqlite'}", tmp_path / "instance")
    first = prepare(app, manifest_paths())
    again = prepare(app, manifest_paths())
    assert all(p.new for p in first) and len(first) == 5
    assert not any(p.new for p in again)
    assert app.test_client().get("/api/v1/apps/incs/policy").status_code == 200
