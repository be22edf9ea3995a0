"""Each pooled SQLite connection keeps its own page cache; lsweb bounds it (lsweb.database.SQLITE_CACHE_KIB)
so that a server with a full pool levels off in memory as its database grows. Measured in a child
process: 20 connections (the pool's size) each read the whole of a 50 MB database through lsweb's engine
set-up; SQLite's default (2 MB a connection) made that 40 MB more resident memory."""

from __future__ import annotations

import subprocess
import sys

from lsweb.database import SQLITE_CACHE_KIB

CHILD = r"""
import os, sqlite3, sys
from sqlalchemy import create_engine
from lsweb.database import configure_sqlite

path = sys.argv[1]
raw = sqlite3.connect(path)
raw.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, b BLOB)")
raw.executemany("INSERT INTO t (b) VALUES (?)", ((os.urandom(1000),) for _ in range(50_000)))
raw.commit()
raw.close()

def rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20

engine = create_engine(f"sqlite:///{path}", pool_size=20, max_overflow=0)
configure_sqlite(engine)
held = [engine.raw_connection() for _ in range(20)]  # each opened as the pool opens it (the pragmas)
before = rss_mb()
sizes = set()
for connection in held:
    sizes.add(connection.execute("PRAGMA cache_size").fetchone()[0])
    connection.execute("SELECT sum(length(b)) FROM t").fetchone()
print(rss_mb() - before, *sizes)
"""


def test_twenty_pooled_connections_reading_a_big_database_stay_within_their_cache_bound(tmp_path):
    out = subprocess.run([sys.executable, "-c", CHILD, str(tmp_path / "big.db")],
                         capture_output=True, text=True, check=True, timeout=120)
    grown, *sizes = out.stdout.split()
    assert sizes == [str(-SQLITE_CACHE_KIB)], "every connection has the bounded cache"
    bound_mb = 20 * SQLITE_CACHE_KIB / 1024
    assert float(grown) < bound_mb + 8, f"20 connections grew the process by {grown} MB (bound {bound_mb} MB)"
