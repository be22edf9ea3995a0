"""The progress charts and the grid's heat strip: SVG images drawn on the server (pygal), with no
script, allowed only their own inline styles, shown beside a table of the same figures."""

from __future__ import annotations

import pytest

from lsweb.demo import DEMO_PASSWORD, seed_demo
from lsweb.extensions import db
from lsweb.models import Cycle, ResearchLesson, StudyGroup


@pytest.fixture
def demo(app):
    seed_demo()
    group = db.session.scalar(db.select(StudyGroup).where(StudyGroup.name == "Year 4 fractions"))
    cycle = db.session.scalar(db.select(Cycle).where(Cycle.group_id == group.id))
    lesson = db.session.scalar(db.select(ResearchLesson).where(ResearchLesson.cycle_id == cycle.id,
                                                              ResearchLesson.number == 1))
    return group, cycle, lesson


def test_progress_page_shows_a_chart_per_pupil_and_the_table(client, login, demo):
    group, cycle, lesson = demo
    login("teacher1@demo.local", DEMO_PASSWORD)
    page = client.get(f"/groups/{group.id}/cycles/{cycle.number}/progress").text
    assert page.count('<figure class="chart">') == len(cycle.pupils)
    assert "<table>" in page and "the same figures are in the table below" in page
    chart = client.get(f"/groups/{group.id}/cycles/{cycle.number}/progress/pupils/{cycle.pupils[0].id}.svg")
    assert chart.status_code == 200 and chart.mimetype == "image/svg+xml"
    assert "<script" not in chart.text and chart.text.startswith("<svg")
    assert chart.headers["Content-Security-Policy"].startswith("default-src 'none'; style-src 'unsafe-inline'")
    assert "Better than predicted" in chart.text and lesson.title in chart.text


def test_grid_heat_strip(client, login, demo):
    group, cycle, lesson = demo
    login("teacher1@demo.local", DEMO_PASSWORD)
    assert "grid-strip" in client.get(f"/lessons/{lesson.id}/grid").text
    strip = client.get(f"/lessons/{lesson.id}/grid.svg")
    assert strip.status_code == 200 and "<script" not in strip.text and cycle.pupils[0].label in strip.text
