"""Crash safety: the server is killed with SIGKILL right after acknowledging saves of plan fields and
board posts; started again on the same database, it has every acknowledged save.

A real `lsweb serve` process (gunicorn), plain HTTP. Runs on SQLite (WAL, synchronous=FULL) and on
PostgreSQL (LSWEB_TEST_DATABASE_URL), like the rest of the suite.
"""

from __future__ import annotations

import os
import re
import signal
import time

import pytest
import requests

from lsweb.demo import DEMO_PASSWORD, seed_demo
from lsweb.extensions import db
from lsweb.models import PlanField, Post, ResearchLesson

from ..servers import START_SECONDS, ServerProcess, server_environment

SAVES = 25
_HX_TOKEN = re.compile(r'"X-CSRFToken": "([^"]+)"')


@pytest.fixture
def seeded(make_app):
    app = make_app()
    with app.app_context():
        seed_demo()
        taught = db.session.scalar(db.select(ResearchLesson).where(ResearchLesson.number == 1))
        # RL1 is taught (its plan is locked, its board open); RL2 of the same cycle is still being planned.
        planned = db.session.scalar(db.select(ResearchLesson).where(ResearchLesson.cycle_id == taught.cycle_id,
                                                                    ResearchLesson.number == 2))
        ids = (taught.id, planned.id)
        db.session.remove()
    return app, ids


def start(env, tmp_path, name):
    server = ServerProcess(name, env, tmp_path)
    server.wait_until_healthy(time.monotonic() + START_SECONDS)
    return server


def test_every_acknowledged_save_survives_a_sigkill(seeded, database_url, tmp_path):
    app, (board_lesson_id, lesson_id) = seeded
    env = server_environment(database_url, "")
    env.pop("LSWEB_REDIS_URL")
    server = start(env, tmp_path, "before")
    session = requests.Session()
    page = session.get(f"{server.url}/login", timeout=10).text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    assert session.post(f"{server.url}/login", data={"csrf_token": token, "email": "teacher1@demo.local",
                                                      "password": DEMO_PASSWORD},
                        allow_redirects=False, timeout=10).status_code == 303
    plan = session.get(f"{server.url}/lessons/{lesson_id}", timeout=10).text
    headers = {"X-CSRFToken": _HX_TOKEN.search(plan).group(1)}
    acknowledged_fields, acknowledged_posts = {}, []
    try:
        for n in range(SAVES):
            answer = session.post(f"{server.url}/lessons/{lesson_id}/plan", headers=headers,
                                  data={"f:intentions": f"Intentions, save {n}"}, allow_redirects=False, timeout=10)
            assert answer.status_code == 303, answer.text[:300]
            acknowledged_fields["intentions"] = f"Intentions, save {n}"
            posted = session.post(f"{server.url}/lessons/{board_lesson_id}/board/posts", headers=headers,
                                  data={"section": "patterns", "token": f"crash-token-{n:03d}", "body": f"Pattern {n} seen",
                                        "mark": ""}, allow_redirects=False, timeout=10)
            assert posted.status_code in (200, 303), posted.text[:300]
            acknowledged_posts.append(f"Pattern {n} seen")
    finally:
        os.killpg(server.process.pid, signal.SIGKILL)  # no graceful stop: as a power cut would
        server.process.wait(timeout=10)
        server.stop()

    again = start(env, tmp_path, "after")
    try:
        assert acknowledged_fields["intentions"] in again_session_plan(again, lesson_id)
    finally:
        again.stop()
    with app.app_context():
        db.session.remove()
        bodies = set(db.session.scalars(db.select(Post.body)))
        assert set(acknowledged_posts) <= bodies
        stored = db.session.scalar(db.select(PlanField).where(PlanField.lesson_id == lesson_id,
                                                              PlanField.key == "intentions"))
        assert stored.text == acknowledged_fields["intentions"]
        db.session.remove()


def again_session_plan(server, lesson_id: int) -> str:
    session = requests.Session()
    page = session.get(f"{server.url}/login", timeout=10).text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    session.post(f"{server.url}/login", data={"csrf_token": token, "email": "teacher2@demo.local",
                                               "password": DEMO_PASSWORD}, timeout=10)
    return session.get(f"{server.url}/lessons/{lesson_id}", timeout=10).text
