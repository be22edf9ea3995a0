"""The periodic notification e-mails (lsweb/mail/tasks.py runs them every hour): the reminder the day
before a research lesson, and the digest of new posts on the boards of one's lessons. Each is recorded
in notification_sent in the transaction that queues it, so it is never sent twice. With mail off they
queue nothing (and record nothing: switching mail on later does not send a backlog)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import NotificationSent, ResearchLesson, User
from ..timezones import zone_of
from . import absolute_url, mail_is_on
from .notify import wants

REMINDER_HOUR = 7  # the day before, from 07:00 at the school


def _already(user_id: int, kind: str, key: str) -> bool:
    return db.session.scalar(db.select(NotificationSent.id).where(
        NotificationSent.user_id == user_id, NotificationSent.kind == kind, NotificationSent.key == key)) is not None


def send_reminders(now: datetime) -> int:
    """Queue the reminder for each person who teaches or observes a lesson tomorrow (the school's
    tomorrow), once per person, lesson and date. Returns how many were queued."""
    from ..lessonday.cover import participants
    from . import queue_mail

    if not mail_is_on():
        return 0
    day = now.date()
    lessons = list(db.session.scalars(db.select(ResearchLesson).where(
        ResearchLesson.date.between(day, day + timedelta(days=2)), ResearchLesson.start_time.is_not(None))
        .order_by(ResearchLesson.id)))
    queued = 0
    for lesson in lessons:
        group = lesson.group
        zone = zone_of(group.school)
        local = now.astimezone(zone)
        if lesson.date != local.date() + timedelta(days=1) or local.hour < REMINDER_HOUR:
            continue
        key = f"lesson-{lesson.id}-{lesson.date.isoformat()}"
        roles = participants(lesson)
        members = {m.user_id for m in group.current_members}
        for user_id, role in sorted(roles.items()):
            person = db.session.get(User, user_id)
            if user_id not in members or not wants(person, "lesson_reminder") or _already(
                    user_id, "lesson_reminder", key):
                continue
            db.session.add(NotificationSent(user_id=user_id, kind="lesson_reminder", key=key, sent_at=now))
            queue_mail("lesson_reminder", person, "lesson_reminder",
                       f"Tomorrow: {group.name}, research lesson {lesson.title} at {lesson.start_time:%H:%M}",
                       school=group.school, group_name=group.name, title=lesson.title,
                       when=f"{lesson.date:%A %-d %B %Y} at {lesson.start_time:%H:%M} ({zone.key})",
                       duration=lesson.duration_minutes, room=lesson.room,
                       role="you teach" if role == "teaches" else "you observe",
                       link=absolute_url("planning.plan", lesson_id=lesson.id),
                       settings_link=absolute_url("auth.notifications"))
            queued += 1
        try:
            db.session.commit()
        except IntegrityError:  # another worker sent these at the same moment
            db.session.rollback()
    return queued


DIGEST_KEY = "board-digest"
DIGEST_EVERY = timedelta(hours=23)  # daily, on the hourly run
FIRST_DIGEST_LOOKS_BACK = timedelta(hours=24)


def _digest_readers() -> list[User]:
    from ..models import NotificationChoice
    from .notify import KINDS

    query = db.select(User).where(User.active.is_(True))
    chosen = db.select(NotificationChoice.user_id).where(NotificationChoice.kind == "board_digest")
    if KINDS["board_digest"].default:
        query = query.where(User.id.not_in(chosen.where(NotificationChoice.enabled.is_(False))))
    else:
        query = query.where(User.id.in_(chosen.where(NotificationChoice.enabled.is_(True))))
    return list(db.session.scalars(query.order_by(User.id)))


def _lessons_of(user: User) -> list[ResearchLesson]:
    """The lessons the person was in: taught or observed (while still in the group), or a board guest."""
    from ..models import BoardGuest, Cycle, GroupMember, ObserverAssignment

    member_of = db.select(Cycle.id).join(GroupMember, GroupMember.group_id == Cycle.group_id).where(
        GroupMember.user_id == user.id, GroupMember.left_at.is_(None))
    observed = db.select(ObserverAssignment.lesson_id).where(ObserverAssignment.observer_id == user.id)
    guest_of = db.select(BoardGuest.lesson_id).where(BoardGuest.user_id == user.id, BoardGuest.removed_at.is_(None))
    return list(db.session.scalars(db.select(ResearchLesson).where(
        db.or_(db.and_(ResearchLesson.cycle_id.in_(member_of),
                       db.or_(ResearchLesson.teacher_id == user.id, ResearchLesson.id.in_(observed))),
               ResearchLesson.id.in_(guest_of))).order_by(ResearchLesson.id)))


def send_digests(now: datetime) -> int:
    """One e-mail per person who chose the digest: how many posts others wrote on the boards of their
    lessons since their last digest (no post's text: a post may say more about a pupil than a
    pseudonym). Returns how many were queued."""
    from ..models import Post
    from . import queue_mail

    if not mail_is_on():
        return 0
    queued = 0
    for person in _digest_readers():
        row = db.session.scalar(db.select(NotificationSent).where(
            NotificationSent.user_id == person.id, NotificationSent.kind == "board_digest",
            NotificationSent.key == DIGEST_KEY))
        if row is not None and now - row.sent_at < DIGEST_EVERY:
            continue
        since = row.sent_at if row is not None else now - FIRST_DIGEST_LOOKS_BACK
        boards = []
        for lesson in _lessons_of(person):
            posts = list(db.session.execute(db.select(Post.id, User.display_name).join(
                User, User.id == Post.author_id).where(
                Post.lesson_id == lesson.id, Post.created_at > since, Post.created_at <= now,
                Post.author_id != person.id, Post.deleted_at.is_(None), Post.hidden_at.is_(None))))
            if posts:
                boards.append({"group_name": lesson.group.name, "title": lesson.title, "count": len(posts),
                               "authors": sorted({name for _, name in posts}),
                               "link": absolute_url("discussion.board", lesson_id=lesson.id)})
        if not boards:
            continue
        if row is None:
            db.session.add(NotificationSent(user_id=person.id, kind="board_digest", key=DIGEST_KEY, sent_at=now))
        elif db.session.execute(db.update(NotificationSent).where(  # claimed: another run may be at it too
                NotificationSent.id == row.id, NotificationSent.sent_at == since).values(sent_at=now)
                .execution_options(synchronize_session=False)).rowcount != 1:
            db.session.rollback()
            continue
        total = sum(board["count"] for board in boards)
        queue_mail("board_digest", person, "board_digest",
                   f"{total} new {'post' if total == 1 else 'posts'} on the boards of your lessons",
                   boards=boards, settings_link=absolute_url("auth.notifications"))
        try:
            db.session.commit()
        except IntegrityError:  # another worker sent it at the same moment
            db.session.rollback()
            continue
        queued += 1
    return queued
