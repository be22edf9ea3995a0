"""Live updates across server processes: two `lsweb serve` processes share one database and one Redis
(LSWEB_REDIS_URL), and a page served by one of them shows at once a signature made through the other.

Needs Redis at LSWEB_TEST_REDIS_URL (default redis://127.0.0.1:6379/15): skipped when it does not answer,
unless LSWEB_REQUIRE_REDIS=1 (CI), which fails instead. Runs on SQLite and on PostgreSQL
(LSWEB_TEST_DATABASE_URL), like the rest of the suite.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from playwright.sync_api import expect

from lsweb.demo import seed_demo
from lsweb.extensions import db
from lsweb.models import StudyGroup


from .test_protocol_live import sign_in

pytestmark = pytest.mark.browser

REDIS_URL = os.environ.get("LSWEB_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
LSWEB = Path(sys.executable).with_name("lsweb")  # the console script of this virtual environment
GROUP = "Reception early writing"
LIVE_MS = 2_000
START_SECONDS = 30


@pytest.fixture
def redis_url():
    import redis

    try:
        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
        client.ping()
        client.close()
    except Exception as error:  # noqa: BLE001
        reason = f"Redis does not answer at {REDIS_URL}: {error}"
        if os.environ.get("LSWEB_REQUIRE_REDIS") == "1":
            pytest.fail(f"{reason} (LSWEB_REQUIRE_REDIS=1 requires the Redis tests)", pytrace=False)
        pytest.skip(reason)
    return REDIS_URL


@pytest.fixture
def seeded(make_app):
    """The demo network in this test's database, written before any server process starts."""
    app = make_app()
    with app.app_context():
        seed_demo()
        group_id = db.session.scalar(db.select(StudyGroup.id).where(StudyGroup.name == GROUP))
        db.session.remove()
        db.engine.dispose()
    return group_id


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServerProcess:
    """`lsweb serve` (gunicorn, one gthread worker) in its own process group."""

    def __init__(self, name: str, env: dict, folder: Path):
        self.name = name
        self.port = _free_port()
        self.log_path = folder / f"{name}.log"
        self._log = open(self.log_path, "wb")
        env = {**env, "LSWEB_INSTANCE_PATH": str(folder / f"instance-{name}")}
        self.process = subprocess.Popen(
            [str(LSWEB), "serve", "--no-migrate", "--host", "127.0.0.1", "--port", str(self.port),
             "--workers", "1", "--threads", "16"],
            cwd=folder, env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")[-4000:]

    def wait_until_healthy(self, deadline: float) -> None:
        while True:
            if self.process.poll() is not None:
                pytest.fail(f"{self.name} exited with {self.process.returncode}:\n{self.log()}", pytrace=False)
            try:
                if requests.get(self.url + "/health", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"{self.name} did not answer /health within {START_SECONDS} s:\n{self.log()}",
                            pytrace=False)
            time.sleep(0.1)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)
        self._log.close()


@pytest.fixture
def two_servers(database_url, redis_url, seeded, tmp_path):
    """Two server processes on the same database, secret key and Redis; killed at the end."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("LSWEB_")}
    env.update({
        "LSWEB_DATABASE_URL": database_url,
        "LSWEB_SECRET_KEY": "redis-test-secret-key",
        "LSWEB_REDIS_URL": redis_url,
        "LSWEB_LOG_LEVEL": "WARNING",
        # Redis is shared with other runs: sign-in throttling there must not get in this test's way.
        "LSWEB_LOGIN_LIMIT_ACCOUNT": "1000 per 1 minute",
        "LSWEB_LOGIN_LIMIT_ADDRESS": "1000 per 1 minute",
    })
    servers = []
    try:
        servers = [ServerProcess("server1", env, tmp_path), ServerProcess("server2", env, tmp_path)]
        deadline = time.monotonic() + START_SECONDS
        for server in servers:
            server.wait_until_healthy(deadline)
        yield servers
    finally:
        for server in servers:
            server.stop()


@pytest.fixture
def new_context_on(watched_contexts):
    """Watched browser contexts aimed at a given server process."""
    return lambda server: watched_contexts(base_url=server.url)


def open_protocol(context, email: str, group_id: int):
    """Sign in and open the group's protocol page; returns once its live stream is open (the stream's
    opening resync has made the signatures region re-fetch itself)."""
    page = sign_in(context, email)
    with page.expect_response(lambda r: r.url.endswith(f"/groups/{group_id}/protocol/signatures")
                              and r.request.headers.get("hx-request") == "true", timeout=10_000):
        page.goto(f"/groups/{group_id}/protocol")
    return page


def test_a_page_on_one_process_shows_a_signature_made_through_another(two_servers, seeded, new_context_on):
    server1, server2 = two_servers
    watcher = open_protocol(new_context_on(server1), "teacher4@demo.local", seeded)  # Oliver, on process 1
    signer = open_protocol(new_context_on(server2), "support1@demo.local", seeded)  # Maria, on process 2
    maria = watcher.locator("#signoffs").get_by_role("row", name=re.compile("Maria Lopez"))
    expect(maria).to_contain_text("Not yet")
    watcher.evaluate("window.lswebNoReload = true")

    signer.get_by_label("I have read the whole protocol above and agree to it").check()
    signer.get_by_label("Type your name to sign").fill("Maria Lopez")
    signer.get_by_role("button", name="Sign version 1").click()
    expect(signer.locator("#protocol-main")).to_contain_text("You have signed version 1.")

    expect(maria).to_contain_text("Signed", timeout=LIVE_MS)
    expect(watcher.locator("#signoffs")).to_contain_text("Everyone has signed version 1")
    assert watcher.evaluate("window.lswebNoReload === true"), "the page must update without a reload"
