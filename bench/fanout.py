#!/usr/bin/env python3
"""Live fan-out: how long a published event takes to reach N open SSE streams (p50/p95).

    .venv/bin/python bench/fanout.py                     (the docs/quality.md scenarios, about 3 minutes)
    .venv/bin/python bench/fanout.py --clients 200 --setups memory:1,redis:4 --events 30

What it does:

1. makes a temporary folder with a fresh SQLite database (migrations) and one signed-up teacher;
2. per setup, starts P servers exactly as `lsweb serve` does (lsweb.server.serve: gunicorn, one
   gthread worker each, threads = streams per process + 16, since a stream holds a thread), all on the
   same database and secret key; "memory:1" is one process with the in-memory broker (a school),
   "redis:P" is P processes with LSWEB_REDIS_URL (a network). The app is lsweb's plus one bench-only
   route, POST /bench/publish/<channel>/<seq>, which calls live.publish(channel, "tick", {"seq": ...})
   exactly as a view does after its commit; it exists only in this file, never in `lsweb serve`;
3. signs in once through the real form (CSRF token included); the session cookie is good on every
   server (same secret key);
4. opens N streams (GET /live/bench-1) from one asyncio process over raw sockets, spread round-robin
   over the P servers, and waits until every stream has had its opening resync;
5. publishes `--events` ticks one after another through server 0 (so with Redis most viewers are on
   another process than the publisher); a tick's latency for a viewer is from just before the POST is
   sent to the moment the viewer reads the event (so it includes the publishing request itself);
6. reports p50/p95/max over every (viewer, tick), ticks not delivered, and the resident memory of
   the worker process(es) holding the streams; stops its servers (also on Ctrl+C or an error).

Traffic goes only to 127.0.0.1. The viewers run in this process on the same machine, so their own
reading time is included in the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import platform
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

HOST = "127.0.0.1"
CHANNEL = "bench-1"
PASSWORD = "fan-out bench password"
# --post: a real board post over HTTP (RL1's board in a fresh demo network), seen as "board-changed".
MODE = {"post": False}
BOARD_LESSON = 1
BOARD_CHANNEL = f"board-{BOARD_LESSON}"
POSTER = "teacher1@demo.local"


def _anyone_signed_in(user, key: str) -> bool:
    return True


def create_fanout_app():
    """lsweb's app plus the bench-only publish route (served by `fanout.py serve` only)."""
    from lsweb import create_app, live
    from lsweb.extensions import csrf

    live.register_channel("bench", _anyone_signed_in)
    app = create_app()

    @app.post("/bench/publish/<channel>/<int:seq>")
    @csrf.exempt
    def bench_publish(channel: str, seq: int):
        live.publish(channel, "tick", {"seq": seq})
        return "ok"

    return app


# --- servers -----------------------------------------------------------------------------------------


def prepare(workdir: Path) -> tuple[dict, str]:
    """A migrated SQLite database with one teacher; returns the servers' environment and the email."""
    from werkzeug.security import generate_password_hash

    from lsweb import create_app
    from lsweb.database import upgrade_database
    from lsweb.extensions import db
    from lsweb.models import Role, School, User

    env = {"LSWEB_DATABASE_URL": f"sqlite:///{workdir / 'lsweb.db'}",
           "LSWEB_INSTANCE_PATH": str(workdir / "instance"), "LSWEB_SECRET_KEY": secrets.token_hex(32),
           "LSWEB_LOG_LEVEL": "WARNING"}
    app = create_app({"DATABASE_URL": env["LSWEB_DATABASE_URL"], "INSTANCE_PATH": env["LSWEB_INSTANCE_PATH"],
                      "SECRET_KEY": env["LSWEB_SECRET_KEY"], "REDIS_URL": None})
    upgrade_database(app)
    if MODE["post"]:
        from lsweb.demo import seed_demo

        with app.app_context():
            seed_demo()
            db.engine.dispose()
        return env, POSTER
    email = f"fanout-{secrets.token_hex(4)}@bench.local"  # fresh: no sign-in throttle carried over
    with app.app_context():
        school = School(name="Bench School")
        db.session.add(school)
        db.session.flush()
        db.session.add(User(email=email, display_name="Bench Viewer", role=Role.TEACHER, school_id=school.id,
                            password_hash=generate_password_hash(PASSWORD), active=True))
        db.session.commit()
        db.engine.dispose()
    return env, email


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def start_servers(env: dict, count: int, threads: int, redis_url: str | None, workdir: Path):
    servers = []
    server_env = {**os.environ, **env}
    server_env.pop("LSWEB_REDIS_URL", None)
    if redis_url:
        server_env["LSWEB_REDIS_URL"] = redis_url
    for _ in range(count):
        port = free_port()
        with (workdir / f"server-{port}.log").open("w") as log:
            process = subprocess.Popen([sys.executable, __file__, "serve", "--port", str(port),
                                        "--threads", str(threads)],
                                       env=server_env, stdout=log, stderr=subprocess.STDOUT, cwd=workdir)
        servers.append((port, process))
    for port, process in servers:
        wait_until_up(port, process, workdir / f"server-{port}.log")
    return servers


def wait_until_up(port: int, process, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server on port {port} exited:\n{log.read_text()}")
        connection = http.client.HTTPConnection(HOST, port, timeout=2)
        try:
            connection.request("GET", "/health")
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        finally:
            connection.close()
        time.sleep(0.2)
    raise SystemExit(f"server on port {port} did not start")


def stop_servers(servers) -> None:
    for _, process in servers:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for _, process in servers:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def worker_rss_mb(master_pid: int) -> float | None:
    """Resident memory of the gunicorn worker (the master's child), from /proc (Linux)."""
    try:
        children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
        status = Path(f"/proc/{children[0]}/status").read_text()
        return int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) / 1024
    except (OSError, IndexError, AttributeError):
        return None


def sign_in(port: int, email: str) -> str:
    """Sign in through the form; returns the Cookie header value."""
    connection = http.client.HTTPConnection(HOST, port, timeout=10)
    connection.request("GET", "/login")
    page = connection.getresponse()
    body = page.read().decode()
    cookies = {c.split("=", 1)[0]: c.split(";", 1)[0] for k, c in page.getheaders() if k.lower() == "set-cookie"}
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', body).group(1)
    from urllib.parse import urlencode

    password = "lessonstudy" if MODE["post"] else PASSWORD  # the demo's password
    form = urlencode({"email": email, "password": password, "csrf_token": token})
    connection.request("POST", "/login", body=form, headers={
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": "; ".join(cookies.values())})
    answer = connection.getresponse()
    answer.read()
    if answer.status != 303:
        raise SystemExit(f"sign-in failed: {answer.status}")
    cookies.update({c.split("=", 1)[0]: c.split(";", 1)[0] for k, c in answer.getheaders()
                    if k.lower() == "set-cookie"})
    connection.close()
    return "; ".join(cookies.values())


# --- viewers and measurement -------------------------------------------------------------------------


async def viewer(port: int, cookie: str, ready: asyncio.Queue, ticks: dict, index: int) -> None:
    reader, writer = await asyncio.open_connection(HOST, port)
    channel = BOARD_CHANNEL if MODE["post"] else CHANNEL
    posts_seen = 0
    try:
        writer.write(f"GET /live/{channel} HTTP/1.1\r\nHost: {HOST}:{port}\r\nAccept: text/event-stream\r\n"
                     f"Cookie: {cookie}\r\n\r\n".encode())
        status = await reader.readline()
        if b" 200 " not in status:
            raise RuntimeError(f"stream refused: {status!r}")
        event = None
        while line := await reader.readline():
            if line.startswith(b"event: "):
                event = line[7:].strip()
                if event == b"resync":
                    ready.put_nowait(index)
            elif line.startswith(b"data: ") and event == b"tick":
                ticks.setdefault(json.loads(line[6:])["seq"], {})[index] = time.perf_counter()
            elif line.startswith(b"data: ") and event == b"board-changed":  # posts arrive in order
                ticks.setdefault(posts_seen, {})[index] = time.perf_counter()
                posts_seen += 1
    finally:
        writer.close()


async def publish(port: int, seq: int) -> None:
    if MODE["post"]:
        return await post_on_board(port, seq)
    reader, writer = await asyncio.open_connection(HOST, port)
    writer.write(f"POST /bench/publish/{CHANNEL}/{seq} HTTP/1.1\r\nHost: {HOST}:{port}\r\n"
                 f"Content-Length: 0\r\nConnection: close\r\n\r\n".encode())
    status = await reader.readline()
    writer.close()
    if b" 200 " not in status:
        raise RuntimeError(f"publish failed: {status!r}")


POSTING: dict[str, str] = {}  # the poster's cookie and CSRF token


def board_token(port: int, cookie: str) -> tuple[str, str]:
    """(cookie, CSRF token) after opening the board: the page may set the session's CSRF secret."""
    connection = http.client.HTTPConnection(HOST, port, timeout=10)
    connection.request("GET", f"/lessons/{BOARD_LESSON}/board", headers={"Cookie": cookie})
    answer = connection.getresponse()
    page = answer.read().decode()
    jar = {c.split("=", 1)[0]: c for c in cookie.split("; ")}
    jar.update({c.split("=", 1)[0]: c.split(";", 1)[0] for k, c in answer.getheaders() if k.lower() == "set-cookie"})
    connection.close()
    return "; ".join(jar.values()), re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)


async def post_on_board(port: int, seq: int) -> None:
    """A real post: the board's form, sent as htmx sends it (one INSERT, a commit, then the publish)."""
    from urllib.parse import urlencode

    body = urlencode({"section": "patterns", "token": f"fanout-{seq:06d}-{secrets.token_hex(4)}",
                      "body": f"Pattern {seq}: most pupils used the bar model.", "mark": ""}).encode()
    reader, writer = await asyncio.open_connection(HOST, port)
    writer.write(f"POST /lessons/{BOARD_LESSON}/board/posts HTTP/1.1\r\nHost: {HOST}:{port}\r\n"
                 f"Cookie: {POSTING['cookie']}\r\nX-CSRFToken: {POSTING['token']}\r\nHX-Request: true\r\n"
                 f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n"
                 f"Connection: close\r\n\r\n".encode() + body)
    status = await reader.readline()
    writer.close()
    if b" 200 " not in status:
        raise RuntimeError(f"post failed: {status!r}")


async def measure(ports: list[int], cookie: str, clients: int, events: int, on_ready=None) -> dict:
    ready: asyncio.Queue = asyncio.Queue()
    ticks: dict[int, dict[int, float]] = {}
    tasks = [asyncio.create_task(viewer(ports[i % len(ports)], cookie, ready, ticks, i)) for i in range(clients)]
    try:
        seen: set[int] = set()
        deadline = time.monotonic() + 60
        while len(seen) < clients:
            failed = [t for t in tasks if t.done()]
            if failed:
                failed[0].result()
                raise RuntimeError("a stream ended early")
            if time.monotonic() > deadline:
                raise RuntimeError(f"only {len(seen)} of {clients} streams opened")
            try:
                seen.add(await asyncio.wait_for(ready.get(), timeout=1))
            except asyncio.TimeoutError:
                pass
        extra = on_ready() if on_ready else {}
        await asyncio.sleep(0.5)  # let the connection burst settle
        latencies, missing = [], 0
        for seq in range(events):
            sent = time.perf_counter()
            await publish(ports[0], seq)
            deadline = time.monotonic() + 5
            while len(ticks.get(seq, {})) < clients and time.monotonic() < deadline:
                await asyncio.sleep(0.002)
            got = ticks.get(seq, {})
            latencies += [(at - sent) * 1000 for at in got.values()]
            missing += clients - len(got)
            await asyncio.sleep(0.1)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    latencies.sort()
    return {"samples": len(latencies), "missing": missing, **extra,
            "p50_ms": statistics.median(latencies),
            "p95_ms": latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))],
            "max_ms": latencies[-1]}


def run(args) -> list[dict]:
    results = []
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="lsweb-fanout-") as folder:
        workdir = Path(folder)
        env, email = prepare(workdir)
        cookie = None
        for setup in args.setups.split(","):
            broker, processes = setup.split(":")
            processes = int(processes)
            if time.monotonic() - started > args.time_limit:
                print(f"time limit reached: {setup} skipped", file=sys.stderr)
                continue
            threads = max(args.clients) // processes + 16
            servers = start_servers(env, processes, threads, args.redis_url if broker == "redis" else None, workdir)
            try:
                cookie = cookie or sign_in(servers[0][0], email)
                if MODE["post"]:
                    cookie, token = board_token(servers[0][0], cookie)
                    POSTING.update(cookie=cookie, token=token)
                ports = [port for port, _ in servers]
                for clients in args.clients:
                    rss = lambda: {"worker_rss_mb": max(worker_rss_mb(p.pid) or 0 for _, p in servers)}  # noqa: E731
                    figures = asyncio.run(measure(ports, cookie, clients, args.events, on_ready=rss))
                    row = {"broker": broker, "processes": processes, "clients": clients, "threads": threads,
                           "events": args.events, **figures}
                    results.append(row)
                    print(json.dumps(row), file=sys.stderr, flush=True)
            finally:
                stop_servers(servers)
    return results


def markdown(results: list[dict], args) -> str:
    lines = [f"Run {date.today().isoformat()} on {platform.node()} ({os.cpu_count()} cores, Python "
             f"{platform.python_version()}): `{' '.join(['.venv/bin/python', 'bench/fanout.py', *sys.argv[1:]])}`",
             "",
             "| broker | processes | viewers | threads/process | p50 ms | p95 ms | max ms | not delivered "
             "| worker RSS MB |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in results:
        lines.append(f"| {r['broker']} | {r['processes']} | {r['clients']} | {r['threads']} | {r['p50_ms']:.1f} "
                     f"| {r['p95_ms']:.1f} | {r['max_ms']:.1f} | {r['missing']} of {r['clients'] * r['events']} "
                     f"| {r.get('worker_rss_mb', 0):.0f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command")
    serve = sub.add_parser("serve", help="(internal) one server process for the benchmark")
    serve.add_argument("--port", type=int, required=True)
    serve.add_argument("--threads", type=int, required=True)
    parser.add_argument("--clients", default="50,200", help="viewer counts, comma-separated")
    parser.add_argument("--setups", default="memory:1,redis:1,redis:2,redis:4",
                        help="broker:processes, comma-separated")
    parser.add_argument("--events", type=int, default=30, help="ticks published per measurement")
    parser.add_argument("--redis-url", default=os.environ.get("LSWEB_BENCH_REDIS_URL", "redis://127.0.0.1:6379/15"))
    parser.add_argument("--time-limit", type=float, default=240, help="seconds; later setups are skipped")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a Markdown table")
    parser.add_argument("--post", action="store_true",
                        help="publish real board posts over HTTP (RL1's board in a demo network) instead of ticks")
    args = parser.parse_args()
    MODE["post"] = args.post
    if args.command == "serve":
        from lsweb.server import serve as serve_app

        serve_app(HOST, args.port, 1, args.threads, load_app=create_fanout_app)
        return
    args.clients = [int(n) for n in args.clients.split(",")]
    results = run(args)
    print(json.dumps(results, indent=2) if args.json else markdown(results, args))


if __name__ == "__main__":
    main()
