"""CSV import of staff: upload, preview with per-row errors, then a clear choice."""

from __future__ import annotations

import json
import secrets
import time
from pathlib import Path

from flask import abort, current_app, flash, request, url_for
from flask_login import current_user

from .. import mail
from ..errors import DomainError
from ..extensions import db
from ..inputs import accepts

from ..models import Role
from ..permissions import assignable_roles, manageable_schools, school_or_404
from ..web import done, form_error, render
from . import bp
from . import mis_columns as mis
from .forms import ColumnMappingForm, ConfirmImportForm, ImportForm
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
@accepts("files")
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
    preview = preview_csv(data, current_user, current_app.config["LSWEB"]["IMPORT_MAX_ROWS"],
                          school_id=school.id)
    token = secrets.token_urlsafe(24)
    if preview.needs_mapping:
        _upload_path(token).write_bytes(data)
        return _mapping_page(school, preview, ColumnMappingForm(token=token, school_id=str(school.id)))
    if preview.file_error:
        form.file.errors.append(preview.file_error)
        return form_error("admin/import.html", "form", form=form)
    _upload_path(token).write_bytes(data)
    confirm = ConfirmImportForm(token=token, school_id=str(school.id))
    return render("admin/import_preview.html", school=school, preview=preview, confirm=confirm, mail_on=mail.mail_is_on())


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
    preview = preview_csv(path.read_bytes(), current_user, current_app.config["LSWEB"]["IMPORT_MAX_ROWS"],
                          school_id=school.id, choices=_saved_choices(path))
    try:
        invite = bool(confirm.invite.data) and mail.mail_is_on()
        added = apply_import(current_user, school, preview, skip_bad=confirm.skip_bad.data, invite=invite)
    except DomainError as error:
        db.session.rollback()
        return render("admin/import_preview.html", status=422, school=school, preview=preview, mail_on=mail.mail_is_on(),
                      confirm=confirm, refusal=error.message)
    path.unlink(missing_ok=True)
    path.with_suffix(".json").unlink(missing_ok=True)
    if invite:
        flash(f"{added} staff imported into {school.name}, each invited by e-mail to choose a password "
              "(the staff list shows who has accepted).", "success")
    else:
        flash(f"{added} staff imported into {school.name}. Use “Invite” (or “Reset password”) to give each a "
              "way to sign in.", "success")
    return done(url_for("admin.staff", school=school.id))




def _mapping_page(school, preview, mapping: ColumnMappingForm, status: int = 200):
    mapping.set_choices(preview.header, [role for role in assignable_roles(current_user)
                                         if role is not Role.NETWORK_ADMIN])
    if preview.columns is not None and not mapping.is_submitted():
        for key, index in preview.columns.found.items():
            getattr(mapping, key).data = str(index)
    return render("admin/import_mapping.html", status=status, school=school, preview=preview, mapping=mapping)


def _saved_choices(path: Path) -> mis.Columns | None:
    side = path.with_suffix(".json")
    if not side.exists():
        return None
    saved = json.loads(side.read_text())
    return mis.Columns({key: int(value) for key, value in saved["found"].items()},
                       Role(saved["default_role"]) if saved["default_role"] else None)


@bp.route("/staff/import/columns", methods=["POST"])
def map_import_columns():
    """The mapping step: the admin says which column is what; then the usual preview."""
    mapping = ColumnMappingForm()
    if not (mapping.token.validate(mapping) and mapping.school_id.validate(mapping)):
        abort(400)
    school = school_or_404(current_user, int(mapping.school_id.data))
    path = _upload_path(mapping.token.data)
    if not path.exists():
        flash("That upload has expired. Please upload the file again.", "error")
        return done(url_for("admin.import_staff", school=school.id))
    data = path.read_bytes()
    header = mis.read_header(data)
    mapping.set_choices(header, [role for role in assignable_roles(current_user) if role is not Role.NETWORK_ADMIN])
    if not mapping.validate_on_submit():
        abort(400)
    default_role = mapping.default_role.data or None
    choices = mis.chosen_columns(header, {key: getattr(mapping, key).data or "" for key in mis.FIELDS},
                                 default_role)
    preview = preview_csv(data, current_user, current_app.config["LSWEB"]["IMPORT_MAX_ROWS"],
                          school_id=school.id, choices=choices)
    if preview.needs_mapping or preview.file_error:
        preview.header = header
        if not preview.needs_mapping:
            mapping.form_errors.append(preview.file_error)
        return _mapping_page(school, preview, mapping, status=422)
    path.with_suffix(".json").write_text(json.dumps({"found": choices.found, "default_role": default_role}))
    confirm = ConfirmImportForm(token=mapping.token.data, school_id=str(school.id))
    return render("admin/import_preview.html", school=school, preview=preview, confirm=confirm, mail_on=mail.mail_is_on())
