"""E-mail through a real SMTP server: an invitation arrives, its link sets the password and the person
signs in; links that are expired, used, changed or for a deactivated account are refused with a clear
page; "forgot password" never tells whether an account exists, and ends every session."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest

from lsweb.extensions import db
from lsweb.models import AccountToken, AuditEntry, Role, User, UserSession

from ..conftest import TEST_PASSWORD
from ..smtp_server import smtp_server  # noqa: F401  (fixture)

NEW_PASSWORD = "a brand new passphrase"


@pytest.fixture
def app(make_app, smtp_server):  # noqa: F811
    application = make_app(MAIL_URL=smtp_server.url, TASKS="immediate", MAIL_FROM="lsweb <lsweb@alder.example>")
    with application.app_context():
        yield application


@pytest.fixture
def school(factories):
    return factories.school("Alder Primary")


@pytest.fixture
def admin(factories, school):
    return factories.user(school, Role.SCHOOL_ADMIN, email="head@alder.example", name="Sam Head")


def _invite_new_person(client, login, admin, school, email="nora.new@alder.example"):
    login(admin)
    response = client.post(f"/admin/staff/new?school={school.id}", data={
        "display_name": "Nora New", "email": email, "role": "teacher", "school_id": str(school.id),
        "send_invitation": "y"})
    assert response.status_code == 303
    client.post("/logout")


def _path(link: str) -> str:
    return urlsplit(link).path


def test_an_invitation_arrives_and_its_link_sets_the_password_to_sign_in_with(app, client, login, admin,
                                                                              school, smtp_server):  # noqa: F811
    _invite_new_person(client, login, admin, school)
    [mail] = smtp_server.received
    assert mail.envelope_to == ["nora.new@alder.example"]
    assert mail.message["From"] == "lsweb <lsweb@alder.example>"
    assert "Alder Primary" in mail.message["Subject"]
    assert "Sam Head has invited you" in mail.text and "Alder Primary" in mail.text
    assert "Alder Primary" in mail.html and mail.link.replace("&", "&amp;") in mail.html

    page = client.get(_path(mail.link))
    assert page.status_code == 200 and "nora.new@alder.example" in page.text
    response = client.post(_path(mail.link), data={"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 303 and response.location.endswith("/login")
    assert login("nora.new@alder.example", NEW_PASSWORD).status_code == 303
    assert client.get("/").status_code == 200
    # Admins see who was invited and who accepted.
    client.post("/logout")
    login(admin)
    assert "Accepted the invitation" in client.get(f"/admin/staff?school={school.id}").text


def test_a_used_link_is_refused_with_a_clear_page(app, client, login, admin, school, smtp_server):  # noqa: F811
    _invite_new_person(client, login, admin, school)
    link = _path(smtp_server.received[0].link)
    client.post(link, data={"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    again = client.get(link)
    assert again.status_code == 410 and "This link has been used" in again.text
    second = client.post(link, data={"new_password": "another long passphrase", "confirm": "another long passphrase"})
    assert second.status_code == 410
    assert login("nora.new@alder.example", NEW_PASSWORD).status_code == 303


def test_an_expired_link_is_refused(app, client, login, admin, school, smtp_server):  # noqa: F811
    _invite_new_person(client, login, admin, school)
    token = db.session.scalar(db.select(AccountToken))
    token.expires_at = token.created_at - timedelta(seconds=1)
    db.session.commit()
    page = client.get(_path(smtp_server.received[0].link))
    assert page.status_code == 410 and "This link has expired" in page.text
    response = client.post(_path(smtp_server.received[0].link),
                           data={"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 410
    assert db.session.scalar(db.select(User).where(User.email == "nora.new@alder.example")).password_hash is None


def test_a_changed_link_is_refused(app, client, login, admin, school, smtp_server):  # noqa: F811
    _invite_new_person(client, login, admin, school)
    link = _path(smtp_server.received[0].link)
    for tampered in (link[:-3] + ("xyz" if not link.endswith("xyz") else "abc"), link.rsplit(".", 1)[0],
                     "/password/set/nonsense", link[:-10]):
        page = client.get(tampered)
        assert page.status_code == 410 and "This link does not work" in page.text, tampered


def test_a_link_for_a_deactivated_account_is_refused(app, client, login, admin, school, smtp_server):  # noqa: F811
    _invite_new_person(client, login, admin, school)
    member = db.session.scalar(db.select(User).where(User.email == "nora.new@alder.example"))
    member.active = False
    db.session.commit()
    page = client.get(_path(smtp_server.received[0].link))
    assert page.status_code == 410 and "deactivated" in page.text


def test_inviting_again_makes_the_earlier_link_stop_working(app, client, login, admin, school, smtp_server):  # noqa: F811
    _invite_new_person(client, login, admin, school)
    member = db.session.scalar(db.select(User).where(User.email == "nora.new@alder.example"))
    login(admin)
    assert client.post(f"/admin/staff/{member.id}/invite").status_code == 303
    first, second = smtp_server.received
    assert client.get(_path(first.link)).status_code == 410
    assert client.get(_path(second.link)).status_code == 200


def _same_page(html):
    """The page without its CSRF token, which carries the second it was signed in (two requests can straddle one)."""
    return re.sub(r'"X-CSRFToken": *"[^"]*"', '"X-CSRFToken": ""', html)


def test_forgot_password_says_the_same_for_unknown_addresses_and_sends_only_to_real_ones(
        app, client, factories, school, smtp_server):  # noqa: F811
    teacher = factories.user(school, Role.TEACHER, email="jo@alder.example", name="Jo Teacher")
    known = client.post("/forgot-password", data={"email": "Jo@Alder.example"})
    unknown = client.post("/forgot-password", data={"email": "nobody@alder.example"})
    assert known.status_code == unknown.status_code == 200
    assert _same_page(known.text.replace("Jo@Alder.example", "X")) == _same_page(
        unknown.text.replace("nobody@alder.example", "X"))
    [mail] = smtp_server.received
    assert mail.envelope_to == [teacher.email] and "Set a new lsweb password" == mail.message["Subject"]


def test_a_password_set_by_a_reset_link_ends_every_session(app, client, login, factories, school, smtp_server):  # noqa: F811
    teacher = factories.user(school, Role.TEACHER, email="jo@alder.example", name="Jo Teacher")
    other_device = app.test_client()
    login(teacher, the_client=other_device)
    assert other_device.get("/").status_code == 200
    client.post("/forgot-password", data={"email": teacher.email})
    link = _path(smtp_server.received[0].link)
    assert client.post(link, data={"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 303
    assert other_device.get("/").status_code == 303  # signed out: sent to sign in
    assert db.session.scalar(db.select(UserSession.id).where(UserSession.user_id == teacher.id,
                                                             UserSession.ended_at.is_(None))) is None
    response = client.post("/login", data={"email": teacher.email, "password": TEST_PASSWORD})
    assert response.status_code == 422  # the old password no longer works
    assert login(teacher, NEW_PASSWORD).status_code == 303


def test_forgot_password_is_throttled_like_sign_in(app, client, factories, school, smtp_server):  # noqa: F811
    factories.user(school, Role.TEACHER, email="jo@alder.example")
    answers = [client.post("/forgot-password", data={"email": "jo@alder.example"}).status_code
               for _ in range(7)]
    assert answers[:5] == [200] * 5 and answers[5:] == [429, 429]
    assert len(smtp_server.received) == 5


def test_a_weak_password_is_refused_beside_the_field_and_the_link_still_works(
        app, client, login, admin, school, smtp_server):  # noqa: F811
    _invite_new_person(client, login, admin, school)
    link = _path(smtp_server.received[0].link)
    response = client.post(link, data={"new_password": "short", "confirm": "short"})
    assert response.status_code == 422 and "at least 10 characters" in response.text
    assert client.get(link).status_code == 200
    assert db.session.scalar(db.select(AuditEntry.id).where(AuditEntry.action == "staff.invitation_accepted")) is None


def test_the_invitation_says_when_it_expires_in_the_schools_own_time(app, client, login, admin, school,
                                                                     smtp_server):  # noqa: F811
    from zoneinfo import ZoneInfo

    school.timezone = "Asia/Tokyo"  # far from UTC, so a UTC time could not pass for it
    db.session.commit()
    _invite_new_person(client, login, admin, school)
    [mail] = smtp_server.received
    token = db.session.scalar(db.select(AccountToken).order_by(AccountToken.id.desc()))
    expires = token.expires_at.replace(tzinfo=token.expires_at.tzinfo or ZoneInfo("UTC"))
    tokyo = expires.astimezone(ZoneInfo("Asia/Tokyo"))
    assert tokyo.strftime("%d %B %Y, %H:%M JST") in mail.text
    assert "UTC" not in mail.text


def test_importing_staff_can_invite_each_person_by_email(app, client, login, admin, school, smtp_server):  # noqa: F811
    import io
    import re

    login(admin)
    csv = "Forename,Surname,Work Email,Job Title\nIda,Import,ida.import@alder.example,Class Teacher\n" \
          "Joe,Import,joe.import@alder.example,HLTA\n"
    preview = client.post("/admin/staff/import", content_type="multipart/form-data",
                          data={"school_id": str(school.id), "file": (io.BytesIO(csv.encode()), "staff.csv")})
    assert preview.status_code == 200 and "invitation to choose their password" in preview.text
    token = re.search(r'name="token"[^>]*value="([^"]+)"', preview.text).group(1)
    done = client.post("/admin/staff/import/confirm", data={"token": token, "school_id": str(school.id),
                                                              "invite": "y"})
    assert done.status_code == 303
    assert sorted(m.envelope_to[0] for m in smtp_server.received) == ["ida.import@alder.example",
                                                                      "joe.import@alder.example"]
    assert "invited by e-mail" in client.get(f"/admin/staff?school={school.id}").text
    client.post("/logout")
    ida = next(m for m in smtp_server.received if m.envelope_to == ["ida.import@alder.example"])
    assert client.post(_path(ida.link), data={"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 303
    assert login("ida.import@alder.example", NEW_PASSWORD).status_code == 303
