"""Forgotten password (the sign-in page's link) and the page a one-time e-mailed link opens."""

from __future__ import annotations

from flask import flash, session, url_for
from flask_limiter.util import get_remote_address
from flask_login import current_user, logout_user

from ..errors import DomainError
from ..extensions import db, limiter
from ..web import render, see_other
from . import bp, devices, links
from .forms import ForgotPasswordForm, SetPasswordForm
from .views import _account_key, _account_limit, _address_limit, _failed

SENT = ("If an account has this address, a link to set a new password is on its way to it. The link works "
        "once. No e-mail? Check the address, look in your junk mail, or ask your school’s lsweb admin.")


@bp.route("/forgot-password", methods=["GET", "POST"])
# Every request for a link counts (a 303 for the signed-in, or a 429 while throttled, does not).
@limiter.limit(_address_limit, key_func=get_remote_address, methods=["POST"], deduct_when=_failed,
               scope="forgot-address")
@limiter.limit(_account_limit, key_func=_account_key, methods=["POST"], deduct_when=_failed,
               scope="forgot-account")
def forgot_password():
    if current_user.is_authenticated:
        return see_other(url_for("home.index"))
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        links.request_reset(form.email.data)
        # The same answer whether or not the account exists.
        return render("auth/forgot.html", "form", form=form, sent=SENT)
    status = 422 if form.errors else 200
    return render("auth/forgot.html", "form", status=status, form=form, sent=None)


@bp.route("/password/set/<token>", methods=["GET", "POST"])
def set_password(token: str):
    try:
        link = links.check_link(token)
    except links.LinkRefused as refusal:
        db.session.rollback()
        return render("auth/link_refused.html", status=410, refusal=refusal)
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            user = links.set_password(token, form.new_password.data)
        except DomainError as error:
            db.session.rollback()
            form.new_password.errors.append(error.message)
        except links.LinkRefused as refusal:
            db.session.rollback()
            return render("auth/link_refused.html", status=410, refusal=refusal)
        else:
            if current_user.is_authenticated:
                logout_user()
            session.clear()
            flash("Your password is set. Sign in with your e-mail address and the new password.", "success")
            response = see_other(url_for("auth.login"))
            # The browser that opened the mailed link is the person's: sign-in here is not held back by
            # failures elsewhere (someone else trying to guess the password).
            devices.remember_device(response, user.email)
            return response
    status = 422 if form.errors else 200
    return render("auth/set_password.html", "form", status=status, form=form, member=link.user,
                  invitation=link.purpose.value == "invitation")
