"""Research lessons and their plans: the plan is also the observation sheet.

A plan is made of fields, each a piece of plain text: the plan's own fields (the aspect of learning
studied, learning intentions, success criteria, resources, interview questions), each case pupil's
success criterion for the lesson, each stage's time, activity and resources, and one prediction per
stage and case pupil. People co-edit them as one CRDT document (lsweb/coedit/); PlanField holds the
plain text derived from it, which print, exports, search and dashboards read.
"""

from __future__ import annotations

import enum
from datetime import date, datetime, time

from sqlalchemy import Date, ForeignKey, event, Integer, String, Text, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, make_append_only, utcnow
from .groups import _enum


class LessonStatus(str, enum.Enum):
    PLANNED = "planned"
    TAUGHT = "taught"
    DISCUSSED = "discussed"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class ResearchLesson(db.Model):
    """RL1..RLn of a cycle: when and where, who teaches (may be decided late), and its plan."""

    __tablename__ = "research_lesson"
    __table_args__ = (UniqueConstraint("cycle_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    date: Mapped[date | None] = mapped_column(Date)
    start_time: Mapped[time | None] = mapped_column(Time)
    # The last date and time the lesson had (kept when they are cleared): subscribed calendars are then
    # sent that event as CANCELLED instead of losing it silently (see before_update below).
    calendar_date: Mapped[date | None] = mapped_column(Date)
    calendar_start: Mapped[time | None] = mapped_column(Time)
    duration_minutes: Mapped[int] = mapped_column(Integer, default=60)
    class_name: Mapped[str] = mapped_column(String(80), default="")
    room: Mapped[str] = mapped_column(String(80), default="")
    teacher_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    status: Mapped[LessonStatus] = mapped_column(_enum(LessonStatus), default=LessonStatus.PLANNED)
    # The details (date, time, class, room, teacher) are one small form with its own version.
    details_version: Mapped[int] = mapped_column(Integer, default=1)
    # Counts every change to what the plan page shows (lsweb/planning/stamp.py bumps it at each flush):
    # the page's rendered structure is cached under it.
    plan_stamp: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    started_from_id: Mapped[int | None] = mapped_column(ForeignKey("research_lesson.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    cycle = relationship("Cycle")
    teacher = relationship("User", foreign_keys=[teacher_id])
    created_by = relationship("User", foreign_keys=[created_by_id])
    started_from = relationship("ResearchLesson", remote_side=[id])
    stages: Mapped[list["PlanStage"]] = relationship(back_populates="lesson", order_by="PlanStage.position")

    @property
    def title(self) -> str:
        return f"RL{self.number}"

    @property
    def group(self):
        return self.cycle.group

    @property
    def current_stages(self) -> list["PlanStage"]:
        return [stage for stage in self.stages if stage.removed_at is None]


@event.listens_for(ResearchLesson, "before_insert")
@event.listens_for(ResearchLesson, "before_update")
def _keep_the_calendar_slot(_mapper, _connection, lesson: ResearchLesson) -> None:
    if lesson.date is not None and lesson.start_time is not None:
        lesson.calendar_date, lesson.calendar_start = lesson.date, lesson.start_time


class PlanStage(db.Model):
    """A row of the plan. Removing one keeps it (removed_at), so nobody's text in it is lost."""

    __tablename__ = "plan_stage"

    id: Mapped[int] = mapped_column(primary_key=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("research_lesson.id"), index=True)
    # The stage's key in the plan's co-edited document ("s<id>" for stages older than the document).
    key: Mapped[str | None] = mapped_column(String(40))
    position: Mapped[int] = mapped_column(Integer)
    copied_from_id: Mapped[int | None] = mapped_column(ForeignKey("plan_stage.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    removed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    lesson: Mapped[ResearchLesson] = relationship(back_populates="stages")
    removed_by = relationship("User")


class PlanField(db.Model):
    """One co-edited piece of text of a plan, found by its key within the lesson:

    "aspect", "intentions", "criteria", "resources", "interview"; "pupil-<pupil id>-criterion";
    "stage-<stage id>-time" / "-activity" / "-resources"; "prediction-<stage id>-<pupil id>".
    """

    __tablename__ = "plan_field"
    __table_args__ = (UniqueConstraint("lesson_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("research_lesson.id"), index=True)
    key: Mapped[str] = mapped_column(String(60))
    kind: Mapped[str] = mapped_column(String(30))
    stage_id: Mapped[int | None] = mapped_column(ForeignKey("plan_stage.id"), index=True)
    pupil_id: Mapped[int | None] = mapped_column(ForeignKey("case_pupil.id"), index=True)
    text: Mapped[str] = mapped_column(Text, default="")
    copied_from_id: Mapped[int | None] = mapped_column(ForeignKey("plan_field.id"))
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    stage = relationship("PlanStage")
    pupil = relationship("CasePupil")
    updated_by = relationship("User")


class PlanRevision(db.Model):
    """A field's text from before the plan was co-edited as a document (and each copy made by carrying a
    plan forward): who, when, the text before and after. Never changed or removed. `kind` "kept": a
    text its author saved that never reached the plan (kept aside when a save met someone else's
    change, carried here by migration 0023), `before` being the text that author's page showed."""

    __tablename__ = "plan_revision"
    __table_args__ = (UniqueConstraint("field_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("research_lesson.id"), index=True)
    field_id: Mapped[int] = mapped_column(ForeignKey("plan_field.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))  # edit | merge | restore | carry | kept
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    before: Mapped[str] = mapped_column(Text, default="")
    after: Mapped[str] = mapped_column(Text, default="")

    field = relationship("PlanField")
    user = relationship("User")


class ObserverAssignment(db.Model):
    """Who watches which case pupil: for the whole lesson (stage_id None) or for one stage."""

    __tablename__ = "observer_assignment"

    id: Mapped[int] = mapped_column(primary_key=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("research_lesson.id"), index=True)
    pupil_id: Mapped[int] = mapped_column(ForeignKey("case_pupil.id"), index=True)
    stage_id: Mapped[int | None] = mapped_column(ForeignKey("plan_stage.id"), index=True)
    observer_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)

    observer = relationship("User")
    pupil = relationship("CasePupil")


class PlanChecklistTick(db.Model):
    """A "next time" item of the previous lesson's discussion, ticked as addressed in this plan."""

    __tablename__ = "plan_checklist_tick"
    __table_args__ = (UniqueConstraint("lesson_id", "item_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("research_lesson.id"), index=True)
    item_key: Mapped[str] = mapped_column(String(40))
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    done_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    done_by = relationship("User")


make_append_only(PlanRevision.__table__)
