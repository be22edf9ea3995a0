"""E-mail: messages are written to the outbox inside the caller's transaction and sent by the task
queue after it commits (lsweb/mail/tasks.py). No pupil data ever goes into a message: callers pass
pseudonyms and lesson titles only."""

from __future__ import annotations

from contextlib import nullcontext
from email.utils import make_msgid

from flask import current_app, has_request_context, render_template, request, url_for

from ..extensions import db
from ..models import MailStatus, OutboxMessage, School, User
from . import tasks


def mail_is_on() -> bool:
    return bool(current_app.config["LSWEB"]["MAIL_URL"])


def _request_context():
    """Templates and URLs need a request; outside one (the CLI, the task queue) a made-up one at
    LSWEB_BASE_URL."""
    if has_request_context():
        return nullcontext()
    return current_app.test_request_context(base_url=current_app.config["LSWEB"]["BASE_URL"]
                                            or "http://localhost:8000/")


def absolute_url(endpoint: str, **values) -> str:
    """A link for an e-mail: LSWEB_BASE_URL (or the address of the current request) + the path."""
    with _request_context():
        path = url_for(endpoint, **values)[len(request.script_root):]
        root = current_app.config["LSWEB"]["BASE_URL"] or request.url_root
    return root.rstrip("/") + path


def queue_mail(kind: str, to: User, template: str, subject: str, school: School | None = None,
               attachment: tuple[str, str, str] | None = None, **context) -> OutboxMessage:
    """Write one message to `to` into the outbox (the caller commits). `template` names
    templates/mail/<template>.txt and .html; they get `person`, `school_name` and **context."""
    school = school if school is not None else to.school
    context = {"person": to, "school_name": school.name if school else "lsweb", "subject": subject, **context}
    row = OutboxMessage(
        kind=kind, to_address=to.email, user_id=to.id, school_id=school.id if school else None,
        subject=subject[:200],
        text_body="", html_body="",
        status=MailStatus.WAITING if mail_is_on() else MailStatus.HELD,
        message_id=make_msgid(idstring="lsweb", domain="lsweb.invalid"),
    )
    with _request_context():
        row.text_body = render_template(f"mail/{template}.txt", **context)
        row.html_body = render_template(f"mail/{template}.html", **context)
    if attachment is not None:
        row.attachment_name, row.attachment_type, row.attachment_body = attachment
    db.session.add(row)
    if row.status is MailStatus.WAITING:
        tasks.remember(db.session(), row)
    return row
