"""Signing in and passwords. Services take explicit arguments and commit once."""

from __future__ import annotations

import secrets
from datetime import timedelta

from flask import current_app
from werkzeug.security import check_password_hash, generate_password_hash

from .. import audit
from ..database import outside_write_lock
from ..errors import DomainError
from ..extensions import db
from ..models import User
from ..models.base import utcnow
from . import passwords

MIN_PASSWORD_LENGTH = passwords.MIN_PASSWORD_LENGTH
MAX_PASSWORD_LENGTH = passwords.MAX_PASSWORD_LENGTH
TEMPORARY_EXPIRED = ("This temporary password has expired. Ask your school’s lsweb admin for a new one, or use "
                     "“Forgotten your password?” below.")
# Checked when the email is unknown, so that the answer takes as long as for a real account.
_DUMMY_HASH: dict[str, str] = {}


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["LSWEB"]["PASSWORD_HASH"])


def normalise_email(email: str) -> str:
    return email.strip().lower()


def authenticate(email: str, password: str) -> User | None:
    """The active user with this email and password, or None. Says nothing about which part was wrong.

    The hash is checked with no write transaction open (it takes tens of milliseconds on purpose, and
    on SQLite every other writer would wait for it); the user is loaded afterwards, in the request's
    write transaction that records the sign-in."""
    with outside_write_lock(db.session):
        row = db.session.execute(db.select(User.id, User.password_hash, User.active,
                                           User.temporary_password_expires_at)
                                 .where(User.email == normalise_email(email))).first()
        if row is None or row.password_hash is None:
            method = current_app.config["LSWEB"]["PASSWORD_HASH"]
            if method not in _DUMMY_HASH:
                _DUMMY_HASH[method] = hash_password(secrets.token_hex(8))
            check_password_hash(_DUMMY_HASH[method], password)
            return None
        if not check_password_hash(row.password_hash, password) or not row.active:
            return None
    expires = row.temporary_password_expires_at
    if expires is not None and expires <= utcnow():
        raise DomainError(TEMPORARY_EXPIRED, "password")
    user = db.session.get(User, row.id)
    if user is None or not user.active or user.password_hash != row.password_hash:
        return None  # changed in between
    if not local_passwords_allowed(user):
        return None  # the school signs in through its directory only (which the sign-in page tries next)
    return user


def local_passwords_allowed(user: User) -> bool:
    """Whether lsweb's own password may sign this person in (their school may allow only its directory)."""
    return user.school is None or user.school.local_passwords


def known_weak(user: User, password: str) -> bool:
    """A password that signed in but must be replaced: the demo's (outside the demo's own accounts) or a
    common one. Cheap (a set look-up), so it runs at every sign-in."""
    if password.strip().lower() == passwords.DEMO_PASSWORD:
        return not user.email.endswith("@demo.local")
    return passwords.is_common(password)


def check_new_password(user: User, password: str) -> None:
    school = user.school.name if user.school is not None else ""
    passwords.refuse_weak(password, user.email, user.display_name, (school,) if school else ())


def change_password(user: User, current: str, new: str, keep_session: str | None = None) -> None:
    """Change one's own password; every other session of the user is signed out."""
    from .sessions import end_other_sessions

    with outside_write_lock(db.session):  # hashing takes a while: no writer waits for it
        old_hash = user.password_hash
        if old_hash is None or not check_password_hash(old_hash, current):
            raise DomainError("Your current password is not right.", "current_password")
        if current == new:
            raise DomainError("The new password must differ from the current one.", "new_password")
        check_new_password(user, new)
        new_hash = hash_password(new)
    if user.password_hash != old_hash:
        raise DomainError("Your password was changed meanwhile: sign in again.", "current_password")
    user.password_hash = new_hash
    user.must_change_password = False
    user.temporary_password_expires_at = None
    user.session_generation += 1
    end_other_sessions(user, keep=keep_session)
    audit.record(user, "password.changed", target=user.email)
    db.session.commit()


def issue_temporary_password(admin: User, member: User) -> str:
    """Set a temporary password that must be changed at first sign-in; sign out the member everywhere."""
    temporary = "-".join(secrets.token_urlsafe(4).replace("_", "x").replace("-", "y") for _ in range(3))
    with outside_write_lock(db.session):
        new_hash = hash_password(temporary)
    member.password_hash = new_hash
    member.must_change_password = True
    member.temporary_password_expires_at = utcnow() + timedelta(
        hours=current_app.config["LSWEB"]["TEMPORARY_PASSWORD_HOURS"])
    member.session_generation += 1
    audit.record(admin, "staff.password_reset", target=member.email, school_id=member.school_id)
    db.session.commit()
    return temporary
