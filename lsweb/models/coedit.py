"""Co-edited documents (a plan, a cycle summary): an append-only log of CRDT updates per document,
snapshots that compact it, which person each CRDT client id belongs to, and the editing spells that
make the readable history.

The document is the record; the plain text of every box is derived from it into the tables print,
exports, search and the dashboards read (PlanField, PlanStage, SummaryField, ...): see lsweb/coedit/.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow


class CoeditUpdate(db.Model):
    """One update of a document (Yjs/Yrs v1 encoding), in the order the server stored them (seq)."""

    __tablename__ = "coedit_update"
    __table_args__ = (UniqueConstraint("doc", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    doc: Mapped[str] = mapped_column(String(40))
    seq: Mapped[int] = mapped_column(Integer)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    client_id: Mapped[int] = mapped_column(BigInteger, default=0)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CoeditSnapshot(db.Model):
    """The whole document as one update, as it was after the update `seq` (0: as it was created)."""

    __tablename__ = "coedit_snapshot"
    __table_args__ = (UniqueConstraint("doc", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    doc: Mapped[str] = mapped_column(String(40), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CoeditClient(db.Model):
    """A CRDT client id belongs to the person who first used it in the document (attribution, and an
    update carrying another person's client id is refused)."""

    __tablename__ = "coedit_client"

    doc: Mapped[str] = mapped_column(String(40), primary_key=True)
    client_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CoeditSpell(db.Model):
    """One person's editing of one part of a document without a pause of more than a minute: the part's
    text before and after, for the history (word differences) and restore."""

    __tablename__ = "coedit_spell"

    id: Mapped[int] = mapped_column(primary_key=True)
    doc: Mapped[str] = mapped_column(String(40), index=True)
    part: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(20), default="text")  # text | stage | observer | detail
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    first_seq: Mapped[int] = mapped_column(Integer, default=0)
    last_seq: Mapped[int] = mapped_column(Integer, default=0)
    before: Mapped[str] = mapped_column(Text, default="")
    after: Mapped[str] = mapped_column(Text, default="")

    user = relationship("User")


class CoeditAttribution(db.Model):
    """Who wrote the current text of one box of a document: `runs` is a JSON list of [length, user id or
    null] covering the box's text exactly, in characters (null: written before co-editing, or not
    known). Written with each update that changes the box (`seq`: the update that last did), so it
    outlives the update log's pruning (lsweb/coedit/attribution.py)."""

    __tablename__ = "coedit_attribution"

    doc: Mapped[str] = mapped_column(String(40), primary_key=True)
    box: Mapped[str] = mapped_column(String(80), primary_key=True)
    runs: Mapped[str] = mapped_column(Text, default="[]")
    seq: Mapped[int] = mapped_column(Integer, default=0)
