"""Where a document lives: its update log and snapshots in the database, and a bounded in-process cache
of loaded pycrdt documents that stays right with several processes (the log's last seq is read before
a cached document is trusted; what is missing is applied from the log).

Loading = the latest snapshot + every later update. Every SNAPSHOT_EVERY updates a snapshot is written;
updates and snapshots older than the last KEEP_SNAPSHOTS snapshots are pruned (the editing spells keep
the readable history).
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

from pycrdt import Doc
from sqlalchemy import text

from ..database import write_next
from ..extensions import db
from ..models import CoeditSnapshot, CoeditUpdate
from . import shape

log = logging.getLogger("lsweb.coedit")

SNAPSHOT_EVERY = 200
KEEP_SNAPSHOTS = 3
# The documents kept in memory: at most CACHE_BYTES of memory, estimated from their encoded size. A
# document in memory (Yrs' items, one per run of typing, tombstones included) takes about 15 times its
# encoded update when people type at many places (measured with pycrdt: 1.4 MB of updates, 20 MB of
# memory); the encoded size alone let 64 MB of updates grow to near 1 GB.
CACHE_BYTES = 128 * 1024 * 1024
MEMORY_PER_ENCODED_BYTE = 16


@dataclass
class Entry:
    doc: Doc
    seq: int
    view: shape.DocView
    size: int
    snapshot_seq: int
    # Who wrote what (attribution.py): each box's runs as written by this process, valid while
    # authors_seq is still seq (another process's updates, caught up from the log, leave them stale).
    authors: dict = field(default_factory=dict)
    authors_seq: int = -1
    # Client id -> the person it is bound to (service._bind), for bindings known to be committed: a binding
    # never changes once stored, so a keystroke of a known client needs no query.
    owners: dict = field(default_factory=dict)


_cache: OrderedDict[str, Entry] = OrderedDict()
_cache_bytes = 0
_cache_lock = threading.Lock()
_doc_locks: dict[str, threading.Lock] = {}


def doc_lock(name: str) -> threading.Lock:
    """One lock per document in this process: a pycrdt document is changed by one thread at a time."""
    with _cache_lock:
        lock = _doc_locks.get(name)
        if lock is None:
            if len(_doc_locks) > 10_000:
                _doc_locks.clear()
            lock = _doc_locks[name] = threading.Lock()
        return lock


def lock_across_processes(name: str) -> None:
    """Writers of one document in several processes take turns. On PostgreSQL: a transaction-level
    advisory lock on the document (held until the update's commit), taken before the process's own
    document lock, as on SQLite, where a writing request's BEGIN IMMEDIATE already orders them. Without
    it, under load a process could lose the race for the next seq to the other again and again."""
    if db.engine.dialect.name != "postgresql":
        return
    key = int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)
    db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def last_seq(name: str) -> int | None:
    """The seq of the document's last update (the snapshot's when none follow it); None: no document."""
    upd = db.session.scalar(db.select(db.func.max(CoeditUpdate.seq)).where(CoeditUpdate.doc == name))
    if upd is not None:
        return upd
    return db.session.scalar(db.select(db.func.max(CoeditSnapshot.seq)).where(CoeditSnapshot.doc == name))


def _updates_after(name: str, seq: int, upto: int | None = None) -> list[bytes]:
    query = (db.select(CoeditUpdate.seq, CoeditUpdate.data).where(CoeditUpdate.doc == name, CoeditUpdate.seq > seq)
             .order_by(CoeditUpdate.seq))
    if upto is not None:
        query = query.where(CoeditUpdate.seq <= upto)
    return list(db.session.execute(query))


def load_at(name: str, upto: int | None = None) -> tuple[Doc, int, int] | None:
    """(doc, seq, snapshot seq) of the document as it was after update `upto` (None: now), rebuilt from
    the database; None when the document does not exist (or that point was pruned)."""
    query = db.select(CoeditSnapshot).where(CoeditSnapshot.doc == name).order_by(CoeditSnapshot.seq.desc()).limit(1)
    if upto is not None:
        query = query.where(CoeditSnapshot.seq <= upto)
    snapshot = db.session.scalar(query)
    if snapshot is None:
        return None
    doc = Doc()
    doc.apply_update(snapshot.data)
    seq = snapshot.seq
    for row_seq, data in _updates_after(name, snapshot.seq, upto):
        doc.apply_update(data)
        seq = row_seq
    return doc, seq, snapshot.seq


def cached(name: str) -> Entry | None:
    """The cached document brought up to date with the log (call under doc_lock(name))."""
    with _cache_lock:
        entry = _cache.get(name)
        if entry is not None:
            _cache.move_to_end(name)
    if entry is None:
        return None
    newest = last_seq(name)
    if newest is None or newest < entry.seq:  # the database was replaced (restore, tests): start again
        evict(name)
        return None
    if newest > entry.seq:
        rows = _updates_after(name, entry.seq)
        if not rows or rows[0][0] != entry.seq + 1:  # pruned meanwhile: load again
            evict(name)
            return None
        for row_seq, data in rows:
            entry.doc.apply_update(data)
            entry.size += len(data)
            entry.seq = row_seq
        entry.view = shape.read(entry.doc)
    return entry


def load(name: str) -> Entry | None:
    """The document, from the cache or the database (call under doc_lock(name)); None when none exists."""
    entry = cached(name)
    if entry is not None:
        return entry
    loaded = load_at(name)
    if loaded is None:
        return None
    doc, seq, snapshot_seq = loaded
    entry = Entry(doc, seq, shape.read(doc), len(doc.get_update()), snapshot_seq)
    remember(name, entry)
    return entry


def remember(name: str, entry: Entry) -> None:
    global _cache_bytes
    with _cache_lock:
        old = _cache.pop(name, None)
        if old is not None:
            _cache_bytes -= old.size
        _cache[name] = entry
        _cache_bytes += entry.size
        _trim()


def cached_bytes() -> int:
    """What the documents held in this process count against CACHE_BYTES (their estimated memory)."""
    return _cache_bytes * MEMORY_PER_ENCODED_BYTE


def grew(entry: Entry, nbytes: int) -> None:
    global _cache_bytes
    with _cache_lock:
        entry.size += nbytes
        _cache_bytes += nbytes
        _trim()


def _trim() -> None:
    """Drop the least recently used documents over the budget, never the last one (under _cache_lock)."""
    global _cache_bytes
    while _cache_bytes * MEMORY_PER_ENCODED_BYTE > CACHE_BYTES and len(_cache) > 1:
        _, dropped = _cache.popitem(last=False)
        _cache_bytes -= dropped.size


def evict(name: str) -> None:
    global _cache_bytes
    with _cache_lock:
        old = _cache.pop(name, None)
        if old is not None:
            _cache_bytes -= old.size


def clear_cache() -> None:
    global _cache_bytes
    with _cache_lock:
        _cache.clear()
        _cache_bytes = 0


def cache_bytes() -> int:
    return _cache_bytes


def create(name: str, doc: Doc) -> None:
    """Store a new document as its first snapshot (seq 0); the caller commits (a unique (doc, seq)
    refuses a second creation by another process: load it instead)."""
    db.session.add(CoeditSnapshot(doc=name, seq=0, data=doc.get_update()))


_APPEND = CoeditUpdate.__table__.insert()  # (built once: parameters are given per call)


def append(name: str, seq: int, data: bytes, user_id: int | None, client_id: int) -> None:
    """Add update `seq` to the log (the caller commits; a unique (doc, seq) catches a race, here or at the
    commit). Plain SQL on the session's connection: a batch's inserts need no unit of work."""
    db.session.connection().execute(_APPEND, dict(doc=name, seq=seq, data=data, user_id=user_id,
                                                   client_id=client_id))


def snapshot_due(entry: Entry) -> tuple[int, bytes] | None:
    """(seq, the whole document) when SNAPSHOT_EVERY updates followed the last snapshot. Taken under the
    document's lock; written after it is released (`write_snapshot`), so that the lock is never held
    while waiting for the database's write lock (a request holding that lock may be waiting for this
    document: each would wait for the other)."""
    if entry.seq - entry.snapshot_seq < SNAPSHOT_EVERY:
        return None
    entry.snapshot_seq = entry.seq  # one writer per snapshot in this process; on failure, see below
    return entry.seq, entry.doc.get_update()


def write_snapshot(name: str, entry: Entry, seq: int, data: bytes) -> bool:
    """Write the snapshot and prune what the oldest kept snapshot covers, in its own small transaction
    (the update itself is committed and acknowledged already): a snapshot that cannot be written now
    (another process wrote it, the database is busy or full) loses nothing, the next updates try again."""
    write_next()
    try:
        db.session.add(CoeditSnapshot(doc=name, seq=seq, data=data))
        kept = list(db.session.scalars(db.select(CoeditSnapshot.seq).where(CoeditSnapshot.doc == name)
                                       .order_by(CoeditSnapshot.seq.desc()).limit(KEEP_SNAPSHOTS)))
        kept.append(seq)  # (when the session does not flush before a query)
        oldest = min(kept[:KEEP_SNAPSHOTS])
        db.session.execute(db.delete(CoeditSnapshot).where(CoeditSnapshot.doc == name,
                                                           CoeditSnapshot.seq < oldest))
        db.session.execute(db.delete(CoeditUpdate).where(CoeditUpdate.doc == name, CoeditUpdate.seq <= oldest))
        db.session.commit()
    except Exception as error:  # noqa: BLE001  (see above: the update itself is stored)
        db.session.rollback()
        with doc_lock(name):
            entry.snapshot_seq = min(entry.snapshot_seq, seq - SNAPSHOT_EVERY // 2)  # try again soon
        log.warning("coedit: %s: snapshot at seq %d not written (%s); a later update tries again",
                    name, seq, error.__class__.__name__)
        return False
    return True
