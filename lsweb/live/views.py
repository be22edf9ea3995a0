"""GET /live/<channel>: the Server-Sent Events stream of one page."""

from __future__ import annotations

import threading
from typing import Iterator

from flask import Response, abort, current_app
from flask_login import current_user, login_required

from ..extensions import db
from . import bp, find_channel, get_broker
from .broker import Broker, Closed, Message
from .caps import stream_counts, stream_keys

# Sent at once: some proxies hold a response back until its first bytes arrive. `retry` is how long a
# browser waits before reconnecting (htmx's sse extension backs off further when the server refuses).
OPENING = ": lsweb live stream\nretry: 3000\n\n"
KEEPALIVE = ": keep-alive\n\n"


@bp.get("/<channel>")
@login_required
def stream(channel: str):
    """Authorised like the page it serves (404 for anyone who may not see it, or an unknown channel)."""
    found = find_channel(channel)
    if found is None:
        abort(404)
    authorise, key = found
    if not authorise(current_user._get_current_object(), key):
        abort(404)
    settings = current_app.config["LSWEB"]
    keepalive = float(settings["LIVE_KEEPALIVE_SECONDS"])
    counts, keys = stream_counts(current_app), stream_keys(current_user)
    if not counts.acquire(keys, settings["LIVE_STREAMS_MAX"]):
        db.session.remove()
        return too_many_streams()
    # A stream lasts for hours: it must not hold a database connection (or a transaction) meanwhile.
    db.session.remove()
    response = Response(event_stream(get_broker(), channel, keepalive), mimetype="text/event-stream")
    # Released when the server closes the response: the tab went away (its write, at the latest the
    # next keep-alive, failed), the broker closed, or the body was never read.
    released = threading.Event()

    def release():
        if not released.is_set():
            released.set()
            counts.release(keys)

    response.call_on_close(release)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Accel-Buffering"] = "no"  # nginx: pass each event on at once
    return response


def too_many_streams() -> Response:
    """429: the page falls back to refreshing its live regions every few seconds (static/js/live.js)."""
    response = Response("Too many live pages are open for this account. This page refreshes itself "
                        "every few seconds instead; close other lsweb tabs to get instant updates back.\n",
                        status=429, mimetype="text/plain")
    response.headers["Retry-After"] = "60"
    response.headers["Cache-Control"] = "no-store"
    return response


def event_stream(broker: Broker, channel: str, keepalive: float) -> Iterator[str]:
    """The stream's body: the opening comment, then each message (the first is a resync), and a
    keep-alive comment after `keepalive` quiet seconds. A client that went away makes the server's
    write fail (at the latest on the next keep-alive) and the server closes this generator; the
    broker closing (shutdown) ends it. Either way the subscription is dropped.

    It subscribes on its first step, not in the view: a body that is never iterated (HEAD, a client
    gone before the first byte) then leaves nothing subscribed behind."""
    subscription = broker.subscribe(channel)
    try:
        yield OPENING
        while True:
            try:
                message = subscription.get(timeout=keepalive)
            except Closed:
                return
            yield KEEPALIVE if message is None else format_message(message)
    finally:
        broker.unsubscribe(subscription)


def format_message(message: Message) -> str:
    """One SSE message. The data is single-line JSON (json.dumps escapes newlines). Ids count up within
    one process only; the Last-Event-ID a reconnecting browser sends is not used: the resync that opens
    every stream is the catch-up."""
    head = f"id: {message.id}\n" if message.id is not None else ""
    return f"{head}event: {message.event}\ndata: {message.data}\n\n"
