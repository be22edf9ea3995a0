"""Opening a document, syncing a page with it and applying a page's update: authorised like the page,
checked against the limits on the document as it would be, stored and derived in one short write
transaction, committed before the acknowledgement, then fanned out on the page's live channel.
"""

from __future__ import annotations

import base64
import logging
import random
import threading
import time
from collections import deque
from dataclasses import dataclass

from pycrdt import Doc
from sqlalchemy.exc import IntegrityError

from .. import live
from ..database import write_next
from ..extensions import db
from ..models import CoeditClient
from ..models.base import utcnow
from . import attribution, awareness, documents, shape, spells, store

log = logging.getLogger("lsweb.coedit")
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
    keys = t.text_keys()
    if not shape.lacks_parts(entry.view, keys, pupils):
        return entry
    before = entry.doc.get_state()
    if shape.ensure_parts(entry.doc, keys, pupils):
        try:
            _write(t, entry, entry.doc.get_update(before), None, 0, shape.read(entry.doc))
            db.session.commit()
        except Exception:
            db.session.rollback()
            store.evict(t.name)
            raise
    return entry


def sync(t: documents.Target, client_state: bytes, awareness: list[bytes]) -> dict:
    with store.doc_lock(t.name):
        entry = open_entry(t)
        update = entry.doc.get_update(client_state)
        state, seq = entry.doc.get_state(), entry.seq
    return {"update": b64(update), "sv": b64(state), "seq": seq, "awareness": [b64(a) for a in awareness]}


@dataclass
class _Item:
    """One page's update on its way into the document; `done` once stored and committed (`applied`) or
    refused (`error`)."""

    user_id: int | None
    client_id: int
    data: bytes
    applied: Applied | None = None
    error: BaseException | None = None
    done: bool = False


_waiting: dict[str, deque[_Item]] = {}  # document name -> updates of pages waiting for its writer
_waiting_lock = threading.Lock()
_turn = threading.Condition(_waiting_lock)  # told whenever a writer of this process finishes
_writing: set[str] = set()  # documents a request of this process is storing queued updates of
TURN_CHECK_SECONDS = 1.0


def apply(t: documents.Target, user_id: int | None, client_id: int, data: bytes) -> Applied:
    """Apply one update in the request's own write transaction (the form without JavaScript, a restore,
    the stage buttons); raises shape.Refused (over a limit), ClientTaken, documents.Locked."""
    return _settle(t, _Item(user_id, client_id, data), queued=False)


def apply_queued(t: documents.Target, user_id: int | None, client_id: int, data: bytes) -> Applied:
    """A page's update (POST /coedit/<doc>/update, whose access answer was read in a read transaction):
    it waits with the others that arrive for this document while one of this process's requests is
    storing, and the next writer stores all of them in one transaction, each checked, bound and derived
    as if alone, with one commit. A request whose update a writer stored answers at once, without
    taking the database's write lock itself. Under a meeting's load a keystroke then pays for its own
    request, not for a commit and a turn at the write lock each."""
    item = _Item(user_id, client_id, data)
    db.session.rollback()  # the access answer's read transaction ends: no transaction while waiting
    with _turn:
        _waiting.setdefault(t.name, deque()).append(item)
        while not item.done and t.name in _writing:
            _turn.wait(TURN_CHECK_SECONDS)
        if not item.done:
            _writing.add(t.name)
    if item.done:  # another request's writer stored it (or refused it) with its own
        return _answer(item)
    try:
        return _settle(t, item, queued=True)
    finally:
        with _turn:
            _writing.discard(t.name)
            if not item.done:  # (an error before it was stored: it is not left for the next writer)
                queue = _waiting.get(t.name)
                if queue is not None and item in queue:
                    queue.remove(item)
            _turn.notify_all()


def _answer(item: _Item) -> Applied:
    if item.error is not None:
        raise item.error
    return item.applied


def _drain(name: str, own: _Item) -> list[_Item]:
    with _waiting_lock:
        queue = _waiting.pop(name, deque())
    return list(queue) if own in queue else [own, *queue]


def _wait_again(name: str, items: list[_Item]) -> None:
    with _waiting_lock:
        _waiting.setdefault(name, deque()).extendleft(reversed(items))


def _settle(t: documents.Target, own: _Item, queued: bool) -> Applied:
    snapshot = None
    for attempt in range(STORE_TRIES):
        if attempt:  # another process stored the same next update: let it finish, then load it
            time.sleep(random.uniform(0.005, 0.02) * attempt)
        if attempt or queued:
            write_next()
        db.session.connection()  # the database's write lock first, then the document's, as always
        store.lock_across_processes(t.name)
        with store.doc_lock(t.name):
            if own.done:  # another request's writer stored it with its own
                break
            batch = _drain(t.name, own) if queued else [own]
            try:
                snapshot = _store_batch(t, batch)
            except IntegrityError:  # another process stored an update first: load it and try again
                db.session.rollback()
                store.evict(t.name)
                if queued:
                    _wait_again(t.name, [item for item in batch if item is not own])
                continue
            except Exception as error:  # a write that failed (a full disk, the database gone): every
                db.session.rollback()  # update of the batch is refused with it, the cached doc forgets them
                store.evict(t.name)
                for item in batch:
                    if not item.done:
                        item.error, item.done = error, True
            break
    else:
        raise RuntimeError("coedit: could not store the update")
    if queued or own.error is not None:  # (a request whose update another writer stored has an empty
        db.session.rollback()             # transaction; a refused one's, nothing to keep)
    if snapshot is not None and store.write_snapshot(t.name, *snapshot):
        log.info("coedit: %s compacted at seq %d", t.name, snapshot[1])
    return _answer(own)


def _store_batch(t: documents.Target, batch: list[_Item]):
    """Apply, check, bind, write and derive each update of the batch in order, then commit once. An update
    that is refused (over a limit, another person's client id, unreadable) is refused alone: nothing of it
    was written, and the document is reloaded as this transaction has it. Returns the snapshot due."""
    if t.locked:
        for item in batch:
            item.error, item.done = documents.Locked(), True
        return None
    entry = None
    stored = []
    for item in batch:
        if entry is None:
            entry = open_entry(t)
        try:
            item.applied, bound = _take(t, entry, item)
        except (shape.Refused, ClientTaken) as refusal:
            item.error, item.done = refusal, True
            store.evict(t.name)  # it may hold the refused update: the next one reloads it
            entry = None
            continue
        stored.append((item, bound))
    if any(bound is not None for _item, bound in stored):
        db.session.commit()
    for item, bound in stored:
        if entry is not None:
            entry.owners.update(bound or {})  # committed now
        item.done = True
    with _turn:
        _turn.notify_all()  # their requests answer now
    snapshot = store.snapshot_due(entry) if entry is not None else None
    return None if snapshot is None else (entry, *snapshot)


def _take(t: documents.Target, entry: store.Entry, item: _Item) -> tuple[Applied, dict | None]:
    """One update into the document and the open transaction; (what it did, the client ids it bound:
    None when it changed nothing). Raises shape.Refused or ClientTaken before writing anything."""
    before_state, old_view = entry.doc.get_state(), entry.view
    try:
        with attribution.watch(entry.doc) as seen:
            entry.doc.apply_update(item.data)
    except Exception as error:  # noqa: BLE001  (not an update: the cached doc may be hurt)
        raise shape.Refused("That change could not be read: reload the page.") from error
    new_view = shape.reread(entry.doc, old_view, seen.deltas) if seen.only_typing else None
    if new_view is None:  # (a stage added, moved or removed, an observer or a detail: read it all)
        new_view = shape.read(entry.doc)
    grown = shape.state_clients(entry.doc.get_state())
    known = shape.state_clients(before_state)
    clients = {c for c, clock in grown.items() if clock > known.get(c, 0)}
    if not clients and new_view == old_view:
        return Applied(entry.seq, []), None
    documents.check(t, new_view, old_view)
    bound = _bind(t.name, entry, clients | {item.client_id}, item.user_id)
    changes = _write(t, entry, item.data, item.user_id, item.client_id, new_view, old_view, seen)
    return Applied(entry.seq, changes), bound


def announce(t: documents.Target, data: bytes, redis_url: str | None) -> None:
    """Who is where in the document (carets, selections): kept briefly in memory or Redis, never in the
    database, and sent at once to the others on the page (raises ValueError for what is no awareness
    update)."""
    awareness.put(t.name, data, redis_url)
    live.publish(t.channel, "doc-awareness", {"doc": t.name, "update": b64(data)})


def _bind(name: str, entry: store.Entry, clients: set[int], user_id: int | None) -> dict[int, int | None]:
    """Check that every client id of the update is the sender's (raises ClientTaken before adding
    anything), binding the new ones to them; returns the bindings to remember once committed."""
    clients = {c for c in clients if c}
    unknown = [c for c in clients if c not in entry.owners]
    owners = {c: entry.owners[c] for c in clients if c in entry.owners}
    if unknown:
        owners.update(db.session.execute(db.select(CoeditClient.client_id, CoeditClient.user_id).where(
            CoeditClient.doc == name, CoeditClient.client_id.in_(unknown))).all())
    if any(owner != user_id for owner in owners.values()):
        raise ClientTaken()
    for client in clients - owners.keys():
        db.session.add(CoeditClient(doc=name, client_id=client, user_id=user_id))
    return {client: user_id for client in clients}


def _write(t, entry, data, user_id, client_id, new_view, old_view=None, seen=None) -> list:
    """Append, derive, record the spells and who wrote what, in the open transaction (the caller
    commits; an IntegrityError there or here means another process stored this seq first). The entry
    moves on at once: if the transaction fails, the caller evicts it."""
    now = utcnow()
    seq = entry.seq + 1
    old_view = old_view if old_view is not None else entry.view
    store.append(t.name, seq, data, user_id, client_id)
    changes = documents.derive(t, old_view, new_view, user_id, now)
    spells.record(t.name, changes, user_id, seq, now)
    attribution.remember(attribution.record(t.name, entry, seq, seen, old_view, new_view, user_id))
    live.queue(db.session, t.channel, "doc-update",
               {"doc": t.name, "update": b64(data), "seq": seq, "client": client_id})
    entry.seq, entry.view = seq, new_view
    store.grew(entry, len(data))
    return changes
