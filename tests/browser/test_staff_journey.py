"""A network admin's journey through sign-in, staff import and search, in real Chromium: with axe-core
on each page, at tablet size, and with JavaScript turned off."""

from __future__ import annotations

import re

import pytest

from lsweb.demo import DEMO_PASSWORD, seed_demo

from .conftest import assert_no_axe_violations

pytestmark = pytest.mark.browser

ADMIN_EMAIL = "admin@demo.local"
TABLET = {"width": 768, "height": 1024}
STAFF_CSV = (
    "name,email,role\r\n"
    "Ana Silva,ana.silva@school.example,teacher\r\n"
    "Ben Okafor,ben.okafor@school.example,support staff\r\n"
).encode()


@pytest.fixture
def demo(live_server):
    """The demo network (two schools, staff of every role) in the live server's database."""
    with live_server.app.app_context():
        seed_demo()
    return live_server


def sign_in(page, email: str = ADMIN_EMAIL, password: str = DEMO_PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/$"))


def test_admin_imports_staff_searches_and_signs_out(demo, page):
    page.goto("/")
    page.wait_for_url(re.compile(r"/login$"))
    assert page.get_by_role("heading", name="Sign in").is_visible()
    assert_no_axe_violations(page)

    sign_in(page)
    assert page.get_by_role("heading", name="Welcome, Alex Morgan").is_visible()
    assert_no_axe_violations(page)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Staff").click()
    page.wait_for_url(re.compile(r"/admin/staff"))
    heading = page.get_by_role("heading", level=1)
    assert heading.inner_text() == "Staff of Northfield Primary School"
    assert_no_axe_violations(page)

    # Import two people from a CSV file: upload, check the preview, confirm.
    page.get_by_role("link", name="Import from CSV").click()
    page.wait_for_url(re.compile(r"/admin/staff/import"))
    assert page.get_by_label("School").input_value() != ""
    page.get_by_label("CSV file with the columns name, email, role").set_input_files(
        files=[{"name": "staff.csv", "mimeType": "text/csv", "buffer": STAFF_CSV}])
    page.get_by_role("button", name="Check the file").click()
    page.get_by_role("heading", name="Check the import into Northfield Primary School").wait_for()
    assert "2 rows are ready to import" in page.locator("#import-summary").inner_text()
    ready = page.get_by_role("region", name="Rows ready to import")
    assert ready.get_by_role("cell", name="ana.silva@school.example").is_visible()
    assert ready.get_by_role("cell", name="Support staff").is_visible()
    assert_no_axe_violations(page)

    page.get_by_role("button", name="Import 2 people").click()
    page.wait_for_url(re.compile(r"/admin/staff\?school=\d+$"))
    assert "2 staff imported into Northfield Primary School" in page.locator("#flash").inner_text()
    staff = page.locator("#staff-list")
    assert staff.get_by_role("rowheader", name="Ana Silva").is_visible()
    assert staff.get_by_role("rowheader", name="Ben Okafor").is_visible()
    assert staff.get_by_role("row", name=re.compile("Ben Okafor")).get_by_text("No password yet").is_visible()
    assert_no_axe_violations(page)

    # The search box narrows the list through htmx: no page load, the address follows the search, and
    # the count is updated inside the same status region (so a screen reader announces it).
    page.evaluate("window.lswebNoReload = true; document.getElementById('staff-count').lswebKept = true")
    with page.expect_response(lambda r: "q=okafor" in r.url and r.request.headers.get("hx-request") == "true"):
        page.get_by_role("searchbox", name="Find").fill("okafor")
    page.get_by_role("status").get_by_text("1 person matching “okafor”").wait_for()
    assert staff.get_by_role("rowheader").all_inner_texts() == ["Ben Okafor"]
    assert page.evaluate("window.lswebNoReload") is True
    assert page.evaluate("document.getElementById('staff-count').lswebKept") is True
    assert page.locator("#staff-count").count() == 1 and page.locator("#staff-list").count() == 1
    assert page.get_by_role("searchbox", name="Find").evaluate("element => element === document.activeElement")
    page.wait_for_url(re.compile(r"q=okafor"))

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/login$"))
    assert page.get_by_role("heading", name="Sign in").is_visible()
    assert "You are signed out." in page.locator("#flash").inner_text()
    page.goto("/admin/staff")
    page.wait_for_url(re.compile(r"/login\?next="))


TOUCH_TARGETS = "button, a.button, nav a, input:not([type=hidden]), select, .brand, .card-list a, .pager a"


def _layout_problems(page) -> list[str]:
    return page.evaluate(
        """(selector) => {
          const problems = [];
          const root = document.documentElement;
          if (root.scrollWidth > root.clientWidth) {
            problems.push(`scrolls sideways: scrollWidth ${root.scrollWidth} > clientWidth ${root.clientWidth}`);
          }
          for (const element of document.querySelectorAll(selector)) {
            const box = element.getBoundingClientRect();
            if (box.width === 0 && box.height === 0) continue;  // not rendered
            if (box.height < 44) {
              problems.push(`${element.outerHTML.slice(0, 120)} is ${box.height.toFixed(1)}px tall`);
            }
          }
          return problems;
        }""",
        TOUCH_TARGETS,
    )


def test_tablet_layout_has_no_sideways_scroll_and_large_touch_targets(demo, new_page):
    page = new_page(viewport=TABLET, has_touch=True, is_mobile=False)
    sign_in(page)
    assert _layout_problems(page) == [], "home page at 768px"
    page.goto("/admin/staff")
    assert page.locator("#staff-list").get_by_role("rowheader", name="Hannah Lee").is_visible()
    assert _layout_problems(page) == [], "staff page at 768px"
    # The narrow layout (each person a card) keeps the table's headings for screen readers.
    assert page.get_by_role("columnheader", name="Role").count() == 1
    assert_no_axe_violations(page)


def test_without_javascript_sign_in_and_add_a_person_with_plain_forms(demo, new_page):
    page = new_page(java_script_enabled=False)
    page.goto("/login")
    page.get_by_label("Email").fill(ADMIN_EMAIL)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/$"))
    assert page.get_by_role("heading", name="Welcome, Alex Morgan").is_visible()

    page.goto("/admin/staff")
    page.get_by_role("link", name="Add a person").click()
    page.wait_for_url(re.compile(r"/admin/staff/new"))

    # A mistake first: the message sits beside the field and what was typed is kept.
    page.get_by_label("Name").fill("Nadia Rahman")
    page.get_by_label("Email (used to sign in)").fill("not-an-email")
    page.get_by_role("button", name="Add", exact=True).click()
    error = page.locator("#email-error")
    error.wait_for()
    assert "not a valid email address" in error.inner_text()
    assert page.get_by_label("Name").input_value() == "Nadia Rahman"

    page.get_by_label("Email (used to sign in)").fill("nadia.rahman@school.example")
    page.get_by_label("Role").select_option(label="Lead")
    page.get_by_role("button", name="Add", exact=True).click()
    page.wait_for_url(re.compile(r"/admin/staff\?school=\d+$"))
    assert "Nadia Rahman is added." in page.locator("#flash").inner_text()
    row = page.locator("#staff-list").get_by_role("row", name=re.compile("Nadia Rahman"))
    assert row.get_by_role("cell", name="Lead", exact=True).is_visible()

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/login$"))
