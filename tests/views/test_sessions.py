"""Signed-in sessions: sign-out invalidates the cookie, and a user can end their other sessions."""

from lsweb.extensions import db
from lsweb.models import Role, UserSession


def test_a_cookie_copied_before_sign_out_no_longer_works(app, client, login, factories):
    user = factories.user(factories.school(), Role.TEACHER)
    login(user)
    copied = client.get_cookie("lsweb_session").value
    assert client.post("/logout").status_code == 303
    thief = app.test_client()
    thief.set_cookie("lsweb_session", copied)
    response = thief.get("/")
    assert response.status_code == 303 and "/login" in response.headers["Location"]
    assert db.session.scalar(db.select(UserSession.ended_at)) is not None


def test_remember_me_cookie_dies_with_its_session(app, client, login, factories):
    user = factories.user(factories.school(), Role.TEACHER)
    login(user, remember=True)
    remember = client.get_cookie("lsweb_remember").value
    client.post("/logout")
    other = app.test_client()
    other.set_cookie("lsweb_remember", remember)
    assert other.get("/").status_code == 303


def test_user_sees_and_ends_another_session(app, client, login, factories):
    user = factories.user(factories.school(), Role.TEACHER)
    laptop = app.test_client()
    login(user, the_client=laptop)
    login(user)
    page = client.get("/account/sessions")
    assert page.status_code == 200 and "This browser" in page.text
    rows = db.session.scalars(db.select(UserSession).where(UserSession.ended_at.is_(None))).all()
    assert len(rows) == 2
    assert laptop.get("/").status_code == 200
    response = client.post("/account/sessions/end", data={"session": "others"})
    assert response.status_code == 303
    assert laptop.get("/").status_code == 303  # signed out
    assert client.get("/").status_code == 200  # this one stays


def test_cannot_end_someone_elses_session(app, client, login, factories):
    school = factories.school()
    victim, attacker = factories.user(school), factories.user(school)
    victim_client = app.test_client()
    login(victim, the_client=victim_client)
    victim_session = db.session.scalar(db.select(UserSession.id).where(UserSession.user_id == victim.id))
    login(attacker)
    client.post("/account/sessions/end", data={"session": victim_session})
    assert victim_client.get("/").status_code == 200
