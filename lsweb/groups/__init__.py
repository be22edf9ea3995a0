from flask import Blueprint

bp = Blueprint("groups", __name__, url_prefix="/groups")

from . import cycle_views, views  # noqa: E402,F401
