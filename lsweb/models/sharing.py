"""Sharing what was learned: a cycle's co-edited summary, its redaction decisions, the published snapshot
in the network's library, open-house lessons with their registrations, and learning fairs.

The summary is co-edited like the plan, as one CRDT document (lsweb/coedit/); SummaryField holds the
plain text derived from it. SummaryRevision keeps the saves from before that (append-only). What the library shows is a Publication: a snapshot (JSON) taken when the group
publishes; later edits of the summary change nothing in it until the group publishes again.
The full-text index (FTS5 on SQLite, a GIN expression index on PostgreSQL) is made by migration 0008
only: it is not part of these models (lsweb/sharing/search.py).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, make_append_only, utcnow


class CycleSummary(db.Model):
    __tablename__ = "cycle_summary"

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    cycle = relationship("Cycle")


class SummaryField(db.Model):
    """"learning", "teaching", "changes", "pupil-<pupil id>-progress"."""

    __tablename__ = "summary_field"
    __table_args__ = (UniqueConstraint("summary_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    summary_id: Mapped[int] = mapped_column(ForeignKey("cycle_summary.id"), index=True)
    key: Mapped[str] = mapped_column(String(60))
    text: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))


class SummaryRevision(db.Model):
    __tablename__ = "summary_revision"
    __table_args__ = (UniqueConstraint("field_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    summary_id: Mapped[int] = mapped_column(ForeignKey("cycle_summary.id"), index=True)
    field_id: Mapped[int] = mapped_column(ForeignKey("summary_field.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))  # edit | merge | restore | kept (see PlanRevision)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    before: Mapped[str] = mapped_column(Text, default="")
    after: Mapped[str] = mapped_column(Text, default="")

    field = relationship("SummaryField")
    user = relationship("User")


class SummaryEvidence(db.Model):
    """A piece of key evidence linked from an observation, an interview answer or a discussion finding;
    its text is copied when linked (the source stays private to the group)."""

    __tablename__ = "summary_evidence"
    __table_args__ = (UniqueConstraint("summary_id", "kind", "source_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    summary_id: Mapped[int] = mapped_column(ForeignKey("cycle_summary.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # observation | interview | finding
    source_id: Mapped[int] = mapped_column(Integer)
    lesson_number: Mapped[int] = mapped_column(Integer, default=0)
    text: Mapped[str] = mapped_column(Text)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RedactionDecision(db.Model):
    """The group confirmed that an item the redaction check listed does not identify a pupil."""

    __tablename__ = "redaction_decision"
    __table_args__ = (UniqueConstraint("summary_id", "item_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    summary_id: Mapped[int] = mapped_column(ForeignKey("cycle_summary.id"), index=True)
    item_key: Mapped[str] = mapped_column(String(160))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Publication(db.Model):
    """A published study: the snapshot the library shows. Republishing replaces the snapshot."""

    __tablename__ = "publication"

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id"), unique=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("study_group.id"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    scope: Mapped[str] = mapped_column(String(20))  # school | network
    title: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(80), default="", index=True)
    year_group: Mapped[str] = mapped_column(String(40), default="")
    phase: Mapped[str] = mapped_column(String(20), default="", index=True)
    focus: Mapped[str] = mapped_column(String(300), default="")
    approach: Mapped[str] = mapped_column(String(300), default="")
    school_year: Mapped[str] = mapped_column(String(9), default="", index=True)
    content: Mapped[str] = mapped_column(Text)  # JSON snapshot
    search_text: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=1)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    group = relationship("StudyGroup")
    school = relationship("School")
    cycle = relationship("Cycle")


class OpenHouse(db.Model):
    """A research lesson opened to observers from other schools."""

    __tablename__ = "open_house"

    id: Mapped[int] = mapped_column(primary_key=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("research_lesson.id"), unique=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("study_group.id"), index=True)
    capacity: Mapped[int] = mapped_column(Integer, default=6)
    what_to_watch: Mapped[str] = mapped_column(Text, default="")
    guests_part: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    lesson = relationship("ResearchLesson")
    group = relationship("StudyGroup")


class OpenHouseRegistration(db.Model):
    __tablename__ = "open_house_registration"
    __table_args__ = (UniqueConstraint("open_house_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    open_house_id: Mapped[int] = mapped_column(ForeignKey("open_house.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user = relationship("User")


class LearningFair(db.Model):
    __tablename__ = "learning_fair"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    on: Mapped[date] = mapped_column(Date)
    place: Mapped[str] = mapped_column(String(200), default="")
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"), index=True)  # None: network
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FairItem(db.Model):
    __tablename__ = "fair_item"
    __table_args__ = (UniqueConstraint("fair_id", "publication_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    fair_id: Mapped[int] = mapped_column(ForeignKey("learning_fair.id"), index=True)
    publication_id: Mapped[int] = mapped_column(ForeignKey("publication.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    slot: Mapped[str] = mapped_column(String(40), default="")

    publication = relationship("Publication")


make_append_only(SummaryRevision.__table__)
