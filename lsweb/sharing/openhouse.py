"""Open-house lessons: a group opens a research lesson to observers from other schools. The invitation is
in the library; registration has a cap; registered visitors get a briefing pack (the focus, the case
pupils, what to watch, the guests' part of the protocol) and become guests of that lesson's board (its
guests' section only: lsweb/discussion). Nothing else of the group opens to them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask import abort
from sqlalchemy import or_

from .. import audit
from ..discussion import services as board
from ..errors import DomainError, NotAllowed
from ..extensions import db
from ..models import OpenHouse, OpenHouseRegistration, ResearchLesson, StudyGroup, User
from ..models.base import utcnow
from ..permissions import has_signed_current, is_facilitator, is_member

MAX_CAPACITY = 60
MAX_TEXT = 3000
DEFAULT_GUESTS_PART = ("Guests observe the case pupils' learning, never the teacher. Note what pupils do and "
                       "say, with the time. Keep what you see and hear inside the lesson study: no photos, no "
                       "names. Add your observations to the guests' section of the lesson's board.")


def open_house_of(lesson: ResearchLesson) -> OpenHouse | None:
    return db.session.scalar(db.select(OpenHouse).where(OpenHouse.lesson_id == lesson.id))


def save(user: User, lesson: ResearchLesson, capacity: int, what_to_watch: str, guests_part: str,
         now: datetime | None = None) -> OpenHouse:
    group = lesson.cycle.group
    if not is_facilitator(user, group) or not has_signed_current(user, group):
        raise NotAllowed("The facilitator opens a lesson to visitors.")
    if not 1 <= capacity <= MAX_CAPACITY:
        raise DomainError(f"Places: between 1 and {MAX_CAPACITY}.", "capacity")
    if len(what_to_watch or "") > MAX_TEXT or len(guests_part or "") > MAX_TEXT:
        raise DomainError(f"At most {MAX_TEXT:,} characters per text.")
    house = open_house_of(lesson)
    if house is None:
        house = OpenHouse(lesson_id=lesson.id, group_id=group.id, created_by_id=user.id, created_at=now or utcnow())
        db.session.add(house)
    elif capacity < len(registrations(house)):
        raise DomainError("More visitors have registered than that: the number of places cannot go below them.",
                          "capacity")
    house.capacity, house.closed_at = capacity, None
    house.what_to_watch = (what_to_watch or "").strip()
    house.guests_part = (guests_part or "").strip() or DEFAULT_GUESTS_PART
    audit.record(user, "openhouse.opened", target=group.name, details=f"RL{lesson.number}: {capacity} places",
                 school_id=group.school_id)
    db.session.commit()
    return house


def close(user: User, house: OpenHouse, now: datetime | None = None) -> None:
    if not is_facilitator(user, house.group):
        raise NotAllowed("The facilitator closes registration.")
    house.closed_at = now or utcnow()
    db.session.commit()


def registrations(house: OpenHouse) -> list[OpenHouseRegistration]:
    return list(db.session.scalars(db.select(OpenHouseRegistration).where(
        OpenHouseRegistration.open_house_id == house.id, OpenHouseRegistration.cancelled_at.is_(None))
        .order_by(OpenHouseRegistration.id)))


def registration_of(user: User, house: OpenHouse) -> OpenHouseRegistration | None:
    if not user.is_authenticated:
        return None
    return db.session.scalar(db.select(OpenHouseRegistration).where(
        OpenHouseRegistration.open_house_id == house.id, OpenHouseRegistration.user_id == user.id,
        OpenHouseRegistration.cancelled_at.is_(None)))


def places_left(house: OpenHouse) -> int:
    return max(0, house.capacity - len(registrations(house)))


def has_taken_place(house: OpenHouse, today: date | None = None) -> bool:
    """Registration ends when the lesson's day is over (a lesson with no date yet stays open)."""
    return house.lesson.date is not None and house.lesson.date < (today or date.today())


def is_open(house: OpenHouse, today: date | None = None) -> bool:
    return house.closed_at is None and not has_taken_place(house, today)


def open_houses(today: date | None = None) -> list[OpenHouse]:
    """Invitations open for registration, soonest lesson first (everyone signed in sees them); closed ones and
    those whose lesson has taken place are no longer listed."""
    upcoming = or_(ResearchLesson.date.is_(None), ResearchLesson.date >= (today or date.today()))
    return list(db.session.scalars(db.select(OpenHouse).join(ResearchLesson)
                                   .where(OpenHouse.closed_at.is_(None), upcoming)
                                   .order_by(ResearchLesson.date, OpenHouse.id)))


def open_houses_listed(today: date | None = None) -> list:
    """The open houses of `open_houses` as the library lists them, in one query: rows with the house's
    id, its group's name, its lesson's number and date, and the places left."""
    upcoming = or_(ResearchLesson.date.is_(None), ResearchLesson.date >= (today or date.today()))
    taken = (db.select(db.func.count(OpenHouseRegistration.id))
             .where(OpenHouseRegistration.open_house_id == OpenHouse.id, OpenHouseRegistration.cancelled_at.is_(None))
             .scalar_subquery())
    rows = db.session.execute(
        db.select(OpenHouse.id, StudyGroup.name.label("group_name"), ResearchLesson.number.label("lesson_number"),
                  ResearchLesson.date.label("lesson_date"), OpenHouse.capacity, taken.label("taken"))
        .join(ResearchLesson, ResearchLesson.id == OpenHouse.lesson_id)
        .join(StudyGroup, StudyGroup.id == OpenHouse.group_id)
        .where(OpenHouse.closed_at.is_(None), upcoming)
        .order_by(ResearchLesson.date, OpenHouse.id)).all()
    return [Listed(row.id, row.group_name, row.lesson_number, row.lesson_date, max(0, row.capacity - row.taken))
            for row in rows]


@dataclass(frozen=True)
class Listed:
    id: int
    group_name: str
    lesson_number: int
    lesson_date: date | None
    places_left: int


def open_house_or_404(user: User, house_id: int) -> OpenHouse:
    house = db.session.get(OpenHouse, house_id)
    if house is None or not user.is_authenticated or (house.closed_at is not None and not can_brief(user, house)):
        abort(404)
    return house


def can_brief(user: User, house: OpenHouse) -> bool:
    return registration_of(user, house) is not None or (is_member(user, house.group)
                                                         and has_signed_current(user, house.group))


def register(user: User, house: OpenHouse, now: datetime | None = None) -> OpenHouseRegistration:
    group = house.group
    if is_member(user, group):
        raise DomainError("You are a member of the group: you take part already.")
    if has_taken_place(house):
        raise DomainError("This lesson has taken place: registration is closed.")
    if not is_open(house):
        raise DomainError("Registration for this open-house lesson is closed.")
    if _removed_by_facilitator(house, user):
        raise DomainError("The group's facilitator has removed you from this lesson's guests: ask them if you "
                          "would like to come.")
    existing = registration_of(user, house)
    if existing is not None:
        return existing
    if places_left(house) <= 0:
        raise DomainError(f"All {house.capacity} places are taken.")
    row = db.session.scalar(db.select(OpenHouseRegistration).where(
        OpenHouseRegistration.open_house_id == house.id, OpenHouseRegistration.user_id == user.id))
    if row is None:
        row = OpenHouseRegistration(open_house_id=house.id, user_id=user.id)
        db.session.add(row)
    row.cancelled_at, row.registered_at = None, now or utcnow()
    db.session.flush()
    if len(registrations(house)) > house.capacity:  # two registrations at once for the last place
        db.session.rollback()
        raise DomainError(f"All {house.capacity} places are taken.")
    _make_guest(house, user)
    audit.record(user, "openhouse.registered", target=group.name, details=f"RL{house.lesson.number}",
                 school_id=group.school_id)
    db.session.commit()
    return row


def _removed_by_facilitator(house: OpenHouse, user: User) -> bool:
    from ..models import BoardGuest

    return bool(db.session.scalar(db.select(BoardGuest.removed_by_facilitator).where(
        BoardGuest.lesson_id == house.lesson_id, BoardGuest.user_id == user.id)))


def _make_guest(house: OpenHouse, user: User) -> None:
    """Registered visitors become guests of the lesson's board (as if the facilitator invited them)."""
    from ..models import BoardGuest

    guest = db.session.scalar(db.select(BoardGuest).where(BoardGuest.lesson_id == house.lesson_id,
                                                          BoardGuest.user_id == user.id))
    if guest is None:
        guest = BoardGuest(lesson_id=house.lesson_id, user_id=user.id, invited_by_id=house.created_by_id)
        db.session.add(guest)
    guest.removed_at = None


def cancel(user: User, house: OpenHouse, now: datetime | None = None) -> None:
    row = registration_of(user, house)
    if row is None:
        raise DomainError("You are not registered.")
    row.cancelled_at = now or utcnow()
    guest = board.guest_of(user, house.lesson)
    if guest is not None:
        guest.removed_at = row.cancelled_at
    db.session.commit()


def briefing(house: OpenHouse) -> dict:
    lesson, group = house.lesson, house.group
    return {"group": group, "lesson": lesson, "focus": group.focus_sentence, "pupils": list(lesson.cycle.pupils),
            "what_to_watch": house.what_to_watch, "guests_part": house.guests_part or DEFAULT_GUESTS_PART}
