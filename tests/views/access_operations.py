"""Access-matrix rows for running lsweb: one's own data export, and deleting an account (admins of the
person only)."""

from __future__ import annotations

from lsweb.extensions import db
from lsweb.models import User

from .matrix import Redirect, Row, _audited, admins, signed_in

TO_STAFF = Redirect(303, "/admin/staff")


def _target_deleted(world) -> bool:
    return db.session.get(User, world.ids["target"]).display_name == "Former member"


ROWS: list[Row] = [
    Row("GET", "/account/data", signed_in(200)),
    Row("POST", "/account/data", signed_in(200), data={},
        effect=lambda w, actor: _audited("privacy.exported", actor), note="one's own data only, as a ZIP"),
    Row("GET", "/admin/staff/{target}/delete", admins(200, 200)),
    Row("GET", "/admin/staff/{b_member}/delete", admins(404, 200, other_school_admin=200)),
    Row("GET", "/admin/staff/{missing}/delete", admins(404, 404)),
    Row("POST", "/admin/staff/{target}/delete", admins(TO_STAFF, TO_STAFF), data={"confirm": "yes"},
        effect=lambda w, actor: _target_deleted(w)),
    Row("POST", "/admin/staff/{network_member}/delete", admins(404, TO_STAFF, other_school_admin=404),
        data={"confirm": "yes"},
        effect=lambda w, actor: db.session.get(User, w.ids["network_member"]).display_name == "Former member"),
]
