#!/usr/bin/env python3
"""Serving: gthread thread counts against open live streams. One `lsweb serve` process (gunicorn, one
gthread worker, as `lsweb serve` starts it) holds S idle SSE streams while C clients request the signed-in
home page as fast as they can; reported per thread count: page requests/s, p50/p95 latency, requests
that failed (no answer within 5 s, or the connection closed under them), and the worker's resident memory.

    .venv/bin/python bench/serving.py                                 (about 2 minutes)
    .venv/bin/python bench/serving.py --streams 300 --threads 150,316,400,600 --clients 8 --duration 10

It reuses bench/fanout.py: the same temporary SQLite database, servers, sign-in and stream viewers.
Traffic goes only to 127.0.0.1; the clients run on the same 2 cores as the server.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import fanout  # noqa: E402

TIMEOUT = 5.0


async def page_client(port: int, cookie: str, until: float, latencies: list, errors: list) -> None:
    """Keep-alive GET / in a loop; a request that takes longer than TIMEOUT counts as an error."""
    request = (f"GET / HTTP/1.1\r\nHost: {fanout.HOST}:{port}\r\nCookie: {cookie}\r\n\r\n").encode()
    reader = writer = None
    while time.monotonic() < until:
        started = time.perf_counter()
        try:
            if writer is None:
                reader, writer = await asyncio.wait_for(asyncio.open_connection(fanout.HOST, port), TIMEOUT)
            writer.write(request)
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), TIMEOUT)
            length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                              if line.lower().startswith(b"content-length:")))
            await asyncio.wait_for(reader.readexactly(length), TIMEOUT)
            if b" 200 " not in head.split(b"\r\n")[0]:
                raise RuntimeError(head.split(b"\r\n")[0])
            latencies.append((time.perf_counter() - started) * 1000)
        except (asyncio.TimeoutError, OSError, RuntimeError, StopIteration, asyncio.IncompleteReadError):
            errors.append(time.perf_counter() - started)
            if writer is not None:
                writer.close()
            reader = writer = None
    if writer is not None:
        writer.close()


async def measure(port: int, cookie: str, streams: int, clients: int, duration: float, rss) -> dict:
    ready: asyncio.Queue = asyncio.Queue()
    viewers = [asyncio.create_task(fanout.viewer(port, cookie, ready, {}, i)) for i in range(streams)]
    opened = 0
    deadline = time.monotonic() + 15  # streams beyond the thread pool wait for a free thread
    try:
        while opened < streams and time.monotonic() < deadline:
            try:
                await asyncio.wait_for(ready.get(), timeout=1)
                opened += 1
            except asyncio.TimeoutError:
                pass
        memory = rss()
        latencies: list[float] = []
        errors: list[float] = []
        until = time.monotonic() + duration
        await asyncio.gather(*(page_client(port, cookie, until, latencies, errors) for _ in range(clients)))
    finally:
        for task in viewers:
            task.cancel()
        await asyncio.gather(*viewers, return_exceptions=True)
    latencies.sort()
    return {"streams_open": opened, "pages": len(latencies), "rps": round(len(latencies) / duration, 1),
            "p50_ms": round(statistics.median(latencies), 1) if latencies else None,
            "p95_ms": round(latencies[int(0.95 * (len(latencies) - 1))], 1) if latencies else None,
            "failed": len(errors), "worker_rss_mb": round(memory, 1) if memory else None}


def run(args) -> list[dict]:
    results = []
    with tempfile.TemporaryDirectory(prefix="lsweb-serving-") as folder:
        workdir = Path(folder)
        env, email = fanout.prepare(workdir)
        cookie = None
        for threads in [int(t) for t in args.threads.split(",")]:
            servers = fanout.start_servers(env, 1, threads, None, workdir)
            try:
                port, process = servers[0]
                cookie = cookie or fanout.sign_in(port, email)
                figures = asyncio.run(measure(port, cookie, args.streams, args.clients, args.duration,
                                              lambda: fanout.worker_rss_mb(process.pid)))
                row = {"threads": threads, "streams": args.streams, "clients": args.clients, **figures}
                results.append(row)
                print(json.dumps(row), file=sys.stderr, flush=True)
            finally:
                fanout.stop_servers(servers)
    return results


def markdown(results: list[dict]) -> str:
    lines = ["| threads | streams open | page clients | pages/s | p50 ms | p95 ms | failed (5 s timeout or closed) "
             "| worker RSS MB |",
             "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in results:
        lines.append(f"| {r['threads']} | {r['streams_open']} of {r['streams']} | {r['clients']} | {r['rps']} | "
                     f"{r['p50_ms']} | {r['p95_ms']} | {r['failed']} | {r['worker_rss_mb']} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", type=int, default=300, help="idle live streams held open")
    parser.add_argument("--threads", default="150,316,400,600", help="gthread threads per worker, comma-separated")
    parser.add_argument("--clients", type=int, default=8, help="concurrent page clients")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of page load per thread count")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = run(args)
    print(json.dumps(results, indent=2) if args.json else markdown(results))


if __name__ == "__main__":
    main()
