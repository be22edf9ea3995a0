"""Sharing in real Chromium: the facilitator writes the summary (co-edited, saved as she types), checks
what might identify a pupil and publishes to the network; a teacher of another school finds it in the
library, opens it and downloads the handout. axe-core checks the library pages."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader

from lsweb.extensions import db
from lsweb.models import StudyGroup

from .conftest import assert_no_axe_violations
from .test_staff_journey import demo, sign_in  # noqa: F401  (the demo fixture)

pytestmark = pytest.mark.browser
LEARNING = "Pupils matched equivalent fractions once they had folded wide strips themselves."


def test_publish_find_in_another_school_and_download(demo, new_page):  # noqa: F811
    with demo.app.app_context():
        group_id = db.session.scalar(db.select(StudyGroup.id).where(StudyGroup.name == "Year 4 fractions"))

    hannah = new_page()
    sign_in(hannah, "teacher1@demo.local")
    hannah.goto(f"/groups/{group_id}/cycles/1/summary")
    box = hannah.get_by_label("What we learned about these pupils' learning")
    box.fill(LEARNING)
    box.blur()
    hannah.wait_for_selector("[data-coedit-status]:has-text('Saved')")
    assert_no_axe_violations(hannah)

    hannah.get_by_role("link", name="Check and publish").click()
    hannah.wait_for_url(re.compile(r"/summary/redaction$"))
    assert_no_axe_violations(hannah)
    boxes = hannah.locator("#redaction-items input[type=checkbox]")
    if boxes.count():
        for index in range(boxes.count()):
            boxes.nth(index).check()
        hannah.get_by_role("button", name="Confirm the ticked items").click()
        hannah.wait_for_selector("text=Nothing left to check")
    hannah.get_by_label("Who may read it").select_option("network")
    hannah.get_by_role("button", name="Publish").click()
    hannah.wait_for_url(re.compile(r"/library/studies/\d+$"))

    james = new_page()
    sign_in(james, "teacher5@demo.local")
    james.get_by_role("navigation", name="Main").get_by_role("link", name="Library").click()
    james.wait_for_url(re.compile(r"/library$"))
    assert_no_axe_violations(james)
    james.get_by_label("Search the studies").fill("folded wide strips")
    james.get_by_role("button", name="Search").click()
    james.locator("#library-results mark").first.wait_for()  # the results, with the words highlighted
    assert "matching “folded wide strips”" in james.locator("#library-results").inner_text()
    result = james.get_by_role("link", name="Year 4 fractions: cycle 1")
    assert_no_axe_violations(james)
    result.click()
    james.wait_for_url(re.compile(r"/library/studies/\d+$"))
    assert LEARNING in james.content()
    assert_no_axe_violations(james)

    with james.expect_download() as download_info:
        james.get_by_role("link", name="PDF").click()
    pdf = PdfReader(io.BytesIO(download_info.value.path().read_bytes()))
    assert len(pdf.pages) >= 1 and "wide strips" in pdf.pages[0].extract_text()
    james.get_by_role("link", name="Printable handout").click()
    james.wait_for_url(re.compile(r"/handout$"))
    assert james.get_by_role("heading", name="Year 4 fractions: cycle 1").is_visible()
    assert_no_axe_violations(james)

    # The open-house invitation of the demo is in the library, open for registration.
    james.goto("/library")
    james.get_by_role("link", name=re.compile(r"Year 4 fractions: RL\d")).click()
    assert_no_axe_violations(james)
    james.get_by_role("button", name="Register to observe").click()
    james.get_by_role("link", name="Read the briefing pack").click()
    assert james.get_by_role("heading", name="Your part of the protocol").is_visible()
    assert_no_axe_violations(james)
