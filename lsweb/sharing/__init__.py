"""Sharing what was learned: cycle summaries, redaction and publishing, the network's library with
full-text search, exports (handout, booklet, PDF, DOCX, Markdown), open-house lessons, learning fairs."""

from flask import Blueprint

bp = Blueprint("sharing", __name__)

from . import privacy, views_fair, views_library, views_openhouse, views_summary  # noqa: E402,F401
