"""How a signed-in session is recognised, and the rules every signed-in request obeys.

Each sign-in creates a UserSession row; its id travels in the session cookie (and the remember-me
cookie) together with the user's session generation. A request is signed in only while that row is
open and the generation matches: sign-out ends the row, a password change ends every other row and
bumps the generation.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from flask import Flask, current_app, redirect, request, url_for
from flask_login import LoginManager, current_user
from sqlalchemy import bindparam, update
from sqlalchemy.orm.attributes import set_committed_value

from ..database import holds_write_lock
from ..extensions import db
from ..models import School, User, UserSession
from ..models.base import utcnow

# Endpoints a user who must change their password may still reach.
OPEN_WHILE_CHANGING = {"auth.change_password", "auth.logout", "static"}
SEEN_EVERY = timedelta(minutes=5)


def start_session(user: User, user_agent: str, address: str, remember: bool = False) -> UserSession:
    """A new signed-in session for `user` (the caller commits)."""
    record = UserSession(id=secrets.token_urlsafe(32), user_id=user.id, user_agent=(user_agent or "")[:200],
                         address=(address or "")[:64], remember=bool(remember))
    db.session.add(record)
    user.session_id = record.id
    return record


# Every signed-in request runs this: built once (with bound parameters) rather than on each request.
# The person's school comes in the same query (into the session's identity map, so `user.school`, which
# every page showing a time asks for its time zone, needs no query of its own).
_SIGNED_IN = (db.select(User, UserSession.last_seen_at, UserSession.created_at, UserSession.remember, School)
              .join(UserSession, UserSession.user_id == User.id)
              .outerjoin(School, School.id == User.school_id)
              .where(UserSession.id == bindparam("session"), User.id == bindparam("user"),
                     UserSession.ended_at.is_(None)))


def load_user(user_id: str) -> User | None:
    try:
        raw_id, raw_generation, session_id = user_id.split(":", 2)
        wanted_id, generation = int(raw_id), int(raw_generation)
    except (ValueError, TypeError):
        return None
    if not session_id:
        return None
    row = db.session.execute(_SIGNED_IN, {"session": session_id, "user": wanted_id}).first()
    if row is None:
        return None
    user, last_seen_at, created_at, remember, school = row
    if not user.active or user.session_generation != generation:
        return None
    if utcnow() - created_at > lifetime(remember):
        return None  # the absolute session lifetime: sign in again
    user.session_id = session_id
    set_committed_value(user, "school", school)  # loaded above: no query when a page asks
    if utcnow() - last_seen_at > SEEN_EVERY:
        seen = update(UserSession).where(UserSession.id == session_id).values(last_seen_at=utcnow())
        if holds_write_lock():  # a write request's own transaction: a second connection would wait on it
            db.session.execute(seen)
        else:
            with db.engine.begin() as connection:  # a short write of its own, rarely
                connection.execute(seen)
    return user


def lifetime(remember: bool) -> timedelta:
    """How long after sign-in a session ends, however active it is."""
    settings = current_app.config["LSWEB"]
    return timedelta(days=settings["REMEMBER_DAYS"]) if remember else timedelta(
        hours=settings["SESSION_ABSOLUTE_HOURS"])


def end_session(user: User, session_id: str) -> bool:
    record = db.session.get(UserSession, session_id)
    if record is None or record.user_id != user.id or record.ended_at is not None:
        return False
    record.ended_at = utcnow()
    return True


def end_other_sessions(user: User, keep: str | None) -> int:
    """End every open session of the user except `keep` (the caller commits)."""
    stmt = (update(UserSession).where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
            .values(ended_at=utcnow()))
    if keep:
        stmt = stmt.where(UserSession.id != keep)
    return db.session.execute(stmt).rowcount or 0


def open_sessions(user: User) -> list[UserSession]:
    return list(db.session.scalars(db.select(UserSession).where(
        UserSession.user_id == user.id, UserSession.ended_at.is_(None)).order_by(UserSession.last_seen_at.desc())))


def configure_login(app: Flask, login_manager: LoginManager) -> None:
    login_manager.user_loader(load_user)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to continue."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    @app.before_request
    def _password_change_first():
        if (current_user.is_authenticated and current_user.must_change_password
                and request.endpoint not in OPEN_WHILE_CHANGING):
            return redirect(url_for("auth.change_password"), code=303)
        return None
