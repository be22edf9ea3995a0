"""Logging: plain text by default; LSWEB_LOG_FORMAT=json gives one JSON object per line (time, level,
logger, message, and for requests: request id, method, path, status, duration), for log collectors.

Every request gets an id (the X-Request-ID a proxy sent, when it looks like one, or a new one), returned
in the X-Request-ID response header, so a user's report can be matched with the log line.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import datetime, timezone

from flask import Flask, g, request

REQUEST_FIELDS = ("request_id", "method", "path", "status", "duration_ms", "remote_addr")
REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}\Z")
request_log = logging.getLogger("lsweb.request")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for field in REQUEST_FIELDS:
            value = getattr(record, field, None)
            if value is not None:
                entry[field] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def gunicorn_logconfig(log_format: str) -> dict | None:
    """gunicorn's own log lines (start, stop, worker errors) in the same format; its access log is off
    in JSON mode, where lsweb.request logs every request instead."""
    if log_format != "json":
        return None
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "lsweb.logs.JsonFormatter"}},
        "handlers": {"json": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}},
        "root": {"level": "INFO", "handlers": ["json"]},
        "loggers": {"gunicorn.error": {"level": "INFO", "handlers": ["json"], "propagate": False},
                    "gunicorn.access": {"level": "INFO", "handlers": [], "propagate": False}},
    }


def init_app(app: Flask) -> None:
    settings = app.config["LSWEB"]
    logger = logging.getLogger("lsweb")
    logger.setLevel(settings["LOG_LEVEL"])
    json_mode = (settings.get("LOG_FORMAT") or "text").lower() == "json"
    app.config["LSWEB_LOG_JSON"] = json_mode
    if json_mode and not any(getattr(h, "lsweb_json", False) for h in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        handler.lsweb_json = True
        logger.addHandler(handler)
        logger.propagate = False

    @app.before_request
    def _start_request():
        g.request_started = time.perf_counter()
        sent = request.headers.get("X-Request-ID", "")
        g.request_id = sent if REQUEST_ID.match(sent) else uuid.uuid4().hex

    @app.after_request
    def _log_request(response):
        request_id = g.get("request_id")
        if request_id:
            response.headers["X-Request-ID"] = request_id
        if app.config["LSWEB_LOG_JSON"] and request_id:
            duration = round((time.perf_counter() - g.request_started) * 1000, 1)
            request_log.info("%s %s %s", request.method, request.path, response.status_code, extra={
                "request_id": request_id, "method": request.method, "path": request.path,
                "status": response.status_code, "duration_ms": duration, "remote_addr": request.remote_addr})
        return response
