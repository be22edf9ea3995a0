"""Correcting and deleting a saved note on the observe page, in real Chromium with htmx: the note's line
turns into its form in place, the correction replaces it, a deleted note leaves the page (after the
browser's confirmation) and the grid; axe-core finds nothing on the page with the form open."""

from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import expect

from lsweb.extensions import db
from lsweb.lessonday import observation
from lsweb.models import Observation

from ..conftest import TEST_PASSWORD
from ..factories import Factories
from ..lessonday_setup import lesson_day
from .conftest import assert_no_axe_violations, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def day(live_server):
    with live_server.app.app_context():
        setup = lesson_day(Factories(db), on=date.today())
        for client_id, text in (("note-browser-01", "Pupil A folded halves"), ("note-browser-02", "Pupil A gave up")):
            observation.save_note(setup.observer, setup.lesson, observation.NoteInput(
                client_id=client_id, pupil_id=setup.pupils[0].id, stage_id=setup.stages[0].id, text=text))
        ids = {"lesson": setup.lesson.id, "observer": setup.observer.email}
        db.session.remove()
    return ids


def _texts(server) -> list[tuple[str, bool]]:
    with server.app.app_context():
        rows = [(o.text, o.deleted_at is not None) for o in db.session.scalars(
            db.select(Observation).order_by(Observation.id))]
        db.session.remove()
    return rows


def test_a_note_is_corrected_and_another_deleted_in_place(live_server, new_context, day):
    page = sign_in(new_context(), day["observer"], TEST_PASSWORD)
    page.goto(f"/lessons/{day['lesson']}/observe")
    first = page.locator("li.note", has_text="Pupil A folded halves")
    first.get_by_role("link", name="Correct").click()
    box = page.get_by_label("What you saw")
    expect(box).to_have_value("Pupil A folded halves")
    assert page.url.endswith("/observe")  # in place, not a new page
    assert_no_axe_violations(page)
    box.fill("Pupil A folded quarters")
    page.locator("li.note.editing").get_by_label("Better than predicted").check()
    page.get_by_role("button", name="Save the correction").click()
    corrected = page.locator("li.note", has_text="Pupil A folded quarters")
    expect(corrected).to_contain_text("Better than predicted")
    expect(page.get_by_label("What you saw")).to_have_count(0)

    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("li.note", has_text="Pupil A gave up").get_by_role("button", name="Delete").click()
    expect(page.locator("li.note", has_text="Pupil A gave up")).to_have_count(0)
    assert _texts(live_server) == [("Pupil A folded quarters", False), ("Pupil A gave up", True)]

    page.goto(f"/lessons/{day['lesson']}/grid")
    grid = page.locator("table.obs-grid")
    expect(grid).to_contain_text("Pupil A folded quarters")
    expect(grid).not_to_contain_text("Pupil A gave up")
