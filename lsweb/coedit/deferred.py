"""Rows that the updates of one batch (service.apply_queued) rewrite again and again, a box's derived text,
its authors' runs and a person's spell of a part, are written once each, when the transaction commits: the last value stands for
all. Until then this transaction's readers of those tables call `write_now` first (what another
transaction reads is committed anyway)."""

from __future__ import annotations

from typing import Callable

from sqlalchemy import event
from sqlalchemy.orm import Session, scoped_session

_KEY = "lsweb.coedit.deferred"


def _real(session) -> Session:
    return session() if isinstance(session, scoped_session) else session


def _held(session) -> tuple[dict, dict]:
    """(writes by row, known values) of the session's current transaction; a new pair for a new one."""
    session = _real(session)
    transaction = session.get_transaction()
    held = session.info.get(_KEY)
    if held is None or held[0] is not transaction:
        held = (transaction, {}, {})
        session.info[_KEY] = held
    return held[1], held[2]


def later(session, row, write: Callable) -> None:
    """Run write(connection) before the commit; a later write of the same row replaces it."""
    _held(session)[0][row] = write


def known(session, name: str) -> dict:
    """A place named `name` for values this transaction wrote or read (gone with it)."""
    return _held(session)[1].setdefault(name, {})


@event.listens_for(Session, "before_commit", insert=True)  # before the plan stamp, the commit's last write
def write_now(session) -> None:
    session = _real(session)
    held = session.info.get(_KEY)
    if held is None or held[0] is not session.get_transaction() or not held[1]:
        return
    writes = list(held[1].values())
    held[1].clear()
    connection = session.connection()
    for write in writes:
        write(connection)
