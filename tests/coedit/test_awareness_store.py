"""Presence is held per app in memory: a new app (a restarted server, the next test) starts with nobody on
its pages, and within one app a client's state is there until removed."""

from __future__ import annotations

import json

from lsweb.coedit import awareness


def _update(client_id: int, state) -> bytes:
    body = json.dumps(state).encode() if state is not None else b"null"
    return b"".join([awareness._encode_uint(1), awareness._encode_uint(client_id), awareness._encode_uint(1),
                     awareness._encode_uint(len(body)), body])


def test_a_new_app_starts_with_nobody_on_its_pages(make_app):
    first, second = make_app(), make_app()
    with first.app_context():
        awareness.put("plan-1", _update(7, {"user": {"id": 1, "name": "Hannah Lee"}}))
        assert awareness.current("plan-1") == [_update(7, {"user": {"id": 1, "name": "Hannah Lee"}})]
    with second.app_context():
        assert awareness.current("plan-1") == []


def test_a_removed_state_is_gone(make_app):
    with make_app().app_context():
        awareness.put("plan-1", _update(7, {"user": {"id": 1}}))
        awareness.put("plan-1", _update(7, None))
        assert awareness.current("plan-1") == []
