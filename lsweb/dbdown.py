"""The database is not answering (PostgreSQL restarting for an update, crashed, out of reach): every
request meanwhile is answered 503 with Retry-After and a message that says so, never a bare 500. The
page keeps what was typed: the co-editing client and the notes script send it again on any 5xx, and a
form page is still there behind the error page (the browser's Back button). Nothing of the request is
kept (its transaction never committed), so the save sent again is stored once.

Recognised by what the driver says: SQLAlchemy marks an error that cost it the connection
(connection_invalidated), PostgreSQL's SQLSTATE classes 08 (connection exception) and 57P01-57P03 (the
server shutting down, crashed, starting up), and psycopg's own "connection failed" before any SQLSTATE.
"""

from __future__ import annotations

import logging

from flask import current_app, jsonify, request

from .web import html_response, is_fragment_request

log = logging.getLogger("lsweb.dbdown")

STATUS = 503
RETRY_AFTER_SECONDS = 5
MESSAGE = ("The database is not answering: your text is kept on this page and sent again as soon as it "
           "answers. If this lasts, tell your school's IT technician.")
SHUTDOWN_SQLSTATES = {"57P01", "57P02", "57P03"}
WORDS = ("connection failed", "connection refused", "server closed the connection", "connection is closed",
         "consuming input failed", "could not connect", "connection timeout expired")


def is_database_down(error: BaseException | None) -> bool:
    """Whether `error` (or what it wraps) says the database cannot be reached."""
    seen = 0
    while error is not None and seen < 5:
        if getattr(error, "connection_invalidated", False):
            return True
        state = getattr(error, "sqlstate", None)
        if state and (state.startswith("08") or state in SHUTDOWN_SQLSTATES):
            return True
        if type(error).__name__ in ("OperationalError", "InterfaceError") and any(
                word in str(error).lower() for word in WORDS):
            return True
        error = getattr(error, "orig", None) or error.__cause__
        seen += 1
    return False


def answer(error: BaseException):
    """503 with Retry-After: JSON to a script, the message where flashes show for htmx, else a page of
    its own (the usual layout asks the database who is signed in)."""
    first = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
    log.error("The database is not answering: %s %s was not saved (%s). lsweb carries on as soon as it "
              "answers.", request.method, request.path, first)
    wants_json = request.is_json or request.accept_mimetypes.best_match(
        ["text/html", "application/json"]) == "application/json"
    if is_fragment_request():
        body = _render("errors/error_fragment.html", title="The database is not answering",
                       text=MESSAGE.split(": ", 1)[1])
        response = html_response(body, STATUS)
        response.headers["HX-Retarget"] = "#flash"
        response.headers["HX-Reswap"] = "innerHTML"
    elif wants_json:
        response = jsonify(error=MESSAGE, database_down=True)
        response.status_code = STATUS
    else:
        response = html_response(_render("errors/database_down.html", text=MESSAGE), STATUS)
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _render(template: str, **context) -> str:
    """A template without the context processors: Flask-Login's loads the signed-in user, which needs
    the database."""
    return current_app.jinja_env.get_template(template).render(**context)
