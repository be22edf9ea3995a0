"""The outbox for admins: what was sent, what waits, what failed (with the server's answer), and
sending a failed message again. School admins see their school's messages, network admins all."""

from __future__ import annotations

from flask import abort, current_app, flash, request, url_for
from flask_login import current_user

from .. import audit, mail
from ..errors import DomainError, NotAllowed
from ..extensions import db
from ..mail import tasks
from ..models import MailStatus, OutboxMessage, User
from ..models.base import utcnow
from ..web import done, render
from . import bp
from .forms import EmptyForm

PER_PAGE = 50
RESENDABLE = (MailStatus.FAILED, MailStatus.HELD)


def visible_messages(admin: User):
    stmt = db.select(OutboxMessage).order_by(OutboxMessage.id.desc())
    if not admin.is_network_admin:
        stmt = stmt.where(OutboxMessage.school_id == admin.school_id)
    return stmt


def message_or_404(admin: User, message_id: int) -> OutboxMessage:
    row = db.session.get(OutboxMessage, message_id)
    if row is None or (not admin.is_network_admin and row.school_id != admin.school_id):
        abort(404)
    return row


def send_again(admin: User, row: OutboxMessage) -> None:
    """Put a failed (or held) message back in the queue; it keeps its Message-ID."""
    if not admin.is_admin:
        raise NotAllowed("Only admins can send mail again.")
    if not mail.mail_is_on():
        raise DomainError("Mail is off (LSWEB_MAIL_URL is not set): nothing can be sent.")
    if row.status not in RESENDABLE:
        raise DomainError("Only a message that failed or was not sent can be sent again.")
    row.status, row.attempts, row.next_attempt_at, row.claimed_at = MailStatus.WAITING, 0, utcnow(), None
    audit.record(admin, "mail.sent_again", target=row.to_address, details=row.subject, school_id=row.school_id)
    tasks.remember(db.session(), row)
    db.session.commit()


@bp.route("/outbox")
def outbox():
    if not current_user.is_admin:
        abort(404)
    stmt = visible_messages(current_user)
    wanted = request.args.get("status", "")
    if wanted in {status.value for status in MailStatus}:
        stmt = stmt.where(OutboxMessage.status == MailStatus(wanted))
    page = db.paginate(stmt, page=request.args.get("page", 1, type=int), per_page=PER_PAGE, error_out=False)
    server = None
    if mail.mail_is_on():
        from ..mail.delivery import mail_server

        server = mail_server().describe()
    return render("admin/outbox.html", "messages", page=page, wanted=wanted, statuses=list(MailStatus),
                  server=server, sender=current_app.config["LSWEB"]["MAIL_FROM"], form=EmptyForm(),
                  resendable=RESENDABLE)


@bp.route("/outbox/<int:message_id>/send-again", methods=["POST"])
def outbox_send_again(message_id: int):
    row = message_or_404(current_user, message_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        send_again(current_user, row)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        flash(f"The message to {row.to_address} is queued again.", "success")
    return done(url_for("admin.outbox"))
