"""The signed-cookie session: Secure over HTTPS (LSWEB_SECURE_COOKIES=auto), and re-sent only when it
changed or is more than a minute old.

Flask re-signs and re-sends a permanent session's cookie on every response so that the idle timeout
slides. That costs a signature and a Set-Cookie header on every request; refreshing it at most once a
minute keeps the idle timeout (LSWEB_SESSION_IDLE_MINUTES) to within a minute and saves both.
"""

from __future__ import annotations

import time

from flask import request
from flask.sessions import SecureCookieSessionInterface

REFRESH_AFTER_SECONDS = 60
STAMP = "_r"


class ThrottledRefreshSessionInterface(SecureCookieSessionInterface):
    def get_cookie_secure(self, app) -> bool:
        """LSWEB_SECURE_COOKIES=auto: Secure when the request came over HTTPS."""
        if app.config["LSWEB"]["SECURE_COOKIES"] == "auto":
            return request.is_secure
        return super().get_cookie_secure(app)

    def should_set_cookie(self, app, session) -> bool:
        if session.modified:
            session[STAMP] = int(time.time())
            return True
        if not (session.permanent and app.config["SESSION_REFRESH_EACH_REQUEST"]):
            return False
        now = int(time.time())
        if now - int(session.get(STAMP, 0)) >= REFRESH_AFTER_SECONDS:
            session[STAMP] = now
            return True
        return False
