"""Signing in with the school's OpenID Connect provider, against a real one (panva's oidc-provider under
Node, tools/oidc) and the app served over HTTP: discovery, the code flow with PKCE, state and nonce,
the ID token checked by Authlib. A plain HTTP client follows the redirects, as a browser would without
JavaScript. A known teacher lands on the home page; a domain not allowed, an unknown person when the
domain creates no accounts, a deactivated account, an unverified address, a changed state and the
provider's own refusal all land on the sign-in page with one message and an audit entry."""

from __future__ import annotations

import base64
import hashlib
import html
import re
import secrets
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import pytest
import requests

from lsweb.auth import oidc
from lsweb.auth.oidc import parse_domains
from lsweb.extensions import db
from lsweb.models import AuditEntry, Role, School, User

from ..browser.conftest import LiveServer
from ..conftest import TEST_PASSWORD
from ..factories import Factories
from ..oidc_provider import (  # noqa: F401  (start_oidc_provider: a fixture)
    CLIENT_ID, CLIENT_SECRET, OTHER_CLIENT_ID, OTHER_CLIENT_SECRET, start_oidc_provider)
from ..servers import free_port

ACCOUNTS = [
    {"email": "ana.silva@alder.example", "email_verified": True, "name": "Ana Silva"},
    {"email": "nia.new@alder.example", "email_verified": True, "name": "Nia New"},
    {"email": "ivy@alder.example", "email_verified": True, "name": "Ivy Inactive"},
    {"email": "una@alder.example", "email_verified": False, "name": "Una Unverified"},
    {"email": "sam@elsewhere.example", "email_verified": True, "name": "Sam Elsewhere"},
    {"email": "noclaim@alder.example", "email_verified": None, "name": "No Claim"},
]
ACCOUNT_REFUSED = "You are signed in to Alder 365, but that account cannot sign in to lsweb."
DID_NOT_WORK = "Signing in with Alder 365 did not work."


@pytest.fixture
def site(make_app, start_oidc_provider):  # noqa: F811
    """start(domains) -> the app on a free port, signing in with a provider that knows ACCOUNTS; the
    database holds Alder Primary with the teacher Ana Silva and the deactivated Ivy."""
    servers = []

    def _start(domains: str = "alder.example -> Alder Primary") -> LiveServer:
        port = free_port()
        provider = start_oidc_provider(f"http://127.0.0.1:{port}/login/oidc/callback", ACCOUNTS)
        server = LiveServer(lambda: make_app(WTF_CSRF_ENABLED=True, OIDC_ISSUER=provider.issuer,
                                             OIDC_CLIENT_ID=CLIENT_ID, OIDC_CLIENT_SECRET=CLIENT_SECRET,
                                             OIDC_NAME="Alder 365", OIDC_DOMAINS=domains), port=port).start()
        server.provider = provider
        servers.append(server)
        with server.app.app_context():
            make = Factories(db)
            alder = make.school("Alder Primary")
            make.user(alder, Role.TEACHER, email="ana.silva@alder.example", name="Ana Silva")
            make.user(alder, Role.TEACHER, email="ivy@alder.example", name="Ivy Inactive", active=False)
            make.user(alder, Role.TEACHER, email="noclaim@alder.example", name="No Claim")
        return server

    yield _start
    errors = [error for server in servers for error in server.errors]
    for server in servers:
        server.stop()
    if errors:
        pytest.fail("the live server raised:\n" + "\n".join(errors), pytrace=False)


def _sign_in(server: LiveServer, email: str, start: str = "/login", change_callback=None, browser=None):
    """Press "Sign in with Alder 365", give the provider `email`, and follow the redirects back.
    `change_callback(url)` may change the provider's redirect to lsweb's callback on the way (given the
    browser instead when `browser` is passed)."""
    given = browser is not None
    browser = browser or requests.Session()
    if given and change_callback:
        change_callback = change_callback(browser)
    page = browser.get(server.url + start, timeout=10)
    button = re.search(r'id="oidc-sign-in" href="([^"]+)"', page.text)
    assert button, "no “Sign in with Alder 365” on the sign-in page"
    login_page = browser.get(urljoin(server.url, html.unescape(button[1])), timeout=10)
    assert login_page.status_code == 200 and urlsplit(login_page.url).port != server.port, login_page.text
    action = re.search(r'<form method="post" action="([^"]+)"', login_page.text)[1]
    response = browser.post(urljoin(login_page.url, action), data={"login": email}, allow_redirects=False,
                            timeout=10)
    for _ in range(20):
        if not response.is_redirect:
            break
        location = urljoin(response.url, response.headers["Location"])
        if change_callback and location.startswith(f"{server.url}/login/oidc/callback"):
            location = change_callback(location)
        response = browser.get(location, allow_redirects=False, timeout=10)
    return browser, response


def _signed_in(browser: requests.Session, server: LiveServer) -> bool:
    home = browser.get(server.url + "/", allow_redirects=False, timeout=10)
    return home.status_code == 200


def _audit(server: LiveServer, action: str) -> list[tuple[str, str]]:
    with server.app.app_context():
        return [tuple(row) for row in db.session.execute(
            db.select(AuditEntry.target, AuditEntry.details).where(AuditEntry.action == action))]


def _user(server: LiveServer, email: str) -> tuple | None:
    with server.app.app_context():
        user = db.session.scalar(db.select(User).where(User.email == email))
        return None if user is None else (user.display_name, user.role, user.school.name, user.password_hash)


def _refused_on_the_sign_in_page(server, browser, response, message: str) -> None:
    assert response.status_code == 200 and urlsplit(response.url).path == "/login", response.url
    assert message in html.unescape(response.text)
    assert not _signed_in(browser, server)


def test_the_button_shows_only_when_openid_connect_is_set_up(app, client, site):
    page = client.get("/login")
    assert page.status_code == 200 and "Sign in with" not in page.text and 'id="oidc-sign-in"' not in page.text
    assert client.get("/login/oidc").status_code == 404
    assert client.get("/login/oidc/callback?code=x&state=y").status_code == 404
    server = site()
    page = requests.get(server.url + "/login?next=/account/sessions", timeout=10)
    assert "Sign in with Alder 365" in page.text
    button = re.search(r'<a [^>]*id="oidc-sign-in" href="([^"]+)"', page.text)  # a plain link: no script needed
    assert button and html.unescape(button[1]) in ("/login/oidc?next=/account/sessions",
                                                    "/login/oidc?next=%2Faccount%2Fsessions")


def test_a_known_teacher_signs_in_and_lands_on_the_home_page(site):
    server = site()
    browser, response = _sign_in(server, "ana.silva@alder.example")
    assert response.status_code == 200 and response.url == server.url + "/", response.url
    assert "Ana Silva" in response.text
    assert _signed_in(browser, server)
    assert ("ana.silva@alder.example", "") in _audit(server, "auth.signed_in")
    assert _user(server, "ana.silva@alder.example")[3] is not None  # their lsweb password is left alone
    # signing out and in again works (a fresh state and nonce each time)
    page = browser.get(server.url + "/", timeout=10)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text)[1]
    browser.post(server.url + "/logout", data={"csrf_token": token}, timeout=10)
    assert not _signed_in(browser, server)
    browser, response = _sign_in(server, "ana.silva@alder.example")
    assert response.url == server.url + "/"


def test_the_page_asked_for_before_signing_in_comes_next_and_only_on_this_site(site):
    server = site()
    _, response = _sign_in(server, "ana.silva@alder.example", start="/login?next=/account/sessions")
    assert response.url == server.url + "/account/sessions"
    _, response = _sign_in(server, "ana.silva@alder.example", start="/login?next=//evil.example/")
    assert response.url == server.url + "/"


def test_an_email_domain_not_allowed_is_refused(site):
    server = site()
    browser, response = _sign_in(server, "sam@elsewhere.example")
    _refused_on_the_sign_in_page(server, browser, response, ACCOUNT_REFUSED)
    assert _user(server, "sam@elsewhere.example") is None
    assert ("sam@elsewhere.example", "the e-mail domain is not in LSWEB_OIDC_DOMAINS") in _audit(
        server, "auth.oidc_refused")


def test_an_unknown_person_is_refused_when_the_domain_creates_no_accounts(site):
    server = site("alder.example -> Alder Primary")
    browser, response = _sign_in(server, "nia.new@alder.example")
    _refused_on_the_sign_in_page(server, browser, response, ACCOUNT_REFUSED)
    assert _user(server, "nia.new@alder.example") is None
    assert [target for target, _ in _audit(server, "auth.oidc_refused")] == ["nia.new@alder.example"]


def test_an_unknown_person_gets_an_account_with_the_domains_role_when_it_creates_them(site):
    server = site("alder.example -> support @ Alder Primary")
    browser, response = _sign_in(server, "nia.new@alder.example")
    assert response.url == server.url + "/" and _signed_in(browser, server)
    assert _user(server, "nia.new@alder.example") == ("Nia New", Role.SUPPORT, "Alder Primary", None)
    assert ("nia.new@alder.example", "support (OpenID Connect)") in _audit(server, "staff.added_from_directory")
    # a known teacher keeps their own role
    _sign_in(server, "ana.silva@alder.example")
    assert _user(server, "ana.silva@alder.example")[1] is Role.TEACHER


def test_a_deactivated_account_is_refused(site):
    server = site("alder.example -> teacher @ Alder Primary")
    browser, response = _sign_in(server, "ivy@alder.example")
    _refused_on_the_sign_in_page(server, browser, response, ACCOUNT_REFUSED)
    assert ("ivy@alder.example", "the account is deactivated") in _audit(server, "auth.oidc_refused")


def test_an_address_the_provider_has_not_verified_is_refused_and_no_claim_means_verified(site):
    server = site("alder.example -> teacher @ Alder Primary")
    browser, response = _sign_in(server, "una@alder.example")
    _refused_on_the_sign_in_page(server, browser, response, ACCOUNT_REFUSED)
    assert _user(server, "una@alder.example") is None
    browser, response = _sign_in(server, "noclaim@alder.example")  # as Entra ID sends it: no email_verified
    assert response.url == server.url + "/"


def _with_query(url: str, **changes) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query.update(changes)
    return urlunsplit(parts._replace(query=urlencode({k: v for k, v in query.items() if v is not None})))


def test_a_changed_state_is_refused(site):
    server = site()
    browser, response = _sign_in(server, "ana.silva@alder.example",
                                 change_callback=lambda url: _with_query(url, state="not-the-state-lsweb-sent"))
    _refused_on_the_sign_in_page(server, browser, response, DID_NOT_WORK)
    assert [target for target, _ in _audit(server, "auth.oidc_refused")] == [""]
    assert not _audit(server, "auth.signed_in")


def test_a_code_without_its_state_and_the_providers_refusal_are_refused(site):
    server = site()
    browser, response = _sign_in(server, "ana.silva@alder.example",
                                 change_callback=lambda url: _with_query(url, state=None))
    _refused_on_the_sign_in_page(server, browser, response, DID_NOT_WORK)
    browser = requests.Session()
    response = browser.get(server.url + "/login/oidc/callback?error=access_denied&error_description=cancelled",
                           timeout=10)
    _refused_on_the_sign_in_page(server, browser, response, DID_NOT_WORK)
    assert any(details.startswith("access_denied") for _, details in _audit(server, "auth.oidc_refused"))


def test_the_domains_setting_reads_like_the_directory_groups():
    rules = parse_domains("alder.example -> Alder Primary;\n @birch.example -> Teacher @ Birch Academy")
    assert (rules["alder.example"].school, rules["alder.example"].role) == ("Alder Primary", None)
    assert (rules["birch.example"].school, rules["birch.example"].role) == ("Birch Academy", Role.TEACHER)
    for bad in ("alder.example", "alder.example -> wizard @ Alder Primary", "x -> network_admin @ Alder"):
        with pytest.raises(ValueError):
            parse_domains(bad)




def test_an_admin_with_two_step_sign_in_gives_the_apps_code_next(site):
    import pyotp

    from lsweb.models.base import utcnow

    server = site()
    secret = pyotp.random_base32()
    with server.app.app_context():
        ana = db.session.scalar(db.select(User).where(User.email == "ana.silva@alder.example"))
        ana.role, ana.totp_secret, ana.totp_enabled_at = Role.SCHOOL_ADMIN, secret, utcnow()
        db.session.commit()
    browser, response = _sign_in(server, "ana.silva@alder.example", start="/login?next=/account/sessions")
    assert urlsplit(response.url).path == "/login/two-step" and not _signed_in(browser, server)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', response.text)[1]
    response = browser.post(response.url, data={"csrf_token": token, "code": pyotp.TOTP(secret).now()}, timeout=10)
    assert response.url == server.url + "/account/sessions" and _signed_in(browser, server)


def test_a_school_without_lsweb_passwords_still_signs_in_with_the_provider(site):
    server = site()
    with server.app.app_context():
        db.session.scalar(db.select(School).where(School.name == "Alder Primary")).local_passwords = False
        db.session.commit()
    browser = requests.Session()
    page = browser.get(server.url + "/login", timeout=10)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text)[1]
    refused = browser.post(server.url + "/login", data={"csrf_token": token, "email": "ana.silva@alder.example",
                                                        "password": TEST_PASSWORD}, timeout=10)
    assert refused.status_code == 422  # lsweb's own password is off for the school
    browser, response = _sign_in(server, "ana.silva@alder.example")
    assert response.url == server.url + "/" and _signed_in(browser, server)


def test_an_id_token_for_another_nonce_is_refused(site):
    """The nonce lsweb keeps in its (signed) session is changed, as if the ID token had been issued for
    another sign-in: the token's nonce no longer matches and nobody is signed in."""
    server = site()

    def other_nonce(browser):
        def change(url):
            serializer = server.app.session_interface.get_signing_serializer(server.app)
            cookie = browser.cookies.get("lsweb_session", domain="127.0.0.1")
            data = serializer.loads(cookie)
            for key, value in data.items():
                if key.startswith("_state_"):
                    value["data"]["nonce"] = "a-nonce-of-another-sign-in"
            browser.cookies.set("lsweb_session", serializer.dumps(data), domain="127.0.0.1", path="/")
            return url
        return change

    browser = requests.Session()
    browser, response = _sign_in(server, "ana.silva@alder.example", change_callback=other_nonce, browser=browser)
    _refused_on_the_sign_in_page(server, browser, response, DID_NOT_WORK)
    assert any("nonce" in details for _, details in _audit(server, "auth.oidc_refused"))


def _token_of_the_other_app(issuer: str, redirect_uri: str, email: str, nonce: str) -> dict:
    """The tokens the provider gives the school's other application for `email` (code flow with PKCE)."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    browser = requests.Session()
    page = browser.get(f"{issuer}/auth?" + urlencode({
        "client_id": OTHER_CLIENT_ID, "response_type": "code", "scope": "openid email profile",
        "redirect_uri": redirect_uri, "state": "its-own-state", "nonce": nonce, "code_challenge": challenge,
        "code_challenge_method": "S256"}), timeout=10)
    action = re.search(r'<form method="post" action="([^"]+)"', page.text)[1]
    response = browser.post(urljoin(page.url, action), data={"login": email}, allow_redirects=False, timeout=10)
    location = urljoin(response.url, response.headers["Location"])
    while not location.startswith(redirect_uri):
        response = browser.get(location, allow_redirects=False, timeout=10)
        location = urljoin(response.url, response.headers["Location"])
    code = dict(parse_qsl(urlsplit(location).query))["code"]
    answer = requests.post(f"{issuer}/token", auth=(OTHER_CLIENT_ID, OTHER_CLIENT_SECRET), timeout=10, data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri, "code_verifier": verifier})
    assert answer.ok, answer.text
    return answer.json()


def test_an_id_token_the_provider_issued_to_another_application_is_refused(site):
    """A real ID token from the same provider, for the same person, with the right nonce, but issued to
    the school's other application: lsweb's checks refuse it for its audience."""
    from joserfc.errors import InvalidClaimError

    server = site()
    token = _token_of_the_other_app(server.provider.issuer, f"{server.url}/login/oidc/callback",
                                    "ana.silva@alder.example", nonce="the-nonce")
    assert "id_token" in token
    with server.app.test_request_context("/login/oidc/callback"):
        provider = oidc.client()
        checks = oidc.id_token_checks(provider.load_server_metadata())
        with pytest.raises(InvalidClaimError, match="aud"):
            provider.parse_id_token(token, nonce="the-nonce", claims_options=checks)


def test_an_account_of_another_school_than_its_domains_is_refused(site):
    server = site("alder.example -> teacher @ Alder Primary")
    with server.app.app_context():
        make = Factories(db)
        make.user(make.school("Birch Academy"), Role.TEACHER, email="nia.new@alder.example", name="Nia New")
    browser, response = _sign_in(server, "nia.new@alder.example")
    _refused_on_the_sign_in_page(server, browser, response, ACCOUNT_REFUSED)
    assert ("nia.new@alder.example", "the account belongs to another school than Alder Primary") in _audit(
        server, "auth.oidc_refused")
    assert _user(server, "nia.new@alder.example")[2] == "Birch Academy"  # left where it was
