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
    fields.save_field(team.ana, team.lesson, "intentions", LONG_AIM + " THE END OF THE AIMS")
    for stage in team.lesson.current_stages:
        fields.save_field(team.ana, team.lesson, fields.prediction_key(stage.id, team.pupils[0].id),
                          f"Stage {stage.position}: " + "folds the strip and names the parts; " * 12 + "END")
    login(team.ana)
    pdf, _heights = _printed(browser, client, team.lesson.id)
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


def _printed(browser, client, lesson_id: int) -> tuple[object, list[float]]:
    """The sheet as Chromium prints it (A3 landscape), with each stage row's height in mm."""
    html = client.get(f"/lessons/{lesson_id}/print").get_data(as_text=True)
    css = client.get("/static/css/sheet.css").get_data(as_text=True)
    html = html.replace('<link rel="stylesheet" href="/static/css/sheet.css">', f"<style>{css}</style>")
    page = browser.new_page(viewport={"width": 1512, "height": 1047})  # 400 x 277 mm at 96 px per inch
    page.set_content(html)
    page.emulate_media(media="print")
    heights = page.evaluate("[...document.querySelectorAll('.sheet-table tbody tr')]"
                            ".map(r => r.getBoundingClientRect().height * 25.4 / 96)")
    pdf = PdfReader(io.BytesIO(page.pdf(prefer_css_page_size=True, print_background=True)))
    page.close()
    return pdf, heights


def test_a_short_plan_fills_one_sheet_with_rows_sharing_its_height(browser, client, login, factories):
    from lsweb.planning import lessons

    team = planning_team(factories)
    while len(team.lesson.current_stages) < 8:  # the usual plan: 8 stages on one A3 sheet
        lessons.add_stage(team.lead, team.lesson)
    login(team.ana)
    pdf, heights = _printed(browser, client, team.lesson.id)
    assert len(pdf.pages) == 1
    assert len(heights) == 8
    assert min(heights) > 25, f"rows of {heights} mm leave the sheet's lower part blank"
    assert max(heights) - min(heights) < 2, "the rows do not share the height evenly"
