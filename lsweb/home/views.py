from __future__ import annotations

from datetime import date

from flask import jsonify, url_for
from flask_login import current_user

from ..admin.services import staff_counts
from ..permissions import can_manage_any_staff, manageable_schools
from ..web import render, see_other
from . import bp, dashboard


@bp.route("/")
def index():
    if not current_user.is_authenticated:
        return see_other(url_for("auth.login"))
    from ..groups.services import groups_of
    from ..permissions import can_create_group

    schools = manageable_schools(current_user) if can_manage_any_staff(current_user) else []
    today = date.today()  # the school's local date, as lesson dates are kept
    groups = groups_of(current_user)
    return render("home/index.html", schools=schools, counts=staff_counts() if schools else {},
                  groups=groups, can_create=can_create_group(current_user),
                  mine=dashboard.member_dashboard(current_user, today, groups),
                  overview=dashboard.school_overview(current_user, today), is_leader=dashboard.is_leader(current_user))


@bp.route("/health")
def health():
    """For monitoring and load balancers: 200 when the database (and Redis, when configured) answer,
    503 otherwise; a JSON body says which."""
    from ..operations.health import check

    healthy, report = check()
    response = jsonify(report)
    response.status_code = 200 if healthy else 503
    response.headers["Cache-Control"] = "no-store"
    return response
