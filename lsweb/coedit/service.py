"""Opening a document, syncing a page with it and applying a page's update: authorised like the page,
checked against the limits on the document as it would be, stored and derived in one short write
transaction, committed before the acknowledgement, then fanned out on the page's live channel.
"""

from __future__ import annotations

import base64
import logging
import random
import time
from dataclasses import dataclass
from datetime import timedelta

from pycrdt import Doc
from sqlalchemy.exc import IntegrityError

from .. import live
from ..database import write_next
from ..extensions import db
from ..models import CoeditClient, CoeditSpell
from ..models.base import utcnow
from . import attribution, awareness, documents, shape, store

log = logging.getLogger("lsweb.coedit")
SPELL_PAUSE = timedelta(seconds=60)
MAX_UPDATE_BYTES = 512 * 1024
STORE_TRIES = 10  # several processes saving one document at once: each lost race loads the winner's update


class ClientTaken(Exception):
    """The update carries changes of a client id that belongs to another person."""


@dataclass
class Applied:
    seq: int
    changes: list


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text) -> bytes:
    if not isinstance(text, str) or len(text) > MAX_UPDATE_BYTES * 4 // 3 + 8:
        raise ValueError("not base64")
    return base64.b64decode(text, validate=True)


def open_entry(t: documents.Target) -> store.Entry:
    """The document (created from the stored text the first time), with every part the server owes it
    (a text per pupil added since). Call under store.doc_lock(t.name)."""
    entry = store.load(t.name)
    if entry is None:
        doc = Doc()
        shape.build(doc, **documents.initial(t))
        store.create(t.name, doc)
        try:
            db.session.commit()
        except IntegrityError:  # another process created it first
            db.session.rollback()
        entry = store.load(t.name)
    pupils = [p.id for p in t.pupils] if t.kind == "plan" else None
    before = entry.doc.get_state()
    if shape.ensure_parts(entry.doc, t.text_keys(), pupils):
        _store(t, entry, entry.doc.get_update(before), None, 0, shape.read(entry.doc))
    return entry


def sync(t: documents.Target, client_state: bytes, awareness: list[bytes]) -> dict:
    with store.doc_lock(t.name):
        entry = open_entry(t)
        update = entry.doc.get_update(client_state)
        state, seq = entry.doc.get_state(), entry.seq
    return {"update": b64(update), "sv": b64(state), "seq": seq, "awareness": [b64(a) for a in awareness]}


def apply(t: documents.Target, user_id: int | None, client_id: int, data: bytes) -> Applied:
    """Apply one update; raises shape.Refused (over a limit), ClientTaken, documents.Locked."""
    if t.locked:
        raise documents.Locked()
    for attempt in range(STORE_TRIES):
        if attempt:  # another process stored the same next update: let it finish, then load it; and the
            # database's write lock first, then the document's, as on the first attempt
            time.sleep(random.uniform(0.005, 0.02) * attempt)
            write_next()
            db.session.connection()
        store.lock_across_processes(t.name)
        with store.doc_lock(t.name):
            entry = open_entry(t)
            before_state = entry.doc.get_state()
            old_view = entry.view
            try:
                with attribution.watch(entry.doc) as seen:
                    entry.doc.apply_update(data)
            except Exception as error:  # noqa: BLE001  (not an update: the cached doc may be hurt)
                store.evict(t.name)
                raise shape.Refused("That change could not be read: reload the page.") from error
            new_view = shape.read(entry.doc)
            grown = shape.state_clients(entry.doc.get_state())
            known = shape.state_clients(before_state)
            clients = {c for c, clock in grown.items() if clock > known.get(c, 0)}
            if not clients and new_view == old_view:
                return Applied(entry.seq, [])
            try:
                documents.check(t, new_view, old_view)
                _bind(t.name, clients | {client_id}, user_id)
            except Exception:  # a refusal, or a write that failed (a full disk): the cached doc forgets it
                store.evict(t.name)
                db.session.rollback()
                raise
            try:
                changes = _store(t, entry, data, user_id, client_id, new_view, old_view, seen)
            except IntegrityError:  # another process stored an update first: load it and try again
                db.session.rollback()
                store.evict(t.name)
                continue
            except Exception:
                db.session.rollback()
                store.evict(t.name)
                raise
            seq = entry.seq
            snapshot = store.snapshot_due(entry)
        if snapshot is not None and store.write_snapshot(t.name, entry, *snapshot):
            log.info("coedit: %s compacted at seq %d", t.name, snapshot[0])
        return Applied(seq, changes)
    raise RuntimeError("coedit: could not store the update")


def announce(t: documents.Target, data: bytes, redis_url: str | None) -> None:
    """Who is where in the document (carets, selections): kept briefly in memory or Redis, never in the
    database, and sent at once to the others on the page (raises ValueError for what is no awareness
    update)."""
    awareness.put(t.name, data, redis_url)
    live.publish(t.channel, "doc-awareness", {"doc": t.name, "update": b64(data)})


def _bind(name: str, clients: set[int], user_id: int | None) -> None:
    clients = {c for c in clients if c}
    if not clients:
        return
    owners = dict(db.session.execute(db.select(CoeditClient.client_id, CoeditClient.user_id).where(
        CoeditClient.doc == name, CoeditClient.client_id.in_(list(clients)))).all())
    for client in clients:
        if client in owners:
            if owners[client] != user_id:
                raise ClientTaken()
        else:
            db.session.add(CoeditClient(doc=name, client_id=client, user_id=user_id))


def _store(t, entry, data, user_id, client_id, new_view, old_view=None, seen=None) -> list:
    """Append, derive, record the spells and who wrote what, commit (raises IntegrityError when another
    process won)."""
    now = utcnow()
    seq = entry.seq + 1
    old_view = old_view if old_view is not None else entry.view
    store.append(t.name, seq, data, user_id, client_id)
    changes = documents.derive(t, old_view, new_view, user_id, now)
    _spells(t.name, changes, user_id, seq, now)
    authors = attribution.record(t.name, entry, seq, seen, old_view, new_view, user_id)
    live.queue(db.session, t.channel, "doc-update",
               {"doc": t.name, "update": b64(data), "seq": seq, "client": client_id})
    db.session.commit()
    attribution.remember(authors)
    entry.seq, entry.view = seq, new_view
    store.grew(entry, len(data))
    return changes


def _spells(name: str, changes: list, user_id: int | None, seq: int, now) -> None:
    """A person's changes to a part within a minute of their last one there extend their spell, even when
    others type in the same part meanwhile (each person's spells are their own): one UPDATE of their
    latest spell of the part when it is recent (a keystroke's usual case), else one INSERT."""
    for part, kind, before, after in changes:
        if kind == "text":
            same_person = CoeditSpell.user_id.is_(None) if user_id is None else CoeditSpell.user_id == user_id
            latest = (db.select(db.func.max(CoeditSpell.id))
                      .where(CoeditSpell.doc == name, CoeditSpell.part == part, same_person).scalar_subquery())
            extended = db.session.execute(
                db.update(CoeditSpell).where(CoeditSpell.id == latest, CoeditSpell.ended_at >= now - SPELL_PAUSE)
                .values(after=after, ended_at=now, last_seq=seq).execution_options(synchronize_session=False))
            if extended.rowcount:
                continue
        db.session.execute(db.insert(CoeditSpell).values(
            doc=name, part=part, kind=kind, user_id=user_id, started_at=now, ended_at=now, first_seq=seq,
            last_seq=seq, before=before, after=after))
