"""The account's Notifications page: which e-mails the person gets (lsweb/mail/notify.py)."""

from __future__ import annotations

from flask import flash, request, url_for
from flask_login import current_user, login_required

from .. import audit
from ..extensions import db
from ..mail import mail_is_on
from ..mail.notify import KINDS, choices_of, set_choices
from ..web import render, see_other
from . import bp


@bp.route("/account/notifications", methods=["GET", "POST"])
@login_required
def notifications():
    if request.method == "POST":
        enabled = [key for key in request.form.getlist("kind") if key in KINDS]
        set_choices(current_user, enabled)
        audit.record(current_user, "account.notifications", target=current_user.email,
                     details=", ".join(enabled) or "none")
        db.session.commit()
        flash("Your notification choices are saved.", "success")
        return see_other(url_for("auth.notifications"))
    return render("auth/notifications.html", kinds=list(KINDS.values()), chosen=choices_of(current_user),
                  mail_on=mail_is_on())
