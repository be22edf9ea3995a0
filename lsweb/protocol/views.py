"""The protocol page of a group: read, sign, amend; live for everyone on the page."""

from __future__ import annotations

from flask import abort, flash, request, url_for
from flask_login import current_user, login_required

from ..admin.forms import EmptyForm
from ..errors import DomainError, show_on_form
from ..extensions import db
from ..models import ProtocolVersion
from ..permissions import group_or_404, is_facilitator, school_or_404
from ..web import done, form_error, is_fragment_request, on_refusal, render
from . import bp, services
from .forms import AmendForm, SchoolProtocolForm, SignForm

PAGE = "protocol/show.html"


@bp.before_request
@login_required
def _signed_in():
    return None


def _context(group, sign_form: SignForm | None = None, amend_form: AmendForm | None = None,
             notice: str | None = None) -> dict:
    all_versions = services.versions(group)
    current, rows = services.sign_off_table(group, all_versions)
    previous = all_versions[1] if len(all_versions) > 1 else None
    gate_open, missing = services.gate_of(current, rows)
    signed = any(row.member.user_id == current_user.id and row.signed_current for row in rows)
    facilitator = is_facilitator(current_user, group)
    if sign_form is None:
        sign_form = SignForm(formdata=None, version_id=str(current.id) if current else "")
    if amend_form is None and facilitator:
        amend_form = AmendForm(formdata=None, based_on=str(current.number) if current else "0",
                               text=current.text if current else "")
    return {
        "group": group, "current": current, "rows": rows, "previous": previous,
        "diff": services.word_diff(previous.text, current.text) if previous and current else None,
        "versions": all_versions, "signed": signed,
        "sign_form": sign_form, "amend_form": amend_form, "gate_open": gate_open, "missing": missing,
        "facilitator": facilitator, "action_form": EmptyForm(), "notice": notice,
        "shown": _shown(current, signed),
    }


def _shown(current: ProtocolVersion | None, signed: bool) -> str:
    """What the text region shows: the version and whether this user has signed it ("3-1")."""
    return f"{current.number if current else 0}-{int(signed)}"


@bp.route("/groups/<int:group_id>/protocol")
def show(group_id: int):
    group = group_or_404(current_user, group_id)
    return render(PAGE, **_context(group))


@bp.route("/groups/<int:group_id>/protocol/text")
def text_region(group_id: int):
    """The live region with the current text and the sign form, fetched again on live events and on
    every (re)connect. When the page already shows the current version and this user's signature state
    (?shown=), the answer is 204 (htmx swaps nothing), so a half-filled sign form is left alone."""
    group = group_or_404(current_user, group_id)
    if is_fragment_request() and "shown" in request.args:
        current = services.current_version(group)
        if request.args["shown"] == _shown(current, services.has_signed(current_user, current)):
            return "", 204
    return render(PAGE, "protocol_main", **_context(group))


@bp.route("/groups/<int:group_id>/protocol/signatures")
def signatures_region(group_id: int):
    """The live region listing who has signed which version."""
    group = group_or_404(current_user, group_id)
    return render(PAGE, "signoffs", **_context(group))


@bp.route("/groups/<int:group_id>/protocol/sign", methods=["POST"])
def sign(group_id: int):
    group = group_or_404(current_user, group_id)
    form = SignForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        signature, created = services.sign(current_user, group, int(form.version_id.data), form.agree.data,
                                           form.typed_name.data)
    except DomainError as error:
        db.session.rollback()
        if error.field == "version":
            # Someone amended the text meanwhile: show the new text with a fresh form.
            return form_error(PAGE, "protocol_main", **_context(group, notice=error.message))
        show_on_form(form, error)
        return form_error(PAGE, "protocol_main", **_context(group, sign_form=form))
    if created:
        flash("Thank you: your signature is recorded.", "success")
    else:
        flash("You had already signed this version.", "info")
    return done(url_for("protocol.show", group_id=group.id), PAGE, "protocol_main", **_context(group))


@bp.route("/groups/<int:group_id>/protocol/withdraw", methods=["POST"])
def withdraw(group_id: int):
    group = group_or_404(current_user, group_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    on_refusal(lambda error: done(url_for("protocol.show", group_id=group.id), PAGE, "protocol_main",
                                  **_context(group)))
    services.withdraw(current_user, group)
    flash("Your signature is withdrawn. The group's lesson work pauses until you sign again.", "info")
    return done(url_for("protocol.show", group_id=group.id), PAGE, "protocol_main", **_context(group))


@bp.route("/groups/<int:group_id>/protocol/amend", methods=["POST"])
def amend(group_id: int):
    group = group_or_404(current_user, group_id)
    if not is_facilitator(current_user, group):
        abort(404)
    form = AmendForm()
    if form.validate_on_submit():
        try:
            version = services.amend(current_user, group, form.text.data, int(form.based_on.data),
                                     form.note.data)
        except DomainError as error:
            db.session.rollback()
            form.text.errors.append(error.message)
        else:
            flash(f"Version {version.number} is the protocol now. Everyone signs it again.", "success")
            return done(url_for("protocol.show", group_id=group.id))
    return form_error(PAGE, "amend", **_context(group, amend_form=form))


@bp.route("/groups/<int:group_id>/protocol/versions/<int:number>")
def record(group_id: int, number: int):
    """A printable signature record: the text, its SHA-256, and every signing event."""
    group = group_or_404(current_user, group_id)
    version = db.session.scalar(db.select(ProtocolVersion).where(ProtocolVersion.group_id == group.id,
                                                                 ProtocolVersion.number == number))
    if version is None:
        abort(404)
    previous = db.session.scalar(db.select(ProtocolVersion).where(ProtocolVersion.group_id == group.id,
                                                                  ProtocolVersion.number == number - 1))
    return render("protocol/record.html", group=group, version=version, previous=previous,
                  diff=services.word_diff(previous.text, version.text) if previous else None,
                  signatures=services.signatures_of(version),
                  actual_hash=services.text_hash(version.text))


@bp.route("/schools/<int:school_id>/protocol", methods=["GET", "POST"])
def school_default(school_id: int):
    school = school_or_404(current_user, school_id)
    current = services.school_default(school)
    form = SchoolProtocolForm(data=None if request.method == "POST" else
                              {"text": current.text if current else services.default_text()})
    if form.validate_on_submit():
        try:
            version = services.edit_school_default(current_user, school, form.text.data)
        except DomainError as error:
            db.session.rollback()
            form.text.errors.append(error.message)
        else:
            flash(f"Version {version.number} of {school.name}'s protocol is saved. New groups adopt it; "
                  "existing groups keep their own copy.", "success")
            return done(url_for("protocol.school_default", school_id=school.id))
    status = 422 if form.errors else 200
    return render("protocol/school_default.html", "form", status=status, form=form, school=school,
                  current=current)
