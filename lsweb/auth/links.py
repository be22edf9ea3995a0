"""One-time links to set one's password, sent by e-mail: invitations (from an admin) and password
resets (from the sign-in page).

A link carries a token id and a random secret, signed with the secret key; only a hash of the secret
is stored. A link works once, until it expires, for an active account; a newer link of the same kind
replaces the older ones. Setting a password through a link ends every session of the account.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import update

from .. import audit, mail
from ..database import outside_write_lock
from ..errors import DomainError, NotAllowed
from ..extensions import db
from ..models import AccountToken, TokenPurpose, User
from ..models.base import utcnow
from ..permissions import can_manage_staff
from ..timezones import local, zone_of
from .services import check_new_password, hash_password, local_passwords_allowed, normalise_email
from .sessions import end_other_sessions

SALT = "lsweb-account-link"


class LinkRefused(Exception):
    """The link cannot be used: `title` and `message` say why, for the page that says so."""

    def __init__(self, title: str, message: str):
        super().__init__(message)
        self.title, self.message = title, message


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _new_token(user: User, purpose: TokenPurpose, lifetime: timedelta, by: User | None) -> tuple[AccountToken, str]:
    now = utcnow()
    # The newest link counts: older unused ones of the same kind stop working.
    db.session.execute(update(AccountToken).where(
        AccountToken.user_id == user.id, AccountToken.purpose == purpose, AccountToken.used_at.is_(None),
        AccountToken.expires_at > now).values(expires_at=now))
    secret = secrets.token_urlsafe(24)
    token = AccountToken(user_id=user.id, purpose=purpose, secret_hash=_digest(secret),
                         created_by_id=by.id if by else None, created_at=now, expires_at=now + lifetime)
    db.session.add(token)
    db.session.flush()
    return token, _serializer().dumps([token.id, secret])


def _when(moment, user: User) -> str:
    """When a link stops working, in the person's school's time (the e-mail is read there)."""
    return local(moment, zone_of(user.school)).strftime("%d %B %Y, %H:%M %Z")


def invite(admin: User, member: User) -> AccountToken:
    """E-mail `member` a link to choose their password (again, when sent before)."""
    token = queue_invitation(admin, member)
    db.session.commit()
    return token


def queue_invitation(admin: User, member: User) -> AccountToken:
    """The invitation's link and e-mail, in the caller's transaction (adding or importing staff)."""
    if member.school is not None and not can_manage_staff(admin, member.school):
        raise NotAllowed("You cannot invite this person.")
    if member.school is None and not admin.is_network_admin:
        raise NotAllowed("You cannot invite this person.")
    if not member.active:
        raise DomainError(f"{member.display_name} is deactivated: reactivate them before inviting them.")
    if not local_passwords_allowed(member):
        raise DomainError(f"{member.school.name} signs in through its directory only: {member.display_name} "
                          "has no lsweb password to choose.")
    days = current_app.config["LSWEB"]["INVITATION_DAYS"]
    token, raw = _new_token(member, TokenPurpose.INVITATION, timedelta(days=days), admin)
    token.link_token = raw  # (not stored) for the CLI and tests
    mail.queue_mail("invitation", member, "invitation", f"You are invited to lsweb at "
                    f"{member.school.name if member.school else 'your network'}",
                    inviter=admin.display_name, link=mail.absolute_url("auth.set_password", token=raw),
                    expires=_when(token.expires_at, member))
    audit.record(admin, "staff.invited", target=member.email, school_id=member.school_id)
    return token


def request_reset(email: str) -> None:
    """E-mail a reset link when an active account has this address; do nothing visible otherwise."""
    user = db.session.scalar(db.select(User).where(User.email == normalise_email(email)[:254]))
    if user is None or not user.active or not local_passwords_allowed(user):
        return
    hours = current_app.config["LSWEB"]["RESET_HOURS"]
    token, raw = _new_token(user, TokenPurpose.PASSWORD_RESET, timedelta(hours=hours), None)
    mail.queue_mail("password_reset", user, "password_reset", "Set a new lsweb password",
                    link=mail.absolute_url("auth.set_password", token=raw), expires=_when(token.expires_at, user))
    audit.record(user, "auth.reset_requested", target=user.email)
    db.session.commit()


TAMPERED = LinkRefused("This link does not work",
                       "The link is not complete or has been changed. Copy the whole link from the e-mail, "
                       "or ask for a new one.")


def check_link(raw: str) -> AccountToken:
    """The token a link stands for, if it may still be used; LinkRefused saying why not."""
    try:
        token_id, secret = _serializer().loads(raw)
        token_id, secret = int(token_id), str(secret)
    except (BadSignature, ValueError, TypeError):
        raise TAMPERED from None
    token = db.session.get(AccountToken, token_id)
    if token is None or not hmac.compare_digest(token.secret_hash, _digest(secret)):
        raise TAMPERED
    if token.used_at is not None:
        raise LinkRefused("This link has been used",
                          "Each link works only once. If you have forgotten your password, ask for a new link.")
    if token.expires_at <= utcnow():
        raise LinkRefused("This link has expired",
                          "The link is too old, or a newer one has been sent. Ask for a new link "
                          "(“Forgotten your password?” on the sign-in page, or your school’s lsweb admin).")
    if not token.user.active:
        raise LinkRefused("This account is deactivated",
                          "The account this link was sent for can no longer sign in. Ask your school’s lsweb admin.")
    return token


def set_password(raw: str, password: str) -> User:
    """Set the password of the link's account, use up the link and end every session of the account."""
    with outside_write_lock(db.session):  # hashing takes a while: no writer waits for it
        user = check_link(raw).user
        check_new_password(user, password)
        new_hash = hash_password(password)
    token = check_link(raw)  # again, in the write transaction: still unused
    user = token.user
    now = utcnow()
    token.used_at = now
    db.session.execute(update(AccountToken).where(AccountToken.user_id == user.id,
                                                  AccountToken.used_at.is_(None)).values(expires_at=now))
    user.password_hash = new_hash
    user.must_change_password = False
    user.temporary_password_expires_at = None
    user.session_generation += 1
    end_other_sessions(user, keep=None)
    action = "staff.invitation_accepted" if token.purpose is TokenPurpose.INVITATION else "auth.password_reset_by_link"
    audit.record(user, action, target=user.email)
    db.session.commit()
    return user


def latest_invitations(user_ids: list[int]) -> dict[int, AccountToken]:
    """The newest invitation of each of these people (for the staff list: who invited, who accepted)."""
    if not user_ids:
        return {}
    rows = db.session.scalars(db.select(AccountToken).where(
        AccountToken.user_id.in_(user_ids), AccountToken.purpose == TokenPurpose.INVITATION)
        .order_by(AccountToken.id))
    return {row.user_id: row for row in rows}
