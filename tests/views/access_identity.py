"""Access-matrix rows for e-mail and accounts: forgotten password, the page of a one-time link,
inviting staff, and the outbox (admins of the message's school only)."""

from __future__ import annotations

from lsweb.auth import links
from lsweb.extensions import db
from lsweb.models import AccountToken, JobTitleRole, OutboxMessage, Role, School, TokenPurpose

from .matrix import TO_HOME, Redirect, Row, admins, everyone

TO_OUTBOX = Redirect(303, "/admin/outbox")
TO_STAFF = Redirect(303, "/admin/staff")
TO_IMPORT = Redirect(303, "/admin/staff/import")
TO_JOB_TITLES = Redirect(303, "/admin/schools/{school_a}/job-titles")


def extend_world(make, world) -> None:
    school_a = db.session.get(School, world.ids["school_a"])
    admin = make.user(school_a, Role.SCHOOL_ADMIN, name="Ada Admin")
    holder = make.user(school_a, Role.TEACHER, name="Linda Link", email="link.holder@alder.example")
    token = links.invite(admin, holder)
    message = db.session.scalar(db.select(OutboxMessage).where(OutboxMessage.user_id == holder.id))
    world.ids.update(link_token=token.link_token, outbox_message=message.id)


def _target_invited(world) -> bool:
    return db.session.scalar(db.select(AccountToken.id).where(
        AccountToken.user_id == world.ids["target"], AccountToken.purpose == TokenPurpose.INVITATION)) is not None


def _network_member_invited(world) -> bool:
    return db.session.scalar(db.select(AccountToken.id).where(
        AccountToken.user_id == world.ids["network_member"])) is not None


ANONYMOUS_ONLY = {**everyone(TO_HOME), "anonymous": 200}

ROWS: list[Row] = [
    Row("GET", "/forgot-password", ANONYMOUS_ONLY),
    Row("POST", "/forgot-password", {**everyone(TO_HOME), "anonymous": 422}, data={"email": ""}),
    Row("POST", "/forgot-password", {**everyone(TO_HOME), "anonymous": 200}, data={"email": "nobody@nowhere.example"},
        note="an unknown address: the same answer as a known one, nothing stored"),
    # Sign in with OpenID Connect: off in the matrix's app (tests/views/test_oidc_sign_in.py plays it on)
    Row("GET", "/login/oidc", {**everyone(TO_HOME), "anonymous": 404}),
    Row("GET", "/login/oidc/callback?code=x&state=y", {**everyone(TO_HOME), "anonymous": 404}),
    # A one-time link works for whoever holds it (it is the proof); a changed one for nobody.
    Row("GET", "/password/set/{link_token}", everyone(200)),
    Row("GET", "/password/set/x", everyone(410)),
    Row("POST", "/password/set/x", everyone(410), data={"new_password": "long enough passphrase",
                                                        "confirm": "long enough passphrase"}),
    Row("POST", "/password/set/{link_token}", everyone(422), data={"new_password": "", "confirm": ""}),
    # inviting staff
    Row("POST", "/admin/staff/{target}/invite", admins(TO_STAFF, TO_STAFF), data={},
        effect=lambda w, actor: _target_invited(w)),
    Row("POST", "/admin/staff/{b_member}/invite", admins(404, TO_STAFF, other_school_admin=TO_STAFF), data={},
        effect=lambda w, actor: db.session.scalar(db.select(AccountToken.id).where(
            AccountToken.user_id == w.ids["b_member"])) is not None),
    Row("POST", "/admin/staff/{network_member}/invite", admins(404, TO_STAFF), data={},
        effect=lambda w, actor: _network_member_invited(w)),
    Row("POST", "/admin/staff/{missing}/invite", admins(404, 404), data={}),
    # the outbox
    Row("GET", "/admin/outbox", admins(200, 200, other_school_admin=200), note="one's own school's messages"),
    Row("POST", "/admin/outbox/{outbox_message}/send-again", admins(TO_OUTBOX, TO_OUTBOX), data={},
        note="mail is off in the matrix: refused with a message, nothing stored"),
    Row("POST", "/admin/outbox/{missing}/send-again", admins(404, 404), data={}),
    # the staff import's mapping step and a school's job titles
    Row("POST", "/admin/staff/import/columns", admins(TO_IMPORT, TO_IMPORT),
        data={"token": "an-upload-that-is-gone", "school_id": "{school_a}"},
        note="an upload that is not there (or another admin's): sent to upload again, nothing stored"),
    Row("POST", "/admin/staff/import/columns", admins(404, TO_IMPORT, other_school_admin=TO_IMPORT),
        data={"token": "an-upload-that-is-gone", "school_id": "{school_b}"}),
    Row("GET", "/admin/schools/{school_a}/job-titles", admins(200, 200)),
    Row("GET", "/admin/schools/{school_b}/job-titles", admins(404, 200, other_school_admin=200)),
    Row("POST", "/admin/schools/{school_a}/job-titles", admins(TO_JOB_TITLES, TO_JOB_TITLES),
        data={"titles": "Phase Lead = lead"},
        effect=lambda w, actor: db.session.scalar(db.select(JobTitleRole.role).where(
            JobTitleRole.school_id == w.ids["school_a"], JobTitleRole.title == "phase lead")) is Role.LEAD),
]
