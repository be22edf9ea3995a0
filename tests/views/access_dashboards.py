"""Access-matrix rows for the school's protected-time allowance page (its admins and network admins).
The dashboards live on the home page ("/", a core row); what each role sees there is checked in
test_dashboards.py."""

from __future__ import annotations

from lsweb.extensions import db
from lsweb.models import TimeAllowance

from .matrix import Redirect, Row, admins

TO_TIME_A = Redirect(303, "/admin/schools/{school_a}/time")
TO_TIME_B = Redirect(303, "/admin/schools/{school_b}/time")


def _allowance(world, key: str) -> int | None:
    row = db.session.get(TimeAllowance, world.ids[key])
    return row.minutes_per_year if row else None


ROWS: list[Row] = [
    Row("GET", "/admin/schools/{school_a}/time", admins(200, 200)),
    Row("POST", "/admin/schools/{school_a}/time", admins(TO_TIME_A, TO_TIME_A), data={"hours": "7.5"},
        effect=lambda w, actor: _allowance(w, "school_a") == 450),
    Row("GET", "/admin/schools/{school_b}/time", admins(404, 200, other_school_admin=200)),
    Row("POST", "/admin/schools/{school_b}/time", admins(404, TO_TIME_B, other_school_admin=TO_TIME_B),
        data={"hours": "6"}, effect=lambda w, actor: _allowance(w, "school_b") == 360),
    Row("GET", "/admin/schools/{missing}/time", admins(404, 404)),
]
