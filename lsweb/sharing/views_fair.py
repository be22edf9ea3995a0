"""Learning fairs: the list, a fair's page with its studies, and its printable programme."""

from __future__ import annotations

from flask import abort, flash, url_for
from flask_login import current_user

from ..web import done, form_error, refusals_go_to, render
from . import bp, fair, library
from .forms import FairForm, FairItemForm


@bp.route("/library/fairs")
def fairs():
    return render("sharing/fairs.html", fairs=fair.fairs(), form=FairForm(formdata=None),
                  can_organise=fair.can_organise(current_user))


@bp.route("/library/fairs", methods=["POST"])
def create_fair():
    if not fair.can_organise(current_user):
        abort(404)
    form = FairForm()
    if not form.validate():
        return form_error("sharing/fairs.html", "new", fairs=fair.fairs(), form=form, can_organise=True)
    refusals_go_to(url_for("sharing.fairs"))
    created = fair.create(current_user, form.title.data, form.on.data, form.place.data)
    return done(url_for("sharing.fair_page", fair_id=created.id))


def _context(the_fair, item_form=None) -> dict:
    return {"fair": the_fair, "items": fair.programme(current_user, the_fair),
            "can_organise": fair.can_organise(current_user),
            "choices": library.browse(current_user).rows if fair.can_organise(current_user) else [],
            "item_form": item_form or FairItemForm(formdata=None)}


@bp.route("/library/fairs/<int:fair_id>")
def fair_page(fair_id: int):
    return render("sharing/fair.html", **_context(fair.fair_or_404(current_user, fair_id)))


@bp.route("/library/fairs/<int:fair_id>/items", methods=["POST"])
def add_item(fair_id: int):
    the_fair = fair.fair_or_404(current_user, fair_id)
    if not fair.can_organise(current_user):
        abort(404)
    form = FairItemForm()
    if not form.validate():
        return form_error("sharing/fair.html", "add", **_context(the_fair, form))
    publication = library.publication_or_404(current_user, form.publication.data)
    fair.add(current_user, the_fair, publication, form.slot.data)
    flash("Added to the programme.", "success")
    return done(url_for("sharing.fair_page", fair_id=the_fair.id))


@bp.route("/library/fairs/<int:fair_id>/gather", methods=["POST"])
def gather(fair_id: int):
    """Every study of the network published this school year, up to the fair's date, goes on the programme."""
    the_fair = fair.fair_or_404(current_user, fair_id)
    if not fair.can_organise(current_user):
        abort(404)
    added = fair.gather(current_user, the_fair)
    flash(f"{added} stud{'y' if added == 1 else 'ies'} published this school year added to the programme."
          if added else "Every study published this school year is on the programme already.", "success")
    return done(url_for("sharing.fair_page", fair_id=the_fair.id))


@bp.route("/library/fairs/<int:fair_id>/programme")
def programme(fair_id: int):
    the_fair = fair.fair_or_404(current_user, fair_id)
    return render("sharing/programme.html", fair=the_fair, items=fair.programme(current_user, the_fair))
