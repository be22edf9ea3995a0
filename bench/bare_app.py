"""The reference of the throughput benchmark: a bare Flask app, nothing of lsweb, answering "ok".

It is served by lsweb.server.serve, so it runs under exactly the gunicorn settings `lsweb serve` uses
(gthread worker, threads, keep-alive, access log). GET / (and /health, which the benchmark polls until
the server is up) answer "ok" from a plain view.

Run by bench/throughput.py as:  python bench/bare_app.py --host 127.0.0.1 --port PORT --threads N
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def create_bare_app():
    from flask import Flask

    app = Flask("bare")

    @app.get("/")
    @app.get("/health")
    def ok():
        return "ok"

    return app


def serve_from_command_line(load_app, description: str, threads: int) -> None:
    """--host/--port/--workers/--threads, then lsweb.server.serve (bench/bench_app.py serves this way too)."""
    from lsweb.server import serve

    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--threads", type=int, default=threads)
    args = parser.parse_args()
    serve(args.host, args.port, args.workers, args.threads, load_app=load_app)


def main() -> None:
    serve_from_command_line(create_bare_app, __doc__.splitlines()[0], threads=400)


if __name__ == "__main__":
    main()
