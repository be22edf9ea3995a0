"""The e-mail when a research lesson is scheduled, moved or cancelled: to whoever teaches or observes
it (lsweb/mail/notify.py decides who wants it), with the lesson as an .ics attached."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time

from ..extensions import db
from ..models import ResearchLesson, User
from ..models.base import utcnow


@dataclass(frozen=True)
class Slot:
    """What the e-mail is about: when and where, and who takes part."""
    date: date | None
    start_time: time | None
    room: str
    people: frozenset[int]

    @property
    def scheduled(self) -> bool:
        return self.date is not None and self.start_time is not None


def slot_of(lesson: ResearchLesson) -> Slot:
    from ..lessonday.cover import participants

    return Slot(lesson.date, lesson.start_time, lesson.room, frozenset(participants(lesson)))


def tell_change(actor: User, lesson: ResearchLesson, before: Slot) -> None:
    """Compare the lesson with `before` and queue the e-mails (the caller commits)."""
    db.session.flush()  # the lesson's calendar slot is kept at the flush
    after = slot_of(lesson)
    if after.scheduled and not before.scheduled:
        _send(actor, lesson, after.people, "scheduled")
    elif before.scheduled and not after.scheduled:
        _send(actor, lesson, before.people, "cancelled")
    elif after.scheduled:
        moved = (before.date, before.start_time, before.room) != (after.date, after.start_time, after.room)
        if moved:
            _send(actor, lesson, after.people & before.people, "moved")
        _send(actor, lesson, after.people - before.people, "scheduled")  # e.g. a new teacher
        _send(actor, lesson, before.people - after.people, "cancelled", for_them=True)


def _send(actor: User, lesson: ResearchLesson, people, what: str, for_them: bool = False) -> None:
    from ..lessonday.calendar_feed import lesson_invitation
    from ..mail import absolute_url
    from ..mail.notify import notify
    from ..timezones import zone_of

    if not people:
        return
    users = list(db.session.scalars(db.select(User).where(User.id.in_(people)).order_by(User.id)))
    group = lesson.group
    cancelled = what == "cancelled"
    now = utcnow()
    when = ""
    if not cancelled:
        when = f"{lesson.date:%A %-d %B %Y} at {lesson.start_time:%H:%M} ({zone_of(group.school).key})"
    subjects = {"scheduled": f"{group.name}: research lesson {lesson.title} on {lesson.date:%-d %b}"
                             if not cancelled else "",
                "moved": f"{group.name}: research lesson {lesson.title} moved to "
                         f"{lesson.date:%-d %b} at {lesson.start_time:%H:%M}" if not cancelled else "",
                "cancelled": f"{group.name}: research lesson {lesson.title} "
                             f"{'is no longer yours' if for_them else 'is cancelled'}"}
    notify("lesson_changed", users, actor, subjects[what], group.school,
           attachment=lambda person: (f"{group.name} {lesson.title}.ics"[:100], "text/calendar",
                                      lesson_invitation(lesson, person, cancelled or for_them, now)),
           what=what, for_them=for_them, actor_name=actor.display_name, group_name=group.name,
           title=lesson.title, when=when, room=lesson.room, duration=lesson.duration_minutes,
           link=absolute_url("planning.plan", lesson_id=lesson.id))
