"""Mail through a school's relay over TLS: STARTTLS with a password (smtp+starttls://, port 587) and
TLS from the first byte (smtps://, port 465), against a real SMTP server (aiosmtpd) whose certificate
the school's own CA signed (LSWEB_MAIL_CA_FILE). A relay whose certificate that CA did not sign is sent
nothing, not even the password: the message waits, and admins see why."""

from __future__ import annotations

import pytest

from lsweb.auth import links
from lsweb.extensions import db
from lsweb.models import MailStatus, OutboxMessage, Role

from ..conftest import TEST_PASSWORD
from ..smtp_server import PASSWORD, SmtpServer
from ..tls_certs import certificates  # noqa: F401  (fixture)

MODES = ["starttls", "smtps"]


@pytest.fixture
def relay(request, certificates):  # noqa: F811
    server = SmtpServer(request.param, certificates)
    yield server
    server.stop()


def _invite(make_app, factories, relay, ca_file):
    app = make_app(MAIL_URL=relay.url, MAIL_CA_FILE=str(ca_file), TASKS="immediate")
    with app.app_context():
        school = factories.school("Alder Primary")
        admin = factories.user(school, Role.SCHOOL_ADMIN, email="head@alder.example", name="Sam Head")
        teacher = factories.user(school, Role.TEACHER, email="jo@alder.example", name="Jo Teacher")
        links.invite(admin, teacher)
        row = db.session.scalar(db.select(OutboxMessage).order_by(OutboxMessage.id.desc()))
        return app, admin.email, row


@pytest.mark.parametrize("relay", MODES, indirect=True)
def test_an_invitation_goes_through_the_relay_over_tls(make_app, factories, relay, certificates):  # noqa: F811
    _, _, row = _invite(make_app, factories, relay, certificates.ca)
    assert row.status is MailStatus.SENT
    [mail] = relay.wait_for(1)
    assert mail.envelope_to == ["jo@alder.example"] and "/password/set/" in mail.text


@pytest.mark.parametrize("relay", MODES, indirect=True)
def test_a_relay_the_school_ca_did_not_sign_gets_nothing_and_admins_see_why(make_app, factories, relay,
                                                                            certificates):  # noqa: F811
    app, admin_email, row = _invite(make_app, factories, relay, certificates.other_ca)
    assert relay.received == []
    assert row.status is MailStatus.WAITING and row.attempts == 1 and row.next_attempt_at is not None
    assert "CERTIFICATE_VERIFY_FAILED" in row.last_error and PASSWORD not in row.last_error
    client = app.test_client()
    assert client.post("/login", data={"email": admin_email, "password": TEST_PASSWORD}).status_code == 303
    page = client.get("/admin/outbox")
    assert "CERTIFICATE_VERIFY_FAILED" in page.text
