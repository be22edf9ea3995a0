"""Signing in and passwords. Services take explicit arguments and commit once."""

from __future__ import annotations

import secrets

from flask import current_app
from werkzeug.security import check_password_hash, generate_password_hash

from .. import audit
from ..errors import DomainError
from ..extensions import db
from ..models import User

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 200
# Checked when the email is unknown, so that the answer takes as long as for a real account.
_DUMMY_HASH: dict[str, str] = {}


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["LSWEB"]["PASSWORD_HASH"])


def normalise_email(email: str) -> str:
    return email.strip().lower()


def authenticate(email: str, password: str) -> User | None:
    """The active user with this email and password, or None. Says nothing about which part was wrong."""
    user = db.session.scalar(db.select(User).where(User.email == normalise_email(email)))
    if user is None or user.password_hash is None:
        method = current_app.config["LSWEB"]["PASSWORD_HASH"]
        if method not in _DUMMY_HASH:
            _DUMMY_HASH[method] = hash_password(secrets.token_hex(8))
        check_password_hash(_DUMMY_HASH[method], password)
        return None
    if not check_password_hash(user.password_hash, password):
        return None
    if not user.active:
        return None
    return user


def check_new_password(user: User, password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise DomainError(f"Use at least {MIN_PASSWORD_LENGTH} characters.", "new_password")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise DomainError(f"Use at most {MAX_PASSWORD_LENGTH} characters.", "new_password")
    if password.strip().lower() in (user.email, user.email.split("@")[0], user.display_name.lower()):
        raise DomainError("Choose a password that is not your name or email.", "new_password")


def change_password(user: User, current: str, new: str, keep_session: str | None = None) -> None:
    """Change one's own password; every other session of the user is signed out."""
    from .sessions import end_other_sessions

    if user.password_hash is None or not check_password_hash(user.password_hash, current):
        raise DomainError("Your current password is not right.", "current_password")
    if current == new:
        raise DomainError("The new password must differ from the current one.", "new_password")
    check_new_password(user, new)
    user.password_hash = hash_password(new)
    user.must_change_password = False
    user.session_generation += 1
    end_other_sessions(user, keep=keep_session)
    audit.record(user, "password.changed", target=user.email)
    db.session.commit()


def issue_temporary_password(admin: User, member: User) -> str:
    """Set a temporary password that must be changed at first sign-in; sign out the member everywhere."""
    temporary = "-".join(secrets.token_urlsafe(4).replace("_", "x").replace("-", "y") for _ in range(3))
    member.password_hash = hash_password(temporary)
    member.must_change_password = True
    member.session_generation += 1
    audit.record(admin, "staff.password_reset", target=member.email, school_id=member.school_id)
    db.session.commit()
    return temporary
