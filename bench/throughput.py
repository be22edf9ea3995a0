#!/usr/bin/env python3
"""Throughput: requests per second of six signed-in pages against a bare Flask app, measured with wrk.

    .venv/bin/python bench/throughput.py            (or: make bench; about 3 minutes)
    .venv/bin/python bench/throughput.py --json     (the figures as JSON instead of a Markdown table)
    .venv/bin/python bench/throughput.py --pages board,plan --rounds 2 --duration 3   (a quick look)

Needs wrk (Debian: `apt-get install wrk`), a load generator written in C that drives even a bare
endpoint to its limit (a Python client cannot: it tops out near 1,600 requests/s here).

What it does:

1. makes a temporary instance folder with a fresh SQLite database (`lsweb init`, `lsweb demo`), grows
   RL1's plan to 8 stages and RL1's board to 60 posts (threads and replies, marks, agreements);
2. starts two servers, both through lsweb.server.serve (the same gunicorn settings): lsweb exactly as
   `lsweb serve` runs it (the real command, its default workers and threads), and a separate bare
   Flask app that answers "ok" (bench/bare_app.py), nothing of lsweb in it;
3. signs in as teacher1 (Hannah Lee, a member of "Year 4 fractions") through the real sign-in form,
   loads each page once as a browser would and keeps the cookie the pages set;
4. runs wrk (2 threads, 32 connections by default) against each URL in rounds whose order rotates, so
   noise on a shared machine falls on every URL alike; every page request carries the session cookie;
5. reports per URL the median requests/s across rounds, the ratio to the bare app in the same round,
   wrk's p50/p99 latency, errors and the server's CPU time per request (from /proc: user + system of
   every process of that server; less sensitive to other load than requests/s);
6. stops both servers and removes the temporary folder, also on Ctrl+C or an error.
Traffic goes only to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlencode

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

# (Re-exported: bench/load.py and bench/coediting.py import these from here.)
from benchlib import (  # noqa: E402,F401
    HOST,
    ROOT,
    USER_AGENT,
    BenchError,
    Server,
    _clean_env,
    _cookie_header,
    _cookies,
    _free_port,
    _lsweb_command,
    _stop_on_sigterm,
    prepare_database,
    session_cpu_seconds,
)

from lsweb.demo import DEMO_PASSWORD  # noqa: E402

MEMBER_EMAIL = "teacher1@demo.local"  # Hannah Lee: a member of "Year 4 fractions", signed
TARGET_RATIO = 0.25
BOARD_POSTS = 60
# name: (label, path); "{study}" is the first study in the library that teacher1 may read.
PAGES = {
    "home": ("home", "/"),
    "plan": ("plan RL1 (3 pupils x 8 stages)", "/lessons/1"),
    "board": (f"board RL1 ({BOARD_POSTS} posts)", "/lessons/1/board"),
    "grid": ("grid RL1", "/lessons/1/grid"),
    "search": ("library search", "/library?q=fractions"),
    "study": ("study page", "/library/studies/{study}"),
}
GROW_BOARD = f"""
from lsweb import create_app
from lsweb.discussion import services
from lsweb.extensions import db
from lsweb.models import Post, ResearchLesson, User
app = create_app()
with app.app_context():
    lesson = db.session.get(ResearchLesson, 1)
    people = [db.session.scalar(db.select(User).where(User.email == e)) for e in
              ("teacher1@demo.local", "teacher2@demo.local", "teacher3@demo.local", "support1@demo.local")]
    keys = [s.key for s in services.sections_of(lesson) if s.key not in (services.GUESTS, services.FINAL)]
    marks = [None, None, "finding", None, "question", None, "next_step"]
    n = 0
    while db.session.scalar(db.select(db.func.count(Post.id)).where(Post.lesson_id == 1)) < {BOARD_POSTS}:
        who = people[n % len(people)]
        text = (f"Observation {{n}}: the pupils at table {{n % 6 + 1}} *folded* the strips before drawing, "
                "and **two of them** explained halves and quarters to their partner. See [the plan](https://example.org/plan).")
        if n % 3 == 2:  # a reply to the last thread
            services.add_post(who, lesson, "", text, f"bench-{{n:05d}}", parent=thread)
        else:
            thread, _ = services.add_post(who, lesson, keys[n % len(keys)], text, f"bench-{{n:05d}}",
                                          mark=marks[n % len(marks)])
            for other in people[: n % 4]:
                if other.id != who.id:
                    services.toggle_agree(other, thread)
        n += 1
"""
FIRST_STUDY = """
from lsweb import create_app
from lsweb.extensions import db
from lsweb.models import Publication
app = create_app()
with app.app_context():
    print(db.session.scalar(db.select(Publication.id).order_by(Publication.id)))
"""
WRK_SCRIPT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("LSWEB-WRK %d %d %d %d %d %d %d\\n", summary.requests, summary.duration,
    e.connect + e.read + e.write + e.timeout, e.status, latency:percentile(50), latency:percentile(99),
    summary.bytes))
end
"""
_CSRF_INPUT = re.compile(r'<input[^>]*name="csrf_token"[^>]*>')
_VALUE = re.compile(r'value="([^"]*)"')


def _run_python(code: str, workdir: Path, env: dict, what: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], cwd=workdir, env=env, capture_output=True, text=True,
                          timeout=300)
    if done.returncode != 0:
        raise BenchError(f"{what} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


# --- signing in and loading each page once (http.client: a few requests) --------------------------


def _get(port: int, path: str, jar: dict) -> tuple[int, str]:
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        conn.request("GET", path, headers={"User-Agent": USER_AGENT, "Cookie": _cookie_header(jar)})
        response = conn.getresponse()
        body = response.read().decode("utf-8", "replace")
        _cookies(response, jar)
        return response.status, body
    finally:
        conn.close()


def sign_in(port: int, email: str = MEMBER_EMAIL) -> dict:
    """Sign in through the form; returns the cookie jar."""
    jar: dict[str, str] = {}
    status, page = _get(port, "/login", jar)
    tag = _CSRF_INPUT.search(page)
    value = _VALUE.search(tag.group(0)) if tag else None
    if status != 200 or value is None:
        raise BenchError(f"GET /login answered {status} without a csrf_token field")
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        form = urlencode({"csrf_token": value.group(1), "email": email, "password": DEMO_PASSWORD})
        conn.request("POST", "/login", body=form, headers={
            "User-Agent": USER_AGENT, "Cookie": _cookie_header(jar),
            "Content-Type": "application/x-www-form-urlencoded"})
        response = conn.getresponse()
        response.read()
        _cookies(response, jar)
        if response.status != 303:
            raise BenchError(f"Signing in as {email} answered {response.status}, not 303")
    finally:
        conn.close()
    return jar


def visit_pages(port: int, jar: dict, paths: dict[str, str]) -> list[str]:
    """Each page once, keeping what it sets (as a browser does); then each again, to check that no page
    sets a cookie on every request (work no browser causes after its first page). Returns warnings."""
    warnings = []
    for name, path in paths.items():
        status, page = _get(port, path, jar)
        if status != 200 or 'id="login-form"' in page:
            raise BenchError(f"{name} ({path}) answered {status}, not the signed-in page")
    for name, path in paths.items():
        before = dict(jar)
        _get(port, path, jar)
        if jar != before:
            warnings.append(f"{name} sets a new cookie on every request")
    return warnings


# --- wrk -----------------------------------------------------------------------------------------


def run_wrk(url: str, cookie: str | None, threads: int, connections: int, duration: float, script: Path,
            server: Server | None) -> dict:
    command = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{max(1, round(duration))}s", "-s", str(script), "--timeout", "30s",
               "-H", f"User-Agent: {USER_AGENT}", "-H", "Accept: text/html"]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    cpu_before = server.cpu_seconds() if server else None
    done = subprocess.run(command + [url], capture_output=True, text=True, timeout=duration + 60)
    cpu = server.cpu_seconds() - cpu_before if server and cpu_before is not None else None
    line = next((line for line in done.stdout.splitlines() if line.startswith("LSWEB-WRK ")), None)
    if done.returncode != 0 or line is None:
        raise BenchError(f"wrk failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    requests, duration_us, socket_errors, status_errors, p50, p99, size = map(int, line.split()[1:])
    seconds = duration_us / 1e6
    ok = requests - status_errors
    return {"requests": requests, "rps": requests / seconds, "errors": socket_errors + status_errors,
            "p50_ms": p50 / 1000, "p99_ms": p99 / 1000, "server_cpu_ms": (cpu * 1000 / ok) if cpu and ok else None,
            "server_cores": cpu / seconds if cpu is not None else None, "bytes_per_request": size / max(requests, 1)}


def summarise(rounds: list[dict], bare_rounds: list[dict]) -> dict:
    ratios = [r["rps"] / b["rps"] for r, b in zip(rounds, bare_rounds) if b["rps"]]
    cpu = [r["server_cpu_ms"] for r in rounds if r["server_cpu_ms"] is not None]
    return {
        "rps_median": round(statistics.median(r["rps"] for r in rounds), 1),
        "rps_rounds": [round(r["rps"]) for r in rounds],
        "ratio_median": round(statistics.median(ratios), 3) if ratios else None,
        "p50_ms": round(statistics.median(r["p50_ms"] for r in rounds), 2),
        "p99_ms": round(statistics.median(r["p99_ms"] for r in rounds), 2),
        "errors": sum(r["errors"] for r in rounds),
        "server_cpu_ms_per_request": round(statistics.median(cpu), 3) if cpu else None,
        "server_cores_busy": round(statistics.median(r["server_cores"] for r in rounds), 2)
        if all(r["server_cores"] is not None for r in rounds) else None,
        "kb_per_page": round(statistics.median(r["bytes_per_request"] for r in rounds) / 1024, 1),
    }


def markdown(report: dict) -> str:
    s = report["settings"]
    rows = ["| URL | median req/s | req/s per round | ratio to bare | p50 ms | p99 ms | errors | server CPU ms/req | kB |",
            "|---|---:|---|---:|---:|---:|---:|---:|---:|"]
    for name, r in report["urls"].items():
        ratio = "1" if name == "bare" else (f"{r['ratio_median']:.2f}" if r["ratio_median"] is not None else "n/a")
        if name != "bare" and r["ratio_median"] is not None and r["ratio_median"] < TARGET_RATIO:
            ratio += " (under)"
        rows.append(f"| {s['urls'][name]['label']} `{s['urls'][name]['path']}` | {r['rps_median']:.0f} | "
                    f"{', '.join(str(v) for v in r['rps_rounds'])} | {ratio} | {r['p50_ms']} | {r['p99_ms']} | "
                    f"{r['errors']} | {_fmt(r['server_cpu_ms_per_request'])} | {r['kb_per_page']} |")
    lines = [
        f"Throughput, {report['date']}: wrk {s['wrk_threads']} threads x {s['connections']} connections, "
        f"{s['rounds']} rounds x {s['duration']:g} s per URL in rotating order; both servers through "
        f"lsweb.server.serve (gunicorn gthread, {s['workers']} worker x {s['threads']} threads); "
        f"{report['machine']['cpus']} CPUs, Python {report['machine']['python']}, load average before "
        f"{report['machine']['load_before']}.",
        "",
        *rows,
        "",
        f"Ratio: median over rounds of page req/s / bare req/s in the same round. Target >= {TARGET_RATIO:.2f}.",
    ]
    lines += [f"Warning: {warning}" for warning in report["warnings"]]
    return "\n".join(lines)


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


# --- main ----------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", default=",".join(PAGES),
                        help=f"comma-separated, of: {', '.join(PAGES)} (default: all)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per URL, in rotating order (default 3)")
    parser.add_argument("--duration", type=int, default=5, help="seconds per round and URL (default 5)")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of unmeasured load per URL first (default 2)")
    parser.add_argument("--wrk-threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (default 32)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON instead of Markdown")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    chosen = [name.strip() for name in args.pages.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in PAGES]
    if unknown:
        parser.error(f"unknown page(s): {', '.join(unknown)}")
    if shutil.which("wrk") is None:
        print("bench/throughput.py needs wrk: apt-get install wrk", file=sys.stderr)
        return 1

    def progress(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    servers: dict[str, Server] = {}
    paths: dict[str, str] = {}
    names = ["bare", *chosen]
    rounds: dict[str, list[dict]] = {name: [] for name in names}
    warnings: list[str] = []
    load_before = " ".join(f"{x:.1f}" for x in os.getloadavg())
    with tempfile.TemporaryDirectory(prefix="lsweb-bench-") as tmp:
        workdir = Path(tmp)
        env = _clean_env(workdir / "instance")
        script = workdir / "report.lua"
        script.write_text(WRK_SCRIPT)
        try:
            progress(f"Preparing a fresh database in {workdir / 'instance'} ...")
            prepare_database(workdir, env)
            _run_python(GROW_BOARD, workdir, env, f"growing RL1's board to {BOARD_POSTS} posts")
            study = _run_python(FIRST_STUDY, workdir, env, "finding a study").strip()
            paths.update({name: PAGES[name][1].format(study=study) for name in chosen})
            lsweb_port, bare_port = _free_port(), _free_port()
            threads = int(env.get("LSWEB_THREADS", "400"))
            progress(f"Starting lsweb (`lsweb serve`) on :{lsweb_port} and the bare app on :{bare_port} ...")
            servers["lsweb"] = Server(workdir, env, lsweb_port, 1, threads, name="lsweb",
                                      command=_lsweb_command() + ["serve", "--host", HOST, "--port", str(lsweb_port)])
            servers["bare"] = Server(workdir, env, bare_port, 1, threads, name="bare",
                                     command=[sys.executable, str(HERE / "bare_app.py"), "--host", HOST,
                                              "--port", str(bare_port), "--workers", "1", "--threads", str(threads)])
            for server in servers.values():
                server.wait_ready()
            jar = sign_in(lsweb_port)
            warnings += visit_pages(lsweb_port, jar, paths)
            cookie = _cookie_header(jar)
            urls = {"bare": (f"http://{HOST}:{bare_port}/", None, servers["bare"])}
            urls.update({name: (f"http://{HOST}:{lsweb_port}{paths[name]}", cookie, servers["lsweb"])
                         for name in chosen})
            if args.warmup > 0:
                for name in names:
                    url, cookie_, _server = urls[name]
                    run_wrk(url, cookie_, args.wrk_threads, args.connections, args.warmup, script, None)
            for index in range(args.rounds):
                shift = index % len(names)
                for name in names[shift:] + names[:shift]:  # rotate, so no URL always runs first
                    url, cookie_, server = urls[name]
                    result = run_wrk(url, cookie_, args.wrk_threads, args.connections, args.duration, script, server)
                    rounds[name].append(result)
                    progress(f"round {index + 1}/{args.rounds} {name:<7}: {result['rps']:7.0f} req/s, "
                             f"{_fmt(result['server_cpu_ms'])} ms CPU/req, {result['errors']} errors")
        except BenchError as error:
            print(f"bench/throughput.py: {error}", file=sys.stderr)
            return 1
        finally:
            for server in servers.values():
                server.stop()

    summaries = {name: summarise(rounds[name], rounds["bare"]) for name in names}
    errors = sum(r["errors"] for r in summaries.values())
    if errors:
        warnings.append(f"{errors} requests failed or answered >= 400; the figures are not valid.")
    report = {
        "benchmark": "throughput",
        "command": " ".join([".venv/bin/python bench/throughput.py", *(sys.argv[1:] if argv is None else argv)]),
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "system": platform.platform(),
                    "load_before": load_before},
        "settings": {"wrk_threads": args.wrk_threads, "connections": args.connections, "rounds": args.rounds,
                     "duration": args.duration, "warmup": args.warmup, "workers": 1,
                     "threads": int(os.environ.get("LSWEB_THREADS", "400")),
                     "urls": {"bare": {"label": "bare Flask app", "path": "/"},
                              **{name: {"label": PAGES[name][0], "path": paths.get(name, PAGES[name][1])}
                                 for name in chosen}},
                     "user": MEMBER_EMAIL, "database": "SQLite, fresh demo network"},
        "urls": summaries,
        "target": TARGET_RATIO,
        "warnings": warnings,
    }
    print(json.dumps(report, indent=2) if args.json else markdown(report))
    return 1 if errors else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("Interrupted; the servers were stopped.", file=sys.stderr)
        sys.exit(130)
