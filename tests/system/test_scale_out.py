"""Scale-out: two `lsweb serve` processes on one database with Redis between them (LSWEB_REDIS_URL), as
a local authority runs lsweb. Sign-in throttling counts failures across the processes, and a live event
published by an action on one process reaches a stream opened on the other. Plain HTTP, no browser.

Needs Redis (tests/servers.py: skipped when it does not answer, unless LSWEB_REQUIRE_REDIS=1). Runs on
SQLite and on PostgreSQL (LSWEB_TEST_DATABASE_URL), like the rest of the suite.
"""

from __future__ import annotations

import queue
import re
import threading
import uuid

import pytest
import requests

from lsweb.demo import DEMO_PASSWORD, seed_demo
from lsweb.extensions import db
from lsweb.models import Role, School, StudyGroup

from ..conftest import TEST_PASSWORD
from ..factories import Factories
from ..servers import redis_url, running_servers, server_environment  # noqa: F401  (redis_url: a fixture)

pytestmark = pytest.mark.redis

GROUP = "Reception early writing"  # support1 (Maria Lopez) has not signed its protocol yet
ACCOUNT_LIMIT = 4


@pytest.fixture
def seeded(make_app):
    """The demo network plus an account with a unique email (Redis is shared with other test runs, and
    throttling counts by email), written before the server processes start."""
    app = make_app()
    with app.app_context():
        seed_demo()
        email = f"throttled-{uuid.uuid4().hex[:12]}@example.org"
        Factories(db).user(db.session.scalar(db.select(School).order_by(School.id)), Role.TEACHER, email=email)
        group_id = db.session.scalar(db.select(StudyGroup.id).where(StudyGroup.name == GROUP))
        db.session.remove()
        db.engine.dispose()
    return {"group": group_id, "email": email}


@pytest.fixture
def two_servers(database_url, redis_url, seeded, tmp_path):  # noqa: F811
    env = server_environment(database_url, redis_url, LSWEB_LOGIN_LIMIT_ACCOUNT=f"{ACCOUNT_LIMIT} per 10 minutes")
    with running_servers(2, env, tmp_path) as servers:
        yield servers


def _token(page: str) -> str:
    match = re.search(r'<input[^>]*name="csrf_token"[^>]*>', page)
    return re.search(r'value="([^"]+)"', match.group(0)).group(1)


def sign_in(session: requests.Session, server, email: str, password: str) -> requests.Response:
    page = session.get(server.url + "/login", timeout=10).text
    return session.post(server.url + "/login", data={"email": email, "password": password,
                                                     "csrf_token": _token(page)},
                        allow_redirects=False, timeout=10)


def test_sign_in_throttling_counts_failures_across_processes(two_servers, seeded):
    email = seeded["email"]
    for attempt in range(ACCOUNT_LIMIT):
        server = two_servers[attempt % 2]  # alternating: each process sees only half of the failures
        response = sign_in(requests.Session(), server, email, "not the password")
        assert response.status_code == 422, f"attempt {attempt + 1} on {server.name}: {response.status_code}"
    for server in two_servers:
        refused = sign_in(requests.Session(), server, email, TEST_PASSWORD)  # even the right password
        assert refused.status_code == 429, f"{server.name} let a throttled account sign in"
    # Another account is not affected.
    assert sign_in(requests.Session(), two_servers[1], "lead1@demo.local", DEMO_PASSWORD).status_code == 303


def test_an_action_on_one_process_reaches_a_stream_on_the_other(two_servers, seeded):
    server1, server2 = two_servers
    group = seeded["group"]
    watcher = requests.Session()
    assert sign_in(watcher, server1, "teacher4@demo.local", DEMO_PASSWORD).status_code == 303
    lines: queue.Queue[str] = queue.Queue()
    stream = watcher.get(f"{server1.url}/live/group-{group}", stream=True, timeout=(5, 30))
    assert stream.status_code == 200
    assert stream.headers["Content-Type"].startswith("text/event-stream")

    def read():
        try:
            for line in stream.iter_lines(decode_unicode=True):
                lines.put(line)
        except Exception:  # noqa: BLE001  (the stream is closed at the end of the test)
            pass

    threading.Thread(target=read, daemon=True).start()

    def next_event(seconds: float) -> str | None:
        try:
            while True:
                line = lines.get(timeout=seconds)
                if line.startswith("event: "):
                    return line.removeprefix("event: ")
        except queue.Empty:
            return None

    try:
        assert next_event(10) == "resync"  # the stream is open and subscribed

        signer = requests.Session()
        assert sign_in(signer, server2, "support1@demo.local", DEMO_PASSWORD).status_code == 303
        page = signer.get(f"{server2.url}/groups/{group}/protocol", timeout=10).text
        version_id = re.search(r'name="version_id" value="(\d+)"', page).group(1)
        signed = signer.post(f"{server2.url}/groups/{group}/protocol/sign", allow_redirects=False, timeout=10,
                             data={"version_id": version_id, "agree": "y", "typed_name": "Maria Lopez",
                                   "csrf_token": _token(page)})
        assert signed.status_code == 303, signed.text[:500]

        assert next_event(5) == "signature-added", "the event published on process 2 did not reach process 1"
    finally:
        stream.close()
