"""GET /live/<channel>: authorised like its page, then a Server-Sent Events stream that the htmx sse
extension (`sse-connect`, `hx-trigger="sse:resync, sse:<event>"`) understands; and, through Redis, an
event published by one server process reaching a stream served by another."""

from __future__ import annotations

import http.client
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid

import pytest
from werkzeug.serving import make_server

from lsweb import live
from lsweb.extensions import db
from lsweb.models import Role

from ..conftest import TEST_PASSWORD
from ..unit.test_live_broker import redis_url  # noqa: F401  (the fixture)

PREFIX = "livetest"


def own_channel_only(user, key: str) -> bool:
    """The test channel "livetest-<user id>" is visible to that user alone."""
    return key == str(user.id)


@pytest.fixture(autouse=True)
def test_channel(monkeypatch):
    monkeypatch.setitem(live._channels, PREFIX, own_channel_only)


def parse_sse(text: str) -> list[tuple[str, str, str | None]]:
    """(event, data, id) for each message, read the way a browser's EventSource reads the stream
    (https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation)."""
    events, data, event, last_id = [], [], "", None
    for line in re.split(r"\r\n|\r|\n", text):
        if line == "":
            if data:
                events.append((event or "message", "\n".join(data), last_id))
            data, event = [], ""
            continue
        if line.startswith(":"):
            continue  # a comment: the opening line and the keep-alives
        field, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if field == "event":
            event = value
        elif field == "data":
            data.append(value)
        elif field == "id":
            last_id = value
    return events


class StreamReader:
    """Reads a streamed response's chunks in a thread, so the test can wait for them with a timeout."""

    def __init__(self, chunks, stop_after: int | None = None):
        self.chunks: queue.Queue = queue.Queue()
        self.text = ""
        self._thread = threading.Thread(target=self._read, args=(chunks, stop_after), daemon=True)
        self._thread.start()

    def _read(self, chunks, stop_after):
        try:
            for count, chunk in enumerate(chunks, start=1):
                self.chunks.put(chunk.decode() if isinstance(chunk, bytes) else chunk)
                if stop_after is not None and count >= stop_after:
                    getattr(chunks, "close", lambda: None)()  # the client goes away
                    break
        except Exception:  # noqa: BLE001  (a connection closed under the reader ends the stream too)
            pass
        finally:
            self.chunks.put(None)

    def until(self, predicate, timeout: float = 5.0) -> str:
        deadline = time.monotonic() + timeout
        while not predicate(self.text):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"stream so far: {self.text!r}")
            try:
                chunk = self.chunks.get(timeout=remaining)
            except queue.Empty:
                continue
            if chunk is None:
                raise AssertionError(f"the stream ended; so far: {self.text!r}")
            self.text += chunk
        return self.text

    def ended(self, timeout: float = 5.0) -> bool:
        self._thread.join(timeout)
        return not self._thread.is_alive()


def publish_soon(app, *args) -> None:
    def _publish():
        with app.app_context():
            live.publish(*args)

    threading.Timer(0.05, _publish).start()


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get(f"/live/{PREFIX}-1")
    assert response.status_code in (302, 303)
    assert response.headers["Location"].startswith("/login")


def test_a_user_who_may_not_see_the_page_gets_404(client, factories, login):
    allowed = factories.user(factories.school())
    other = factories.user(factories.school())
    login(other)
    assert client.get(f"/live/{PREFIX}-{allowed.id}").status_code == 404
    assert client.get(f"/live/nosuchprefix-{other.id}").status_code == 404
    assert client.get(f"/live/{PREFIX}-").status_code == 404


def test_the_stream_sends_comment_resync_then_published_events(app, client, factories, login):
    user = factories.user(factories.school(), Role.TEACHER)
    channel = f"{PREFIX}-{user.id}"
    login(user)
    response = client.get(f"/live/{channel}", buffered=False)
    assert response.status_code == 200
    assert response.mimetype == "text/event-stream"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Accel-Buffering"] == "no"
    reader = StreamReader(response.response)

    text = reader.until(lambda t: "event: resync" in t)
    assert text.startswith(":")  # a comment goes out at once
    assert parse_sse(text) == [("resync", "{}", None)]
    assert db.engine.pool.checkedout() == 0  # the stream holds no database connection

    broker = live.get_broker(app)
    assert broker.subscriber_count(channel) == 1
    publish_soon(app, channel, "signature-added", {"signature": 4})  # from another request's thread
    text = reader.until(lambda t: "signature-added" in t)
    assert parse_sse(text)[-1] == ("signature-added", '{"signature":4}', "1")

    broker.close()  # server shutdown: the stream ends, and the browser will reconnect and resync
    assert reader.ended(timeout=2)
    assert broker.subscriber_count() == 0


def test_keepalives_flow_and_a_client_that_left_is_unsubscribed(make_app, factories, login):
    app = make_app(LIVE_KEEPALIVE_SECONDS=0.05)
    client = app.test_client()
    with app.app_context():
        user = factories.user(factories.school())
        user_id = user.id
    login(user, the_client=client)
    response = client.get(f"/live/{PREFIX}-{user_id}", buffered=False)
    reader = StreamReader(response.response, stop_after=4)
    text = reader.until(lambda t: t.count(": keep-alive") >= 2)
    assert parse_sse(text) == [("resync", "{}", None)]
    assert reader.ended()
    assert live.get_broker(app).subscriber_count() == 0


def test_a_dropped_connection_is_noticed_on_the_next_keepalive(make_app, factories):
    """Over a real socket: the client goes away and the server's keep-alive write fails."""
    app = make_app(LIVE_KEEPALIVE_SECONDS=0.1)
    with app.app_context():
        user = factories.user(factories.school())
        email, user_id = user.email, user.id
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        cookie = _sign_in(server.server_port, email)
        sock = socket.create_connection(("127.0.0.1", server.server_port), timeout=5)
        sock.sendall(f"GET /live/{PREFIX}-{user_id} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     f"Cookie: {cookie}\r\n\r\n".encode())
        received = b""
        while b"event: resync" not in received:
            received += sock.recv(4096)
        assert received.startswith(b"HTTP/1.1 200")
        broker = live.get_broker(app)
        assert broker.subscriber_count() == 1
        sock.shutdown(socket.SHUT_RDWR)
        sock.close()
        deadline = time.monotonic() + 5
        while broker.subscriber_count() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert broker.subscriber_count() == 0
    finally:
        server.shutdown()
        live.get_broker(app).close()


def _sign_in(port: int, email: str) -> str:
    """Sign in over HTTP (CSRF is off in the `make_app` apps); returns the Cookie header to send."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    body = f"email={email}&password={TEST_PASSWORD.replace(' ', '+')}"
    connection.request("POST", "/login", body=body,
                       headers={"Content-Type": "application/x-www-form-urlencoded"})
    response = connection.getresponse()
    response.read()
    assert response.status == 303, response.status
    cookies = [h.split(";", 1)[0] for k, h in response.getheaders() if k.lower() == "set-cookie"]
    connection.close()
    return "; ".join(cookies)


# --- two server processes through Redis ------------------------------------------------------------

TWO_PROCESS_APP = '''
import os
from lsweb import create_app, live
from lsweb.extensions import csrf


def own_channel_only(user, key):
    return key == str(user.id)


live.register_channel("livetest", own_channel_only)
app = create_app()


@app.post("/_test/publish/<channel>/<nonce>")
@csrf.exempt
def publish(channel, nonce):
    live.publish(channel, "post-added", {"nonce": nonce, "pid": os.getpid()})
    return "ok"
'''


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_up(port: int, process: subprocess.Popen, log, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the server on port {port} exited:\n{log.read_text()}")
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
        try:
            connection.request("GET", "/health")
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        finally:
            connection.close()
        time.sleep(0.1)
    raise AssertionError(f"the server on port {port} did not start")


@pytest.mark.redis
def test_two_gunicorn_processes_share_events_through_redis(redis_url, database_url, factories, tmp_path):  # noqa: F811
    """Two gunicorn servers (one gthread worker each) on one database, one secret key and one Redis:
    streams on both see an event published by one of them; SIGTERM ends a server's streams at once."""
    import requests

    email = f"live-{uuid.uuid4().hex[:8]}@test.example"  # fresh, so no sign-in throttle carries over
    user = factories.user(factories.school(), email=email)
    channel = f"{PREFIX}-{user.id}"
    db.session.remove()  # no transaction of ours may hold the database while the servers sign in
    (tmp_path / "two_process_app.py").write_text(TWO_PROCESS_APP)
    env = {**os.environ, "LSWEB_DATABASE_URL": database_url, "LSWEB_SECRET_KEY": "two-process-secret",
           "LSWEB_REDIS_URL": redis_url, "LSWEB_INSTANCE_PATH": str(tmp_path / "instance"),
           "LSWEB_LIVE_KEEPALIVE": "1"}
    ports = [_free_port(), _free_port()]
    logs = [tmp_path / f"server-{port}.log" for port in ports]
    servers = []
    for port, log in zip(ports, logs):
        with log.open("w") as output:
            servers.append(subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "--worker-class", "gthread", "--threads", "8",
                 "--workers", "1", "--bind", f"127.0.0.1:{port}", "--graceful-timeout", "20",
                 "--chdir", str(tmp_path), "two_process_app:app"],
                env=env, stdout=output, stderr=subprocess.STDOUT))
    streams = []
    session = requests.Session()
    try:
        for port, server, log in zip(ports, servers, logs):
            _wait_until_up(port, server, log)
        page = session.get(f"http://127.0.0.1:{ports[0]}/login", timeout=5)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text).group(1)
        signed_in = session.post(f"http://127.0.0.1:{ports[0]}/login", timeout=5, allow_redirects=False,
                                 data={"email": email, "password": TEST_PASSWORD, "csrf_token": token})
        assert signed_in.status_code == 303
        for port in ports:  # the same session cookie is good on both (same secret key)
            response = session.get(f"http://127.0.0.1:{port}/live/{channel}", stream=True, timeout=10)
            assert response.status_code == 200
            streams.append(response)
        readers = [StreamReader(r.iter_content(chunk_size=None)) for r in streams]
        for reader in readers:
            reader.until(lambda t: "event: resync" in t, timeout=10)

        nonce = uuid.uuid4().hex
        assert session.post(f"http://127.0.0.1:{ports[0]}/_test/publish/{channel}/{nonce}", timeout=5).ok
        for reader in readers:  # the publishing process's own stream, and the other process's
            text = reader.until(lambda t: nonce in t, timeout=5)
            assert any(event == "post-added" and nonce in data for event, data, _ in parse_sse(text))

        started = time.monotonic()
        servers[1].send_signal(signal.SIGTERM)
        assert readers[1].ended(timeout=10)
        assert time.monotonic() - started < 5  # not the 20 s graceful timeout: the broker closed the stream
        assert servers[1].wait(timeout=10) == 0
    finally:
        for response in streams:
            response.close()
        session.close()
        for server in servers:
            if server.poll() is None:
                server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
