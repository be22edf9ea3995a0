"""Live updates: pages listen on one Server-Sent Events stream each (`GET /live/<channel>`).

    from lsweb import live

    GROUP = live.Channel("group", authorise=can_view_group_by_id)   # declared once by its domain
    ...
    live.queue(db.session, GROUP.name(group.id), "signature-added", {"id": signature.id})  # in the service
    db.session.commit()                                              # sent now, once; dropped on rollback

A channel is "<prefix>-<key>" ("group-12"); its `authorise(current_user, "12")` says whether the user may
see the page the channel serves. Services queue events on the database session; an `after_commit` hook
sends them once the transaction is over (no write lock is held while publishing), and a rollback drops
them. Views never publish. In templates: `stream_open(channel=GROUP.name(group.id))` (macros/live.html)
around live regions that re-fetch themselves with `hx-trigger="sse:resync, sse:signature-added"`.
Every stream starts with a `resync` event (and gets another when events may have been missed), so
correctness rests on the re-fetch, never on delivery. The broker is in memory for one process, Redis
pub/sub when LSWEB_REDIS_URL is set.
"""

from __future__ import annotations

import json
import logging
import re
import signal
import threading
from typing import Callable

from flask import Blueprint, Flask, current_app
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from .broker import Broker, MemoryBroker, RedisBroker

log = logging.getLogger("lsweb.live")

EXTENSION_KEY = "lsweb.live"
PREFIX_PATTERN = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*\Z")
KEY_PATTERN = re.compile(r"[A-Za-z0-9_.]+(?:-[A-Za-z0-9_.]+)*\Z")
EVENT_PATTERN = re.compile(r"[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*\Z")  # usable in hx-trigger="sse:<name>"
MAX_CHANNEL_LENGTH = 200
PENDING_KEY, BROKER_KEY = "lsweb.live.pending", "lsweb.live.broker"

bp = Blueprint("live", __name__, url_prefix="/live")

_channels: dict[str, Callable] = {}
declared: dict[str, Channel] = {}  # templates: channels["lesson"].name(lesson.id)


class Channel:
    """A declared live channel: its name prefix and who may subscribe. Made once, at import time of the
    domain that serves it; `Channel("lesson", authorise=f).name(12)` is "lesson-12"."""

    def __init__(self, prefix: str, authorise: Callable):
        register_channel(prefix, authorise)
        self.prefix, self.authorise = prefix, authorise
        declared[prefix] = self

    def name(self, key) -> str:
        return f"{self.prefix}-{key}"

    def __repr__(self) -> str:
        return f"<live.Channel {self.prefix!r}>"


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


def _checked(channel, event: str, data: dict | None) -> tuple[str, str, str]:
    """A bad channel or event name, or data that is not JSON, is a programming error and raises."""
    channel = str(channel)
    if len(channel) > MAX_CHANNEL_LENGTH or "-" not in channel or not KEY_PATTERN.match(channel):
        raise ValueError(f"invalid live channel name {channel!r}")
    if not EVENT_PATTERN.match(event):
        raise ValueError(f"invalid live event name {event!r}")
    return channel, event, json.dumps(data or {}, separators=(",", ":"), ensure_ascii=False)


def queue(session, channel: str, event: str, data: dict | None = None) -> None:
    """Send `event` on `channel` once `session` commits (nothing is sent if it rolls back). Same event
    twice on one channel in one transaction is sent once."""
    message = _checked(channel, event, data)
    pending = session.info.setdefault(PENDING_KEY, [])
    if message not in pending:
        pending.append(message)
    session.info[BROKER_KEY] = get_broker()


def publish(channel: str, event: str, data: dict | None = None) -> None:
    """Send at once, outside any transaction: for what is not a database change (presence, awareness).
    A database change is queued on the session instead (`queue`), so it is sent after its commit."""
    message = _checked(channel, event, data)
    _warn_if_uncommitted(channel, event)
    _send(get_broker(), [message])


def _warn_if_uncommitted(channel: str, event: str) -> None:
    from ..extensions import db

    session = db.session
    if session.registry.has() and (session.new or session.dirty or session.deleted):
        log.warning("live: %s on %s published before the database commit (queue it on the session)",
                    event, channel)


def _send(broker: Broker, messages) -> None:
    """A broker that is away (Redis down) is logged and never raises: clients resync on reconnect."""
    for channel, event, payload in messages:
        try:
            broker.publish(channel, event, payload)
        except Exception:  # noqa: BLE001  (the write is committed; the stream will resync)
            log.exception("live: could not publish %s on %s", event, channel)


@sa_event.listens_for(Session, "after_commit")
def _after_commit(session) -> None:
    """The transaction is over (SQLite's write lock released): send what it queued, once. (A savepoint
    released inside it fires this too: its events wait for the outer commit.)"""
    if session.in_nested_transaction():
        return
    messages = session.info.pop(PENDING_KEY, None)
    broker = session.info.pop(BROKER_KEY, None)
    if messages and broker is not None:
        _send(broker, messages)


@sa_event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session, previous_transaction) -> None:
    if previous_transaction.parent is None:  # the whole transaction, not a savepoint within it
        session.info.pop(PENDING_KEY, None)
        session.info.pop(BROKER_KEY, None)


@sa_event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(session, transaction) -> None:
    if transaction.parent is None:  # ended without a commit (closed): what it queued is dropped
        session.info.pop(PENDING_KEY, None)
        session.info.pop(BROKER_KEY, None)


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
