"""Cover and protected time: a lesson's cover list (page, print, CSV), one's calendar, one's hours."""

from __future__ import annotations

from flask import Response, abort, flash, request, url_for
from flask_login import current_user, login_required

from ..admin.forms import EmptyForm
from ..errors import DomainError, show_on_form
from ..extensions import db
from ..models import CoverEntry, TimeKind
from ..models.base import utcnow
from ..permissions import is_facilitator
from ..web import done, form_error, refusals_go_to, render
from . import bp, calendar_feed, cover, ledger
from .forms import CoverForm, TimeForm
from .views import lesson_for_page, local_now


def cover_context(lesson, form: CoverForm | None = None) -> dict:
    members = [m.user for m in lesson.group.current_members]
    form = form or CoverForm(person_id=current_user.id)
    facilitator = is_facilitator(current_user, lesson.group)
    form.person_id.choices = [(u.id, u.display_name) for u in members if facilitator or u.id == current_user.id]
    form.covered_by_id.choices = [(0, "The cover manager arranges it")] + [(u.id, u.display_name) for u in members]
    return {"lesson": lesson, "group": lesson.group, "entries": cover.cover_entries(lesson), "form": form,
            "participants": cover.participants(lesson), "clashes": cover.double_bookings(lesson),
            "start": cover.lesson_start(lesson), "end": cover.lesson_end(lesson), "facilitator": facilitator,
            "usage": ledger.group_usage(lesson.group, local_now().date()), "action_form": EmptyForm(),
            "in_past": (cover.lesson_start(lesson) or local_now()) < local_now()}


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


@bp.route("/me/calendar.ics")
@login_required
def my_calendar():
    return Response(calendar_feed.feed(current_user, utcnow()), mimetype="text/calendar",
                    headers={"Content-Disposition": 'attachment; filename="research-lessons.ics"',
                             "Cache-Control": "private, no-store"})


@bp.route("/calendar/<token>.ics")
def calendar_subscription(token: str):
    """The feed a calendar app subscribes to: the secret in the URL is the only key (no sign-in)."""
    person = calendar_feed.person_for(token)
    if person is None:
        abort(404)
    return Response(calendar_feed.feed(person, utcnow()), mimetype="text/calendar",
                    headers={"Cache-Control": "private, no-store", "Referrer-Policy": "no-referrer"})


@bp.route("/me/calendar/reset", methods=["POST"])
@login_required
def reset_calendar():
    if not EmptyForm().validate_on_submit():
        abort(400)
    had_one = current_user.calendar_token is not None
    calendar_feed.reset_token(current_user)
    flash("Your calendar has a new address: the old one no longer works. Subscribe again with the new one."
          if had_one else "Your calendar address is ready: add it to your calendar app.", "info")
    return done(url_for("lessonday.my_time"))


def time_context(form: TimeForm | None = None) -> dict:
    today = local_now().date()
    token = current_user.calendar_token
    feed_url = url_for("lessonday.calendar_subscription", token=token, _external=True) if token else None
    return {"usage": ledger.usage(current_user, today), "entries": ledger.entries(current_user, today),
            "form": form or TimeForm(on=today), "year": ledger.school_year(today), "feed_url": feed_url,
            "calendar_form": EmptyForm()}


@bp.route("/me/time", methods=["GET", "POST"])
@login_required
def my_time():
    form = TimeForm()
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                ledger.add_manual(current_user, TimeKind(form.kind.data), form.minutes.data, form.on.data,
                                  form.note.data)
            except DomainError as error:
                db.session.rollback()
                show_on_form(form, error)
            else:
                flash("Your time is logged.", "success")
                return done(url_for("lessonday.my_time"))
        return form_error("lessonday/time.html", "form", **time_context(form))
    return render("lessonday/time.html", **time_context())


