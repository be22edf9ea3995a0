"""The post-lesson discussion board of a research lesson: its posts, their revisions, "agree" reactions,
the per-lesson chair and recorder, and the guests invited to it.

Every change to a board's posts takes the board's next sequence number (`DiscussionBoard.seq`), stored
on the post (`Post.seq`; `Post.created_seq` is the one it was created with). A page knows the last
number it has seen and asks for the posts changed after it: that is how a page catches up after a
reconnect with no gap and no duplicate.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow

MARKS = {"finding": "Finding", "next_step": "Next step", "question": "Question"}


class DiscussionBoard(db.Model):
    """One row per research lesson that has a board: its change counter, chair and recorder."""

    __tablename__ = "discussion_board"

    lesson_id: Mapped[int] = mapped_column(ForeignKey("research_lesson.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, default=0)
    chair_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    recorder_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # The sections (keys, space-separated) the facilitator shares with the guests, beside their own.
    guest_sections: Mapped[str] = mapped_column(String(2000), default="", server_default="")

    chair = relationship("User", foreign_keys=[chair_id])
    recorder = relationship("User", foreign_keys=[recorder_id])


class BoardGuest(db.Model):
    """A network user invited by the facilitator to one lesson's board (not a group member)."""

    __tablename__ = "board_guest"
    __table_args__ = (UniqueConstraint("lesson_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("research_lesson.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    invited_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Removed by the facilitator (not a cancelled open-house registration): registering again does not undo it.
    removed_by_facilitator: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    # Named by the facilitator as a knowledgeable other: writes the final comments, like the group's own.
    knowledgeable_other: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())

    user = relationship("User", foreign_keys=[user_id])


class Post(db.Model):
    """A post or (parent_id set) a reply. Never deleted: deleting, hiding and editing keep the row."""

    __tablename__ = "board_post"
    __table_args__ = (
        UniqueConstraint("lesson_id", "author_id", "client_token"),
        Index("ix_board_post_lesson_seq", "lesson_id", "seq"),
        Index("ix_board_post_section", "lesson_id", "section", "parent_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("research_lesson.id"))
    section: Mapped[str] = mapped_column(String(40))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("board_post.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    client_token: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    mark: Mapped[str | None] = mapped_column(String(20))
    version: Mapped[int] = mapped_column(Integer, default=1)
    agree_count: Mapped[int] = mapped_column(Integer, default=0)
    created_seq: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    hidden_reason: Mapped[str] = mapped_column(String(300), default="")
    # Shown again by the facilitator (the last time), with the reason everyone sees.
    unhidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    unhidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    unhidden_reason: Mapped[str] = mapped_column(String(300), default="", server_default="")

    author = relationship("User", foreign_keys=[author_id])
    hidden_by = relationship("User", foreign_keys=[hidden_by_id])
    unhidden_by = relationship("User", foreign_keys=[unhidden_by_id])

    @property
    def is_removed(self) -> bool:
        return self.deleted_at is not None or self.hidden_at is not None

    @property
    def mark_label(self) -> str:
        return MARKS.get(self.mark or "", "")


class PostRevision(db.Model):
    """The text a post had before each edit (version 1 is the original)."""

    __tablename__ = "board_post_revision"
    __table_args__ = (UniqueConstraint("post_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("board_post.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PostReaction(db.Model):
    """"Agree": one per person and post."""

    __tablename__ = "board_reaction"
    __table_args__ = (UniqueConstraint("post_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("board_post.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
