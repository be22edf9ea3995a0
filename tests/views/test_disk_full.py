"""The server's disk is full: a save is answered 507 with a message that says so (JSON to a script,
an error page or the flash region otherwise), nothing of it is half kept, the server log names the
disk once; and once there is room, the very same save goes through."""

from __future__ import annotations

import logging

import pytest
from pycrdt import Doc

from lsweb.coedit import store
from lsweb.extensions import db
from lsweb.models import Observation, PlanField

from ..coedit.helpers import Replica, fresh_team, typed_plan_update, b64
from ..disk_full import MESSAGE, disk  # noqa: F401  (disk: a fixture)
from ..lessonday_setup import lesson_day
from ..plans import planning_team

JSON = {"Accept": "application/json"}


def _disk_errors(caplog):
    return [r for r in caplog.records if r.levelno >= logging.ERROR]


def _plan_text(lesson, key):
    db.session.expire_all()
    return db.session.scalar(db.select(PlanField.text).where(PlanField.lesson_id == lesson.id, PlanField.key == key))


def test_a_coedit_update_on_a_full_disk_is_507_and_goes_through_once_there_is_room(app, login, factories, disk,
                                                                                    caplog):
    team = fresh_team(factories)
    page, update = typed_plan_update(app, login, team, "aspect", "Comparing fractions on a number line.")
    caplog.set_level(logging.INFO)
    with disk.full():
        status, body = page.send(update)
    assert status == 507
    assert body["error"] == MESSAGE
    errors = _disk_errors(caplog)
    assert len(errors) == 1 and "disk is full" in errors[0].getMessage()
    assert "POST /coedit/" in errors[0].getMessage() and app.instance_path in errors[0].getMessage()
    # nothing half kept: neither in the database nor in the server's copy of the document
    assert _plan_text(team.lesson, "aspect") in (None, "")
    other = Replica(page.client, f"plan-{team.lesson.id}")
    other.sync()
    assert str(other.text("aspect")) == ""
    # the client sends what was not acknowledged again, later: now it is kept
    status, body = page.send(update)
    assert status == 200, body
    assert _plan_text(team.lesson, "aspect") == "Comparing fractions on a number line."


def _note(day, text="Pupil A drew a bar model"):
    return {"client_id": "note-full-00001", "kind": "note", "pupil_id": str(day.pupils[0].id),
            "stage_id": str(day.stages[0].id), "rating": "better", "text": text}


def test_an_observation_note_on_a_full_disk_is_507_and_kept_for_the_next_try(client, login, factories, disk,
                                                                              caplog):
    day = lesson_day(factories)
    login(day.observer)
    url = f"/lessons/{day.lesson.id}/observe/notes"
    caplog.set_level(logging.INFO)
    with disk.full():
        by_script = client.post(url, data=_note(day), headers=JSON)
        by_form = client.post(url, data=_note(day))
    assert by_script.status_code == 507 and by_script.get_json()["error"] == MESSAGE
    assert by_form.status_code == 507 and by_form.mimetype == "text/html"
    assert "The server&#39;s disk is full" in by_form.text and "Tell your school&#39;s IT technician." in by_form.text
    assert len(_disk_errors(caplog)) == 2  # once per failed request
    assert db.session.scalar(db.select(db.func.count()).select_from(Observation)) == 0
    again = client.post(url, data=_note(day), headers=JSON)
    assert again.status_code == 200 and again.get_json()["client_id"] == "note-full-00001"
    db.session.expire_all()
    assert db.session.scalars(db.select(Observation.text)).all() == ["Pupil A drew a bar model"]


def test_the_plan_form_without_javascript_on_a_full_disk(app, login, factories, disk):
    store.clear_cache()
    team = planning_team(factories)
    ana = app.test_client()
    login(team.ana, the_client=ana)
    ana.get(f"/lessons/{team.lesson.id}")
    form = {"f:aspect": "Equivalent fractions."}
    with disk.full():
        answer = ana.post(f"/lessons/{team.lesson.id}/plan", data=form)
    assert answer.status_code == 507
    assert "The server&#39;s disk is full: your text is kept on this page." in answer.text
    assert "Back button" in answer.text
    assert _plan_text(team.lesson, "aspect") in (None, "")
    assert ana.post(f"/lessons/{team.lesson.id}/plan", data=form).status_code == 303
    assert _plan_text(team.lesson, "aspect") == "Equivalent fractions."


def test_an_error_that_is_not_a_full_disk_is_still_a_500(app, client, login, factories, monkeypatch):
    from lsweb.lessonday import observation

    day = lesson_day(factories)
    login(day.observer)

    def broken(*args, **kwargs):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(observation, "save_note", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    answer = client.post(f"/lessons/{day.lesson.id}/observe/notes", data=_note(day))
    assert answer.status_code == 500


def test_opening_a_plan_for_co_editing_on_a_full_disk_says_so_and_not_bad_request(app, login, factories, disk):
    store.clear_cache()
    team = planning_team(factories)
    ana = app.test_client()
    login(team.ana, the_client=ana)
    sync, state = f"/coedit/plan-{team.lesson.id}/sync", {"sv": b64(Doc().get_state())}
    with disk.full():
        answer = ana.post(sync, json=state)
    assert answer.status_code == 507, (answer.status_code, answer.text[:300])
    assert answer.get_json()["error"] == MESSAGE
    assert ana.post(sync, json=state).status_code == 200


def test_a_note_on_a_really_full_disk_under_sqlite(database, make_app, login, tmp_path, caplog):
    """No hook: the SQLite file on a small tmpfs that is filled up (root only; SQLite runs only)."""
    import shutil
    import sqlite3

    from ..disk_full import fill, small_disk
    from ..factories import Factories

    if database["kind"] != "sqlite":
        pytest.skip("SQLite's own full disk")
    disk = tmp_path / "disk"
    with small_disk(disk, "4m"):
        shutil.copyfile(database["template"], disk / "lsweb.db")
        full_app = make_app(DATABASE_URL=f"sqlite:///{disk / 'lsweb.db'}")
        with full_app.app_context():
            day = lesson_day(Factories(db))
            browser = full_app.test_client()
            login(day.observer, the_client=browser)
            url = f"/lessons/{day.lesson.id}/observe/notes"
            note = _note(day, "Pupil A explained it to a partner. " * 40)
            db.session.remove()
            db.engine.dispose()
            with sqlite3.connect(disk / "lsweb.db") as connection:  # every new write has to grow a file
                connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            filler = fill(disk)
            caplog.set_level(logging.INFO)
            answer = browser.post(url, data=note, headers=JSON)
            assert answer.status_code == 507, answer.status_code
            assert answer.get_json()["error"] == MESSAGE
            errors = _disk_errors(caplog)
            assert len(errors) == 1 and f"the SQLite file {disk / 'lsweb.db'}" in errors[0].getMessage()
            filler.unlink()  # the technician frees space
            assert browser.post(url, data=note, headers=JSON).status_code == 200
            db.session.expire_all()
            assert db.session.scalar(db.select(db.func.count()).select_from(Observation)) == 1
            db.session.remove()
            db.engine.dispose()
