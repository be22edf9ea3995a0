"""A fresh `flask.g` for every test request.

The `app` fixture (tests/conftest.py) keeps an application context pushed for the whole test, and
Flask 3.1 reuses a pushed context for every test-client request instead of pushing a new one. So
`flask.g` would live across requests and across clients: Flask-Login caches the signed-in user in
`g._login_user` and Flask-WTF the CSRF token in `g.csrf_token`, and a second client would be served
as the first one's user. In production every request has its own context, hence its own `g`; this
fixture restores that. Import it into a test module to use it (it is autouse).
"""

from __future__ import annotations

import pytest
from flask import g, request_started


@pytest.fixture(autouse=True)
def fresh_request_globals():
    def clear(_sender, **_extra):
        for name in list(vars(g)):
            delattr(g, name)

    request_started.connect(clear, weak=False)
    yield
    request_started.disconnect(clear)
