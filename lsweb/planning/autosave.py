"""The request static/js/coedit.js sends to save one co-edited field, and its JSON answer: shared by
every co-edited page (the plan, the cycle summary)."""

from __future__ import annotations

from typing import Callable

from flask import jsonify, request

from ..inputs import ascii_int
from ..errors import DomainError
from ..extensions import db


def autosave(save: Callable, not_found: type[DomainError], max_base_text: int):
    """Parse the text, the version it was based on and (after a merge that came back while its author
    kept typing) the text the author's edit started from; call save(text, version, base_text) -> a result
    with status, key, text, version, message, conflict and stored (the save queues its live event);
    answer JSON (400 for a stale or malformed page, 404 for no such field, 422 for a refusal)."""
    version = ascii_int(request.form.get("version", ""))
    base_text = request.form.get("base_text")
    if version is None or (base_text is not None and len(base_text) > max_base_text):
        return jsonify(status="error", message="This page is out of date: reload it."), 400
    try:
        result = save(request.form.get("text", ""), version, base_text)
    except not_found as error:
        db.session.rollback()
        return jsonify(status="error", message=error.message), 404
    except DomainError as error:
        db.session.rollback()
        return jsonify(status="error", message=error.message), 422
    body = {"status": result.status, "key": result.key, "text": result.text, "version": result.version,
            "message": result.message}
    if result.conflict is not None:
        body["conflict"] = result.conflict.id
    return jsonify(body)
