"""The app with mail on, sending through the test's SMTP server at once (no queue in between), with the
school's public address in links: import `app` from here to replace the suite's own."""

from __future__ import annotations

import pytest

from .smtp_server import smtp_server  # noqa: F401  (fixture)

BASE_URL = "https://lsweb.alder.example/"


@pytest.fixture(name="app")
def mail_app(make_app, smtp_server):  # noqa: F811
    application = make_app(MAIL_URL=smtp_server.url, TASKS="immediate", BASE_URL=BASE_URL)
    with application.app_context():
        yield application
