"""The production server: gunicorn (gthread workers) on Linux and macOS, waitress on Windows."""

from __future__ import annotations

import sys


def serve(host: str, port: int, workers: int, threads: int) -> None:
    if sys.platform == "win32":
        from waitress import serve as waitress_serve

        from . import create_app

        waitress_serve(create_app(), host=host, port=port, threads=threads, channel_timeout=3600,
                       connection_limit=1000)
        return
    from gunicorn.app.base import BaseApplication

    class _Server(BaseApplication):
        def load_config(self):
            options = {
                "bind": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
                "workers": workers,
                "worker_class": "gthread",
                "threads": threads,
                "timeout": 60,
                "graceful_timeout": 10,
                "keepalive": 5,
                "accesslog": "-",
                "errorlog": "-",
            }
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self):
            from . import create_app

            return create_app()

    _Server().run()
