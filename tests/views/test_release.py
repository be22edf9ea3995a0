"""The version, written in one place, is what `lsweb --version`, GET /health and the admins' footer show."""

from __future__ import annotations

import re
from pathlib import Path

from lsweb import __version__
from lsweb.models import Role
from lsweb.server import gunicorn_options

ROOT = Path(__file__).resolve().parents[2]


def test_the_footer_shows_the_version_to_admins_only(client, login, factories):
    school = factories.school()
    admin = factories.user(school, Role.SCHOOL_ADMIN)
    teacher = factories.user(school, Role.TEACHER)
    login(teacher)
    assert f"Version {__version__}" not in client.get("/").get_data(as_text=True)
    client.post("/logout")
    login(admin)
    assert f"Version {__version__}" in client.get("/").get_data(as_text=True)


def test_health_names_the_version(client):
    assert client.get("/health").get_json()["version"] == __version__


def test_the_changelog_has_an_entry_for_this_version():
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert re.search(rf"^## {re.escape(__version__)} ", changelog, re.M), "CHANGELOG.md lacks this version"


def test_the_license_is_the_agpl_in_full():
    text = (ROOT / "LICENSE").read_text()
    assert text.lstrip().startswith("GNU AFFERO GENERAL PUBLIC LICENSE")
    assert "Version 3, 19 November 2007" in text and "END OF TERMS AND CONDITIONS" in text
    assert len(text.splitlines()) == 661


def test_gunicorn_opens_no_control_socket():
    from gunicorn.config import Config

    options = gunicorn_options("127.0.0.1", 8000, 1, 4)
    if "control_socket_disable" in Config().settings:
        assert options["control_socket_disable"] is True
