from __future__ import annotations

import time
from urllib.parse import urlsplit

from flask import current_app, flash, request, session, url_for
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user

from .. import audit
from ..errors import DomainError
from ..extensions import db, limiter
from ..web import done, render, see_other
from . import bp, devices, ldap, services, sessions, two_step
from .forms import ChangePasswordForm, LoginForm

FAILED_SIGN_IN = "The email or password is not right."


def _account_key() -> str:
    return "account:" + services.normalise_email(request.form.get("email", ""))[:254]


def _email() -> str:
    return services.normalise_email(request.form.get("email", ""))[:254]


def _pair_key() -> str:
    """The attempts counted for one account from one place: this browser when the account signed in on
    it before, else this address (so a colleague's typos behind the same NAT do not count)."""
    device = devices.known_device(_email())
    place = f"device:{device}" if device else f"address:{get_remote_address()}"
    return f"{place}:account:{_email()}"


def _from_known_device() -> bool:
    return devices.known_device(_email()) is not None


def _failed(response) -> bool:
    """Only failed sign-ins count towards the throttle (a success answers 303; a refusal while
    throttled, 429, does not extend the pause)."""
    return response.status_code not in (303, 429)


def _address_limit() -> str:
    return current_app.config["LSWEB"]["LOGIN_LIMIT_ADDRESS"]


def _account_limit() -> str:
    return current_app.config["LSWEB"]["LOGIN_LIMIT_ACCOUNT"]


def _everywhere_limit() -> str:
    return current_app.config["LSWEB"]["LOGIN_LIMIT_ACCOUNT_EVERYWHERE"]


def _safe_next(target: str | None) -> str:
    """A path on this site, or the home page. Browsers drop tabs and newlines from a URL ("/<tab>/evil"
    becomes "//evil"), so any whitespace or control character refuses the target."""
    if (target and target.startswith("/") and not target.startswith("//") and "\\" not in target
            and not any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in target)):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("home.index")


@bp.route("/login", methods=["GET", "POST"])
# Three counts of failed sign-ins: per account and place (address, or a device the account used
# before), per address (a higher ceiling, shared by a staffroom behind one NAT) and per account from
# everywhere; a device the account used before is held to the first only.
@limiter.limit(_account_limit, key_func=_pair_key, methods=["POST"], deduct_when=_failed, scope="login-pair")
@limiter.limit(_address_limit, key_func=get_remote_address, methods=["POST"], deduct_when=_failed,
               exempt_when=_from_known_device, scope="login-address")
@limiter.limit(_everywhere_limit, key_func=_account_key, methods=["POST"], deduct_when=_failed,
               exempt_when=_from_known_device, scope="login-account")
def login():
    if current_user.is_authenticated:
        return see_other(url_for("home.index"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.email.data, form.password.data)
        except DomainError as refusal:  # the right temporary password, expired
            form.password.errors.append(refusal.message)
            return render("auth/login.html", "form", status=422, form=form)
        local = user is not None  # (a directory password is the directory's to judge)
        if user is None and ldap.enabled():
            user = ldap.authenticate(form.email.data, form.password.data)
        if user is not None:
            weak = local and not user.must_change_password and services.known_weak(user, form.password.data)
            return first_step_passed(user, bool(form.remember.data), _safe_next(request.args.get("next")), weak)
        form.password.errors.append(FAILED_SIGN_IN)
        return render("auth/login.html", "form", status=422, form=form)
    status = 422 if form.errors else 200
    return render("auth/login.html", "form", status=status, form=form)


def first_step_passed(user, remember: bool, target: str, weak: bool):
    """The password (lsweb's or the directory's) or the school's OpenID Connect provider said yes:
    the code from the authenticator app comes next when the person has two-step sign-in, else they are in."""
    if two_step.enabled(user):
        session.clear()
        session["two_step"] = {"user": user.id, "at": time.time(), "remember": remember, "next": target,
                               "weak": weak, "tries": 0}
        db.session.commit()
        return see_other(url_for("auth.two_step_sign_in"))
    return complete_sign_in(user, remember, target, weak)


def complete_sign_in(user, remember: bool, target: str, weak: bool):
    """Sign `user` in (a fresh session) once every step has passed."""
    session.clear()  # a fresh session at sign-in
    session.permanent = True
    sessions.start_session(user, request.headers.get("User-Agent", ""), request.remote_addr or "",
                           remember=remember)
    login_user(user, remember=remember)
    if weak:
        user.must_change_password = True
        flash("Your password is one that is widely known (the demo's, or one of the most common "
              "passwords): choose a new one before going on.", "error")
    audit.record(user, "auth.signed_in", target=user.email)
    db.session.commit()
    response = see_other(target)
    devices.remember_device(response, user.email)
    return response


@bp.route("/logout", methods=["POST"])
def logout():
    if current_user.is_authenticated:
        if sessions.end_session(current_user, current_user.session_id):
            db.session.commit()
        logout_user()
    session.clear()
    flash("You are signed out.", "info")
    return see_other(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(current_user, form.current_password.data, form.new_password.data,
                                     keep_session=current_user.session_id)
        except DomainError as error:
            getattr(form, error.field or "new_password").errors.append(error.message)
        else:
            login_user(current_user._get_current_object(), remember=bool(request.cookies.get(
                current_app.config["REMEMBER_COOKIE_NAME"])))
            flash("Your password is changed. Any other device signed in as you has been signed out.",
                  "success")
            return see_other(url_for("home.index"))
    status = 422 if form.errors else 200
    return render("auth/password.html", "form", status=status, form=form)


@bp.route("/account/sessions")
@login_required
def my_sessions():
    """The user's signed-in devices, with a way to end any of the others."""
    return render("auth/sessions.html", "sessions", sessions=sessions.open_sessions(current_user),
                  current_id=current_user.session_id)


@bp.route("/account/sessions/end", methods=["POST"])
@login_required
def end_sessions():
    which = request.form.get("session", "")
    if which == "others":
        ended = sessions.end_other_sessions(current_user, keep=current_user.session_id)
        audit.record(current_user, "auth.sessions_ended", target=current_user.email, details=f"{ended} others")
        db.session.commit()
        flash(f"Signed out on {ended} other {'device' if ended == 1 else 'devices'}.", "success")
    elif which and which != current_user.session_id and sessions.end_session(current_user, which):
        audit.record(current_user, "auth.sessions_ended", target=current_user.email, details="1 other")
        db.session.commit()
        flash("That device is signed out.", "success")
    else:
        flash("That session is not open any more.", "info")
    return done(url_for("auth.my_sessions"), "auth/sessions.html", "sessions",
                sessions=sessions.open_sessions(current_user), current_id=current_user.session_id)
