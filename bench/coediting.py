#!/usr/bin/env python3
"""Co-editing: 40 simulated editors each save a field of one plan every 2 s for 60 s, against the
production server (gunicorn as `lsweb serve` runs it). Reports lost edits (must be 0) and the save
latency p50/p95 (target p95 < 100 ms).

    .venv/bin/python bench/coediting.py [--editors 40] [--interval 2] [--duration 60] [--fields 10]

Each editor is its own signed-in session (of one of the group's members) with its own keep-alive
connection. Editors share a few fields of RL1's plan, so most saves are made from a stale version and
are merged (or kept as a conflict) by the server. Each save adds one unique word to the text the editor
last saw. When the run ends, every word of an acknowledged save must be in the field's final text or in
a conflict kept for its author (a word the server answered for is never lost); the database is read
directly for that. Traffic goes only to 127.0.0.1; the server and its temporary folder are removed at
the end, also on Ctrl+C.
"""

from __future__ import annotations

import argparse
import http.client
import json
import re
import signal
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from throughput import (HOST, USER_AGENT, BenchError, Server, _clean_env, _cookie_header, _cookies,  # noqa: E402
                        _free_port, _stop_on_sigterm, prepare_database)

from lsweb.demo import DEMO_PASSWORD  # noqa: E402

LESSON_ID = 1  # RL1 of "Year 4 fractions" in a fresh demo network
MEMBERS = ["teacher1@demo.local", "teacher2@demo.local", "teacher3@demo.local", "support1@demo.local"]
KEYS = ["aspect", "intentions", "criteria", "resources", "interview"]
_CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
_HX_TOKEN = re.compile(r'"X-CSRFToken": "([^"]+)"')


class Editor:
    """One browser: signed in, holding the text and version it last saw of each field it edits."""

    def __init__(self, number: int, port: int, keys: list[str]):
        self.number = number
        self.port = port
        self.keys = keys
        self.email = MEMBERS[number % len(MEMBERS)]
        self.conn = http.client.HTTPConnection(HOST, port, timeout=30)
        self.jar: dict[str, str] = {}
        self.token = ""
        self.seen: dict[str, tuple[str, int]] = {}
        self.acknowledged: list[tuple[str, str]] = []  # (key, word) of every save the server answered
        self.latencies: list[float] = []
        self.errors = 0
        self.problems: list[str] = []

    def request(self, method: str, path: str, body: dict | None = None) -> tuple[int, bytes]:
        headers = {"User-Agent": USER_AGENT, "Cookie": _cookie_header(self.jar)}
        data = None
        if body is not None:
            data = urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            if self.token:
                headers["X-CSRFToken"] = self.token
        try:
            self.conn.request(method, path, body=data, headers=headers)
            response = self.conn.getresponse()
        except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
            # The server closed an idle keep-alive connection: as a browser, open a new one and resend.
            self.conn.close()
            self.conn.request(method, path, body=data, headers=headers)
            response = self.conn.getresponse()
        payload = response.read()
        _cookies(response, self.jar)
        return response.status, payload

    def sign_in(self) -> None:
        status, page = self.request("GET", "/login")
        token = _CSRF_FIELD.search(page.decode())
        status, _ = self.request("POST", "/login", {"csrf_token": token.group(1), "email": self.email,
                                                    "password": DEMO_PASSWORD})
        if status != 303:
            raise BenchError(f"editor {self.number}: signing in as {self.email} answered {status}")
        status, page = self.request("GET", f"/lessons/{LESSON_ID}")
        if status != 200:
            raise BenchError(f"editor {self.number}: the plan page answered {status}")
        self.token = _HX_TOKEN.search(page.decode()).group(1)
        status, state = self.request("GET", f"/lessons/{LESSON_ID}/fields")
        fields = json.loads(state)
        for key in self.keys:
            field = fields.get(key, {"text": "", "version": 0})
            self.seen[key] = (field["text"], field["version"])

    def save_once(self, round_number: int) -> None:
        key = self.keys[round_number % len(self.keys)]
        text, version = self.seen[key]
        word = f"e{self.number}r{round_number}"
        words = text.split(" ") if text else []
        words.insert((self.number * 7 + round_number * 3) % (len(words) + 1), word)
        started = time.perf_counter()
        body = {"text": " ".join(words), "version": str(version)}
        try:
            status, payload = self.request("POST", f"/lessons/{LESSON_ID}/fields/{key}", body)
        except (OSError, http.client.HTTPException) as error:
            self.errors += 1
            self.problems.append(f"{key}: {error!r}")
            self.conn.close()
            return
        self.latencies.append(time.perf_counter() - started)
        if status != 200:
            self.errors += 1
            self.problems.append(f"{key}: {status} {payload[:200]!r}")
            return
        answer = json.loads(payload)
        self.acknowledged.append((key, word))
        # Saved or merged: the editor's box shows the server's text. A conflict: the author's text is kept
        # on the server; the editor carries on from the saved text.
        self.seen[key] = (answer["text"], answer["version"])


def run(port: int, editors: int, interval: float, duration: float, field_count: int) -> list[Editor]:
    keys = (KEYS * ((field_count // len(KEYS)) + 1))[:max(1, min(field_count, len(KEYS)))]
    crowd = [Editor(n, port, [keys[n % len(keys)], keys[(n + 1) % len(keys)]]) for n in range(editors)]
    for editor in crowd:
        editor.sign_in()
    start = time.monotonic() + 0.5
    rounds = int(duration / interval)

    def work(editor: Editor) -> None:
        offset = interval * editor.number / len(crowd)  # spread the saves over each interval
        for round_number in range(rounds):
            wait = start + offset + round_number * interval - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            editor.save_once(round_number)

    threads = [threading.Thread(target=work, args=(editor,), daemon=True) for editor in crowd]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return crowd


def lost_words(database: Path, crowd: list[Editor]) -> list[tuple[str, str]]:
    with sqlite3.connect(database) as connection:
        final = {key: text for key, text in connection.execute(
            "SELECT key, text FROM plan_field WHERE lesson_id = ?", (LESSON_ID,))}
        kept = [text for (text,) in connection.execute(
            "SELECT c.text FROM plan_conflict c JOIN plan_field f ON f.id = c.field_id WHERE f.lesson_id = ?",
            (LESSON_ID,))]
        conflicts = connection.execute("SELECT count(*) FROM plan_conflict").fetchone()[0]
        merges = connection.execute("SELECT count(*) FROM plan_revision WHERE kind = 'merge'").fetchone()[0]
    lost = []
    for editor in crowd:
        for key, word in editor.acknowledged:
            if word not in final.get(key, "").split(" ") and not any(word in text.split(" ") for text in kept):
                lost.append((key, word))
    lost_words.stats = {"conflicts": conflicts, "merges": merges}
    return lost


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--editors", type=int, default=40)
    parser.add_argument("--interval", type=float, default=2.0, help="seconds between one editor's saves")
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--fields", type=int, default=5, help="how many fields the editors share (1-5)")
    parser.add_argument("--threads", type=int, default=64, help="gunicorn threads (one worker)")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    server = None
    with tempfile.TemporaryDirectory(prefix="lsweb-coedit-") as tmp:
        workdir = Path(tmp)
        env = _clean_env(workdir / "instance")
        try:
            print("Preparing a fresh demo database ...", file=sys.stderr)
            prepare_database(workdir, env)
            port = _free_port()
            server = Server(workdir, env, port, 1, args.threads)
            server.wait_ready()
            print(f"{args.editors} editors, a save every {args.interval:g} s each for {args.duration:g} s ...",
                  file=sys.stderr)
            crowd = run(port, args.editors, args.interval, args.duration, args.fields)
        except BenchError as error:
            print(f"bench/coediting.py: {error}", file=sys.stderr)
            return 1
        finally:
            if server is not None:
                server.stop()
        lost = lost_words(workdir / "instance" / "lsweb.db", crowd)
    latencies = sorted(ms * 1000 for editor in crowd for ms in editor.latencies)
    saves = sum(len(editor.acknowledged) for editor in crowd)
    errors = sum(editor.errors for editor in crowd)
    p95 = latencies[int(0.95 * (len(latencies) - 1))] if latencies else None
    print(f"Co-editing, {time.strftime('%Y-%m-%d')}: {args.editors} editors x one save every {args.interval:g} s "
          f"for {args.duration:g} s on {args.fields} shared fields; gunicorn gthread 1 worker x {args.threads} threads.\n")
    print("| saves acknowledged | errors | merges | conflicts kept | lost edits | save p50 ms | save p95 ms |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    print(f"| {saves} | {errors} | {lost_words.stats['merges']} | {lost_words.stats['conflicts']} | {len(lost)} | "
          f"{statistics.median(latencies):.1f} | {p95:.1f} |")
    if lost:
        print(f"\nLOST: {lost[:20]}")
    problems = [problem for editor in crowd for problem in editor.problems]
    if problems:
        print("\nErrors: " + "; ".join(problems[:10]))
    print(f"\nTarget: 0 lost edits ({'met' if not lost else 'NOT met'}); save p95 < 100 ms "
          f"({'met' if p95 is not None and p95 < 100 else 'NOT met'}).")
    return 1 if lost or errors else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("Interrupted; the server was stopped.", file=sys.stderr)
        sys.exit(130)
