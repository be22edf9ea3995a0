"""The post-lesson discussion board of a research lesson (step 7 of Lesson Study)."""

from flask import Blueprint

bp = Blueprint("discussion", __name__)

from . import personal_data, views  # noqa: E402,F401
