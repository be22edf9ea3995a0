"""Calendars people subscribe to (/calendar/<token>.ics), read back with a second, independent parser
(vobject): the school's zone (TZID + VTIMEZONE), UIDs unique to the installation, SEQUENCE rising with
each change, a left group's lessons CANCELLED; a reset token makes the old URL 404; another person's
token never shows your lessons; a member who has not signed sees none."""

from __future__ import annotations

from datetime import date, time, timezone

import vobject

from lsweb.extensions import db
from lsweb.groups import services as groups
from lsweb.lessonday import calendar_feed
from lsweb.models import GroupMember, Installation, Role
from lsweb.planning import lessons

from ..plans import planning_team


def schedule(team, day: date, at: time) -> None:
    lessons.update_details(team.lead, team.lesson, lessons.LessonDetails(
        date=day, start_time=at, duration_minutes=60, class_name="4B", room="Room 4", teacher_id=team.ana.id),
        team.lesson.details_version)


def subscribe(client, user) -> tuple[int, object]:
    """Fetch a person's feed as a calendar app does: no cookie, only the URL."""
    token = calendar_feed.token_for(user)
    response = client.get(f"/calendar/{token}.ics")
    if response.status_code != 200:
        return response.status_code, None
    return 200, vobject.readOne(response.get_data(as_text=True))


def events(calendar) -> list:
    return list(getattr(calendar, "vevent_list", []))


def test_the_feed_keeps_10_40_in_summer_and_winter_with_the_school_zone(client, factories):
    team = planning_team(factories)
    team.school.timezone = "Europe/London"
    db.session.commit()
    schedule(team, date(2026, 6, 10), time(10, 40))
    status, calendar = subscribe(client, team.ana)
    assert status == 200
    (event,) = events(calendar)
    start = event.dtstart.value
    assert (start.hour, start.minute) == (10, 40) and start.astimezone(timezone.utc).hour == 9
    assert event.dtstart.params["X-VOBJ-ORIGINAL-TZID"] == ["Europe/London"]  # vobject keeps the TZID here
    assert calendar.vtimezone.tzid.value == "Europe/London"
    schedule(team, date(2026, 1, 14), time(10, 40))
    (event,) = events(subscribe(client, team.ana)[1])
    assert event.dtstart.value.astimezone(timezone.utc).hour == 10


def test_a_school_in_another_zone_gets_its_own_tzid(client, factories):
    team = planning_team(factories)
    team.school.timezone = "America/New_York"
    db.session.commit()
    schedule(team, date(2026, 6, 10), time(10, 40))
    (event,) = events(subscribe(client, team.ana)[1])
    assert event.dtstart.params["X-VOBJ-ORIGINAL-TZID"] == ["America/New_York"]
    assert event.dtstart.value.astimezone(timezone.utc).hour == 14


def test_uid_is_the_installations_and_sequence_rises_with_each_change(client, factories):
    team = planning_team(factories)
    schedule(team, date(2026, 6, 10), time(10, 40))
    (first,) = events(subscribe(client, team.ana)[1])
    installation = calendar_feed.installation_uid()  # the migration's row (or, without it, the derived id)
    assert first.uid.value == f"lesson-{team.lesson.id}-{installation}@lsweb"
    schedule(team, date(2026, 6, 11), time(9, 0))
    (second,) = events(subscribe(client, team.ana)[1])
    assert second.uid.value == first.uid.value
    assert int(second.sequence.value) == int(first.sequence.value) + 1
    assert second.status.value == "CONFIRMED"


def test_without_the_installation_row_the_uid_stays_the_same_and_reading_writes_nothing(client, factories):
    team = planning_team(factories)
    schedule(team, date(2026, 6, 10), time(10, 40))
    calendar_feed.token_for(team.ana)
    db.session.execute(db.delete(Installation))
    db.session.commit()
    (first,) = events(subscribe(client, team.ana)[1])
    (again,) = events(subscribe(client, team.ana)[1])
    assert again.uid.value == first.uid.value
    assert db.session.get(Installation, 1) is None


def test_a_lesson_whose_date_is_cleared_stays_as_cancelled_at_its_last_time(client, factories):
    team = planning_team(factories)
    schedule(team, date(2026, 6, 10), time(10, 40))
    (before,) = events(subscribe(client, team.ana)[1])
    lessons.update_details(team.lead, team.lesson, lessons.LessonDetails(
        date=None, start_time=None, duration_minutes=60, class_name="4B", room="Room 4",
        teacher_id=team.ana.id), team.lesson.details_version)
    (cleared,) = events(subscribe(client, team.ana)[1])
    assert cleared.uid.value == before.uid.value and cleared.status.value == "CANCELLED"
    assert cleared.dtstart.value.strftime("%Y-%m-%d %H:%M") == "2026-06-10 10:40"
    assert int(cleared.sequence.value) > int(before.sequence.value)
    schedule(team, date(2026, 6, 17), time(9, 0))
    (again,) = events(subscribe(client, team.ana)[1])
    assert again.status.value == "CONFIRMED" and again.dtstart.value.strftime("%d %H:%M") == "17 09:00"
    assert int(again.sequence.value) > int(cleared.sequence.value)


def test_a_left_groups_lessons_stay_as_cancelled(client, factories):
    team = planning_team(factories)
    schedule(team, date(2026, 6, 10), time(10, 40))
    (before,) = events(subscribe(client, team.ben)[1])
    membership = db.session.scalar(db.select(GroupMember).where(GroupMember.user_id == team.ben.id))
    groups.remove_member(team.lead, team.group, membership)
    (after,) = events(subscribe(client, team.ben)[1])
    assert after.uid.value == before.uid.value
    assert after.status.value == "CANCELLED"
    assert int(after.sequence.value) > int(before.sequence.value)


def test_a_reset_token_makes_the_old_url_404(client, login, factories):
    team = planning_team(factories)
    old = calendar_feed.token_for(team.ana)
    assert client.get(f"/calendar/{old}.ics").status_code == 200
    login(team.ana)
    assert client.post("/me/calendar/reset").status_code == 303
    db.session.refresh(team.ana)
    assert team.ana.calendar_token != old
    assert client.get(f"/calendar/{old}.ics").status_code == 404
    assert client.get(f"/calendar/{team.ana.calendar_token}.ics").status_code == 200


def test_another_persons_token_never_shows_your_lessons(client, factories):
    team = planning_team(factories)
    schedule(team, date(2026, 6, 10), time(10, 40))
    outsider = factories.user(factories.school(), Role.TEACHER)
    status, calendar = subscribe(client, outsider)
    assert status == 200 and events(calendar) == []
    assert "Fractions study" not in client.get(f"/calendar/{outsider.calendar_token}.ics").get_data(as_text=True)


def test_a_member_who_has_not_signed_sees_no_lessons(client, factories):
    team = planning_team(factories)
    schedule(team, date(2026, 6, 10), time(10, 40))
    newcomer = factories.user(team.school, Role.TEACHER)
    groups.add_member(team.lead, team.group, newcomer.email, team.group.memberships[0].role.__class__.MEMBER)
    status, calendar = subscribe(client, newcomer)
    assert status == 200 and events(calendar) == []


def test_the_my_time_page_offers_the_subscription(client, login, factories):
    team = planning_team(factories)
    login(team.ana)
    page = client.get("/me/time").get_data(as_text=True)
    assert "Get my calendar address" in page
    client.post("/me/calendar/reset")
    page = client.get("/me/time").get_data(as_text=True)
    db.session.refresh(team.ana)
    assert f"/calendar/{team.ana.calendar_token}.ics" in page


def test_an_open_house_visit_is_in_the_visitors_feed_and_cancelling_keeps_it_cancelled(client, factories):
    from datetime import timedelta

    from lsweb.sharing import openhouse

    from ..sharing_setup import other_school_teacher, written_summary

    team = written_summary(factories)
    team.lesson.date, team.lesson.start_time = date.today() + timedelta(days=3), time(10, 40)
    db.session.commit()
    house = openhouse.save(team.lead, team.lesson, 5, "Watch the strips.", "")
    visitor = other_school_teacher(factories)
    openhouse.register(visitor, house)
    (visit,) = events(subscribe(client, visitor)[1])
    assert visit.summary.value.startswith("Open-house visit:") and visit.status.value == "CONFIRMED"
    start = visit.dtstart.value
    assert (start.hour, start.minute) == (10, 40)
    openhouse.cancel(visitor, house)
    (cancelled,) = events(subscribe(client, visitor)[1])
    assert cancelled.uid.value == visit.uid.value and cancelled.status.value == "CANCELLED"
    assert int(cancelled.sequence.value) > int(visit.sequence.value)


def test_unsigned_members_see_no_lesson_in_either_calendar_as_on_the_pages(client, login, factories):
    """/me/calendar.ics and the subscribed feed follow the pages' rule: a newcomer who has not signed, and a
    member after an amendment they have not signed yet, are sent to sign there, and see no lesson here."""
    from lsweb.models import GroupRole
    from lsweb.protocol import services as protocol

    team = planning_team(factories)
    schedule(team, date(2026, 6, 10), time(10, 40))
    newcomer = factories.user(team.school, Role.TEACHER)
    groups.add_member(team.lead, team.group, newcomer.email, GroupRole.MEMBER)
    login(newcomer)
    assert client.get(f"/lessons/{team.lesson.id}").status_code in (302, 303)   # the page: sign first
    mine = client.get("/me/calendar.ics")
    assert mine.status_code == 200 and events(vobject.readOne(mine.get_data(as_text=True))) == []
    assert team.lesson.title not in mine.get_data(as_text=True)
    # Ana had signed; the protocol is amended and she has not signed again yet.
    assert len(events(subscribe(client, team.ana)[1])) == 1
    protocol.amend(team.lead, team.group, "An amended protocol text.", protocol.current_version(team.group).number)
    login(team.ana)
    assert client.get(f"/lessons/{team.lesson.id}").status_code in (302, 303)
    assert events(vobject.readOne(client.get("/me/calendar.ics").get_data(as_text=True))) == []
    assert events(subscribe(client, team.ana)[1]) == []
