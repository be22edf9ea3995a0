"""The backup lock works where there is no fcntl and no os.pread (Windows): simulated with a stand-in
for msvcrt whose locks, like Windows', are mandatory byte-range locks."""

from __future__ import annotations

import os
import sys
import types

import pytest

from lsweb.operations.archive import LOCK_OFFSET, OperationError, exclusive


@pytest.fixture
def windows(monkeypatch):
    held: dict[tuple[int, int], int] = {}  # (inode, offset) -> fd holding it

    def locking(fd, mode, nbytes):
        where = (os.fstat(fd).st_ino, os.lseek(fd, 0, os.SEEK_CUR))
        if mode == fake.LK_NBLCK:
            if where in held:
                raise PermissionError(13, "Permission denied")
            held[where] = fd
        elif mode == fake.LK_UNLCK:
            held.pop(where)

    fake = types.SimpleNamespace(LK_NBLCK=2, LK_UNLCK=0, locking=locking)
    monkeypatch.setitem(sys.modules, "fcntl", None)  # `import fcntl` raises ImportError
    monkeypatch.setitem(sys.modules, "msvcrt", fake)
    monkeypatch.delattr(os, "pread", raising=False)
    monkeypatch.delattr(os, "pwrite", raising=False)
    return held


def test_the_lock_works_without_fcntl_and_pread(windows, tmp_path):
    with exclusive(tmp_path, "backup"):
        assert list(windows) == [(os.stat(tmp_path / "backup.lock").st_ino, LOCK_OFFSET)]
        refused = r"Another backup or restore is running \(backup by process " + str(os.getpid())
        with pytest.raises(OperationError, match=refused), exclusive(tmp_path, "restore"):
            pass
    assert windows == {}
    with exclusive(tmp_path, "restore"):  # released: the next one runs
        pass
    assert (tmp_path / "backup.lock").read_text() == ""


def test_the_lock_on_posix_refuses_a_second_holder(tmp_path):
    with exclusive(tmp_path, "backup"), pytest.raises(OperationError, match="backup by process"), \
            exclusive(tmp_path, "restore"):
        pass
    with exclusive(tmp_path, "restore"):
        pass
