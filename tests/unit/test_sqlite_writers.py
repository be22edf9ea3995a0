"""SQLite: the writers of one process wait their turn for the write lock and none of them fails with
"database is locked", even when each holds it a while and SQLite's own busy timeout is short."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import text

from lsweb.extensions import db


def test_concurrent_writers_queue_instead_of_failing(app):
    engine = db.engine
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite's write lock")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE lock_probe (writer INTEGER, n INTEGER)"))
    failures, rounds, writers = [], 10, 6

    def writer(number: int) -> None:
        with engine.connect() as connection:
            connection.connection.dbapi_connection.execute("PRAGMA busy_timeout=20")  # SQLite alone: 20 ms
            for n in range(rounds):
                try:
                    with connection.begin():
                        connection.execute(text("INSERT INTO lock_probe VALUES (:w, :n)"), {"w": number, "n": n})
                        time.sleep(0.01)  # holds the write lock longer than SQLite would wait
                except Exception as error:  # noqa: BLE001
                    failures.append(repr(error))

    threads = [threading.Thread(target=writer, args=(number,)) for number in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM lock_probe")).scalar() == rounds * writers
