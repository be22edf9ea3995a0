"""lsweb: Lesson Study for schools and networks of schools."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from ._version import __version__
from .config import Settings, flask_config, secret_key_from_instance

__all__ = ["__version__", "create_app"]


def create_app(config: dict | None = None) -> Flask:
    """Build the application. `config` overrides settings (lsweb's names or Flask's) for tests."""
    from . import shipped

    config = dict(config or {})
    settings = Settings.from_env()
    settings = settings.replace(**{key: config.pop(key) for key in list(config) if settings.has(key)})

    # Instance data (database, secret key, uploads) lives beside the working directory, never in the package.
    instance_path = settings.instance_path or str(Path.cwd() / "instance")
    app = Flask(
        __name__,
        instance_path=str(Path(instance_path).resolve()),
        template_folder=str(shipped.folder("templates")),
        static_folder=str(shipped.folder("static")),
    )
    from . import filemodes

    filemodes.restrict_umask()  # lsweb writes only private data: the database, uploads, backups, exports
    filemodes.private_folder(Path(app.instance_path))
    app.config.update(flask_config(settings, app.instance_path))
    app.config["LSWEB"] = settings
    app.config["LSWEB_VERSION"] = __version__
    app.config["SECRET_KEY"] = settings.secret_key or secret_key_from_instance(app.instance_path)
    app.config.update(config)
    from . import logs

    logs.init_app(app)
    filemodes.warn_if_open(app.instance_path)

    if settings.trusted_proxies:
        from werkzeug.middleware.proxy_fix import ProxyFix

        n = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)

    from .auth.cookie_session import ThrottledRefreshSessionInterface
    from .security import secure_cookies_over_https

    app.session_interface = ThrottledRefreshSessionInterface()
    # Before the extensions: after_request hooks run in reverse order, so this one sees their cookies.
    app.after_request(secure_cookies_over_https)
    _init_extensions(app)
    from . import inputs

    inputs.init_app(app)  # before the blueprints: their rules use its int converter
    _register_blueprints(app)
    from . import retry

    retry.init_app(app)
    _register_hooks(app)

    from .cli import register_commands

    register_commands(app)
    return app


def _init_extensions(app: Flask) -> None:
    from . import models  # noqa: F401  (registers the tables)
    from .database import MIGRATIONS_DIR, init_engine
    from .extensions import csrf, db, htmx, limiter, login_manager, migrate

    db.init_app(app)
    init_engine(app, db)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR, render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    htmx.init_app(app)
    limiter.init_app(app)
    # The limiter object is shared by every app of the process (tests build many): a new app starts on
    # its own storage, not on the fall-back an earlier app's lost Redis left switched on.
    limiter._storage_dead = False
    login_manager.init_app(app)

    from . import live

    live.init_app(app)

    from .mail import tasks as mail_tasks

    mail_tasks.init_app(app)

    from .auth.sessions import configure_login

    configure_login(app, login_manager)


def _load_modules() -> None:
    """The modules that register routes on their package's blueprint, or exporters and listeners."""
    from .admin import import_views, job_titles, outbox, views  # noqa: F401
    from .auth import link_views, notification_views, oidc_views, two_step_views, views  # noqa: F401,F811
    from .discussion import actions, personal_data, views  # noqa: F401,F811
    from .groups import cycle_views, views  # noqa: F401,F811
    from .home import views  # noqa: F401,F811
    from .lessonday import cover_views, note_views, records, time_views, views  # noqa: F401,F811
    from .planning import field_views, stamp, views  # noqa: F401,F811
    from .protocol import views  # noqa: F401,F811
    from .sharing import privacy, views_fair, views_library, views_openhouse, views_summary  # noqa: F401


def _register_blueprints(app: Flask) -> None:
    _load_modules()
    from .admin import bp as admin_bp
    from .auth import bp as auth_bp
    from .discussion import bp as discussion_bp
    from .groups import bp as groups_bp
    from .home import bp as home_bp
    from .lessonday import bp as lessonday_bp
    from .live import bp as live_bp
    from .planning import bp as planning_bp
    from .protocol import bp as protocol_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(home_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(live_bp)
    app.register_blueprint(groups_bp)
    app.register_blueprint(protocol_bp)
    app.register_blueprint(planning_bp)
    app.register_blueprint(lessonday_bp)
    app.register_blueprint(discussion_bp)
    from .operations.views import bp as operations_bp

    app.register_blueprint(operations_bp)
    from .sharing import bp as sharing_bp

    app.register_blueprint(sharing_bp)
    # The live channels (name pattern and who may subscribe, lsweb/channels.py); templates name them.
    from . import channels as _declared, live  # noqa: F401

    app.jinja_env.globals["channels"] = live.declared
    from .coedit.views import bp as coedit_bp

    app.register_blueprint(coedit_bp)
    from .coedit.shape import colour as coedit_colour

    app.jinja_env.globals["coedit_colour"] = coedit_colour


def _register_hooks(app: Flask) -> None:
    from .security import register_error_pages, set_security_headers, watch_throttle_storage

    register_error_pages(app)
    watch_throttle_storage()
    app.after_request(set_security_headers)

    from .models import Role

    @app.template_filter("local")
    def _local_time(moment):
        """An instant (kept in UTC) in the viewer's school's time zone (else the installation's)."""
        from flask_login import current_user

        from .timezones import local, zone_of

        school = current_user.school if current_user.is_authenticated else None
        return local(moment, zone_of(school))

    @app.template_global("school_zone")
    def _school_zone() -> str:
        """The viewer's school's time-zone name, for scripts that show a time before the server has it."""
        from flask_login import current_user

        from .timezones import zone_of

        return zone_of(current_user.school if current_user.is_authenticated else None).key

    @app.context_processor
    def _globals():
        from . import permissions

        return {"perm": permissions, "Role": Role, "urls": _layout_urls(app), "lsweb_version": __version__}


LAYOUT_URLS = {"home": "home.index", "groups": "groups.index", "library": "sharing.library_index", "staff": "admin.staff", "schools": "admin.schools",
               "audit_log": "admin.audit_log", "outbox": "admin.outbox", "my_time": "lessonday.my_time", "my_data": "operations.my_data",
               "password": "auth.change_password", "two_step": "auth.two_step_setup", "sessions": "auth.my_sessions",
               "notifications": "auth.notifications",
               "logout": "auth.logout"}


def _layout_urls(app: Flask):
    """The layout's links (the same on every page), built once instead of on every request."""
    urls = app.extensions.get("lsweb.layout_urls")
    if urls is None:
        from types import SimpleNamespace

        from flask import url_for

        urls = SimpleNamespace(css=url_for("static", filename="css/lsweb.css"),
                               htmx=url_for("static", filename="vendor/htmx-2.0.11.min.js"),
                               signout_js=url_for("static", filename="js/signout.js"),
                               live_js=url_for("static", filename="js/live.js"),
                               icon=url_for("static", filename="favicon.svg"),
                               **{name: url_for(endpoint) for name, endpoint in LAYOUT_URLS.items()})
        app.extensions["lsweb.layout_urls"] = urls
    return urls
