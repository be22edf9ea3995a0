"""CSV import of staff: upload, preview with per-row errors, then a clear choice."""

from __future__ import annotations

import secrets
import time
from pathlib import Path

from flask import abort, current_app, flash, request, url_for
from flask_login import current_user

from ..errors import DomainError
from ..extensions import db

from ..permissions import manageable_schools, school_or_404
from ..web import done, form_error, render
from . import bp
from .forms import ConfirmImportForm, ImportForm
from .staff_import import apply_import, preview_csv

UPLOAD_MAX_AGE = 24 * 3600


def _upload_dir() -> Path:
    path = Path(current_app.instance_path) / "imports"
    path.mkdir(mode=0o700, exist_ok=True)
    now = time.time()
    for old in path.glob("*.csv"):
        if now - old.stat().st_mtime > UPLOAD_MAX_AGE:
            old.unlink(missing_ok=True)
    return path


def _upload_path(token: str) -> Path:
    # The owner's id is part of the name: nobody else can confirm someone's upload.
    return _upload_dir() / f"{current_user.id}-{token}.csv"


def _import_form() -> ImportForm:
    form = ImportForm()
    form.school_id.choices = [(school.id, school.name) for school in manageable_schools(current_user)]
    return form


@bp.route("/staff/import", methods=["GET", "POST"])
def import_staff():
    form = _import_form()
    if request.method == "GET" and request.args.get("school", type=int):
        form.school_id.data = request.args.get("school", type=int)
    if not form.validate_on_submit():
        if form.errors:
            return form_error("admin/import.html", "form", form=form)
        return render("admin/import.html", "form", form=form)
    school = school_or_404(current_user, form.school_id.data)
    data = form.file.data.read(current_app.config["MAX_CONTENT_LENGTH"] + 1)
    preview = preview_csv(data, current_user, current_app.config["LSWEB"]["IMPORT_MAX_ROWS"])
    if preview.file_error:
        form.file.errors.append(preview.file_error)
        return form_error("admin/import.html", "form", form=form)
    token = secrets.token_urlsafe(24)
    _upload_path(token).write_bytes(data)
    confirm = ConfirmImportForm(token=token, school_id=str(school.id))
    return render("admin/import_preview.html", school=school, preview=preview, confirm=confirm)


@bp.route("/staff/import/confirm", methods=["POST"])
def confirm_import():
    confirm = ConfirmImportForm()
    if not confirm.validate_on_submit():
        abort(400)
    school = school_or_404(current_user, int(confirm.school_id.data))
    path = _upload_path(confirm.token.data)
    if not path.exists():
        flash("That upload has expired. Please upload the file again.", "error")
        return done(url_for("admin.import_staff", school=school.id))
    # Check again: accounts may have been added since the preview.
    preview = preview_csv(path.read_bytes(), current_user, current_app.config["LSWEB"]["IMPORT_MAX_ROWS"])
    try:
        added = apply_import(current_user, school, preview, skip_bad=confirm.skip_bad.data)
    except DomainError as error:
        db.session.rollback()
        return render("admin/import_preview.html", status=422, school=school, preview=preview,
                      confirm=confirm, refusal=error.message)
    path.unlink(missing_ok=True)
    flash(f"{added} staff imported into {school.name}. Use “Reset password” to give each a temporary "
          "password.", "success")
    return done(url_for("admin.staff", school=school.id))


