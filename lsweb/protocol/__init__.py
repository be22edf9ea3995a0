from flask import Blueprint

bp = Blueprint("protocol", __name__)

from . import views  # noqa: E402,F401
