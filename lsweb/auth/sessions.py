"""How a signed-in session is recognised, and the rules every signed-in request obeys."""

from __future__ import annotations

from flask import Flask, redirect, request, url_for
from flask_login import LoginManager, current_user

from ..extensions import db
from ..models import User

# Endpoints a user who must change their password may still reach.
OPEN_WHILE_CHANGING = {"auth.change_password", "auth.logout", "static"}


def load_user(user_id: str) -> User | None:
    """The id in the cookie is "<user id>:<session generation>"; an old generation is signed out."""
    try:
        raw_id, raw_generation = user_id.split(":", 1)
        user = db.session.get(User, int(raw_id))
        generation = int(raw_generation)
    except (ValueError, TypeError):
        return None
    if user is None or not user.active or user.session_generation != generation:
        return None
    return user


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
