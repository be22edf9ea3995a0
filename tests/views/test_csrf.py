"""CSRF protection on every state-changing request, htmx requests included.

The routes are read from the URL map when the tests are collected, so a route added later is
covered without anyone remembering to add it here.

These tests use their own app (CSRF on) with no application context held open between requests,
so each request starts as it would in production: nothing (no cached current user, no database
session) carries over from the previous request. "Still signed in" and "signed out" below are what
the cookie says, not what a leftover `flask.g` says.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from lsweb import create_app
from lsweb.extensions import db
from lsweb.models import AuditEntry, Role, School

from ..conftest import TEST_PASSWORD
from ..factories import Factories

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
CSRF_MESSAGE = "the security token is missing or wrong"

FORM_TOKEN = re.compile(r'name="csrf_token"[^>]*\svalue="([^"]+)"')
HEADER_TOKEN = re.compile(r'(?:data-)?hx-headers=\'\{"X-CSRFToken": "([^"]+)"\}\'')
RULE_ARGUMENT = re.compile(r"<(?:(?P<converter>\w+)(?:\((?P<args>[^)]*)\))?:)?(?P<name>\w+)>")


def _state_changing_routes() -> list[tuple[str, str, str]]:
    """(method, rule, endpoint) for every rule of the URL map that accepts a state-changing method."""
    with tempfile.TemporaryDirectory() as folder:
        app = create_app({"DATABASE_URL": f"sqlite:///{folder}/collect.db", "INSTANCE_PATH": folder,
                          "SECRET_KEY": "collection-only", "REDIS_URL": None, "TESTING": True})
        routes = sorted(
            (method, rule.rule, rule.endpoint)
            for rule in app.url_map.iter_rules()
            for method in rule.methods & STATE_CHANGING
        )
        with app.app_context():
            db.engine.dispose()
    return routes


STATE_CHANGING_ROUTES = _state_changing_routes()
ROUTE_IDS = [f"{method} {rule}" for method, rule, _ in STATE_CHANGING_ROUTES]


def fill_rule(rule: str, ids: dict[str, int]) -> str:
    """A concrete path for a rule: int arguments get an id that exists, strings get "x"."""

    def value(match: re.Match) -> str:
        converter = match["converter"] or "default"
        if converter == "int":
            return str(ids.get(match["name"], 1))
        if converter in ("default", "string", "path"):
            return "x"
        if converter == "float":
            return "1.0"
        if converter == "uuid":
            return "00000000-0000-4000-8000-000000000001"
        if converter == "any":
            return match["args"].split(",")[0].strip().strip("'\"")
        raise AssertionError(f"tests/views/test_csrf.py does not know the converter {converter!r} "
                             f"(in {rule}): teach fill_rule() a value for it")

    return RULE_ARGUMENT.sub(value, rule)


def form_token(html: str) -> str:
    match = FORM_TOKEN.search(html)
    assert match, "the page has no csrf_token hidden input"
    return match.group(1)


def header_token(html: str) -> str:
    """The token htmx sends with every request (set once, with hx-headers on <body>)."""
    match = HEADER_TOKEN.search(html)
    assert match, "the page's <body> does not set the X-CSRFToken header for htmx"
    return match.group(1)


def sign_in(client, email: str) -> None:
    """Sign in the way a browser does: fetch the form, post it back with its token."""
    page = client.get("/login")
    assert page.status_code == 200
    response = client.post("/login", data={"csrf_token": form_token(page.text), "email": email,
                                           "password": TEST_PASSWORD})
    assert response.status_code == 303, f"sign-in as {email} failed: {response.status_code}"


def stored(app) -> dict:
    """Everything a request could have written: every row of every table, and the uploads folder."""
    with app.app_context():
        tables = {
            table.name: [tuple(row) for row in db.session.execute(
                table.select().order_by(*(table.primary_key.columns or table.columns))).all()]
            for table in db.metadata.sorted_tables
        }
    imports = Path(app.instance_path) / "imports"
    uploads = sorted(path.name for path in imports.iterdir()) if imports.exists() else []
    return {"tables": tables, "uploads": uploads}


def payload(world) -> dict:
    """Plausible values for every form of lsweb: with a valid token most of these would change
    something, so a refusal without one means the token was what stopped it."""
    return {
        "email": "csrf.person@alder.example",
        "password": TEST_PASSWORD,
        "display_name": "Csrf Person",
        "name": "Csrf Academy",
        "role": Role.TEACHER.value,
        "school_id": str(world.school_id),
        "current_password": TEST_PASSWORD,
        "new_password": "a brand new passphrase",
        "confirm": "a brand new passphrase",
        "token": "abcdefghijklmnopqrstuvwx",
        "skip_bad": "y",
    }


def signed_in_as(client, display_name: str) -> bool:
    page = client.get("/")
    return page.status_code == 200 and display_name in page.text


@pytest.fixture
def csrf_app(make_app):
    return make_app(WTF_CSRF_ENABLED=True)


@pytest.fixture
def world(csrf_app):
    with csrf_app.app_context():
        make = Factories(db)
        school = make.school("Alder Primary")
        admin = make.user(None, Role.NETWORK_ADMIN, name="Nina Network")
        member = make.user(school, Role.TEACHER, name="Tom Teacher")
        return SimpleNamespace(admin_email=admin.email, admin_name=admin.display_name,
                               school_id=school.id, member_id=member.id)


@pytest.fixture
def admin_client(csrf_app, world):
    client = csrf_app.test_client()
    sign_in(client, world.admin_email)
    return client


def _ids(world) -> dict[str, int]:
    return {"member_id": world.member_id, "school_id": world.school_id}


def test_the_url_map_has_state_changing_routes():
    endpoints = {endpoint for _, _, endpoint in STATE_CHANGING_ROUTES}
    assert STATE_CHANGING_ROUTES, "no POST/PUT/PATCH/DELETE route found: the walk of the URL map is broken"
    assert {"auth.login", "auth.logout", "admin.deactivate_staff"} <= endpoints


@pytest.mark.parametrize("htmx", [False, True], ids=["form", "htmx"])
@pytest.mark.parametrize(("method", "rule", "endpoint"), STATE_CHANGING_ROUTES, ids=ROUTE_IDS)
def test_request_without_token_is_refused_and_changes_nothing(csrf_app, world, admin_client, method,
                                                              rule, endpoint, htmx):
    path = fill_rule(rule, _ids(world))
    assert csrf_app.url_map.bind("localhost").match(path, method=method)[0] == endpoint
    before = stored(csrf_app)

    headers = {"HX-Request": "true"} if htmx else {}
    response = admin_client.open(path, method=method, data=payload(world), headers=headers)

    assert response.status_code == 400
    assert CSRF_MESSAGE in response.text
    if htmx:
        assert response.headers["HX-Retarget"] == "#flash"
    assert stored(csrf_app) == before
    assert signed_in_as(admin_client, world.admin_name)


@pytest.mark.parametrize(("method", "rule", "endpoint"), STATE_CHANGING_ROUTES, ids=ROUTE_IDS)
def test_same_request_with_token_gets_past_the_check(csrf_app, world, admin_client, method, rule,
                                                     endpoint):
    """The control for the test above: the token, and nothing else, made the difference."""
    token = header_token(admin_client.get("/").text)
    response = admin_client.open(fill_rule(rule, _ids(world)), method=method, data=payload(world),
                                 headers={"X-CSRFToken": token})
    assert CSRF_MESSAGE not in response.data.decode(errors="replace")  # a data export answers a ZIP
    assert response.status_code != 500


def test_a_tampered_token_is_refused(csrf_app, world, admin_client):
    token = header_token(admin_client.get("/").text)
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    before = stored(csrf_app)
    response = admin_client.post("/admin/schools", data={"csrf_token": tampered, "name": "Csrf Academy"})
    assert response.status_code == 400
    assert CSRF_MESSAGE in response.text
    assert stored(csrf_app) == before


def test_a_token_from_another_session_is_refused(csrf_app, world, admin_client):
    stranger = csrf_app.test_client()
    their_token = form_token(stranger.get("/login").text)
    before = stored(csrf_app)
    response = admin_client.post("/admin/schools", data={"csrf_token": their_token, "name": "Csrf Academy"})
    assert response.status_code == 400
    assert CSRF_MESSAGE in response.text
    assert stored(csrf_app) == before


def test_the_token_from_before_sign_in_stops_working_after_it(csrf_app, world):
    """Signing in starts a new session, so a token planted before sign-in is worthless."""
    client = csrf_app.test_client()
    old_token = form_token(client.get("/login").text)
    client.post("/login", data={"csrf_token": old_token, "email": world.admin_email,
                                "password": TEST_PASSWORD})
    assert signed_in_as(client, world.admin_name)
    before = stored(csrf_app)
    response = client.post("/admin/schools", data={"csrf_token": old_token, "name": "Csrf Academy"})
    assert response.status_code == 400
    assert stored(csrf_app) == before


def test_sign_in_form_without_token_does_not_sign_in(csrf_app, world):
    client = csrf_app.test_client()
    response = client.post("/login", data={"email": world.admin_email, "password": TEST_PASSWORD})
    assert response.status_code == 400
    assert CSRF_MESSAGE in response.text
    assert client.get("/").status_code == 303  # still sent to the sign-in page


# htmx sends the token in the X-CSRFToken header, set once on <body>.

def test_htmx_sign_out_with_the_header_token_signs_out(admin_client, world):
    token = header_token(admin_client.get("/").text)
    response = admin_client.post("/logout", headers={"HX-Request": "true", "X-CSRFToken": token})
    assert response.status_code == 303
    assert response.headers["Location"] == "/login"
    home = admin_client.get("/")
    assert home.status_code == 303 and home.headers["Location"] == "/login"


def test_htmx_sign_out_with_a_wrong_header_token_is_refused(admin_client, world):
    response = admin_client.post("/logout", headers={"HX-Request": "true", "X-CSRFToken": "not-a-token"})
    assert response.status_code == 400
    assert CSRF_MESSAGE in response.text
    assert "<html" not in response.text
    assert response.headers["HX-Retarget"] == "#flash"
    assert signed_in_as(admin_client, world.admin_name)


def test_htmx_admin_post_with_the_header_token_is_accepted(csrf_app, admin_client, world):
    token = header_token(admin_client.get("/admin/schools").text)
    response = admin_client.post("/admin/schools", data={"name": "Cedar School"},
                                 headers={"HX-Request": "true", "X-CSRFToken": token})
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == "/admin/schools"
    with csrf_app.app_context():
        assert db.session.scalar(select(School.id).where(School.name == "Cedar School")) is not None
        assert "school.added" in db.session.scalars(select(AuditEntry.action)).all()


def test_htmx_admin_post_with_a_wrong_header_token_is_refused(csrf_app, admin_client, world):
    good = header_token(admin_client.get("/admin/schools").text)
    before = stored(csrf_app)
    response = admin_client.post("/admin/schools", data={"name": "Cedar School"},
                                 headers={"HX-Request": "true", "X-CSRFToken": good[::-1]})
    assert response.status_code == 400
    assert CSRF_MESSAGE in response.text
    assert response.headers["HX-Retarget"] == "#flash"
    assert stored(csrf_app) == before
