"""Settings: one typed, frozen object built from LSWEB_* environment variables (and an optional .env file).

Every setting has a default that works for a first run on one school server: nothing needs editing.
`Settings.from_env()` builds it once (create_app keeps it as app.config["LSWEB"]); the `lsweb` command
reads its server settings from the same object. Old-style `settings["REDIS_URL"]` reads still work.
"""

from __future__ import annotations

import dataclasses
import os
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Mapping

from dotenv import dotenv_values

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off"}


class SettingsError(ValueError):
    """An LSWEB_* variable holds a value lsweb cannot use; the message names the variable."""


def _env_name(name: str, variable: str | None = None) -> dict:
    """Field metadata: the environment variable a setting is read from (default LSWEB_<NAME>)."""
    return {"env": variable or f"LSWEB_{name.upper()}"}


@dataclass(frozen=True)
class Settings:
    database_url: str | None = None  # None: sqlite:///<instance>/lsweb.db
    secret_key: str | None = None  # None: generated into <instance>/secret_key
    redis_url: str | None = None
    instance_path: str | None = None  # None: ./instance in the working directory
    # "auto": Secure cookies when the request came over HTTPS; "true"/"false" force it.
    secure_cookies: str = "auto"
    session_idle_minutes: int = 120
    # However active, a session ends this long after sign-in ("Keep me signed in" lasts remember_days).
    session_absolute_hours: int = 12
    # A temporary password an admin issues stops working after this long.
    temporary_password_hours: int = 72
    remember_days: int = 14
    # Failed sign-ins: per account from one address (or one device it used before); per address, any
    # account (a staffroom behind one NAT shares it); per account from everywhere (devices it used before
    # are exempt from the last two).
    login_limit_account: str = "5 per 15 minutes"
    login_limit_address: str = "100 per 15 minutes"
    login_limit_account_everywhere: str = "30 per hour"
    trusted_proxies: int = 0  # how many reverse proxies (nginx: 1) set X-Forwarded-* in front of lsweb
    password_hash: str = "scrypt"
    import_max_rows: int = 20000
    log_level: str = "INFO"
    # Largest photo of pupil work accepted, in megabytes (it is re-encoded, so stored ones are smaller).
    upload_max_mb: int = 8
    log_format: str = "text"  # "text" | "json"
    # Seconds between keep-alive comments on idle live streams (what notices a closed tab).
    live_keepalive_seconds: int = field(default=15, metadata=_env_name("", "LSWEB_LIVE_KEEPALIVE"))
    # Live streams one person (and each of their sessions) may hold open in one process; above it the
    # stream is refused (429) and the page polls instead.
    live_streams_max: int = 8
    live_poll_seconds: int = 20  # how often a page refused its stream refreshes its live regions
    # The school's time zone (IANA name, e.g. Europe/London); None: the server's. A school may set its own.
    timezone: str | None = None
    # `lsweb serve`
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    threads: int = 400
    auto_migrate: bool = False
    # E-mail: smtp://user:pass@host:25, smtp+starttls://...:587 or smtps://...:465; None: mail is off.
    mail_url: str | None = None
    mail_ca_file: str | None = None  # the CA of a school's own mail server (TLS); None: the system's CAs
    mail_from: str = "lsweb <lsweb@localhost>"
    # The address people reach lsweb at, for links in e-mails (None: the address of the request).
    base_url: str | None = None
    # "embedded": a task-queue thread in the server process sends mail; "worker": `lsweb worker` does;
    # "immediate": right after the commit, inside the request.
    tasks: str = "embedded"
    invitation_days: int = 7
    reset_hours: int = 24
    # Sign-in with the school's directory (LDAP / Active Directory); None: off.
    ldap_url: str | None = None  # ldap://dc.school.local (StartTLS) or ldaps://dc.school.local
    ldap_starttls: bool = True  # ldap:// only
    ldap_ca_file: str | None = None
    ldap_bind_dn: str | None = None
    ldap_bind_password: str | None = None
    ldap_user_dn: str | None = None  # e.g. uid={login},ou=people,dc=school,dc=example (no search)
    ldap_search_base: str = ""
    ldap_search_filter: str = "(|(mail={login})(uid={login}))"
    ldap_name_attribute: str = "displayName"
    ldap_email_attribute: str = "mail"
    ldap_groups: str | None = None  # "group DN -> role @ School name; ..."
    # Sign-in with the school's OpenID Connect account (Microsoft Entra ID, Google Workspace, ...);
    # None: off. Discovery from <issuer>/.well-known/openid-configuration.
    oidc_issuer: str | None = None  # e.g. https://login.microsoftonline.com/<tenant id>/v2.0
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = None
    oidc_name: str = "your school account"  # the button: "Sign in with <name>"
    # "e-mail domain -> School name" (known staff only) or "domain -> role @ School name" (unknown
    # people of that domain get an account with that role), separated by ";"
    oidc_domains: str | None = None
    oidc_ca_file: str | None = None  # the CA of a school's own provider (TLS); None: the system's CAs
    # Admins must set up two-step sign-in (a code from an authenticator app) before the admin pages.
    admin_two_step: bool = True

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, dotenv: Path | None = None) -> "Settings":
        """Read every setting from `environ` (default os.environ), then from `dotenv` (default ./.env)
        for variables the environment does not set. Raises SettingsError naming a bad variable."""
        environ = os.environ if environ is None else environ
        dotenv = Path.cwd() / ".env" if dotenv is None else dotenv
        from_file = {k: v for k, v in dotenv_values(dotenv).items() if v is not None} if dotenv.is_file() else {}
        values = {}
        for item in dataclasses.fields(cls):
            variable = item.metadata.get("env") or f"LSWEB_{item.name.upper()}"
            raw = environ.get(variable)
            if raw in (None, ""):
                raw = from_file.get(variable)
            if raw in (None, ""):
                continue
            values[item.name] = _parse(variable, raw, item.type)
        if "timezone" in values:
            from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

            try:
                ZoneInfo(values["timezone"])
            except (ZoneInfoNotFoundError, ValueError):
                raise SettingsError(f"LSWEB_TIMEZONE must be a time zone name such as Europe/London, "
                                    f"not “{values['timezone']}”.") from None
        values["secure_cookies"] = values.get("secure_cookies", "auto").lower()
        values["log_format"] = values.get("log_format", "text").lower()
        values["tasks"] = values.get("tasks", "embedded").lower()
        if values["tasks"] not in ("embedded", "worker", "immediate"):
            raise SettingsError(f"LSWEB_TASKS must be embedded, worker or immediate, not “{values['tasks']}”.")
        return cls(**values)

    def replace(self, **changes: Any) -> "Settings":
        """A copy with some settings changed (tests, or create_app's overrides); names in any case."""
        return dataclasses.replace(self, **{name.lower(): value for name, value in changes.items()})

    def has(self, name: str) -> bool:
        return name.lower() in _FIELD_NAMES

    # Mapping-style reads, kept for code written against the earlier dict of settings.
    def __getitem__(self, name: str) -> Any:
        if not self.has(name):
            raise KeyError(name)
        return getattr(self, name.lower())

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.has(name)

    def get(self, name: str, default: Any = None) -> Any:
        return self[name] if self.has(name) else default


_FIELD_NAMES = frozenset(item.name for item in dataclasses.fields(Settings))


def _parse(variable: str, raw: str, kind: str) -> Any:
    raw = raw.strip()
    if kind.startswith("int"):
        try:
            return int(raw)
        except ValueError:
            raise SettingsError(f"{variable} must be a whole number, not “{raw}”.") from None
    if kind.startswith("bool"):
        if raw.lower() in TRUE_WORDS:
            return True
        if raw.lower() in FALSE_WORDS:
            return False
        raise SettingsError(f"{variable} must be 1/true/yes/on or 0/false/no/off, not “{raw}”.")
    return raw


def load_settings() -> Settings:
    """The settings from the environment and ./.env (the environment wins)."""
    return Settings.from_env()


def flask_config(settings: Settings, instance_path: str) -> dict:
    """Turn lsweb settings into Flask, Flask-SQLAlchemy, Flask-Login and Flask-Limiter keys."""
    db_url = settings.database_url or f"sqlite:///{Path(instance_path) / 'lsweb.db'}"
    if db_url.startswith("postgresql://"):
        db_url = "postgresql+psycopg://" + db_url[len("postgresql://"):]
    redis_url = settings.redis_url
    secure = settings.secure_cookies == "true"
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
        "REMEMBER_COOKIE_DURATION": timedelta(days=settings.remember_days),
        "PERMANENT_SESSION_LIFETIME": timedelta(minutes=settings.session_idle_minutes),
        "SESSION_REFRESH_EACH_REQUEST": True,
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session
        "WTF_CSRF_HEADERS": ["X-CSRFToken"],
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        "RATELIMIT_STRATEGY": "moving-window",
        "RATELIMIT_HEADERS_ENABLED": False,
        # Redis away: count in this process (with a warning in the log) rather than refuse every sign-in;
        # back to Redis once it answers again. Short timeouts, so a hung Redis does not hang sign-in.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_SWALLOW_ERRORS": True,
        "RATELIMIT_STORAGE_OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2} if redis_url else {},
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
