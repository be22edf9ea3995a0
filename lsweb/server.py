"""The production server: gunicorn (gthread workers) on Linux and macOS, waitress on Windows."""

from __future__ import annotations

import os
import sys
import threading
from typing import Callable

TRIM_EVERY = 60.0  # seconds between two malloc_trim calls in a worker


def gunicorn_options(host: str, port: int, workers: int, threads: int, log_format: str = "text") -> dict:
    """The gunicorn settings `lsweb serve` uses (bench/throughput.py reuses them)."""
    from .logs import gunicorn_logconfig

    options = {
        "bind": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
        "workers": workers,
        "worker_class": "gthread",
        "threads": threads,
        # gthread keeps idle keep-alive connections only while connections < worker_connections - threads:
        # at gunicorn's default (1000) a pool of 1000 threads would close every connection after each
        # request (measured: docs/performance.md, "Serving").
        "worker_connections": threads + 1000,
        "timeout": 60,
        "graceful_timeout": 10,
        "keepalive": 5,
        "accesslog": "-",
        "errorlog": "-",
        # Each worker hands the memory it has freed back to the system every minute (see trim_memory).
        "post_worker_init": _start_trimming,
    }
    from gunicorn.config import Config

    if "control_socket_disable" in Config().settings:
        # gunicorn 25+ opens a control socket (gunicorn.ctl) in the working directory: lsweb needs none,
        # and the home or instance folder is no place for it.
        options["control_socket_disable"] = True
    if log_format == "json":  # lsweb.request logs each request as JSON; gunicorn's own lines too
        options["accesslog"] = None
        options["logconfig_dict"] = gunicorn_logconfig(log_format)
    return options


def serve(host: str, port: int, workers: int, threads: int, load_app: Callable | None = None,
          log_format: str = "text") -> None:
    """Serve `load_app()` (default: create_app()); the benchmark passes an app with an extra route."""
    if load_app is None:
        from . import create_app as load_app
    if sys.platform == "win32":
        from waitress import serve as waitress_serve

        waitress_serve(load_app(), host=host, port=port, threads=threads, channel_timeout=3600,
                       connection_limit=threads + 1000)
        return
    limit_malloc_arenas()
    from gunicorn.app.base import BaseApplication

    class _Server(BaseApplication):
        def load_config(self):
            for key, value in gunicorn_options(host, port, workers, threads, log_format).items():
                self.cfg.set(key, value)

        def load(self):
            return load_app()

    _Server().run()


M_ARENA_MAX = -8  # glibc's mallopt parameter


def limit_malloc_arenas(arenas: int = 2) -> None:
    """Cap glibc's malloc arenas (unless MALLOC_ARENA_MAX is set): by default glibc gives each thread
    that allocates at once an arena of its own, up to 8 per core, and with hundreds of server threads
    the memory freed in each arena is seldom given back, so a worker's memory kept growing under a
    steady load. Python's own small objects do not use malloc's arenas, so the cap costs no speed.
    Called before gunicorn forks its workers, which inherit it."""
    if os.environ.get("MALLOC_ARENA_MAX") or not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(M_ARENA_MAX, arenas)
    except (OSError, AttributeError):  # not glibc (musl, say): nothing to cap
        return


def _libc():
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        return libc if hasattr(libc, "malloc_trim") else None
    except OSError:  # not glibc (musl, say)
        return None


def trim_memory() -> bool:
    """Give the memory malloc holds free back to the system (glibc's malloc_trim). Freed memory in the
    middle of malloc's heap is otherwise kept: the co-editing library (Yrs, through pycrdt), SQLite and
    the rendering of large pages allocate and free there from hundreds of threads, and a worker's resident
    memory crept up under a steady load although nothing in it was growing. False where there is no glibc."""
    libc = _libc()
    if libc is None:
        return False
    libc.malloc_trim(0)
    return True


def _start_trimming(_worker=None) -> None:
    """gunicorn's post_worker_init hook: a daemon thread in the worker that trims every TRIM_EVERY s."""
    if _libc() is None:
        return

    def run() -> None:
        stop = threading.Event()
        while not stop.wait(TRIM_EVERY):
            trim_memory()

    threading.Thread(target=run, name="lsweb-malloc-trim", daemon=True).start()
