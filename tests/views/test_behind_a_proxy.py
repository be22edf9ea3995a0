"""Behind nginx on a non-standard HTTPS port (deploy/nginx/lsweb.conf): with the browser's Host (port
included) a form passes its security check and cookies are Secure; with the port dropped (nginx's
`Host $host`) it is refused, and the log says why."""

from __future__ import annotations

import logging
import re

from lsweb.extensions import db

from ..conftest import TEST_PASSWORD

SITE = "https://lsweb.school.example:8443"


def proxied(client, method, path, host="lsweb.school.example:8443", **kwargs):
    headers = {"Host": host, "X-Forwarded-Proto": "https", "X-Forwarded-Host": host,
               "X-Forwarded-For": "10.0.0.7", "Referer": f"{SITE}/login", **kwargs.pop("headers", {})}
    return client.open(path, method=method, headers=headers, base_url=f"http://{host}", **kwargs)


def token_of(response) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', response.get_data(as_text=True)).group(1)


def test_sign_in_through_the_proxy_on_another_port(make_app, factories):
    app = make_app(TRUSTED_PROXIES=1, WTF_CSRF_ENABLED=True)
    email = factories.user(factories.school()).email
    db.session.remove()  # the test's own session holds no transaction while the app serves
    client = app.test_client()
    page = proxied(client, "GET", "/login")
    assert page.status_code == 200
    answer = proxied(client, "POST", "/login", data={"csrf_token": token_of(page), "email": email,
                                                     "password": TEST_PASSWORD})
    assert answer.status_code == 303
    assert answer.headers["Location"] in ("/", f"{SITE}/")
    cookie = next(c for c in answer.headers.getlist("Set-Cookie") if c.startswith("lsweb_session="))
    assert "Secure" in cookie
    assert answer.headers.getlist("Strict-Transport-Security") == ["max-age=31536000"]


def test_a_proxy_that_drops_the_port_gets_a_clear_log_line(make_app, factories, caplog):
    app = make_app(TRUSTED_PROXIES=1, WTF_CSRF_ENABLED=True)
    email = factories.user(factories.school()).email
    db.session.remove()  # the test's own session holds no transaction while the app serves
    client = app.test_client()
    page = proxied(client, "GET", "/login", host="lsweb.school.example")
    with caplog.at_level(logging.WARNING, logger="lsweb.security"):
        answer = proxied(client, "POST", "/login", host="lsweb.school.example",
                         data={"csrf_token": token_of(page), "email": email, "password": TEST_PASSWORD})
    assert answer.status_code == 400
    line = next(r.getMessage() for r in caplog.records if r.name == "lsweb.security")
    assert "'lsweb.school.example'" in line and "8443" in line and "proxy_set_header Host $http_host" in line
