"""The outbox of e-mail, and the one-time links sent by e-mail (invitations, password resets)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow
from .people import User


class MailStatus(str, enum.Enum):
    WAITING = "waiting"    # to be sent (again) at next_attempt_at
    SENDING = "sending"    # claimed by one worker: nobody else sends it
    SENT = "sent"
    FAILED = "failed"      # given up (or refused for good); an admin may send it again
    HELD = "held"          # written while mail was off (LSWEB_MAIL_URL unset): never sent by itself

    @property
    def label(self) -> str:
        return {"waiting": "Waiting", "sending": "Sending", "sent": "Sent", "failed": "Failed",
                "held": "Not sent: mail is off"}[self.value]


class OutboxMessage(db.Model):
    """One e-mail to one person, written in the same transaction as what caused it."""

    __tablename__ = "outbox_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))                    # "invitation", "password_reset", ...
    to_address: Mapped[str] = mapped_column(String(254))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"), index=True)
    subject: Mapped[str] = mapped_column(String(200))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str] = mapped_column(Text)
    attachment_name: Mapped[str | None] = mapped_column(String(100))
    attachment_type: Mapped[str | None] = mapped_column(String(100))  # "text/calendar"
    attachment_body: Mapped[str | None] = mapped_column(Text)
    status: Mapped[MailStatus] = mapped_column(
        db.Enum(MailStatus, native_enum=False, length=10, values_callable=lambda e: [s.value for s in e]),
        default=MailStatus.WAITING, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))       # the server's answer
    message_id: Mapped[str] = mapped_column(String(120))              # the Message-ID header, one per row
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User | None] = relationship()


class TokenPurpose(str, enum.Enum):
    INVITATION = "invitation"
    PASSWORD_RESET = "password_reset"


class AccountToken(db.Model):
    """A one-time link to set one's password: only a hash of its secret part is kept."""

    __tablename__ = "account_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    purpose: Mapped[TokenPurpose] = mapped_column(
        db.Enum(TokenPurpose, native_enum=False, length=20, values_callable=lambda e: [p.value for p in e]))
    secret_hash: Mapped[str] = mapped_column(String(64))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])


class NotificationChoice(db.Model):
    """A person's choice for one kind of notification e-mail (lsweb/mail/notify.py KINDS). No row: the
    kind's default."""

    __tablename__ = "notification_choice"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean)


class NotificationSent(db.Model):
    """What a periodic notification was sent for, so it is never sent twice: one row per person and
    `key` (a reminder: "lesson-<id>-<date>"; the board digest: "board-digest", its sent_at the time up
    to which posts were gathered)."""

    __tablename__ = "notification_sent"
    __table_args__ = (UniqueConstraint("user_id", "kind", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    key: Mapped[str] = mapped_column(String(80))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
