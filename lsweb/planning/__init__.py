"""Research lessons and their co-edited plans (the plan is also the observation sheet)."""

from flask import Blueprint

bp = Blueprint("planning", __name__)

# views are imported by create_app (see _register_blueprints)
