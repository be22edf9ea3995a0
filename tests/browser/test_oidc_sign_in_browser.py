"""Sign in with the school's OpenID Connect provider in real Chromium, with and without JavaScript: the
button on lsweb's sign-in page, the provider's page (panva's oidc-provider, tools/oidc), and back to
lsweb's home page signed in."""

from __future__ import annotations

import re

import pytest

from ..oidc_provider import start_oidc_provider  # noqa: F401  (fixture)
from ..views.test_oidc_sign_in import site  # noqa: F401  (fixture)


@pytest.mark.parametrize("javascript", [True, False], ids=["with-javascript", "without-javascript"])
def test_a_teacher_signs_in_with_the_schools_account_in_a_browser(site, watched_contexts, javascript):  # noqa: F811
    server = site()
    page = watched_contexts(java_script_enabled=javascript).new_page()
    page.goto(server.url + "/login")
    page.get_by_role("link", name="Sign in with Alder 365").click()
    page.get_by_label("E-mail").fill("ana.silva@alder.example")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(re.escape(server.url) + r"/$"))
    assert "Ana Silva" in page.content()
