"""Lesson-day pages: observe (tablet first), the predicted-against-observed grid, pupil interviews,
photos of pupil work, the lesson's status, and each case pupil's progress across the cycle."""

from __future__ import annotations

import secrets
from collections import Counter
from datetime import datetime

from flask import (
    abort,
    current_app,
    flash,
    jsonify,
    request,
    send_file,
    url_for,
)
from flask_login import current_user, login_required

from ..admin.forms import EmptyForm
from ..errors import DomainError, SignFirst, show_on_form
from ..extensions import db
from ..inputs import accepts
from ..models import (
    CasePupil,
    LessonStatus,
    NoteKind,
    Photo,
    PlanField,
    PlanStage,
    Rating,
)
from ..permissions import can_see_lesson, lesson_or_404
from ..web import done, form_error, on_refusal, refusals_go_to, render
from . import bp, charts, grid, interview_saves, interviews, observation, status, uploads
from .forms import RATING_CHOICES, NoteForm, PhotoForm
from .rules import is_lesson_lead


def local_now() -> datetime:
    """The school's wall-clock time (naive), as lesson dates and times are kept."""
    return datetime.now()


def lesson_for_page(lesson_id: int):
    """The lesson, for a member who has signed; a member who has not is sent to sign first (SignFirst);
    anyone else gets 404."""
    lesson = lesson_or_404(current_user, lesson_id)
    if not can_see_lesson(current_user, lesson):
        raise SignFirst(lesson.group.id, "its lessons")
    return lesson


def wants_json() -> bool:
    return request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json"


# --- observing -------------------------------------------------------------------------------------

def observe_context(lesson, pupil_id: int | None, form: NoteForm | None = None) -> dict:
    assigned = observation.assigned_pupils(current_user, lesson)
    chosen = None
    if pupil_id is not None:
        chosen = next((p for p in lesson.cycle.pupils if p.id == pupil_id), None)
    watching = [chosen] if chosen else assigned
    mine = observation.notes_of(lesson, current_user)
    noted_stages = {n.stage_id for n in mine if n.stage_id}
    stages = lesson.current_stages + [s for s in lesson.stages if s.removed_at is not None and s.id in noted_stages]
    return {"lesson": lesson, "group": lesson.group, "assigned": assigned, "watching": watching,
            "chosen": chosen, "stages": stages, "predictions": observation.predictions(lesson),
            "titles": observation.stage_texts(lesson), "mine": mine, "ratings": RATING_CHOICES,
            "NoteKind": NoteKind, "new_id": lambda: secrets.token_urlsafe(12), "form": form,
            "photos": uploads.photos_of(lesson), "max_mb": current_app.config["LSWEB"]["UPLOAD_MAX_MB"]}


@bp.route("/lessons/<int:lesson_id>/observe")
@login_required
def observe(lesson_id: int):
    lesson = lesson_for_page(lesson_id)
    return render("lessonday/observe.html", **observe_context(lesson, request.args.get("pupil", type=int)))


@bp.route("/lessons/<int:lesson_id>/observe/notes", methods=["POST"])
@login_required
def save_note(lesson_id: int):
    lesson = lesson_for_page(lesson_id)
    form = NoteForm()
    back = url_for("lessonday.observe", lesson_id=lesson.id, pupil=request.args.get("pupil", type=int))
    if form.validate_on_submit():
        note = observation.NoteInput(
            client_id=form.client_id.data, kind=NoteKind(form.kind.data), pupil_id=form.pupil_id.data,
            stage_id=form.stage_id.data, rating=Rating(form.rating.data) if form.rating.data else None,
            text=form.text.data or "", noted_at=_parse_time(form.noted_at.data),
            sent_at=_parse_time(form.sent_at.data))
        try:
            saved = observation.save_note(current_user, lesson, note)
        except DomainError as error:
            db.session.rollback()
            show_on_form(form, error)
        else:
            if wants_json():
                return jsonify({"id": saved.id, "client_id": saved.client_id,
                                "saved_at": saved.saved_at.isoformat(), "noted_at": saved.noted_at.isoformat()})
            flash("Your note is saved.", "success")
            return done(back)
    messages = [e for errors in form.errors.values() for e in errors] + list(form.form_errors)
    if wants_json():
        return jsonify({"errors": messages}), 422
    return form_error("lessonday/observe.html", None, **observe_context(
        lesson, request.args.get("pupil", type=int), form))


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None


@bp.route("/lessons/<int:lesson_id>/photos", methods=["POST"])
@login_required
@accepts("files")
def upload_photo(lesson_id: int):
    lesson = lesson_for_page(lesson_id)
    form = PhotoForm()
    back = url_for("lessonday.observe", lesson_id=lesson.id, pupil=request.args.get("pupil", type=int))
    if form.validate_on_submit():
        pupil = db.session.get(CasePupil, form.pupil_id.data)
        stage = db.session.get(PlanStage, form.stage_id.data) if form.stage_id.data else None
        upload = form.photo.data
        try:
            if pupil is None:
                raise DomainError("Choose the case pupil.", "pupil_id")
            if not upload:
                raise DomainError("Choose a photo to upload.", "photo")
            max_bytes = current_app.config["LSWEB"]["UPLOAD_MAX_MB"] * 1024 * 1024
            uploads.store_photo(current_user, lesson, pupil, upload.stream, current_app.instance_path,
                                max_bytes, stage, form.caption.data or "")
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
            if isinstance(error, uploads.PhotoRefused):  # the file itself: say so with a 4xx (or 503)
                response = render("lessonday/observe.html", status=error.status,
                                  **observe_context(lesson, request.args.get("pupil", type=int)))
                if error.status == 503:
                    response.headers["Retry-After"] = "30"
                return response
        else:
            flash(f"The photo of {pupil.label}'s work is saved.", "success")
    else:
        flash(" ".join(e for errors in form.errors.values() for e in errors), "error")
    return done(back)


@bp.route("/lessons/<int:lesson_id>/photos/<int:photo_id>")
@login_required
def photo(lesson_id: int, photo_id: int):
    lesson = lesson_or_404(current_user, lesson_id)
    item = db.session.get(Photo, photo_id)
    if (item is None or item.lesson_id != lesson.id or not can_see_lesson(current_user, lesson)
            or not uploads.is_shown(item)):
        abort(404)
    path = uploads.photo_path(item, current_app.instance_path)
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype=item.content_type, as_attachment=False,
                         download_name=f"{lesson.title}-{item.pupil.label}-{item.id}.{item.stored_name.rsplit('.', 1)[-1]}",
                         max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- the grid, the status, interviews --------------------------------------------------------------

def grid_page_context(lesson) -> dict:
    body, _summary = grid.grid_html(lesson, "lessonday/grid.html", "grid_body")
    return {"lesson": lesson, "group": lesson.group, "grid_body_html": body,
            "can_move": is_lesson_lead(current_user, lesson), "LessonStatus": LessonStatus,
            "action_form": EmptyForm()}


@bp.route("/lessons/<int:lesson_id>/grid")
@login_required
def grid_page(lesson_id: int):
    lesson = lesson_for_page(lesson_id)
    return render("lessonday/grid.html", "grid_region", **grid_page_context(lesson))


@bp.route("/lessons/<int:lesson_id>/status/<target>", methods=["POST"])
@login_required
def move_status(lesson_id: int, target: str):
    lesson = lesson_for_page(lesson_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        wanted = LessonStatus(target)
    except ValueError:
        abort(404)
    refusals_go_to(url_for("lessonday.grid_page", lesson_id=lesson.id))
    status.move(current_user, lesson, wanted, local_now())
    flash(f"{lesson.title} is now {lesson.status.label.lower()}.", "success")
    return done(url_for("lessonday.grid_page", lesson_id=lesson.id))


def interviews_context(lesson, posted: dict | None = None) -> dict:
    """`posted`: pupil id -> the answers a refused save sent (shown again, nothing lost)."""
    return {"lesson": lesson, "group": lesson.group, "questions": interviews.questions(lesson),
            "answers": interviews.answers_of(lesson), "pupils": lesson.cycle.pupils, "form": EmptyForm(),
            "posted": posted or {}, **interview_saves.page_of(lesson)}


@bp.route("/lessons/<int:lesson_id>/interviews")
@login_required
def interviews_page(lesson_id: int):
    lesson = lesson_for_page(lesson_id)
    return render("lessonday/interviews.html", **interviews_context(lesson))


@bp.route("/lessons/<int:lesson_id>/interviews/<int:pupil_id>", methods=["POST"])
@login_required
def save_interview(lesson_id: int, pupil_id: int):
    lesson = lesson_for_page(lesson_id)
    pupil = db.session.get(CasePupil, pupil_id)
    if pupil is None or pupil.cycle_id != lesson.cycle_id:
        abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    answers = request.form.getlist("answer")
    on_refusal(lambda error: form_error("lessonday/interviews.html", None,
                                        **interviews_context(lesson, {pupil.id: answers})))
    interview_saves.save_answers(current_user, lesson, pupil, answers, request.form.get("rendered_seq"))
    flash(f"{pupil.label}'s words are saved.", "success")
    return done(url_for("lessonday.interviews_page", lesson_id=lesson.id) + f"#pupil-{pupil.id}")


# --- the cycle's case pupils across its lessons ----------------------------------------------------

def _progress_data(group_id: int, number: int):
    from ..groups.cycle_views import _cycle_or_404, require_signature
    from ..planning.lessons import lessons_of

    cycle = _cycle_or_404(group_id, number)
    require_signature(cycle.group)
    lessons = lessons_of(cycle)
    ratings = {}
    for lesson in lessons:
        for row in grid.grid_context(lesson).rows:
            for pupil, cell in zip(cycle.pupils, row.cells):
                ratings.setdefault((lesson.id, pupil.id), Counter()).update(cell.ratings)
    return cycle, lessons, ratings


@bp.route("/groups/<int:group_id>/cycles/<int:number>/progress")
@login_required
def progress(group_id: int, number: int):
    cycle, lessons, ratings = _progress_data(group_id, number)
    criteria = {(f.lesson_id, f.pupil_id): f.text for f in db.session.scalars(db.select(PlanField).where(
        PlanField.lesson_id.in_([lesson.id for lesson in lessons]), PlanField.key.like("pupil-%-criterion")))}
    return render("lessonday/progress.html", cycle=cycle, group=cycle.group, lessons=lessons, criteria=criteria,
                  ratings=ratings, Rating=Rating)


@bp.route("/groups/<int:group_id>/cycles/<int:number>/progress/pupils/<int:pupil_id>.svg")
@login_required
def pupil_chart(group_id: int, number: int, pupil_id: int):
    """A case pupil's ratings across the research lessons, as a small SVG chart (shown as an image)."""
    cycle, lessons, ratings = _progress_data(group_id, number)
    pupil = next((p for p in cycle.pupils if p.id == pupil_id), None)
    if pupil is None:
        abort(404)
    return charts.svg_response(charts.pupil_progress_svg(
        pupil.label, [lesson.title for lesson in lessons],
        [ratings.get((lesson.id, pupil.id), Counter()) for lesson in lessons]))


@bp.route("/lessons/<int:lesson_id>/grid.svg")
@login_required
def grid_chart(lesson_id: int):
    """The grid's ratings as a heat strip (stages by case pupils), an SVG image."""
    lesson = lesson_for_page(lesson_id)
    the_grid = grid.grid_context(lesson)
    differences = [[sum(grid.DIFFERENCE[n.rating] for n in cell.notes if n.rating) for cell in row.cells]
                   for row in the_grid.rows]
    return charts.svg_response(charts.grid_strip_svg(
        f"{lesson.title}: difference from the predictions", [f"Stage {row.stage.position}" for row in the_grid.rows],
        [p.label for p in the_grid.pupils], differences))
