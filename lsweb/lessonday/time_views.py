"""One's own calendar (download and subscription) and protected time: the year's entries against the
allowance, logging time by hand for one of one's groups, correcting or removing one's own entries."""

from __future__ import annotations

from flask import Response, abort, flash, request, url_for
from flask_login import current_user, login_required

from ..admin.forms import EmptyForm
from ..errors import DomainError, show_on_form
from ..extensions import db
from ..models import GroupMember, StudyGroup, TimeKind
from ..models.base import utcnow
from ..web import done, form_error, render
from . import bp, calendar_feed, ledger
from .forms import TimeEntryForm, TimeForm
from .views import local_now


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


def _groups() -> list[StudyGroup]:
    return list(db.session.scalars(db.select(StudyGroup).join(GroupMember, GroupMember.group_id == StudyGroup.id)
                                   .where(GroupMember.user_id == current_user.id, GroupMember.left_at.is_(None))
                                   .order_by(StudyGroup.name)))


def _time_form(formdata=None) -> TimeForm:
    form = TimeForm(on=local_now().date()) if formdata is None else TimeForm()
    form.group_id.choices = [(0, "No group")] + [(g.id, g.name) for g in _groups()]
    return form


def time_context(form: TimeForm | None = None) -> dict:
    today = local_now().date()
    token = current_user.calendar_token
    feed_url = url_for("lessonday.calendar_subscription", token=token, _external=True) if token else None
    return {"usage": ledger.usage(current_user, today), "entries": ledger.entries(current_user, today),
            "form": form or _time_form(), "year": ledger.school_year(today), "feed_url": feed_url,
            "calendar_form": EmptyForm(), "action_form": EmptyForm()}


@bp.route("/me/time", methods=["GET", "POST"])
@login_required
def my_time():
    form = _time_form(request.form) if request.method == "POST" else None
    if form is not None:
        if form.validate_on_submit():
            try:
                group = db.session.get(StudyGroup, form.group_id.data) if form.group_id.data else None
                ledger.add_manual(current_user, TimeKind(form.kind.data), form.minutes.data, form.on.data,
                                  form.note.data, group)
            except DomainError as error:
                db.session.rollback()
                show_on_form(form, error)
            else:
                flash("Your time is logged.", "success")
                return done(url_for("lessonday.my_time"))
        return form_error("lessonday/time.html", "form", **time_context(form))
    return render("lessonday/time.html", **time_context())




def _own_entry_or_404(entry_id: int):
    entry = ledger.own_entry(current_user, entry_id)
    if entry is None or entry.minutes == 0:
        abort(404)
    return entry


@bp.route("/me/time/<int:entry_id>", methods=["GET", "POST"])
@login_required
def correct_time(entry_id: int):
    """Correct one of one's own entries (the minutes, the day, the note)."""
    entry = _own_entry_or_404(entry_id)
    form = TimeEntryForm(obj=entry) if request.method == "GET" else TimeEntryForm()
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                ledger.change_entry(current_user, entry, form.minutes.data, form.on.data, form.note.data)
            except DomainError as error:
                db.session.rollback()
                show_on_form(form, error)
            else:
                flash("Your time is corrected.", "success")
                return done(url_for("lessonday.my_time"))
        return form_error("lessonday/time_entry.html", None, entry=entry, form=form)
    return render("lessonday/time_entry.html", entry=entry, form=form)


@bp.route("/me/time/<int:entry_id>/remove", methods=["POST"])
@login_required
def remove_time(entry_id: int):
    entry = _own_entry_or_404(entry_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    ledger.remove_entry(current_user, entry)
    flash("The entry is removed from your time.", "success")
    return done(url_for("lessonday.my_time"))
