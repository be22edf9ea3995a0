#!/usr/bin/env python3
"""SQLite under load: 40 editors saving plan boxes and 200 open live streams against the production
server (gunicorn gthread as `lsweb serve` runs it, one worker, on SQLite). Counts "database is locked"
in the server's log and responses >= 500; reports the save's p50/p95 and the rate of saves.

    .venv/bin/python bench/sqlite_lock.py [--editors 40] [--streams 200] [--duration 60] [--interval 1]

Each editor is signed in with its own session and keep-alive connection and saves one of RL1's plan
boxes every `--interval` seconds (text and base version, as the page's script does); the streams are
GET /live/lesson-1 held open for the whole run (each editor's session opens several, as tabs do).
Traffic goes only to 127.0.0.1; the server and its temporary folder are removed at the end.
`--source DIR` serves the lsweb found in DIR instead (to measure an older checkout the same way).
"""

from __future__ import annotations

import argparse
import random
import signal
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from coediting import KEYS, MEMBERS, Editor  # noqa: E402
from load import open_stream  # noqa: E402
from benchlib import BenchError, Server, _clean_env, _free_port, _stop_on_sigterm, prepare_database  # noqa: E402

LOCKED = "database is locked"


def editor_loop(editor: Editor, stop: threading.Event, start: float, interval: float, statuses: list) -> None:
    time.sleep(max(0.0, start - time.monotonic()) + random.random() * interval)
    round_number = 0
    while not stop.is_set():
        before = len(editor.problems)
        editor.save_once(round_number)
        if len(editor.problems) > before:
            statuses.append(editor.problems[-1])
        round_number += 1
        stop.wait(interval)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--editors", type=int, default=40)
    parser.add_argument("--streams", type=int, default=200)
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between one editor's saves")
    parser.add_argument("--threads", type=int, default=400, help="gunicorn threads (the lsweb serve default)")
    parser.add_argument("--source", help="a checkout whose lsweb the server runs (default: this one)")
    parser.add_argument("--log", help="keep the server's log in this file")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    stop, problems = threading.Event(), []
    server = None
    with tempfile.TemporaryDirectory(prefix="lsweb-sqlite-lock-") as tmp:
        workdir = Path(tmp)
        env = _clean_env(workdir / "instance")
        if args.source:
            env["PYTHONPATH"] = str(Path(args.source).resolve())
        try:
            print("Preparing a fresh demo database (SQLite) ...", file=sys.stderr)
            prepare_database(workdir, env)
            port = _free_port()
            server = Server(workdir, env, port, 1, args.threads)
            server.wait_ready()
            print(f"Signing in {args.editors} editors ...", file=sys.stderr)
            editors = [Editor(n, port, [KEYS[n % len(KEYS)], KEYS[(n + 3) % len(KEYS)]]) for n in range(args.editors)]
            for editor in editors:
                editor.email = MEMBERS[editor.number % len(MEMBERS)]
                editor.sign_in()
            start = time.monotonic() + 1
            cookies = ["; ".join(f"{k}={v}" for k, v in editors[i % len(editors)].jar.items())
                       for i in range(args.streams)]
            threads = [threading.Thread(target=open_stream, args=(port, cookie, stop), daemon=True)
                       for cookie in cookies]
            threads += [threading.Thread(target=editor_loop, args=(e, stop, start, args.interval, problems),
                                         daemon=True) for e in editors]
            for thread in threads:
                thread.start()
            print(f"Running for {args.duration:g} s ...", file=sys.stderr)
            time.sleep(args.duration + 1)
            stop.set()
            for thread in threads:
                thread.join(timeout=10)
            log = server.log_path.read_text(errors="replace")
            if args.log:
                Path(args.log).write_text(log)
        except BenchError as error:
            print(f"bench/sqlite_lock.py: {error}", file=sys.stderr)
            return 1
        finally:
            stop.set()
            if server is not None:
                server.stop()
    latencies = sorted(1000 * s for e in editors for s in e.latencies)
    saves = len(latencies)
    failed = [p for p in problems if not p.split(": ", 1)[-1][:1].isdigit() or int(p.split(": ", 1)[-1][:3]) >= 500]
    p95 = latencies[int(0.95 * (saves - 1))] if saves else float("nan")
    print(f"SQLite lock, {time.strftime('%Y-%m-%d %H:%M %Z')}: {args.editors} editors (a plan-box save every "
          f"{args.interval:g} s each), {args.streams} open live streams, {args.duration:g} s; gunicorn gthread "
          f"1 worker x {args.threads} threads{' (source ' + args.source + ')' if args.source else ''}.")
    print(f"saves answered: {saves} ({saves / args.duration:.1f}/s), p50 "
          f"{statistics.median(latencies) if saves else float('nan'):.1f} ms, p95 {p95:.1f} ms")
    print(f'"{LOCKED}" in the server log: {log.count(LOCKED)}')
    print(f"responses >= 500 or no answer: {len(failed)}; other refusals: {len(problems) - len(failed)}")
    for problem in problems[:5]:
        print("  " + problem)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("Interrupted; the server was stopped.", file=sys.stderr)
        sys.exit(130)
