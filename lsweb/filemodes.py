"""Files only the service can read: the instance folder 0700; the database, secret key, uploads,
backups and exports 0600, whatever the umask lsweb was started with; a warning at start for any of
them found wider (an older installation, a copy made by hand)."""

from __future__ import annotations

import logging
import os
import stat
import tempfile
from pathlib import Path

log = logging.getLogger("lsweb.filemodes")

FOLDER_MODE = 0o700
FILE_MODE = 0o600
# What the instance folder holds that must stay private (its sub-folders are checked file by file).
PRIVATE_FILES = ("lsweb.db", "lsweb.db-wal", "lsweb.db-shm", "secret_key")
PRIVATE_FOLDERS = ("uploads", "backups", "exports")
MAX_WARNINGS = 10


def restrict_umask() -> None:
    """Narrow the process umask so that group and others get nothing on any file lsweb creates
    (SQLite's database and journal files included); a narrower umask is kept as it is."""
    current = os.umask(0o077)
    os.umask(current | 0o077)


def private_folder(path: Path) -> Path:
    """Create a folder (and its parents) that only the service can enter."""
    path.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
    return path


def make_private(path: Path) -> Path:
    """Set a file lsweb just wrote to 0600 (a folder to 0700), whatever the umask was."""
    os.chmod(path, FOLDER_MODE if path.is_dir() else FILE_MODE)
    return path


def write_private(path: Path, data: bytes) -> Path:
    """Write `data` to `path`, 0600 from its first byte, all or nothing: into a temporary file in the same
    folder, flushed to the disk, then renamed over `path`. A failed write (a full disk) removes the
    temporary file: no empty or partial file is left, and an existing `path` stays as it was."""
    path = Path(path)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)  # 0600
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def too_open(instance_path: str | Path) -> list[tuple[Path, int]]:
    """The instance folder's private things readable by group or others: (path, mode)."""
    root = Path(instance_path)
    found: list[tuple[Path, int]] = []

    def look(path: Path) -> None:
        try:
            mode = stat.S_IMODE(path.lstat().st_mode)
        except OSError:
            return
        if mode & 0o077:
            found.append((path, mode))

    if not root.is_dir():
        return found
    look(root)
    for name in PRIVATE_FILES:
        look(root / name)
    for name in PRIVATE_FOLDERS:
        folder = root / name
        if folder.is_dir():
            look(folder)
            for path in folder.rglob("*"):
                look(path)
                if len(found) > MAX_WARNINGS:
                    return found
    return found


def warn_if_open(instance_path: str | Path) -> list[tuple[Path, int]]:
    """Log one warning per private file or folder that group or others may read."""
    if os.name == "nt":  # Windows has ACLs, not modes: the folder's ACL is the technician's to set
        return []
    found = too_open(instance_path)
    for path, mode in found[:MAX_WARNINGS]:
        wanted = FOLDER_MODE if path.is_dir() else FILE_MODE
        log.warning("%s is mode %04o: other users of this server may read it; lsweb keeps it %04o "
                    "(fix: chmod %o %s)", path, mode, wanted, wanted, path)
    if len(found) > MAX_WARNINGS:
        log.warning("... and more files in %s are readable by other users (chmod -R go-rwx %s)",
                    instance_path, instance_path)
    return found
