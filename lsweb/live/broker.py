"""Brokers carry live events from the code that publishes them to the open streams of one process.

Every stream holds a `Subscription`: a small bounded queue of messages. A broker fans each published
event out to the subscriptions of its channel without ever waiting for a stream: a subscription that
is full (a slow or stalled client) has its backlog replaced by one `resync`, which makes the client
re-fetch its live regions, so nothing is lost and the publisher never blocks.

- `MemoryBroker`: fan-out inside one server process (the default; only valid with exactly one process).
- `RedisBroker`: events go through Redis pub/sub, so every process (and host) sees them. One pub/sub
  connection per process, with a listener thread that dispatches to the local subscriptions; it
  reconnects when Redis goes away and then tells every local stream to resync, because Redis drops
  what is published while nobody listens.
"""

from __future__ import annotations

import itertools
import logging
import os
import threading
import time
from collections import deque
from typing import NamedTuple

log = logging.getLogger("lsweb.live")

QUEUE_SIZE = 100  # messages a stream may fall behind before it is sent one resync instead
RESYNC = "resync"
EMPTY_DATA = "{}"


class Message(NamedTuple):
    id: int | None  # None for resync: it is not an event of the channel, it says "refresh everything"
    event: str
    data: str  # JSON text


class Closed(Exception):
    """The broker was closed (server shutdown): the stream ends and the browser reconnects elsewhere."""


class Subscription:
    """What one stream receives: a bounded queue that never blocks the sender."""

    def __init__(self, channel: str, maxsize: int = QUEUE_SIZE):
        self.channel = channel
        self.maxsize = maxsize
        self.closed = False
        self._items: deque[Message] = deque()
        self._ready = threading.Condition(threading.Lock())

    def put(self, message: Message) -> None:
        with self._ready:
            if self.closed:
                return
            if len(self._items) >= self.maxsize:
                # Too far behind: everything queued is replaced by one "refresh your live regions".
                self._items.clear()
                message = Message(None, RESYNC, EMPTY_DATA)
            elif message.event == RESYNC and self._items and self._items[-1].event == RESYNC:
                return  # one pending resync is enough
            self._items.append(message)
            self._ready.notify()

    def get(self, timeout: float) -> Message | None:
        """The next message, or None after `timeout` seconds without one. Raises Closed at shutdown."""
        with self._ready:
            if not self._items and not self.closed:
                self._ready.wait(timeout)
            if self.closed:
                raise Closed
            return self._items.popleft() if self._items else None

    def close(self) -> None:
        with self._ready:
            self.closed = True
            self._items.clear()
            self._ready.notify_all()

    def pending(self) -> int:
        with self._ready:
            return len(self._items)


class Broker:
    """Local fan-out shared by both brokers: channel -> the subscriptions of this process."""

    def __init__(self, queue_size: int = QUEUE_SIZE):
        self.queue_size = queue_size
        self.closed = False
        self._lock = threading.Lock()
        self._channels: dict[str, set[Subscription]] = {}
        self._ids = itertools.count(1)

    def publish(self, channel: str, event: str, data: str) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def subscribe(self, channel: str) -> Subscription:
        """A new subscription starts with a resync: the client refreshes its live regions on every
        (re)connect, which is how it catches up on whatever it missed while away."""
        subscription = Subscription(channel, self.queue_size)
        subscription.put(Message(None, RESYNC, EMPTY_DATA))
        with self._lock:
            if self.closed:
                subscription.close()
            else:
                self._channels.setdefault(channel, set()).add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        with self._lock:
            subscribers = self._channels.get(subscription.channel)
            if subscribers is not None:
                subscribers.discard(subscription)
                if not subscribers:
                    del self._channels[subscription.channel]
        subscription.close()

    def subscriber_count(self, channel: str | None = None) -> int:
        with self._lock:
            if channel is not None:
                return len(self._channels.get(channel, ()))
            return sum(len(subscribers) for subscribers in self._channels.values())

    def _dispatch(self, channel: str, event: str, data: str) -> None:
        # Under the lock, so that ids increase along every stream even with concurrent publishers;
        # put() never waits, so this stays short.
        with self._lock:
            message = Message(next(self._ids), event, data)
            for subscription in self._channels.get(channel, ()):
                subscription.put(message)

    def resync_all(self) -> None:
        """Tell every local stream to refresh its live regions (events may have been missed)."""
        with self._lock:
            subscribers = [s for group in self._channels.values() for s in group]
        for subscription in subscribers:
            subscription.put(Message(None, RESYNC, EMPTY_DATA))

    def close(self) -> None:
        """End every stream of this process (server shutdown). Idempotent."""
        with self._lock:
            self.closed = True
            subscribers = [s for group in self._channels.values() for s in group]
            self._channels.clear()
        for subscription in subscribers:
            subscription.close()


class MemoryBroker(Broker):
    """Events stay inside this process: right for exactly one server process, wrong for several."""

    def publish(self, channel: str, event: str, data: str) -> None:
        self._dispatch(channel, event, data)


class RedisBroker(Broker):
    """Events travel through Redis pub/sub between processes; one listener connection per process."""

    PREFIX = "lsweb:live:"
    POLL_SECONDS = 0.25  # how often the listener looks up from Redis to see whether it should stop
    RETRY_SECONDS = (0.2, 0.5, 1.0, 2.0, 5.0)  # waits between reconnection attempts
    FIRST_CONNECT_WAIT = 2.0
    PING_SECONDS = 10.0

    def __init__(self, url: str, queue_size: int = QUEUE_SIZE, prefix: str | None = None):
        super().__init__(queue_size)
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        self.url = url
        # Short timeouts and a single retry (a pooled connection may be stale after a Redis restart):
        # a request that publishes must not hang on a Redis that is away.
        self.client = redis.Redis.from_url(
            url, socket_connect_timeout=2, socket_timeout=5, socket_keepalive=True, retry=Retry(NoBackoff(), 1))
        # Pub/sub ignores the database number: put it in the prefix, so installations (or test runs)
        # sharing one Redis server on different databases do not hear each other.
        self.prefix = prefix or f"{self.PREFIX}{self.client.connection_pool.connection_kwargs.get('db', 0)}:"
        self._listener: threading.Thread | None = None
        self._listener_pid: int | None = None
        self._stop = threading.Event()
        self._failures = 0
        self.connected = threading.Event()  # set while the listener is subscribed

    def publish(self, channel: str, event: str, data: str) -> None:
        self.client.publish(self.prefix + channel, f"{event}\n{data}")

    def subscribe(self, channel: str) -> Subscription:
        if self._ensure_listener():
            # The first stream of this process waits (briefly) until the listener is subscribed, so that
            # its opening resync comes after nothing more can be missed. Later streams need not wait:
            # while the listener is away, it resyncs every stream when it is back.
            self.connected.wait(self.FIRST_CONNECT_WAIT)
        return super().subscribe(channel)

    def _ensure_listener(self) -> bool:
        """Start the listener on the first stream (lazily: a forked worker starts its own); True when
        this call started it."""
        with self._lock:
            if self.closed:
                return False
            if self._listener is not None and self._listener_pid == os.getpid() and self._listener.is_alive():
                return False
            self._listener_pid = os.getpid()
            self._listener = threading.Thread(target=self._listen, name="lsweb-live-redis", daemon=True)
            self._listener.start()
            return True

    def _listen(self) -> None:
        """Listener thread: stay subscribed to every channel of this app, reconnecting when Redis drops."""
        while not self._stop.is_set():
            try:
                self._listen_once()
            except Exception as error:  # noqa: BLE001  (whatever broke the connection, we reconnect)
                self.connected.clear()
                if self._stop.is_set():
                    break
                if self._failures == 0:
                    log.warning("live: lost Redis at %s (%s); reconnecting", self._address(), error)
                wait = self.RETRY_SECONDS[min(self._failures, len(self.RETRY_SECONDS) - 1)]
                self._failures += 1
                self._stop.wait(wait)

    def _listen_once(self) -> None:
        """One connection's life: returns when the broker closes, raises when the connection breaks
        (or stays silent: a PING every PING_SECONDS must be answered, which finds a half-open link)."""
        with self.client.pubsub() as pubsub:
            pubsub.psubscribe(self.prefix + "*")
            last_heard = last_ping = time.monotonic()
            while not self._stop.is_set():
                message = pubsub.get_message(timeout=self.POLL_SECONDS)
                now = time.monotonic()
                if message is None:
                    if now - last_heard > 3 * self.PING_SECONDS:
                        raise ConnectionError("Redis stopped answering")
                    if now - last_ping > self.PING_SECONDS:
                        pubsub.ping()
                        last_ping = now
                    continue
                last_heard = now
                if message["type"] == "pmessage":
                    self._on_message(message["channel"], message["data"])
                elif message["type"] == "psubscribe":
                    # (Re)subscribed: what was published while nobody listened is lost, so resync.
                    if self._failures:
                        log.info("live: reconnected to Redis at %s", self._address())
                    self._failures = 0
                    # The streams already open resync first; a first stream waiting for `connected`
                    # subscribes after that with its own opening resync (one, not a second behind it).
                    self.resync_all()
                    self.connected.set()
        self.connected.clear()

    def _on_message(self, raw_channel: bytes, payload: bytes) -> None:
        try:
            channel = raw_channel.decode()[len(self.prefix):]
            event, _, data = payload.decode().partition("\n")
        except UnicodeDecodeError:
            log.warning("live: ignored an undecodable message on %r", raw_channel)
            return
        self._dispatch(channel, event, data or EMPTY_DATA)

    def _address(self) -> str:
        """host:port/db, without the password a URL may carry."""
        kwargs = self.client.connection_pool.connection_kwargs
        return f"{kwargs.get('host', kwargs.get('path', '?'))}:{kwargs.get('port', '')}/{kwargs.get('db', 0)}"

    def close(self) -> None:
        super().close()
        self._stop.set()
        listener = self._listener
        if listener is not None and listener is not threading.current_thread() and listener.is_alive():
            listener.join(timeout=self.POLL_SECONDS + 2)
        try:
            self.client.close()
        except Exception:  # noqa: BLE001
            pass
