"""The server's disk is full, in real Chromium: what someone typed in the plan, or a note written while
observing, stays on the page marked "Not saved yet" with the reason (the server answers 507), and is
saved by itself, once, when there is room again."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from lsweb.extensions import db
from lsweb.models import PlanField

from ..disk_full import FullDisk
from .conftest import sign_in
from .test_observation import day, observations, sign_in_on_a_tablet, write_note  # noqa: F401  (fixtures)
from .test_plan_coediting import HANNAH, STATUS, box, goto_plan, lesson, saved  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser
FULL = re.compile(r"Not saved yet.*the server's disk is full")


@pytest.fixture
def disk(live_server):
    with live_server.app.app_context():
        disk = FullDisk(db.engine)
    yield disk
    disk.remove()


def test_plan_typing_on_a_full_disk_waits_on_the_page_and_saves_when_there_is_room(live_server, lesson,
                                                                                  new_context, disk):
    hannah = goto_plan(sign_in(new_context(), HANNAH), lesson)
    disk.on = True
    box(hannah, "aspect").click()
    box(hannah, "aspect").press("Control+End")
    box(hannah, "aspect").press_sequentially(" Typed while the disk was full.", delay=10)
    expect(hannah.locator(STATUS)).to_have_text(FULL)
    assert box(hannah, "aspect").input_value().endswith(" Typed while the disk was full.")
    disk.on = False
    expect(hannah.locator(STATUS)).to_have_text("Saved", timeout=20_000)
    with live_server.app.app_context():
        kept = db.session.scalar(db.select(PlanField.text).where(PlanField.lesson_id == lesson,
                                                                 PlanField.key == "aspect"))
        db.session.remove()
    assert kept.endswith(" Typed while the disk was full.")


def test_a_note_on_a_full_disk_waits_on_the_tablet_and_saves_when_there_is_room(live_server, new_context,
                                                                              day, disk):  # noqa: F811
    page = sign_in_on_a_tablet(new_context, day["observer"])
    page.goto(f"/lessons/{day['lesson']}/observe")
    disk.on = True
    note = write_note(page, day["stages"][0], day["pupils"][0], "Folded the strip into quarters", "As predicted")
    expect(note.locator(".state")).to_have_text(FULL)
    assert observations(live_server) == []
    disk.on = False
    expect(note.locator(".state")).to_have_text("Saved", timeout=15_000)
    assert [text for _, text, _ in observations(live_server)] == ["Folded the strip into quarters"]
