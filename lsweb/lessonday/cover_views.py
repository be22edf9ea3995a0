"""A lesson's cover list (page, print, CSV), its members' protected time for the group and the planning
meetings the facilitator records (one's own calendar and hours: time_views.py)."""

from __future__ import annotations

from flask import Response, abort, flash, request, url_for
from flask_login import current_user, login_required

from ..admin.forms import EmptyForm
from ..errors import DomainError, NotAllowed, show_on_form
from ..extensions import db
from ..models import CoverEntry
from ..permissions import is_facilitator
from ..web import done, form_error, refusals_go_to, render
from . import bp, cover, ledger
from .forms import CoverForm, PlanningMeetingForm
from .views import lesson_for_page, local_now


def cover_context(lesson, form: CoverForm | None = None, meeting_form: PlanningMeetingForm | None = None) -> dict:
    members = [m.user for m in lesson.group.current_members]
    form = form or CoverForm(person_id=current_user.id)
    facilitator = is_facilitator(current_user, lesson.group)
    form.person_id.choices = [(u.id, u.display_name) for u in members if facilitator or u.id == current_user.id]
    form.covered_by_id.choices = [(0, "The cover manager arranges it")] + [(u.id, u.display_name) for u in members]
    return {"lesson": lesson, "group": lesson.group, "entries": cover.cover_entries(lesson), "form": form,
            "participants": cover.participants(lesson), "clashes": cover.double_bookings(lesson),
            "start": cover.lesson_start(lesson), "end": cover.lesson_end(lesson), "facilitator": facilitator,
            "usage": ledger.group_usage(lesson.group, local_now().date()), "action_form": EmptyForm(),
            "in_past": (cover.lesson_start(lesson) or local_now()) < local_now(),
            "meeting_form": meeting_form or _meeting_form(lesson, members)}


def _meeting_form(lesson, members, formdata=None) -> PlanningMeetingForm:
    form = PlanningMeetingForm(formdata=formdata, on=local_now().date()) if formdata is None else PlanningMeetingForm()
    form.attendees.choices = [(u.id, u.display_name) for u in members]
    return form


@bp.route("/lessons/<int:lesson_id>/cover", methods=["GET", "POST"])
@login_required
def cover_page(lesson_id: int):
    lesson = lesson_for_page(lesson_id)
    form = CoverForm()
    context = cover_context(lesson, form if request.method == "POST" else None)
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                cover.add_cover(current_user, lesson, form.person_id.data, form.class_name.data, form.note.data,
                                form.covered_by_id.data or None)
            except DomainError as error:
                db.session.rollback()
                show_on_form(form, error)
            else:
                flash("The class is on the cover list.", "success")
                return done(url_for("lessonday.cover_page", lesson_id=lesson.id))
        return form_error("lessonday/cover.html", "form", **context)
    return render("lessonday/cover.html", **context)


@bp.route("/lessons/<int:lesson_id>/cover/<int:entry_id>/remove", methods=["POST"])
@login_required
def remove_cover(lesson_id: int, entry_id: int):
    lesson = lesson_for_page(lesson_id)
    entry = db.session.get(CoverEntry, entry_id)
    if entry is None or entry.lesson_id != lesson.id:
        abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    refusals_go_to(url_for("lessonday.cover_page", lesson_id=lesson.id))
    cover.remove_cover(current_user, entry)
    flash("Removed from the cover list.", "success")
    return done(url_for("lessonday.cover_page", lesson_id=lesson.id))


@bp.route("/lessons/<int:lesson_id>/cover.csv")
@login_required
def cover_csv(lesson_id: int):
    lesson = lesson_for_page(lesson_id)
    name = f"cover-{lesson.group.id}-{lesson.title}.csv"
    return Response(cover.cover_csv(lesson), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"',
                             "Cache-Control": "private, no-store"})


@bp.route("/lessons/<int:lesson_id>/planning-meetings", methods=["POST"])
@login_required
def log_planning_meeting(lesson_id: int):
    """The facilitator records a planning meeting: each member who was there gets its minutes."""
    lesson = lesson_for_page(lesson_id)
    members = [m.user for m in lesson.group.current_members]
    form = _meeting_form(lesson, members, formdata=request.form)
    refusals_go_to(url_for("lessonday.cover_page", lesson_id=lesson.id))  # a member who is not the facilitator
    if form.validate_on_submit():
        try:
            made = ledger.log_planning_meeting(current_user, lesson, form.on.data, form.minutes.data,
                                               form.attendees.data or [])
        except NotAllowed:
            raise
        except DomainError as error:
            db.session.rollback()
            show_on_form(form, error)
        else:
            flash(f"The planning meeting is logged for {made} member{'s' if made != 1 else ''}."
                  if made else "That meeting was already logged for everyone ticked.", "success")
            return done(url_for("lessonday.cover_page", lesson_id=lesson.id) + "#time-heading")
    return form_error("lessonday/cover.html", "meeting", **cover_context(lesson, meeting_form=form))
