"""Live updates across server processes: two `lsweb serve` processes share one database and one Redis
(LSWEB_REDIS_URL), and a page served by one of them shows at once a signature made through the other.

Needs Redis at LSWEB_TEST_REDIS_URL (default redis://127.0.0.1:6379/15): skipped when it does not answer,
unless LSWEB_REQUIRE_REDIS=1 (CI), which fails instead. Runs on SQLite and on PostgreSQL
(LSWEB_TEST_DATABASE_URL), like the rest of the suite.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from lsweb.demo import seed_demo
from lsweb.extensions import db
from lsweb.models import StudyGroup

from ..servers import redis_url, running_servers, server_environment  # noqa: F401  (redis_url: a fixture)
from .conftest import sign_in

pytestmark = pytest.mark.browser

GROUP = "Reception early writing"
LIVE_MS = 2_000


@pytest.fixture
def seeded(make_app):
    """The demo network in this test's database, written before any server process starts."""
    app = make_app()
    with app.app_context():
        seed_demo()
        group_id = db.session.scalar(db.select(StudyGroup.id).where(StudyGroup.name == GROUP))
        db.session.remove()
        db.engine.dispose()
    return group_id


@pytest.fixture
def two_servers(database_url, redis_url, seeded, tmp_path):
    """Two server processes on the same database, secret key and Redis; stopped at the end."""
    with running_servers(2, server_environment(database_url, redis_url), tmp_path) as servers:
        yield servers


@pytest.fixture
def new_context_on(watched_contexts):
    """Watched browser contexts aimed at a given server process."""
    return lambda server: watched_contexts(base_url=server.url)


def open_protocol(context, email: str, group_id: int):
    """Sign in and open the group's protocol page; returns once its live stream is open (the stream's
    opening resync has made the signatures region re-fetch itself)."""
    page = sign_in(context, email)
    with page.expect_response(lambda r: r.url.endswith(f"/groups/{group_id}/protocol/signatures")
                              and r.request.headers.get("hx-request") == "true", timeout=10_000):
        page.goto(f"/groups/{group_id}/protocol")
    return page


def test_a_page_on_one_process_shows_a_signature_made_through_another(two_servers, seeded, new_context_on):
    server1, server2 = two_servers
    watcher = open_protocol(new_context_on(server1), "teacher4@demo.local", seeded)  # Oliver, on process 1
    signer = open_protocol(new_context_on(server2), "support1@demo.local", seeded)  # Maria, on process 2
    maria = watcher.locator("#signoffs").get_by_role("row", name=re.compile("Maria Lopez"))
    expect(maria).to_contain_text("Not yet")
    watcher.evaluate("window.lswebNoReload = true")

    signer.get_by_label("I have read the whole protocol above and agree to it").check()
    signer.get_by_label("Type your name to sign").fill("Maria Lopez")
    signer.get_by_role("button", name="Sign version 1").click()
    expect(signer.locator("#protocol-main")).to_contain_text("You have signed version 1.")

    expect(maria).to_contain_text("Signed", timeout=LIVE_MS)
    expect(watcher.locator("#signoffs")).to_contain_text("Everyone has signed version 1")
    assert watcher.evaluate("window.lswebNoReload === true"), "the page must update without a reload"
