"""The browser-test harness itself: the live server runs with CSRF on, and survives a restart on the same
port and database (what the live-update tests need for "after a server restart the page reconnects");
keyboard users get a skip link and a visible focus."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Error as PlaywrightError

from lsweb.demo import DEMO_PASSWORD, seed_demo

pytestmark = pytest.mark.browser


def test_live_server_checks_csrf_and_restarts_on_the_same_port_and_database(live_server, page):
    with live_server.app.app_context():
        seed_demo()
    assert live_server.app.config["WTF_CSRF_ENABLED"] is True
    response = page.request.post("/logout", max_redirects=0)
    assert response.status == 400, "a POST without a CSRF token must be refused"

    page.goto("/login")
    page.get_by_label("Email").fill("admin@demo.local")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/$"))

    url, first_app = live_server.url, live_server.app
    live_server.stop()
    with pytest.raises(PlaywrightError):
        page.goto("/admin/staff", timeout=3_000)
    live_server.start()
    assert live_server.url == url and live_server.app is not first_app

    # The failed navigation leaves Chromium's error page loading in that tab: use a new tab of the same
    # browser context (same cookies).
    page.close()
    page = page.context.new_page()
    page.goto("/admin/staff")  # same cookie, same database: still signed in, the demo staff still there
    assert page.locator("#staff-list").get_by_role("rowheader", name="Hannah Lee").is_visible()


def test_keyboard_reaches_the_skip_link_and_sees_where_focus_is(live_server, page):
    page.goto("/login")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    assert skip.evaluate("element => element === document.activeElement")
    box = skip.bounding_box()
    assert box is not None and box["x"] >= 0 and box["y"] >= 0, "the skip link shows when focused"
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.get_by_label("Email").evaluate("element => element === document.activeElement")
    outline = page.get_by_label("Email").evaluate(
        "element => { const s = getComputedStyle(element); return [s.outlineStyle, parseFloat(s.outlineWidth)] }")
    assert outline[0] != "none" and outline[1] >= 2, f"focus is visible on the email field: {outline}"
