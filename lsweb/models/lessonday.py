"""The lesson day: observations of case pupils, photos of their work, pupil interviews, cover for the
participants' own classes, and the protected-time ledger."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow
from .groups import _enum


class Rating(str, enum.Enum):
    """What an observer saw against the prediction."""

    AS_PREDICTED = "as_predicted"
    BETTER = "better"
    LESS_WELL = "less_well"
    NOT_SEEN = "not_seen"

    @property
    def label(self) -> str:
        return {"as_predicted": "As predicted", "better": "Better than predicted",
                "less_well": "Less well than predicted", "not_seen": "Not seen"}[self.value]


class NoteKind(str, enum.Enum):
    NOTE = "note"          # a case pupil at a stage
    INCIDENT = "incident"  # a critical incident (may name a pupil and a stage)
    PATTERN = "pattern"    # a pattern across the class

    @property
    def label(self) -> str:
        return {"note": "Note", "incident": "Critical incident", "pattern": "Pattern across the class"}[self.value]


class Observation(db.Model):
    """One note of one observer. `client_id` is made by the observer's browser before the first save,
    so a save repeated after a dropped connection finds the same note instead of making a second."""

    __tablename__ = "observation"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("research_lesson.id"), index=True)
    observer_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    kind: Mapped[NoteKind] = mapped_column(_enum(NoteKind, 20), default=NoteKind.NOTE)
    pupil_id: Mapped[int | None] = mapped_column(ForeignKey("case_pupil.id"), index=True)
    stage_id: Mapped[int | None] = mapped_column(ForeignKey("plan_stage.id"), index=True)
    rating: Mapped[Rating | None] = mapped_column(_enum(Rating, 20))
    text: Mapped[str] = mapped_column(Text, default="")
    noted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)  # when it was seen
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Deleted by its observer: no longer in the grid or the exports; the row and its history are kept.
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    observer = relationship("User")
    pupil = relationship("CasePupil")
    stage = relationship("PlanStage")


class ObservationVersion(db.Model):
    """What a note said before each correction (or before it was deleted): its history."""

    __tablename__ = "observation_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    observation_id: Mapped[int] = mapped_column(ForeignKey("observation.id"), index=True)
    kind: Mapped[NoteKind] = mapped_column(_enum(NoteKind, 20))
    pupil_id: Mapped[int | None] = mapped_column(ForeignKey("case_pupil.id"))
    stage_id: Mapped[int | None] = mapped_column(ForeignKey("plan_stage.id"))
    rating: Mapped[Rating | None] = mapped_column(_enum(Rating, 20))
    text: Mapped[str] = mapped_column(Text, default="")
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime)      # when this version was saved
    replaced_at: Mapped[datetime] = mapped_column(UTCDateTime)   # when it was corrected or deleted

    pupil = relationship("CasePupil")


class Photo(db.Model):
    """A photo of a case pupil's work, re-encoded without its metadata, stored under a random name."""

    __tablename__ = "observation_photo"

    id: Mapped[int] = mapped_column(primary_key=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("research_lesson.id"), index=True)
    pupil_id: Mapped[int] = mapped_column(ForeignKey("case_pupil.id"), index=True)
    stage_id: Mapped[int | None] = mapped_column(ForeignKey("plan_stage.id"))
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    caption: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    pupil = relationship("CasePupil")
    uploaded_by = relationship("User")


class InterviewAnswer(db.Model):
    """A case pupil's exact words in answer to one interview question."""

    __tablename__ = "interview_answer"
    __table_args__ = (UniqueConstraint("lesson_id", "pupil_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("research_lesson.id"), index=True)
    pupil_id: Mapped[int] = mapped_column(ForeignKey("case_pupil.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    question: Mapped[str] = mapped_column(String(300))
    answer: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    pupil = relationship("CasePupil")
    recorded_by = relationship("User")


class CoverEntry(db.Model):
    """One of a participant's own classes that needs cover while they teach or observe a lesson."""

    __tablename__ = "cover_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("research_lesson.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    class_name: Mapped[str] = mapped_column(String(80))
    note: Mapped[str] = mapped_column(String(300), default="")
    covered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user = relationship("User", foreign_keys=[user_id])
    covered_by = relationship("User", foreign_keys=[covered_by_id])


class TimeKind(str, enum.Enum):
    OBSERVING = "observing"
    TEACHING = "teaching"
    COVERING = "covering"
    PLANNING = "planning"
    DISCUSSION = "discussion"
    OTHER = "other"

    @property
    def label(self) -> str:
        return {"observing": "Observing", "teaching": "Teaching a research lesson", "covering": "Covering",
                "planning": "Planning meeting", "discussion": "Post-lesson discussion",
                "other": "Other"}[self.value]


class TimeEntry(db.Model):
    """Protected time used by a member. Automatic entries carry an `auto_key` so they are made once; a
    member corrects or removes their own entries (audited)."""

    __tablename__ = "time_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    lesson_id: Mapped[int | None] = mapped_column(ForeignKey("research_lesson.id"), index=True)
    # The group the time was for (a lesson's group; a member's own entry names one, or none): each
    # group's hours are its own.
    group_id: Mapped[int | None] = mapped_column(ForeignKey("study_group.id"), index=True)
    kind: Mapped[TimeKind] = mapped_column(_enum(TimeKind, 20))
    minutes: Mapped[int] = mapped_column(Integer)
    on: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(String(200), default="")
    auto_key: Mapped[str | None] = mapped_column(String(80), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user = relationship("User", foreign_keys=[user_id])
    group = relationship("StudyGroup")


class TimeAllowance(db.Model):
    """A school's protected-time allowance per member and school year (default 5 hours)."""

    __tablename__ = "time_allowance"

    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), primary_key=True)
    minutes_per_year: Mapped[int] = mapped_column(Integer, default=300)
