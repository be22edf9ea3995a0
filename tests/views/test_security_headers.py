"""Security headers on every kind of response, error pages, session cookies, and a page that runs
under `script-src 'self'; style-src 'self'` (no inline script, style or htmx handler anywhere)."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from lsweb.shipped import folder
from lsweb.extensions import db
from lsweb.models import Role

from ..conftest import TEST_PASSWORD
from ..factories import Factories

TEMPLATES = folder("templates")
HTMX = {"HX-Request": "true"}
REQUIRED_CSP = ("script-src 'self'", "style-src 'self'", "object-src 'none'", "frame-ancestors 'none'")

# --- one function per kind of response: make_app, request headers -> response ------------------


def _user(app, role=Role.TEACHER) -> str:
    with app.app_context():
        make = Factories(db)
        return make.user(make.school(), role).email


def _sign_in(client, email: str, **kwargs):
    response = client.post("/login", data={"email": email, "password": TEST_PASSWORD}, **kwargs)
    assert response.status_code == 303
    return response


def page(make_app, headers):
    app = make_app()
    client = app.test_client()
    _sign_in(client, _user(app))
    return client.get("/", headers=headers)


def sign_in_page(make_app, headers):
    return make_app().test_client().get("/login", headers=headers)


def redirect(make_app, headers):
    return make_app().test_client().get("/", headers=headers)  # a stranger is sent to sign in


def static_file(make_app, headers):
    return make_app().test_client().get("/static/css/lsweb.css", headers=headers)


def not_found(make_app, headers):
    return make_app().test_client().get("/no/such/page", headers=headers)


def csrf_refused(make_app, headers):
    app = make_app(WTF_CSRF_ENABLED=True)
    return app.test_client().post("/login", data={"email": "a@b.example", "password": "x"}, headers=headers)


def method_not_allowed(make_app, headers):
    return make_app().test_client().get("/logout", headers=headers)


def throttled(make_app, headers):
    """The sixth sign-in to one account in 15 minutes, after five wrong passwords, even with the right one."""
    app = make_app()
    email = _user(app)
    client = app.test_client()
    for _ in range(5):
        wrong = client.post("/login", data={"email": email, "password": "wrong password"}, headers=headers)
        assert wrong.status_code == 422
    return client.post("/login", data={"email": email, "password": TEST_PASSWORD}, headers=headers)


def server_error(make_app, headers):
    app = make_app(PROPAGATE_EXCEPTIONS=False)

    def boom():
        raise RuntimeError("secret internals of the failure")

    app.add_url_rule("/boom", "boom", boom)
    return app.test_client().get("/boom", headers=headers)


KINDS = {
    "page": page, "sign-in page": sign_in_page, "redirect": redirect, "static file": static_file,
    "404": not_found, "400 csrf": csrf_refused, "405": method_not_allowed, "429": throttled,
    "500": server_error,
}
# status, the page's title, words of its message
ERRORS = {
    "404": (404, "Not found", "There is nothing here"),
    "400 csrf": (400, "Bad request", "the security token is missing or wrong"),
    "405": (405, "Not allowed", "That action is not possible here"),
    "429": (429, "Too many attempts", "Please wait a few minutes"),
    "500": (500, "Something went wrong", "lsweb hit an unexpected error"),
}


@pytest.mark.parametrize("htmx", [False, True], ids=["browser", "htmx"])
@pytest.mark.parametrize("kind", list(KINDS))
def test_every_kind_of_response_has_the_security_headers(make_app, kind, htmx):
    response = KINDS[kind](make_app, HTMX if htmx else {})
    headers = response.headers

    csp = headers.get("Content-Security-Policy", "")
    directives = [part.strip() for part in csp.split(";")]
    for required in REQUIRED_CSP:
        assert required in directives, f"{kind}: CSP lacks {required!r}: {csp!r}"
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    assert headers.get("X-Content-Type-Options") == "nosniff"
    assert headers.get("Referrer-Policy") in ("same-origin", "strict-origin", "strict-origin-when-cross-origin",
                                              "no-referrer")
    if response.mimetype == "text/html" and not 300 <= response.status_code < 400:
        assert "HX-Request" in response.vary, f"{kind}: a page that differs for htmx must say Vary: HX-Request"
        assert "no-store" in headers.get("Cache-Control", ""), f"{kind}: pages must not linger in the cache"


def test_the_kinds_answer_what_they_should(make_app):
    """The kinds above are what their names say (otherwise the header test proves little)."""
    statuses = {kind: KINDS[kind](make_app, {}).status_code for kind in KINDS}
    assert statuses == {"page": 200, "sign-in page": 200, "redirect": 303, "static file": 200, "404": 404,
                        "400 csrf": 400, "405": 405, "429": 429, "500": 500}


@pytest.mark.parametrize("kind", list(ERRORS))
def test_error_pages_render_inside_the_layout(make_app, kind):
    status, title, words = ERRORS[kind]
    response = KINDS[kind](make_app, {})
    assert response.status_code == status
    assert response.mimetype == "text/html"
    text = response.text
    assert text.lstrip().lower().startswith("<!doctype html>")
    assert 'class="skip-link"' in text and 'href="#main"' in text
    assert 'class="site-header"' in text
    assert f"<title>{title} · lsweb</title>" in text
    assert f"<h1>{title}</h1>" in text
    assert words in text
    assert "HX-Retarget" not in response.headers


@pytest.mark.parametrize("kind", list(ERRORS))
def test_error_answers_to_htmx_are_a_fragment_shown_where_flashes_appear(make_app, kind):
    status, title, words = ERRORS[kind]
    response = KINDS[kind](make_app, HTMX)
    assert response.status_code == status
    text = response.text
    assert "<html" not in text and "<title" not in text and "skip-link" not in text
    assert title in text and words in text
    assert 'role="alert"' in text
    assert response.headers["HX-Retarget"] == "#flash"


def test_a_server_error_does_not_show_its_internals(make_app):
    response = server_error(make_app, {})
    assert "secret internals" not in response.text
    assert "RuntimeError" not in response.text and "Traceback" not in response.text


# --- session cookies ---------------------------------------------------------------------------------


def _cookie(response, name: str) -> str:
    for header in response.headers.getlist("Set-Cookie"):
        if header.startswith(f"{name}="):
            return header
    raise AssertionError(f"no {name} cookie set; cookies: {response.headers.getlist('Set-Cookie')}")


def _flags(cookie: str) -> set[str]:
    return {part.strip().lower() for part in cookie.split(";")[1:]}


@pytest.fixture
def default_cookie_app(make_app, monkeypatch):
    """The app as it is with no LSWEB_SECURE_COOKIES set: "auto"."""
    monkeypatch.delenv("LSWEB_SECURE_COOKIES", raising=False)
    app = make_app()
    assert app.config["LSWEB"]["SECURE_COOKIES"] == "auto"
    return app


def test_cookies_over_http_are_httponly_lax_and_not_secure(default_cookie_app):
    client = default_cookie_app.test_client()
    first = client.get("/login")
    signed_in = _sign_in(client, _user(default_cookie_app))
    for response, name in ((first, "lsweb_session"), (signed_in, "lsweb_session")):
        flags = _flags(_cookie(response, name))
        assert {"httponly", "samesite=lax"} <= flags
        assert "secure" not in flags  # over plain http a Secure cookie would never come back
    assert "Strict-Transport-Security" not in first.headers


def test_cookies_over_https_are_also_secure(default_cookie_app):
    email = _user(default_cookie_app)
    client = default_cookie_app.test_client()
    first = client.get("/login", base_url="https://localhost")
    signed_in = client.post("/login", data={"email": email, "password": TEST_PASSWORD, "remember": "y"},
                            base_url="https://localhost")
    assert signed_in.status_code == 303
    for response, name in ((first, "lsweb_session"), (signed_in, "lsweb_session"),
                           (signed_in, "lsweb_remember")):
        flags = _flags(_cookie(response, name))
        assert {"httponly", "samesite=lax", "secure"} <= flags, f"{name}: {flags}"
    assert first.headers["Strict-Transport-Security"].startswith("max-age=")
    # and the Secure cookies work: the next HTTPS request is signed in
    assert client.get("/", base_url="https://localhost").status_code == 200


def test_remember_cookie_over_http_is_httponly_lax(default_cookie_app):
    email = _user(default_cookie_app)
    client = default_cookie_app.test_client()
    response = client.post("/login", data={"email": email, "password": TEST_PASSWORD, "remember": "y"})
    flags = _flags(_cookie(response, "lsweb_remember"))
    assert {"httponly", "samesite=lax"} <= flags and "secure" not in flags


# --- htmx under the CSP: its configuration, and no inline code in any template -----------------------


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def _tags(html: str) -> list[tuple[str, dict]]:
    parser = _Tags()
    parser.feed(html)
    return parser.tags


def test_htmx_is_configured_for_the_csp_and_shared_laptops(app, client):
    metas = [attrs for tag, attrs in _tags(client.get("/login").text)
             if tag == "meta" and attrs.get("name") == "htmx-config"]
    assert len(metas) == 1
    config = json.loads(metas[0]["content"])
    assert config["allowEval"] is False
    assert config["allowScriptTags"] is False
    assert config["includeIndicatorStyles"] is False
    assert config["historyCacheSize"] == 0  # no page HTML kept in localStorage


def _template_files() -> list[Path]:
    return sorted(path for path in TEMPLATES.rglob("*") if path.is_file() and path.suffix in (".html", ".j2",
                                                                                               ".jinja"))


def _markup(path: Path) -> str:
    """The template without Jinja and HTML comments (what they say is not markup)."""
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"\{#.*?#\}", "", text, flags=re.S)
    return re.sub(r"<!--.*?-->", "", text, flags=re.S)


def _where(path: Path, text: str, match: re.Match) -> str:
    line = text.count("\n", 0, match.start()) + 1
    return f"{path.relative_to(TEMPLATES)}:{line}: {match.group(0)[:80]!r}"


FORBIDDEN = {
    "an inline <script> with content": re.compile(r"<script\b[^>]*>(?=\s*[^\s<])[\s\S]*?</script\s*>", re.I),
    "a <style> element": re.compile(r"<style\b", re.I),
    "a style= attribute": re.compile(r"<[a-zA-Z][^>]*?(?<![\w-])style\s*=", re.S),
    "an hx-on attribute": re.compile(r"(?<![\w-])(?:data-)?hx-on\b", re.I),
    "an inline event handler (on...=)": re.compile(r"<[a-zA-Z][^>]*?\son[a-z]+\s*=", re.S),
    "a javascript: URL": re.compile(r"javascript:", re.I),
    "an hx-trigger filter ([...] needs eval)": re.compile(r"hx-trigger\s*=\s*(['\"])[^'\"]*\[", re.I),
    "js: in hx-vals or hx-headers (needs eval)": re.compile(r"hx-(?:vals|headers)\s*=\s*(['\"])\s*js:", re.I),
}


def test_there_are_templates_to_scan():
    names = {path.name for path in _template_files()}
    assert {"base.html", "error.html"} <= names


@pytest.mark.parametrize("what", list(FORBIDDEN))
def test_no_template_needs_unsafe_inline_or_eval(what):
    found = []
    for path in _template_files():
        if what == "a style= attribute" and path.relative_to(TEMPLATES).parts[0] == "mail":
            continue  # e-mail HTML is read by mail programs, not served under the CSP: they need inline styles
        text = _markup(path)
        found += [_where(path, text, match) for match in FORBIDDEN[what].finditer(text)]
    assert not found, f"{what} in templates (the CSP blocks it): {found}"


def test_the_scan_catches_what_it_looks_for(tmp_path):
    """The patterns above find each forbidden thing (a scan that finds nothing proves nothing otherwise)."""
    samples = {
        "an inline <script> with content": "<script>alert(1)</script>",
        "a <style> element": "<style>p{}</style>",
        "a style= attribute": '<p class="x" style="color:red">',
        "an hx-on attribute": '<button hx-on:click="go()">',
        "an inline event handler (on...=)": '<a href="#" onclick="go()">',
        "a javascript: URL": '<a href="javascript:go()">',
        "an hx-trigger filter ([...] needs eval)": '<input hx-trigger="keyup[key==\'Enter\']">',
        "js: in hx-vals or hx-headers (needs eval)": '<div hx-vals=\'js:{a: 1}\'>',
    }
    assert set(samples) == set(FORBIDDEN)
    for what, sample in samples.items():
        assert FORBIDDEN[what].search(sample), what
    allowed = '<script src="/static/vendor/htmx.min.js" defer></script><p class="style">'
    assert not any(pattern.search(allowed) for pattern in FORBIDDEN.values())


def test_rendered_pages_need_no_unsafe_inline_either(app, client, factories, login):
    """What the templates and the forms' Python code (render_kw) produce together: every page without
    URL arguments, as a network admin and as a stranger."""
    admin = factories.user(None, Role.NETWORK_ADMIN)
    factories.user(factories.school(), Role.TEACHER)
    paths = sorted(rule.rule for rule in app.url_map.iter_rules()
                   if "GET" in rule.methods and not rule.arguments and rule.endpoint != "static")
    pages = {"/login (stranger)": client.get("/login")}
    login(admin)
    pages.update({path: client.get(path) for path in paths})
    html = {path: response.text for path, response in pages.items()
            if response.status_code == 200 and response.mimetype == "text/html"}
    assert len(html) >= 5, f"too few pages rendered to check: {sorted(html)}"
    found = [f"{path}: {what}: {match.group(0)[:80]!r}"
             for path, text in html.items() for what, pattern in FORBIDDEN.items()
             for match in pattern.finditer(text)]
    assert not found, found
