"""Lesson study groups, their members, cycles and case pupils."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow


def _enum(enum_cls, length=24):
    return db.Enum(enum_cls, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e])


class GroupRole(str, enum.Enum):
    FACILITATOR = "facilitator"
    RECORDER = "recorder"
    KNOWLEDGEABLE_OTHER = "knowledgeable_other"
    MEMBER = "member"

    @property
    def label(self) -> str:
        return {"facilitator": "Facilitator", "recorder": "Recorder",
                "knowledgeable_other": "Knowledgeable other", "member": "Member"}[self.value]


class CycleStatus(str, enum.Enum):
    PROTOCOL_PENDING = "protocol_pending"
    PLANNING = "planning"
    TEACHING = "teaching"
    DISCUSSING = "discussing"
    SHARING = "sharing"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class StudyGroup(db.Model):
    __tablename__ = "study_group"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    focus_pupils: Mapped[str] = mapped_column(String(300), default="")
    focus_learning: Mapped[str] = mapped_column(String(300), default="")
    focus_approach: Mapped[str] = mapped_column(String(300), default="")
    subject: Mapped[str] = mapped_column(String(80), default="")
    year_group: Mapped[str] = mapped_column(String(40), default="")
    class_name: Mapped[str] = mapped_column(String(80), default="")
    school_priority: Mapped[str] = mapped_column(String(300), default="")
    background: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    school = relationship("School")
    created_by = relationship("User", foreign_keys=[created_by_id])
    memberships: Mapped[list["GroupMember"]] = relationship(back_populates="group",
                                                            order_by="GroupMember.id")
    cycles: Mapped[list["Cycle"]] = relationship(back_populates="group", order_by="Cycle.number")

    @property
    def focus_sentence(self) -> str:
        if not (self.focus_pupils or self.focus_learning or self.focus_approach):
            return ""
        return (f"We want to improve how {self.focus_pupils or '…'} learn {self.focus_learning or '…'} "
                f"through {self.focus_approach or '…'}.")

    @property
    def current_members(self) -> list["GroupMember"]:
        return [m for m in self.memberships if m.left_at is None]


class GroupMember(db.Model):
    __tablename__ = "group_member"
    __table_args__ = (UniqueConstraint("group_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("study_group.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    role: Mapped[GroupRole] = mapped_column(_enum(GroupRole))
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    group: Mapped[StudyGroup] = relationship(back_populates="memberships")
    user = relationship("User")


class GroupLink(db.Model):
    """"Builds on": this group's study builds on an earlier study of the network."""

    __tablename__ = "group_link"
    __table_args__ = (UniqueConstraint("group_id", "builds_on_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("study_group.id"), index=True)
    builds_on_id: Mapped[int] = mapped_column(ForeignKey("study_group.id"), index=True)

    group = relationship("StudyGroup", foreign_keys=[group_id])
    builds_on = relationship("StudyGroup", foreign_keys=[builds_on_id])


class Cycle(db.Model):
    __tablename__ = "cycle"
    __table_args__ = (UniqueConstraint("group_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("study_group.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    status: Mapped[CycleStatus] = mapped_column(_enum(CycleStatus), default=CycleStatus.PROTOCOL_PENDING)
    planned_lessons: Mapped[int] = mapped_column(Integer, default=3)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    group: Mapped[StudyGroup] = relationship(back_populates="cycles")
    pupils: Mapped[list["CasePupil"]] = relationship(back_populates="cycle",
                                                     order_by="CasePupil.position, CasePupil.id")


class CasePupil(db.Model):
    """A case pupil: a pseudonymous label only. There is deliberately no field for a real name."""

    __tablename__ = "case_pupil"

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id"), index=True)
    label: Mapped[str] = mapped_column(String(40))
    represents: Mapped[str] = mapped_column(String(300), default="")
    attainment: Mapped[str] = mapped_column(String(500), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    # Photos of this pupil's work may be taken only when the school holds consent for it.
    photo_consent: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    # When consent was withdrawn: the pupil's photos are hidden at once and deleted by `lsweb purge` once
    # the school's grace period (School.photo_grace_days) has passed. None while consent holds.
    photo_consent_withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    cycle: Mapped[Cycle] = relationship(back_populates="pupils")
