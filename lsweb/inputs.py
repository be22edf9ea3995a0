"""What a request may carry, checked once for every route: numbers read the same everywhere, no NUL
byte reaches the database, and a body the view cannot read as a form is refused with a clear 4xx
(never a 500 further on).

- Ids in paths (`<int:...>`) are ASCII digits from 1 to 2^63 - 1 (the databases' integer); anything
  else is a page that does not exist (404).
- Ids and version numbers read from forms and query strings go through `parse_id` / `ascii_int`:
  ASCII digits only ("²" and "٣" pass str.isdigit(), and int() reads "1_000" and " 7 "), bounded.
- A NUL byte (PostgreSQL refuses it in text) is taken out of every form and query value; in a path
  it is a page that does not exist.
- A JSON body, or files, sent to a form that takes neither is refused (400), so a list, a number or a
  file never reaches a form's validators. Views that take them say so with `accepts("json")` or
  `accepts("files")`.
- A number too large for the database in anything a request writes or looks up is answered 400 by
  the database's guard (`guard_numbers`), whatever route it came through.
"""

from __future__ import annotations

from flask import Flask, abort, current_app, request
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.routing import IntegerConverter

MAX_ID = 2 ** 63 - 1
MIN_INT = -(2 ** 63)
STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
BODY_REFUSED = "This address takes a form as a browser sends it; what was sent could not be read as one."


class InputOutOfRange(ValueError):
    """A number in the request is beyond what the database stores."""


def ascii_int(text, maximum: int = MAX_ID, minimum: int = 0) -> int | None:
    """`text` as an integer when it is only ASCII digits within [minimum, maximum]; else None."""
    if not isinstance(text, str) or not text or len(text) > 19 or not (text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if minimum <= value <= maximum else None


def parse_id(text) -> int | None:
    """A row id from a form or query string (1 .. 2^63 - 1), or None."""
    return ascii_int(text, MAX_ID, 1)


class BoundedIntConverter(IntegerConverter):
    """`<int:...>` in lsweb's paths: ASCII digits, 1 .. 2^63 - 1 unless the rule says otherwise."""

    regex = r"[1-9][0-9]{0,18}"  # (2^63 has 19 digits: more, or a leading 0, is no match at all)

    def __init__(self, map, fixed_digits=0, min=1, max=MAX_ID, signed=False):  # noqa: A002  (werkzeug's names)
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def accepts(*kinds: str):
    """Mark a view that reads a JSON body ("json") or uploaded files ("files")."""

    def mark(view):
        view.lsweb_accepts = frozenset(kinds)
        return view

    return mark


def _without_nul(values: ImmutableMultiDict) -> ImmutableMultiDict | None:
    if not any("\x00" in key or (isinstance(value, str) and "\x00" in value)
               for key, value in values.items(multi=True)):
        return None
    return ImmutableMultiDict([(key.replace("\x00", ""), value.replace("\x00", "") if isinstance(value, str) else value)
                               for key, value in values.items(multi=True)])


def _check_request():
    if any(isinstance(value, str) and "\x00" in value for value in (request.view_args or {}).values()):
        abort(404)
    cleaned = _without_nul(request.args)
    if cleaned is not None:
        request.__dict__["args"] = cleaned  # werkzeug caches the parsed query here
        request.__dict__.pop("values", None)
    if request.method not in STATE_CHANGING or request.endpoint is None:
        return None
    view = current_app.view_functions.get(request.endpoint)
    takes = getattr(view, "lsweb_accepts", frozenset())
    if request.is_json and "json" not in takes:
        return _refused()
    if request.files and "files" not in takes:
        return _refused()
    cleaned = _without_nul(request.form)
    if cleaned is not None:
        request.__dict__["form"] = cleaned  # the parsed body, as werkzeug keeps it
        request.__dict__.pop("values", None)
    return None


def _refused():
    from .security import error_response

    return error_response(400, BODY_REFUSED)


def _out_of_range(values) -> bool:
    if isinstance(values, dict):
        values = values.values()
    elif not isinstance(values, (list, tuple)):
        return False
    for value in values:
        if isinstance(value, bool):
            continue
        if isinstance(value, int) and not MIN_INT <= value <= MAX_ID:
            return True
        if isinstance(value, (list, tuple, dict)) and _out_of_range(value):
            return True
    return False


def guard_numbers(engine) -> None:
    """Refuse (InputOutOfRange, answered 400) a statement carrying an integer the database cannot
    store, before the driver fails on it (SQLite: OverflowError; PostgreSQL: out of range)."""
    from sqlalchemy import event

    @event.listens_for(engine, "before_cursor_execute")
    def _check(_conn, _cursor, _statement, parameters, _context, executemany):
        if parameters and _out_of_range(parameters):
            raise InputOutOfRange("A number in what was sent is too large.")


def init_app(app: Flask) -> None:
    """Before the blueprints: the converter applies to the rules as they are added."""
    app.url_map.converters["int"] = BoundedIntConverter
    app.before_request(_check_request)

    from .security import error_response

    @app.errorhandler(InputOutOfRange)
    def _too_large(_error):
        from .extensions import db

        db.session.rollback()
        return error_response(400, "A number in what was sent is too large: correct it and send again.")

    @app.errorhandler(OverflowError)
    def _overflow(_error):
        from .extensions import db

        db.session.rollback()
        return error_response(400, "A number in what was sent is too large: correct it and send again.")
