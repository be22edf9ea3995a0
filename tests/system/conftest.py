"""Fixtures of the tests that run real servers."""

from __future__ import annotations

import pytest

from lsweb.demo import seed_demo
from lsweb.extensions import db
from lsweb.models import LessonStatus, ResearchLesson


@pytest.fixture
def lesson_id(make_app):
    """The demo network in the test's database: the id of its first lesson still being planned."""
    app = make_app()
    with app.app_context():
        seed_demo()
        found = db.session.scalar(db.select(ResearchLesson.id).where(
            ResearchLesson.status == LessonStatus.PLANNED).order_by(ResearchLesson.id))
        db.session.remove()
        db.engine.dispose()
    return found
