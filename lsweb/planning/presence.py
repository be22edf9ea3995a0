"""Who has a co-edited page open (a plan, a cycle summary), and which box each person is editing. Kept
in the database (so every server process sees it), refreshed by the page's heartbeat and on every focus
change; stale after a minute. A presence model has its page's id as the first part of its primary key
(PlanPresence: lesson_id; SummaryPresence: summary_id), then user_id, field_key and seen_at."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import joinedload

from .. import live
from ..extensions import db
from ..models import PlanPresence, ResearchLesson, User
from ..models.base import utcnow
from ..channels import LESSON

FRESH = timedelta(seconds=60)


def _scope(model):
    return model.__table__.primary_key.columns.values()[0]


def touch_in(model, page_id: int, user: User, field_key: str, now: datetime | None = None,
             changed_event: tuple[str, dict] | None = None) -> bool:
    """Record that `user` is on the page (editing `field_key`, or "" for none). Returns True when what
    others see changed (someone arrived or moved to another box); then `changed_event` (channel, data)
    gets "presence-changed" after the commit."""
    now = now or utcnow()
    field_key = field_key[:60]
    row = db.session.get(model, (page_id, user.id))
    changed = row is None or row.field_key != field_key or now - row.seen_at > FRESH
    if row is None:
        db.session.add(model(**{_scope(model).name: page_id}, user_id=user.id, field_key=field_key, seen_at=now))
    else:
        row.field_key, row.seen_at = field_key, now
    if changed and changed_event is not None:
        live.queue(db.session, changed_event[0], "presence-changed", changed_event[1])
    db.session.commit()
    return changed


def leave_in(model, page_id: int, user: User, changed_event: tuple[str, dict] | None = None) -> None:
    row = db.session.get(model, (page_id, user.id))
    if row is not None:
        db.session.delete(row)
        if changed_event is not None:
            live.queue(db.session, changed_event[0], "presence-changed", changed_event[1])
        db.session.commit()


def present_in(model, page_id: int, now: datetime | None = None) -> list:
    since = (now or utcnow()) - FRESH
    return list(db.session.scalars(db.select(model).options(joinedload(model.user)).where(
        _scope(model) == page_id, model.seen_at >= since)))


# --- a plan's page --------------------------------------------------------------------------------------

def touch(user: User, lesson: ResearchLesson, field_key: str, now: datetime | None = None) -> bool:
    return touch_in(PlanPresence, lesson.id, user, field_key, now, _changed(lesson))


def leave(user: User, lesson: ResearchLesson) -> None:
    leave_in(PlanPresence, lesson.id, user, _changed(lesson))


def _changed(lesson: ResearchLesson) -> tuple[str, dict]:
    return LESSON.name(lesson.id), {"lesson": lesson.id}


def present(lesson: ResearchLesson, now: datetime | None = None) -> list[PlanPresence]:
    return present_in(PlanPresence, lesson.id, now)
