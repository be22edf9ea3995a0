"""PostgreSQL stops for a while (a restart for an update, a crash): every request meanwhile is answered
503 with Retry-After and a message that says the database is not answering (JSON to a script, a page
otherwise), never a bare 500 or a traceback; the page keeps what was typed and sends it again (the notes
script and the co-editing client do on any 5xx: tests/browser cover them on a network drop). Once the
server is back, the very same save goes through, once: no duplicate note, no doubled text.

The server here is one of the test's own (tests/pg_cluster.py), stopped and started by the test."""

from __future__ import annotations

import logging

import pytest

from lsweb.database import upgrade_database
from lsweb.extensions import db
from lsweb.models import Observation, PlanField

from ..coedit.helpers import Replica, fresh_team, typed_plan_update
from ..conftest import _base_config, empty_postgres
from ..lessonday_setup import lesson_day
from ..pg_cluster import PgCluster

JSON = {"Accept": "application/json"}
DOWN = "The database is not answering"


@pytest.fixture(scope="module")
def own_server(tmp_path_factory):
    cluster = PgCluster()
    cluster.start()
    app = _app(cluster, tmp_path_factory.mktemp("own-instance"))
    upgrade_database(app)
    with app.app_context():
        db.engine.dispose()
    yield cluster
    cluster.remove()


def _app(cluster, instance):
    from lsweb import create_app

    config = _base_config(instance, cluster.url)
    config["WTF_CSRF_ENABLED"] = False
    return create_app(config)


@pytest.fixture
def database_url(own_server):
    """This module's tests run on their own server (the suite's conftest builds the app on it)."""
    if not own_server.is_up():
        own_server.start()
    yield own_server.url
    if not own_server.is_up():
        own_server.start()
    empty_postgres(own_server.url)


def _note(day, text="Pupil A drew a bar model"):
    return {"client_id": "note-down-00001", "kind": "note", "pupil_id": str(day.pupils[0].id),
            "stage_id": str(day.stages[0].id), "rating": "better", "text": text}


def _notes():
    db.session.rollback()
    return db.session.scalars(db.select(Observation.text)).all()


def test_a_note_sent_while_postgresql_is_stopped_is_503_and_stored_once_when_it_is_back(
        app, client, login, factories, own_server, caplog):
    day = lesson_day(factories)
    login(day.observer)
    url, note = f"/lessons/{day.lesson.id}/observe/notes", _note(day)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    caplog.set_level(logging.WARNING)
    db.session.rollback()  # (the test's own connection: the server is stopped under it)
    own_server.stop("fast")
    by_script = client.post(url, data=note, headers=JSON)
    by_form = client.post(url, data=note)
    page = client.get(url.removesuffix("/notes"))
    own_server.start()

    assert by_script.status_code == 503, by_script.text[:300]
    assert by_script.headers["Retry-After"].isdigit()
    assert by_script.get_json()["error"].startswith(DOWN)
    assert by_script.get_json()["database_down"] is True
    for answer in (by_form, page):
        assert answer.status_code == 503 and answer.mimetype == "text/html"
        assert answer.headers["Retry-After"].isdigit()
        assert DOWN in answer.text and "Traceback" not in answer.text
    assert any("database is not answering" in r.getMessage() for r in caplog.records)

    # the notes script sends the same note again (same client_id), twice even: one note is kept
    for _ in range(2):
        again = client.post(url, data=note, headers=JSON)
        assert again.status_code == 200, again.text[:300]
        assert again.get_json()["client_id"] == "note-down-00001"
    assert _notes() == ["Pupil A drew a bar model"]


def test_a_coedit_update_while_postgresql_is_stopped_is_503_and_applied_once_when_it_is_back(
        app, login, factories, own_server):
    team = fresh_team(factories)
    page, update = typed_plan_update(app, login, team, "aspect", "Comparing fractions on a number line.")
    app.config["PROPAGATE_EXCEPTIONS"] = False
    lesson_id = team.lesson.id
    db.session.rollback()
    own_server.stop("immediate")  # as on a crash
    status, body = page.send(update)
    own_server.start()
    assert status == 503 and body["error"].startswith(DOWN)

    # the server's copy kept nothing of it: a newcomer sees an empty box
    other = Replica(app.test_client(), f"plan-{lesson_id}")
    login(team.ana, the_client=other.client)
    other.sync()
    assert str(other.text("aspect")) == ""
    # the client sends the unacknowledged update again (twice, as after a lost answer): once in the text
    for _ in range(2):
        status, body = page.send(update)
        assert status == 200, body
    db.session.rollback()
    stored = db.session.scalar(db.select(PlanField.text).where(
        PlanField.lesson_id == lesson_id, PlanField.key == "aspect"))
    assert stored == "Comparing fractions on a number line."


def test_health_says_the_database_is_down_while_it_is(app, client, own_server):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    own_server.stop("fast")
    try:
        answer = client.get("/health")
    finally:
        own_server.start()
    assert answer.status_code == 503
    assert client.get("/health").status_code == 200
