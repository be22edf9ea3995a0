"""Cycle pages: status moves and the case pupils."""

from __future__ import annotations

from flask import abort, flash, url_for
from flask_login import current_user

from ..admin.forms import EmptyForm
from ..errors import DomainError, SignFirst, show_on_form
from ..extensions import db
from ..models import CasePupil, Cycle, CycleStatus
from ..permissions import group_or_404, has_signed_current, is_facilitator
from ..protocol.services import gate_status as lessons_gate
from ..web import done, form_error, on_refusal, refusals_go_to, render
from . import bp, cycles
from .forms import PupilForm


def _cycle_or_404(group_id: int, number: int) -> Cycle:
    group = group_or_404(current_user, group_id)
    cycle = db.session.scalar(db.select(Cycle).where(Cycle.group_id == group.id, Cycle.number == number))
    if cycle is None:
        abort(404)
    return cycle


def require_signature(group) -> None:
    """Members who have not signed the current protocol are sent to sign it first (SignFirst)."""
    if not has_signed_current(current_user, group):
        raise SignFirst(group.id, "its cycles, case pupils and lessons")


@bp.route("/<int:group_id>/cycles", methods=["POST"])
def start_cycle(group_id: int):
    group = group_or_404(current_user, group_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    refusals_go_to(url_for("groups.show", group_id=group.id))
    cycle = cycles.start_cycle(current_user, group)
    flash(f"Cycle {cycle.number} has started. Revisit the protocol together, then move on to planning.",
          "success")
    return done(url_for("groups.cycle", group_id=group.id, number=cycle.number))


def cycle_context(cycle: Cycle) -> dict:
    from ..planning.lessons import lessons_of

    gate_open, missing = lessons_gate(cycle.group)
    return {"group": cycle.group, "cycle": cycle, "gate_open": gate_open, "missing": missing,
            "lessons": lessons_of(cycle),
            "next_status": cycles.next_status(cycle), "facilitator": is_facilitator(current_user, cycle.group),
            "gated": cycles.GATED, "action_form": EmptyForm(), "CycleStatus": CycleStatus,
            "looks_like_a_name": cycles.looks_like_a_name}


@bp.route("/<int:group_id>/cycles/<int:number>")
def cycle(group_id: int, number: int):
    cycle = _cycle_or_404(group_id, number)
    require_signature(cycle.group)
    return render("groups/cycle.html", "status", **cycle_context(cycle))


@bp.route("/<int:group_id>/cycles/<int:number>/status/<status>", methods=["POST"])
def move_cycle(group_id: int, number: int, status: str):
    cycle = _cycle_or_404(group_id, number)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        target = CycleStatus(status)
    except ValueError:
        abort(404)
    on_refusal(lambda error: done(url_for("groups.cycle", group_id=group_id, number=number), "groups/cycle.html",
                                  "status", **cycle_context(cycle)))
    cycles.move_cycle(current_user, cycle, target)
    flash(f"Cycle {cycle.number} is now at “{cycle.status.label}”.", "success")
    return done(url_for("groups.cycle", group_id=group_id, number=number), "groups/cycle.html", "status",
                **cycle_context(cycle))


def _pupil_or_404(cycle: Cycle, pupil_id: int) -> CasePupil:
    pupil = db.session.get(CasePupil, pupil_id)
    if pupil is None or pupil.cycle_id != cycle.id:
        abort(404)
    return pupil


def _save_pupil(cycle: Cycle, pupil: CasePupil | None):
    form = PupilForm(obj=pupil)
    if form.validate_on_submit():
        try:
            saved = cycles.save_pupil(current_user, cycle, pupil, form.label.data, form.represents.data,
                                      form.attainment.data, form.notes.data, form.not_a_name.data,
                                      photo_consent=form.photo_consent.data)
        except DomainError as error:
            db.session.rollback()
            show_on_form(form, error)
        else:
            flash(f"{saved.label} is saved.", "success")
            return done(url_for("groups.cycle", group_id=cycle.group_id, number=cycle.number))
    context = {"form": form, "cycle": cycle, "group": cycle.group, "pupil": pupil,
               # The "not a real name" box is offered once a label that looks like a name was refused.
               "name_warning": bool(form.label.errors) and cycles.looks_like_a_name(form.label.data or "")}
    if form.errors or form.form_errors:
        return form_error("groups/pupil_form.html", "form", **context)
    return render("groups/pupil_form.html", "form", **context)


@bp.route("/<int:group_id>/cycles/<int:number>/pupils/new", methods=["GET", "POST"])
def add_pupil(group_id: int, number: int):
    cycle = _cycle_or_404(group_id, number)
    require_signature(cycle.group)
    return _save_pupil(cycle, None)


@bp.route("/<int:group_id>/cycles/<int:number>/pupils/<int:pupil_id>/edit", methods=["GET", "POST"])
def edit_pupil(group_id: int, number: int, pupil_id: int):
    cycle = _cycle_or_404(group_id, number)
    require_signature(cycle.group)
    return _save_pupil(cycle, _pupil_or_404(cycle, pupil_id))


@bp.route("/<int:group_id>/cycles/<int:number>/pupils/<int:pupil_id>/remove", methods=["POST"])
def remove_pupil(group_id: int, number: int, pupil_id: int):
    cycle = _cycle_or_404(group_id, number)
    pupil = _pupil_or_404(cycle, pupil_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    refusals_go_to(url_for("groups.cycle", group_id=group_id, number=number))
    cycles.remove_pupil(current_user, pupil)
    flash(f"{pupil.label} is removed from the cycle.", "success")
    return done(url_for("groups.cycle", group_id=group_id, number=number))
