"""The outbox: messages are written with what causes them and sent after the commit by the task
queue; a refusal is kept with the server's answer for admins to see and send again; a temporary
failure is tried again later; nothing is sent twice; with mail off, admins are told."""

from __future__ import annotations

from datetime import timedelta

import pytest

from lsweb.auth import links
from lsweb.extensions import db
from lsweb.mail import delivery, queue_mail
from lsweb.mail.tasks import queue_of
from lsweb.models import MailStatus, OutboxMessage, Role
from lsweb.models.base import utcnow

from ..servers import free_port
from ..smtp_server import SmtpServer, smtp_server  # noqa: F401  (fixture)


@pytest.fixture
def app(make_app, smtp_server):  # noqa: F811
    application = make_app(MAIL_URL=smtp_server.url, TASKS="immediate")
    with application.app_context():
        yield application


@pytest.fixture
def school(factories):
    return factories.school("Alder Primary")


@pytest.fixture
def admin(factories, school):
    return factories.user(school, Role.SCHOOL_ADMIN, email="head@alder.example", name="Sam Head")


@pytest.fixture
def teacher(factories, school):
    return factories.user(school, Role.TEACHER, email="jo@alder.example", name="Jo Teacher")


def _row() -> OutboxMessage:
    return db.session.scalar(db.select(OutboxMessage).order_by(OutboxMessage.id.desc()))


def test_a_message_is_sent_only_after_its_transaction_commits_and_never_after_a_rollback(
        app, admin, teacher, smtp_server):  # noqa: F811
    links.queue_invitation(admin, teacher)
    db.session.flush()
    assert smtp_server.received == []
    db.session.rollback()
    assert smtp_server.received == [] and _row() is None
    links.invite(admin, teacher)
    assert [mail.envelope_to for mail in smtp_server.received] == [[teacher.email]]
    assert _row().status is MailStatus.SENT and _row().sent_at is not None


def test_a_message_is_never_sent_twice(app, admin, teacher, smtp_server):  # noqa: F811
    links.invite(admin, teacher)
    row_id = _row().id
    for _ in range(3):
        # the test's own transaction ends first, as a request's does before its mail is queued (on
        # SQLite it holds the write turn the sender would wait 40 s for)
        db.session.rollback()
        queue_of(app).enqueue(row_id)
        assert delivery.deliver(row_id) is None
    assert len(smtp_server.received) == 1


def test_a_refused_message_shows_the_servers_answer_and_can_be_sent_again(
        app, client, login, admin, teacher, smtp_server):  # noqa: F811
    smtp_server.handler.refuse_with = "550 5.1.1 <jo@alder.example>: mailbox unavailable"
    links.invite(admin, teacher)
    row = _row()
    assert row.status is MailStatus.FAILED and "550 5.1.1" in row.last_error
    login(admin)
    page = client.get("/admin/outbox")
    assert "mailbox unavailable" in page.text and "Failed" in page.text and "Send again" in page.text
    smtp_server.handler.refuse_with = None
    response = client.post(f"/admin/outbox/{row.id}/send-again")
    assert response.status_code == 303
    assert len(smtp_server.received) == 1
    db.session.expire_all()
    assert _row().status is MailStatus.SENT
    assert client.post(f"/admin/outbox/{row.id}/send-again").status_code == 303  # sent: refused, flashed
    assert len(smtp_server.received) == 1


def _people():
    from ..factories import Factories

    make = Factories(db)
    school = make.school("Birch Academy")
    return make.user(school, Role.SCHOOL_ADMIN, email="head@birch.example"), make.user(
        school, Role.TEACHER, email="bea@birch.example")


def test_an_unreachable_server_is_tried_again_later_with_growing_pauses(make_app):
    down = make_app(MAIL_URL=f"smtp://127.0.0.1:{free_port()}", TASKS="immediate")
    with down.app_context():
        admin, teacher = _people()
        links.invite(admin, teacher)
        row = _row()
        assert row.status is MailStatus.WAITING and row.attempts == 1
        assert "Connection" in row.last_error or "refused" in row.last_error.lower()
        pause = row.next_attempt_at - utcnow()
        assert timedelta(seconds=20) < pause <= timedelta(seconds=30)
        assert delivery.deliver(row.id) is None  # not due yet: not tried
        assert [delivery.backoff(n).total_seconds() for n in (1, 2, 3)] == [30, 120, 480]
        for attempt in range(2, delivery.MAX_ATTEMPTS + 1):
            row.next_attempt_at = utcnow()
            db.session.commit()
            delivery.deliver(row.id)
            db.session.refresh(row)
            assert row.attempts == attempt
        assert row.status is MailStatus.FAILED


def test_the_sweep_sends_what_waits_and_never_resends_an_interrupted_message(app, admin, teacher, smtp_server):  # noqa: F811
    queue_mail("invitation", teacher, "invitation", "Hello", inviter="x", link="http://x/", expires="soon")
    db.session.info.pop("lsweb.mail.pending")  # as if the process died before handing it to the queue
    db.session.commit()
    stuck = queue_mail("invitation", admin, "invitation", "Stuck", inviter="x", link="http://x/", expires="soon")
    stuck.status, stuck.claimed_at = MailStatus.SENDING, utcnow() - timedelta(hours=1)
    db.session.info.pop("lsweb.mail.pending")
    db.session.commit()
    for message_id in delivery.due_messages():
        delivery.deliver(message_id)
    assert [mail.message["Subject"] for mail in smtp_server.received] == ["Hello"]
    db.session.refresh(stuck)
    assert stuck.status is MailStatus.FAILED and "may or may not have arrived" in stuck.last_error


def test_the_embedded_queue_sends_from_its_own_thread(make_app, smtp_server, tmp_path):  # noqa: F811
    embedded = make_app(MAIL_URL=smtp_server.url, TASKS="embedded")
    with embedded.app_context():
        admin, teacher = _people()
        queue = queue_of(embedded)
        queue.start_embedded()
        try:
            links.invite(admin, teacher)
            [mail] = smtp_server.wait_for(1)
            assert mail.envelope_to == ["bea@birch.example"]
        finally:
            queue.stop()
        assert (tmp_path / "instance" / "tasks.db").exists()


def test_with_mail_off_nothing_is_sent_and_admins_are_told(make_app, smtp_server):  # noqa: F811
    off = make_app(MAIL_URL=None)
    with off.app_context():
        admin, teacher = _people()
        links.invite(admin, teacher)
        assert _row().status is MailStatus.HELD
        client = off.test_client()
        client.post("/login", data={"email": admin.email, "password": "correct horse battery"})
        page = client.get("/admin/outbox")
        assert "Mail is off" in page.text and "Not sent: mail is off" in page.text
        assert "Mail is off" in client.get("/admin/staff").text
    assert smtp_server.received == []


def test_no_outbox_message_of_another_school_is_shown_or_sent_again(app, client, login, factories, admin,
                                                                    teacher, smtp_server):  # noqa: F811
    other = factories.school("Birch Academy")
    other_admin = factories.user(other, Role.SCHOOL_ADMIN)
    smtp_server.handler.refuse_with = "550 no"
    links.invite(admin, teacher)
    row = _row()
    login(other_admin)
    assert teacher.email not in client.get("/admin/outbox").text
    assert client.post(f"/admin/outbox/{row.id}/send-again").status_code == 404
