"""A service's refusal (a DomainError a view does not catch) is answered the same way everywhere: what
the request wrote is undone, the rule's message is flashed, a browser gets a 303 back to the page the
view names (or the page the form was on), htmx an HX-Redirect there."""

from __future__ import annotations

import pytest

from lsweb.errors import DomainError, NotAllowed
from lsweb.extensions import db
from lsweb.models import School
from lsweb.web import on_refusal, refusals_go_to


@pytest.fixture
def refusing(make_app):
    app = make_app()

    @app.post("/test/refuse")
    def refuse():
        refusals_go_to("/groups")
        db.session.add(School(name="Written, then refused"))
        db.session.flush()
        raise NotAllowed("Only the facilitator can do that.")

    @app.post("/test/refuse-back")
    def refuse_back():
        raise DomainError("Not like that.")

    @app.post("/test/refuse-own-answer")
    def refuse_own_answer():
        on_refusal(lambda error: (f"answered: {error.message}", 409))
        raise DomainError("Not now.")

    with app.app_context():
        yield app


def flashes(client):
    with client.session_transaction() as session:
        return session.get("_flashes", [])


def test_a_refusal_is_undone_flashed_and_sent_back_with_a_303(refusing):
    client = refusing.test_client()
    response = client.post("/test/refuse")
    assert response.status_code == 303 and response.headers["Location"] == "/groups"
    assert flashes(client) == [("error", "Only the facilitator can do that.")]
    assert db.session.scalar(db.select(School).where(School.name == "Written, then refused")) is None


def test_htmx_gets_an_hx_redirect_and_the_message_waits_on_that_page(refusing):
    client = refusing.test_client()
    response = client.post("/test/refuse", headers={"HX-Request": "true"})
    assert response.status_code == 204 and response.headers["HX-Redirect"] == "/groups"
    assert flashes(client) == [("error", "Only the facilitator can do that.")]


def test_without_a_named_page_it_goes_back_to_the_page_the_form_was_on_if_it_is_ours(refusing):
    client = refusing.test_client()
    back = client.post("/test/refuse-back", headers={"Referer": "http://localhost/groups/3?tab=members"})
    assert back.status_code == 303 and back.headers["Location"] == "/groups/3?tab=members"
    elsewhere = client.post("/test/refuse-back", headers={"Referer": "https://evil.example/phish"})
    assert elsewhere.headers["Location"] == "/"


def test_a_view_may_answer_a_refusal_its_own_way(refusing):
    client = refusing.test_client()
    response = client.post("/test/refuse-own-answer")
    assert response.status_code == 409 and response.text == "answered: Not now."
    assert flashes(client) == [("error", "Not now.")]
