"""Who is on a co-edited page and where their caret is (y-protocols awareness), never in the database:
per document and client id, the client's last awareness update, dropped TTL seconds after it was sent.
In memory for one app (its `extensions`, so a new app starts with nobody on its pages); in Redis (a hash
per document, with an expiry) when LSWEB_REDIS_URL is set.
"""

from __future__ import annotations

import threading
import time

from flask import current_app

TTL = 10.0
_lock = threading.Lock()
_redis_clients: dict[str, object] = {}


def _uint(data: bytes, pos: int) -> tuple[int, int]:
    value, shift = 0, 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, pos


def _encode_uint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def split(update: bytes) -> list[tuple[int, bytes, bool]]:
    """An awareness update as [(client id, that client's own one-entry update, removed?)]."""
    count, pos = _uint(update, 0)
    if count > 64:
        raise ValueError("too many awareness states")
    out = []
    for _ in range(count):
        start = pos
        client, pos = _uint(update, pos)
        _clock, pos = _uint(update, pos)
        length, pos = _uint(update, pos)
        state = update[pos:pos + length]
        if len(state) != length:
            raise ValueError("truncated awareness update")
        pos += length
        out.append((client, _encode_uint(1) + update[start:pos], state == b"null"))
    return out


def _memory() -> dict[str, dict[int, tuple[float, bytes]]]:
    """This app's states: document -> client id -> (when, that client's update)."""
    return current_app.extensions.setdefault("lsweb.awareness", {})


def _redis(url: str):
    client = _redis_clients.get(url)
    if client is None:
        import redis

        client = _redis_clients[url] = redis.Redis.from_url(url, socket_timeout=2)
    return client


def put(doc: str, update: bytes, redis_url: str | None = None) -> None:
    entries = split(update)
    now = time.time()
    if redis_url:
        client = _redis(redis_url)
        key = f"lsweb:awareness:{doc}"
        pipe = client.pipeline()
        for client_id, blob, removed in entries:
            if removed:
                pipe.hdel(key, client_id)
            else:
                pipe.hset(key, client_id, f"{now:.3f}".encode() + b"|" + blob)
        pipe.expire(key, int(TTL) + 1)
        pipe.execute()
        return
    with _lock:
        states = _memory().setdefault(doc, {})
        for client_id, blob, removed in entries:
            if removed:
                states.pop(client_id, None)
            else:
                states[client_id] = (now, blob)


def current(doc: str, redis_url: str | None = None) -> list[bytes]:
    """Every live client's last awareness update (those older than TTL are dropped)."""
    now = time.time()
    if redis_url:
        client = _redis(redis_url)
        key = f"lsweb:awareness:{doc}"
        out, stale = [], []
        for client_id, value in client.hgetall(key).items():
            at, _, blob = value.partition(b"|")
            if now - float(at) > TTL:
                stale.append(client_id)
            else:
                out.append(blob)
        if stale:
            client.hdel(key, *stale)
        return out
    memory = _memory()
    with _lock:
        states = memory.get(doc, {})
        for client_id in [c for c, (at, _) in states.items() if now - at > TTL]:
            del states[client_id]
        if not states:
            memory.pop(doc, None)
        return [blob for _, blob in states.values()]
