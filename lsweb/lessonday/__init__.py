"""The lesson day: teaching and observing a research lesson, pupil interviews, cover and protected time."""

from flask import Blueprint

bp = Blueprint("lessonday", __name__)

from . import cover_views, records, views  # noqa: E402,F401
