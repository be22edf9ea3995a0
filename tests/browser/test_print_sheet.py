"""The A3 observation sheet never cuts text silently: long aims and stages flow onto a second sheet
whose table repeats its header (with the lesson's name), and a stage row never splits across pages.
Printed by Chromium, read back with pypdf."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from lsweb.planning import fields

from ..plans import planning_team

pytestmark = pytest.mark.browser

LONG_AIM = " ".join(f"Pupils explain equivalence step {n} with strips, bars and number lines." for n in range(60))


def test_a_long_plan_flows_onto_a_second_sheet_without_losing_text(browser, client, login, factories):
    team = planning_team(factories)
    for _ in range(7):
        from lsweb.planning import lessons

        lessons.add_stage(team.lead, team.lesson)
    fields.save_field(team.ana, team.lesson, "intentions", LONG_AIM + " THE END OF THE AIMS", 0)
    for stage in team.lesson.current_stages:
        fields.save_field(team.ana, team.lesson, fields.prediction_key(stage.id, team.pupils[0].id),
                          f"Stage {stage.position}: " + "folds the strip and names the parts; " * 12 + "END", 0)
    login(team.ana)
    html = client.get(f"/lessons/{team.lesson.id}/print").get_data(as_text=True)
    css = client.get("/static/css/sheet.css").get_data(as_text=True)
    html = html.replace('<link rel="stylesheet" href="/static/css/sheet.css">', f"<style>{css}</style>")
    page = browser.new_page()
    page.set_content(html)
    pdf = PdfReader(io.BytesIO(page.pdf(prefer_css_page_size=True, print_background=True)))
    page.close()
    texts = [p.extract_text() for p in pdf.pages]
    whole = " ".join(" ".join(t.split()) for t in texts)
    assert len(pdf.pages) >= 2, "so much text cannot fit one sheet"
    assert "THE END OF THE AIMS" in whole, "the aims were cut"
    assert whole.count("END") >= len(team.lesson.current_stages) + 1, "a stage's text was cut"
    for text in texts[1:]:
        if "Stage" in text and "Predicted" in text:
            assert "Fractions study: RL1" in text  # the header, with the lesson's name, repeats
    continued = [t for t in texts[1:] if "Predicted" in t]
    assert continued, "the table's header is not repeated on the next sheet"
