"""A page whose live stream the server refuses (the account already holds its cap of streams) still
updates: it refreshes its live regions every few seconds instead (static/js/live.js), without a reload.

Demo data as in test_protocol_live.py: Oliver Reid (teacher4) facilitates "Reception early writing",
Maria Lopez (support1) has not signed version 1."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from lsweb.demo import seed_demo
from lsweb.extensions import db
from lsweb.models import StudyGroup

from .conftest import LiveServer, sign_in
from .test_protocol_live import AGREE, GROUP, NO_RELOAD

pytestmark = pytest.mark.browser


@pytest.fixture
def live_server(make_app):
    """One stream per person, and a page refused its stream polls every second."""
    server = LiveServer(lambda: make_app(WTF_CSRF_ENABLED=True, LIVE_STREAMS_MAX=1, LIVE_POLL_SECONDS=1)).start()
    yield server
    server.stop()
    if server.errors:
        pytest.fail("the live server raised:\n" + "\n".join(server.errors), pytrace=False)


def test_a_tab_over_the_stream_cap_polls_and_still_sees_a_signature(live_server, new_context):
    with live_server.app.app_context():
        seed_demo()
        group_id = db.session.scalar(db.select(StudyGroup.id).where(StudyGroup.name == GROUP))
        db.session.remove()
    context = new_context()
    first = sign_in(context, "teacher4@demo.local")
    first.goto(f"/groups/{group_id}/protocol")
    expect(first.locator(".live-root")).not_to_have_class(re.compile("live-polling"))
    second = context.new_page()  # the same person's second tab: over the cap of one stream
    refused = []
    second.on("response", lambda r: refused.append(r.status) if "/live/" in r.url else None)
    second.goto(f"/groups/{group_id}/protocol")
    expect(second.locator(".live-root")).to_have_class(re.compile("live-polling"), timeout=5_000)
    assert 429 in refused
    second.evaluate(NO_RELOAD)

    signer = sign_in(new_context(), "support1@demo.local")
    signer.goto(f"/groups/{group_id}/protocol")
    signer.get_by_label(AGREE).check()
    signer.get_by_label("Type your name to sign").fill("Maria Lopez")
    signer.get_by_role("button", name="Sign version 1").click()
    expect(signer.locator("#protocol-main")).to_contain_text("You have signed version 1.")

    row = second.locator("#signoffs").get_by_role("row", name=re.compile("Maria Lopez"))
    expect(row).to_contain_text("Signed", timeout=5_000)
    assert second.evaluate("window.lswebNoReload === true"), "updated without a reload"
