"""The periodic notification e-mails, run with a fixed "now" (as the hourly task does), received by a
real SMTP server: the reminder the day before a lesson and the board digest, each sent once."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from lsweb.discussion import services as board
from lsweb.extensions import db
from lsweb.mail.notify import set_choices
from lsweb.mail.reminders import send_digests, send_reminders

from ..lessonday_setup import lesson_day
from ..mail_app import mail_app  # noqa: F401  (fixture "app": mail on)
from ..smtp_server import smtp_server  # noqa: F401  (fixture)

UTC = timezone.utc


@pytest.fixture
def day(app, factories, smtp_server):  # noqa: F811
    school = factories.school("Alder Primary")
    school.timezone = "Europe/London"
    db.session.commit()
    world = lesson_day(factories, school=school)  # RL1 on Tuesday 10 March 2026 at 10:00
    smtp_server.received.clear()
    return world


def test_the_day_before_each_teacher_and_observer_is_reminded_once(day, smtp_server):  # noqa: F811
    assert send_reminders(datetime(2026, 3, 9, 6, 30, tzinfo=UTC)) == 0  # before 07:00 at the school
    assert send_reminders(datetime(2026, 3, 8, 12, 0, tzinfo=UTC)) == 0  # two days before
    set_choices(day.observer2, ["group_added"])  # Otto turned the reminder off
    day.observer.active = False  # Olive left the school
    db.session.commit()
    assert send_reminders(datetime(2026, 3, 9, 7, 5, tzinfo=UTC)) == 1
    [mail] = smtp_server.received
    assert mail.envelope_to == [day.teacher.email]
    assert mail.message["Subject"] == "Tomorrow: Fractions Study, research lesson RL1 at 10:00"
    assert "Tuesday 10 March 2026 at 10:00" in mail.text and "(you teach)" in mail.text
    assert f"https://lsweb.alder.example/lessons/{day.lesson.id}" in mail.text
    assert "Pupil A" not in mail.text + mail.html
    for hour in (8, 15, 23):  # the hourly task runs again: nobody gets it twice
        assert send_reminders(datetime(2026, 3, 9, hour, 5, tzinfo=UTC)) == 0
    assert len(smtp_server.received) == 1


def test_the_board_digest_gathers_the_new_posts_of_others_in_one_email_once(day, smtp_server):  # noqa: F811
    section = board.sections_of(day.lesson)[0].key
    at = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
    for number, (author, text) in enumerate([(day.teacher, "Pupil A counted on her fingers"),
                                             (day.teacher, "Pupil B was stuck at stage 2"),
                                             (day.observer2, "Agreed"), (day.observer, "My own post")]):
        board.add_post(author, day.lesson, section, text, f"digest-token-{number:04d}",
                       clock=lambda moment=at + timedelta(minutes=number): moment)
    now = datetime(2026, 3, 10, 18, 0, tzinfo=UTC)
    assert send_digests(now) == 0  # off by default: nobody chose it yet
    set_choices(day.observer, ["board_digest"])
    db.session.commit()
    assert send_digests(now) == 1
    [mail] = smtp_server.received
    assert mail.envelope_to == [day.observer.email]
    assert mail.message["Subject"] == "3 new posts on the boards of your lessons"
    assert "Fractions Study, research lesson RL1: 3 new posts (by Otto Observer, Tom Teacher)" in mail.text
    assert f"https://lsweb.alder.example/lessons/{day.lesson.id}/board" in mail.text
    assert "fingers" not in mail.text + mail.html and "Pupil A" not in mail.text + mail.html
    assert send_digests(now + timedelta(hours=1)) == 0  # a day between digests
    assert send_digests(now + timedelta(days=1)) == 0  # nothing new
    board.add_post(day.teacher, day.lesson, section, "One more", "digest-token-0009",
                   clock=lambda: now + timedelta(days=1, hours=1))
    assert send_digests(now + timedelta(days=1, hours=2)) == 1
    assert smtp_server.received[-1].message["Subject"] == "1 new post on the boards of your lessons"
    assert len(smtp_server.received) == 2


def test_the_queue_runs_the_notifications_every_hour(app):
    from lsweb.mail.tasks import queue_of

    huey = queue_of(app).huey
    assert "notifications" in {task.name for task in huey.read_periodic(datetime(2026, 3, 9, 7, 5))}
    assert "notifications" not in {task.name for task in huey.read_periodic(datetime(2026, 3, 9, 7, 6))}
