"""GET /health for monitoring (database and Redis reachability), and JSON logs (LSWEB_LOG_FORMAT=json)."""

from __future__ import annotations

import io
import json
import logging

from lsweb import __version__
from lsweb.logs import JsonFormatter, gunicorn_logconfig
from lsweb.server import gunicorn_options


def test_health_reports_the_database(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "version": __version__, "database": "ok", "redis": "not configured"}
    assert response.headers["Cache-Control"] == "no-store"


def test_health_answers_503_when_the_database_is_away(make_app):
    app = make_app(DATABASE_URL="postgresql+psycopg://nobody@127.0.0.1:9/nowhere?connect_timeout=2")
    response = app.test_client().get("/health")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable", "version": __version__, "database": "unavailable", "redis": "not configured"}


def test_health_answers_503_when_redis_is_away(make_app):
    app = make_app(REDIS_URL="redis://127.0.0.1:9/0")
    response = app.test_client().get("/health")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable", "version": __version__, "database": "ok", "redis": "unavailable"}


def test_json_logs_give_one_object_per_request(make_app):
    app = make_app(LOG_FORMAT="json")
    handlers = [h for h in logging.getLogger("lsweb").handlers if isinstance(h.formatter, JsonFormatter)]
    assert handlers, "LSWEB_LOG_FORMAT=json installs a JSON handler on the lsweb logger"
    client = app.test_client()
    handlers[0].stream = io.StringIO()  # what the server would write to stderr
    response = client.get("/login", headers={"X-Request-ID": "req-12345678"})
    other = client.get("/nowhere", headers={"X-Request-ID": "bad id <script>"})
    assert response.headers["X-Request-ID"] == "req-12345678"
    assert len(other.headers["X-Request-ID"]) == 32  # a new id when none (or a strange one) is sent
    lines = handlers[0].stream.getvalue().splitlines()
    assert len(lines) == 2
    first, second = (json.loads(line) for line in lines)
    assert first["level"] == "INFO" and first["logger"] == "lsweb.request"
    assert first["message"] == "GET /login 200"
    assert (first["request_id"], first["method"], first["path"], first["status"]) == (
        "req-12345678", "GET", "/login", 200)
    assert isinstance(first["duration_ms"], float) and first["time"].endswith("+00:00")
    assert (second["path"], second["status"]) == ("/nowhere", 404)
    for handler in handlers:  # leave the logger as other tests expect it
        logging.getLogger("lsweb").removeHandler(handler)
    logging.getLogger("lsweb").propagate = True


def test_text_logs_by_default_log_no_request_lines(client, caplog):
    with caplog.at_level(logging.INFO, logger="lsweb.request"):
        client.get("/login")
    assert not [r for r in caplog.records if r.name == "lsweb.request"]


def test_an_exception_is_one_json_line():
    try:
        raise ValueError("broken")
    except ValueError:
        record = logging.getLogger("lsweb.test").makeRecord("lsweb.test", logging.ERROR, __file__, 1,
                                                           "it failed", (), exc_info=__import__("sys").exc_info())
    line = JsonFormatter().format(record)
    assert "\n" not in line
    assert json.loads(line)["exception"].endswith("ValueError: broken")


def test_gunicorn_logs_json_too():
    options = gunicorn_options("127.0.0.1", 8000, 1, 8, log_format="json")
    assert options["accesslog"] is None
    assert options["logconfig_dict"] == gunicorn_logconfig("json")
    assert "logconfig_dict" not in gunicorn_options("127.0.0.1", 8000, 1, 8)
