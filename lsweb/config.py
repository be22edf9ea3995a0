"""Settings, read from LSWEB_* environment variables (and an optional .env file).

Every setting has a default that works for a first run on one school server: nothing needs editing.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

from dotenv import load_dotenv

TRUE_WORDS = {"1", "true", "yes", "on"}


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(f"LSWEB_{name}")
    return value if value not in (None, "") else default


def _env_int(name: str, default: int) -> int:
    return int(_env(name, str(default)))


def _env_bool(name: str, default: bool) -> bool:
    value = _env(name)
    return default if value is None else value.strip().lower() in TRUE_WORDS


def load_settings() -> dict:
    """Return the Flask config read from the environment. A .env in the working directory is read first."""
    load_dotenv(Path.cwd() / ".env", override=False)
    return {
        "DATABASE_URL": _env("DATABASE_URL"),  # None: sqlite:///<instance>/lsweb.db
        "SECRET_KEY": _env("SECRET_KEY"),  # None: generated into <instance>/secret_key
        "REDIS_URL": _env("REDIS_URL"),
        "INSTANCE_PATH": _env("INSTANCE_PATH"),
        # "auto": Secure cookies when the request came over HTTPS; "true"/"false" force it.
        "SECURE_COOKIES": (_env("SECURE_COOKIES", "auto") or "auto").lower(),
        "SESSION_IDLE_MINUTES": _env_int("SESSION_IDLE_MINUTES", 120),
        "REMEMBER_DAYS": _env_int("REMEMBER_DAYS", 14),
        "LOGIN_LIMIT_ACCOUNT": _env("LOGIN_LIMIT_ACCOUNT", "5 per 15 minutes"),
        "LOGIN_LIMIT_ADDRESS": _env("LOGIN_LIMIT_ADDRESS", "20 per 15 minutes"),
        "TRUSTED_PROXIES": _env_int("TRUSTED_PROXIES", 0),
        "PASSWORD_HASH": _env("PASSWORD_HASH", "scrypt"),
        "IMPORT_MAX_ROWS": _env_int("IMPORT_MAX_ROWS", 20000),
        "LOG_LEVEL": _env("LOG_LEVEL", "INFO"),
        # Largest photo of pupil work accepted, in megabytes (it is re-encoded, so stored ones are smaller).
        "UPLOAD_MAX_MB": _env_int("UPLOAD_MAX_MB", 8),
        "LOG_FORMAT": (_env("LOG_FORMAT", "text") or "text").lower(),  # "text" | "json"
        # Seconds between keep-alive comments on idle live streams (what notices a closed tab).
        "LIVE_KEEPALIVE_SECONDS": _env_int("LIVE_KEEPALIVE", 15),
        # E-mail: smtp://user:pass@host:25, smtp+starttls://...:587 or smtps://...:465; unset: mail is off.
        "MAIL_URL": _env("MAIL_URL"),
        "MAIL_FROM": _env("MAIL_FROM", "lsweb <lsweb@localhost>"),
        # The address people reach lsweb at, for links in e-mails (default: the address of the request).
        "BASE_URL": _env("BASE_URL"),
        # "embedded": a task-queue thread in the server process sends mail; "worker": `lsweb worker` does.
        "TASKS": (_env("TASKS", "embedded") or "embedded").lower(),
        "INVITATION_DAYS": _env_int("INVITATION_DAYS", 7),
        "RESET_HOURS": _env_int("RESET_HOURS", 24),
        # Sign-in with the school's directory (LDAP / Active Directory); unset: off.
        "LDAP_URL": _env("LDAP_URL"),  # ldap://dc.school.local (StartTLS) or ldaps://dc.school.local
        "LDAP_STARTTLS": _env_bool("LDAP_STARTTLS", True),  # ldap:// only
        "LDAP_CA_FILE": _env("LDAP_CA_FILE"),
        "LDAP_BIND_DN": _env("LDAP_BIND_DN"),
        "LDAP_BIND_PASSWORD": _env("LDAP_BIND_PASSWORD"),
        "LDAP_USER_DN": _env("LDAP_USER_DN"),  # e.g. uid={login},ou=people,dc=school,dc=example (no search)
        "LDAP_SEARCH_BASE": _env("LDAP_SEARCH_BASE", ""),
        "LDAP_SEARCH_FILTER": _env("LDAP_SEARCH_FILTER", "(|(mail={login})(uid={login}))"),
        "LDAP_NAME_ATTRIBUTE": _env("LDAP_NAME_ATTRIBUTE", "displayName"),
        "LDAP_EMAIL_ATTRIBUTE": _env("LDAP_EMAIL_ATTRIBUTE", "mail"),
        "LDAP_GROUPS": _env("LDAP_GROUPS"),  # "group DN -> role @ School name; ..."
    }


def flask_config(settings: dict, instance_path: str) -> dict:
    """Turn lsweb settings into Flask, Flask-SQLAlchemy, Flask-Login and Flask-Limiter keys."""
    db_url = settings["DATABASE_URL"] or f"sqlite:///{Path(instance_path) / 'lsweb.db'}"
    if db_url.startswith("postgresql://"):
        db_url = "postgresql+psycopg://" + db_url[len("postgresql://"):]
    redis_url = settings["REDIS_URL"]
    secure = settings["SECURE_COOKIES"] == "true"
    return {
        "SQLALCHEMY_DATABASE_URI": db_url,
        # A connection for every server thread, so busy pages do not open and close connections.
        "SQLALCHEMY_ENGINE_OPTIONS": _engine_options(db_url),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": secure,
        "SESSION_COOKIE_NAME": "lsweb_session",
        "REMEMBER_COOKIE_NAME": "lsweb_remember",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": secure,
        "REMEMBER_COOKIE_DURATION": timedelta(days=settings["REMEMBER_DAYS"]),
        "PERMANENT_SESSION_LIFETIME": timedelta(minutes=settings["SESSION_IDLE_MINUTES"]),
        "SESSION_REFRESH_EACH_REQUEST": True,
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session
        "WTF_CSRF_HEADERS": ["X-CSRFToken"],
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        "RATELIMIT_STRATEGY": "moving-window",
        "RATELIMIT_HEADERS_ENABLED": False,
        "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
        "MAX_FORM_MEMORY_SIZE": 8 * 1024 * 1024,
    }


def _engine_options(db_url: str) -> dict:
    """A pooled connection for every busy server thread, so pages do not open and close connections."""
    if not db_url.startswith("sqlite"):
        return {"pool_pre_ping": True, "pool_size": 10, "max_overflow": 30}
    if ":memory:" in db_url or db_url.rstrip("/") in ("sqlite:", "sqlite:/"):
        return {}
    return {"pool_size": 20, "max_overflow": 40}


def secret_key_from_instance(instance_path: str) -> str:
    """Read the secret key kept in the instance folder; create it (mode 0600) on first start."""
    path = Path(instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    # O_EXCL: two processes starting at once cannot both write a different key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    return key
