"""The web side of privacy: "Download my data" for everyone signed in, and deleting an account (with a
confirmation page) for the admins who manage that person."""

from __future__ import annotations

import io
from datetime import datetime, timezone

from flask import Blueprint, abort, flash, request, send_file, url_for
from flask_login import current_user, login_required

from ..admin.forms import EmptyForm
from ..errors import DomainError
from ..permissions import staff_member_or_404
from ..web import render, see_other
from . import privacy

bp = Blueprint("operations", __name__)


@bp.route("/account/data", methods=["GET", "POST"])
@login_required
def my_data():
    form = EmptyForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        data = privacy.build_export(current_user, current_user)
        stamp = datetime.now(timezone.utc).strftime("%Y%m%d")
        return send_file(io.BytesIO(data), mimetype="application/zip", as_attachment=True,
                         download_name=f"lsweb-my-data-{stamp}.zip")
    return render("operations/my_data.html", form=form, parts=sorted(privacy.EXPORTERS))


@bp.route("/admin/staff/<int:member_id>/delete", methods=["GET", "POST"])
@login_required
def delete_staff(member_id: int):
    member = staff_member_or_404(current_user, member_id) if current_user.is_admin else abort(404)
    form = EmptyForm()
    error = None
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        if request.form.get("confirm") != "yes":
            error = "Tick the box to confirm that this account is to be deleted."
        else:
            name, school_id = member.display_name, member.school_id
            try:
                privacy.delete_account(current_user, member)
            except DomainError as refused:
                error = refused.message
            else:
                flash(f"The account of {name} is deleted. Their contributions now show “Former member”.", "success")
                return see_other(url_for("admin.staff", school=school_id) if school_id else url_for("admin.staff"))
    return render("operations/delete_staff.html", status=422 if error else 200, member=member, form=form,
                  error=error)
