"""The app factory, settings from LSWEB_* variables, and the secret key kept in the instance folder."""

import dataclasses
import os
import stat
from pathlib import Path

import pytest

from lsweb import create_app
from lsweb.config import Settings, SettingsError, load_settings


def test_defaults_need_no_settings(monkeypatch, tmp_path):
    for name in list(os.environ):
        if name.startswith("LSWEB_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)  # no .env here
    app = create_app({"INSTANCE_PATH": str(tmp_path / "instance")})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'instance' / 'lsweb.db'}"
    assert app.config["RATELIMIT_STORAGE_URI"] == "memory://"
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.config["LSWEB"]["PASSWORD_HASH"] == "scrypt"
    assert app.config["LSWEB"]["SECURE_COOKIES"] == "auto"
    assert {bp for bp in app.blueprints} >= {"auth", "admin", "home"}


def test_secret_key_is_generated_once_with_mode_0600(monkeypatch, tmp_path):
    monkeypatch.delenv("LSWEB_SECRET_KEY", raising=False)
    instance = tmp_path / "instance"
    first = create_app({"INSTANCE_PATH": str(instance)})
    key_file = instance / "secret_key"
    assert key_file.exists()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(first.config["SECRET_KEY"]) >= 64
    second = create_app({"INSTANCE_PATH": str(instance)})
    assert second.config["SECRET_KEY"] == first.config["SECRET_KEY"]


def test_secret_key_from_environment_writes_no_file(monkeypatch, tmp_path):
    monkeypatch.setenv("LSWEB_SECRET_KEY", "from-the-environment")
    app = create_app({"INSTANCE_PATH": str(tmp_path / "instance")})
    assert app.config["SECRET_KEY"] == "from-the-environment"
    assert not (tmp_path / "instance" / "secret_key").exists()


def test_settings_come_from_environment_and_dotenv(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LSWEB_REDIS_URL", raising=False)
    (tmp_path / ".env").write_text("LSWEB_REDIS_URL=redis://127.0.0.1:6379/3\nLSWEB_SESSION_IDLE_MINUTES=30\n")
    monkeypatch.setenv("LSWEB_SESSION_IDLE_MINUTES", "45")  # the environment wins over .env
    settings = load_settings()
    assert settings.redis_url == "redis://127.0.0.1:6379/3"
    assert settings.session_idle_minutes == 45
    assert settings["SESSION_IDLE_MINUTES"] == 45  # the older mapping-style read
    assert "LSWEB_REDIS_URL" not in os.environ  # .env is read, not poured into the environment


def test_settings_are_typed_and_frozen():
    settings = Settings.from_env({"LSWEB_PORT": "8443", "LSWEB_AUTO_MIGRATE": "yes", "LSWEB_THREADS": "64",
                                  "LSWEB_LIVE_KEEPALIVE": "5"}, dotenv=Path("/nonexistent/.env"))
    assert (settings.port, settings.auto_migrate, settings.threads) == (8443, True, 64)
    assert settings.live_keepalive_seconds == 5
    assert settings.host == "127.0.0.1" and settings.workers == 1
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.port = 1  # type: ignore[misc]
    assert settings.replace(PORT=9000).port == 9000 and settings.port == 8443


def test_a_bad_setting_names_its_variable():
    with pytest.raises(SettingsError, match="LSWEB_PORT must be a whole number"):
        Settings.from_env({"LSWEB_PORT": "eighty"}, dotenv=Path("/nonexistent/.env"))
    with pytest.raises(SettingsError, match="LSWEB_AUTO_MIGRATE must be 1/true"):
        Settings.from_env({"LSWEB_AUTO_MIGRATE": "perhaps"}, dotenv=Path("/nonexistent/.env"))


def test_the_default_instance_folder_is_in_the_working_directory(monkeypatch, tmp_path):
    monkeypatch.delenv("LSWEB_INSTANCE_PATH", raising=False)
    monkeypatch.chdir(tmp_path)
    app = create_app({"SECRET_KEY": "x"})
    assert app.instance_path == str(tmp_path / "instance")


def test_postgresql_url_gets_the_psycopg_driver(tmp_path):
    app = create_app({"INSTANCE_PATH": str(tmp_path), "DATABASE_URL": "postgresql://u@db.example/lsweb"})
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg://")


def test_sqlite_runs_in_wal_mode_with_foreign_keys(app):
    from lsweb.extensions import db

    with db.engine.connect() as connection:
        if connection.dialect.name != "sqlite":
            pytest.skip("SQLite pragmas")
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
