"""Protected time: each member's allowance for the school year (default 5 hours, set per school), the
time logged automatically (observing, teaching, covering, planning meetings, discussions) and entered by
hand.

Planning meetings: a member who saves any part of a lesson's plan on a day took part in planning it that
day; they get one planning entry (PLANNING_MINUTES) per lesson and day, however many saves they make.
One indexed look-up per save; the entry is made by the first save of the day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from .. import audit
from ..errors import DomainError
from ..extensions import db
from ..models import ResearchLesson, TimeAllowance, TimeEntry, TimeKind, User
from ..permissions import can_manage_staff

DEFAULT_MINUTES = 300
PLANNING_MINUTES = 60
MAX_MANUAL_MINUTES = 8 * 60


def school_year(on: date) -> tuple[date, date]:
    """1 September to 31 August (the English school year), the span an allowance is for."""
    start = date(on.year if on.month >= 9 else on.year - 1, 9, 1)
    return start, date(start.year + 1, 8, 31)


def allowance_minutes(user: User) -> int:
    return school_allowance_minutes(user.school_id)


def school_allowance_minutes(school_id: int | None) -> int:
    if school_id is None:
        return DEFAULT_MINUTES
    row = db.session.get(TimeAllowance, school_id)
    return row.minutes_per_year if row else DEFAULT_MINUTES


def set_allowance(actor: User, school, hours: float) -> None:
    if not can_manage_staff(actor, school):
        raise DomainError("Only the school's admins set its protected-time allowance.")
    if not 0 <= hours <= 200:
        raise DomainError("Give between 0 and 200 hours.", "hours")
    row = db.session.get(TimeAllowance, school.id) or TimeAllowance(school_id=school.id)
    before = row.minutes_per_year if row.minutes_per_year is not None else DEFAULT_MINUTES
    row.minutes_per_year = round(hours * 60)
    db.session.add(row)
    audit.record(actor, "school.time_allowance_changed", target=school.name, school_id=school.id,
                 details=f"{before / 60:g} → {row.minutes_per_year / 60:g} hours per member and year")
    db.session.commit()


def entries(user: User, today: date) -> list[TimeEntry]:
    start, end = school_year(today)
    return list(db.session.scalars(db.select(TimeEntry).where(
        TimeEntry.user_id == user.id, TimeEntry.on >= start, TimeEntry.on <= end).order_by(TimeEntry.on,
                                                                                            TimeEntry.id)))


@dataclass
class Usage:
    user: User
    used: int        # minutes
    allowance: int   # minutes

    @property
    def over(self) -> bool:
        return self.used > self.allowance

    @property
    def percent(self) -> int:
        return min(100, round(100 * self.used / self.allowance)) if self.allowance else 100


def usage(user: User, today: date) -> Usage:
    return Usage(user, sum(entry.minutes for entry in entries(user, today)), allowance_minutes(user))


def group_usage(group, today: date) -> list[Usage]:
    return [usage(member.user, today) for member in group.current_members]


def add_manual(actor: User, kind: TimeKind, minutes: int, on: date, note: str) -> TimeEntry:
    """A member logs their own time (a planning meeting, reading, a visit)."""
    if not 5 <= minutes <= MAX_MANUAL_MINUTES:
        raise DomainError(f"Give between 5 and {MAX_MANUAL_MINUTES} minutes.", "minutes")
    note = " ".join((note or "").split())
    if len(note) > 200:
        raise DomainError("At most 200 characters.", "note")
    entry = TimeEntry(user_id=actor.id, kind=kind, minutes=minutes, on=on, note=note, created_by_id=actor.id)
    db.session.add(entry)
    db.session.commit()
    return entry


def log_auto(user_id: int, lesson: ResearchLesson, kind: TimeKind, minutes: int, on: date, key: str) -> None:
    """Log time for something that happened, once (the key makes a repeat a no-op). Does not commit."""
    auto_key = f"rl{lesson.id}-{key}"[:80]
    if db.session.scalar(db.select(TimeEntry.id).where(TimeEntry.auto_key == auto_key)) is not None:
        return
    db.session.add(TimeEntry(user_id=user_id, lesson_id=lesson.id, kind=kind, minutes=minutes, on=on,
                             note=f"{lesson.group.name}, cycle {lesson.cycle.number}, {lesson.title}",
                             auto_key=auto_key))


def log_planning(user_id: int, lesson: ResearchLesson, on: date) -> None:
    """A member saved part of the plan on `on`: one planning-meeting entry per lesson and day. No commit
    (the save's own commit carries it)."""
    log_auto(user_id, lesson, TimeKind.PLANNING, PLANNING_MINUTES, on, f"plan-{user_id}-{on.isoformat()}")
