"""Live updates: pages listen on one Server-Sent Events stream each (`GET /live/<channel>`).

    from lsweb import live

    live.register_channel("group", can_view_group_by_id)    # once, at import time of the feature
    ...
    db.session.commit()
    live.publish(f"group-{group.id}", "signature-added", {"id": signature.id, "version": 3})

A channel is "<prefix>-<key>" ("group-12"); the function registered for the prefix is called as
authorise(current_user, "12") and says whether the user may see the page the channel serves.
In templates: `<div hx-ext="sse" sse-connect="/live/group-12">` around live regions that re-fetch
themselves with `hx-trigger="sse:resync, sse:signature-added"`. Every stream starts with a `resync`
event (and gets another when events may have been missed), so correctness rests on the re-fetch,
never on delivery. The broker is in memory for one process, Redis pub/sub when LSWEB_REDIS_URL is set.
"""

from __future__ import annotations

import json
import logging
import re
import signal
import threading
from typing import Callable

from flask import Blueprint, Flask, current_app

from .broker import Broker, MemoryBroker, RedisBroker

log = logging.getLogger("lsweb.live")

EXTENSION_KEY = "lsweb.live"
PREFIX_PATTERN = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*\Z")
KEY_PATTERN = re.compile(r"[A-Za-z0-9_.]+(?:-[A-Za-z0-9_.]+)*\Z")
EVENT_PATTERN = re.compile(r"[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*\Z")  # usable in hx-trigger="sse:<name>"
MAX_CHANNEL_LENGTH = 200

bp = Blueprint("live", __name__, url_prefix="/live")

_channels: dict[str, Callable] = {}


def register_channel(prefix: str, authorise: Callable) -> None:
    """Serve channels "<prefix>-<key>"; authorise(user, key) -> True when the user may see the page."""
    if not PREFIX_PATTERN.match(prefix):
        raise ValueError(f"live channel prefix {prefix!r}: use lowercase letters, digits and inner hyphens")
    if _channels.get(prefix, authorise) is not authorise:
        raise ValueError(f"live channel prefix {prefix!r} is already registered to another function "
                         "(register a module-level function, the same one every time an app is made)")
    _channels[prefix] = authorise


def find_channel(channel: str) -> tuple[Callable, str] | None:
    """(authorise, key) for a channel name, or None when no registered prefix serves it."""
    if len(channel) > MAX_CHANNEL_LENGTH:
        return None
    best = None
    for prefix, authorise in _channels.items():
        if channel.startswith(prefix + "-") and (best is None or len(prefix) > len(best[0])):
            best = (prefix, authorise)
    if best is None:
        return None
    key = channel[len(best[0]) + 1:]
    return (best[1], key) if KEY_PATTERN.match(key) else None


def publish(channel: str, event: str, data: dict | None = None) -> None:
    """Tell every stream of `channel` that `event` happened. Call it AFTER the database commit.

    A bad channel or event name, or data that is not JSON, is a programming error and raises; a broker
    that is away (Redis down) is logged and never raises: clients catch up with a resync on reconnect.
    """
    if len(channel) > MAX_CHANNEL_LENGTH or "-" not in channel or not KEY_PATTERN.match(channel):
        raise ValueError(f"invalid live channel name {channel!r}")
    if not EVENT_PATTERN.match(event):
        raise ValueError(f"invalid live event name {event!r}")
    payload = json.dumps(data or {}, separators=(",", ":"), ensure_ascii=False)
    _warn_if_uncommitted(channel, event)
    try:
        get_broker().publish(channel, event, payload)
    except Exception:  # noqa: BLE001  (the write is committed; the stream will resync)
        log.exception("live: could not publish %s on %s", event, channel)


def _warn_if_uncommitted(channel: str, event: str) -> None:
    from ..extensions import db

    session = db.session
    if session.registry.has() and (session.new or session.dirty or session.deleted):
        log.warning("live: %s on %s published before the database commit", event, channel)


def get_broker(app: Flask | None = None) -> Broker:
    app = app or current_app
    return app.extensions[EXTENSION_KEY]


def init_app(app: Flask) -> Broker:
    """Give the app its broker: Redis pub/sub when REDIS_URL is set, else in memory (one process)."""
    settings = app.config["LSWEB"]
    redis_url = settings.get("REDIS_URL")
    broker: Broker = RedisBroker(redis_url) if redis_url else MemoryBroker()
    app.extensions[EXTENSION_KEY] = broker
    _close_on_sigterm(broker)
    return broker


def _close_on_sigterm(broker: Broker) -> None:
    """Under gunicorn, SIGTERM starts a graceful stop that waits for open requests: open streams would
    hold the worker for the whole graceful timeout. So the broker is closed first, which ends every
    stream at once (browsers reconnect to another worker and resync). Only chains onto a handler a
    server installed; the default handler (tests, `flask run`, the CLI) is left alone."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "SIGTERM"):
        return
    previous = signal.getsignal(signal.SIGTERM)
    if not callable(previous):
        return

    def _on_sigterm(signum, frame):
        threading.Thread(target=broker.close, name="lsweb-live-close", daemon=True).start()
        previous(signum, frame)

    signal.signal(signal.SIGTERM, _on_sigterm)


from . import views  # noqa: E402,F401  (registers the stream route on bp)
