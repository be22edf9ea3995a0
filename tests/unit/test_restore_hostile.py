"""`lsweb restore` of a hostile archive writes no more than the manifest's sizes: a small archive whose
member inflates far beyond the size its manifest gives (200 MB of zeros in a few hundred KB) is refused
before any of it is written; a manifest that claims more than the disk holds, lists a member twice or
gives no sizes is refused before unpacking; nothing is left behind and the database is unchanged. The
bytes written are this process's own count (Linux /proc/self/io `wchar`)."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest

from .test_backup import run, source, table_rows  # noqa: F401 (source: the fixture)

INFLATED = 200 * 1024 * 1024


def written_bytes() -> int:
    for line in Path("/proc/self/io").read_text().splitlines():
        if line.startswith("wchar:"):
            return int(line.split()[1])
    raise AssertionError("no wchar in /proc/self/io")


class Zeros(io.RawIOBase):
    """`size` zero bytes, read a block at a time (never held in memory)."""

    def __init__(self, size: int):
        self.left = size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        count = min(len(buffer), self.left)
        buffer[:count] = bytes(count)
        self.left -= count
        return count


def _rebuild(archive: Path, out: Path, change) -> Path:
    """A copy of `archive` whose (manifest, members) went through `change`; members are (TarInfo, file)."""
    with tarfile.open(archive) as old:
        members = [(m, io.BytesIO(old.extractfile(m).read())) for m in old.getmembers()]
    manifest = json.loads(members[0][1].getvalue())
    manifest, rest = change(manifest, members[1:])
    data = json.dumps(manifest).encode()
    head = tarfile.TarInfo("manifest.json")
    head.size = len(data)
    with tarfile.open(out, "w:gz") as new:
        new.addfile(head, io.BytesIO(data))
        for info, handle in rest:
            new.addfile(info, handle)
    return out


@pytest.fixture
def backup(source, tmp_path):  # noqa: F811
    archive = tmp_path / "b.tar.gz"
    assert run(source, "backup", "-o", str(archive)).exit_code == 0
    return archive


def _refused(app, archive: Path, message: str, at_most: int) -> None:
    if not Path("/proc/self/io").exists():
        pytest.skip("counts the bytes written through Linux's /proc/self/io")
    before = table_rows(app.config["SQLALCHEMY_DATABASE_URI"])
    start = written_bytes()
    result = run(app, "restore", "--yes", str(archive))
    written = written_bytes() - start
    assert result.exit_code == 1, result.output
    assert written <= at_most, f"{written:,} bytes written"
    assert message in result.output and "Nothing was changed." in result.output
    assert table_rows(app.config["SQLALCHEMY_DATABASE_URI"]) == before
    instance = Path(app.instance_path)
    assert not list(instance.glob(".lsweb-restore-*")) and not list(instance.glob("*.before-restore"))
    assert (instance / "uploads" / "lesson-1" / "board.jpg").exists()


def _database_member(members):
    return next(i for i, (info, _) in enumerate(members) if info.name.startswith("database/"))


def test_a_member_inflating_far_beyond_its_manifest_size_is_refused_before_it_is_written(source, backup,  # noqa: F811
                                                                                          tmp_path):
    def inflate(manifest, members):
        index = _database_member(members)
        info = members[index][0]
        info.size = INFLATED
        members[index] = (info, Zeros(INFLATED))
        return manifest, members

    hostile = _rebuild(backup, tmp_path / "hostile.tar.gz", inflate)
    assert hostile.stat().st_size < 2 * 1024 * 1024
    manifest_total = sum(m["size"] for m in json.loads(
        tarfile.open(hostile).extractfile("manifest.json").read())["members"].values())
    _refused(source, hostile, "bytes in the archive but", at_most=manifest_total)


def test_a_manifest_claiming_more_than_the_disk_holds_is_refused_before_unpacking(source, backup, tmp_path):  # noqa: F811
    def lie(manifest, members):
        database = members[_database_member(members)][0].name
        manifest["members"][database]["size"] = 10 ** 15  # a petabyte: no disk has room for it
        return manifest, members

    _refused(source, _rebuild(backup, tmp_path / "lying.tar.gz", lie), "says it unpacks to 1,000,000,000,000",
             at_most=64 * 1024)


def test_a_member_listed_twice_is_refused(source, backup, tmp_path):  # noqa: F811
    def twice(manifest, members):
        info, handle = members[_database_member(members)]
        return manifest, [*members, (info, io.BytesIO(handle.getvalue()))]

    database_size = next(m["size"] for name, m in json.loads(
        tarfile.open(backup).extractfile("manifest.json").read())["members"].items() if name.startswith("database/"))
    _refused(source, _rebuild(backup, tmp_path / "twice.tar.gz", twice), "holds an unexpected entry 'database/",
             at_most=database_size + 64 * 1024)


def test_a_manifest_without_sizes_is_refused(source, backup, tmp_path):  # noqa: F811
    def no_sizes(manifest, members):
        for entry in manifest["members"].values():
            del entry["size"]
        return manifest, members

    _refused(source, _rebuild(backup, tmp_path / "sizeless.tar.gz", no_sizes), "has a damaged manifest",
             at_most=64 * 1024)
