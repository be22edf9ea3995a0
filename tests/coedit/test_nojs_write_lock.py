"""The no-JavaScript whole-plan save holds the database's write lock only for its few statements
(issue 18: one stale form post ran a slow merge per box inside one SQLite write transaction for 18 s,
and another school's sign-in got a 500 meanwhile). Measured on SQLite as what runs while the write
transaction is open: no character diff at all, and a bounded number of statements per box."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import event

from lsweb.coedit import edits, store
from lsweb.extensions import db

from ..plans import planning_team
from .helpers import Replica, signed_in_client

SEQ = re.compile(r'name="rendered_seq" value="(\d+)"')
BOXES = ["aspect", "intentions", "criteria", "resources", "interview"]
WORDS = "pupils fold paper strips into halves quarters and eighths then compare the pieces with partners".split()


def _essay(seed: int, words: int = 330) -> str:  # two of them merged stay under 5,000 characters
    return " ".join(WORDS[(i * seed + i // 3) % len(WORDS)] for i in range(words))



def test_a_stale_whole_plan_post_diffs_outside_the_write_lock(app, login, factories, monkeypatch):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("the write lock measured is SQLite's (PostgreSQL locks rows, not the database)")
    store.clear_cache()
    team = planning_team(factories)
    ben = Replica(signed_in_client(app, login, team.ben), f"plan-{team.lesson.id}")
    ben.sync()
    ana = signed_in_client(app, login, team.ana)
    rendered = SEQ.search(ana.get(f"/lessons/{team.lesson.id}").get_data(as_text=True))[1]
    for number, key in enumerate(BOXES, start=2):  # while Ana's form is open, Ben writes every box
        assert ben.edit(lambda r, key=key, number=number: r.text(key).insert(0, _essay(number)))[0] == 200

    diffs_under_lock, statements, counting = [], [], {"on": False}
    real_retype = edits.retype

    def watched_retype(*args):
        diffs_under_lock.append(counting["on"])  # a BEGIN IMMEDIATE transaction is open on this engine
        return real_retype(*args)

    monkeypatch.setattr(edits, "retype", watched_retype)

    def on_execute(conn, cursor, statement, *_):
        if statement.startswith("BEGIN IMMEDIATE"):
            counting["on"] = True
            statements.append(0)
        elif counting["on"]:
            statements[-1] += 1

    def on_commit(_conn):
        counting["on"] = False

    event.listen(db.engine, "before_cursor_execute", on_execute)
    event.listen(db.engine, "commit", on_commit)
    event.listen(db.engine, "rollback", on_commit)
    try:
        response = ana.post(f"/lessons/{team.lesson.id}/plan",
                            data={"rendered_seq": rendered, **{f"f:{key}": _essay(7 + i) for i, key in enumerate(BOXES)}})
    finally:
        event.remove(db.engine, "before_cursor_execute", on_execute)
        event.remove(db.engine, "commit", on_commit)
        event.remove(db.engine, "rollback", on_commit)
    assert response.status_code in (200, 303)
    assert len(diffs_under_lock) == len(BOXES) and not any(diffs_under_lock), \
        "a character diff ran while the request held SQLite's write lock"
    assert statements and max(statements) <= 10 + 4 * len(BOXES), statements
    # and nothing was lost: Ben's essays and Ana's are both in every box
    fresh = Replica(signed_in_client(app, login, team.lead), f"plan-{team.lesson.id}")
    fresh.sync()
    for number, key in enumerate(BOXES, start=2):
        text = str(fresh.text(key))
        assert _essay(number)[:60] in text or _essay(number)[-60:] in text
