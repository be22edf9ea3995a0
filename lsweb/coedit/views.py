"""The co-editing endpoints of the wire protocol (README, "Co-editing"): /coedit/<doc>/sync, /update,
/awareness. JSON in and out; CSRF like every POST (the page's token in X-CSRFToken); 404 for anyone
who may not see the document's page."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, jsonify, request
from flask_login import current_user, login_required

from ..extensions import db
from . import awareness, documents, service, shape

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
def sync(doc: str):
    target = documents.target(doc, current_user)
    state = _bytes(_body().get("sv", ""))
    try:
        answer = service.sync(target, state, awareness.current(doc, _redis_url()))
    except Exception:  # a state vector that is not one
        db.session.rollback()
        raise
    return jsonify(answer)


@bp.route("/<doc>/update", methods=["POST"])
def update(doc: str):
    target = documents.target(doc, current_user)
    body = _body()
    data = _bytes(body.get("update"))
    client = body.get("client", 0)
    if isinstance(client, str) and client.isdigit() and len(client) < 17:
        client = int(client)
    if isinstance(client, bool) or not isinstance(client, int) or not 0 <= client < 2 ** 53:
        abort(400)
    try:
        applied = service.apply(target, current_user.id, client, data)
    except documents.Locked:
        return jsonify(error="This plan is locked: the lesson has been taught or the cycle is closed."), 423
    except shape.Refused as refused:
        return jsonify(error=refused.message, box=refused.box), 422
    except service.ClientTaken:
        return jsonify(error="That editing session belongs to someone else: reload the page."), 403
    return jsonify(seq=applied.seq)


@bp.route("/<doc>/awareness", methods=["POST"])
def awareness_update(doc: str):
    target = documents.target(doc, current_user)
    data = _bytes(_body().get("update"))
    db.session.rollback()  # the access answer was read: nothing to keep open while others are told
    try:
        service.announce(target, data, _redis_url())
    except (ValueError, IndexError):
        abort(400)
    return "", 204
