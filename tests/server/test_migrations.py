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


def test_global_staff_roles_become_roles_on_every_published_app(tmp_path):
    """Before 0007 a role reached every app; after it, each published app holds the same
    role, one grant a row, to be revoked app by app."""
    from sqlalchemy import text

    url = f"sqlite:///{tmp_path / 'roles.sqlite'}"
    upgrade(url, "0006")
    engine = create_engine(url)
    with engine.begin() as conn:
        for uid, role in (("a" * 32, "auditor"), ("b" * 32, "user")):
            conn.execute(
                text(
                    "INSERT INTO users (id, status, role, created_at)"
                    " VALUES (:id, 'active', :role, CURRENT_TIMESTAMP)"
                ),
                {"id": uid, "role": role},
            )
        for app_id in ("fieldnotes", "zhenyi-erp", "fieldnotes"):
            conn.execute(
                text(
                    "INSERT INTO policy_versions (app_id, version, change, effective, document,"
                    " published_at) VALUES (:a, :v, 'major', '2024-01-01', '{}', CURRENT_TIMESTAMP)"
                ),
                {
                    "a": app_id,
                    "v": f"v{conn.execute(text('SELECT count(*) FROM policy_versions')).scalar()}",
                },
            )
    upgrade(url)
    with engine.connect() as conn:
        grants = conn.execute(
            text("SELECT user_id, app_id, role FROM staff_grants ORDER BY app_id")
        )
        assert [tuple(g) for g in grants] == [
            ("a" * 32, "fieldnotes", "auditor"),
            ("a" * 32, "zhenyi-erp", "auditor"),
        ]
        assert "role" not in {c["name"] for c in inspect(conn).get_columns("users")}
    engine.dispose()
