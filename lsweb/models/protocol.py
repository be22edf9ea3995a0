"""Protocol texts (a school's default and each group's adopted copy) and the signatures."""

from __future__ import annotations

import enum
import hashlib
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, make_append_only, utcnow


def text_hash(text: str) -> str:
    """SHA-256 of the exact text (UTF-8), as stored with every version and signature."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class SchoolProtocolVersion(db.Model):
    """A version of a school's default protocol, adopted by its new groups."""

    __tablename__ = "school_protocol_version"
    __table_args__ = (UniqueConstraint("school_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    created_by = relationship("User")


class ProtocolVersion(db.Model):
    """A version of a group's protocol. Never changed: an amendment is a new version."""

    __tablename__ = "protocol_version"
    __table_args__ = (UniqueConstraint("group_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("study_group.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    text_sha256: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(String(300), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    created_by = relationship("User")
    group = relationship("StudyGroup")


class SignatureKind(str, enum.Enum):
    SIGNED = "signed"
    WITHDRAWN = "withdrawn"


class ProtocolSignature(db.Model):
    """An append-only signing event: signed, or withdrawn (a new event, never an edit or a delete).

    `sequence` numbers one member's events on one version, so a double-submitted form cannot store
    two signatures: the second insert hits the unique constraint.
    """

    __tablename__ = "protocol_signature"
    __table_args__ = (UniqueConstraint("version_id", "user_id", "sequence"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("study_group.id"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("protocol_version.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    sequence: Mapped[int] = mapped_column(Integer)
    kind: Mapped[SignatureKind] = mapped_column(db.Enum(SignatureKind, native_enum=False, length=12,
                                                        values_callable=lambda e: [m.value for m in e]))
    typed_name: Mapped[str] = mapped_column(String(120), default="")
    text_sha256: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user = relationship("User")
    version = relationship("ProtocolVersion")


for _model in (ProtocolSignature, ProtocolVersion):
    make_append_only(_model.__table__)
