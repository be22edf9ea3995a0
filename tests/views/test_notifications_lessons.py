"""Research lesson e-mails, received by a real SMTP server: scheduled, moved or cancelled (with the
.ics attached) to whoever teaches or observes it, never to the person who changed it."""

from __future__ import annotations

from datetime import date, time

import pytest
from icalendar import Calendar

from lsweb.planning.lessons import LessonDetails, update_details

from ..lessonday_setup import lesson_day
from ..mail_app import mail_app  # noqa: F401  (fixture "app": mail on)
from ..smtp_server import smtp_server  # noqa: F401  (fixture)


@pytest.fixture
def day(app, factories, smtp_server):  # noqa: F811
    world = lesson_day(factories, school=factories.school("Alder Primary"))
    smtp_server.received.clear()  # the "added to a group" e-mails
    return world


def _change(day, **changes):
    lesson = day.lesson
    values = dict(date=lesson.date, start_time=lesson.start_time, duration_minutes=lesson.duration_minutes,
                  class_name=lesson.class_name, room=lesson.room, teacher_id=lesson.teacher_id)
    values.update(changes)
    update_details(day.lead, lesson, LessonDetails(**values), lesson.details_version)


def _ics(mail) -> Calendar:
    [part] = [p for p in mail.message.iter_attachments() if p.get_content_type() == "text/calendar"]
    assert part.get_filename().endswith(".ics")
    return Calendar.from_ical(part.get_content())


def test_a_moved_lesson_is_sent_to_its_teacher_and_observers_with_the_event_attached(day, smtp_server):  # noqa: F811
    _change(day, date=date(2026, 3, 12), start_time=time(10, 40), room="Room 9")
    mails = {m.envelope_to[0]: m for m in smtp_server.received}
    assert set(mails) == {day.teacher.email, day.observer.email, day.observer2.email}  # not the lead
    mail = mails[day.observer.email]
    assert mail.message["Subject"] == "Fractions Study: research lesson RL1 moved to 12 Mar at 10:40"
    assert "Thursday 12 March 2026 at 10:40" in mail.text and "Room 9" in mail.text
    assert f"https://lsweb.alder.example/lessons/{day.lesson.id}" in mail.text
    [event] = _ics(mail).walk("VEVENT")
    assert str(event["status"]) == "CONFIRMED" and "RL1 (you observe)" in str(event["summary"])
    assert event.decoded("dtstart").replace(tzinfo=None).isoformat() == "2026-03-12T10:40:00"
    assert str(event["uid"]).startswith(f"lesson-{day.lesson.id}-")
    everything = "".join(m.text + m.html + m.message.as_string() for m in smtp_server.received)
    for pupil in day.pupils:  # no pupil data: neither the pupils' notes nor the predictions about them
        assert "will manage stage" not in everything and pupil.label not in everything


def test_a_cancelled_then_scheduled_lesson_is_sent_as_such(day, smtp_server):  # noqa: F811
    _change(day, date=None, start_time=None)
    cancelled = {m.envelope_to[0]: m for m in smtp_server.received}
    assert set(cancelled) == {day.teacher.email, day.observer.email, day.observer2.email}
    mail = cancelled[day.teacher.email]
    assert mail.message["Subject"] == "Fractions Study: research lesson RL1 is cancelled"
    [event] = _ics(mail).walk("VEVENT")
    assert str(event["status"]) == "CANCELLED"
    smtp_server.received.clear()
    _change(day, date=date(2026, 3, 17), start_time=time(9, 0))
    mail = {m.envelope_to[0]: m for m in smtp_server.received}[day.teacher.email]
    assert mail.message["Subject"] == "Fractions Study: research lesson RL1 on 17 Mar"
    assert "RL1 (you teach)" in str(_ics(mail).walk("VEVENT")[0]["summary"])


def test_a_new_teacher_is_told_it_is_scheduled_and_the_old_one_that_it_is_no_longer_theirs(
        day, smtp_server):  # noqa: F811
    _change(day, teacher_id=day.lead.id)  # the lead teaches it now: the lead acted, so no e-mail to them
    mails = {m.envelope_to[0]: m for m in smtp_server.received}
    assert set(mails) == {day.teacher.email}
    assert mails[day.teacher.email].message["Subject"] == "Fractions Study: research lesson RL1 is no longer yours"
    smtp_server.received.clear()
    _change(day, room="Room 4")  # nothing that matters to a calendar changed
    assert smtp_server.received == []


def _post_details(client, day, **changes):
    lesson = day.lesson
    data = {"date": "2026-03-10", "start_time": "10:00", "duration_minutes": "60", "class_name": "4B",
            "room": "Room 4", "teacher_id": str(day.teacher.id)}
    data.update(changes)
    response = client.post(f"/lessons/{lesson.id}/details", data=data)
    assert response.status_code == 303, response.text


def test_the_plan_pages_details_form_sends_the_move_to_the_teacher_and_observers(day, login, smtp_server):  # noqa: F811
    from flask import current_app

    client = current_app.test_client()
    login(day.lead, the_client=client)
    _post_details(client, day, date="2026-03-12", start_time="10:40")
    mails = {m.envelope_to[0]: m for m in smtp_server.received}
    assert set(mails) == {day.teacher.email, day.observer.email, day.observer2.email}
    assert mails[day.teacher.email].message["Subject"] == "Fractions Study: research lesson RL1 moved to 12 Mar at 10:40"
    [event] = _ics(mails[day.teacher.email]).walk("VEVENT")
    assert int(event["sequence"]) == 1  # a calendar replaces the first version of the event with it
    smtp_server.received.clear()
    _post_details(client, day, date="2026-03-12", start_time="10:40", class_name="4C")  # not a calendar change
    assert smtp_server.received == []


def test_the_plan_pages_observer_form_tells_who_starts_and_who_stops_observing(day, login, smtp_server):  # noqa: F811
    from flask import current_app

    client = current_app.test_client()
    login(day.teacher, the_client=client)
    response = client.post(f"/lessons/{day.lesson.id}/observers",
                           data={f"watch-{day.pupils[2].id}-all": str(day.lead.id)})
    assert response.status_code == 303
    [mail] = smtp_server.received
    assert mail.envelope_to == [day.lead.email]
    assert mail.message["Subject"] == "Fractions Study: research lesson RL1 on 10 Mar"
    assert "RL1 (you observe)" in str(_ics(mail).walk("VEVENT")[0]["summary"])
    assert "Pupil C" not in mail.text + mail.html
    smtp_server.received.clear()
    client.post(f"/lessons/{day.lesson.id}/observers", data={f"watch-{day.pupils[1].id}-all": str(day.lead.id)})
    [mail] = smtp_server.received  # Otto's only pupil goes to Lena, who already observes
    assert mail.envelope_to == [day.observer2.email]
    assert mail.message["Subject"] == "Fractions Study: research lesson RL1 is no longer yours"
    assert str(_ics(mail).walk("VEVENT")[0]["status"]) == "CANCELLED"
