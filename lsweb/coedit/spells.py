"""Editing spells (coedit_spell), the history people read: a person's changes to a part within a minute
of their last one there extend their spell, even when others type in the same part meanwhile (each
person's spells are their own)."""

from __future__ import annotations

from datetime import timedelta
from functools import partial

from ..extensions import db
from ..models import CoeditSpell
from . import deferred

SPELL_PAUSE = timedelta(seconds=60)
_TABLE = CoeditSpell.__table__


def record(name: str, changes: list, user_id: int | None, seq: int, now) -> None:
    """Note an update's changes (part, kind, before, after). They are written at the commit (deferred.py):
    a batch of keystrokes of one person into one part is one UPDATE of their latest spell of the part when
    it is recent (a keystroke's usual case), else one INSERT; a stage's add, move or removal, an observer
    or a detail is a spell of its own. In plain SQL on the session's connection (nothing of the ORM reads
    spells in this transaction), in the order the changes came."""
    held = deferred.known(db.session, "spells")
    for part, kind, before, after in changes:
        if kind != "text":
            row = dict(kind=kind, started_at=now, first_seq=seq, before=before)
            held[(seq, part, kind)] = row
        else:
            row = held.setdefault((name, part, user_id), dict(kind=kind, started_at=now, first_seq=seq, before=before))
        row.update(ended_at=now, last_seq=seq, after=after)
        key = ("coedit_spell", seq, part) if kind != "text" else ("coedit_spell", name, part, user_id)
        deferred.later(db.session, key, partial(_write, name, part, user_id, row))


def _write(name: str, part: str, user_id: int | None, row: dict, connection) -> None:
    if row["kind"] == "text":
        same_person = _TABLE.c.user_id.is_(None) if user_id is None else _TABLE.c.user_id == user_id
        latest = (db.select(db.func.max(_TABLE.c.id))
                  .where(_TABLE.c.doc == name, _TABLE.c.part == part, same_person).scalar_subquery())
        extended = connection.execute(
            _TABLE.update().where(_TABLE.c.id == latest, _TABLE.c.ended_at >= row["started_at"] - SPELL_PAUSE)
            .values(after=row["after"], ended_at=row["ended_at"], last_seq=row["last_seq"]))
        if extended.rowcount:
            return
    connection.execute(_TABLE.insert().values(doc=name, part=part, user_id=user_id, **row))
