#!/usr/bin/env python3
"""Load: a staff meeting of 40 people co-editing one plan and posting to one board, plus 200 others
browsing, against the production server (gunicorn as `lsweb serve` runs it, with its default threads).
Reports p95 per request and the error rate, and with --memory-every the worker's memory over the run.

    .venv/bin/python bench/load.py [--meeting 40] [--browsing 200] [--duration 60] [--memory-every 60]

- The meeting: each of the 40 holds the plan's live stream open and applies the others' updates from
  it (as their browser does) and, every 2 s, types a word of 10 characters, one key at a time, at a
  random place in a box of RL2's plan, and sends it as one co-editing update (as the page's Yjs does).
  Once the box holds more than 3,000 characters each word also deletes 10 at a random place, so that
  a long meeting rewrites its plan rather than growing it to a box's 5,000-character limit. About
  once in five minutes (at random, POST_EVERY) it posts to RL1's board instead: eight posts a minute
  from the meeting, a lively discussion, so that the board a page shows grows as a real one does (at
  one post every 10 s each, the board passed 1,300 posts in 17 minutes and every view of it rendered
  them all). An update the server refuses is dropped by its editor, who
  starts again from the server's document (as the page does after a refusal).
- The others: each opens a page every 3 s on average (home, the groups list, the group, the cycle, the
  plans of RL1 and RL2, RL1's board and its grid), signed in as one of the group's members.
- With --memory-every S the gunicorn worker's resident memory is read every S seconds and the curve is
  printed after the table (the 30-minute run of docs/performance.md: --duration 1800 --memory-every 60).
Every client has its own session and keep-alive connection. Traffic goes only to 127.0.0.1; the server
and its temporary folder are removed at the end, also on Ctrl+C.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import random
import signal
import socket
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from collections import deque
from pathlib import Path
from urllib.parse import urlencode

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_app import MEMORY_PATH  # noqa: E402
from benchlib import HOST, USER_AGENT, BenchError, Server, _clean_env, _free_port, _stop_on_sigterm, prepare_database  # noqa: E402
from coediting import BOXES, MEMBERS, Browser, Editor, _planned_lesson  # noqa: E402
from fanout import worker_rss_mb  # noqa: E402
from pycrdt import Doc, Map, merge_updates  # noqa: E402

TAUGHT = 1  # RL1 of "Year 4 fractions" in the demo: taught, with its board and grid
PAGES = {"home": "/", "groups": "/groups/", "group": "/groups/1", "cycle": "/groups/1/cycles/1",
         "plan RL1": f"/lessons/{TAUGHT}", "plan RL2": "/lessons/{planned}", "board RL1": f"/lessons/{TAUGHT}/board",
         "grid RL1": f"/lessons/{TAUGHT}/grid"}
BURST = 10  # characters typed between two updates
ROUND = 2.0  # seconds between two words of one member
POST_EVERY = 300.0  # seconds between two board posts of one member, on average
KEEP = 3000  # characters a box holds before each burst also deletes as many (a box holds at most 5,000)


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


def open_stream(port: int, cookie: str, channel: str, stop: threading.Event,
                inbox: deque | None = None) -> None:
    """A browser's live stream of the plan page, read until the end of the run; with an inbox, the
    co-editing updates it carries are handed to the editor of that page."""
    with socket.create_connection((HOST, port), timeout=5) as sock:
        sock.sendall(f"GET /live/{channel} HTTP/1.1\r\nHost: {HOST}:{port}\r\n"
                     f"Accept: text/event-stream\r\nCookie: {cookie}\r\n\r\n".encode())
        sock.settimeout(1)
        buffer = b""
        while not stop.is_set():
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                return
            if not chunk:
                return
            if inbox is None:
                continue
            buffer += chunk
            *messages, buffer = buffer.split(b"\n\n")
            for message in messages:
                update = _doc_update(message)
                if update:
                    inbox.append(update)


def _doc_update(message: bytes) -> bytes | None:
    lines = dict(line.split(": ", 1) for line in message.decode(errors="replace").splitlines() if ": " in line)
    if lines.get("event") != "doc-update":
        return None
    try:
        return base64.b64decode(json.loads(lines.get("data", "{}"))["update"])
    except (ValueError, KeyError):
        return None


class MeetingEditor(Editor):
    """An editor whose page also applies what the others type (from its live stream) and, as the page's
    script does, sends the updates of its own typing (not a diff against the server's state, which
    would carry the whole document's deletions every time)."""

    def __init__(self, *args):
        super().__init__(*args)
        self.inbox: deque[bytes] = deque()
        self.restarts = 0
        self._start(self.doc)

    def _start(self, doc: Doc) -> None:
        self.doc, self.outbox, self.receiving = doc, [], False
        self._subscription = doc.observe(self._typed)

    def _typed(self, event) -> None:
        if not self.receiving:
            self.outbox.append(event.update)

    def sync(self) -> None:
        self.receiving = True
        try:
            super().sync()
        finally:
            self.receiving = False

    def catch_up(self) -> None:
        self.receiving = True
        try:
            while self.inbox:
                self.doc.apply_update(self.inbox.popleft())
        finally:
            self.receiving = False

    def type_word(self) -> None:
        """BURST keys typed one after another at one place of the box, as a person types a word."""
        box = self.doc.get("texts", type=Map)[self.box]
        at = self.random.randint(0, len(str(box)))
        for offset in range(BURST):
            with self.doc.transaction():
                box.insert(at + offset, self.character)
            self.typed += 1
            self.pending += 1

    def outgoing(self) -> bytes:
        return merge_updates(*self.outbox)

    def send(self) -> None:
        if not self.pending:
            return
        super().send()
        if self.last_status == 200:
            self.outbox = []
        elif 400 <= self.last_status < 500:
            # Refused whole (over a limit): drop it and start again from the server's document.
            self._start(Doc())
            self.sent_state, self.pending, self.last_status = b"", 0, 0
            self.inbox.clear()
            self.restarts += 1
            self.sync()


def meeting_member(editor: MeetingEditor, recorder: Recorder, stop: threading.Event, start: float) -> None:
    round_number = 0
    time.sleep(max(0.0, start - time.monotonic()) + random.random() * 2)
    while not stop.is_set():
        if editor.random.random() < ROUND / POST_EVERY:
            body = urlencode({"section": "patterns", "token": f"load-{editor.number}-{round_number:05d}",
                              "body": f"Seen by {editor.number}: most pupils used the bar model.", "mark": ""})
            timed(recorder, "board post", lambda: editor.request(
                "POST", f"/lessons/{TAUGHT}/board/posts", body.encode(), "application/x-www-form-urlencoded")[0])
        else:
            editor.catch_up()
            editor.type_word()
            trim(editor)
            errors, updates = editor.errors, editor.updates
            editor.send()
            recorder.add("co-editing update", editor.ack_ms[-1] / 1000 if editor.updates > updates
                         and editor.errors == errors else None)
        round_number += 1
        stop.wait(ROUND)


def trim(editor: MeetingEditor) -> None:
    """Past KEEP characters the editor also deletes as many as it typed, at a random place: a long
    meeting rewrites its plan rather than growing it past a box's limit, and the shared document keeps
    every deletion (as a tombstone), so its memory still grows with the typing."""
    box = editor.doc.get("texts", type=Map)[editor.box]
    length = len(str(box))
    if length > KEEP:
        at = editor.random.randint(0, length - BURST)
        with editor.doc.transaction():
            del box[at:at + BURST]


def browser(person: Browser, pages: dict, recorder: Recorder, stop: threading.Event, start: float) -> None:
    time.sleep(max(0.0, start - time.monotonic()) + random.random() * 3)
    names = list(pages)
    while not stop.is_set():
        name = random.choice(names)
        timed(recorder, name, lambda: person.request("GET", pages[name])[0])
        stop.wait(random.uniform(1.5, 4.5))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--meeting", type=int, default=40)
    parser.add_argument("--browsing", type=int, default=200)
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--threads", type=int, default=400, help="gunicorn threads (the lsweb serve default)")
    parser.add_argument("--memory-every", type=float, default=0, help="read the worker's memory every S seconds")
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
            planned = _planned_lesson(workdir / "instance" / "lsweb.db")
            pages = {name: path.format(planned=planned) for name, path in PAGES.items()}
            port = _free_port()
            server = Server(workdir, env, port, 1, args.threads)
            server.wait_ready()
            print(f"Signing in {args.meeting + args.browsing} people ...", file=sys.stderr)
            lock, sent = threading.Lock(), {}
            meeting = [MeetingEditor(n, port, f"plan-{planned}", BOXES[n % len(BOXES)], sent, lock)
                       for n in range(args.meeting)]
            others = [Browser(port, MEMBERS[n % len(MEMBERS)]) for n in range(args.browsing)]
            for person in meeting + others:
                person.sign_in(f"/lessons/{planned}")
            for editor in meeting:
                editor.sync()
            start = time.monotonic() + 1
            threads = [threading.Thread(target=open_stream, daemon=True,
                                        args=(port, _cookie(p), f"lesson-{planned}", stop, p.inbox)) for p in meeting]
            threads += [threading.Thread(target=meeting_member, args=(p, recorder, stop, start), daemon=True)
                        for p in meeting]
            threads += [threading.Thread(target=browser, args=(p, pages, recorder, stop, start), daemon=True)
                        for p in others]
            for thread in threads:
                thread.start()
            print(f"Running for {args.duration:g} s ...", file=sys.stderr)
            memory = watch_memory(server, args, stop, workdir / "instance" / "lsweb.db", f"plan-{planned}")
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
    if memory:
        print(memory_report(memory))
    restarts = sum(editor.restarts for editor in meeting)
    longest = max((len(editor.text()) for editor in meeting), default=0)
    print(f"\nUpdates refused whole (the editor started again from the server's document): {restarts}; "
          f"the longest box at the end, as its editors saw it: {longest} characters.")
    problems = [problem for person in meeting for problem in person.problems]
    if problems:
        print("\nErrors seen: " + "; ".join(problems[:5]))
    return 0


def watch_memory(server: Server, args, stop: threading.Event, database: Path, doc: str) -> list[tuple]:
    """Wait for the run to end; meanwhile (with --memory-every) read the worker's memory and the size of
    the plan's document (its latest snapshot and the updates after it, as a process loads it)."""
    began, samples = time.monotonic(), []
    if not args.memory_every:
        time.sleep(args.duration + 1)
        return samples

    def sample() -> None:
        samples.append((time.monotonic() - began, worker_rss_mb(server.proc.pid) or 0.0,
                        _document_bytes(database, doc) / 1024, _held(server.port)))

    sample()
    while time.monotonic() - began < args.duration:
        stop.wait(min(args.memory_every, args.duration - (time.monotonic() - began)))
        sample()
        seconds, mb, kb, held = samples[-1]
        print(f"  {seconds / 60:5.1f} min: {mb:.0f} MB, document {kb:.0f} kB, {_held_text(held)}", file=sys.stderr)
    return samples


def _document_bytes(database: Path, doc: str) -> int:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5) as connection:
        return connection.execute(
            "SELECT coalesce((SELECT length(data) FROM coedit_snapshot WHERE doc = :doc ORDER BY seq DESC LIMIT 1), 0)"
            " + coalesce((SELECT sum(length(data)) FROM coedit_update WHERE doc = :doc AND seq >"
            " (SELECT max(seq) FROM coedit_snapshot WHERE doc = :doc)), 0)", {"doc": doc}).fetchone()[0]


def _held(port: int) -> dict:
    """What the worker says it holds (bench/bench_app.py's /bench/memory); {} when it does not answer."""
    connection = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        connection.request("GET", MEMORY_PATH, headers={"User-Agent": USER_AGENT})
        answer = connection.getresponse()
        body = answer.read()
        return json.loads(body) if answer.status == 200 else {}
    except (OSError, ValueError):
        return {}
    finally:
        connection.close()


HELD_COLUMNS = ("caches MB (counted)", "documents MB (counted)", "threads", "Python blocks (thousands)",
                "malloc in use MB", "malloc free in heaps MB", "malloc mmapped MB")


def _held_columns(held: dict) -> list[str]:
    """HELD_COLUMNS of one sample ('' where the worker did not say)."""
    if not held:
        return [""] * len(HELD_COLUMNS)
    malloc = held.get("malloc") or {}
    return [f"{sum(held['caches'].values()) / 2**20:.1f}", f"{held['documents'] / 2**20:.1f}", str(held["threads"]),
            f"{held['python_blocks'] / 1000:.0f}",
            *(f"{malloc[key] / 2**20:.0f}" if key in malloc else "" for key in ("in_use", "free", "mmapped"))]


def _held_text(held: dict) -> str:
    return ", ".join(f"{name} {value}" for name, value in zip(HELD_COLUMNS, _held_columns(held)))


def memory_report(samples: list[tuple]) -> str:
    names = ("minute", "worker RSS MB", "plan document, encoded kB", *HELD_COLUMNS)
    lines = ["", "| " + " | ".join(names) + " |", "|" + "---:|" * len(names)]
    for seconds, mb, kb, held in samples:
        lines.append("| " + " | ".join([f"{seconds / 60:.1f}", f"{mb:.0f}", f"{kb:.0f}", *_held_columns(held)]) + " |")
    half = [mb for seconds, mb, _kb, _held_now in samples if seconds >= samples[-1][0] / 2]
    lines.append(f"\nSecond half: {min(half):.0f}-{max(half):.0f} MB (end {samples[-1][1]:.0f} MB).")
    return "\n".join(lines)


def _cookie(person: Browser) -> str:
    return "; ".join(f"{name}={value}" for name, value in person.jar.items())


def report(recorder: Recorder, args) -> str:
    lines = [f"Load, {time.strftime('%Y-%m-%d')}: a meeting of {args.meeting} (each with the plan's live stream "
             f"open, a burst of {BURST} characters every 2 s, a board post every {POST_EVERY / 60:g} min on average) and {args.browsing} people browsing (a page "
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
