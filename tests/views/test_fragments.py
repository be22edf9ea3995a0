"""lsweb.web.render: a whole page, or one named block for htmx, with flashes swapped in out of band.

Seen through the staff list (GET /admin/staff?q=..., block "staff_list") as a school admin.
"""

from __future__ import annotations

import re

import pytest

from lsweb.models import Role


FULL_PAGE_HEADERS = {
    "normal request": {},
    "boosted htmx request": {"HX-Request": "true", "HX-Boosted": "true"},
    "htmx history restore": {"HX-Request": "true", "HX-History-Restore-Request": "true"},
}
FLASH_DIV = re.compile(r'<div id="flash"[^>]*>')


@pytest.fixture
def staff_url(app, factories, login):
    school = factories.school("Alder Primary")
    login(factories.user(school, Role.SCHOOL_ADMIN, name="Sam Admin"))
    factories.user(school, Role.TEACHER, name="Rowan Match", email="rowan@alder.example")
    factories.user(school, Role.TEACHER, name="Other Person", email="other@alder.example")
    return f"/admin/staff?school={school.id}&q=rowan"


@pytest.mark.parametrize("kind", list(FULL_PAGE_HEADERS))
def test_full_page(client, staff_url, kind):
    response = client.get(staff_url, headers=FULL_PAGE_HEADERS[kind])
    assert response.status_code == 200
    text = response.text
    assert text.lstrip().lower().startswith("<!doctype html>")
    assert "<title>Staff of Alder Primary · lsweb</title>" in text
    assert 'class="skip-link"' in text and "<h1>Staff of Alder Primary</h1>" in text
    assert 'id="staff-list"' in text
    assert "Rowan Match" in text and "Other Person" not in text  # the search applies to the page too
    flash_divs = FLASH_DIV.findall(text)
    assert len(flash_divs) == 1 and "hx-swap-oob" not in flash_divs[0]
    assert "HX-Request" in response.vary


def test_plain_htmx_request_gets_only_the_block(client, staff_url):
    response = client.get(staff_url, headers={"HX-Request": "true"})
    assert response.status_code == 200
    text = response.text
    assert 'id="staff-list"' in text
    assert "<!doctype" not in text.lower() and "<html" not in text and "<title" not in text and "<h1" not in text
    assert "skip-link" not in text and "site-header" not in text
    assert "1 person matching “rowan”" in text
    assert "Rowan Match" in text and "Other Person" not in text
    # No message waits, so the flash region is left alone: a live refresh (a GET) must not wipe the
    # message of the user's own action.
    assert FLASH_DIV.findall(text) == []
    assert "HX-Request" in response.vary


def test_a_post_answered_with_a_fragment_brings_the_flash_out_of_band(client, staff_url):
    response = client.post("/account/sessions/end", data={"session": "others"}, headers={"HX-Request": "true"})
    assert response.status_code == 200 and 'id="sessions"' in response.text
    flash_divs = FLASH_DIV.findall(response.text)
    assert len(flash_divs) == 1 and "hx-swap-oob" in flash_divs[0]
    assert "Signed out on 0 other devices." in response.text


def test_a_waiting_message_comes_with_the_next_fragment_once(client, staff_url):
    # Deactivate someone the plain way (no JavaScript): the message waits for the next answer.
    page = client.get(staff_url)
    deactivate = re.search(r"/admin/staff/\d+/deactivate", page.text)
    assert deactivate, "the staff list offers no Deactivate button"
    assert client.post(deactivate.group(0)).status_code == 303

    fragment = client.get(staff_url, headers={"HX-Request": "true"}).text
    flash = fragment[fragment.index('<div id="flash"'):]
    assert "Rowan Match is deactivated" in flash
    again = client.get(staff_url, headers={"HX-Request": "true"}).text
    assert "is deactivated" not in again  # shown once


def test_a_page_without_blocks_is_whole_even_for_htmx(client, staff_url):
    """render() without a block name: htmx gets the whole page (the home page has no fragments)."""
    response = client.get("/", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "<title>Home · lsweb</title>" in response.text
    assert "HX-Request" in response.vary
