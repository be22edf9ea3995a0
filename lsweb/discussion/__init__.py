"""The post-lesson discussion board of a research lesson (step 7 of Lesson Study)."""

from flask import Blueprint

bp = Blueprint("discussion", __name__)

from . import records, views  # noqa: F401
