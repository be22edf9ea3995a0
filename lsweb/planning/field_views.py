"""Saving the plan's text: one field at a time while people type (static/js/coedit.js, JSON), or the
whole plan in one form post (no JavaScript); conflicts, presence, history and restores."""

from __future__ import annotations

from flask import abort, flash, jsonify, request, url_for
from flask_login import current_user

from ..inputs import parse_id
from ..errors import DomainError
from ..extensions import db
from ..models import PlanRevision, ResearchLesson, User
from ..web import done, on_refusal, refusals_go_to, render
from . import bp, fields, lessons, presence
from .autosave import autosave
from .page import PostedFieldsRefused, open_conflict_or_none, save_posted_fields
from .views import PAGE, page_of, plan_url, refused_page, visible_lesson

MAX_BASE_TEXT = fields.MAX_TEXT * 2


@bp.route("/lessons/<int:lesson_id>/fields/<key>", methods=["POST"])
def save_field(lesson_id: int, key: str):
    """One field's whole text (the earlier page script): put into the plan's document as the changes
    from its current text."""
    lesson = visible_lesson(lesson_id)

    def save(text, version, base_text):
        save_posted_fields(current_user, lesson, {f"f:{key}": text})
        field = fields.fields_of(lesson).get(key)
        return fields.SaveResult("saved", key, field.text if field else "", field.version if field else 0)

    def refused_as_domain_error(text, version, base_text):
        fields.parse_key(lesson, key)
        try:
            return save(text, version, base_text)
        except PostedFieldsRefused as refused:
            raise DomainError(" ".join(refused.errors.values()), key) from None

    return autosave(refused_as_domain_error, fields.FieldNotFound, MAX_BASE_TEXT)


@bp.route("/lessons/<int:lesson_id>/fields")
def field_state(lesson_id: int):
    """Every field's text and version: what the page catches up with when its live stream (re)opens."""
    lesson = visible_lesson(lesson_id)
    response = jsonify(fields.state(lesson))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/lessons/<int:lesson_id>/plan", methods=["POST"])
def save_plan(lesson_id: int):
    """The whole plan in one post (what a browser without JavaScript sends), with the same checks."""
    lesson = visible_lesson(lesson_id)
    refusals_go_to(plan_url(lesson))
    try:
        results = save_posted_fields(current_user, lesson, request.form)
    except PostedFieldsRefused as refused:
        return refused_page(lesson, refused)
    kept = [r for r in results if r.status in ("conflict", "removed")]
    merged = [r for r in results if r.status == "merged"]
    if kept:
        flash(f"Saved, except {len(kept)} part(s) that someone else changed at the same place: both texts "
              "are kept at the top of the plan for you to choose or combine.", "error")
    else:
        flash("The plan is saved." + (" Changes made meanwhile by others are merged in." if merged else ""),
              "success")
    return done(plan_url(lesson))


# --- conflicts ----------------------------------------------------------------------------------------

def _conflicts_answer(lesson: ResearchLesson):
    return done(plan_url(lesson, "my-conflicts"), PAGE, "conflicts",
                **page_of(lesson))


def _conflict_or_404(lesson: ResearchLesson, conflict_id: int):
    conflict = open_conflict_or_none(lesson, current_user, conflict_id)
    if conflict is None:
        abort(404)
    return conflict


@bp.route("/lessons/<int:lesson_id>/conflicts/<int:conflict_id>/keep-saved", methods=["POST"])
def keep_saved(lesson_id: int, conflict_id: int):
    """The author keeps the field as it is; their own text stays in the record of the conflict."""
    lesson = visible_lesson(lesson_id)
    fields.dismiss_conflict(current_user, _conflict_or_404(lesson, conflict_id))
    flash("The saved text stays.", "success")
    return _conflicts_answer(lesson)


@bp.route("/lessons/<int:lesson_id>/conflicts/<int:conflict_id>/use-mine", methods=["POST"])
def use_mine(lesson_id: int, conflict_id: int):
    """The author's text (or their combination of both, when they edited it) replaces the field; for a
    removed stage, the stage comes back first."""
    lesson = visible_lesson(lesson_id)
    conflict = _conflict_or_404(lesson, conflict_id)
    text = request.form.get("text", conflict.text)
    on_refusal(lambda error: _conflicts_answer(lesson))
    stage = conflict.field.stage
    if stage is not None and stage.removed_at is not None:
        lessons.restore_stage(current_user, stage)
    fields.save_field(current_user, lesson, conflict.field.key, text, conflict.field.version)
    fields.dismiss_conflict(current_user, conflict)
    flash("Your text is in the plan now.", "success")
    return _conflicts_answer(lesson)


# --- presence -----------------------------------------------------------------------------------------

@bp.route("/lessons/<int:lesson_id>/presence", methods=["GET", "POST"])
def presence_region(lesson_id: int):
    """GET: who is on the page (a live region). POST: "I am here, editing <field>" (the page's heartbeat
    and focus changes); "left=1" when the page closes."""
    lesson = visible_lesson(lesson_id)
    if request.method == "POST":
        if request.form.get("left") == "1":
            presence.leave(current_user, lesson)
        else:
            presence.touch(current_user, lesson, request.form.get("field", ""))
        return "", 204
    context = page_of(lesson)
    context["present"] = presence.present(lesson)
    return render(PAGE, "presence", **context)


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
    from .page import box_key

    lesson = visible_lesson(lesson_id)
    spell = db.session.get(CoeditSpell, spell_id)
    if spell is None or spell.doc != f"plan-{lesson.id}" or spell.kind != "text":
        abort(404)
    try:
        spec = fields.parse_key(lesson, spell.part)
        coedit_history.restore(documents.target(spell.doc, current_user), current_user.id, spell,
                               box_key(spell.part, spec))
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
    flash(f"Restored: {fields.label(fields.spec_of(lesson, revision.field))} is back to version "
          f"{revision.version}'s text.", "success")
    return done(url_for("planning.history", lesson_id=lesson.id))
