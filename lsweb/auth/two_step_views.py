"""Two-step sign-in pages: the code after the password (/login/two-step) and setting it up or switching
it off on one's account (/account/two-step)."""

from __future__ import annotations

import time

from flask import flash, session, url_for
from flask_login import current_user, login_required

from ..errors import DomainError
from ..extensions import db
from ..models import User
from ..web import render, see_other
from . import bp, two_step
from .forms import TwoStepCodeForm, TwoStepOffForm
from .views import complete_sign_in

PENDING_SECONDS = 300  # the password step is good for five minutes
MAX_TRIES = 5          # wrong codes before the password must be given again


def _pending() -> tuple[dict, User] | None:
    pending = session.get("two_step")
    if not isinstance(pending, dict) or time.time() - float(pending.get("at", 0)) > PENDING_SECONDS:
        return None
    user = db.session.get(User, pending.get("user"))
    if user is None or not user.active or not two_step.enabled(user):
        return None
    return pending, user


@bp.route("/login/two-step", methods=["GET", "POST"])
def two_step_sign_in():
    found = _pending()
    if found is None:
        session.pop("two_step", None)
        flash("Sign in again: the code is asked for within five minutes of your password.", "info")
        return see_other(url_for("auth.login"))
    pending, user = found
    form = TwoStepCodeForm()
    if form.validate_on_submit():
        if two_step.check(user, form.code.data):
            return complete_sign_in(user, bool(pending.get("remember")), pending.get("next") or "/",
                                    bool(pending.get("weak")))
        db.session.commit()
        pending["tries"] = int(pending.get("tries", 0)) + 1
        if pending["tries"] >= MAX_TRIES:
            session.pop("two_step", None)
            flash("Too many wrong codes: sign in again with your password.", "error")
            return see_other(url_for("auth.login"))
        session["two_step"] = pending
        form.code.errors.append("That code is not right (or was used already): type the one your app shows now.")
    status = 422 if form.errors else 200
    return render("auth/two_step_sign_in.html", "form", status=status, form=form)


@bp.route("/account/two-step", methods=["GET", "POST"])
@login_required
def two_step_setup():
    """Not set up: a new secret (kept in the session until confirmed) as a QR code and as text, and a
    code to confirm it; set up: the state, and switching it off."""
    user = current_user._get_current_object()
    if two_step.enabled(user):
        return render("auth/two_step.html", "page", enabled=True, left=two_step.codes_left(user),
                      required=two_step.required(user), off_form=TwoStepOffForm(formdata=None))
    secret = session.get("two_step_secret") or two_step.new_secret()
    session["two_step_secret"] = secret
    form = TwoStepCodeForm()
    codes = None
    if form.validate_on_submit():
        try:
            codes = two_step.enable(user, secret, form.code.data)
        except DomainError as error:
            db.session.rollback()
            form.code.errors.append(error.message)
        else:
            session.pop("two_step_secret", None)
            return render("auth/two_step.html", "page", enabled=True, codes=codes, left=len(codes),
                          required=two_step.required(user), off_form=TwoStepOffForm(formdata=None))
    uri = two_step.setup_uri(user, secret)
    status = 422 if form.errors else 200
    return render("auth/two_step.html", "page", status=status, enabled=False, form=form, secret=secret,
                  qr=two_step.qr_svg(uri), required=two_step.required(user))


@bp.route("/account/two-step/off", methods=["POST"])
@login_required
def two_step_off():
    user = current_user._get_current_object()
    if not two_step.enabled(user):
        flash("Two-step sign-in is not on.", "info")
        return see_other(url_for("auth.two_step_setup"))
    form = TwoStepOffForm()
    if form.validate_on_submit():
        try:
            two_step.disable(user, form.password.data, form.code.data)
        except DomainError as error:
            db.session.rollback()
            (getattr(form, error.field).errors if error.field else form.code.errors).append(error.message)
        else:
            flash("Two-step sign-in is off.", "success")
            return see_other(url_for("auth.two_step_setup"))
    return render("auth/two_step.html", "page", status=422, enabled=two_step.enabled(user),
                  left=two_step.codes_left(user), required=two_step.required(user), off_form=form)
