"""Live events are queued on the database session by services and sent after the commit: a service
that fails after queueing sends nothing, a committed one sends exactly once, after the commit. A
recording broker stands in for the memory/Redis broker and notes, for each message, whether the
transaction was still open when it was sent."""

from __future__ import annotations

import pytest

from lsweb import channels, live
from lsweb.discussion import services
from lsweb.errors import DomainError
from lsweb.extensions import db
from lsweb.models import School


def _transaction_open() -> bool:
    """Whether the session's database connection is inside a transaction right now (on SQLite: holds
    the write lock a write transaction took)."""
    session = db.session()
    transaction = session.get_transaction()
    if transaction is None or not transaction.is_active:
        return False
    connection = session.connection().connection.dbapi_connection
    status = getattr(connection, "in_transaction", None)  # sqlite3
    if status is None:  # psycopg
        from psycopg.pq import TransactionStatus

        return connection.info.transaction_status is not TransactionStatus.IDLE
    return bool(status)


class RecordingBroker:
    def __init__(self):
        self.sent = []

    def publish(self, channel, event, data):
        self.sent.append((channel, event, data, _transaction_open()))

    def subscribe(self, channel):  # pragma: no cover  (not used here)
        raise AssertionError

    def close(self):
        pass


@pytest.fixture
def broker(app):
    recording = RecordingBroker()
    previous = app.extensions[live.EXTENSION_KEY]
    app.extensions[live.EXTENSION_KEY] = recording
    yield recording
    app.extensions[live.EXTENSION_KEY] = previous


def test_a_committed_transaction_sends_its_events_once_after_the_commit(app, broker):
    db.session.add(School(name="Queued School"))
    live.queue(db.session, "group-7", "group-changed", {"group": 7})
    live.queue(db.session, "group-7", "group-changed", {"group": 7})  # the same event twice: sent once
    assert broker.sent == []  # nothing before the commit
    db.session.commit()
    assert broker.sent == [("group-7", "group-changed", '{"group":7}', False)]
    db.session.add(School(name="Another"))
    db.session.commit()
    assert len(broker.sent) == 1  # the next transaction sends nothing more


def test_a_rolled_back_transaction_sends_nothing(app, broker):
    db.session.add(School(name="Rolled back"))
    live.queue(db.session, "group-7", "group-changed", {"group": 7})
    db.session.rollback()
    db.session.add(School(name="Next"))
    db.session.commit()
    assert broker.sent == []


def test_a_savepoint_does_not_send_before_the_outer_commit(app, broker):
    with db.session.begin_nested():
        live.queue(db.session, "group-7", "group-changed", {"group": 7})
        db.session.add(School(name="In a savepoint"))
    assert broker.sent == []
    db.session.commit()
    assert [m[:2] for m in broker.sent] == [("group-7", "group-changed")]


def test_bad_names_are_refused_when_queued(app, broker):
    for channel, event in [("group", "x"), ("group-1\n", "x"), ("group-1", "Bad Event")]:
        with pytest.raises(ValueError):
            live.queue(db.session, channel, event)


def test_a_board_post_is_announced_once_after_its_commit(broker, board):
    broker.sent.clear()  # what making the group, cycle and lesson announced
    post, created = services.add_post(board.member, board.lesson, "patterns", "First post", "token-0001")
    assert created
    assert broker.sent == [(channels.BOARD.name(board.lesson.id), "board-changed",
                            f'{{"lesson":{board.lesson.id}}}', False)]  # False: no transaction open
    services.add_post(board.member, board.lesson, "patterns", "First post", "token-0001")  # sent twice
    assert len(broker.sent) == 1  # the repeated form creates nothing and announces nothing


def test_a_service_that_raises_after_queueing_sends_nothing(broker, board):
    def service():
        services.board_of(board.lesson).seq += 1
        channels.queue_board_change(board.lesson.id)
        raise DomainError("refused after queueing")

    broker.sent.clear()
    with pytest.raises(DomainError):
        service()
    db.session.rollback()  # what the app's error handler does
    services.add_post(board.member, board.lesson, "patterns", "Now a real post", "token-0002")
    assert [m[1] for m in broker.sent] == ["board-changed"]  # this post's, once
