"""Observing on a tablet over weak wifi, in real Chromium: notes saved one by one; with the server gone,
they stay on screen as "Not saved yet" (kept in localStorage); when it comes back they save by
themselves, none lost and none duplicated; the grid merges two observers' notes; axe-core finds nothing
on the observation, grid and interview pages."""

from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import expect

from lsweb.extensions import db
from lsweb.models import Observation

from ..conftest import TEST_PASSWORD
from ..factories import Factories
from ..lessonday_setup import lesson_day
from .conftest import assert_no_axe_violations, sign_in

pytestmark = pytest.mark.browser
TABLET = {"width": 768, "height": 1024}


@pytest.fixture
def day(live_server):
    with live_server.app.app_context():
        setup = lesson_day(Factories(db), on=date.today())
        ids = {"lesson": setup.lesson.id, "stages": [s.id for s in setup.stages],
               "pupils": [p.id for p in setup.pupils], "observer": setup.observer.email,
               "observer2": setup.observer2.email}
        db.session.remove()
    return ids


def sign_in_on_a_tablet(new_context, email: str):
    return sign_in(new_context(viewport=TABLET, has_touch=True), email, TEST_PASSWORD)


def write_note(page, stage: int, pupil: int, text: str, rating: str):
    card = page.locator(f"#stage-{stage}-{pupil}")
    card.get_by_label(rating, exact=True).check()
    card.get_by_label(re.compile("What Pupil . did")).fill(text)
    card.get_by_role("button", name="Save note").click()
    return card.locator("li.note", has_text=text)


def queued(page, lesson: int) -> list:
    """The notes this page keeps waiting in the browser, for the person signed in."""
    return page.evaluate("lesson => JSON.parse(localStorage.getItem('lsweb-notes-u' + "
                         "document.getElementById('observe').dataset.user + '-' + lesson) || '[]')", lesson)


def observations(server) -> list[Observation]:
    with server.app.app_context():
        rows = db.session.scalars(db.select(Observation).order_by(Observation.id)).all()
        result = [(row.client_id, row.text, row.rating.value if row.rating else None) for row in rows]
        db.session.remove()
    return result


def test_notes_survive_the_server_going_away(live_server, new_context, day):
    s1, s2, s3 = day["stages"]
    pupil_a = day["pupils"][0]
    page = sign_in_on_a_tablet(new_context, day["observer"])
    page.goto(f"/lessons/{day['lesson']}/observe")
    expect(page.get_by_role("heading", name="Pupil A", exact=True)).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert_no_axe_violations(page)

    first = write_note(page, s1, pupil_a, "Folded the strip into quarters", "As predicted")
    expect(first.locator(".state")).to_have_text("Saved")

    live_server.stop()
    second = write_note(page, s2, pupil_a, "Said 2/4 is bigger than 1/2", "Less well than predicted")
    third = write_note(page, s3, pupil_a, "Explained to a partner with the bar", "Better than predicted")
    expect(second.locator(".state")).to_have_text("Not saved yet")
    expect(third.locator(".state")).to_have_text("Not saved yet")
    expect(page.locator("#save-state")).to_contain_text("2 notes not saved yet")
    assert len(queued(page, day["lesson"])) == 2

    live_server.start()
    expect(second.locator(".state")).to_have_text("Saved", timeout=15_000)
    expect(third.locator(".state")).to_have_text("Saved", timeout=15_000)
    saved = observations(live_server)
    assert [text for _, text, _ in saved] == ["Folded the strip into quarters", "Said 2/4 is bigger than 1/2",
                                              "Explained to a partner with the bar"]
    assert len({client_id for client_id, _, _ in saved}) == 3
    assert queued(page, day["lesson"]) == []

    page.reload()  # nothing pending is shown twice after a reload
    expect(page.locator("li.note", has_text="Said 2/4 is bigger")).to_have_count(1)
    assert len(observations(live_server)) == 3

    other = sign_in_on_a_tablet(new_context, day["observer2"])
    other.goto(f"/lessons/{day['lesson']}/observe")
    pupil_b = day["pupils"][1]
    note = write_note(other, s1, pupil_b, "Counted squares one by one", "Not seen")
    expect(note.locator(".state")).to_have_text("Saved")

    page.goto(f"/lessons/{day['lesson']}/grid")
    grid = page.locator("table.obs-grid")
    expect(grid).to_contain_text("Folded the strip into quarters")
    expect(grid).to_contain_text("Counted squares one by one")
    expect(grid.locator(".rating-less_well")).to_have_text("Less well than predicted")
    expect(page.get_by_text("Notes of Olive Observer, Otto Observer.")).to_be_visible()
    assert_no_axe_violations(page)

    page.goto(f"/lessons/{day['lesson']}/interviews")
    expect(page.get_by_role("timer")).to_have_text("5:00")
    assert_no_axe_violations(page)


def test_a_note_shows_the_schools_time_on_a_tablet_set_to_another_zone(live_server, new_context, day):
    """The tablet is set to New York, the school is in London: the time beside a note is London's."""
    from datetime import datetime, timedelta, timezone
    from zoneinfo import ZoneInfo

    from lsweb.models import ResearchLesson

    with live_server.app.app_context():
        db.session.get(ResearchLesson, day["lesson"]).cycle.group.school.timezone = "Europe/London"
        db.session.commit()
        db.session.remove()
    s1 = day["stages"][0]
    page = sign_in(new_context(viewport=TABLET, has_touch=True, timezone_id="America/New_York"),
                   day["observer"], TEST_PASSWORD)
    page.goto(f"/lessons/{day['lesson']}/observe")
    note = write_note(page, s1, day["pupils"][0], "Counted the quarters aloud", "As predicted")
    expect(note.locator(".state")).to_have_text("Saved")
    shown = note.locator(".time").inner_text()
    now = datetime.now(timezone.utc)
    london = {(now + timedelta(minutes=m)).astimezone(ZoneInfo("Europe/London")).strftime("%H:%M")
              for m in (-1, 0, 1)}
    assert shown in london, f"{shown} is not London's time ({sorted(london)})"


def test_a_shared_tablet_keeps_a_note_only_for_its_writer_and_forgets_it_at_sign_out(live_server, new_context, day):
    """Two observers on one tablet (one browser): a note waiting to be sent is never sent, shown or kept
    for the next person."""
    s1 = day["stages"][0]
    context = new_context(viewport=TABLET, has_touch=True)
    page = sign_in(context, day["observer"], TEST_PASSWORD)
    page.goto(f"/lessons/{day['lesson']}/observe")
    live_server.stop()
    waiting = write_note(page, s1, day["pupils"][0], "Written by the first observer", "As predicted")
    expect(waiting.locator(".state")).to_have_text("Not saved yet")
    # The first observer's session ends without signing out (cookie gone); the second signs in here,
    # while the first's tab is still open and retrying.
    page.context.clear_cookies()
    kept = page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('lsweb-notes'))")
    live_server.start()
    second = sign_in(context, day["observer2"], TEST_PASSWORD)
    second.goto(f"/lessons/{day['lesson']}/observe")
    expect(second.get_by_text("Written by the first observer")).to_have_count(0)
    second.wait_for_timeout(2500)  # a retry would have gone by now
    assert not [text for _, text, _ in observations(live_server) if text == "Written by the first observer"]
    assert queued(second, day["lesson"]) == []
    # Signing out forgets the notes kept for the person signing out.
    second.evaluate("localStorage.setItem('lsweb-notes-u' + document.getElementById('observe').dataset.user"
                    " + '-1', JSON.stringify([{fields: {text: 'x'}}]))")
    second.get_by_role("button", name="Sign out").click()
    second.wait_for_url("**/login**")
    left = second.evaluate("Object.keys(localStorage).filter(k => k.startsWith('lsweb-notes'))")
    assert kept and all(key in left for key in kept), "the first observer's waiting note went with another's sign-out"
    assert len(left) == len(kept)
