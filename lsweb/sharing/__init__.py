"""Sharing what was learned: cycle summaries, redaction and publishing, the network's library with
full-text search, exports (handout, booklet, PDF, DOCX, Markdown), open-house lessons, learning fairs."""

from flask import Blueprint

bp = Blueprint("sharing", __name__)

# Its views (and the modules that register exporters or listeners) are loaded by create_app
# (lsweb/__init__.py), so importing one of its services does not import its views.
