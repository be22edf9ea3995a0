"""The co-editing endpoints of the wire protocol (README, "Co-editing"): /coedit/<doc>/sync, /update,
/awareness. JSON in and out; CSRF like every POST (the page's token in X-CSRFToken); 404 for anyone
who may not see the document's page. And one page: /coedit/<doc>/who-wrote-what (docs/coediting.md)."""

from __future__ import annotations

from pycrdt import Doc
from flask import Blueprint, abort, current_app, jsonify, request, url_for
from flask_login import current_user, login_required

from ..database import READ_FIRST
from ..diskfull import is_disk_full
from ..inputs import accepts, ascii_int
from ..extensions import db
from ..web import render
from . import awareness, documents, service, shape, who

bp = Blueprint("coedit", __name__, url_prefix="/coedit")


@bp.before_request
@login_required
def _signed_in():
    return None


def _body() -> dict:
    """The JSON body (a plain form post is read the same way, for tools and the access matrix)."""
    body = request.get_json(silent=True) if request.is_json else request.form.to_dict()
    if not isinstance(body, dict):
        abort(400)
    return body


def _bytes(value) -> bytes:
    try:
        return service.unb64(value)
    except ValueError:
        abort(400)


def _redis_url() -> str | None:
    return current_app.config["LSWEB"].get("REDIS_URL")


@bp.route("/<doc>/sync", methods=["POST"])
@accepts("json")
def sync(doc: str):
    target = documents.target(doc, current_user)
    state = _bytes(_body().get("sv", ""))
    try:
        Doc().get_update(state)  # a state vector that is not one is refused before the document opens
    except Exception:  # noqa: BLE001
        abort(400)
    try:
        answer = service.sync(target, state, awareness.current(doc, _redis_url()))
    except Exception as error:  # noqa: BLE001  (a state vector that is not one)
        db.session.rollback()
        if is_disk_full(error):
            raise  # 507 (lsweb.diskfull): the page keeps its edits and asks again later
        abort(400)
    return jsonify(answer)


@bp.route("/<doc>/update", methods=["POST"])
@accepts("json")
def update(doc: str):
    target = documents.target(doc, current_user)
    body = _body()
    data = _bytes(body.get("update"))
    client = body.get("client", 0)
    if isinstance(client, str):
        client = ascii_int(client, 2 ** 53 - 1)
    if isinstance(client, bool) or not isinstance(client, int) or not 0 <= client < 2 ** 53:
        abort(400)
    try:
        applied = service.apply_queued(target, current_user.id, client, data)
    except documents.Locked:
        return jsonify(error=target.locked_message), 423
    except shape.Refused as refused:
        return jsonify(error=refused.message, box=refused.box), 422
    except service.ClientTaken:
        return jsonify(error="That editing session belongs to someone else: reload the page."), 403
    return jsonify(seq=applied.seq)


READ_FIRST.add("coedit.update")


@bp.route("/<doc>/awareness", methods=["POST"])
@accepts("json")
def awareness_update(doc: str):
    target = documents.target(doc, current_user)
    data = _bytes(_body().get("update"))
    db.session.rollback()  # the access answer was read: nothing to keep open while others are told
    try:
        service.announce(target, data, _redis_url())
    except (ValueError, IndexError):
        abort(400)
    return "", 204


@bp.route("/<doc>/who-wrote-what")
def who_wrote_what(doc: str):
    """Each box's current text, every part marked with who wrote it (the history pages link here)."""
    target = documents.target(doc, current_user)
    return render("coedit/who_wrote_what.html", page=who.page(target), earlier=who.EARLIER, **_described(target))


def _described(t: documents.Target) -> dict:
    """What the page is about, and the way back to its history."""
    if t.kind == "summary":
        return {"about": f"the summary of cycle {t.cycle.number}", "group": t.cycle.group,
                "back": url_for("sharing.history", group_id=t.cycle.group_id, number=t.cycle.number),
                "back_label": "History of the summary"}
    if t.kind == "interviews":
        return {"about": f"the pupil interviews of {t.lesson.title}", "group": t.cycle.group,
                "back": url_for("lessonday.interviews_page", lesson_id=t.lesson.id), "back_label": "The interviews"}
    return {"about": f"{t.lesson.title}'s plan", "group": t.cycle.group,
            "back": url_for("planning.history", lesson_id=t.lesson.id), "back_label": "History of the plan"}
