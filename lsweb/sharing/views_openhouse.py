"""Open-house lessons: the facilitator opens a lesson; visitors register from the library and read the
briefing pack; registered visitors take part in the board's guests' section."""

from __future__ import annotations

from flask import abort, flash, url_for
from flask_login import current_user

from ..errors import DomainError, SignFirst, show_on_form
from ..extensions import db
from ..models import ResearchLesson
from ..permissions import has_signed_current, is_facilitator, lesson_or_404
from ..planning.page import LESSON_LINKS
from ..web import done, form_error, refusals_go_to, render, see_other
from . import bp, openhouse
from .forms import OpenHouseForm


def _open_house_link(lesson: ResearchLesson) -> list[tuple[str, str]]:
    return [("Open house", url_for("sharing.openhouse_setup", lesson_id=lesson.id))]


if _open_house_link not in LESSON_LINKS:  # the plan page links the lesson's open house
    LESSON_LINKS.append(_open_house_link)


def _lesson(lesson_id: int) -> ResearchLesson:
    lesson = lesson_or_404(current_user, lesson_id)
    if not has_signed_current(current_user, lesson.cycle.group):
        raise SignFirst(lesson.cycle.group_id, "its lessons")
    return lesson


def _setup(lesson, form=None, status=200):
    house = openhouse.open_house_of(lesson)
    if form is None:
        form = OpenHouseForm(formdata=None, obj=house) if house else OpenHouseForm(
            formdata=None, guests_part=openhouse.DEFAULT_GUESTS_PART)
    return render("sharing/openhouse_setup.html", "form", status=status, lesson=lesson, group=lesson.cycle.group,
                  house=house, form=form, facilitator=is_facilitator(current_user, lesson.cycle.group),
                  registrations=openhouse.registrations(house) if house else [])


@bp.route("/lessons/<int:lesson_id>/open-house")
def openhouse_setup(lesson_id: int):
    return _setup(_lesson(lesson_id))


@bp.route("/lessons/<int:lesson_id>/open-house", methods=["POST"])
def openhouse_save(lesson_id: int):
    lesson = _lesson(lesson_id)
    form = OpenHouseForm()
    if not form.validate():
        return form_error("sharing/openhouse_setup.html", "form", lesson=lesson, group=lesson.cycle.group,
                          house=openhouse.open_house_of(lesson), form=form, facilitator=True, registrations=[])
    try:
        house = openhouse.save(current_user, lesson, form.capacity.data, form.what_to_watch.data,
                               form.guests_part.data)
    except DomainError as error:
        db.session.rollback()
        if error.field:
            show_on_form(form, error)
            return _setup(lesson, form, 422)
        flash(error.message, "error")
        return see_other(url_for("sharing.openhouse_setup", lesson_id=lesson.id))
    flash("The lesson is open to visitors: its invitation is in the library.", "success")
    return done(url_for("sharing.invitation", house_id=house.id))


@bp.route("/library/open-house/<int:house_id>")
def invitation(house_id: int):
    house = openhouse.open_house_or_404(current_user, house_id)
    return render("sharing/invitation.html", "register", house=house, lesson=house.lesson, group=house.group,
                  registration=openhouse.registration_of(current_user, house),
                  places_left=openhouse.places_left(house), is_open=openhouse.is_open(house),
                  facilitator=is_facilitator(current_user, house.group), briefing=openhouse.briefing(house))


@bp.route("/library/open-house/<int:house_id>/register", methods=["POST"])
def register(house_id: int):
    house = openhouse.open_house_or_404(current_user, house_id)
    refusals_go_to(url_for("sharing.invitation", house_id=house.id))
    openhouse.register(current_user, house)
    flash("You are registered. Read the briefing pack before the lesson.", "success")
    return done(url_for("sharing.invitation", house_id=house.id))


@bp.route("/library/open-house/<int:house_id>/cancel", methods=["POST"])
def cancel(house_id: int):
    house = openhouse.open_house_or_404(current_user, house_id)
    refusals_go_to(url_for("sharing.invitation", house_id=house.id))
    openhouse.cancel(current_user, house)
    flash("Your registration is cancelled.", "success")
    return done(url_for("sharing.invitation", house_id=house.id))


@bp.route("/library/open-house/<int:house_id>/close", methods=["POST"])
def close(house_id: int):
    house = openhouse.open_house_or_404(current_user, house_id)
    if not is_facilitator(current_user, house.group):
        abort(404)
    openhouse.close(current_user, house)
    flash("Registration is closed.", "success")
    return done(url_for("sharing.invitation", house_id=house.id))


@bp.route("/library/open-house/<int:house_id>/briefing")
def briefing(house_id: int):
    house = openhouse.open_house_or_404(current_user, house_id)
    if not openhouse.can_brief(current_user, house):
        abort(404)
    return render("sharing/briefing.html", house=house, **openhouse.briefing(house))
