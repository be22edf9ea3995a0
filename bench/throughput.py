#!/usr/bin/env python3
"""Throughput: requests per second of the signed-in plan page (or home page) against a bare endpoint, same server, same run.

    .venv/bin/python bench/throughput.py            (or: make bench)
    .venv/bin/python bench/throughput.py --json     (the figures as JSON instead of a Markdown table)

What it does, in about a minute and a half:

1. makes a temporary instance folder with a fresh SQLite database (`lsweb init`, `lsweb demo`);
2. starts the production server exactly as `lsweb serve` does (lsweb.server.serve: gunicorn, gthread,
   the same options), serving lsweb's app plus one bench-only route, GET /bench/bare -> "ok"
   (bench/bench_app.py), so every URL goes through the same process, worker, middleware and hooks;
3. signs in as admin@demo.local through the real sign-in form (CSRF token included);
4. loads each URL from this process (not the server's) with a fixed number of keep-alive clients for
   a fixed time, in rounds whose order rotates (bare, home, bare signed in; then home, bare signed in,
   bare; ...) so that noise on a shared machine falls on every URL alike;
5. reports per URL the median requests/s across rounds, p50/p95 latency, errors, and the server CPU
   time per request (less sensitive to noise than requests/s), and the ratio page/bare;
6. stops the server and removes the temporary folder, also on Ctrl+C or an error.

The URLs: "bare" is GET /bench/bare without a cookie (the bare Flask endpoint of docs/quality.md); "home"
is GET / with the signed-in session cookie, as a browser sends it; "bare, signed in" (skip it with
--two) is the bare endpoint with that cookie, which shows what being signed in costs on every request
apart from the page's own work. Traffic goes only to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path
from urllib.parse import urlencode

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from bench_app import BARE_PATH  # noqa: E402

from lsweb.demo import DEMO_PASSWORD  # noqa: E402
from lsweb.server import gunicorn_options  # noqa: E402

HOST = "127.0.0.1"
HOME_PATH = "/"
PLAN_PATH = "/lessons/1"  # RL1 of "Year 4 fractions" in a fresh demo network
ADMIN_EMAIL = "teacher1@demo.local"  # Hannah Lee: a member of the group, so she sees the plan
USER_AGENT = "lsweb-bench/1 (bench/throughput.py)"
TARGET_RATIO = 0.30  # docs/quality.md, "Performance": at least 30% of a bare endpoint's requests per second
STARTUP_TIMEOUT = 60.0
# name: (label, path, sends the signed-in session cookie). "bare" and "home" give the ratio; the third
# row, the bare endpoint with the session cookie, separates the cost of being signed in (cookie check,
# user loaded from the database, cookie re-signed on every response) from the cost of the page itself.
PAGES = {
    "plan": ("plan page RL1 (3 pupils x 8 stages), signed in", PLAN_PATH),
    "home": ("home, signed in", HOME_PATH),
}
TARGETS = {
    "bare": ("bare", BARE_PATH, False),
    "page": (*PAGES["plan"], True),
    "bare_signed_in": ("bare, signed in", BARE_PATH, True),
}
# docs/quality.md's plan page: 3 case pupils x 8 stages with about 40 revisions. The demo's RL1 has 6 stages,
# filled, with 50-odd revisions; two more stages with a prediction each make it 8.
GROW_PLAN = """
from lsweb import create_app
from lsweb.extensions import db
from lsweb.models import ResearchLesson, User
from lsweb.planning import fields, lessons
app = create_app()
with app.app_context():
    lesson = db.session.get(ResearchLesson, 1)
    hannah = db.session.scalar(db.select(User).where(User.email == "teacher1@demo.local"))
    while len(lesson.current_stages) < 8:
        stage = lessons.add_stage(hannah, lesson)
        for pupil in lesson.cycle.pupils:
            fields.save_field(hannah, lesson, fields.prediction_key(stage.id, pupil.id), "Explains it to a partner.", 0)
        db.session.refresh(lesson)
"""

_CONTENT_LENGTH = re.compile(rb"\r\ncontent-length:\s*(\d+)", re.IGNORECASE)
_CONNECTION_CLOSE = re.compile(rb"\r\nconnection:\s*close", re.IGNORECASE)
_CSRF_INPUT = re.compile(r'<input[^>]*name="csrf_token"[^>]*>')
_VALUE = re.compile(r'value="([^"]*)"')


class BenchError(Exception):
    pass


# --- the server -----------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _clean_env(instance: Path) -> dict:
    """Default settings (no LSWEB_* from the caller's shell), the temporary instance folder."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("LSWEB_")}
    env["LSWEB_INSTANCE_PATH"] = str(instance)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def _lsweb_command() -> list[str]:
    script = Path(sys.executable).with_name("lsweb")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from lsweb.cli import main; sys.argv[0] = 'lsweb'; main()"]


def prepare_database(workdir: Path, env: dict) -> None:
    for args in (["init"], ["demo"]):
        done = subprocess.run(_lsweb_command() + args, cwd=workdir, env=env, capture_output=True, text=True,
                              timeout=120)
        if done.returncode != 0:
            raise BenchError(f"`lsweb {' '.join(args)}` failed:\n{done.stdout}{done.stderr}")
    done = subprocess.run([sys.executable, "-c", GROW_PLAN], cwd=workdir, env=env, capture_output=True,
                          text=True, timeout=120)
    if done.returncode != 0:
        raise BenchError(f"growing RL1's plan to 8 stages failed:\n{done.stdout}{done.stderr}")


class Server:
    """bench/bench_app.py under lsweb.server.serve, in its own session so it can be stopped as a whole."""

    def __init__(self, workdir: Path, env: dict, port: int, workers: int, threads: int):
        self.port = port
        self.log_path = workdir / "server.log"
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [sys.executable, str(HERE / "bench_app.py"), "--host", HOST, "--port", str(port),
             "--workers", str(workers), "--threads", str(threads)],
            cwd=workdir, env=env, stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def wait_ready(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BenchError(f"The server exited with status {self.proc.returncode}:\n{self.log_tail()}")
            try:
                conn = http.client.HTTPConnection(HOST, self.port, timeout=2)
                conn.request("GET", "/health", headers={"User-Agent": USER_AGENT})
                status = conn.getresponse().status
                conn.close()
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise BenchError(f"The server did not answer /health within {STARTUP_TIMEOUT:.0f} s:\n{self.log_tail()}")

    def cpu_seconds(self) -> float | None:
        """User + system CPU time of every process of the server (gunicorn master and workers)."""
        return session_cpu_seconds(self.proc.pid)

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                self.proc.send_signal(signal.SIGTERM)  # gunicorn: graceful stop of the workers
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                pass
            except ProcessLookupError:
                pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)  # whatever of its own session is left
        except (ProcessLookupError, PermissionError):
            pass
        if self.proc.poll() is None:
            self.proc.wait(timeout=5)
        self._log.close()


def session_cpu_seconds(session_id: int) -> float | None:
    """CPU seconds of the processes in a session, from /proc (None where /proc is missing)."""
    proc = Path("/proc")
    if not proc.is_dir():
        return None
    ticks = 0
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2:].split()
        # fields: state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime ...
        if int(fields[3]) == session_id:
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


# --- signing in (http.client: a few requests, clarity over speed) ----------------------------------


def _cookies(response: http.client.HTTPResponse, jar: dict) -> None:
    for header in response.headers.get_all("Set-Cookie") or []:
        name, _, value = header.split(";", 1)[0].partition("=")
        jar[name.strip()] = value.strip()


def _cookie_header(jar: dict) -> str:
    return "; ".join(f"{name}={value}" for name, value in jar.items())


def sign_in(port: int) -> str:
    """Sign in through the form as the demo network admin; returns the Cookie header to send."""
    jar: dict[str, str] = {}
    conn = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        conn.request("GET", "/login", headers={"User-Agent": USER_AGENT})
        response = conn.getresponse()
        page = response.read().decode("utf-8", "replace")
        _cookies(response, jar)
        tag = _CSRF_INPUT.search(page)
        value = _VALUE.search(tag.group(0)) if tag else None
        if response.status != 200 or value is None:
            raise BenchError(f"GET /login answered {response.status} without a csrf_token field")
        form = urlencode({"csrf_token": value.group(1), "email": ADMIN_EMAIL, "password": DEMO_PASSWORD})
        conn.request("POST", "/login", body=form, headers={
            "User-Agent": USER_AGENT, "Cookie": _cookie_header(jar),
            "Content-Type": "application/x-www-form-urlencoded",
        })
        response = conn.getresponse()
        response.read()
        _cookies(response, jar)
        if response.status != 303:
            raise BenchError(f"Signing in as {ADMIN_EMAIL} answered {response.status}, not 303")
        conn.request("GET", HOME_PATH, headers={"User-Agent": USER_AGENT, "Cookie": _cookie_header(jar)})
        response = conn.getresponse()
        page = response.read().decode("utf-8", "replace")
        if response.status != 200 or 'id="login-form"' in page:
            raise BenchError(f"The home page answered {response.status} after signing in, not the signed-in page")
        # Keep what the first page set, as a browser does: the session then holds its form token, and
        # the pages measured neither mint a new one nor re-sign the cookie on every request.
        _cookies(response, jar)
        return _cookie_header(jar)
    finally:
        conn.close()


# --- the load: keep-alive HTTP/1.1 over raw sockets, cheap enough not to be the bottleneck ----------


def raw_request(path: str, port: int, cookie: str | None) -> bytes:
    lines = [f"GET {path} HTTP/1.1", f"Host: {HOST}:{port}", f"User-Agent: {USER_AGENT}",
             "Accept: text/html", "Accept-Encoding: identity"]
    if cookie:
        lines.append(f"Cookie: {cookie}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


class Connection:
    def __init__(self, port: int):
        self.port = port
        self.sock: socket.socket | None = None
        self.buf = b""

    def connect(self) -> None:
        self.sock = socket.create_connection((HOST, self.port), timeout=10)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
        self.sock = None
        self.buf = b""

    def _recv(self) -> None:
        chunk = self.sock.recv(262144)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        self.buf += chunk

    def get(self, request: bytes) -> int:
        """Send one request and read its whole response; returns the status code."""
        if self.sock is None:
            self.connect()
        self.sock.sendall(request)
        while (end := self.buf.find(b"\r\n\r\n")) < 0:
            self._recv()
        head = self.buf[:end]
        length = _CONTENT_LENGTH.search(head)
        if length is None:
            raise ValueError("response without Content-Length")
        need = end + 4 + int(length.group(1))
        while len(self.buf) < need:
            self._recv()
        self.buf = self.buf[need:]
        if _CONNECTION_CLOSE.search(head):
            self.close()
        return int(head[9:12])


def run_load(port: int, request: bytes, clients: int, duration: float, server: Server | None) -> dict:
    """`clients` threads, one keep-alive connection each, as many requests as they can for `duration` s."""
    start = threading.Event()
    deadline = [0.0]
    results: list[dict] = []
    lock = threading.Lock()

    def client() -> None:
        conn = Connection(port)
        latencies: list[float] = []
        ok = errors = 0
        try:
            conn.connect()
        except OSError:
            errors += 1
        start.wait()
        clock = time.perf_counter
        while (t0 := clock()) < deadline[0]:
            try:
                status = conn.get(request)
            except (OSError, ValueError):
                errors += 1
                conn.close()
                time.sleep(0.01)
                continue
            if status == 200:
                ok += 1
                latencies.append(clock() - t0)
            else:
                errors += 1
        finished = clock()
        conn.close()
        with lock:
            results.append({"ok": ok, "errors": errors, "latencies": latencies, "finished": finished})

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    time.sleep(0.05)  # let every client connect before the clock starts
    server_cpu = server.cpu_seconds() if server else None
    client_cpu = time.process_time()
    began = time.perf_counter()
    deadline[0] = began + duration
    start.set()
    for thread in threads:
        thread.join()
    elapsed = max(r["finished"] for r in results) - began
    client_cpu = time.process_time() - client_cpu
    if server_cpu is not None:
        server_cpu = server.cpu_seconds() - server_cpu
    ok = sum(r["ok"] for r in results)
    return {
        "ok": ok,
        "errors": sum(r["errors"] for r in results),
        "elapsed": elapsed,
        "rps": ok / elapsed if elapsed > 0 else 0.0,
        "latencies": [lat for r in results for lat in r["latencies"]],
        "server_cpu": server_cpu,
        "client_cpu": client_cpu,
    }


# --- the report ----------------------------------------------------------------------------------


def _percentile(values: list[float], fraction: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def summarise(rounds: list[dict]) -> dict:
    latencies = [lat for r in rounds for lat in r["latencies"]]
    cpu_per_request = [r["server_cpu"] / r["ok"] for r in rounds if r["server_cpu"] is not None and r["ok"]]
    server_cores = [r["server_cpu"] / r["elapsed"] for r in rounds if r["server_cpu"] is not None]
    return {
        "rps_median": statistics.median(r["rps"] for r in rounds),
        "rps_rounds": [round(r["rps"], 1) for r in rounds],
        "requests": sum(r["ok"] for r in rounds),
        "errors": sum(r["errors"] for r in rounds),
        "p50_ms": _ms(_percentile(latencies, 0.50)),
        "p95_ms": _ms(_percentile(latencies, 0.95)),
        "server_cpu_ms_per_request": _ms(statistics.median(cpu_per_request)) if cpu_per_request else None,
        "server_cores_busy": round(statistics.median(server_cores), 2) if server_cores else None,
        "client_cores_busy": round(statistics.median(r["client_cpu"] / r["elapsed"] for r in rounds), 2),
    }


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 2)


def markdown(report: dict) -> str:
    s = report["settings"]
    rows = [
        "| URL | median req/s | req/s per round | p50 ms | p95 ms | errors | server CPU ms/req |",
        "|---|---:|---|---:|---:|---:|---:|",
    ]
    for name, (label, path, _signed_in) in TARGETS.items():
        r = report["urls"].get(name)
        if r is None:
            continue
        rows.append(f"| {label} `{path}` | {r['rps_median']:.0f} | {', '.join(f'{v:.0f}' for v in r['rps_rounds'])} "
                    f"| {r['p50_ms']} | {r['p95_ms']} | {r['errors']} | {_fmt(r['server_cpu_ms_per_request'])} |")
    ratio = report["ratio"]
    verdict = "meets" if ratio["page_over_bare"] >= TARGET_RATIO else "is UNDER"
    busy = report["urls"]
    lines = [
        f"Throughput, {report['date']}: {s['clients']} keep-alive clients, {s['rounds']} rounds x "
        f"{s['duration']:g} s per URL, in rotating order; gunicorn gthread, {s['workers']} worker(s) x "
        f"{s['threads']} threads; {report['machine']['cpus']} CPUs, Python {report['machine']['python']}.",
        "",
        *rows,
        "",
        f"Ratio page/bare (median req/s): **{ratio['page_over_bare']:.2f}** "
        f"(same-round pairs: median {ratio['per_round_median']:.2f}; by server CPU per request: "
        f"{_fmt(ratio['by_server_cpu'])}). Target >= {TARGET_RATIO:.2f}: {verdict} the target.",
        "Server busy, median cores: " + ", ".join(f"{name} {_fmt(r['server_cores_busy'])}" for name, r in busy.items())
        + "; load generator: " + ", ".join(f"{name} {_fmt(r['client_cores_busy'])}" for name, r in busy.items()) + ".",
    ]
    lines += [f"Warning: {warning}" for warning in report["warnings"]]
    return "\n".join(lines)


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


# --- main ----------------------------------------------------------------------------------------


def _stop_on_sigterm(signum, frame):
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Requests per second of the signed-in home page against a "
                                                 "bare endpoint on the production server, same run.")
    parser.add_argument("--clients", type=int, default=8, help="concurrent keep-alive clients (default 8)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds per URL, in rotating order (default 5)")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per round and URL (default 5)")
    parser.add_argument("--warmup", type=float, default=1.0, help="seconds of unmeasured load per URL first")
    parser.add_argument("--workers", type=int, default=1, help="gunicorn workers (default 1, as lsweb serve)")
    parser.add_argument("--threads", type=int, default=32, help="threads per worker (default 32, as lsweb serve)")
    parser.add_argument("--two", action="store_true",
                        help="only the bare endpoint and the page (skip the signed-in bare row)")
    parser.add_argument("--page", choices=sorted(PAGES), default="plan",
                        help="the signed-in page compared with the bare endpoint (default: the plan page)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON instead of Markdown")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    TARGETS["page"] = (*PAGES[args.page], True)
    names = ["bare", "page"] if args.two else list(TARGETS)

    def progress(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    server = None
    port = 0
    rounds: dict[str, list[dict]] = {name: [] for name in names}
    with tempfile.TemporaryDirectory(prefix="lsweb-bench-") as tmp:
        workdir = Path(tmp)
        instance = workdir / "instance"
        env = _clean_env(instance)
        try:
            progress(f"Preparing a fresh database in {instance} ...")
            prepare_database(workdir, env)
            port = _free_port()
            progress(f"Starting the server on http://{HOST}:{port}/ ...")
            server = Server(workdir, env, port, args.workers, args.threads)
            server.wait_ready()
            cookie = sign_in(port)
            requests = {name: raw_request(TARGETS[name][1], port, cookie if TARGETS[name][2] else None)
                        for name in names}
            if args.warmup > 0:
                for name in names:
                    run_load(port, requests[name], args.clients, args.warmup, None)
            for index in range(args.rounds):
                shift = index % len(names)
                for name in names[shift:] + names[:shift]:  # rotate, so no URL always runs first
                    result = run_load(port, requests[name], args.clients, args.duration, server)
                    rounds[name].append(result)
                    progress(f"round {index + 1}/{args.rounds} {name:<14}: {result['rps']:7.0f} req/s, "
                             f"{result['errors']} errors")
        except BenchError as error:
            print(f"bench/throughput.py: {error}", file=sys.stderr)
            return 1
        finally:
            if server is not None:
                progress("Stopping the server ...")
                server.stop()

    urls = {name: summarise(rounds[name]) for name in names}
    bare, home = urls["bare"], urls["page"]
    pairs = [h["rps"] / b["rps"] for b, h in zip(rounds["bare"], rounds["page"]) if b["rps"]]
    by_cpu = None
    if bare["server_cpu_ms_per_request"] and home["server_cpu_ms_per_request"]:
        by_cpu = round(bare["server_cpu_ms_per_request"] / home["server_cpu_ms_per_request"], 3)
    errors = sum(r["errors"] for r in urls.values())
    warnings = []
    if errors:
        warnings.append(f"{errors} requests failed; the figures are not valid.")
    if bare["server_cores_busy"] is not None and bare["server_cores_busy"] < 0.85 * args.workers \
            and bare["client_cores_busy"] > 0.85:
        warnings.append("the load generator, not the server, may have limited the bare endpoint "
                        "(that would make the ratio look better than it is).")
    report = {
        "benchmark": "throughput",
        "command": " ".join([".venv/bin/python bench/throughput.py", *(sys.argv[1:] if argv is None else argv)]),
        "date": date.today().isoformat(),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "system": platform.platform()},
        "settings": {"clients": args.clients, "rounds": args.rounds, "duration": args.duration,
                     "warmup": args.warmup, "workers": args.workers, "threads": args.threads,
                     "gunicorn": gunicorn_options(HOST, port, args.workers, args.threads),
                     "urls": {name: {"path": TARGETS[name][1], "signed_in": TARGETS[name][2]} for name in names},
                     "user": ADMIN_EMAIL, "database": "SQLite, fresh demo network"},
        "urls": urls,
        "ratio": {"page_over_bare": round(home["rps_median"] / bare["rps_median"], 3) if bare["rps_median"] else 0.0,
                  "per_round_median": round(statistics.median(pairs), 3) if pairs else 0.0,
                  "by_server_cpu": by_cpu, "target": TARGET_RATIO},
        "warnings": warnings,
    }
    print(json.dumps(report, indent=2) if args.json else markdown(report))
    return 1 if errors else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("Interrupted; the server was stopped.", file=sys.stderr)
        sys.exit(130)
