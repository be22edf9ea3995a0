"""The plan page of a research lesson, and the actions that change its shape (details, stages,
observers, carrying it forward). Text fields are saved by field_views.py.

Every POST from the plan form first saves the text fields it carries (into the plan's co-edited
document, against the text the form was rendered from), so a browser without JavaScript that presses
"Move up" or "Save the details" loses nothing it typed."""

from __future__ import annotations

from flask import abort, flash, g, render_template, request, url_for
from flask_login import current_user, login_required

from ..inputs import parse_id
from .. import access
from ..errors import DomainError, SignFirst
from ..extensions import db
from sqlalchemy.orm import joinedload

from ..models import Cycle, PlanStage, ResearchLesson
from ..permissions import group_or_404
from ..web import done, html_response, on_refusal, refusals_go_to, render
from ..coedit import edits
from . import bp, carry, lessons, notices, observers
from .forms import DetailsForm
from .page import (
    LessonHead,
    PostedFieldsRefused,
    current_members,
    page_context,
    plan_context,
    save_posted_fields,
)

PAGE = "planning/plan.html"


@bp.before_request
@login_required
def _signed_in():
    return None


def visible_head(lesson_id: int) -> LessonHead:
    """What the plan page's frame shows of the lesson, for a member who has signed; a member who has not
    is sent to sign (SignFirst); anyone else gets 404 (lsweb/access.py decides, in one query)."""
    standing = access.of_lesson(current_user, lesson_id)
    if not standing.member:
        abort(404)
    if not standing.signed:
        raise SignFirst(standing.group_id)
    number, plan_stamp, cycle_number, group_name = standing.frame
    return LessonHead(id=lesson_id, number=number, plan_stamp=plan_stamp, group_id=standing.group_id,
                      group_name=group_name, cycle_number=cycle_number)


def visible_lesson(lesson_id: int) -> ResearchLesson:
    """The lesson itself, under the same rule as visible_head."""
    visible_head(lesson_id)
    return _load_lesson(lesson_id)


def _load_lesson(lesson_id: int) -> ResearchLesson:
    return db.session.get(ResearchLesson, lesson_id,
                          options=[joinedload(ResearchLesson.cycle).joinedload(Cycle.group)])


def page_of(lesson: ResearchLesson | LessonHead) -> dict:
    """What the plan page (or one of its regions) shows. Given a LessonHead, the lesson is loaded only
    when the structure must be rendered again."""
    if isinstance(lesson, ResearchLesson):
        def load():
            return lesson
    else:
        def load():
            if "plan_lesson" not in g:
                g.plan_lesson = _load_lesson(lesson.id)
            return g.plan_lesson
    return page_context(lesson, load, lambda: plan_members(load()))


def plan_members(lesson: ResearchLesson) -> list:
    """The group's current members with their accounts, loaded once per request when needed."""
    if "plan_members" not in g:
        g.plan_members = current_members(lesson)
    return g.plan_members


def plan_url(lesson: ResearchLesson, anchor: str = "") -> str:
    return url_for("planning.plan", lesson_id=lesson.id) + (f"#{anchor}" if anchor else "")


def _after(lesson: ResearchLesson, error: DomainError | None = None, message: str | None = None,
           anchor: str = ""):
    """Answer a plan action: htmx gets the plan's structure region again, a browser the page."""
    if error is not None:
        flash(error.message, "error")
    elif message:
        flash(message, "success")
    return done(plan_url(lesson, anchor), PAGE, "structure", **page_of(lesson))


@bp.route("/groups/<int:group_id>/cycles/<int:number>/lessons", methods=["POST"])
def create_lesson(group_id: int, number: int):
    from ..models import Cycle

    group = group_or_404(current_user, group_id)
    cycle = db.session.scalar(db.select(Cycle).where(Cycle.group_id == group.id, Cycle.number == number))
    if cycle is None:
        abort(404)
    refusals_go_to(url_for("groups.cycle", group_id=group.id, number=number))
    lesson = lessons.create_lesson(current_user, cycle)
    flash(f"RL{lesson.number} is created. Plan it together: everyone's changes appear as they type.", "success")
    return done(plan_url(lesson))


@bp.route("/lessons/<int:lesson_id>")
def plan(lesson_id: int):
    head = visible_head(lesson_id)
    return html_response(render_template(PAGE, **page_of(head)))


@bp.route("/lessons/<int:lesson_id>/structure")
def structure(lesson_id: int):
    """The live region with the stages, predictions and observers (text boxes are kept by the page)."""
    return render(PAGE, "structure", **page_of(visible_head(lesson_id)))


def refused_page(lesson: ResearchLesson, refused: PostedFieldsRefused):
    """A whole-form post with a field refused: the page again, with what was typed and why (422)."""
    flash("Nothing was saved: " + " ".join(refused.errors.values()), "error")
    return render(PAGE, status=422, **plan_context(lesson, refused.posted, refused.errors, plan_members(lesson)))


def _plan_action(lesson: ResearchLesson, action, message, anchor: str = ""):
    """Save the text fields the post carries (nothing is lost), then do `action()`; answer with the plan."""
    on_refusal(lambda error: _after(lesson, error, anchor=anchor), flashes=True)
    try:
        save_posted_fields(current_user, lesson, request.form)
        outcome = action()
    except PostedFieldsRefused as refused:
        return refused_page(lesson, refused)
    return _after(lesson, message=message(outcome) if callable(message) else message, anchor=anchor)


@bp.route("/lessons/<int:lesson_id>/details", methods=["POST"])
def details(lesson_id: int):
    lesson = visible_lesson(lesson_id)
    form = DetailsForm(members=lesson.group.current_members)

    def save():
        if not form.validate():
            name, messages = next(iter(form.errors.items()))
            raise DomainError(f"{getattr(form, name).label.text}: {' '.join(messages)}", name)
        values = form.details()
        in_doc = {"date": values.date.isoformat() if values.date else "",
                  "start_time": values.start_time.strftime("%H:%M") if values.start_time else "",
                  "duration_minutes": float(values.duration_minutes or 60),
                  "class_name": values.class_name or "", "room": values.room or "",
                  "teacher_id": values.teacher_id}
        _in_document(lesson, lambda doc: edits.set_details(doc, in_doc))

    return _plan_action(lesson, save, "The details are saved.", anchor="details")


def _stage_or_404(lesson: ResearchLesson, stage_id: int) -> PlanStage:
    stage = db.session.get(PlanStage, stage_id)
    if stage is None or stage.lesson_id != lesson.id:
        abort(404)
    return stage


def _stage_action(lesson_id: int, stage_id: int | None, action, message: str, anchor: str = "stages"):
    lesson = visible_lesson(lesson_id)
    stage = _stage_or_404(lesson, stage_id) if stage_id is not None else None
    return _plan_action(lesson, lambda: action(lesson, stage), message, anchor=anchor)


def _in_document(lesson: ResearchLesson, change) -> None:
    """A change of the plan's shape made through its co-edited document (live to everyone on the page)."""
    from ..coedit import documents, shape

    target = documents.target(documents.name_of_plan(lesson), current_user)
    try:
        edits.edit_now(target, current_user.id, change)
    except shape.Refused as refused:
        raise DomainError(refused.message, refused.box) from None
    except documents.Locked:
        raise DomainError("This plan is locked: the lesson has been taught or the cycle is closed.") from None


def _stage_key(stage: PlanStage) -> str:
    return stage.key or f"s{stage.id}"


def _add_stage(lesson: ResearchLesson) -> None:
    if len(lesson.current_stages) >= lessons.MAX_STAGES:
        raise DomainError(f"A plan has at most {lessons.MAX_STAGES} stages.")
    _in_document(lesson, lambda doc: edits.add_stage(doc, [p.id for p in lesson.cycle.pupils]))


def _remove_stage(lesson: ResearchLesson, stage: PlanStage) -> None:
    if stage.removed_at is not None:
        return
    if len(lesson.current_stages) <= 1:
        raise DomainError("A plan keeps at least one stage.")
    _in_document(lesson, lambda doc: edits.set_removed(doc, _stage_key(stage), True))


def _restore_stage(lesson: ResearchLesson, stage: PlanStage) -> None:
    if stage.removed_at is None:
        return  # not removed: nothing to do
    if len(lesson.current_stages) >= lessons.MAX_STAGES:
        raise DomainError(f"A plan has at most {lessons.MAX_STAGES} stages.")
    _in_document(lesson, lambda doc: edits.set_removed(doc, _stage_key(stage), False))


@bp.route("/lessons/<int:lesson_id>/stages", methods=["POST"])
def add_stage(lesson_id: int):
    return _stage_action(lesson_id, None, lambda lesson, _: _add_stage(lesson), "A stage is added at the end.")


@bp.route("/lessons/<int:lesson_id>/stages/<int:stage_id>/move/<direction>", methods=["POST"])
def move_stage(lesson_id: int, stage_id: int, direction: str):
    if direction not in ("up", "down"):
        abort(404)
    return _stage_action(lesson_id, stage_id, lambda lesson, stage: _in_document(
                             lesson, lambda doc: edits.move_stage(doc, _stage_key(stage), direction)),
                         f"The stage moved {direction}.", anchor=f"stage-{stage_id}")


@bp.route("/lessons/<int:lesson_id>/stages/<int:stage_id>/remove", methods=["POST"])
def remove_stage(lesson_id: int, stage_id: int):
    return _stage_action(lesson_id, stage_id, _remove_stage,
                         "The stage is removed. It is kept below the plan with its text, and can be brought back.")


@bp.route("/lessons/<int:lesson_id>/stages/<int:stage_id>/restore", methods=["POST"])
def restore_stage(lesson_id: int, stage_id: int):
    return _stage_action(lesson_id, stage_id, _restore_stage,
                         "The stage is back, at the end of the plan.")


@bp.route("/lessons/<int:lesson_id>/observers", methods=["POST"])
def assign_observers(lesson_id: int):
    """Every "watch-<pupil id>-<stage id or all>" select of the form: who watches that pupil there."""
    lesson = visible_lesson(lesson_id)
    return _plan_action(lesson, lambda: _assign(lesson), "Observers are saved.", anchor="observers")


def _assign(lesson: ResearchLesson) -> None:
    before = notices.slot_of(lesson)  # who observes: the e-mails compare the whole form's outcome
    pupils = {p.id: p for p in lesson.cycle.pupils}
    stages = {s.id: s for s in lesson.current_stages}
    whole: dict[int, int | None] = {}
    for name, value in request.form.items():
        parts = name.split("-")
        if parts[0] != "watch" or len(parts) != 3 or parse_id(parts[1]) is None:
            continue
        pupil = pupils.get(parse_id(parts[1]))
        stage = None if parts[2] == "all" else stages.get(parse_id(parts[2]))
        if pupil is None or (parts[2] != "all" and stage is None):
            continue  # a pupil or stage removed meanwhile
        chosen = parse_id(value)
        if stage is None:
            whole[pupil.id] = chosen
        else:
            observers.set_watcher(current_user, lesson, pupil, stage, chosen, commit=False)
    notices.tell_change(current_user, lesson, before)
    db.session.commit()
    if whole:
        _in_document(lesson, lambda doc: [edits.set_observer(doc, p, o) for p, o in whole.items()])


@bp.route("/lessons/<int:lesson_id>/carry-forward", methods=["POST"])
def carry_forward(lesson_id: int):
    lesson = visible_lesson(lesson_id)
    on_refusal(lambda error: _after(lesson, error), flashes=True)
    try:
        save_posted_fields(current_user, lesson, request.form)
        new = carry.carry_forward(current_user, lesson)
    except PostedFieldsRefused as refused:
        return refused_page(lesson, refused)
    flash(f"RL{new.number} starts as a copy of RL{lesson.number}'s plan. What changes is shown against it.",
          "success")
    return done(plan_url(new))


@bp.route("/lessons/<int:lesson_id>/checklist/<item_key>", methods=["POST"])
def tick(lesson_id: int, item_key: str):
    lesson = visible_lesson(lesson_id)
    done_now = request.form.get("done") == "1"
    return _plan_action(lesson, lambda: carry.tick(current_user, lesson, item_key, done_now),
                        "Ticked as addressed." if done_now else "Unticked.", anchor="checklist")


@bp.route("/lessons/<int:lesson_id>/print")
def print_sheet(lesson_id: int):
    """The observation sheet: A3 landscape, stages as rows, predicted and observed columns per pupil."""
    lesson = visible_lesson(lesson_id)
    return render("planning/print.html", **plan_context(lesson, members=plan_members(lesson)))
