"""The app factory, settings from LSWEB_* variables, and the secret key kept in the instance folder."""

import os

import pytest
import stat

from lsweb import create_app
from lsweb.config import load_settings


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
    assert settings["REDIS_URL"] == "redis://127.0.0.1:6379/3"
    assert settings["SESSION_IDLE_MINUTES"] == 45
    monkeypatch.delenv("LSWEB_REDIS_URL")


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
