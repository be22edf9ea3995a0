"""Calendars people subscribe to: each person's private feed (/calendar/<token>.ics) with the research
lessons they teach, observe or whose group they belong to. Times carry the school's zone (TZID, with a
VTIMEZONE), each event's UID is unique to the installation, SEQUENCE rises with every change of the
lesson's details, and the lessons of a group the person has left stay in the feed as CANCELLED, so a
subscribed calendar removes them instead of keeping a stale event."""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta

from flask import current_app
from icalendar import Calendar, Event, Timezone

from .. import access
from ..extensions import db
from ..models import (Cycle, GroupMember, Installation, OpenHouse, OpenHouseRegistration, ResearchLesson,
                      User)
from ..timezones import zone_of

TOKEN_BYTES = 32


def token_for(user: User) -> str:
    """The person's feed token, made on first use."""
    if not user.calendar_token:
        user.calendar_token = secrets.token_urlsafe(TOKEN_BYTES)
        db.session.commit()
    return user.calendar_token


def reset_token(user: User) -> str:
    """A new secret: the old feed URL stops working at once (404)."""
    user.calendar_token = secrets.token_urlsafe(TOKEN_BYTES)
    db.session.commit()
    return user.calendar_token


def person_for(token: str) -> User | None:
    if not token or len(token) > 64:
        return None
    user = db.session.scalar(db.select(User).where(User.calendar_token == token))
    if user is None or not user.active or not secrets.compare_digest(user.calendar_token, token):
        return None
    return user


def installation_uid() -> str:
    """Made by the migration that added it. A database emptied by hand has no row: the UID is then
    derived from the secret key, so it stays the same from feed to feed and a GET never writes."""
    row = db.session.get(Installation, 1)
    if row is None:
        import hashlib
        import hmac
        import uuid

        key = str(current_app.config["SECRET_KEY"]).encode()
        return str(uuid.UUID(bytes=hmac.digest(key, b"lsweb calendar uid", hashlib.sha256)[:16], version=4))
    return row.uid


def _role(lesson: ResearchLesson, user: User) -> str:
    from .cover import participants

    return {"teaches": "you teach", "observes": "you observe"}.get(participants(lesson).get(user.id, ""),
                                                                 "your group")


def feed(user: User, now: datetime) -> bytes:
    """The person's calendar. Lessons of their current groups that they may see (a member who has not
    signed the group's protocol sees none); lessons of groups they left, as cancelled events."""
    from .cover import cover_entries

    calendar = _calendar()
    calendar.add("x-wr-calname", "Research lessons")
    calendar.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    uid_suffix = installation_uid()
    zones: dict[str, list[date]] = {}
    events = []
    rows = db.session.execute(
        db.select(ResearchLesson, GroupMember.left_at)
        .join(Cycle, Cycle.id == ResearchLesson.cycle_id)
        .join(GroupMember, GroupMember.group_id == Cycle.group_id)
        .where(GroupMember.user_id == user.id, ResearchLesson.calendar_date.is_not(None))
        .order_by(ResearchLesson.calendar_date, ResearchLesson.calendar_start))
    for lesson, left_at in rows:
        # Cancelled: the person left the group, or the lesson's date or time was cleared (its last slot).
        cancelled = left_at is not None or lesson.date is None or lesson.start_time is None
        if not access.of_lesson(user, lesson).sees_material and left_at is None:  # signed members only
            continue
        event = _lesson_event(lesson, user, uid_suffix, cancelled, now, zones)
        if not cancelled:
            covers = [e.class_name for e in cover_entries(lesson) if e.user_id == user.id]
            description = f"Class {lesson.class_name}." if lesson.class_name else ""
            if covers:
                description += " Cover needed for: " + ", ".join(covers) + "."
            event.add("description", description.strip())
        events.append(event)
    visits = db.session.execute(
        db.select(ResearchLesson, OpenHouseRegistration.cancelled_at, OpenHouse.id)
        .join(OpenHouse, OpenHouse.lesson_id == ResearchLesson.id)
        .join(OpenHouseRegistration, OpenHouseRegistration.open_house_id == OpenHouse.id)
        .where(OpenHouseRegistration.user_id == user.id, ResearchLesson.calendar_date.is_not(None)))
    for lesson, cancelled_at, house_id in visits:
        # A visitor from another school: the open-house lesson they registered for (cancelled: CANCELLED).
        cancelled = cancelled_at is not None or lesson.date is None or lesson.start_time is None
        event = _timed_event(lesson, f"open-house-{house_id}-{uid_suffix}@lsweb", cancelled, now, zones)
        where = ", ".join(x for x in (lesson.room, lesson.group.school.name) if x)
        event.add("summary", f"{'Cancelled: ' if cancelled else ''}Open-house visit: {lesson.group.name}, "
                             f"research lesson {lesson.title}")
        event.add("location", where)
        events.append(event)
    for name, days in zones.items():
        calendar.add_component(_vtimezone(name, min(days), max(days)))
    for event in events:
        calendar.add_component(event)
    return calendar.to_ical()


def _calendar() -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", "-//lsweb//Lesson Study//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    return calendar


def _lesson_event(lesson: ResearchLesson, user: User, uid_suffix: str, cancelled: bool, now: datetime,
                  zones: dict) -> Event:
    """A member's research lesson: its summary says their part in it, or that it is cancelled."""
    event = _timed_event(lesson, f"lesson-{lesson.id}-{uid_suffix}@lsweb", cancelled, now, zones)
    if cancelled:
        event.add("summary", f"Cancelled: {lesson.group.name}: research lesson {lesson.title}")
    else:
        event.add("summary", f"{lesson.group.name}: research lesson {lesson.title} ({_role(lesson, user)})")
        if lesson.room:
            event.add("location", lesson.room)
    return event


def _timed_event(lesson: ResearchLesson, uid: str, cancelled: bool, now: datetime, zones: dict) -> Event:
    """An event at the lesson's time in its school's zone (noted in `zones` for the VTIMEZONEs). Every
    saved change of the details bumps details_version (clearing the date is one); leaving the group or
    cancelling a visit is one more change."""
    zone = zone_of(lesson.group.school)
    day, at = lesson.calendar_date, lesson.calendar_start  # the lesson's slot, or its last one
    zones.setdefault(zone.key, []).append(day)
    start = datetime.combine(day, at).replace(tzinfo=zone)
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", now)
    event.add("dtstart", start)
    event.add("dtend", start + timedelta(minutes=lesson.duration_minutes))
    unscheduled = lesson.date is None or lesson.start_time is None  # counted in details_version already
    event.add("sequence", lesson.details_version - 1 + (1 if cancelled and not unscheduled else 0))
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    return event


def _vtimezone(name: str, first: date, last: date) -> Timezone:
    """The zone's definition for the years around the feed's lessons: a few exact transitions, which
    every calendar reads the same way (decades of RDATE lists are misread by some)."""
    from zoneinfo import ZoneInfo

    return Timezone.from_tzinfo(ZoneInfo(name), tzid=name, first_date=date(first.year - 1, 1, 1),
                                last_date=date(last.year + 2, 1, 1))


def lesson_invitation(lesson: ResearchLesson, user: User, cancelled: bool, now: datetime) -> str:
    """One lesson as an .ics for an e-mail: the same UID and SEQUENCE as the person's feed, so a
    calendar that has both keeps one event (and removes it when cancelled)."""
    calendar = _calendar()
    zones: dict[str, list[date]] = {}
    event = _lesson_event(lesson, user, installation_uid(), cancelled, now, zones)
    for name, days in zones.items():
        calendar.add_component(_vtimezone(name, min(days), max(days)))
    calendar.add_component(event)
    return calendar.to_ical().decode()
