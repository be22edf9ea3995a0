#!/usr/bin/env python3
"""Load: a staff meeting of 40 people on one plan and one board, plus 200 others browsing, against the
production server (gunicorn as `lsweb serve` runs it, with its default threads). Reports p95 per page
and the error rate.

    .venv/bin/python bench/load.py [--meeting 40] [--browsing 200] [--duration 60]

- The meeting: each of the 40 holds the plan's live stream open (as their browser does), saves a field
  of RL1's plan every 2 s (text and base version, as the page's script does: most saves are merged), and
  every fifth time posts to RL1's board instead.
- The others: each opens a page every 3 s on average (home, the groups list, the group, the cycle, the
  plans of RL1 and RL2, RL1's board and its grid), signed in as one of the group's members.
Every client has its own session and keep-alive connection. Traffic goes only to 127.0.0.1; the server
and its temporary folder are removed at the end, also on Ctrl+C.
"""

from __future__ import annotations

import argparse
import http.client
import random
import signal
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from coediting import KEYS, LESSON_ID, MEMBERS, Editor  # noqa: E402
from throughput import HOST, BenchError, Server, _clean_env, _free_port, _stop_on_sigterm, prepare_database  # noqa: E402

PAGES = {"home": "/", "groups": "/groups/", "group": "/groups/1", "cycle": "/groups/1/cycles/1",
         "plan RL1": f"/lessons/{LESSON_ID}", "plan RL2": "/lessons/2", "board RL1": f"/lessons/{LESSON_ID}/board",
         "grid RL1": f"/lessons/{LESSON_ID}/grid"}


class Recorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.times: dict[str, list[float]] = {}
        self.errors: dict[str, int] = {}

    def add(self, name: str, seconds: float | None) -> None:
        with self.lock:
            if seconds is None:
                self.errors[name] = self.errors.get(name, 0) + 1
            else:
                self.times.setdefault(name, []).append(seconds * 1000)


def timed(recorder: Recorder, name: str, call) -> None:
    started = time.perf_counter()
    try:
        status = call()
    except (OSError, http.client.HTTPException):
        recorder.add(name, None)
        return
    recorder.add(name, time.perf_counter() - started if 200 <= status < 400 else None)


def open_stream(port: int, cookie: str, stop: threading.Event) -> None:
    """A browser's live stream of the plan page, read until the end of the run."""
    with socket.create_connection((HOST, port), timeout=5) as sock:
        sock.sendall(f"GET /live/lesson-{LESSON_ID} HTTP/1.1\r\nHost: {HOST}:{port}\r\n"
                     f"Accept: text/event-stream\r\nCookie: {cookie}\r\n\r\n".encode())
        sock.settimeout(1)
        while not stop.is_set():
            try:
                if not sock.recv(65536):
                    return
            except TimeoutError:
                continue
            except OSError:
                return


def meeting_member(editor: Editor, recorder: Recorder, stop: threading.Event, start: float) -> None:
    round_number = 0
    time.sleep(max(0.0, start - time.monotonic()) + random.random() * 2)
    while not stop.is_set():
        if round_number % 5 == 4:
            body = {"section": "patterns", "token": f"load-{editor.number}-{round_number:05d}",
                    "body": f"Seen by {editor.number}: most pupils used the bar model.", "mark": ""}
            timed(recorder, "board post", lambda: editor.request("POST", f"/lessons/{LESSON_ID}/board/posts",
                                                                 body)[0])
        else:
            errors = editor.errors
            editor.save_once(round_number)
            recorder.add("plan field save", None if editor.errors > errors else editor.latencies[-1])
        round_number += 1
        stop.wait(2.0)


def browser(editor: Editor, recorder: Recorder, stop: threading.Event, start: float) -> None:
    time.sleep(max(0.0, start - time.monotonic()) + random.random() * 3)
    names = list(PAGES)
    while not stop.is_set():
        name = random.choice(names)
        timed(recorder, name, lambda: editor.request("GET", PAGES[name])[0])
        stop.wait(random.uniform(1.5, 4.5))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--meeting", type=int, default=40)
    parser.add_argument("--browsing", type=int, default=200)
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--threads", type=int, default=400, help="gunicorn threads (the lsweb serve default)")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    recorder, stop = Recorder(), threading.Event()
    server = None
    with tempfile.TemporaryDirectory(prefix="lsweb-load-") as tmp:
        workdir = Path(tmp)
        env = _clean_env(workdir / "instance")
        try:
            print("Preparing a fresh demo database ...", file=sys.stderr)
            prepare_database(workdir, env)
            port = _free_port()
            server = Server(workdir, env, port, 1, args.threads)
            server.wait_ready()
            print(f"Signing in {args.meeting + args.browsing} people ...", file=sys.stderr)
            meeting = [Editor(n, port, [KEYS[n % len(KEYS)], KEYS[(n + 2) % len(KEYS)]]) for n in range(args.meeting)]
            others = [Editor(10_000 + n, port, KEYS[:1]) for n in range(args.browsing)]
            for person in meeting + others:
                person.email = MEMBERS[person.number % len(MEMBERS)]
                person.sign_in()
            start = time.monotonic() + 1
            threads = [threading.Thread(target=open_stream, args=(port, _cookie(p), stop), daemon=True)
                       for p in meeting]
            threads += [threading.Thread(target=meeting_member, args=(p, recorder, stop, start), daemon=True)
                        for p in meeting]
            threads += [threading.Thread(target=browser, args=(p, recorder, stop, start), daemon=True)
                        for p in others]
            for thread in threads:
                thread.start()
            print(f"Running for {args.duration:g} s ...", file=sys.stderr)
            time.sleep(args.duration + 1)
            stop.set()
            for thread in threads:
                thread.join(timeout=10)
        except BenchError as error:
            print(f"bench/load.py: {error}", file=sys.stderr)
            return 1
        finally:
            stop.set()
            if server is not None:
                server.stop()
    print(report(recorder, args))
    problems = [problem for person in meeting for problem in person.problems]
    if problems:
        print("\nErrors seen: " + "; ".join(problems[:5]))
    return 0


def _cookie(editor: Editor) -> str:
    return "; ".join(f"{name}={value}" for name, value in editor.jar.items())


def report(recorder: Recorder, args) -> str:
    lines = [f"Load, {time.strftime('%Y-%m-%d')}: a meeting of {args.meeting} (each with the plan's live stream "
             f"open, a save every 2 s, every fifth a board post) and {args.browsing} people browsing (a page "
             f"every 3 s on average), {args.duration:g} s; gunicorn gthread 1 worker x {args.threads} threads.",
             "", "| request | count | p50 ms | p95 ms | errors | error rate |", "|---|---:|---:|---:|---:|---:|"]
    total = errors = 0
    for name in sorted(set(recorder.times) | set(recorder.errors)):
        times = sorted(recorder.times.get(name, []))
        failed = recorder.errors.get(name, 0)
        count = len(times) + failed
        total, errors = total + count, errors + failed
        p50 = statistics.median(times) if times else float("nan")
        p95 = times[int(0.95 * (len(times) - 1))] if times else float("nan")
        lines.append(f"| {name} | {count} | {p50:.1f} | {p95:.1f} | {failed} | {failed / count:.2%} |")
    lines.append(f"\nAll requests: {total}, errors {errors} ({errors / max(total, 1):.2%}).")
    return "\n".join(lines)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("Interrupted; the server was stopped.", file=sys.stderr)
        sys.exit(130)
