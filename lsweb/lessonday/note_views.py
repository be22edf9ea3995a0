"""Correcting and deleting one's own saved notes on the observe page: htmx swaps the note's line in place;
without JavaScript the edit form is a page of its own and every action comes back to the observe page."""

from __future__ import annotations

from flask import abort, flash, request, url_for
from flask_login import current_user, login_required

from ..admin.forms import EmptyForm
from ..errors import DomainError, show_on_form
from ..extensions import db
from ..models import NoteKind, Rating
from ..web import done, form_error, is_fragment_request, on_refusal, render
from . import bp, observation
from .forms import RATING_CHOICES, NoteEditForm
from .views import lesson_for_page

PAGE = "lessonday/note_edit.html"  # its blocks: note_edit_form, note_line, note_deleted


def _note_or_404(lesson, note_id: int):
    note = observation.own_note(current_user, lesson, note_id)
    if note is None:  # someone else's note, a deleted one, or none: nothing to correct here
        abort(404)
    return note


def _back(lesson) -> str:
    return url_for("lessonday.observe", lesson_id=lesson.id, pupil=request.args.get("pupil", type=int))


def _context(lesson, note, form) -> dict:
    return {"lesson": lesson, "group": lesson.group, "n": note, "form": form, "ratings": RATING_CHOICES,
            "NoteKind": NoteKind, "history": observation.history_of(note), "back": _back(lesson)}


@bp.route("/lessons/<int:lesson_id>/observe/notes/<int:note_id>/edit", methods=["GET", "POST"])
@login_required
def edit_note(lesson_id: int, note_id: int):
    lesson = lesson_for_page(lesson_id)
    note = _note_or_404(lesson, note_id)
    if request.method == "GET":
        form = NoteEditForm(formdata=None, text=note.text, rating=note.rating.value if note.rating else "")
        return render(PAGE, "note_edit_form", **_context(lesson, note, form))
    form = NoteEditForm()
    if form.validate_on_submit():
        try:
            changed = observation.edit_note(current_user, lesson, note, form.text.data or "",
                                            Rating(form.rating.data) if form.rating.data else None)
        except DomainError as error:
            db.session.rollback()
            show_on_form(form, error)
        else:
            flash("Your note is corrected: the grid shows the new text." if changed else "Nothing changed.",
                  "success")
            return done(_back(lesson), PAGE, "note_line", **_context(lesson, note, form))
    return form_error(PAGE, "note_edit_form", **_context(lesson, note, form))


@bp.route("/lessons/<int:lesson_id>/observe/notes/<int:note_id>/delete", methods=["POST"])
@login_required
def delete_note(lesson_id: int, note_id: int):
    lesson = lesson_for_page(lesson_id)
    note = _note_or_404(lesson, note_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    on_refusal(lambda error: done(_back(lesson)))
    observation.delete_note(current_user, lesson, note)
    flash("Your note is deleted: it is no longer in the grid.", "success")
    if is_fragment_request():
        return render(PAGE, "note_deleted")
    return done(_back(lesson))
