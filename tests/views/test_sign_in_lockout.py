"""Nobody locks a colleague out: a staffroom behind one NAT shares a high ceiling, failures count per
account and address, and an account locked by failures from elsewhere can still sign in from a device
it used before, or through an e-mailed link."""

from __future__ import annotations

import re


from lsweb.extensions import db
from lsweb.models import OutboxMessage
from tests.conftest import TEST_PASSWORD

STAFFROOM = "192.0.2.10"  # one public address for the whole school (NAT)


def sign_in(client, email, password=TEST_PASSWORD, address=STAFFROOM):
    return client.post("/login", data={"email": email, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def test_a_staffroom_behind_one_address_is_not_locked_out_by_everyone_s_typos(app, factories, school, teacher):
    colleagues = [factories.user(school) for _ in range(30)]
    for colleague in colleagues:  # a busy Monday morning: each mistypes once or twice
        for _ in range(2):
            assert sign_in(app.test_client(), colleague.email, "wrong password").status_code == 422
    assert sign_in(app.test_client(), teacher.email).status_code == 303
    assert sign_in(app.test_client(), colleagues[0].email).status_code == 303


def test_someone_guessing_from_elsewhere_does_not_lock_the_owner_s_own_laptop(make_app):
    from tests.factories import Factories

    app = make_app(LOGIN_LIMIT_ACCOUNT_EVERYWHERE="10 per hour")
    with app.app_context():
        email = Factories(db).user(email="jo@hillside.example").email
        laptop = app.test_client()
        assert sign_in(laptop, email).status_code == 303  # Jo's own laptop, last week
        laptop.post("/logout")
        for attacker in range(5):  # five addresses, two guesses each: the account is locked everywhere
            for _ in range(2):
                assert sign_in(app.test_client(), email, "guess", address=f"203.0.113.{attacker}").status_code == 422
        assert sign_in(app.test_client(), email, address="198.51.100.7").status_code == 429
        # ...except on the laptop Jo signed in from before (at any address: a teacher's laptop travels).
        assert sign_in(laptop, email, address="198.51.100.8").status_code == 303
        # The device is remembered per account: another account on the same laptop is not let through.
        laptop.post("/logout")
        assert sign_in(laptop, "nobody@hillside.example", "guess").status_code == 422


def test_a_known_device_is_still_limited_for_its_own_failures(app, teacher):
    laptop = app.test_client()
    assert sign_in(laptop, teacher.email).status_code == 303
    laptop.post("/logout")
    statuses = [sign_in(laptop, teacher.email, "wrong password").status_code for _ in range(6)]
    assert statuses == [422] * 5 + [429]


def test_a_forged_device_cookie_is_ignored(make_app):
    from tests.factories import Factories

    app = make_app(LOGIN_LIMIT_ACCOUNT_EVERYWHERE="2 per hour")
    with app.app_context():
        email = Factories(db).user(email="jo@hillside.example").email
        for attacker in range(2):
            sign_in(app.test_client(), email, "guess", address=f"203.0.113.{attacker}")
        forger = app.test_client()
        forger.set_cookie("lsweb_device", "eyJkIjoieCIsImEiOlsiYWJjIl19.forged.sig")
        assert sign_in(forger, email, address="198.51.100.9").status_code == 429


def test_a_locked_account_gets_in_by_an_emailed_link(make_app):
    from tests.factories import Factories

    app = make_app(LOGIN_LIMIT_ACCOUNT_EVERYWHERE="2 per hour")
    with app.app_context():
        email = Factories(db).user(email="jo@hillside.example").email
        for attacker in range(2):
            sign_in(app.test_client(), email, "guess", address=f"203.0.113.{attacker}")
        phone = app.test_client()  # never used for lsweb before
        assert sign_in(phone, email, address="198.51.100.20").status_code == 429
        assert phone.post("/forgot-password", data={"email": email},
                          environ_base={"REMOTE_ADDR": "198.51.100.20"}).status_code == 200
        message = db.session.scalar(db.select(OutboxMessage).order_by(OutboxMessage.id.desc()))
        link = re.search(r"(/password/set/[\w.\-]+)", message.text_body).group(1)
        new = "plum kettle orbit lantern"
        assert phone.post(link, data={"new_password": new, "confirm": new}).status_code == 303
        assert sign_in(phone, email, new, address="198.51.100.20").status_code == 303
