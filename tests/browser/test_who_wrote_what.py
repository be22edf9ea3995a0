"""Who wrote what, in real Chromium without JavaScript: from the plan's history to the plan's text with
each part named by its author; axe-core clean, and no sideways scrolling at 320 CSS px (400 % zoom).

Demo data: RL2 of "Year 4 fractions" (not taught yet; Hannah Lee and Samuel Owusu are signed members)."""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import expect

from lsweb.coedit import documents, edits
from lsweb.demo import seed_demo
from lsweb.extensions import db
from lsweb.models import User

from .conftest import assert_no_axe_violations, fractions_lesson_id, sign_in
from .test_pages_quality import OVERFLOW

pytestmark = pytest.mark.browser

HANNAH, SAMUEL = "teacher1@demo.local", "teacher2@demo.local"


@pytest.fixture
def lesson(live_server):
    """RL2 with an aspect Hannah began and Samuel finished (through the server, as the form does)."""
    with live_server.app.app_context():
        seed_demo()
        found = fractions_lesson_id(2)
        hannah, samuel = (db.session.scalar(db.select(User).where(User.email == e)) for e in (HANNAH, SAMUEL))
        name = f"plan-{found}"
        edits.edit_texts(documents.target(name, hannah), hannah.id,
                         {"aspect": "Comparing fractions with bar models"}, None)
        edits.edit_texts(documents.target(name, samuel), samuel.id,
                         {"aspect": "Comparing fractions with bar models and number lines, <b>then</b> words"}, None)
        db.session.remove()
    return found


def test_the_history_leads_to_who_wrote_what_without_javascript(new_context, lesson):
    page = sign_in(new_context(java_script_enabled=False), SAMUEL)
    page.goto(f"/lessons/{lesson}/history")
    page.get_by_role("link", name="Who wrote what").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Who wrote what")
    aspect = page.locator("section.who-box", has=page.get_by_role("heading", name="Aspect of learning studied"))
    runs = aspect.locator(".who-run")
    expect(runs).to_have_count(2)
    expect(runs.nth(0)).to_have_text("Hannah Lee: Comparing fractions with bar models")
    expect(runs.nth(1)).to_have_text("Samuel Owusu: and number lines, <b>then</b> words")
    expect(aspect).to_contain_text("Written by Hannah Lee, Samuel Owusu.")
    # (axe-core and the reflow check run scripts in the page: a second browser, with JavaScript)
    checked = sign_in(new_context(), SAMUEL)
    checked.goto(page.url)
    assert_no_axe_violations(checked)
    checked.set_viewport_size({"width": 320, "height": 640})
    assert checked.evaluate(OVERFLOW) == []
    if os.environ.get("LSWEB_SCREENSHOTS"):
        checked.set_viewport_size({"width": 900, "height": 900})
        checked.screenshot(path=os.path.join(os.environ["LSWEB_SCREENSHOTS"], "who-wrote-what.png"), full_page=True)
