"""An acknowledged co-editing update survives SIGKILL of the server right after the acknowledgement
(a real `lsweb serve` process; SQLite, and PostgreSQL with LSWEB_TEST_DATABASE_URL)."""

from __future__ import annotations

import base64
import html
import os
import re
import signal

import requests
from pycrdt import Doc, Map

import pytest

from lsweb.demo import DEMO_PASSWORD, seed_demo
from lsweb.extensions import db
from lsweb.models import LessonStatus, ResearchLesson

from ..servers import server_environment
from .test_crash_safety import _HX_TOKEN, start

UPDATES = 30


@pytest.fixture
def seeded(make_app):
    """The demo, and a lesson still being planned (RL2 of the demo's cycle)."""
    app = make_app()
    with app.app_context():
        seed_demo()
        lesson_id = db.session.scalar(db.select(ResearchLesson.id).where(
            ResearchLesson.status == LessonStatus.PLANNED).order_by(ResearchLesson.id))
        db.session.remove()
    return app, lesson_id


def _signed_in(server, email: str) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{server.url}/login", timeout=10).text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    assert session.post(f"{server.url}/login", data={"csrf_token": token, "email": email,
                                                      "password": DEMO_PASSWORD},
                        allow_redirects=False, timeout=10).status_code == 303
    return session


def _sync(session, server, doc_name, doc, headers):
    answer = session.post(f"{server.url}/coedit/{doc_name}/sync", headers=headers,
                          json={"sv": base64.b64encode(doc.get_state()).decode()}, timeout=10)
    assert answer.status_code == 200
    doc.apply_update(base64.b64decode(answer.json()["update"]))


def test_an_acknowledged_update_survives_a_sigkill(seeded, database_url, tmp_path):
    _app, lesson_id = seeded
    env = server_environment(database_url, "")
    env.pop("LSWEB_REDIS_URL")
    server = start(env, tmp_path, "before")
    name = f"plan-{lesson_id}"
    doc = Doc()
    try:
        session = _signed_in(server, "teacher1@demo.local")
        plan = session.get(f"{server.url}/lessons/{lesson_id}", timeout=10).text
        headers = {"X-CSRFToken": _HX_TOKEN.search(plan).group(1)}
        _sync(session, server, name, doc, headers)
        text = doc.get("texts", type=Map)["intentions"]
        for n in range(UPDATES):
            before = doc.get_state()
            text.insert(len(str(text).encode()), f" k{n}")
            answer = session.post(f"{server.url}/coedit/{name}/update", headers=headers, timeout=10,
                                  json={"update": base64.b64encode(doc.get_update(before)).decode(),
                                        "client": doc.client_id})
            assert answer.status_code == 200, answer.text[:200]
        acknowledged = str(text)
    finally:
        os.killpg(server.process.pid, signal.SIGKILL)  # right after the last acknowledgement
        server.process.wait(timeout=10)
        server.stop()
    again = start(env, tmp_path, "after")
    try:
        session = _signed_in(again, "teacher2@demo.local")
        plan = session.get(f"{again.url}/lessons/{lesson_id}", timeout=10).text
        headers = {"X-CSRFToken": _HX_TOKEN.search(plan).group(1)}
        fresh = Doc()
        _sync(session, again, name, fresh, headers)
        assert str(fresh.get("texts", type=Map)["intentions"]) == acknowledged
        assert acknowledged.endswith(f" k{UPDATES - 1}")
        printed = session.get(f"{again.url}/lessons/{lesson_id}/print", timeout=10)
        assert printed.status_code == 200
        assert acknowledged in html.unescape(printed.text)  # the derived plain text that print reads
    finally:
        again.stop()
