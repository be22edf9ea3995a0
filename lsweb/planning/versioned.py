"""The rule every co-edited text of lsweb follows (a plan's fields, a cycle summary's boxes): a save
carries the version it was based on, and nothing a person saved is ever dropped.

- based on the stored version: the text is written (version + 1), or left alone when it is the same;
- based on an older version (or on `base_text`, the text the author's edit started from): a three-way
  merge (merge.py) of that base, the stored text and the saved text; a clean merge is written, an
  unclean one is kept as a conflict for its author;
- a version that never existed (or a future one): refused, "reload the page", the text stays in the box.

Where the texts live (which tables, how revisions and conflicts are recorded) is the caller's: a `Store`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable

from ..errors import DomainError
from ..extensions import db
from .merge import merge3


def clean_text(text: str | None) -> str:
    return (text or "").replace("\r\n", "\n").replace("\r", "\n")


@dataclass
class SaveResult:
    """What happened to a save. `text` and `version` are the field as stored now."""

    status: str  # saved | merged | unchanged | conflict | removed
    key: str
    text: str
    version: int
    conflict: Any = None

    @property
    def stored(self) -> bool:
        return self.status in ("saved", "merged")

    @property
    def message(self) -> str:
        return {
            "saved": "Saved.",
            "unchanged": "Saved.",
            "merged": "Saved, together with changes someone else made meanwhile.",
            "conflict": "Someone changed this at the same place. Both texts are kept: choose or combine them.",
            "removed": "This stage was removed while you were writing. Your text is kept: bring the stage back "
                       "or copy it elsewhere.",
        }[self.status]


@dataclass(frozen=True)
class Store:
    """How one kind of co-edited text is kept: its revision and conflict tables (each row has field_id;
    revisions version and after; conflicts user_id and resolved_at), and how a revision and a conflict
    are written (their other columns differ)."""

    revisions: Any
    conflicts: Any
    write: Callable[[Any, str, Any, str, datetime], Any]   # field, text, user, kind, now: a new revision
    keep_conflict: Callable[[Any, Any, str, int, datetime], Any]  # field, user, text, base version, now


def text_at(store: Store, field, version: int) -> str | None:
    """The field's text at `version` (0: empty); None when that version never existed."""
    if version == 0:
        return ""
    if version == field.version:
        return field.text
    revisions = store.revisions
    return db.session.scalar(db.select(revisions.after).where(revisions.field_id == field.id,
                                                              revisions.version == version))


def resolve_conflicts(store: Store, field, user, now: datetime) -> None:
    """The user's open conflicts on this field end: their text is in it now."""
    conflicts = store.conflicts
    for conflict in db.session.scalars(db.select(conflicts).where(
            conflicts.field_id == field.id, conflicts.user_id == user.id, conflicts.resolved_at.is_(None))):
        conflict.resolved_at = now


def save_text(store: Store, field, user, key: str, text: str, base_version: int, base_text: str | None,
              now: datetime) -> SaveResult:
    """Save `text` (already cleaned and checked) into `field` (locked for update by the caller)."""
    base = clean_text(base_text) if base_text is not None else text_at(store, field, base_version)
    if base is None or base_version > field.version or base_version < 0:
        raise DomainError("This page is out of date: reload it (your text is kept in the box).", key)
    if base_version == field.version and base_text is None:
        status = "unchanged" if text == field.text else "saved"
        if status == "saved":
            store.write(field, text, user, "edit", now)
        resolve_conflicts(store, field, user, now)
        return SaveResult(status, key, field.text, field.version)
    merged = merge3(base, field.text, text)
    if merged is None:
        conflict = store.keep_conflict(field, user, text, base_version, now)
        db.session.flush()
        return SaveResult("conflict", key, field.text, field.version, conflict)
    if merged != field.text:
        store.write(field, merged, user, "merge", now)
    return SaveResult("merged", key, field.text, field.version)
