"""The plan stamp: research_lesson.plan_stamp counts the changes to what a plan page shows, so the
page's rendered structure can be cached under it (page.py) and every server process agrees on when a
cached copy is out of date.

Whatever a plan page shows is written through the ORM, so one listener after each flush is enough (the
one exception, a keystroke's plan texts written in plain SQL, marks its cycle due itself): any
change to a lesson, its fields, stages, observers or checklist ticks, to the cycle's case pupils, to the
group's members or their names, or to a discussion post (next steps become the next plan's checklist) bumps the stamp
of every lesson of the cycle concerned (a change to one lesson shows in the others: "what changed from
RL1", "start RL2 from this plan"). A cycle has a handful of lessons: one small UPDATE per transaction,
its last write, just before the commit (nobody else sees the change before then anyway).

Every save of a cycle's plans writes those few rows, so on PostgreSQL they are locked in one order (by
id) and as late as possible: a save that held them from an early flush while waiting for another save's
row, which in turn waited for them, was a deadlock (issue 19).
"""

from __future__ import annotations

from itertools import chain

from sqlalchemy import event, inspect, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from ..models import (CasePupil, Cycle, GroupMember, ObserverAssignment, PlanChecklistTick, PlanField,
                      PlanStage, Post, ProtocolSignature, ProtocolVersion, ResearchLesson, User)

BY_LESSON = (PlanField, PlanStage, ObserverAssignment, PlanChecklistTick, Post)


LOCKED = "lsweb.plan_stamp_locked"  # session.info: the cycles whose lesson rows this transaction holds
DUE = "lsweb.plan_stamp_due"  # session.info: the cycles whose stamps go up when this transaction commits


def _cycles_of(session: Session, objects, connection) -> set[int]:
    """The cycles whose plan pages show these (new, changed or deleted) objects."""
    lesson_ids, cycle_ids, group_ids, user_ids, version_ids = set(), set(), set(), set(), set()
    for obj in objects:
        if isinstance(obj, BY_LESSON):
            lesson_ids.add(obj.lesson_id)
        elif isinstance(obj, ResearchLesson) or isinstance(obj, CasePupil):
            cycle_ids.add(obj.cycle_id)
        elif isinstance(obj, (GroupMember, ProtocolVersion)):
            group_ids.add(obj.group_id)  # the plan's banner names who still has to sign
        elif isinstance(obj, ProtocolSignature):
            version_ids.add(obj.version_id)
        elif isinstance(obj, User) and inspect(obj).attrs.display_name.history.has_changes():
            user_ids.add(obj.id)  # a name shown in the plan's lists (observers, who teaches)
    for ids in (lesson_ids, group_ids, user_ids, version_ids):
        ids.discard(None)  # (not flushed yet: before a flush, an object may know its parent only by relation)
    if not (lesson_ids or cycle_ids or group_ids or user_ids or version_ids):
        return set()
    if version_ids:
        group_ids.update(connection.execute(
            select(ProtocolVersion.group_id).where(ProtocolVersion.id.in_(version_ids))).scalars())
    if lesson_ids:  # a lesson this session holds knows its cycle (a keystroke's case: no query)
        for lesson_id in list(lesson_ids):
            held = session.identity_map.get(identity_key(ResearchLesson, lesson_id))
            if held is not None and "cycle_id" in held.__dict__ and held.cycle_id is not None:
                cycle_ids.add(held.cycle_id)
                lesson_ids.discard(lesson_id)
    if lesson_ids:
        cycle_ids.update(connection.execute(
            select(ResearchLesson.cycle_id).where(ResearchLesson.id.in_(lesson_ids))).scalars())
    if user_ids:
        group_ids.update(connection.execute(
            select(GroupMember.group_id).where(GroupMember.user_id.in_(user_ids))).scalars())
    if group_ids:
        cycle_ids.update(connection.execute(select(Cycle.id).where(Cycle.group_id.in_(group_ids))).scalars())
    cycle_ids.discard(None)
    return cycle_ids


@event.listens_for(Session, "before_flush")
def lock_lessons_before_writing_one(session: Session, _flush_context, _instances) -> None:
    """On PostgreSQL, a flush that writes a lesson's own row first locks every lesson row of its cycle,
    in id order (once per transaction): the stamp's UPDATE of them all at the commit then never meets
    another transaction holding one of them in the opposite order. SQLite has one writer at a time."""
    lessons = [obj for obj in chain(session.dirty, session.deleted) if isinstance(obj, ResearchLesson)]
    if not lessons or session.get_bind().dialect.name == "sqlite":
        return
    _lock_in_order(session, {lesson.cycle_id for lesson in lessons} - {None})


@event.listens_for(Session, "after_flush")
def note_plan_changes(session: Session, _flush_context) -> None:
    """What this flush wrote that plan pages show: their cycles' stamps go up at the commit."""
    note_due(session, _cycles_of(session, chain(session.new, session.dirty, session.deleted), session.connection()))


def note_due(session: Session, cycle_ids: set[int]) -> None:
    """These cycles' stamps go up when the session commits: called after each flush, and by a writer that
    changes what plan pages show in plain SQL (a keystroke's plan texts, coedit/boxes.py)."""
    cycle_ids = set(cycle_ids) - {None}
    if cycle_ids:
        session.info.setdefault(DUE, set()).update(cycle_ids)


@event.listens_for(Session, "before_commit")
def bump_plan_stamps(session: Session) -> None:
    """One UPDATE of the stamps, the transaction's last write, after its rows are locked in id order:
    held for the shortest time, and taken by every transaction in the same order. (A savepoint's
    release leaves them to the transaction's commit.)"""
    if session.in_nested_transaction():
        return
    session.flush()
    cycle_ids = session.info.pop(DUE, None)
    if not cycle_ids:
        return
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        _lock_in_order(session, cycle_ids)
    connection.execute(update(ResearchLesson).where(ResearchLesson.cycle_id.in_(sorted(cycle_ids)))
                       .values(plan_stamp=ResearchLesson.plan_stamp + 1)
                       .execution_options(synchronize_session=False))


def _lock_in_order(session: Session, cycle_ids: set[int]) -> None:
    locked = session.info.setdefault(LOCKED, set())
    wanted = sorted(cycle_ids - locked)
    if wanted:
        session.connection().execute(select(ResearchLesson.id).where(ResearchLesson.cycle_id.in_(wanted))
                                     .order_by(ResearchLesson.id).with_for_update())
        locked.update(wanted)


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction) -> None:
    """A savepoint's rollback gives back its locks; the transaction's end, its locks and what was due."""
    session.info.pop(LOCKED, None)
    if transaction.parent is None:
        session.info.pop(DUE, None)
