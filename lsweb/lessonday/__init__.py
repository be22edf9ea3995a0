"""The lesson day: teaching and observing a research lesson, pupil interviews, cover and protected time."""

from flask import Blueprint

bp = Blueprint("lessonday", __name__)

# Its views (and the modules that register exporters or listeners) are loaded by create_app
# (lsweb/__init__.py), so importing one of its services does not import its views.
