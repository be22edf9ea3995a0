"""Who may reach what: every route, every role, as one table.

To extend it, add a role to ROLES (matrix.py: a function that creates that user in the `world`) and
give every row an answer for it; add a row for every new route (test_every_route_has_a_row fails until
you do): the core routes here, a domain's routes in its own `access_<domain>.py` (ROWS, and
extend_world when they need more of the world), listed in DOMAINS below. Objects a user may not see
answer 404, never 403: a 403 would tell them the object exists.

A cell is the status the role gets, or a Redirect (status and where to). For each request:
- a refused request (4xx, or sent to sign in) stores nothing at all;
- an allowed request of a row with an `effect` stores that effect; a row without one stores nothing;
- a role never sees what belongs to schools or groups it has no part in (NEVER_SHOWN).
"""

from __future__ import annotations

import io
import zipfile

from collections import defaultdict
from dataclasses import replace
from urllib.parse import urlsplit

import pytest

from lsweb.auth.sessions import open_sessions
from lsweb.extensions import db
from lsweb.groups import cycles as cycle_services
from lsweb.groups import services as group_services
from lsweb.models import (CasePupil, CycleStatus, GroupLink, GroupMember, GroupRole, ProtocolVersion, Role,
                          StudyGroup, User)
from lsweb.permissions import is_facilitator, is_member
from lsweb.protocol import services as protocol_services

from . import (access_dashboards, access_discussion, access_identity, access_lessonday, access_operations,
               access_planning, access_sharing)
from .matrix import (FACILITATOR_ONLY, GROUP_MEMBERS, HOME_TO_LOGIN, LEADS, NEVER_SHOWN, NOTHING_TO_SIGN_OUT,
                     REFUSED_TO_CYCLE, REFUSED_TO_GROUP, REFUSED_TO_PROTOCOL, ROLES, SIGN_FIRST, SIGNED_MEMBERS,
                     SIGNED_OUT, TO_CYCLE, TO_GROUP, TO_HOME, TO_PROTOCOL, Redirect, Row, _audited,
                     _csv_upload, _cycle_status, _group, _group_a, _in_group_a, _pupil, _pupil_labelled, _school,
                     _school_default_text, _user, admins, build_world, everyone, group_a,
                     signed_in)

DOMAINS = [access_planning, access_lessonday, access_discussion, access_operations, access_dashboards, access_sharing,
           access_identity]

STAFF_FORM = {"display_name": "Tara Renamed", "email": "tara.target@alder.example", "role": "teacher",
              "school_id": "{school_a}"}
NEW_STAFF = {"display_name": "Nora New", "email": "nora.new@alder.example", "role": "teacher",
             "school_id": "{school_a}"}

CORE_ROWS: list[Row] = [
    # home and health
    Row("GET", "/", signed_in(200, anonymous=HOME_TO_LOGIN)),
    Row("GET", "/health", everyone(200)),
    # signing in and out, one's own password
    Row("GET", "/login", {**everyone(TO_HOME), "anonymous": 200}),
    Row("POST", "/login", {**everyone(TO_HOME), "anonymous": 422}, data={"email": "", "password": ""}),
    Row("POST", "/logout", {**everyone(SIGNED_OUT), "anonymous": NOTHING_TO_SIGN_OUT},
        effect=lambda w, actor: not open_sessions(actor)),
    Row("GET", "/login/two-step", everyone(Redirect(303, "/login")), note="nothing pending: the password first"),
    Row("POST", "/login/two-step", everyone(Redirect(303, "/login")), data={"code": "123456"}),
    Row("GET", "/account/two-step", signed_in(200)),
    Row("POST", "/account/two-step", signed_in(422), data={"code": "abcdef"}),
    Row("POST", "/account/two-step/off", signed_in(Redirect(303, "/account/two-step")),
        data={"password": "", "code": ""}, note="not set up: nothing to switch off"),
    Row("GET", "/account/password", signed_in(200)),
    Row("POST", "/account/password", signed_in(422), data={"current_password": ""}),
    # one's own signed-in sessions, never anyone else's
    Row("GET", "/account/sessions", signed_in(200)),
    Row("POST", "/account/sessions/end", signed_in(303), data={"session": "others"},
        effect=lambda w, actor: _audited("auth.sessions_ended", actor)),
    Row("POST", "/account/sessions/end", signed_in(303), data={"session": "{target_session}"},
        note="someone else's session: told it is not open, and it stays open"),
    # one's own notification choices
    Row("GET", "/account/notifications", signed_in(200)),
    Row("POST", "/account/notifications", signed_in(Redirect(303, "/account/notifications")),
        data={"kind": "group_added"}, effect=lambda w, actor: _audited("account.notifications", actor)),
    # staff of a school
    Row("GET", "/admin/staff", admins(200, 200, other_school_admin=200), note="one's own school"),
    Row("GET", "/admin/staff?school={school_a}", admins(200, 200)),
    Row("GET", "/admin/staff?school={school_b}", admins(404, 200, other_school_admin=200)),
    Row("GET", "/admin/staff/new?school={school_a}", admins(200, 200)),
    Row("POST", "/admin/staff/new?school={school_a}", admins(303, 303), data=NEW_STAFF,
        effect=lambda w, actor: _user("nora.new@alder.example") is not None),
    Row("GET", "/admin/staff/{target}/edit", admins(200, 200)),
    Row("POST", "/admin/staff/{target}/edit", admins(303, 303), data=STAFF_FORM,
        effect=lambda w, actor: _user("tara.target@alder.example").display_name == "Tara Renamed"),
    Row("GET", "/admin/staff/{b_member}/edit", admins(404, 200, other_school_admin=200)),
    Row("GET", "/admin/staff/{network_member}/edit", admins(404, 200)),
    Row("GET", "/admin/staff/{missing}/edit", admins(404, 404)),
    Row("POST", "/admin/staff/{target}/deactivate", admins(303, 303), data={},
        effect=lambda w, actor: not _user("tara.target@alder.example").active),
    Row("POST", "/admin/staff/{inactive}/reactivate", admins(303, 303), data={},
        effect=lambda w, actor: _user("ivan.inactive@alder.example").active),
    Row("POST", "/admin/staff/{target}/reset-password", admins(200, 200), data={},
        effect=lambda w, actor: _user("tara.target@alder.example").must_change_password),
    # CSV import: the form lists only the schools one manages, so another school's id is not a choice
    Row("GET", "/admin/staff/import?school={school_a}", admins(200, 200, other_school_admin=200),
        note="the form offers only one's own schools"),
    Row("POST", "/admin/staff/import", admins(200, 200, other_school_admin=422), data=_csv_upload,
        note="a preview: nothing is stored"),
    Row("POST", "/admin/staff/import/confirm", admins(303, 303),
        data={"token": "abcdefghijklmnopqrstuvwx", "school_id": "{school_a}"},
        note="an unknown upload: the admin is told it expired"),
    # schools and the audit log
    Row("GET", "/admin/schools", admins(404, 200)),
    Row("POST", "/admin/schools", admins(404, 303), data={"name": "Cedar School"},
        effect=lambda w, actor: _school("Cedar School") is not None),
    Row("GET", "/admin/schools/{school_a}/edit", admins(200, 200)),
    Row("POST", "/admin/schools/{school_a}/edit", admins(303, 303), data={"name": "Alder Renamed"},
        effect=lambda w, actor: _school("Alder Renamed") is not None),
    Row("GET", "/admin/schools/{school_b}/edit", admins(404, 200, other_school_admin=200)),
    Row("GET", "/admin/audit", admins(200, 200, other_school_admin=200), note="each sees their own school's"),
    # a school's default protocol
    Row("GET", "/schools/{school_a}/protocol", admins(200, 200)),
    Row("POST", "/schools/{school_a}/protocol", admins(303, 303), data={"text": "Our own protocol text."},
        effect=lambda w, actor: _school_default_text(w) == "Our own protocol text."),
    Row("GET", "/schools/{school_b}/protocol", admins(404, 200, other_school_admin=200)),
    # groups: the list shows one's own; leads and admins of a school create them
    Row("GET", "/groups/", signed_in(200)),
    Row("GET", "/groups/new", {**admins(200, 200, other_school_admin=200), **dict.fromkeys(LEADS, 200)}),
    Row("POST", "/groups/new", {**admins(303, 422, other_school_admin=303), **dict.fromkeys(LEADS, 303)},
        data={"name": "Decimals Study"}, effect=lambda w, actor: _group("Decimals Study") is not None,
        note="a network admin has no school to create a group for"),
    # a group's own pages: members only; the facilitator alone changes the group. A member's attempt at a
    # facilitator's action is refused with the reason shown on the page it is sent to (or 404, or 422).
    Row("GET", "/groups/{group}", GROUP_MEMBERS),
    Row("GET", "/groups/{group}/edit", FACILITATOR_ONLY),
    Row("POST", "/groups/{group}/edit", group_a(404, 404, TO_GROUP), data={"name": "Fractions Renamed"},
        effect=lambda w, actor: _group("Fractions Renamed") is not None),
    Row("POST", "/groups/{group}/members", group_a(422, 422, TO_GROUP),
        data={"email": "bea.birch@birch.example", "role": "member"},
        effect=lambda w, actor: _in_group_a("bea.birch@birch.example", w)),
    Row("POST", "/groups/{group}/members/{membership}/role", group_a(REFUSED_TO_GROUP, REFUSED_TO_GROUP, TO_GROUP),
        data={"role": "facilitator"},
        effect=lambda w, actor: db.session.get(GroupMember, w.ids["membership"]).role is GroupRole.FACILITATOR),
    Row("POST", "/groups/{group}/members/{membership}/remove",
        group_a(REFUSED_TO_GROUP, REFUSED_TO_GROUP, TO_GROUP), data={},
        effect=lambda w, actor: db.session.get(GroupMember, w.ids["membership"]).left_at is not None),
    Row("POST", "/groups/{group}/links", group_a(REFUSED_TO_GROUP, REFUSED_TO_GROUP, TO_GROUP),
        data={"builds_on": "{group_c}"},
        effect=lambda w, actor: db.session.scalar(db.select(GroupLink.id).where(
            GroupLink.group_id == w.ids["group"], GroupLink.builds_on_id == w.ids["group_c"])) is not None),
    Row("POST", "/groups/{group}/links/{link}/remove", group_a(REFUSED_TO_GROUP, REFUSED_TO_GROUP, TO_GROUP),
        data={}, effect=lambda w, actor: db.session.get(GroupLink, w.ids["link"]) is None),
    Row("POST", "/groups/{group}/cycles", group_a(REFUSED_TO_GROUP, REFUSED_TO_GROUP, REFUSED_TO_GROUP), data={},
        note="cycle 1 is still open: the facilitator too is told to close it first"),
    Row("GET", "/groups/{group}/cycles/{cycle}", SIGNED_MEMBERS),
    Row("POST", "/groups/{group}/cycles/{cycle}/status/{next_status}",
        group_a(REFUSED_TO_CYCLE, REFUSED_TO_CYCLE, TO_CYCLE), data={},
        effect=lambda w, actor: _cycle_status(w).value == w.ids["next_status"],
        note="from discussing to sharing: not through the protocol gate"),
    Row("GET", "/groups/{group}/cycles/{cycle}/pupils/new", SIGNED_MEMBERS),
    Row("POST", "/groups/{group}/cycles/{cycle}/pupils/new", group_a(SIGN_FIRST, TO_CYCLE, TO_CYCLE),
        data={"label": "Pupil B"}, effect=lambda w, actor: _pupil_labelled("Pupil B", w)),
    Row("GET", "/groups/{group}/cycles/{cycle}/pupils/{pupil}/edit", SIGNED_MEMBERS),
    Row("POST", "/groups/{group}/cycles/{cycle}/pupils/{pupil}/edit", group_a(SIGN_FIRST, TO_CYCLE, TO_CYCLE),
        data={"label": "Pupil Z"}, effect=lambda w, actor: _pupil(w).label == "Pupil Z"),
    Row("POST", "/groups/{group}/cycles/{cycle}/pupils/{pupil}/remove",
        group_a(REFUSED_TO_CYCLE, TO_CYCLE, TO_CYCLE), data={}, effect=lambda w, actor: _pupil(w) is None,
        note="a member who has not signed is told to sign on the cycle page, which sends them to sign"),
    Row("GET", "/groups/{group}/protocol", GROUP_MEMBERS),
    Row("GET", "/groups/{group}/protocol/text", GROUP_MEMBERS),
    Row("GET", "/groups/{group}/protocol/signatures", GROUP_MEMBERS),
    Row("POST", "/groups/{group}/protocol/sign", group_a(TO_PROTOCOL, TO_PROTOCOL, TO_PROTOCOL),
        data={"version_id": "{version_id}", "agree": "y", "typed_name": "{actor_name}"},
        effect=lambda w, actor: protocol_services.signed_current(actor, _group_a(w)),
        note="who has signed already is told so"),
    Row("POST", "/groups/{group}/protocol/withdraw", group_a(REFUSED_TO_PROTOCOL, TO_PROTOCOL, TO_PROTOCOL),
        data={}, effect=lambda w, actor: not protocol_services.signed_current(actor, _group_a(w)),
        note="who has not signed has nothing to withdraw"),
    Row("POST", "/groups/{group}/protocol/amend", group_a(404, 404, TO_PROTOCOL),
        data={"based_on": "{version}", "text": "An amended protocol."},
        effect=lambda w, actor: protocol_services.current_version(_group_a(w)).text == "An amended protocol."),
    Row("GET", "/groups/{group}/protocol/versions/{version}", GROUP_MEMBERS),
    # live streams are authorised like the page they serve
    Row("GET", "/live/group-{group}", GROUP_MEMBERS),
    Row("GET", "/live/nowhere-1", signed_in(404)),
]


# --- the tests ----------------------------------------------------------------------------------------

MATRIX: list[Row] = CORE_ROWS + [row for domain in DOMAINS for row in domain.ROWS]


@pytest.fixture
def world(app, factories):
    return build_world(factories, [domain.extend_world for domain in DOMAINS
                                   if hasattr(domain, "extend_world")])


def stored() -> dict:
    """Every row of every table, as committed (what a refused request left in the session is dropped,
    as the end of a real request would)."""
    db.session.rollback()
    return {table.name: [tuple(row) for row in db.session.execute(
                table.select().order_by(*(table.primary_key.columns or table.columns))).all()]
            for table in db.metadata.sorted_tables}


def _readable(response) -> str:
    """The answer's text; for a ZIP (a data export), the text of every file in it."""
    if response.mimetype == "application/zip":
        with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
            # (files/ holds images too: photos one took are part of one's data)
            return "\n".join(archive.read(name).decode(errors="replace") for name in archive.namelist())
    return response.text


def _refused(expected) -> bool:
    return expected.refused if isinstance(expected, Redirect) else expected >= 400


def play(app, factories, login, world, row: Row, role: str) -> list[str]:
    """One cell of the matrix: the role's request, then what it answered and stored. Returns the problems."""
    client = app.test_client()
    actor = ROLES[role](factories, world)
    if actor is not None:
        login(actor, the_client=client)
    before = stored()

    response = client.open(row.url.format(**world.ids), method=row.method, data=row.form(world, actor))

    problems = []
    expected = row.expect[role]
    if isinstance(expected, Redirect):
        expected = replace(expected, path=expected.path.format(**world.ids))
    got = (Redirect(response.status_code, urlsplit(response.headers.get("Location", "")).path)
           if isinstance(expected, Redirect) else response.status_code)
    if got != expected:
        problems.append(f"{role}: expected {expected!r}, got {got!r}")
    elif got == 404 and "Not found" not in response.text:
        problems.append(f"{role}: the 404 answer is not the Not found page")
    # never read a live stream (it does not end), nor an image (it is no text)
    if response.mimetype != "text/event-stream" and not response.mimetype.startswith("image/"):
        body = _readable(response)
        shown = [key for key in NEVER_SHOWN[role] if key in world.texts and world.texts[key] in body]
        if shown:
            problems.append(f"{role}: was shown {', '.join(shown)}")
    response.close()
    if _refused(expected) or row.effect is None:
        if stored() != before:
            problems.append(f"{role}: the database changed, and should not have")
    else:
        db.session.rollback()
        if not row.effect(world, actor):
            problems.append(f"{role}: was allowed, but what it should store is not there")
    return problems


READ_ONLY_ROWS = [row for row in MATRIX if row.effect is None]
WRITING_ROWS = [row for row in MATRIX if row.effect is not None]
# The cells of writing rows where the role is allowed, and so stores something: each gets a world of its own.
ALLOWED_WRITES = [(row, role) for row in WRITING_ROWS for role in ROLES if not _refused(row.expect[role])]


@pytest.mark.parametrize("row", READ_ONLY_ROWS, ids=lambda row: row.id)
def test_access(app, factories, login, world, row):
    """Rows that store nothing for anyone: every role plays in one world (it must stay as it was)."""
    problems = [problem for role in ROLES for problem in play(app, factories, login, world, row, role)]
    assert not problems, f"{row.id}\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("row", WRITING_ROWS, ids=lambda row: row.id)
def test_access_refused_writes(app, factories, login, world, row):
    """Rows whose allowed requests store something, played by the roles they refuse: these store
    nothing, so they all play in one world (it must stay as it was)."""
    problems = [problem for role in ROLES if _refused(row.expect[role])
                for problem in play(app, factories, login, world, row, role)]
    assert not problems, f"{row.id}\n  " + "\n  ".join(problems)


@pytest.mark.parametrize(("row", "role"), ALLOWED_WRITES,
                         ids=[f"{row.id}-{role}" for row, role in ALLOWED_WRITES])
def test_access_that_writes(app, factories, login, world, row, role):
    """Rows whose allowed requests store something, played by a role they allow: a fresh world each."""
    problems = play(app, factories, login, world, row, role)
    assert not problems, f"{row.id}\n  " + "\n  ".join(problems)


def test_every_route_has_a_row(app):
    """A new route without a row in MATRIX fails here."""
    adapter = app.url_map.bind("localhost")
    any_id = defaultdict(lambda: "1")
    covered = set()
    for row in MATRIX:
        endpoint, _ = adapter.match(urlsplit(row.url.format_map(any_id)).path, method=row.method)
        covered.add((endpoint, row.method))
    routes = {(rule.endpoint, method) for rule in app.url_map.iter_rules() if rule.endpoint != "static"
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    missing = sorted(routes - covered)
    assert not missing, f"routes with no row in the access matrix: {missing}"


def test_every_row_answers_for_every_role_and_never_403():
    for row in MATRIX:
        assert set(row.expect) == set(ROLES), f"{row.id}: give an answer for each role in ROLES"
        for role, expected in row.expect.items():
            status = expected.status if isinstance(expected, Redirect) else expected
            assert status != 403, f"{row.id} as {role}: what a user may not see answers 404, not 403"
    assert set(NEVER_SHOWN) == set(ROLES)


def test_the_world_is_what_the_matrix_assumes(world):
    """The rows rely on these facts; if building the world changes, the matrix must follow."""
    group = db.session.get(StudyGroup, world.ids["group"])
    assert group.school_id == world.ids["school_a"]
    assert db.session.get(CasePupil, world.ids["pupil"]) is not None
    assert db.session.get(ProtocolVersion, world.ids["version_id"]).group_id == group.id
    assert not db.session.get(User, world.ids["inactive"]).active
    facilitator = db.session.get(User, world.ids["facilitator"])
    assert is_facilitator(facilitator, group) and facilitator.role is Role.LEAD
    assert is_member(db.session.get(User, world.ids["target"]), group)
    assert CycleStatus(world.ids["next_status"]) not in cycle_services.GATED
    assert db.session.get(CasePupil, world.ids["pupil"]).cycle.group_id == group.id
    assert not any(link.builds_on_id == world.ids["group_c"] for link in group_services.links(group)[0])


# --- what the access decision costs ---------------------------------------------------------------
# The busiest requests of a meeting, counted in SQL statements (BEGIN and COMMIT included): the plan
# page a member opens again (its structure cached) and one plan-box save as the page's script sends it.
# The access decision is one of them; these fail when a change makes either request do more.
PLAN_PAGE_STATEMENTS = 2
PLAN_BOX_SAVE_STATEMENTS = 20  # through the shared document (lsweb/coedit): update log, client binding, derived text, planning time


def test_the_plan_page_and_a_plan_box_save_cost_no_more_statements(client, login, factories, statements):
    from ..coedit.helpers import Replica
    from ..plans import planning_team

    team = planning_team(factories)
    login(team.ana)
    url = f"/lessons/{team.lesson.id}"
    box = Replica(client, f"plan-{team.lesson.id}")  # the page's script: changes of the plan's document
    box.sync()
    assert box.edit(lambda r: r.text("aspect").insert(0, "Pupils compare"))[0] == 200
    assert client.get(url).status_code == 200  # renders and caches the plan's structure
    with statements() as page:
        assert client.get(url).status_code == 200
    with statements() as save:
        assert box.edit(lambda r: r.text("aspect").insert(14, " fractions"))[0] == 200
    print(f"\nplan page: {len(page)} statements; plan-box save: {len(save)} statements")
    assert len(page) <= PLAN_PAGE_STATEMENTS, page
    assert len(save) <= PLAN_BOX_SAVE_STATEMENTS, save
