"""The application under benchmark: lsweb's own app plus one bare route, served like `lsweb serve`.

GET /bench/bare answers "ok" from a plain Flask view, so it passes through the same server, worker,
middleware and request hooks as every lsweb page but does no work of its own. GET /bench/memory says
what the worker holds that is bounded (the bytes each cache counts, the co-edited documents' budget)
and what is not (threads, Python's allocated blocks), for bench/load.py's memory curve. Both exist only
here, never in the app that `lsweb serve` runs.

Run by bench/throughput.py as:  python bench/bench_app.py --host 127.0.0.1 --port PORT
"""

from __future__ import annotations

BARE_PATH = "/bench/bare"
MEMORY_PATH = "/bench/memory"


def create_bench_app():
    from lsweb import create_app

    app = create_app()

    @app.get(BARE_PATH)
    def bench_bare():
        return "ok"

    @app.get(MEMORY_PATH)
    def bench_memory():
        return memory_facts(app)

    return app


def memory_facts(app) -> dict:
    import sys
    import threading

    from lsweb.bounded import BoundedCache
    from lsweb.coedit import store

    caches = {}
    for name, value in app.extensions.items():
        found = value.items() if isinstance(value, dict) else [(name, value)]
        caches.update({key: cache.bytes for key, cache in found if isinstance(cache, BoundedCache)})
    return {"caches": caches, "documents": store.cached_bytes(), "threads": threading.active_count(),
            "python_blocks": sys.getallocatedblocks(), "malloc": _malloc_facts()}


def _malloc_facts() -> dict:
    """glibc's own account (mallinfo2): bytes in use, bytes free inside its heaps, bytes in mmapped blocks.
    In use growing means something holds more; free growing means the heaps are fragmented. {} without
    glibc 2.33+."""
    import ctypes

    class MallInfo2(ctypes.Structure):
        _fields_ = [(name, ctypes.c_size_t) for name in (
            "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks",
            "keepcost")]

    try:
        mallinfo2 = ctypes.CDLL("libc.so.6").mallinfo2
    except (OSError, AttributeError):
        return {}
    mallinfo2.restype = MallInfo2
    info = mallinfo2()
    return {"in_use": info.uordblks, "free": info.fordblks, "mmapped": info.hblkhd}


def main() -> None:
    from bare_app import serve_from_command_line

    serve_from_command_line(create_bench_app, __doc__.splitlines()[0], threads=32)


if __name__ == "__main__":
    main()
