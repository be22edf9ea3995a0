#!/usr/bin/env python3
"""Co-editing: simulated editors type into one plan's shared document, as the page's script does.

    .venv/bin/python bench/coediting.py                    (10 and 40 editors, same box and different
                                                           boxes, 60 s each: about 5 minutes)
    .venv/bin/python bench/coediting.py --editors 10 --boxes same --duration 20     (a quick look)
    .venv/bin/python bench/coediting.py --editors 10 --boxes different --duration 3600   (an hour)

What it does, against the production server (gunicorn gthread, one worker, as `lsweb serve` runs it) on
a fresh demo database (SQLite):

1. signs in each editor (its own session and keep-alive connection, one of the group's four members)
   and gives it a pycrdt replica of RL2's plan (`POST /coedit/<doc>/sync`), as the browser's Yjs does;
2. each editor types 5 characters a second at random places in its box (all in one box, or spread over
   the plan's five boxes; once a box holds 4,000 characters, every other keystroke deletes one): each keystroke goes into the replica, and the editor sends what it typed
   since its last acknowledged update (`POST /coedit/<doc>/update`): one update in flight at a time, the
   keystrokes typed meanwhile go together in the next one, exactly like the page;
3. four watchers (one per member, their own sessions) hold the plan's live stream open and note when
   each update arrives: keystroke-to-other-screen latency = arrival - the moment the update was sent;
4. at the end every editor syncs again; reported: characters acknowledged and lost (every editor types
   and deletes only its own character, so the final text must hold each editor's character as many times
   as it held at the start plus the net count the server acknowledged), convergence (every replica's
   text equal to the server's), latency p50/p95, the acknowledgement p95, server CPU per update, the CPU
   the server and this load generator used (in cores: one Python process uses one at most, and the
   machine has two), the worker's memory with the document open, and the document's size in the database
   (update log and snapshots) after the run.

Targets (docs/quality.md): 0 characters lost, every replica equal; keystroke-to-other-screen p95 under
100 ms with 10 editors and under 250 ms with 40, on one process. Traffic goes only to 127.0.0.1; the
server and its temporary folder are removed at the end, also on Ctrl+C.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import random
import re
import signal
import socket
import sqlite3
import string
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from benchlib import (HOST, USER_AGENT, BenchError, Server, _clean_env, _cookie_header, _cookies,  # noqa: E402
                      _free_port, _stop_on_sigterm, prepare_database)
from fanout import worker_rss_mb  # noqa: E402
from pycrdt import Doc, Map  # noqa: E402

from lsweb.demo import DEMO_PASSWORD  # noqa: E402

MEMBERS = ["teacher1@demo.local", "teacher2@demo.local", "teacher3@demo.local", "support1@demo.local"]
BOXES = ["aspect", "intentions", "criteria", "resources", "interview"]
CHARACTERS = string.ascii_letters + string.digits  # one per editor (ASCII: offsets are the same in bytes)
KEYSTROKES_PER_SECOND = 5.0
FULL = 4_000  # characters in a box from which editors delete as much as they type
_CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
_HX_TOKEN = re.compile(r'"X-CSRFToken": "([^"]+)"')


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


class Browser:
    """One signed-in session with its own keep-alive connection."""

    def __init__(self, port: int, email: str):
        self.port, self.email = port, email
        self.conn = http.client.HTTPConnection(HOST, port, timeout=30)
        self.jar: dict[str, str] = {}
        self.token = ""

    def request(self, method: str, path: str, body: bytes | None = None, content_type: str = "") -> tuple[int, bytes]:
        headers = {"User-Agent": USER_AGENT, "Cookie": _cookie_header(self.jar)}
        if body is not None:
            headers["Content-Type"] = content_type
            if self.token:
                headers["X-CSRFToken"] = self.token
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # The server closed an idle keep-alive connection: as a browser, open a new one and resend.
                self.conn.close()
                if attempt == 2:
                    raise
        payload = response.read()
        _cookies(response, self.jar)
        return response.status, payload

    def post_json(self, path: str, body: dict) -> tuple[int, bytes]:
        return self.request("POST", path, json.dumps(body).encode(), "application/json")

    def sign_in(self, plan_path: str) -> None:
        _status, page = self.request("GET", "/login")
        form = f"csrf_token={_CSRF_FIELD.search(page.decode()).group(1)}&email={self.email}&password={DEMO_PASSWORD}"
        status, _ = self.request("POST", "/login", form.encode(), "application/x-www-form-urlencoded")
        if status != 303:
            raise BenchError(f"signing in as {self.email} answered {status}")
        status, page = self.request("GET", plan_path)
        if status != 200:
            raise BenchError(f"{self.email}: the plan page answered {status}")
        self.token = _HX_TOKEN.search(page.decode()).group(1)


class Editor(Browser):
    def __init__(self, number: int, port: int, doc: str, box: str, sent: dict, lock: threading.Lock):
        super().__init__(port, MEMBERS[number % len(MEMBERS)])
        self.number, self.doc_name, self.box = number, doc, box
        self.character = CHARACTERS[number]
        self.doc = Doc()
        self.sent_state = b""
        self.sent, self.lock = sent, lock  # b64(update) -> (time sent, editor number), shared
        self.typed = self.pending = self.net = self.acknowledged = self.updates = self.errors = 0
        self.base = 0  # how often the box held this editor's character before it typed
        self.levels = {box: 0 for box in BOXES}  # each box's length, shared by the editors of a run
        self.last_status = 0
        self.ack_ms: list[float] = []
        self.problems: list[str] = []
        self.random = random.Random(number)

    def sync(self) -> None:
        status, payload = self.post_json(f"/coedit/{self.doc_name}/sync", {"sv": b64(self.doc.get_state())})
        if status != 200:
            raise BenchError(f"editor {self.number}: sync answered {status}")
        self.doc.apply_update(base64.b64decode(json.loads(payload)["update"]))
        self.sent_state = self.doc.get_state()

    def text(self) -> str:
        return str(self.doc.get("texts", type=Map)[self.box])

    def type_one(self) -> None:
        """One keystroke: a character at a random place; once the box holds FULL characters, every other
        keystroke is a Backspace of one of this editor's own characters, as people correct their typing
        (40 editors would otherwise fill a box's 5,000 characters within 25 s)."""
        box = self.doc.get("texts", type=Map)[self.box]
        text = str(box)
        with self.lock:  # the box's length with everyone's typing (this replica sees only its own)
            full = self.levels[self.box] >= FULL
        own = [i for i, c in enumerate(text) if c == self.character] if full else []
        step = -1 if own and self.random.random() < 0.5 else 1
        with self.doc.transaction():
            if step < 0:
                del box[self.random.choice(own)]
            else:
                box.insert(self.random.randint(0, len(text)), self.character)
        with self.lock:
            self.levels[self.box] += step
        self.net += step
        self.typed += 1
        self.pending += 1

    def outgoing(self) -> bytes:
        """What the server lacks of this replica (this editor's typing since its last acknowledged update)."""
        return self.doc.get_update(self.sent_state)

    def send(self) -> None:
        if not self.pending:
            return
        update, state, count = self.outgoing(), self.doc.get_state(), self.net
        data = b64(update)
        started = time.perf_counter()
        with self.lock:
            self.sent[data] = (started, self.number)
        try:
            status, payload = self.post_json(f"/coedit/{self.doc_name}/update",
                                             {"update": data, "client": self.doc.client_id})
        except (OSError, http.client.HTTPException) as error:
            self.errors += 1
            self.problems.append(f"{error!r} after {time.perf_counter() - started:.1f} s")
            self.conn.close()
            return  # the keystrokes stay pending and go with the next update, as on the page
        self.last_status = status
        if status != 200:
            self.errors += 1
            self.problems.append(f"{status} {payload[:160]!r}")
            return
        self.ack_ms.append((time.perf_counter() - started) * 1000)
        self.sent_state, self.pending, self.net = state, 0, self.net - count
        self.acknowledged += count
        self.updates += 1


class Watcher(threading.Thread):
    """Another screen: the plan's live stream, read from a raw socket; notes each update's arrival."""

    def __init__(self, browser: Browser, channel: str, sent: dict, lock: threading.Lock):
        super().__init__(daemon=True)
        self.browser, self.channel, self.sent, self.lock = browser, channel, sent, lock
        self.latencies_ms: list[float] = []
        self.unmatched = 0
        self.ready = threading.Event()
        self.stopping = False

    def run(self) -> None:
        with socket.create_connection((HOST, self.browser.port), timeout=2) as stream:
            stream.sendall((f"GET /live/{self.channel} HTTP/1.1\r\nHost: {HOST}\r\nAccept: text/event-stream\r\n"
                            f"User-Agent: {USER_AGENT}\r\nCookie: {_cookie_header(self.browser.jar)}\r\n\r\n").encode())
            buffer = b""
            while not self.stopping:
                try:
                    chunk = stream.recv(65536)
                except socket.timeout:
                    continue
                if not chunk:
                    return
                arrived = time.perf_counter()
                buffer += chunk
                if not self.ready.is_set() and b"live stream" in buffer:
                    self.ready.set()
                while b"\n\n" in buffer:
                    message, buffer = buffer.split(b"\n\n", 1)
                    self._note(message.decode(errors="replace"), arrived)

    def _note(self, message: str, arrived: float) -> None:
        lines = dict(line.split(": ", 1) for line in message.splitlines() if ": " in line)
        if lines.get("event") != "doc-update":
            return
        update = json.loads(lines.get("data", "{}")).get("update")
        with self.lock:
            found = self.sent.get(update)
        if found is None:
            self.unmatched += 1
        else:
            self.latencies_ms.append((arrived - found[0]) * 1000)


def _percentile(values: list[float], share: float) -> float | None:
    ordered = sorted(values)
    return ordered[int(share * (len(ordered) - 1))] if ordered else None


def _planned_lesson(database: Path) -> int:
    with sqlite3.connect(database) as connection:
        row = connection.execute(
            "SELECT l.id FROM research_lesson l JOIN cycle c ON c.id = l.cycle_id JOIN study_group g "
            "ON g.id = c.group_id WHERE l.status = 'planned' AND c.status = 'planning' "
            "AND g.name = 'Year 4 fractions' ORDER BY l.number LIMIT 1").fetchone()
    if row is None:
        raise BenchError("the demo has no research lesson being planned in 'Year 4 fractions'")
    return row[0]


def _stored_bytes(database: Path, doc: str) -> int:
    with sqlite3.connect(database) as connection:
        return sum(connection.execute(f"SELECT coalesce(sum(length(data)), 0) FROM {table} WHERE doc = ?",
                                      (doc,)).fetchone()[0] for table in ("coedit_update", "coedit_snapshot"))


def scenario(server: Server, database: Path, lesson: int, editors: int, boxes: str, duration: float) -> dict:
    doc, channel, plan = f"plan-{lesson}", f"lesson-{lesson}", f"/lessons/{lesson}"
    sent: dict = {}
    lock = threading.Lock()
    crowd = [Editor(n, server.port, doc, BOXES[0] if boxes == "same" else BOXES[n % len(BOXES)], sent, lock)
             for n in range(editors)]
    levels: dict[str, int] = {}
    for editor in crowd:
        editor.sign_in(plan)
        editor.sync()
        editor.base = editor.text().count(editor.character)  # (the demo's own letters)
        levels.setdefault(editor.box, len(editor.text()))
        editor.levels = levels
    watchers = []
    for email in MEMBERS:
        browser = Browser(server.port, email)
        browser.sign_in(plan)
        watchers.append(Watcher(browser, channel, sent, lock))
    for watcher in watchers:
        watcher.start()
        if not watcher.ready.wait(10):
            raise BenchError("a live stream did not open within 10 s")
    rss_before, cpu_before, bytes_before = worker_rss_mb(server.proc.pid), server.cpu_seconds(), _stored_bytes(database, doc)
    own_before, wall_before = time.process_time(), time.monotonic()
    start = time.monotonic() + 0.5
    interval = 1 / KEYSTROKES_PER_SECOND

    def work(editor: Editor) -> None:
        tick = start + interval * editor.number / len(crowd)  # keystrokes spread over each interval
        while tick < start + duration:
            if tick > time.monotonic():
                time.sleep(tick - time.monotonic())
            while tick <= time.monotonic() and tick < start + duration:  # the keys typed while waiting
                editor.type_one()
                tick += interval
            editor.send()
        editor.send()

    threads = [threading.Thread(target=work, args=(editor,), daemon=True) for editor in crowd]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for editor in crowd:  # the last ones that failed, once more
        editor.send()
    cpu_after, rss_after = server.cpu_seconds(), worker_rss_mb(server.proc.pid)
    wall, own = time.monotonic() - wall_before, time.process_time() - own_before
    time.sleep(1.0)  # the last events reach the watchers
    for watcher in watchers:
        watcher.stopping = True
    for editor in crowd:
        editor.sync()
    judge = Editor(len(crowd), server.port, doc, BOXES[0], {}, threading.Lock())
    judge.sign_in(plan)
    judge.sync()
    final = {box: str(judge.doc.get("texts", type=Map)[box]) for box in BOXES}
    lost = sum(max(0, e.base + e.acknowledged - final[e.box].count(e.character)) for e in crowd)
    diverged = sum(1 for e in crowd if any(str(e.doc.get("texts", type=Map)[b]) != final[b] for b in BOXES))
    latencies = [ms for watcher in watchers for ms in watcher.latencies_ms]
    updates = sum(e.updates for e in crowd)
    return {
        "editors": editors, "boxes": boxes, "duration": duration,
        "typed": sum(e.typed for e in crowd), "acknowledged": sum(e.acknowledged for e in crowd),
        "lost": lost, "diverged": diverged, "updates": updates, "errors": sum(e.errors for e in crowd),
        "problems": [p for e in crowd for p in e.problems][:5],
        "p50": _percentile(latencies, 0.5), "p95": _percentile(latencies, 0.95),
        "ack_p95": _percentile([ms for e in crowd for ms in e.ack_ms], 0.95),
        "seen": len(latencies), "cpu_ms": ((cpu_after - cpu_before) * 1000 / updates)
        if updates and cpu_before is not None and cpu_after is not None else None,
        "server_share": (cpu_after - cpu_before) / wall if cpu_before is not None and cpu_after is not None else None,
        "bench_share": own / wall,
        "rss_before": rss_before, "rss_after": rss_after,
        "stored_kb": (_stored_bytes(database, doc) - bytes_before) / 1024,
    }


def markdown(results: list[dict], threads: int) -> str:
    out = [f"Co-editing, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: editors typing "
           f"{KEYSTROKES_PER_SECOND:g} characters a second each; gunicorn gthread 1 worker x {threads} threads; "
           "4 watchers on the live stream.", "",
           "| editors | boxes | s | characters typed | acknowledged | lost | replicas not equal | updates | errors "
           "| to other screens p50 ms | p95 ms | ack p95 ms | server CPU ms/update | server / bench CPU, cores "
           "| worker MB before → after | stored kB |",
           "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---:|"]
    for r in results:
        def fmt(value, pattern="{:.0f}"):
            return "–" if value is None else pattern.format(value)
        out.append(f"| {r['editors']} | {r['boxes']} | {r['duration']:g} | {r['typed']} | {r['acknowledged']} | "
                   f"**{r['lost']}** | {r['diverged']} | {r['updates']} | {r['errors']} | {fmt(r['p50'])} | "
                   f"**{fmt(r['p95'])}** | {fmt(r['ack_p95'])} | {fmt(r['cpu_ms'], '{:.1f}')} | "
                   f"{fmt(r['server_share'], '{:.2f}')} / {fmt(r['bench_share'], '{:.2f}')} | {fmt(r['rss_before'])} → {fmt(r['rss_after'])} | {fmt(r['stored_kb'])} |")
    for r in results:
        target = 100 if r["editors"] <= 10 else 250
        met = r["lost"] == 0 and r["diverged"] == 0 and r["p95"] is not None and r["p95"] < target
        out.append(f"\n{r['editors']} editors, {r['boxes']} box(es): target 0 lost, replicas equal, p95 < {target} ms: "
                   f"{'met' if met else 'NOT met'}." + (f" Errors: {r['problems']}" if r["problems"] else ""))
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--editors", default="10,40", help="comma-separated editor counts")
    parser.add_argument("--boxes", default="same,different", help="'same', 'different' or both")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of typing per scenario")
    parser.add_argument("--threads", type=int, default=64, help="gunicorn threads (one worker)")
    parser.add_argument("--json", action="store_true", help="the figures as JSON")
    args = parser.parse_args(argv)
    counts = [int(n) for n in args.editors.split(",")]
    if max(counts) > len(CHARACTERS):
        parser.error(f"at most {len(CHARACTERS)} editors")
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    results = []
    for editors in counts:
        for boxes in args.boxes.split(","):
            with tempfile.TemporaryDirectory(prefix="lsweb-coedit-") as tmp:
                workdir = Path(tmp)
                env = _clean_env(workdir / "instance")
                server = None
                try:
                    print(f"{editors} editors, {boxes} box(es): a fresh demo database ...", file=sys.stderr)
                    prepare_database(workdir, env)
                    database = workdir / "instance" / "lsweb.db"
                    server = Server(workdir, env, _free_port(), 1, args.threads)
                    server.wait_ready()
                    results.append(scenario(server, database, _planned_lesson(database), editors, boxes,
                                            args.duration))
                    if results[-1]["errors"]:
                        print(f"The server's log, last lines:\n{server.log_tail(40)}", file=sys.stderr)
                except BenchError as error:
                    print(f"bench/coediting.py: {error}", file=sys.stderr)
                    return 1
                finally:
                    if server is not None:
                        server.stop()
    print(json.dumps(results, indent=2) if args.json else markdown(results, args.threads))
    return 1 if any(r["lost"] or r["diverged"] for r in results) else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("Interrupted; the server was stopped.", file=sys.stderr)
        sys.exit(130)
