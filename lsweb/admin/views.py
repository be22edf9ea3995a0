"""Staff and school management, and the audit log."""

from __future__ import annotations

from flask import abort, flash, request, url_for
from flask_login import current_user, login_required
from sqlalchemy.orm import selectinload

from .. import mail
from ..auth import two_step
from ..auth.services import issue_temporary_password
from ..errors import DomainError, show_on_form
from ..extensions import db
from ..models import AuditEntry, Role, School
from ..permissions import (assignable_roles, can_manage_any_staff, can_view_audit_log,
                           manageable_schools, school_or_404, staff_member_or_404)
from ..timezones import default_zone_name
from ..web import done, form_error, refusals_go_to, render, see_other
from . import bp, services
from .forms import AllowanceForm, EmptyForm, SchoolEditForm, SchoolForm, StaffForm


@bp.before_request
@login_required
def _admins_only():
    if not can_manage_any_staff(current_user):
        abort(404)
    if two_step.required(current_user) and not two_step.enabled(current_user):
        flash("Set up two-step sign-in first: admins use the admin pages with it.", "info")
        return see_other(url_for("auth.two_step_setup"))
    return None


def _current_school() -> School:
    """The school chosen with ?school=, or the admin's own (network admins: the first)."""
    raw = request.values.get("school", type=int)
    if raw is not None:
        return school_or_404(current_user, raw)
    if current_user.school is not None:
        return current_user.school
    schools = manageable_schools(current_user)
    if not schools:
        abort(404)
    return schools[0]


@bp.route("/staff")
def staff():
    school = _current_school()
    query = request.args.get("q", "")[:100]
    page = services.staff_page(school, query, request.args.get("page", 1, type=int))
    from ..auth.links import latest_invitations

    return render("admin/staff.html", "staff_list", school=school, page=page, query=query,
                  schools=manageable_schools(current_user), action_form=EmptyForm(),
                  invitations=latest_invitations([member.id for member in page.items]),
                  mail_on=mail.mail_is_on())


def _staff_form(obj=None) -> StaffForm:
    form = StaffForm(obj=obj)
    form.set_choices(assignable_roles(current_user), manageable_schools(current_user))
    return form


@bp.route("/staff/new", methods=["GET", "POST"])
def add_staff():
    school = _current_school()
    form = _staff_form()
    if request.method == "GET":
        form.school_id.data = school.id
        form.role.data = Role.TEACHER.value
    if form.validate_on_submit():
        target = db.session.get(School, form.school_id.data) if form.school_id.data else None
        try:
            member = services.add_staff(current_user, target, form.display_name.data, form.email.data,
                                        Role(form.role.data), invite=bool(form.send_invitation.data))
        except DomainError as error:
            db.session.rollback()
            show_on_form(form, error)
        else:
            if form.send_invitation.data and mail.mail_is_on():
                flash(f"{member.display_name} is added and invited by e-mail to choose a password.", "success")
            elif form.send_invitation.data:
                flash(f"{member.display_name} is added. Mail is off on this server, so the invitation waits in "
                      "the outbox; use “Reset password” for a temporary password.", "success")
            else:
                flash(f"{member.display_name} is added. Use “Invite” to e-mail them a link to choose a "
                      "password, or “Reset password” for a temporary one.", "success")
            return done(url_for("admin.staff", school=member.school_id or school.id))
    if form.errors:
        return form_error("admin/staff_form.html", "form", form=form, school=school, member=None)
    return render("admin/staff_form.html", "form", form=form, school=school, member=None)


@bp.route("/staff/<int:member_id>/edit", methods=["GET", "POST"])
def edit_staff(member_id: int):
    member = staff_member_or_404(current_user, member_id)
    form = _staff_form(obj=member)
    if request.method == "GET":
        form.role.data = member.role.value
        form.school_id.data = member.school_id or 0
    if form.validate_on_submit():
        target = db.session.get(School, form.school_id.data) if form.school_id.data else None
        try:
            services.edit_staff(current_user, member, form.display_name.data, form.email.data,
                                Role(form.role.data), target)
        except DomainError as error:
            db.session.rollback()
            show_on_form(form, error)
        else:
            flash(f"Changes to {member.display_name} are saved.", "success")
            return done(url_for("admin.staff", school=member.school_id) if member.school_id
                        else url_for("admin.staff"))
    if form.errors or form.form_errors:
        return form_error("admin/staff_form.html", "form", form=form, school=member.school, member=member)
    return render("admin/staff_form.html", "form", form=form, school=member.school, member=member)


def _member_action(member_id: int, action):
    member = staff_member_or_404(current_user, member_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    back = url_for("admin.staff", school=member.school_id) if member.school_id else url_for("admin.staff")
    refusals_go_to(back)
    flash(action(member), "success")
    return done(back)


@bp.route("/staff/<int:member_id>/deactivate", methods=["POST"])
def deactivate_staff(member_id: int):
    def act(member):
        services.set_active(current_user, member, False)
        return f"{member.display_name} is deactivated and can no longer sign in. Their history is kept."
    return _member_action(member_id, act)


@bp.route("/staff/<int:member_id>/reactivate", methods=["POST"])
def reactivate_staff(member_id: int):
    def act(member):
        services.set_active(current_user, member, True)
        return f"{member.display_name} can sign in again."
    return _member_action(member_id, act)


@bp.route("/staff/<int:member_id>/invite", methods=["POST"])
def invite_staff(member_id: int):
    from ..auth.links import invite

    def act(member):
        invite(current_user, member)
        return f"An invitation is on its way to {member.email}; earlier links to {member.display_name} no longer work."
    return _member_action(member_id, act)


@bp.route("/staff/<int:member_id>/reset-password", methods=["POST"])
def reset_password(member_id: int):
    member = staff_member_or_404(current_user, member_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    if member.id == current_user.id:
        flash("Change your own password from your account page.", "error")
        return done(url_for("admin.staff", school=member.school_id))
    temporary = issue_temporary_password(current_user, member)
    return render("admin/temporary_password.html", member=member, temporary=temporary)


@bp.route("/schools", methods=["GET", "POST"])
def schools():
    if not current_user.is_network_admin:
        abort(404)
    form = SchoolForm()
    if form.validate_on_submit():
        try:
            school = services.add_school(current_user, form.name.data)
        except DomainError as error:
            form.name.errors.append(error.message)
        else:
            flash(f"{school.name} is added.", "success")
            return done(url_for("admin.schools"))
    all_schools = manageable_schools(current_user)
    counts = services.staff_counts()
    status = 422 if form.errors else 200
    return render("admin/schools.html", "content", status=status, form=form, schools=all_schools,
                  counts=counts)


@bp.route("/schools/<int:school_id>/edit", methods=["GET", "POST"])
def edit_school(school_id: int):
    school = school_or_404(current_user, school_id)
    form = SchoolEditForm(obj=school)
    if request.method == "GET":
        form.local_passwords.data = "on" if school.local_passwords else "off"
    if form.validate_on_submit():
        try:
            services.rename_school(current_user, school, form.name.data, form.retention_days.data,
                                   form.timezone.data or "", photo_grace_days=form.photo_grace_days.data,
                                   local_passwords={"on": True, "off": False}.get(form.local_passwords.data))
        except DomainError as error:
            db.session.rollback()
            getattr(form, error.field or "name").errors.append(error.message)
        else:
            flash("The school's details are saved.", "success")
            return done(url_for("admin.staff", school=school.id))
    status = 422 if form.errors else 200
    return render("admin/school_form.html", "form", status=status, form=form, school=school,
                  default_zone=default_zone_name())


@bp.route("/schools/<int:school_id>/time", methods=["GET", "POST"])
def school_time(school_id: int):
    """The school's protected-time allowance per member and school year (its admins and network admins)."""
    from ..lessonday import ledger

    school = school_or_404(current_user, school_id)
    form = AllowanceForm()
    if request.method == "GET":
        form.hours.data = ledger.school_allowance_minutes(school.id) / 60
    elif form.validate_on_submit():
        try:
            ledger.set_allowance(current_user, school, float(form.hours.data))
        except DomainError as error:
            db.session.rollback()
            show_on_form(form, error)
        else:
            flash(f"Protected time at {school.name}: {form.hours.data:g} hours per member and year.", "success")
            return done(url_for("admin.school_time", school_id=school.id))
    status = 422 if form.errors or form.form_errors else 200
    return render("admin/school_time.html", "form", status=status, form=form, school=school)


@bp.route("/audit")
def audit_log():
    if not can_view_audit_log(current_user):
        abort(404)
    # The entries' authors in one more query, not one per entry (70 schools' admins on a network's page).
    stmt = db.select(AuditEntry).options(selectinload(AuditEntry.actor)).order_by(AuditEntry.id.desc())
    if not current_user.is_network_admin:
        stmt = stmt.where(AuditEntry.school_id == current_user.school_id)
    action = request.args.get("action", "")[:60]
    if action:
        stmt = stmt.where(AuditEntry.action.startswith(action))
    page = db.paginate(stmt, page=request.args.get("page", 1, type=int), per_page=100, error_out=False)
    return render("admin/audit.html", "entries", page=page, action=action)
