"""Two-step sign-in (issue 15): an authenticator-app code after the password (RFC 6238 codes, computed
here by pyotp as any phone app computes them), ten one-use recovery codes, required for admins before
the admin pages, optional for others; a code is good once; switching it off needs the password and a
code; wrong codes are limited."""

from __future__ import annotations

import re
import time

import pyotp
import pytest

from lsweb.extensions import db
from lsweb.models import AuditEntry, Role, User

from ..conftest import TEST_PASSWORD

SECRET = re.compile(r'<code class="secret">([A-Z2-7]+)</code>')


@pytest.fixture
def required(app):
    settings = app.config["LSWEB"]
    app.config["LSWEB"] = settings.replace(admin_two_step=True)
    yield
    app.config["LSWEB"] = settings


def _set_up(client) -> tuple[str, list[str]]:
    page = client.get("/account/two-step")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "<svg" in text  # the QR code, inline
    secret = SECRET.search(text)[1]
    wrong = client.post("/account/two-step", data={"code": "000000" if pyotp.TOTP(secret).now() != "000000" else "111111"})
    assert wrong.status_code == 422 and "not right" in wrong.get_data(as_text=True)
    done = client.post("/account/two-step", data={"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 200
    codes = re.findall(r"<li><code>(\d{5}-\d{5})</code></li>", done.get_data(as_text=True))
    assert len(codes) == 10
    return secret, codes


def _password(client, email):
    return client.post("/login", data={"email": email, "password": TEST_PASSWORD})


def test_an_admin_sets_it_up_before_the_admin_pages_then_signs_in_with_a_code(app, client, login, factories, required):
    school = factories.school()
    admin = factories.user(school, Role.SCHOOL_ADMIN, name="Ada Admin")
    login(admin)
    sent = client.get("/admin/staff")
    assert sent.status_code == 303 and sent.headers["Location"].endswith("/account/two-step")
    secret, codes = _set_up(client)
    assert client.get("/admin/staff").status_code == 200
    client.post("/logout")

    # the password alone no longer signs in
    first = _password(client, admin.email)
    assert first.status_code == 303 and first.headers["Location"].endswith("/login/two-step")
    assert client.get("/admin/staff").status_code in (302, 303) and "/login" in client.get("/admin/staff").headers["Location"]
    wrong = client.post("/login/two-step", data={"code": "12345"})
    assert wrong.status_code == 422
    code = pyotp.TOTP(secret).at(time.time() + 30)  # the next step's (the current one confirmed the set-up)
    signed = client.post("/login/two-step", data={"code": code})
    assert signed.status_code == 303
    assert client.get("/admin/staff").status_code == 200
    client.post("/logout")

    # the same code again is refused (good once), a recovery code works once
    _password(client, admin.email)
    assert client.post("/login/two-step", data={"code": code}).status_code == 422
    assert client.post("/login/two-step", data={"code": codes[0]}).status_code == 303
    client.post("/logout")
    _password(client, admin.email)
    assert client.post("/login/two-step", data={"code": codes[0]}).status_code == 422
    actions = set(db.session.scalars(db.select(AuditEntry.action).where(AuditEntry.actor_id == admin.id)))
    assert {"auth.two_step_enabled", "auth.recovery_code_used"} <= actions
    # admins cannot switch it off
    assert client.post("/login/two-step", data={"code": codes[1]}).status_code == 303
    assert "stays on" in client.get("/account/two-step").get_data(as_text=True)
    refused = client.post("/account/two-step/off", data={"password": TEST_PASSWORD, "code": codes[2]})
    assert refused.status_code == 422 and "required for admins" in refused.get_data(as_text=True)


def test_five_wrong_codes_send_back_to_the_password(app, client, login, factories):
    teacher = factories.user(factories.school(), Role.TEACHER, name="Tia Teacher")
    login(teacher)
    _set_up(client)
    client.post("/logout")
    _password(client, teacher.email)
    for _ in range(4):
        assert client.post("/login/two-step", data={"code": "999999"}).status_code == 422
    last = client.post("/login/two-step", data={"code": "999999"})
    assert last.status_code == 303 and last.headers["Location"].endswith("/login")
    assert client.get("/login/two-step").headers["Location"].endswith("/login")


def test_a_teacher_may_switch_it_off_with_password_and_code(app, client, login, factories):
    teacher = factories.user(factories.school(), Role.TEACHER, name="Tom Teacher")
    login(teacher)
    secret, codes = _set_up(client)
    refused = client.post("/account/two-step/off", data={"password": "not it", "code": codes[1]})
    assert refused.status_code == 422 and "not your password" in refused.get_data(as_text=True)
    off = client.post("/account/two-step/off", data={"password": TEST_PASSWORD, "code": codes[1]})
    assert off.status_code == 303
    db.session.expire_all()
    user = db.session.get(User, teacher.id)
    assert user.totp_secret is None and user.totp_enabled_at is None
    client.post("/logout")
    assert _password(client, teacher.email).headers["Location"].endswith("/")


def test_a_deactivated_account_cannot_finish_the_second_step(app, client, login, factories):
    teacher = factories.user(factories.school(), Role.TEACHER, name="Dee Teacher")
    login(teacher)
    secret, _ = _set_up(client)
    client.post("/logout")
    _password(client, teacher.email)
    user = db.session.get(User, teacher.id)
    user.active = False
    db.session.commit()
    answer = client.post("/login/two-step", data={"code": pyotp.TOTP(secret).now()})
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/login")
    assert client.get("/account/two-step").status_code in (302, 303)
