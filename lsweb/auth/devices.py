"""Devices an account signed in from before, remembered in a signed cookie, so that someone failing
to sign in as a person elsewhere cannot lock that person out of their own laptop.

The cookie (`lsweb_device`, HttpOnly, a year) holds a random device id and, for each account that
signed in on it (at most ten, newest first), a keyed hash of the e-mail address: not the address, so a
shared tablet does not list who used it. A sign-in from a known device for that account skips the
per-address and per-account ceilings and is counted against that device and account only. A password
set through an e-mailed link makes the browser that opened the link a known device too.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from flask import current_app, request
from itsdangerous import BadSignature, URLSafeTimedSerializer

COOKIE = "lsweb_device"
SALT = "lsweb-known-device"
DAYS = 365
MAX_ACCOUNTS = 10


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def _tag(email: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, b"device:" + email.strip().lower().encode(), hashlib.sha256).hexdigest()[:24]


def _read() -> tuple[str | None, list[str]]:
    raw = request.cookies.get(COOKIE)
    if not raw:
        return None, []
    try:
        value = _serializer().loads(raw, max_age=DAYS * 86400)
        device, tags = str(value["d"]), [str(tag) for tag in value["a"]][:MAX_ACCOUNTS]
    except (BadSignature, KeyError, TypeError, ValueError):
        return None, []
    return device, tags


def known_device(email: str) -> str | None:
    """This browser's device id when `email`'s account signed in on it before, else None."""
    device, tags = _read()
    return device if device and email and _tag(email) in tags else None


def remember_device(response, email: str) -> None:
    """Add `email`'s account to this browser's known-device cookie."""
    device, tags = _read()
    tag = _tag(email)
    tags = [tag, *(t for t in tags if t != tag)][:MAX_ACCOUNTS]
    value = _serializer().dumps({"d": device or secrets.token_urlsafe(16), "a": tags})
    response.set_cookie(COOKIE, value, max_age=DAYS * 86400, httponly=True, samesite="Lax",
                        secure=current_app.config["SESSION_COOKIE_SECURE"])
