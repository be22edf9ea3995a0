"""Sending outbox rows: each row is claimed by exactly one sender before it goes out, so a message is
never sent twice, and a failure is kept with the server's answer and tried again with back-off."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import update

from ..extensions import db
from ..models import MailStatus, OutboxMessage
from ..models.base import utcnow
from . import smtp

MAX_ATTEMPTS = 6
FIRST_DELAY_SECONDS = 30          # then 2, 8, 32 minutes, ~2 hours
STUCK_AFTER = timedelta(minutes=15)
INTERRUPTED = ("Sending was interrupted (the server stopped while talking to the mail server): it may "
               "or may not have arrived. Send it again if the person did not get it.")


def backoff(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failed try."""
    return timedelta(seconds=FIRST_DELAY_SECONDS * 4 ** (attempts - 1))


def mail_server():
    settings = current_app.config["LSWEB"]
    return smtp.MailServer.from_url(settings["MAIL_URL"], settings["MAIL_CA_FILE"]) if settings["MAIL_URL"] else None


def _claim(message_id: int) -> bool:
    """Mark the row as being sent, if it is waiting and due; True when this caller won it."""
    result = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == MailStatus.WAITING,
               OutboxMessage.next_attempt_at <= utcnow())
        .values(status=MailStatus.SENDING, claimed_at=utcnow(), attempts=OutboxMessage.attempts + 1))
    db.session.commit()
    return result.rowcount == 1


def deliver(message_id: int) -> float | None:
    """Send one outbox row if it is due. Returns the seconds after which to try again, or None."""
    server = mail_server()
    if server is None or not _claim(message_id):
        return None
    row = db.session.get(OutboxMessage, message_id)
    try:
        smtp.send(server, smtp.build(current_app.config["LSWEB"]["MAIL_FROM"], row))
    except smtp.PermanentFailure as error:
        row.status, row.last_error = MailStatus.FAILED, str(error)
    except smtp.TemporaryFailure as error:
        row.last_error = str(error)
        if row.attempts >= MAX_ATTEMPTS:
            row.status = MailStatus.FAILED
        else:
            row.status = MailStatus.WAITING
            row.next_attempt_at = utcnow() + backoff(row.attempts)
    else:
        row.status, row.sent_at, row.last_error = MailStatus.SENT, utcnow(), None
    status, next_at = row.status, row.next_attempt_at
    db.session.commit()
    if status is MailStatus.WAITING:
        return max((next_at - utcnow()).total_seconds(), 1.0)
    return None


def due_messages(limit: int = 100) -> list[int]:
    """Waiting rows whose time has come (the sweep sends them: a queue entry lost in a crash is not
    a message lost); rows left "sending" by a crash are marked failed, never sent again by themselves."""
    db.session.execute(update(OutboxMessage)
                       .where(OutboxMessage.status == MailStatus.SENDING,
                              OutboxMessage.claimed_at < utcnow() - STUCK_AFTER)
                       .values(status=MailStatus.FAILED, last_error=INTERRUPTED))
    ids = list(db.session.scalars(db.select(OutboxMessage.id).where(
        OutboxMessage.status == MailStatus.WAITING, OutboxMessage.next_attempt_at <= utcnow())
        .order_by(OutboxMessage.id).limit(limit)))
    db.session.commit()
    return ids
