"""The application under benchmark: lsweb's own app plus one bare route, served like `lsweb serve`.

GET /bench/bare answers "ok" from a plain Flask view, so it passes through the same server, worker,
middleware and request hooks as every lsweb page but does no work of its own. It exists only here,
never in the app that `lsweb serve` runs.

Run by bench/throughput.py as:  python bench/bench_app.py --host 127.0.0.1 --port PORT
"""

from __future__ import annotations

BARE_PATH = "/bench/bare"


def create_bench_app():
    from lsweb import create_app

    app = create_app()

    @app.get(BARE_PATH)
    def bench_bare():
        return "ok"

    return app


def main() -> None:
    from bare_app import serve_from_command_line

    serve_from_command_line(create_bench_app, __doc__.splitlines()[0], threads=32)


if __name__ == "__main__":
    main()
