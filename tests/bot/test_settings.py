import os
import stat

import pytest

from bot.settings import SettingsError, ensure_local_secrets, load_settings, require_valid


def test_first_start_creates_private_secrets_file(tmp_path):
    path = ensure_local_secrets(tmp_path, environ={})
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    settings = require_valid(load_settings(environ={}, root=tmp_path))
    assert len(settings.api_token) >= 32
    # a second start keeps the same secrets
    ensure_local_secrets(tmp_path, environ={})
    assert load_settings(environ={}, root=tmp_path).api_token == settings.api_token


def test_environment_secret_is_not_written_to_file_and_wins(tmp_path):
    env = {"HELPLINE_API_TOKEN": "from-the-environment-123456"}
    path = ensure_local_secrets(tmp_path, environ=env)
    assert "HELPLINE_API_TOKEN" not in path.read_text()
    assert load_settings(environ=env, root=tmp_path).api_token == "from-the-environment-123456"


def test_production_refuses_missing_and_placeholder_secrets(tmp_path):
    ensure_local_secrets(tmp_path, environ={})  # a dev secrets file must be ignored in production
    env = {"HELPLINE_ENV": "production", "HELPLINE_API_TOKEN": "changeme"}
    with pytest.raises(SettingsError) as error:
        require_valid(load_settings(environ=env, root=tmp_path))
    message = str(error.value)
    assert "HELPLINE_API_TOKEN" in message
    assert "HELPLINE_PSEUDONYM_KEY" in message
    assert "HELPLINE_ENCRYPTION_KEY" in message


def test_invalid_encryption_key_is_named(tmp_path):
    env = {"HELPLINE_API_TOKEN": "x" * 40, "HELPLINE_PSEUDONYM_KEY": "y" * 40, "HELPLINE_ENCRYPTION_KEY": "not-a-key"}
    problems = load_settings(environ=env, root=tmp_path).problems()
    assert any("HELPLINE_ENCRYPTION_KEY is not a valid Fernet key" in p for p in problems)


def test_database_urls_default_to_sqlite_under_var(tmp_path):
    settings = load_settings(environ={}, root=tmp_path)
    assert settings.database_url == f"sqlite:///{tmp_path}/var/helpline.db"
    assert settings.tracker_store_url == f"sqlite:///{tmp_path}/var/tracker.db"
    url = "postgresql+psycopg2://127.0.0.1:5432/test"
    assert load_settings(environ={"HELPLINE_DATABASE_URL": url}, root=tmp_path).database_url == url


def test_bad_port_is_a_clear_error(tmp_path):
    with pytest.raises(SettingsError, match="HELPLINE_PORT"):
        load_settings(environ={"HELPLINE_PORT": "abc"}, root=tmp_path)
