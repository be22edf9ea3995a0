"""Two recorders on the pupil interviews page (real Chromium): they write the same pupil's answers at
once, each sees the other's words appear while typing, and neither loses a word (issue 18: a stale save
used to replace an answer silently). Without JavaScript each pupil's answers save with one button."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from lsweb.extensions import db
from lsweb.models import InterviewAnswer

from .conftest import assert_no_axe_violations, sign_in
from .test_plan_coediting import HANNAH, SAMUEL, STATUS, box, lesson  # noqa: F401  (the fixture)

pytestmark = pytest.mark.browser


def open_interviews(new_context, email: str, lesson_id: int, **options):
    page = sign_in(new_context(**options), email)
    page.goto(f"/lessons/{lesson_id}/interviews")
    if options.get("java_script_enabled", True) is not False:
        page.wait_for_function("() => window.lswebCoedit && window.lswebCoedit.transport.synced")
    return page


def test_two_recorders_write_one_answer_at_once_and_keep_every_word(live_server, lesson, new_context):  # noqa: F811
    hannah = open_interviews(new_context, HANNAH, lesson)
    samuel = open_interviews(new_context, SAMUEL, lesson)
    first = hannah.locator("textarea[data-coedit-box]").first
    key = first.get_attribute("data-coedit-box")
    first.click()
    first.press_sequentially("I liked folding.", delay=20)
    expect(box(samuel, key)).to_have_value("I liked folding.")
    box(samuel, key).press("End")
    box(samuel, key).press_sequentially(" The strips helped.", delay=20)
    first.press("Home")
    first.press_sequentially("(Pupil A) ", delay=20)
    expect(first).to_have_value("(Pupil A) I liked folding. The strips helped.")
    expect(box(samuel, key)).to_have_value("(Pupil A) I liked folding. The strips helped.")
    expect(hannah.locator(STATUS)).to_have_text("Saved")
    expect(samuel.locator(STATUS)).to_have_text("Saved")
    pupil_id, position = (int(part) for part in key.split("-")[1:])
    with live_server.app.app_context():
        stored = db.session.scalar(db.select(InterviewAnswer.answer).where(
            InterviewAnswer.lesson_id == lesson, InterviewAnswer.pupil_id == pupil_id,
            InterviewAnswer.position == position))
        db.session.remove()
    assert stored == "(Pupil A) I liked folding. The strips helped."
    assert_no_axe_violations(hannah)


def test_without_javascript_a_pupils_answers_save_with_one_button(live_server, lesson, new_context):  # noqa: F811
    page = open_interviews(new_context, SAMUEL, lesson, java_script_enabled=False)
    section = page.locator("section[id^=pupil-]").first
    section.locator("textarea").first.fill("The bars made it easy")
    section.get_by_role("button", name="words").click()
    expect(page.get_by_text("words are saved")).to_be_visible()
    expect(page.locator("section[id^=pupil-]").first.locator("textarea").first).to_have_value("The bars made it easy")
