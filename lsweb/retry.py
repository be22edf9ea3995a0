"""A state-changing request whose transaction the database gave up on (a deadlock or a serialisation
failure on PostgreSQL, "database is locked" on SQLite) runs again, a few times, inside the server:
nobody sees an error page for a collision that trying again resolves.

A view's writes are its service's transaction: on such an error nothing of it was kept (the database
rolled it back), live events queued on the session are dropped with it, and the view runs again from
the start with the same form (uploaded files rewound). Views that commit more than once are written so
that running them again finds what the first run committed (a document that exists, a post with the
same form token, a text already saved) and does not do it twice.
"""

from __future__ import annotations

import functools
import logging
import random
import sqlite3
import time

from flask import Flask, g, request, session
from sqlalchemy.exc import DBAPIError

from .database import start_again

log = logging.getLogger("lsweb.retry")
TRIES = 4
STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
RETRYABLE_SQLSTATES = {"40001", "40P01"}  # serialization_failure, deadlock_detected
_REQUEST_STATE = ("refused_to", "refusal_answer", "refusal_flashes")


def retryable(error: BaseException) -> bool:
    """Whether trying the same transaction again may well succeed."""
    if not isinstance(error, DBAPIError):
        return False
    original = error.orig
    if getattr(original, "sqlstate", None) in RETRYABLE_SQLSTATES:
        return True
    return isinstance(original, sqlite3.OperationalError) and "locked" in str(original)


def _start_again(flashes) -> None:
    from .extensions import db

    db.session.rollback()
    start_again()  # the next transaction begins as the request's first (BEGIN IMMEDIATE on SQLite)
    for name in _REQUEST_STATE:
        g.pop(name, None)
    if flashes is None:
        session.pop("_flashes", None)
    else:
        session["_flashes"] = flashes
    for upload in request.files.values():
        try:
            upload.stream.seek(0)
        except (AttributeError, OSError, ValueError):
            pass


def retrying(view):
    @functools.wraps(view)
    def run(*args, **kwargs):
        if request.method not in STATE_CHANGING:
            return view(*args, **kwargs)
        flashes = list(session["_flashes"]) if "_flashes" in session else None
        for attempt in range(1, TRIES + 1):
            try:
                return view(*args, **kwargs)
            except DBAPIError as error:
                if attempt == TRIES or not retryable(error):
                    raise
                log.warning("%s %s: the database gave up on the transaction (%s); trying again (%d of %d)",
                            request.method, request.path, str(error.orig).splitlines()[0], attempt + 1, TRIES)
                _start_again(flashes)
                time.sleep(random.uniform(0.01, 0.05) * 2 ** attempt)
        raise AssertionError("unreachable")

    return run


def init_app(app: Flask) -> None:
    """Every view that answers a state-changing method retries (call after the blueprints)."""
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules() if rule.methods & STATE_CHANGING}
    for endpoint in endpoints:
        app.view_functions[endpoint] = retrying(app.view_functions[endpoint])
