"""The protocol step in real Chromium: two members on the group's protocol page see each other's
signatures and the facilitator's amendments live (Server-Sent Events + htmx), without a reload; the page
catches up by itself after a server restart; what a member is typing survives a live update; axe-core
finds nothing on the group page, the protocol page and the signature record.

Demo data: in "Reception early writing" Oliver Reid (teacher4) facilitates, Hannah Lee (teacher1) has
signed version 1 and Maria Lopez (support1) has not.
"""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from lsweb import live
from lsweb.demo import DEMO_SCHOOLS, seed_demo
from lsweb.extensions import db
from lsweb.models import Role, School, StudyGroup, User
from lsweb.protocol import services as protocol

from .conftest import assert_no_axe_violations, sign_in

pytestmark = pytest.mark.browser

GROUP = "Reception early writing"
FACILITATOR = "teacher4@demo.local"  # Oliver Reid
SIGNED_MEMBER = "teacher1@demo.local"  # Hannah Lee, has signed version 1
UNSIGNED_MEMBER = "support1@demo.local"  # Maria Lopez, has not
NEWCOMER = "ana.silva@school.example"
LIVE_MS = 2_000  # "within 2 s"
AGREE = "I have read the whole protocol above and agree to it"
NO_RELOAD = "window.lswebNoReload = true"


@pytest.fixture
def demo(live_server):
    """The demo network in the live server's database; returns the group's id."""
    with live_server.app.app_context():
        seed_demo()
        group_id = db.session.scalar(db.select(StudyGroup.id).where(StudyGroup.name == GROUP))
        db.session.remove()
    return group_id


def wait_for_streams(server, group_id: int, count: int, timeout: float = 5.0) -> None:
    """Until `count` pages hold the group's stream (each then has its opening resync queued)."""
    broker = live.get_broker(server.app)
    deadline = time.monotonic() + timeout
    while broker.subscriber_count(f"group-{group_id}") < count:
        assert time.monotonic() < deadline, f"{count} live streams expected, " \
                                            f"{broker.subscriber_count(f'group-{group_id}')} open"
        time.sleep(0.02)


def open_protocol(new_context, email: str, group_id: int):
    page = sign_in(new_context(), email)
    page.goto(f"/groups/{group_id}/protocol")
    page.get_by_role("heading", name=f"The protocol of {GROUP}").wait_for()
    return page


def not_reloaded(page) -> bool:
    return page.evaluate("window.lswebNoReload === true")


def row_of(page, name: str):
    return page.locator("#signoffs").get_by_role("row", name=re.compile(name))


def sign(page, name: str, version: int) -> None:
    page.get_by_label(AGREE).check()
    page.get_by_label("Type your name to sign").fill(name)
    page.get_by_role("button", name=f"Sign version {version}").click()


def amend(page, text: str, note: str) -> None:
    page.get_by_label("Protocol text").fill(text)
    page.get_by_label("What changed, in a few words").fill(note)
    page.get_by_role("button", name="Save as a new version").click()


def test_a_signature_shows_at_once_on_another_members_page(live_server, demo, new_context):
    watcher = open_protocol(new_context, FACILITATOR, demo)
    signer = open_protocol(new_context, UNSIGNED_MEMBER, demo)
    wait_for_streams(live_server, demo, 2)
    still_to_sign = watcher.locator("#signoffs").get_by_text("still to sign version 1")
    expect(still_to_sign).to_contain_text("1 still to sign")
    expect(row_of(watcher, "Maria Lopez")).to_contain_text("Not yet")
    watcher.evaluate(NO_RELOAD)

    sign(signer, "Maria Lopez", 1)
    expect(row_of(watcher, "Maria Lopez")).to_contain_text("Signed", timeout=LIVE_MS)
    expect(still_to_sign).to_have_count(0, timeout=LIVE_MS)
    expect(watcher.locator("#signoffs")).to_contain_text("Everyone has signed version 1")
    assert not_reloaded(watcher), "the watcher's page must update without a reload"

    expect(signer.locator("#protocol-main")).to_contain_text("You have signed version 1.")


def test_an_amendment_shows_the_new_text_and_asks_members_to_sign_again(live_server, demo, new_context):
    facilitator = open_protocol(new_context, FACILITATOR, demo)
    member = open_protocol(new_context, SIGNED_MEMBER, demo)
    wait_for_streams(live_server, demo, 2)
    expect(member.locator("#protocol-main")).to_contain_text("You have signed version 1.")
    member.evaluate(NO_RELOAD)

    new_text = "We observe pupils' learning, never the teacher.\n\nWhat is said in meetings stays in the group."
    amend(facilitator, new_text, "Shorter, in our words")
    expect(member.get_by_role("heading", name="Version 2")).to_be_visible(timeout=LIVE_MS)
    expect(member.locator("#protocol-text")).to_have_text(new_text)
    assert not_reloaded(member)
    # Asked to sign again: the sign form for version 2, and the table says so.
    expect(member.get_by_role("button", name="Sign version 2")).to_be_visible(timeout=LIVE_MS)
    expect(member.get_by_label(AGREE)).not_to_be_checked()
    expect(row_of(member, "Hannah Lee")).to_contain_text("Not yet", timeout=LIVE_MS)
    expect(member.locator("#signoffs")).to_contain_text("3 still to sign version 2")
    expect(member.locator("#protocol-main details.diff ins").first).to_be_attached()

    sign(member, "Hannah Lee", 2)
    expect(member.locator("#protocol-main")).to_contain_text("You have signed version 2.")
    expect(row_of(facilitator, "Hannah Lee")).to_contain_text("Signed", timeout=LIVE_MS)
    assert not_reloaded(member)


def test_after_a_server_restart_the_page_reconnects_and_catches_up(live_server, demo, new_context):
    """Maria keeps the page open while the server is down; meanwhile she signs on another device. When
    the server is back, the page reconnects by itself and shows her signature, without a reload."""
    page = open_protocol(new_context, UNSIGNED_MEMBER, demo)
    wait_for_streams(live_server, demo, 1)
    expect(page.get_by_role("button", name="Sign version 1")).to_be_visible()
    page.evaluate(NO_RELOAD)
    page.evaluate("window.lswebStreamErrors = 0; "
                  "document.body.addEventListener('htmx:sseError', () => { window.lswebStreamErrors += 1 })")

    live_server.stop()
    with live_server.app.app_context():
        group = db.session.get(StudyGroup, demo)
        maria = db.session.scalar(db.select(User).where(User.email == UNSIGNED_MEMBER))
        _, created = protocol.sign(maria, group, protocol.current_version(group).id, True, "Maria Lopez")
        assert created
        db.session.remove()
    # While the server is down the browser retries (every `retry: 3000` ms) and fails: wait for one
    # failed attempt, so the page has really been cut off before the server comes back.
    deadline = time.monotonic() + 8
    while page.evaluate("window.lswebStreamErrors") < 2:
        assert time.monotonic() < deadline, "the page did not notice that the server went away"
        page.wait_for_timeout(50)
    live_server.start()

    # The next retry connects; the stream's opening resync makes the live regions re-fetch themselves.
    expect(page.locator("#protocol-main")).to_contain_text("You have signed version 1.", timeout=10_000)
    expect(row_of(page, "Maria Lopez")).to_contain_text("Signed", timeout=LIVE_MS)
    expect(page.locator("#signoffs")).to_contain_text("Everyone has signed version 1")
    assert not_reloaded(page), "the page must catch up without a reload"


def test_what_a_member_is_typing_survives_live_updates(live_server, demo, new_context):
    facilitator = open_protocol(new_context, FACILITATOR, demo)
    other = open_protocol(new_context, SIGNED_MEMBER, demo)
    page = open_protocol(new_context, UNSIGNED_MEMBER, demo)
    wait_for_streams(live_server, demo, 3)
    page.evaluate(NO_RELOAD)
    name = page.get_by_label("Type your name to sign")

    # Another member withdraws and signs again: the table updates, the half-typed name stays.
    page.get_by_label(AGREE).check()
    name.click()
    page.keyboard.type("Maria L")
    other.get_by_role("button", name="Withdraw my signature").click()
    expect(row_of(page, "Hannah Lee")).to_contain_text("Not yet", timeout=LIVE_MS)
    page.keyboard.type("op")
    expect(name).to_have_value("Maria Lop")
    expect(page.get_by_label(AGREE)).to_be_checked()

    # The facilitator amends: new text and a new version to sign; the name is kept and still focused.
    amend(facilitator, "We observe pupils' learning, never the teacher.", "Shorter")
    expect(page.get_by_role("button", name="Sign version 2")).to_be_visible(timeout=LIVE_MS)
    page.keyboard.type("ez")
    expect(name).to_have_value("Maria Lopez")
    expect(page.get_by_label(AGREE)).not_to_be_checked()  # agreeing was to the old text
    page.get_by_label(AGREE).check()
    page.get_by_role("button", name="Sign version 2").click()
    expect(page.locator("#protocol-main")).to_contain_text("You have signed version 2.")
    assert not_reloaded(page)


def test_the_thank_you_message_is_not_wiped_by_the_live_update_it_causes(live_server, demo, new_context):
    page = open_protocol(new_context, UNSIGNED_MEMBER, demo)
    wait_for_streams(live_server, demo, 1)
    with page.expect_response(lambda r: "/protocol/signatures" in r.url):  # the update the signature causes
        sign(page, "Maria Lopez", 1)
    expect(page.locator("#signoffs")).to_contain_text("Everyone has signed version 1")
    expect(page.locator("#flash")).to_contain_text("Thank you: your signature is recorded.", timeout=500)


def test_the_group_page_follows_signatures_and_keeps_what_the_facilitator_types(live_server, demo, new_context):
    with live_server.app.app_context():
        school = db.session.scalar(db.select(School).where(School.name == DEMO_SCHOOLS[0]))
        db.session.add(User(email=NEWCOMER, display_name="Ana Silva", role=Role.TEACHER, school_id=school.id,
                            active=True))
        db.session.commit()
        db.session.remove()
    overview = sign_in(new_context(), FACILITATOR)
    overview.goto(f"/groups/{demo}")
    expect(overview.locator(".gate")).to_contain_text("Still to sign: Maria Lopez.")
    signer = open_protocol(new_context, UNSIGNED_MEMBER, demo)
    wait_for_streams(live_server, demo, 2)
    overview.evaluate(NO_RELOAD)
    members = overview.get_by_role("table", name=f"Members of {GROUP}")
    email = overview.get_by_label("Colleague's email")
    email.click()
    overview.keyboard.type("ana.silva@school")

    sign(signer, "Maria Lopez", 1)
    expect(members.get_by_role("row", name=re.compile("Maria Lopez"))).to_contain_text("Signed", timeout=LIVE_MS)
    expect(overview.locator(".gate")).to_have_count(0)
    overview.keyboard.type(".example")
    expect(email).to_have_value(NEWCOMER)
    assert not_reloaded(overview)

    # Adding the member answers with the updated list and an empty form; the new member has to sign.
    overview.get_by_label("Role in the group").select_option(label="Recorder")
    overview.get_by_role("button", name="Add", exact=True).click()
    expect(members.get_by_role("row", name=re.compile("Ana Silva"))).to_contain_text("Not signed yet")
    expect(overview.locator(".gate")).to_contain_text("Still to sign: Ana Silva.")
    expect(email).to_have_value("")
    expect(signer.locator("#signoffs")).to_contain_text("1 still to sign version 1", timeout=LIVE_MS)
    assert not_reloaded(overview)


def test_a_wrong_name_is_explained_beside_the_field_and_kept(live_server, demo, new_context):
    page = open_protocol(new_context, UNSIGNED_MEMBER, demo)
    wait_for_streams(live_server, demo, 1)
    sign(page, "Maria", 1)
    error = page.locator("#typed_name-error")
    expect(error).to_contain_text("does not match your account name (Maria Lopez)")
    name = page.get_by_label("Type your name to sign")
    expect(name).to_have_attribute("aria-invalid", "true")
    expect(name).to_have_value("Maria")
    assert_no_axe_violations(page)


def test_no_accessibility_violations_on_the_group_protocol_and_record_pages(live_server, demo, new_context):
    member = open_protocol(new_context, UNSIGNED_MEMBER, demo)  # with the sign form
    assert_no_axe_violations(member)
    facilitator = open_protocol(new_context, FACILITATOR, demo)  # with the amend form
    wait_for_streams(live_server, demo, 2)
    assert_no_axe_violations(facilitator)

    member.goto(f"/groups/{demo}")
    member.get_by_role("heading", name=GROUP, level=1).wait_for()
    expect(member.locator(".gate")).to_contain_text("Still to sign: Maria Lopez.")
    assert_no_axe_violations(member)
    facilitator.goto(f"/groups/{demo}")
    facilitator.get_by_role("heading", name="Add a member").wait_for()
    assert_no_axe_violations(facilitator)

    facilitator.goto(f"/groups/{demo}/protocol/versions/1")
    facilitator.get_by_role("heading", name=re.compile("Signature record")).wait_for()
    expect(facilitator.get_by_role("row", name=re.compile("Hannah Lee"))).to_contain_text("signed")
    assert_no_axe_violations(facilitator)

    # After an amendment: the protocol page with its "what changed" (ins/del) and version 2's record.
    facilitator.goto(f"/groups/{demo}/protocol")
    amend(facilitator, "We observe pupils' learning, never the teacher.", "Shorter")
    facilitator.get_by_role("heading", name="Version 2").wait_for()
    facilitator.locator("details.diff summary").click()
    assert_no_axe_violations(facilitator)
    facilitator.goto(f"/groups/{demo}/protocol/versions/2")
    expect(facilitator.get_by_role("heading", name="Changes from version 1")).to_be_visible()
    assert_no_axe_violations(facilitator)
