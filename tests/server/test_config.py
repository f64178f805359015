"""Configuration shared by workers: the keys every worker of one instance signs with."""

from __future__ import annotations

import multiprocessing
import stat

from consentkit.server.config import SECRET_NAMES, load_or_create_secrets


def _load(folder: str, start) -> dict[str, str]:
    start.wait()
    return load_or_create_secrets(folder)


def test_workers_starting_together_on_a_fresh_instance_share_one_set_of_keys(tmp_path):
    context = multiprocessing.get_context("spawn")
    start = context.Manager().Event()
    with context.Pool(6) as pool:
        pending = [pool.apply_async(_load, (str(tmp_path), start)) for _ in range(6)]
        start.set()
        seen = [p.get(timeout=60) for p in pending]
    assert all(keys == seen[0] for keys in seen)
    assert set(seen[0]) == set(SECRET_NAMES)
    assert load_or_create_secrets(str(tmp_path)) == seen[0]
    assert stat.S_IMODE((tmp_path / "secrets.env").stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["secrets.env"]


def test_a_file_missing_a_key_is_completed_and_keeps_the_others(tmp_path):
    (tmp_path / "secrets.env").write_text("SECRET_KEY=kept\n")
    keys = load_or_create_secrets(str(tmp_path))
    assert keys["SECRET_KEY"] == "kept" and set(keys) == set(SECRET_NAMES)
    assert load_or_create_secrets(str(tmp_path)) == keys


def test_sender_credentials_kept_in_secrets_env_survive_the_first_start(tmp_path):
    (tmp_path / "secrets.env").write_text("SMTP_PASSWORD=mail-secret\n")
    first = load_or_create_secrets(str(tmp_path))
    assert first["SMTP_PASSWORD"] == "mail-secret" and set(SECRET_NAMES) <= set(first)
    assert load_or_create_secrets(str(tmp_path)) == first  # kept in the file, keys and all
