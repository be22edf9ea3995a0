"""The cycle summary page (co-edited with static/js/coedit/), its key evidence, the redaction check and
publishing; the group's own exports of its draft."""

from __future__ import annotations

from flask import Response, abort, flash, request, url_for
from flask_login import current_user, login_required

from ..inputs import ascii_int
from ..errors import DomainError, SignFirst
from ..extensions import db
from ..models import Cycle
from ..permissions import group_or_404, has_signed_current, is_facilitator
from ..web import done, on_refusal, refusals_go_to, render
from . import bp, exports, publishing, redaction, summaries
from .forms import EvidenceForm, PublishForm, RedactionForm

PAGE = "sharing/summary.html"


@bp.before_request
@login_required
def _signed_in():
    return None


def visible_cycle(group_id: int, number: int) -> Cycle:
    group = group_or_404(current_user, group_id)
    cycle = db.session.scalar(db.select(Cycle).where(Cycle.group_id == group.id, Cycle.number == number))
    if cycle is None:
        abort(404)
    if not has_signed_current(current_user, group):
        raise SignFirst(group.id, "its summary")
    return cycle


def summary_url(cycle: Cycle, endpoint: str = "sharing.summary") -> str:
    return url_for(endpoint, group_id=cycle.group_id, number=cycle.number)


def context(cycle: Cycle, publish_form=None, pending=None) -> dict:
    summary = summaries.summary_of(cycle)
    db.session.commit()
    return {"group": cycle.group, "cycle": cycle, "summary": summary, "cells": summaries.cells(cycle, summary),
            "evidence": summaries.evidence_of(summary), "candidates": summaries.candidates(cycle),
            "publication": publishing.publication_of(cycle), "facilitator": is_facilitator(current_user, cycle.group),
            "publish_form": publish_form or PublishForm(formdata=None), "evidence_form": EvidenceForm(formdata=None),
            "pending": pending, "kinds": summaries.EVIDENCE_KINDS, "scopes": publishing.SCOPES,
            "coedit_seq": _coedit_seq(cycle)}


def _coedit_seq(cycle: Cycle) -> int:
    from ..coedit import store

    return store.last_seq(f"summary-{cycle.id}") or 0


@bp.route("/groups/<int:group_id>/cycles/<int:number>/summary")
def summary(group_id: int, number: int):
    cycle = visible_cycle(group_id, number)
    return render(PAGE, **context(cycle))


@bp.route("/groups/<int:group_id>/cycles/<int:number>/summary", methods=["POST"])
def save_all(group_id: int, number: int):
    """The whole summary in one post (no JavaScript): "f:<key>" texts, put into the summary's document as
    the changes from the text the form was rendered from ("rendered_seq"), so what others typed since stays."""
    cycle = visible_cycle(group_id, number)
    allowed = set(summaries.keys_of(cycle))
    texts = {name[2:]: text for name, text in request.form.items() if name.startswith("f:") and name[2:] in allowed}
    seq_text = request.form.get("rendered_seq", "")
    try:
        if texts:
            if seq_text and ascii_int(seq_text) is None:
                raise DomainError("This page is out of date (the version it was made from cannot be read): "
                                  "copy your text, reload the page and paste it again.")
            summaries.save_texts(current_user, cycle, texts, ascii_int(seq_text))
    except DomainError as error:
        db.session.rollback()
        flash("Nothing was saved: " + error.message, "error")
        return render(PAGE, status=422, **context(cycle))
    flash("The summary is saved.", "success")
    return done(summary_url(cycle))


@bp.route("/groups/<int:group_id>/cycles/<int:number>/summary/evidence", methods=["POST"])
def add_evidence(group_id: int, number: int):
    cycle = visible_cycle(group_id, number)
    form = EvidenceForm()
    if not form.validate():
        abort(400)
    on_refusal(lambda error: done(summary_url(cycle) + "#evidence", PAGE, "evidence", **context(cycle)))
    summaries.link_evidence(current_user, cycle, form.kind.data, form.source.data)
    flash("Linked as key evidence.", "success")
    return done(summary_url(cycle) + "#evidence", PAGE, "evidence", **context(cycle))


@bp.route("/groups/<int:group_id>/cycles/<int:number>/summary/evidence/<int:evidence_id>/remove",
          methods=["POST"])
def remove_evidence(group_id: int, number: int, evidence_id: int):
    cycle = visible_cycle(group_id, number)
    try:
        summaries.unlink_evidence(current_user, cycle, evidence_id)
    except summaries.FieldNotFound:
        abort(404)
    flash("The evidence is no longer linked.", "success")
    return done(summary_url(cycle) + "#evidence", PAGE, "evidence", **context(cycle))


@bp.route("/groups/<int:group_id>/cycles/<int:number>/summary/history")
def history(group_id: int, number: int):
    cycle = visible_cycle(group_id, number)
    summary = summaries.summary_of(cycle)
    db.session.commit()
    rows = [(r, summaries.label(cycle, r.field.key)) for r in summaries.history(summary)]
    return render("sharing/summary_history.html", group=cycle.group, cycle=cycle, rows=rows)


# --- redaction and publishing ------------------------------------------------------------------------------

@bp.route("/groups/<int:group_id>/cycles/<int:number>/summary/redaction")
def redaction_page(group_id: int, number: int):
    cycle = visible_cycle(group_id, number)
    found = redaction.items(cycle)
    db.session.commit()
    return render("sharing/redaction.html", "items", group=cycle.group, cycle=cycle, items=found,
                  form=RedactionForm(formdata=None), publish_form=PublishForm(formdata=None),
                  facilitator=is_facilitator(current_user, cycle.group),
                  publication=publishing.publication_of(cycle))


@bp.route("/groups/<int:group_id>/cycles/<int:number>/summary/redaction", methods=["POST"])
def confirm_items(group_id: int, number: int):
    cycle = visible_cycle(group_id, number)
    form = RedactionForm()
    refusals_go_to(summary_url(cycle, "sharing.redaction_page"))
    count = redaction.confirm(current_user, cycle, list(form.items.data or []))
    flash(f"{count} item(s) confirmed." if count else "Nothing was ticked.", "success" if count else "info")
    return done(summary_url(cycle, "sharing.redaction_page"))


@bp.route("/groups/<int:group_id>/cycles/<int:number>/summary/publish", methods=["POST"])
def publish(group_id: int, number: int):
    cycle = visible_cycle(group_id, number)
    form = PublishForm()
    if not form.validate():
        return render("sharing/redaction.html", status=422, group=cycle.group, cycle=cycle,
                      items=redaction.items(cycle), form=RedactionForm(formdata=None), publish_form=form,
                      facilitator=is_facilitator(current_user, cycle.group),
                      publication=publishing.publication_of(cycle))
    refusals_go_to(summary_url(cycle))
    try:
        publication = publishing.publish(current_user, cycle, form.scope.data, form.phase.data or "")
    except publishing.RedactionPending as pending:
        db.session.rollback()
        flash(pending.message, "error")
        return render("sharing/redaction.html", status=422, group=cycle.group, cycle=cycle,
                      items=pending.items, form=RedactionForm(formdata=None), publish_form=form,
                      facilitator=True, publication=publishing.publication_of(cycle))
    flash(f"Published (version {publication.version}) to {publishing.SCOPES[publication.scope].lower()}.",
          "success")
    return done(url_for("sharing.study", publication_id=publication.id))


@bp.route("/groups/<int:group_id>/cycles/<int:number>/summary/withdraw", methods=["POST"])
def withdraw(group_id: int, number: int):
    cycle = visible_cycle(group_id, number)
    refusals_go_to(summary_url(cycle))
    publishing.withdraw(current_user, cycle)
    flash("The summary is no longer in the library.", "success")
    return done(summary_url(cycle))


@bp.route("/groups/<int:group_id>/cycles/<int:number>/summary/export.<fmt>")
def export_draft(group_id: int, number: int, fmt: str):
    cycle = visible_cycle(group_id, number)
    if fmt not in exports.FORMATS:
        abort(404)
    content = publishing.snapshot(cycle)
    db.session.commit()
    refusals_go_to(summary_url(cycle))
    body = exports.render(fmt, [content])
    return download(body, fmt, f"summary-cycle-{cycle.number}")


def download(body: bytes, fmt: str, name: str) -> Response:
    response = Response(body, mimetype=exports.FORMATS[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
