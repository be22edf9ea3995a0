"""How many live streams one person, and one signed-in session, hold open in this process.

Each open stream holds a server thread for as long as the tab is open, so one account opening hundreds
(a script, or a browser gone wrong) could leave no thread for anyone's sign-in. Above the cap
(LSWEB_LIVE_STREAMS_MAX, 8 by default, for the person and for each of their sessions) the stream is
refused with 429 and the page refreshes its live regions by polling instead (static/js/live.js) until
a stream opens again. Counted per process: with several processes each counts its own streams.
"""

from __future__ import annotations

import threading
from collections import Counter

from flask import Flask

EXTENSION = "lsweb.live_stream_counts"


class StreamCounts:
    def __init__(self):
        self._lock = threading.Lock()
        self._open: Counter[str] = Counter()

    def acquire(self, keys: tuple[str, ...], limit: int) -> bool:
        """Count one more stream for each key, unless one of them already has `limit` open."""
        with self._lock:
            if any(self._open[key] >= limit for key in keys):
                return False
            for key in keys:
                self._open[key] += 1
            return True

    def release(self, keys: tuple[str, ...]) -> None:
        with self._lock:
            for key in keys:
                self._open[key] -= 1
                if self._open[key] <= 0:
                    del self._open[key]

    def open_for(self, key: str) -> int:
        with self._lock:
            return self._open.get(key, 0)


def stream_counts(app: Flask) -> StreamCounts:
    """The app's counts (an app's, not the process's: a new app starts with no stream open)."""
    counts = app.extensions.get(EXTENSION)
    if counts is None:
        counts = app.extensions.setdefault(EXTENSION, StreamCounts())
    return counts


def stream_keys(user) -> tuple[str, ...]:
    return (f"person:{user.id}", f"session:{getattr(user, 'session_id', '')}")
