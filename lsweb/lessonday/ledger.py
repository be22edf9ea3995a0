"""Protected time: each member's allowance for the school year (default 5 hours, set per school), the
time logged automatically (observing, teaching, covering, discussions), planning meetings the
facilitator records for a lesson (each member who was there gets the meeting's minutes), and what a
member enters by hand. A member corrects or removes their own entries (audited). Each entry names the
group it was for: a group's hours count only its own entries; a member's allowance counts all of theirs.
Typing into a plan logs nothing: a few keystrokes are not a meeting.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from .. import audit
from ..errors import DomainError, NotAllowed
from ..extensions import db
from ..models import ResearchLesson, StudyGroup, TimeAllowance, TimeEntry, TimeKind, User
from ..permissions import can_manage_staff, is_facilitator, is_member

DEFAULT_MINUTES = 300
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
        TimeEntry.user_id == user.id, TimeEntry.on >= start, TimeEntry.on <= end,
        TimeEntry.minutes > 0).order_by(TimeEntry.on,
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


@dataclass
class GroupUsage:
    usage: Usage     # the member's whole year, against their allowance
    in_group: int    # minutes for this group


def group_usage(group, today: date) -> list[GroupUsage]:
    """Each current member's time for this group this school year, beside their whole year."""
    start, end = school_year(today)
    members = [member.user for member in group.current_members]
    rows = db.session.execute(db.select(TimeEntry.user_id, db.func.sum(TimeEntry.minutes)).where(
        TimeEntry.group_id == group.id, TimeEntry.on >= start, TimeEntry.on <= end,
        TimeEntry.user_id.in_([u.id for u in members])).group_by(TimeEntry.user_id)).all()
    mine = {user_id: int(total or 0) for user_id, total in rows}
    return [GroupUsage(usage(user, today), mine.get(user.id, 0)) for user in members]


def _check_entry(minutes: int, note: str) -> str:
    if not 5 <= minutes <= MAX_MANUAL_MINUTES:
        raise DomainError(f"Give between 5 and {MAX_MANUAL_MINUTES} minutes.", "minutes")
    note = " ".join((note or "").split())
    if len(note) > 200:
        raise DomainError("At most 200 characters.", "note")
    return note


def _describe(entry: TimeEntry) -> str:
    return f"{entry.kind.label}, {entry.on.isoformat()}, {entry.minutes} min" + (f", {entry.note}" if entry.note else "")


def add_manual(actor: User, kind: TimeKind, minutes: int, on: date, note: str,
               group: StudyGroup | None = None) -> TimeEntry:
    """A member logs their own time (a planning meeting, reading, a visit), for one of their groups or none."""
    note = _check_entry(minutes, note)
    if group is not None and not is_member(actor, group):
        raise DomainError("Choose one of your own groups.", "group_id")
    entry = TimeEntry(user_id=actor.id, kind=kind, minutes=minutes, on=on, note=note, created_by_id=actor.id,
                      group_id=group.id if group is not None else None)
    db.session.add(entry)
    db.session.commit()
    return entry


def own_entry(actor: User, entry_id: int) -> TimeEntry | None:
    """One of the member's own entries (None for anyone else's: they are not shown to others either)."""
    entry = db.session.get(TimeEntry, entry_id)
    return entry if entry is not None and entry.user_id == actor.id else None


def change_entry(actor: User, entry: TimeEntry, minutes: int, on: date, note: str) -> None:
    """A member corrects one of their own entries (one lsweb logged too): audited with before and after."""
    if entry.user_id != actor.id:
        raise DomainError("Only the member whose time it is corrects an entry.")
    note = _check_entry(minutes, note)
    before = _describe(entry)
    entry.minutes, entry.on, entry.note = minutes, on, note
    audit.record(actor, "time.entry_changed", target=actor.display_name, details=f"{before} → {_describe(entry)}")
    db.session.commit()


def remove_entry(actor: User, entry: TimeEntry) -> None:
    """A member removes a wrong entry of their own (audited). An automatic entry removed stays removed:
    its key is kept on a zero-minute tombstone so the same event does not log it again."""
    if entry.user_id != actor.id:
        raise DomainError("Only the member whose time it is removes an entry.")
    audit.record(actor, "time.entry_removed", target=actor.display_name, details=_describe(entry))
    if entry.auto_key:
        entry.minutes, entry.note = 0, "removed by the member"
    else:
        db.session.delete(entry)
    db.session.commit()


def log_planning_meeting(actor: User, lesson: ResearchLesson, on: date, minutes: int,
                         attendee_ids: list[int]) -> int:
    """The facilitator records a planning meeting for the lesson: each current member who was there gets
    its minutes (once per member, lesson and day). Returns how many entries were made."""
    if not is_facilitator(actor, lesson.group):
        raise NotAllowed("The group's facilitator records its planning meetings.")
    _check_entry(minutes, "")
    members = {m.user_id for m in lesson.group.current_members}
    chosen = [user_id for user_id in dict.fromkeys(attendee_ids) if user_id in members]
    if not chosen:
        raise DomainError("Tick who was at the meeting.", "attendees")
    made = 0
    for user_id in chosen:
        made += log_auto(user_id, lesson, TimeKind.PLANNING, minutes, on, f"planmeet-{user_id}-{on.isoformat()}")
    audit.record(actor, "time.planning_meeting", target=lesson.group.name, school_id=lesson.group.school_id,
                 details=f"{lesson.title}, {on.isoformat()}, {minutes} min, {len(chosen)} members")
    db.session.commit()
    return made


def log_auto(user_id: int, lesson: ResearchLesson, kind: TimeKind, minutes: int, on: date, key: str) -> int:
    """Log time for something that happened, once (the key makes a repeat a no-op). Does not commit.
    Returns 1 when an entry was made."""
    auto_key = f"rl{lesson.id}-{key}"[:80]
    if db.session.scalar(db.select(TimeEntry.id).where(TimeEntry.auto_key == auto_key)) is not None:
        return 0
    db.session.add(TimeEntry(user_id=user_id, lesson_id=lesson.id, group_id=lesson.cycle.group_id, kind=kind,
                             minutes=minutes, on=on,
                             note=f"{lesson.group.name}, cycle {lesson.cycle.number}, {lesson.title}",
                             auto_key=auto_key))
    return 1
