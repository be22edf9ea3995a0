"""A PostgreSQL server of the test's own (initdb in a temporary folder, on a free port), so a test can
stop it and start it again while the shared server the rest of the suite uses carries on.

Needs Debian's PostgreSQL server binaries (/usr/lib/postgresql/<version>/bin). As root, the server runs
as the `postgres` user (PostgreSQL refuses to run as root). Skipped with the reason when the binaries are
missing, unless the suite runs on PostgreSQL (LSWEB_TEST_DATABASE_URL set): then it fails.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest


def _bin_folder() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PgCluster:
    def __init__(self):
        binaries = _bin_folder()
        if binaries is None:
            message = "PostgreSQL's server binaries (/usr/lib/postgresql/*/bin) are not installed"
            if os.environ.get("LSWEB_TEST_DATABASE_URL"):
                pytest.fail(message)
            pytest.skip(message)
        self.binaries = binaries
        # a folder of its own under /tmp: pytest's are private to root, and the server runs as postgres
        self.folder = Path(tempfile.mkdtemp(prefix="lsweb-pg-"))
        self.data = self.folder / "data"
        self.port = _free_port()
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_user:
            shutil.chown(self.folder, "postgres")
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8")

    def _run(self, tool: str, *args: str) -> None:
        done = subprocess.run([*self.as_user, str(self.binaries / tool), *args], stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True, timeout=120)
        if done.returncode:
            raise RuntimeError(f"{tool} {' '.join(args)} failed: {done.stderr.strip()}")

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.folder / "log"), "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        """`fast`: the server ends every session and shuts down (a restart for an update);
        `immediate`: it stops at once, as on a crash."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def remove(self) -> None:
        if self.is_up():
            self.stop("immediate")
        shutil.rmtree(self.folder, ignore_errors=True)

    def is_up(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return True
        except OSError:
            return False

    def wait_down(self, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while self.is_up() and time.monotonic() < deadline:
            time.sleep(0.05)
