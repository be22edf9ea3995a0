"""The readable history of a co-edited document: its editing spells (one person, one part, no pause
longer than a minute), newest first, filtered by person and part; restoring one puts the part's text
back as a new change that everyone on the page sees live."""

from __future__ import annotations

from ..extensions import db
from ..models import CoeditSpell, User
from . import documents, edits, service


def spells(name: str, user_id: int | None = None, part: str | None = None, limit: int = 200) -> list[CoeditSpell]:
    query = (db.select(CoeditSpell).where(CoeditSpell.doc == name).order_by(CoeditSpell.id.desc()).limit(limit))
    if user_id is not None:
        query = query.where(CoeditSpell.user_id == user_id)
    if part:
        query = query.where(CoeditSpell.part == part)
    return list(db.session.scalars(query))


def people(name: str) -> list[User]:
    return list(db.session.scalars(db.select(User).where(User.id.in_(
        db.select(CoeditSpell.user_id).where(CoeditSpell.doc == name))).order_by(User.display_name)))


def restore(t: documents.Target, user_id: int, spell: CoeditSpell, box: str) -> service.Applied:
    """The part takes the text it had at the end of `spell` again (`box`: its key in the document)."""
    return edits.edit_texts(t, user_id, {box: spell.after}, None)
