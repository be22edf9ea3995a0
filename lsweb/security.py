"""Security headers on every response, error pages, and the session rules."""

from __future__ import annotations

import logging

from flask import Flask, flash, render_template, request, url_for
from flask_wtf.csrf import CSRFError

from .diskfull import MESSAGE as DISK_FULL
from .errors import SignFirst
from .web import html_response, is_fragment_request, see_other

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)

ERROR_TEXT = {
    400: ("Bad request", "The request could not be understood. If you were sending a form, go back, "
          "reload the page and try again."),
    403: ("Not allowed", "You do not have permission to do that."),
    404: ("Not found", "There is nothing here, or you do not have access to it."),
    405: ("Not allowed", "That action is not possible here."),
    413: ("Too large", "What you sent is too large."),
    429: ("Too many attempts", "There have been too many attempts. Please wait a few minutes and try again."),
    507: ("The server's disk is full", DISK_FULL + " Go back (your browser's Back button) to find it in the "
          "form, and save again once there is room."),
    500: ("Something went wrong", "lsweb hit an unexpected error. Nothing you did caused it; "
          "please try again, and tell your IT technician if it happens again."),
}


class ThrottleFallbackWarning(logging.Filter):
    """Flask-Limiter says "storage unreachable" when Redis goes away and it counts sign-in attempts in
    this process instead: say it in lsweb's words, naming Redis, for whoever reads the server log."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        log = logging.getLogger("lsweb.security")
        if "falling back to in-memory" in message:
            log.warning("Redis (LSWEB_REDIS_URL) does not answer: sign-in attempts are counted in this "
                        "process only until it answers again. /health reports it.")
            return False
        if "storage recovered" in message:
            log.warning("Redis answers again: sign-in attempts are counted there again.")
            return False
        return True


def watch_throttle_storage() -> None:
    limiter_log = logging.getLogger("flask-limiter")
    if not any(isinstance(f, ThrottleFallbackWarning) for f in limiter_log.filters):
        limiter_log.addFilter(ThrottleFallbackWarning())

SIGN_IN_PAUSED = ("There have been too many failed sign-ins for this account or from this network. Please "
                  "wait a few minutes and try again, or sign in from a computer or tablet you have used lsweb on "
                  "before (it is not held back), or use “Forgotten your password?” on the sign-in page to "
                  "get a link by e-mail.")


def set_security_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    if request.endpoint != "static" and "no-store" not in headers.get("Cache-Control", ""):
        # No page, fragment or download (record.md, exports, booklets, the data ZIP, calendars) lingers in
        # the cache of a shared staff laptop or a proxy: only the public static files may be cached.
        headers["Cache-Control"] = "no-store"
    return response


def secure_cookies_over_https(response):
    """LSWEB_SECURE_COOKIES=auto: a cookie set on a request that came over HTTPS gets the Secure flag.

    Registered before the extensions (see create_app), so it runs after their hooks, Flask-Login's
    remember cookie included. The session cookie, saved after every hook, gets the flag from the
    session interface (lsweb/auth/cookie_session.py).
    """
    from flask import current_app

    if current_app.config["LSWEB"]["SECURE_COOKIES"] != "auto" or not request.is_secure:
        return response
    cookies = response.headers.getlist("Set-Cookie")
    if cookies:
        response.headers.remove("Set-Cookie")
        for cookie in cookies:
            if "; secure" not in cookie.lower():
                cookie += "; Secure"
            response.headers.add("Set-Cookie", cookie)
    return response


def error_response(code: int, detail: str | None = None):
    title, text = ERROR_TEXT.get(code, ERROR_TEXT[500])
    if detail:
        text = detail
    if is_fragment_request():
        if code == 507:
            text = DISK_FULL  # the text is still in the form the fragment came from
        body = render_template("errors/error_fragment.html", code=code, title=title, text=text)
        response = html_response(body, code)
        # Show the message where flashes appear, whatever the request was aiming at.
        response.headers["HX-Retarget"] = "#flash"
        response.headers["HX-Reswap"] = "innerHTML"
        return response
    return html_response(render_template("errors/error.html", code=code, title=title, text=text), code)


def register_error_pages(app: Flask) -> None:
    from . import diskfull
    from .web import register_domain_errors

    register_domain_errors(app)
    diskfull.register(app, lambda: error_response(diskfull.STATUS))
    for code in (400, 403, 404, 405, 413):
        app.register_error_handler(code, lambda e, code=code: error_response(code))

    @app.errorhandler(429)
    def _too_many(error):
        if request.endpoint == "auth.login":
            return error_response(429, SIGN_IN_PAUSED)
        return error_response(429)

    @app.errorhandler(SignFirst)
    def _sign_first(error: SignFirst):
        flash(f"Sign the group's current protocol to see {error.what}.", "info")
        return see_other(url_for("protocol.show", group_id=error.group_id))

    @app.errorhandler(CSRFError)
    def _csrf(error):
        # Say why in the log: behind a proxy that drops the port from Host, every form fails here.
        logging.getLogger("lsweb.security").warning(
            "form refused (%s) on %s %s: Host %r, Referer %r. Behind a reverse proxy, pass the browser's Host "
            "with its port (nginx: proxy_set_header Host $http_host) and set LSWEB_TRUSTED_PROXIES.",
            error.description, request.method, request.path, request.host, request.referrer)
        return error_response(400, "This form has expired or was not sent from lsweb (the security token "
                                   "is missing or wrong). Reload the page and try again; what you typed "
                                   "may need to be entered again.")

    @app.errorhandler(500)
    def _server_error(error):
        from .extensions import db

        db.session.rollback()
        return error_response(500)
