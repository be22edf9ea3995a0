"""An observer corrects or deletes their own saved notes (with htmx, and with plain forms): the grid, the
agenda's heat strip and the exports follow, what the note said before is kept; nobody else's notes can
be touched; a note for a lesson more than a day away is refused with a message and nothing is stored."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date, datetime, timedelta

import pytest

from lsweb.errors import DomainError
from lsweb.extensions import db
from lsweb.lessonday import observation
from lsweb.models import Observation, ObservationVersion
from lsweb.operations import privacy
from lsweb.sharing import summaries
from lsweb.timezones import zone_of

from ..lessonday_setup import lesson_day

HX = {"HX-Request": "true"}


def _note(day, text="Pupil A drew halves", rating="better", client_id="note-fix-000001"):
    return observation.save_note(day.observer, day.lesson, observation.NoteInput(
        client_id=client_id, pupil_id=day.pupils[0].id, stage_id=day.stages[0].id,
        rating=observation.Rating(rating) if rating else None, text=text))


def as_user(client, login, user):
    """Sign out whoever is signed in, then sign in as `user`."""
    client.post("/logout")
    login(user)


def _base(day) -> str:
    return f"/lessons/{day.lesson.id}/observe/notes"


def _export(user) -> list[dict]:
    with zipfile.ZipFile(io.BytesIO(privacy.build_export(user, user))) as archive:
        return json.loads(archive.read("observations.json"))


def test_an_observer_corrects_a_note_with_htmx_and_others_see_the_correction(client, login, factories):
    day = lesson_day(factories)
    note = _note(day)
    as_user(client, login, day.observer)
    page = client.get(f"/lessons/{day.lesson.id}/observe").text
    assert f'href="{_base(day)}/{note.id}/edit"' in page and f'action="{_base(day)}/{note.id}/delete"' in page

    form = client.get(f"{_base(day)}/{note.id}/edit", headers=HX)
    assert form.status_code == 200 and "Pupil A drew halves" in form.text and "<html" not in form.text
    response = client.post(f"{_base(day)}/{note.id}/edit", headers=HX,
                           data={"text": "Pupil A drew quarters, not halves", "rating": "less_well"})
    assert response.status_code == 200
    assert f'id="note-{note.id}"' in response.text and "Pupil A drew quarters, not halves" in response.text
    assert "Less well than predicted" in response.text

    stored = db.session.get(Observation, note.id)
    assert (stored.text, stored.rating.value) == ("Pupil A drew quarters, not halves", "less_well")
    history = db.session.scalars(db.select(ObservationVersion).where(ObservationVersion.observation_id == note.id))
    assert [(v.text, v.rating.value) for v in history] == [("Pupil A drew halves", "better")]
    again = client.get(f"{_base(day)}/{note.id}/edit").text
    assert "Earlier versions (1)" in again and "Pupil A drew halves" in again

    # Another member's grid (and its agenda) show the corrected note only.
    as_user(client, login, day.observer2)
    grid = client.get(f"/lessons/{day.lesson.id}/grid").text
    assert "Pupil A drew quarters, not halves" in grid and "Pupil A drew halves" not in grid
    # The exports: the observer's own data has the new text and the earlier one; the summary's evidence
    # offers the new text only.
    exported = _export(day.observer)
    assert [(o["text"], [v["text"] for v in o["earlier_versions"]]) for o in exported] == [
        ("Pupil A drew quarters, not halves", ["Pupil A drew halves"])]
    offered = [c.text for c in summaries.candidates(day.cycle) if c.kind == "observation"]
    assert offered == ["Pupil A: Pupil A drew quarters, not halves"]


def test_without_javascript_the_edit_is_a_page_and_the_action_comes_back_to_observe(client, login, factories):
    day = lesson_day(factories)
    note = _note(day)
    as_user(client, login, day.observer)
    page = client.get(f"{_base(day)}/{note.id}/edit")
    assert page.status_code == 200 and "<html" in page.text and "Save the correction" in page.text
    response = client.post(f"{_base(day)}/{note.id}/edit", data={"text": "Pupil A drew thirds", "rating": ""})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/lessons/{day.lesson.id}/observe")
    observe = client.get(f"/lessons/{day.lesson.id}/observe").text
    assert "Your note is corrected" in observe and "Pupil A drew thirds" in observe
    assert db.session.get(Observation, note.id).rating is None

    refused = client.post(f"{_base(day)}/{note.id}/edit", data={"text": "", "rating": ""})
    assert refused.status_code == 422 and "Write what you saw" in refused.text
    assert db.session.get(Observation, note.id).text == "Pupil A drew thirds"


def test_a_deleted_note_leaves_the_grid_and_the_exports_and_its_text_is_kept(client, login, factories):
    day = lesson_day(factories)
    note = _note(day, text="Pupil A counted on fingers")
    kept = _note(day, text="Pupil A used the bar model", client_id="note-fix-000002")
    as_user(client, login, day.observer)
    response = client.post(f"{_base(day)}/{note.id}/delete", headers=HX)
    assert response.status_code == 200 and f'id="note-{note.id}"' not in response.text
    assert "Your note is deleted" in response.text
    observe = client.get(f"/lessons/{day.lesson.id}/observe").text
    assert "Pupil A counted on fingers" not in observe and "Pupil A used the bar model" in observe
    # Without JavaScript: a plain form, back to the observe page.
    plain = client.post(f"{_base(day)}/{kept.id}/delete")
    assert plain.status_code == 303 and plain.headers["Location"].endswith(f"/lessons/{day.lesson.id}/observe")

    stored = db.session.get(Observation, note.id)
    assert stored is not None and stored.deleted_at is not None and stored.text == "Pupil A counted on fingers"
    assert db.session.scalar(db.select(ObservationVersion.text).where(
        ObservationVersion.observation_id == note.id)) == "Pupil A counted on fingers"

    as_user(client, login, day.observer2)
    grid = client.get(f"/lessons/{day.lesson.id}/grid").text
    assert "Pupil A counted on fingers" not in grid and "Pupil A used the bar model" not in grid
    board = client.get(f"/lessons/{day.lesson.id}/board").text  # the grid heads the board too
    assert "Pupil A counted on fingers" not in board
    assert [c for c in summaries.candidates(day.cycle) if c.kind == "observation"] == []
    exported = _export(day.observer)
    assert {o["text"]: o["deleted_at"] is not None for o in exported} == {
        "Pupil A counted on fingers": True, "Pupil A used the bar model": True}
    # A deleted note cannot be corrected or deleted again, and a resend of its client id does not revive it.
    as_user(client, login, day.observer)
    assert client.get(f"{_base(day)}/{note.id}/edit").status_code == 404
    assert client.post(f"{_base(day)}/{note.id}/delete").status_code == 404
    resent = client.post(_base(day), data={"client_id": "note-fix-000001", "kind": "note",
                                            "pupil_id": str(day.pupils[0].id), "stage_id": str(day.stages[0].id),
                                            "text": "Pupil A counted on fingers"})
    assert resent.status_code == 422 and "You deleted this note" in resent.text
    assert db.session.get(Observation, note.id).deleted_at is not None


def test_nobody_else_corrects_or_deletes_a_note(client, login, factories):
    day = lesson_day(factories)
    note = _note(day)
    for other in (day.observer2, day.lead):  # another observer, the facilitator
        as_user(client, login, other)
        assert client.get(f"{_base(day)}/{note.id}/edit").status_code == 404
        assert client.post(f"{_base(day)}/{note.id}/edit", data={"text": "Changed by someone else"}).status_code == 404
        assert client.post(f"{_base(day)}/{note.id}/delete").status_code == 404
        assert f"{_base(day)}/{note.id}/edit" not in client.get(f"/lessons/{day.lesson.id}/observe").text
    stored = db.session.get(Observation, note.id)
    assert stored.text == "Pupil A drew halves" and stored.deleted_at is None
    assert db.session.scalar(db.select(db.func.count(ObservationVersion.id))) == 0


def test_a_note_for_a_lesson_two_days_ahead_is_refused_with_a_message(client, login, factories):
    day = lesson_day(factories, on=date.today() + timedelta(days=2))
    as_user(client, login, day.observer)
    data = {"client_id": "note-ahead-00001", "kind": "note", "pupil_id": str(day.pupils[0].id),
            "stage_id": str(day.stages[0].id), "rating": "better", "text": "Written too early"}
    response = client.post(_base(day), data=data)
    assert response.status_code == 422
    assert "notes are written on the day of the lesson, not more than a day ahead" in response.text
    assert "Nothing was saved" in response.text
    offline = client.post(_base(day), data=data, headers={"Accept": "application/json"})  # the tablet's queue
    assert offline.status_code == 422 and "not more than a day ahead" in " ".join(offline.get_json()["errors"])
    assert db.session.scalar(db.select(db.func.count(Observation.id))) == 0


def test_a_note_less_than_a_day_ahead_of_the_lesson_is_saved(app, factories):
    day = lesson_day(factories, on=date(2026, 3, 10))  # 10:00, the school's zone
    ahead = observation.NoteInput(client_id="note-near-00001", kind=observation.NoteKind.PATTERN, text="Seating plan")
    zone = zone_of(day.school)
    # 23 hours before the lesson by the school's clock: accepted; 25 hours before: refused.
    with pytest.raises(DomainError, match="not more than a day ahead"):
        observation.save_note(day.observer, day.lesson, ahead, now=datetime(2026, 3, 9, 9, 0, tzinfo=zone))
    db.session.rollback()
    observation.save_note(day.observer, day.lesson, ahead, now=datetime(2026, 3, 9, 11, 0, tzinfo=zone))
    assert db.session.scalar(db.select(db.func.count(Observation.id))) == 1
