"""The backup archive: a .tar.gz whose first member is manifest.json (format, versions, database kind,
Alembic revision, and the size and SHA-256 of every other member), plus a lock so that two backups or
restores never run at once."""

from __future__ import annotations

import errno
import hashlib
import io
import json
import os
import shutil
import tarfile
import zlib
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from . import OperationError

FORMAT = "lsweb-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
CHUNK = 1024 * 1024


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def explain_os_error(error: OSError, where: Path) -> str:
    """A sentence a technician can act on."""
    if error.errno == errno.ENOSPC:
        return f"There is not enough free space in {where}."
    if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"lsweb may not write to {where} (permission denied or read-only)."
    if error.errno in (errno.EEXIST, errno.ENOTDIR):
        return f"{where} is not a folder (a file is in the way)."
    if error.errno == errno.ENOENT:
        return f"The folder {where} does not exist."
    return f"Could not write to {where}: {error.strerror or error}."


# The lock is taken on one byte far past the holder's note: Windows locks (msvcrt) are mandatory, so a
# locked byte could not be read by the process that is refused; the note at offset 0 stays readable.
LOCK_OFFSET = 1 << 20


@contextmanager
def exclusive(instance_path: str | Path, what: str):
    """Hold <instance>/backup.lock for the duration; a second backup or restore is refused at once.
    The operating system releases the lock if the process dies, so a crash leaves no stale lock.
    Portable: fcntl.flock on POSIX, msvcrt.locking on Windows; plain seek/read/write (no pread)."""
    path = Path(instance_path) / "backup.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_BINARY", 0), 0o600)
    try:
        try:
            _lock(fd)
        except OSError:
            holder = _read_note(fd) or "another process"
            raise OperationError(f"Another backup or restore is running ({holder}; lock file {path}). "
                                 f"Wait for it to finish, then run the {what} again.") from None
        _write_note(fd, f"{what} by process {os.getpid()}")
        try:
            yield
        finally:
            _write_note(fd, "")
            _unlock(fd)
    finally:
        os.close(fd)


def _read_note(fd: int) -> str:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        return os.read(fd, 200).decode(errors="replace").strip()
    except OSError:
        return ""


def _write_note(fd: int, note: str) -> None:
    """Who holds the lock, for whoever is refused: only a courtesy, so a full disk does not stop the lock."""
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        os.ftruncate(fd, 0)
        if note:
            os.write(fd, note.encode())
    except OSError:
        pass


def _lock(fd: int) -> None:
    try:
        import fcntl
    except ImportError:  # Windows: lock one byte (beyond the end of the file is allowed)
        import msvcrt

        os.lseek(fd, LOCK_OFFSET, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        return
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)


def _unlock(fd: int) -> None:
    try:
        import fcntl
    except ImportError:
        import msvcrt

        os.lseek(fd, LOCK_OFFSET, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        return
    fcntl.flock(fd, fcntl.LOCK_UN)


def write_archive(output: Path, manifest: dict, members: list[tuple[str, Path]], progress) -> None:
    """Write the archive to `output` + ".part", fsync it, then rename it into place: a failure leaves
    no half-written archive under the final name."""
    manifest = {**manifest, "members": {name: {"size": path.stat().st_size, "sha256": sha256_of(path)}
                                        for name, path in members}}
    partial = output.with_name(output.name + ".part")
    try:
        with open(partial, "wb") as raw:
            with tarfile.open(fileobj=raw, mode="w:gz") as archive:
                data = json.dumps(manifest, indent=2, sort_keys=True).encode()
                info = tarfile.TarInfo(MANIFEST)
                info.size, info.mode = len(data), 0o600
                archive.addfile(info, io.BytesIO(data))
                for number, (name, path) in enumerate(members, 1):
                    progress(f"Packing {number}/{len(members)}: {name}")
                    info = archive.gettarinfo(str(path), arcname=name)
                    info.uid = info.gid = 0
                    info.uname = info.gname = ""
                    with open(path, "rb") as handle:
                        archive.addfile(info, handle)
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(partial, output)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def _safe_name(name: str) -> bool:
    path = PurePosixPath(name)
    return bool(name) and not path.is_absolute() and ".." not in path.parts and "\\" not in name


def read_archive(archive_path: Path, into: Path, progress) -> dict:
    """Check an archive completely and unpack it into `into`; returns its manifest. Anything else than a
    complete lsweb backup (truncated, damaged, foreign, tampered) raises OperationError. Nothing beyond the
    manifest's sizes is ever written: their total must fit on the disk first, and a member whose size in
    the archive differs from the manifest's is refused before any of it is written (a small archive can
    inflate a thousandfold)."""
    name = archive_path.name
    not_lsweb = f"{name} is not an lsweb backup (no lsweb manifest in it). Nothing was changed."
    try:
        with tarfile.open(archive_path, mode="r:gz") as archive:
            first = archive.next()
            if first is None or first.name != MANIFEST or not first.isfile() or first.size > 10 * CHUNK:
                raise OperationError(not_lsweb)
            try:
                manifest = json.loads(archive.extractfile(first).read())
            except ValueError:
                raise OperationError(not_lsweb) from None
            if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
                raise OperationError(not_lsweb)
            if not isinstance(manifest.get("format_version"), int) or manifest["format_version"] > FORMAT_VERSION:
                raise OperationError(f"{name} was written by a newer lsweb (backup format "
                                     f"{manifest.get('format_version')}). Upgrade lsweb first. Nothing was changed.")
            expected = _expected_members(manifest, name)
            _check_room(expected, into, name)
            seen = set()
            while (member := archive.next()) is not None:
                if (member.name not in expected or member.name in seen or not member.isfile()
                        or member.issparse() or not _safe_name(member.name)):
                    raise OperationError(f"{name} holds an unexpected entry {member.name!r}: it is not an "
                                         "unchanged lsweb backup. Nothing was changed.")
                size = expected[member.name]["size"]
                if member.size != size:  # refused before a byte of it is written
                    raise OperationError(f"{name}: {member.name} is {member.size:,} bytes in the archive but "
                                         f"{size:,} in the manifest: it is not an unchanged lsweb backup. "
                                         "Nothing was changed.")
                progress(f"Checking {member.name}")
                target = into / member.name
                target.parent.mkdir(parents=True, exist_ok=True)
                digest = hashlib.sha256()
                written = 0
                with archive.extractfile(member) as source, open(target, "wb") as out:
                    while chunk := source.read(min(CHUNK, size - written + 1)):
                        written += len(chunk)
                        if written > size:
                            raise OperationError(f"{name}: {member.name} is larger than its manifest says. "
                                                 "Nothing was changed.")
                        digest.update(chunk)
                        out.write(chunk)
                if digest.hexdigest() != expected[member.name]["sha256"]:
                    raise OperationError(f"{name}: {member.name} does not match its SHA-256 in the manifest "
                                         "(the file was damaged or changed). Nothing was changed.")
                seen.add(member.name)
            missing = sorted(set(expected) - seen)
            if missing:
                raise OperationError(f"{name} is incomplete: {', '.join(missing)} missing. Nothing was changed.")
    except OperationError:
        raise
    except (tarfile.TarError, EOFError, zlib.error, OSError) as error:
        raise OperationError(f"{name} is damaged or truncated ({type(error).__name__}: {error}); it cannot be "
                             "restored. Nothing was changed.") from None
    return manifest


def _expected_members(manifest: dict, name: str) -> dict[str, dict]:
    """The manifest's members, each with a whole size and a SHA-256; anything else is refused."""
    members = manifest.get("members")
    refused = OperationError(f"{name} has a damaged manifest (members without a size or SHA-256). Nothing was "
                             "changed.")
    if not isinstance(members, dict):
        raise refused
    for entry in members.values():
        if (not isinstance(entry, dict) or type(entry.get("size")) is not int or entry["size"] < 0
                or not isinstance(entry.get("sha256"), str)):
            raise refused
    return members


ROOM_TO_SPARE = 64 * CHUNK  # left free on the instance's disk after unpacking


def _check_room(expected: dict[str, dict], into: Path, name: str) -> None:
    """Unpacking writes exactly the manifest's sizes (no member may differ): they must fit before any is."""
    needed = sum(entry["size"] for entry in expected.values())
    free = shutil.disk_usage(into).free
    if needed + ROOM_TO_SPARE > free:
        raise OperationError(f"{name} says it unpacks to {needed:,} bytes; {into.parent} has {free:,} bytes free. "
                             "Free some space (or check the archive: it may not be an lsweb backup). Nothing was "
                             "changed.")


def replace_folder(new: Path | None, current: Path) -> None:
    """Put `new` (or nothing) where `current` is: the old folder is moved aside first, then removed."""
    aside = current.with_name(current.name + ".before-restore")
    shutil.rmtree(aside, ignore_errors=True)
    if current.exists():
        current.rename(aside)
    if new is not None:
        new.rename(current)
    shutil.rmtree(aside, ignore_errors=True)
