"""Where the keyboard focus goes after each htmx action, and what screen readers hear (a recorder of
every polite live region's text, a MutationObserver injected before the page's own scripts).

Board (RL1 of "Year 4 fractions", demo data): after Post the focus is in the emptied box and "Your post
is on the board." is announced; after Reply the same in the reply box; after Agree the focus is on the
same post's Agree button and "You agree with …" is announced; after Set mark the focus is on that post's
More. Protocol: after signing, the focus is on "You have signed version 1." and the thanks are announced.
Sign-in: a refused sign-in shows an error summary that has the focus."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from lsweb.demo import DEMO_PASSWORD, seed_demo
from lsweb.extensions import db
from lsweb.models import StudyGroup

from .conftest import discussing_demo_lesson, sign_in

pytestmark = pytest.mark.browser

# Every text a polite live region (aria-live="polite" or role="status") comes to hold, in order.
RECORDER = """(() => {
  window.__announced = [];
  const seen = new WeakSet();
  function polite(el) {
    return el.nodeType === 1 && (el.getAttribute("aria-live") === "polite" || el.getAttribute("role") === "status");
  }
  function regionOf(node) {
    for (let el = node.nodeType === 1 ? node : node.parentElement; el; el = el.parentElement) {
      if (polite(el)) { return el; }
    }
    return null;
  }
  new MutationObserver((records) => {
    for (const r of records) {
      const region = regionOf(r.target);
      if (region) {
        const text = region.textContent.trim();
        if (text && window.__announced[window.__announced.length - 1] !== text) { window.__announced.push(text); }
      }
    }
  }).observe(document, {subtree: true, childList: true, characterData: true});
})();"""
FOCUSED = "() => { const el = document.activeElement; return el ? (el.id || el.tagName.toLowerCase()) + '|' + (el.textContent || '').trim().slice(0, 80) : ''; }"


def announced(page) -> list[str]:
    return page.evaluate("window.__announced")


@pytest.fixture
def lesson_id(live_server):
    return discussing_demo_lesson(live_server)


def test_focus_and_announcements_after_board_actions(lesson_id, new_context):
    context = new_context()
    context.add_init_script(RECORDER)
    page = sign_in(context, "teacher2@demo.local")  # Samuel Owusu: a member, not a marker
    page.goto(f"/lessons/{lesson_id}/board")

    # Post: the composer opens when asked; after sending, the emptied box keeps the focus.
    page.locator("summary", has_text="Add to this section: Patterns across the class").click()
    box = page.get_by_label("Add to “Patterns across the class”")
    box.fill("Focus stays here afterwards")
    page.get_by_role("button", name="Post", exact=True).focus()
    page.keyboard.press("Enter")
    expect(page.locator("#posts-patterns").get_by_text("Focus stays here afterwards")).to_be_visible()
    expect(page.get_by_label("Add to “Patterns across the class”")).to_be_focused()
    expect(page.get_by_label("Add to “Patterns across the class”")).to_have_value("")
    page.wait_for_function("() => window.__announced.some(t => t.includes('Your post is on the board.'))")

    # Reply: opens a box when asked; after sending, that emptied box keeps the focus.
    thread = page.locator("#posts-patterns article.thread").first
    author = thread.locator(".post-meta strong").first.text_content()
    thread.locator("summary", has_text="Reply").click()
    reply = thread.get_by_label(f"Reply to {author}")
    reply.fill("A reply, and the focus stays")
    thread.get_by_role("button", name="Reply", exact=True).click()
    expect(thread.get_by_text("A reply, and the focus stays")).to_be_visible()
    expect(thread.get_by_label(f"Reply to {author}")).to_be_focused()
    page.wait_for_function("() => window.__announced.some(t => t.includes('Your reply is on the board.'))")

    # Agree: the button is named with its post; the focus comes back to it once the post is redrawn.
    post_id = thread.locator(".post").first.get_attribute("id")
    agree = page.locator(f"#{post_id}").get_by_role("button", name=f"Agree with {author}’s post", exact=True)
    was = agree.get_attribute("aria-pressed")
    agree.click()
    agree = page.locator(f"#{post_id}").get_by_role("button", name=f"Agree with {author}’s post", exact=True)
    expect(agree).to_have_attribute("aria-pressed", "false" if was == "true" else "true")
    expect(agree).to_be_focused()
    said = f"You no longer agree with {author}’s post." if was == "true" else f"You agree with {author}’s post."
    page.wait_for_function("said => window.__announced.some(t => t.includes(said))", arg=said)

    # Set mark on one's own post (in its More menu): the focus returns to that post's More.
    own = page.locator("#posts-patterns .post", has_text="Focus stays here afterwards")
    post_id = own.get_attribute("id")
    own.locator("summary", has_text="More").click()
    own.get_by_label("Mark Samuel Owusu’s post as").select_option("question")
    own.get_by_role("button", name="Set mark").click()
    expect(page.locator(f"#{post_id} .badge.mark")).to_have_text("Question")
    expect(page.locator(f"#{post_id} details.more > summary")).to_be_focused()
    page.wait_for_function("() => window.__announced.some(t => t.includes('Mark saved'))")


def _sign_the_demo_protocol(live_server, new_context, answer_delay=0.0, timeline=None):
    """Maria Lopez (who has not signed) signs; the answer to her submit is held back answer_delay
    seconds, long enough for the live event of her own signature to reach the page first. timeline
    (a list) gets ("submit", t) just before the click, ("refresh", t) for each request of the text
    region and ("answer", t) when the held answer is let through."""
    with live_server.app.app_context():
        seed_demo()
        group_id = db.session.scalar(db.select(StudyGroup.id).where(StudyGroup.name == "Reception early writing"))
        db.session.remove()
    context = new_context()
    context.add_init_script(RECORDER)
    page = sign_in(context, "support1@demo.local")
    page.goto(f"/groups/{group_id}/protocol")
    if answer_delay:
        def slow_answer(route):
            response = route.fetch()
            time.sleep(answer_delay)
            timeline.append(("answer", time.monotonic()))
            route.fulfill(response=response)
        page.route(f"**/groups/{group_id}/protocol/sign", slow_answer)
        page.on("request", lambda r: timeline.append(("refresh", time.monotonic())) if r.url.endswith("/protocol/text") or "/protocol/text?" in r.url else None)
    page.get_by_label("I have read the whole protocol above and agree to it").check()
    page.get_by_label("Type your name to sign").fill("Maria Lopez")
    if timeline is not None:
        timeline.append(("submit", time.monotonic()))
    page.get_by_role("button", name="Sign version 1").click()
    return page


def test_signing_the_protocol_focuses_the_result_and_announces_it(live_server, new_context):
    page = _sign_the_demo_protocol(live_server, new_context)
    expect(page.locator("#signed-note")).to_have_text("You have signed version 1.")
    expect(page.locator("#signed-note")).to_be_focused()
    page.wait_for_function("() => window.__announced.some(t => t.includes('your signature is recorded'))")


def test_the_live_refresh_of_ones_own_signature_does_not_take_the_focus_away(live_server, new_context):
    """The signature's live event reaches the page before the answer to the submit. Were the region
    re-fetched then, the refresh could land in the few milliseconds between the answer's swap and its
    focus (htmx focuses [autofocus] when the swap settles) and replace the focused result: the focus
    would fall to the page. So the refresh waits for the answer (and then finds nothing new)."""
    timeline = []
    page = _sign_the_demo_protocol(live_server, new_context, answer_delay=1.5, timeline=timeline)
    expect(page.locator("#signed-note")).to_be_focused()
    page.wait_for_timeout(1000)
    expect(page.locator("#signed-note")).to_be_focused()
    submitted = next(t for kind, t in timeline if kind == "submit")
    answered = next(t for kind, t in timeline if kind == "answer")
    early = [t for kind, t in timeline if kind == "refresh" and submitted < t < answered]
    assert not early, f"the region was re-fetched {answered - early[0]:.2f} s before the answer to the submit"


def test_a_refused_sign_in_shows_an_error_summary_with_the_focus(new_context):
    page = new_context().new_page()
    page.goto("/login")
    page.get_by_label("Email").fill("nobody@example.org")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    summary = page.get_by_role("alert").filter(has_text="There is a problem")
    expect(summary).to_be_visible()
    expect(page.locator("#error-summary")).to_be_focused()
    summary.get_by_role("link").first.click()
    expect(page.get_by_label("Password")).to_be_focused()
