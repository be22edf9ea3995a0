"""Group pages: the list, creating, the overview, members, roles and "builds on" links."""

from __future__ import annotations

from flask import abort, flash, url_for
from flask_login import current_user, login_required

from ..admin.forms import EmptyForm
from ..errors import DomainError, show_on_form
from ..models import GroupRole
from ..permissions import can_create_group, group_or_404, is_facilitator
from ..protocol.services import gate_status as lessons_gate
from ..web import done, form_error, on_refusal, refusals_go_to, render
from . import bp, services
from .forms import AddMemberForm, GroupForm, LinkForm, RoleForm


@bp.before_request
@login_required
def _signed_in():
    return None


def _details(form: GroupForm) -> services.GroupDetails:
    return services.GroupDetails(**{key: getattr(form, key).data or "" for key in services.TEXT_LIMITS})


@bp.route("/")
def index():
    return render("groups/index.html", groups=services.groups_of(current_user),
                  can_create=can_create_group(current_user))


@bp.route("/new", methods=["GET", "POST"])
def new():
    if not can_create_group(current_user):
        abort(404)
    form = GroupForm()
    if form.validate_on_submit():
        try:
            group = services.create_group(current_user, _details(form))
        except DomainError as error:
            show_on_form(form, error)
        else:
            flash(f"“{group.name}” is created with your school's protocol. Add the members; each of them "
                  "signs the protocol before the group's work begins.", "success")
            return done(url_for("groups.show", group_id=group.id))
    if form.errors or form.form_errors:
        return form_error("groups/form.html", "form", form=form, group=None)
    return render("groups/form.html", "form", form=form, group=None)


def overview_context(group) -> dict:
    gate_open, missing = lessons_gate(group)
    outgoing, incoming = services.links(group)
    facilitator = is_facilitator(current_user, group)
    link_form = LinkForm()
    if facilitator:  # only the facilitator links studies: the network's groups are read for them alone
        link_form.builds_on.choices = [(g.id, g.name) for g in services.link_choices(group)]
    return {"group": group, "gate_open": gate_open, "missing": missing, "outgoing": outgoing,
            "incoming": incoming, "facilitator": facilitator,
            "add_form": AddMemberForm(formdata=None),
            "link_form": link_form, "role_form": RoleForm(), "action_form": EmptyForm(),
            "GroupRole": GroupRole}


@bp.route("/<int:group_id>")
def show(group_id: int):
    group = group_or_404(current_user, group_id)
    return render("groups/show.html", "members", **overview_context(group))


@bp.route("/<int:group_id>/edit", methods=["GET", "POST"])
def edit(group_id: int):
    group = group_or_404(current_user, group_id)
    if not is_facilitator(current_user, group):
        abort(404)
    form = GroupForm(obj=group)
    if form.validate_on_submit():
        try:
            services.update_group(current_user, group, _details(form))
        except DomainError as error:
            show_on_form(form, error)
        else:
            flash("The group's details are saved.", "success")
            return done(url_for("groups.show", group_id=group.id))
    if form.errors or form.form_errors:
        return form_error("groups/form.html", "form", form=form, group=group)
    return render("groups/form.html", "form", form=form, group=group)


def _after_member_change(group):
    return done(url_for("groups.show", group_id=group.id), "groups/show.html", "members",
                **overview_context(group))


@bp.route("/<int:group_id>/members", methods=["POST"])
def add_member(group_id: int):
    group = group_or_404(current_user, group_id)
    form = AddMemberForm()
    if form.validate_on_submit():
        try:
            member = services.add_member(current_user, group, form.email.data, GroupRole(form.role.data))
        except DomainError as error:
            show_on_form(form, error)
        else:
            flash(f"{member.user.display_name} joined as {member.role.label.lower()}. They sign the "
                  "protocol before seeing the group's work.", "success")
            return _after_member_change(group)
    context = overview_context(group)
    context["add_form"] = form
    return form_error("groups/show.html", "members", **context)


@bp.route("/<int:group_id>/members/<int:member_id>/role", methods=["POST"])
def change_role(group_id: int, member_id: int):
    group = group_or_404(current_user, group_id)
    member = services.member_or_404(group, member_id)
    form = RoleForm()
    if not form.validate_on_submit():
        abort(400)
    on_refusal(lambda error: _after_member_change(group))
    services.change_role(current_user, group, member, GroupRole(form.role.data))
    flash(f"{member.user.display_name} is now {member.role.label.lower()}.", "success")
    return _after_member_change(group)


@bp.route("/<int:group_id>/members/<int:member_id>/remove", methods=["POST"])
def remove_member(group_id: int, member_id: int):
    group = group_or_404(current_user, group_id)
    member = services.member_or_404(group, member_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        services.remove_member(current_user, group, member)
        flash(f"{member.user.display_name} has left the group. What they wrote stays.", "success")
    except DomainError as error:
        flash(error.message, "error")
    if member.user_id == current_user.id and member.left_at is not None:
        return done(url_for("groups.index"))
    return _after_member_change(group)


@bp.route("/<int:group_id>/links", methods=["POST"])
def add_link(group_id: int):
    group = group_or_404(current_user, group_id)
    form = LinkForm()
    form.builds_on.choices = [(g.id, g.name) for g in services.link_choices(group)]
    if form.validate_on_submit():
        try:
            services.add_link(current_user, group, form.builds_on.data)
            flash("The link is added.", "success")
        except DomainError as error:
            flash(error.message, "error")
    else:
        flash("Choose a study to link to.", "error")
    return done(url_for("groups.show", group_id=group.id))


@bp.route("/<int:group_id>/links/<int:link_id>/remove", methods=["POST"])
def remove_link(group_id: int, link_id: int):
    group = group_or_404(current_user, group_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    refusals_go_to(url_for("groups.show", group_id=group.id))
    services.remove_link(current_user, group, link_id)
    flash("The link is removed.", "success")
    return done(url_for("groups.show", group_id=group.id))


