"""Saving the plan's text without JavaScript (the whole plan in one form post), and its history with
restores. With JavaScript, the boxes are co-edited through lsweb/coedit/views.py."""

from __future__ import annotations

from flask import abort, flash, request, url_for
from flask_login import current_user

from ..inputs import parse_id
from ..errors import DomainError
from ..extensions import db
from ..models import PlanRevision, ResearchLesson, User
from ..web import done, refusals_go_to, render
from . import bp, fields
from .page import PostedFieldsRefused, save_posted_fields
from .views import plan_url, refused_page, visible_lesson


@bp.route("/lessons/<int:lesson_id>/plan", methods=["POST"])
def save_plan(lesson_id: int):
    """The whole plan in one post (what a browser without JavaScript sends), with the same checks."""
    lesson = visible_lesson(lesson_id)
    refusals_go_to(plan_url(lesson))
    try:
        save_posted_fields(current_user, lesson, request.form)
    except PostedFieldsRefused as refused:
        return refused_page(lesson, refused)
    flash("The plan is saved.", "success")
    return done(plan_url(lesson))


# --- history --------------------------------------------------------------------------------------------

@bp.route("/lessons/<int:lesson_id>/history")
def history(lesson_id: int):
    """Editing spells of the plan's document (word differences), then the saves from before it."""
    from ..coedit import history as coedit_history
    from ..worddiff import word_diff

    lesson = visible_lesson(lesson_id)
    user_id = request.args.get("person", "")
    key = request.args.get("field", "")[:80]
    person = parse_id(user_id)
    name = f"plan-{lesson.id}"
    stored = fields.fields_of(lesson)
    choices = sorted(((f.key, fields.label(fields.spec_of(lesson, f))) for f in stored.values()),
                     key=lambda pair: pair[1])
    labels = dict(choices)
    spells = [(s, _spell_label(lesson, s, labels), word_diff(s.before, s.after) if s.kind == "text" else None)
              for s in coedit_history.spells(name, person, key or None)]
    revisions = fields.history(lesson, person, key or None)
    rows = [(r, fields.label(fields.spec_of(lesson, r.field)), word_diff(r.before, r.after)) for r in revisions]
    people = {u.id: u for u in coedit_history.people(name)}
    people.update({u.id: u for u in db.session.scalars(db.select(User).where(User.id.in_(
        db.select(PlanRevision.user_id).where(PlanRevision.lesson_id == lesson.id))))})
    return render("planning/history.html", "revisions", lesson=lesson, group=lesson.group, rows=rows,
                  spells=spells, choices=choices, people=sorted(people.values(), key=lambda u: u.display_name),
                  person=user_id, field=key, current={k: f.text for k, f in stored.items()})


def _spell_label(lesson: ResearchLesson, spell, labels: dict) -> str:
    if spell.part in labels:
        return labels[spell.part]
    if spell.kind == "stage":
        return "Stages"
    if spell.kind == "observer":
        return "Observers"
    if spell.kind == "detail":
        return {"date": "Date", "start_time": "Start time", "duration_minutes": "Length", "class_name": "Class",
                "room": "Room", "teacher_id": "Who teaches"}.get(spell.part, spell.part)
    return spell.part


@bp.route("/lessons/<int:lesson_id>/history/<int:spell_id>/restore", methods=["POST"])
def restore_spell(lesson_id: int, spell_id: int):
    """The part's text as it was at the end of that spell, as a new change (live to everyone)."""
    from ..coedit import documents, history as coedit_history, shape
    from ..models import CoeditSpell

    lesson = visible_lesson(lesson_id)
    spell = db.session.get(CoeditSpell, spell_id)
    if spell is None or spell.doc != f"plan-{lesson.id}" or spell.kind != "text":
        abort(404)
    try:
        spec = fields.parse_key(lesson, spell.part)
        coedit_history.restore(documents.target(spell.doc, current_user), current_user.id, spell,
                               fields.box_key(spell.part, spec))
    except (fields.FieldNotFound, shape.Refused, documents.Locked) as error:
        db.session.rollback()
        flash(getattr(error, "message", "That text cannot be restored now."), "error")
        return done(url_for("planning.history", lesson_id=lesson.id))
    flash(f"Restored: {fields.label(spec)} has that text again (a new change in the history).", "success")
    return done(url_for("planning.history", lesson_id=lesson.id))


@bp.route("/lessons/<int:lesson_id>/revisions/<int:revision_id>/restore", methods=["POST"])
def restore(lesson_id: int, revision_id: int):
    """A save from before the plan was a document: its text, put back through the document."""
    lesson = visible_lesson(lesson_id)
    revision = db.session.get(PlanRevision, revision_id)
    if revision is None or revision.lesson_id != lesson.id:
        abort(404)
    try:
        save_posted_fields(current_user, lesson, {f"f:{revision.field.key}": revision.after})
    except (PostedFieldsRefused, DomainError) as error:
        db.session.rollback()
        flash(getattr(error, "message", None) or " ".join(error.errors.values()), "error")
        return done(url_for("planning.history", lesson_id=lesson.id))
    flash(f"Restored: {fields.label(fields.spec_of(lesson, revision.field))} has that text again (a new "
          "change in the history).", "success")
    return done(url_for("planning.history", lesson_id=lesson.id))
