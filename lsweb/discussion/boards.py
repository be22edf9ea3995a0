"""A lesson's board row (its change counter), shared by the board's services and its roles."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import DiscussionBoard, ResearchLesson

Clock = Callable[[], datetime]


def board_of(lesson: ResearchLesson) -> DiscussionBoard:
    """The lesson's board row, created on first use (a concurrent creator is no error)."""
    board = db.session.get(DiscussionBoard, lesson.id)
    if board is None:
        try:
            with db.session.begin_nested():
                board = DiscussionBoard(lesson_id=lesson.id, seq=0)
                db.session.add(board)
        except IntegrityError:
            board = db.session.get(DiscussionBoard, lesson.id, populate_existing=True)
    return board
