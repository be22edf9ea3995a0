"""Notification e-mails: the kinds, each person's choices (their account's Notifications page), and
one call that queues a kind's message to the people concerned. Never to the person whose action caused
it, never to a deactivated account, never a kind the person turned off. Like every message, it holds no
pupil data: group names, lesson titles (RL1), rooms and times, and a link to the page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from ..extensions import db
from ..models import NotificationChoice, School, User
from . import absolute_url, queue_mail


@dataclass(frozen=True)
class Kind:
    key: str
    label: str
    description: str
    default: bool


KINDS = {kind.key: kind for kind in (
    Kind("group_added", "Added to a group", "When a facilitator adds you to a lesson study group.", True),
    Kind("protocol_to_sign", "Protocol to sign",
         "When a group's protocol is amended and waits for your signature.", True),
    Kind("lesson_changed", "Research lesson scheduled, moved or cancelled",
         "For lessons you teach or observe, with the calendar event attached (.ics).", True),
    Kind("lesson_reminder", "The day before a research lesson",
         "A reminder the day before a lesson you teach or observe.", True),
    Kind("board_digest", "New posts on lesson boards",
         "One digest a day of new posts on the boards of lessons you were in.", False),
    Kind("study_published", "A study of your school is published",
         "When a group publishes a study of your school to the library.", True),
)}


def choices_of(user: User) -> dict[str, bool]:
    """kind -> on/off for this person: their choice, or the kind's default."""
    chosen = dict(db.session.execute(db.select(NotificationChoice.kind, NotificationChoice.enabled)
                                     .where(NotificationChoice.user_id == user.id)).all())
    return {key: chosen.get(key, kind.default) for key, kind in KINDS.items()}


def set_choices(user: User, enabled: Iterable[str]) -> None:
    """Keep the person's choices (every kind not in `enabled` is off). The caller commits."""
    enabled = set(enabled)
    existing = {row.kind: row for row in db.session.scalars(
        db.select(NotificationChoice).where(NotificationChoice.user_id == user.id))}
    for key in KINDS:
        row = existing.get(key)
        if row is None:
            db.session.add(NotificationChoice(user_id=user.id, kind=key, enabled=key in enabled))
        else:
            row.enabled = key in enabled


def wants(user: User, kind: str) -> bool:
    if not user.active or not user.email:
        return False
    row = db.session.get(NotificationChoice, (user.id, kind))
    return row.enabled if row is not None else KINDS[kind].default


def notify(kind: str, people: Iterable[User | None], actor: User | None, subject: str, school: School | None,
           attachment=None, **context) -> list[User]:
    """Queue `kind`'s message (templates/mail/<kind>.txt/.html) to each of `people` who wants it, in the
    caller's transaction. `attachment` may be a function of the person (their own .ics)."""
    people = [p for p in people if p is not None and (actor is None or p.id != actor.id) and p.active and p.email]
    chosen = dict(db.session.execute(db.select(NotificationChoice.user_id, NotificationChoice.enabled).where(
        NotificationChoice.kind == kind, NotificationChoice.user_id.in_({p.id for p in people}))).all()) if people else {}
    context.setdefault("settings_link", absolute_url("auth.notifications"))
    sent, seen = [], set()
    for person in people:
        if person.id in seen or not chosen.get(person.id, KINDS[kind].default):
            continue
        seen.add(person.id)
        queue_mail(kind, person, kind, subject, school=school,
                   attachment=attachment(person) if callable(attachment) else attachment, **context)
        sent.append(person)
    return sent
