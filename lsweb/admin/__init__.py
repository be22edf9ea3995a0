from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

# Its views (and the modules that register exporters or listeners) are loaded by create_app
# (lsweb/__init__.py), so importing one of its services does not import its views.
