"""Research lessons and their co-edited plans (the plan is also the observation sheet)."""

from flask import Blueprint

bp = Blueprint("planning", __name__)

from . import field_views, stamp, views  # noqa: E402,F401
