"""Who has a plan open, and which field each person is editing. Kept in the database (so every server
process sees it), refreshed by the page's heartbeat and on every focus change; stale after a minute."""

from __future__ import annotations

from datetime import datetime, timedelta

from ..extensions import db
from ..models import PlanPresence, ResearchLesson, User
from ..models.base import utcnow

FRESH = timedelta(seconds=60)


def touch(user: User, lesson: ResearchLesson, field_key: str, now: datetime | None = None) -> bool:
    """Record that `user` is on the page (editing `field_key`, or "" for none). Returns True when what
    others see changed (someone arrived or moved to another field), so the caller publishes."""
    now = now or utcnow()
    field_key = field_key[:60]
    row = db.session.get(PlanPresence, (lesson.id, user.id))
    changed = row is None or row.field_key != field_key or now - row.seen_at > FRESH
    if row is None:
        db.session.add(PlanPresence(lesson_id=lesson.id, user_id=user.id, field_key=field_key, seen_at=now))
    else:
        row.field_key, row.seen_at = field_key, now
    db.session.commit()
    return changed


def leave(user: User, lesson: ResearchLesson) -> None:
    row = db.session.get(PlanPresence, (lesson.id, user.id))
    if row is not None:
        db.session.delete(row)
        db.session.commit()


def present(lesson: ResearchLesson, now: datetime | None = None) -> list[PlanPresence]:
    since = (now or utcnow()) - FRESH
    return list(db.session.scalars(db.select(PlanPresence).where(
        PlanPresence.lesson_id == lesson.id, PlanPresence.seen_at >= since)))
