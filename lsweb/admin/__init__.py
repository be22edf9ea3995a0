from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from . import views, import_views, job_titles, outbox  # noqa: E402,F401
