"""The plan stamp: research_lesson.plan_stamp counts the changes to what a plan page shows, so the
page's rendered structure can be cached under it (page.py) and every server process agrees on when a
cached copy is out of date.

Whatever a plan page shows is written through the ORM, so one listener after each flush is enough: any
change to a lesson, its fields, stages, observers or checklist ticks, to the cycle's case pupils, to the
group's members or their names, or to a discussion post (next steps become the next plan's checklist) bumps the stamp
of every lesson of the cycle concerned (a change to one lesson shows in the others: "what changed from
RL1", "start RL2 from this plan"). A cycle has a handful of lessons: one small UPDATE per flush.
"""

from __future__ import annotations

from itertools import chain

from sqlalchemy import event, inspect, select, update
from sqlalchemy.orm import Session

from ..models import (CasePupil, Cycle, GroupMember, ObserverAssignment, PlanChecklistTick, PlanField,
                      PlanStage, Post, ProtocolSignature, ProtocolVersion, ResearchLesson, User)

BY_LESSON = (PlanField, PlanStage, ObserverAssignment, PlanChecklistTick, Post)


@event.listens_for(Session, "after_flush")
def bump_plan_stamps(session: Session, _flush_context) -> None:
    lesson_ids, cycle_ids, group_ids, user_ids, version_ids = set(), set(), set(), set(), set()
    for obj in chain(session.new, session.dirty, session.deleted):
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
    if not (lesson_ids or cycle_ids or group_ids or user_ids or version_ids):
        return
    connection = session.connection()
    if version_ids:
        group_ids.update(connection.execute(
            select(ProtocolVersion.group_id).where(ProtocolVersion.id.in_(version_ids))).scalars())
    if lesson_ids:
        cycle_ids.update(connection.execute(
            select(ResearchLesson.cycle_id).where(ResearchLesson.id.in_(lesson_ids))).scalars())
    if user_ids:
        group_ids.update(connection.execute(
            select(GroupMember.group_id).where(GroupMember.user_id.in_(user_ids))).scalars())
    if group_ids:
        cycle_ids.update(connection.execute(select(Cycle.id).where(Cycle.group_id.in_(group_ids))).scalars())
    cycle_ids.discard(None)
    if cycle_ids:
        connection.execute(update(ResearchLesson).where(ResearchLesson.cycle_id.in_(sorted(cycle_ids)))
                           .values(plan_stamp=ResearchLesson.plan_stamp + 1)
                           .execution_options(synchronize_session=False))
