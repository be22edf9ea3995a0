"""Signing in and out: wrong passwords, throttling, remember-me, password changes that end other
sessions, deactivated accounts, temporary passwords, session rotation and safe `next` redirects."""

from __future__ import annotations

import re

import pytest

from lsweb.extensions import db
from lsweb.models import AuditEntry, Role, User
from tests.conftest import TEST_PASSWORD

FAILED = "The email or password is not right."
NEW_PASSWORD = "a brand new passphrase"
SESSION_COOKIE = "lsweb_session"
REMEMBER_COOKIE = "lsweb_remember"


def sign_in(client, email, password=TEST_PASSWORD, remember=False, **kwargs):
    return client.post("/login", data={"email": email, "password": password,
                                       "remember": "y" if remember else ""}, **kwargs)


def field_error(page_text: str, field: str) -> str | None:
    """The message shown beside a form field, as the user reads it."""
    match = re.search(rf'id="{field}-error"[^>]*>(.*?)</', page_text, re.S)
    return match.group(1).strip() if match else None


def is_signed_in(client) -> bool:
    response = client.get("/")
    if response.status_code == 303:
        assert response.headers["Location"].startswith("/login")
        return False
    assert response.status_code == 200
    return True


def set_cookies(response) -> dict[str, str]:
    cookies = {}
    for header in response.headers.getlist("Set-Cookie"):
        name, _, rest = header.partition("=")
        cookies[name] = rest
    return cookies


def normalised(page_text: str, email: str) -> str:
    """The page without what legitimately differs between two clients: the email typed, CSRF tokens."""
    text = page_text.replace(email, "EMAIL")
    text = re.sub(r'"X-CSRFToken": "[^"]*"', "TOKEN", text)
    return re.sub(r'name="csrf_token" type="hidden" value="[^"]*"', "TOKEN", text)


@pytest.fixture
def school_admin(factories, school):
    return factories.user(school, Role.SCHOOL_ADMIN, email="head@hillside.example", name="Sam Head")


# Signing in and out ---------------------------------------------------------------------------------

def test_sign_in_then_sign_out(client, teacher):
    page = client.get("/login")
    assert page.status_code == 200
    assert "<h1>Sign in</h1>" in page.text

    response = sign_in(client, "  JO@Hillside.example ")  # case and spaces do not matter
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    home = client.get("/")
    assert home.status_code == 200
    assert "Welcome, Jo Teacher" in home.text
    assert "Sign out" in home.text

    response = client.post("/logout")
    assert response.status_code == 303
    assert response.headers["Location"] == "/login"
    assert "You are signed out." in client.get("/login").text
    assert not is_signed_in(client)
    signed_in = db.session.scalars(db.select(AuditEntry).where(AuditEntry.action == "auth.signed_in")).all()
    assert [(e.actor_id, e.target) for e in signed_in] == [(teacher.id, "jo@hillside.example")]


def test_a_signed_in_user_visiting_the_sign_in_page_goes_home(client, teacher, login):
    login(teacher)
    response = client.get("/login")
    assert response.status_code == 303
    assert response.headers["Location"] == "/"


def test_empty_form_says_what_is_missing(client):
    response = client.post("/login", data={"email": "", "password": ""})
    assert response.status_code == 422
    assert field_error(response.text, "email") == "Enter your email."
    assert field_error(response.text, "password") == "Enter your password."


def test_wrong_password_is_refused_and_keeps_the_email_typed(client, teacher):
    response = sign_in(client, teacher.email, "not the password")
    assert response.status_code == 422
    assert field_error(response.text, "password") == FAILED
    assert f'value="{teacher.email}"' in response.text
    assert "not the password" not in response.text
    assert not is_signed_in(client)


def test_unknown_email_and_wrong_password_look_the_same(app, client, factories, school, teacher):
    unknown = sign_in(client, "nobody@hillside.example", "not the password")
    wrong = sign_in(app.test_client(), teacher.email, "not the password")
    assert unknown.status_code == wrong.status_code == 422
    assert field_error(unknown.text, "password") == field_error(wrong.text, "password") == FAILED
    assert normalised(unknown.text, "nobody@hillside.example") == normalised(wrong.text, teacher.email)

    # A deactivated account with its right password, and an imported account with no password yet,
    # answer exactly as an unknown email does.
    gone = factories.user(school, email="gone@hillside.example", active=False)
    deactivated = sign_in(app.test_client(), gone.email)
    no_password = factories.user(school, email="new@hillside.example")
    no_password.password_hash = None
    db.session.commit()
    imported = sign_in(app.test_client(), no_password.email, "anything at all")
    for response, email in ((deactivated, gone.email), (imported, no_password.email)):
        assert response.status_code == 422
        assert normalised(response.text, email) == normalised(unknown.text, "nobody@hillside.example")


# Throttling ----------------------------------------------------------------------------------------

def test_default_limits_are_the_documented_ones(app):
    assert app.config["LSWEB"]["LOGIN_LIMIT_ACCOUNT"] == "5 per 15 minutes"
    assert app.config["LSWEB"]["LOGIN_LIMIT_ADDRESS"] == "100 per 15 minutes"
    assert app.config["LSWEB"]["LOGIN_LIMIT_ACCOUNT_EVERYWHERE"] == "30 per hour"


def test_five_failures_lock_the_account_from_that_address_even_with_the_right_password(app, client, teacher,
                                                                                       factories, school):
    for _ in range(5):
        assert sign_in(client, teacher.email, "wrong password").status_code == 422
    # From another browser at the same address too: the limit is per account and address.
    other_device = app.test_client()
    locked = sign_in(other_device, teacher.email.upper(), TEST_PASSWORD)
    assert locked.status_code == 429
    assert "Too many" in locked.text and "Forgotten your password" in locked.text
    assert not is_signed_in(other_device)
    # Another account from the same address is not affected, nor this account from elsewhere.
    colleague = factories.user(school)
    assert sign_in(client, colleague.email).status_code == 303
    assert sign_in(app.test_client(), teacher.email, environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 303


def test_unknown_emails_are_throttled_exactly_like_real_ones(app, teacher):
    answers = {}
    for email in (teacher.email, "nobody@hillside.example"):
        client = app.test_client()
        statuses = [sign_in(client, email, "wrong password").status_code for _ in range(6)]
        answers[email] = (statuses, normalised(sign_in(client, email, "wrong password").text, email))
    assert answers[teacher.email][0] == [422] * 5 + [429]
    assert answers["nobody@hillside.example"] == answers[teacher.email]


def test_successful_sign_ins_do_not_count_towards_the_limit(client, teacher):
    for _ in range(7):
        assert sign_in(client, teacher.email).status_code == 303
        client.post("/logout")


def test_a_hundred_failures_from_one_address_lock_that_address(app, client, factories, school, teacher):
    for number in range(100):  # different emails, so no account reaches its own limit
        assert sign_in(client, f"guess{number}@hillside.example", "wrong password").status_code == 422
    locked = sign_in(app.test_client(), teacher.email)  # same address (127.0.0.1), right password
    assert locked.status_code == 429
    assert "Too many" in locked.text
    elsewhere = app.test_client()
    assert sign_in(elsewhere, teacher.email, environ_base={"REMOTE_ADDR": "10.9.8.7"}).status_code == 303


def test_limits_come_from_the_settings(make_app, tmp_path):
    from tests.factories import Factories

    app = make_app(LOGIN_LIMIT_ACCOUNT="2 per 15 minutes", RATELIMIT_ENABLED=True)
    with app.app_context():
        user = Factories(db).user()
        client = app.test_client()
        statuses = [sign_in(client, user.email, "wrong password").status_code for _ in range(3)]
    assert statuses == [422, 422, 429]


# Remember me ---------------------------------------------------------------------------------------

def test_remember_me_cookie_only_when_asked(app, teacher):
    plain = sign_in(app.test_client(), teacher.email, remember=False)
    assert plain.status_code == 303
    assert REMEMBER_COOKIE not in set_cookies(plain)

    remembered = sign_in(app.test_client(), teacher.email, remember=True)
    assert remembered.status_code == 303
    cookie = set_cookies(remembered)[REMEMBER_COOKIE]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Expires=" in cookie

    # The cookie alone (browser closed, session cookie gone) still signs the user in.
    browser = app.test_client()
    browser.set_cookie(REMEMBER_COOKIE, cookie.split(";")[0])
    assert is_signed_in(browser)


# Password change -----------------------------------------------------------------------------------

def test_password_change_signs_out_every_other_session(app, teacher):
    laptop, tablet = app.test_client(), app.test_client()
    assert sign_in(laptop, teacher.email).status_code == 303
    remembered = sign_in(tablet, teacher.email, remember=True)
    remember_value = set_cookies(remembered)[REMEMBER_COOKIE].split(";")[0]
    closed_browser = app.test_client()  # holds only the remember-me cookie
    closed_browser.set_cookie(REMEMBER_COOKIE, remember_value)
    assert is_signed_in(laptop) and is_signed_in(tablet)

    response = laptop.post("/account/password", data={
        "current_password": TEST_PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 303
    page = laptop.get(response.headers["Location"])
    assert page.status_code == 200  # the device that changed it stays signed in
    assert "Any other device signed in as you has been signed out." in page.text

    assert not is_signed_in(tablet)
    assert not is_signed_in(closed_browser)
    late_browser = app.test_client()
    late_browser.set_cookie(REMEMBER_COOKIE, remember_value)
    assert not is_signed_in(late_browser)

    assert sign_in(app.test_client(), teacher.email, TEST_PASSWORD).status_code == 422
    assert sign_in(app.test_client(), teacher.email, NEW_PASSWORD).status_code == 303
    entry = db.session.scalar(db.select(AuditEntry).where(AuditEntry.action == "password.changed"))
    assert (entry.actor_id, entry.target) == (teacher.id, teacher.email)


REFUSED_CHANGES = [  # (form, field, the message beside that field)
    ({"current_password": "wrong one!!", "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
     "current_password", "Your current password is not right."),
    ({"current_password": TEST_PASSWORD, "new_password": "short", "confirm": "short"},
     "new_password", "Use at least 10 characters."),
    ({"current_password": TEST_PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD + "x"},
     "confirm", "The two new passwords differ."),
    ({"current_password": TEST_PASSWORD, "new_password": TEST_PASSWORD, "confirm": TEST_PASSWORD},
     "new_password", "The new password must differ from the current one."),
    ({"current_password": TEST_PASSWORD, "new_password": "Jo Teacher", "confirm": "Jo Teacher"},
     "new_password", "Choose a password that is not your name or email."),
]


def test_refused_password_change_says_why_and_changes_nothing(app, client, teacher, login):
    login(teacher)
    other = app.test_client()
    login(teacher, the_client=other)
    for form, field, message in REFUSED_CHANGES:
        response = client.post("/account/password", data=form)
        assert response.status_code == 422, message
        assert field_error(response.text, field) == message
    assert is_signed_in(other)
    assert sign_in(app.test_client(), teacher.email, TEST_PASSWORD).status_code == 303


# Deactivated accounts ------------------------------------------------------------------------------

def test_deactivated_user_is_signed_out_and_cannot_sign_in_until_reactivated(app, client, teacher,
                                                                            school_admin, login):
    phone = app.test_client()
    login(teacher, the_client=phone)
    login(school_admin)
    assert client.post(f"/admin/staff/{teacher.id}/deactivate").status_code == 303

    assert not is_signed_in(phone)
    refused = sign_in(app.test_client(), teacher.email)
    assert refused.status_code == 422
    assert field_error(refused.text, "password") == FAILED

    assert client.post(f"/admin/staff/{teacher.id}/reactivate").status_code == 303
    assert sign_in(app.test_client(), teacher.email).status_code == 303


# Temporary passwords -------------------------------------------------------------------------------

def test_temporary_password_must_be_changed_at_first_sign_in(app, client, teacher, school_admin, login):
    old_session = app.test_client()
    login(teacher, the_client=old_session)
    login(school_admin)
    page = client.post(f"/admin/staff/{teacher.id}/reset-password")
    assert page.status_code == 200
    temporary = re.search(r'<code id="temporary-password">([^<]+)</code>', page.text).group(1)
    assert len(temporary) >= 10
    assert not is_signed_in(old_session)  # the reset signs the member out everywhere
    assert sign_in(app.test_client(), teacher.email, TEST_PASSWORD).status_code == 422

    member = app.test_client()
    assert sign_in(member, teacher.email, temporary).status_code == 303
    for path in ("/", "/admin/staff", "/admin/audit", "/login", "/nothing-here"):
        response = member.get(path)
        assert response.status_code == 303, path
        assert response.headers["Location"] == "/account/password", path
    form_page = member.get("/account/password")
    assert form_page.status_code == 200
    assert "You signed in with a temporary password" in form_page.text

    response = member.post("/account/password", data={
        "current_password": temporary, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 303
    assert member.get("/").status_code == 200
    assert db.session.get(User, teacher.id).must_change_password is False
    assert sign_in(app.test_client(), teacher.email, NEW_PASSWORD).status_code == 303


def test_user_with_a_temporary_password_can_still_sign_out(client, factories, school, login):
    member = factories.user(school, must_change_password=True)
    login(member)
    assert client.post("/logout").status_code == 303
    assert not is_signed_in(client)


# Session rotation and redirects --------------------------------------------------------------------

def test_session_is_rotated_at_sign_in(client, teacher):
    client.get("/login")
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"  # a fixed session must not carry over
        token_before = session.get("csrf_token")
    before = client.get_cookie(SESSION_COOKIE).value
    assert sign_in(client, teacher.email).status_code == 303
    after = client.get_cookie(SESSION_COOKIE).value
    assert after != before
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session.get("csrf_token") != token_before
        assert session.permanent


def test_next_takes_the_user_back_to_the_page_they_asked_for(client, school_admin, school):
    response = client.get(f"/admin/staff?school={school.id}")
    assert response.status_code == 302
    login_url = response.headers["Location"]
    assert login_url.startswith("/login?next=")
    page = client.get(login_url)
    assert "Please sign in to continue." in page.text
    response = client.post(login_url, data={"email": school_admin.email, "password": TEST_PASSWORD})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/admin/staff?school={school.id}"


OFF_SITE = [
    "https://evil.example/", "//evil.example", "///evil.example", "/\\evil.example", "\\\\evil.example",
    "/\t/evil.example", "/\n/evil.example", "/\r\n/evil.example", " //evil.example",
    "javascript:alert(1)", "http:/evil.example", "evil.example",
]


def test_next_cannot_send_the_user_off_site(client, teacher):
    for target in OFF_SITE:
        response = client.post("/login", query_string={"next": target},
                               data={"email": teacher.email, "password": TEST_PASSWORD})
        assert response.status_code == 303, repr(target)
        assert response.headers["Location"] == "/", repr(target)
        client.post("/logout")
