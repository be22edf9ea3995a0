"""`lsweb backup` and `lsweb restore`: a backup taken while someone keeps writing restores into a
database equal to one consistent moment; bad archives and bad targets are refused with nothing changed.
Runs on SQLite (online backup API) and PostgreSQL (pg_dump / pg_restore)."""

from __future__ import annotations

import errno
import gzip
import io
import json
import sqlite3
import tarfile
import threading
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import MetaData, create_engine, insert, select

from lsweb.demo import seed_demo
from lsweb.extensions import db
from lsweb.models import AuditEntry, User
from lsweb.operations.archive import exclusive

WRITER = "writer-"


def table_rows(url: str) -> dict[str, list[tuple]]:
    """Every row of every table (alembic_version included), ordered by primary key."""
    engine = create_engine(url)
    try:
        tables = MetaData()
        tables.reflect(bind=engine)
        with engine.connect() as connection:
            return {name: [tuple(row) for row in connection.execute(
                        table.select().order_by(*(table.primary_key.columns or table.columns)))]
                    for name, table in tables.tables.items()}
    finally:
        engine.dispose()


class Writer(threading.Thread):
    """Keeps adding, one transaction each, a staff account and the audit entry recording it: a
    consistent copy has exactly as many of one as of the other."""

    def __init__(self, url: str):
        super().__init__(daemon=True)
        self.engine = create_engine(url, connect_args={"timeout": 30} if url.startswith("sqlite") else {})
        self.stop = threading.Event()
        self.count = 0
        self.error = None

    def run(self):
        tables = MetaData()
        tables.reflect(bind=self.engine, only=["user_account", "audit_entry"])
        users, audit = tables.tables["user_account"], tables.tables["audit_entry"]
        try:
            while not self.stop.is_set():
                now = datetime.now(timezone.utc)
                email = f"{WRITER}{self.count}@example.org"
                with self.engine.begin() as connection:
                    connection.execute(insert(users).values(
                        email=email, display_name=f"Writer {self.count}", role="teacher", active=True,
                        must_change_password=False, session_generation=1, created_at=now))
                    connection.execute(insert(audit).values(at=now, action="staff.added", target=email, details=""))
                self.count += 1
        except Exception as error:  # noqa: BLE001
            self.error = error
        finally:
            self.engine.dispose()


@pytest.fixture
def source(make_app, database_url, tmp_path):
    """The demo network plus an uploaded file, in this test's database and instance folder."""
    app = make_app()
    with app.app_context():
        seed_demo()
        db.session.remove()
    photo = Path(app.instance_path) / "uploads" / "lesson-1" / "board.jpg"
    photo.parent.mkdir(parents=True)
    photo.write_bytes(b"\xff\xd8 a photo of the board \xff\xd9")
    return app


def run(app, *args, input=None):
    with app.app_context():
        db.session.remove()
    return app.test_cli_runner().invoke(args=list(args), input=input)


def test_backup_during_writes_restores_one_consistent_moment(source, database_url, make_app,
                                                            empty_database_url, tmp_path):
    writer = Writer(database_url)
    writer.start()
    while writer.count < 20 and writer.error is None:
        threading.Event().wait(0.01)
    archive = tmp_path / "out" / "nightly.tar.gz"
    result = run(source, "backup", "--output", str(archive))
    written_during = writer.count
    threading.Event().wait(0.2)
    writer.stop.set()
    writer.join(30)
    assert writer.error is None, writer.error
    assert result.exit_code == 0, result.output
    assert f"Backup written: {archive}" in result.output
    assert "Copying the database" in result.output  # progress, on stderr
    assert writer.count > written_during, "the writer must still be writing after the backup"

    restored = make_app(DATABASE_URL=empty_database_url, INSTANCE_PATH=str(tmp_path / "restored"))
    result = run(restored, "restore", str(archive))
    assert result.exit_code == 0, result.output
    assert "Restored the backup of" in result.output

    before, after = table_rows(database_url), table_rows(empty_database_url)
    assert set(after) == set(before)
    for name, rows in after.items():
        # Rows are only ever added: the copy holds the rows of one moment, a prefix of today's.
        assert rows == before[name][:len(rows)], f"{name} differs from the live database"
    copied = [row for row in after["user_account"] if row[1].startswith(WRITER)]
    recorded = [row for row in after["audit_entry"] if row[5].startswith(WRITER)]
    assert 20 <= len(copied) == len(recorded), "an account without its audit entry: not one moment"
    assert len(after["user_account"]) >= 13 + 20
    if empty_database_url.startswith("sqlite"):
        connection = sqlite3.connect(empty_database_url.removeprefix("sqlite:///"))
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        connection.close()
    photo = Path(restored.instance_path) / "uploads" / "lesson-1" / "board.jpg"
    assert photo.read_bytes() == b"\xff\xd8 a photo of the board \xff\xd9"
    with restored.app_context():
        assert db.session.scalar(select(User.display_name).where(User.email == "admin@demo.local"))


def test_the_archive_carries_a_manifest_with_hashes(source, tmp_path):
    archive = tmp_path / "b.tar.gz"
    assert run(source, "backup", "-o", str(archive)).exit_code == 0
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        manifest = json.loads(tar.extractfile("manifest.json").read())
    assert names[0] == "manifest.json"
    assert manifest["format"] == "lsweb-backup" and manifest["format_version"] == 1
    assert manifest["database_kind"] in ("sqlite", "postgresql")
    assert manifest["alembic_revision"] and manifest["lsweb_version"]
    assert set(manifest["members"]) == set(names[1:])
    assert "uploads/lesson-1/board.jpg" in manifest["members"]
    assert all(len(member["sha256"]) == 64 for member in manifest["members"].values())


def _restore_refused(app, archive, message):
    before = table_rows(app.config["SQLALCHEMY_DATABASE_URI"])
    result = run(app, "restore", "--yes", str(archive))
    assert result.exit_code == 1, result.output
    assert message in result.output
    assert "Nothing was changed." in result.output
    assert table_rows(app.config["SQLALCHEMY_DATABASE_URI"]) == before


def test_a_truncated_archive_is_refused_and_nothing_changes(source, tmp_path):
    archive = tmp_path / "b.tar.gz"
    assert run(source, "backup", "-o", str(archive)).exit_code == 0
    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(archive.read_bytes()[: archive.stat().st_size * 2 // 3])
    _restore_refused(source, truncated, "is damaged or truncated")
    assert (Path(source.instance_path) / "uploads" / "lesson-1" / "board.jpg").exists()


def test_a_foreign_file_is_refused_and_nothing_changes(source, tmp_path):
    text_file = tmp_path / "notes.txt"
    text_file.write_text("not a backup at all")
    _restore_refused(source, text_file, "is damaged or truncated")
    other = tmp_path / "other.tar.gz"
    with tarfile.open(other, "w:gz") as tar:
        data = b'{"hello": "world"}'
        info = tarfile.TarInfo("manifest.json")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    _restore_refused(source, other, "is not an lsweb backup")


def test_a_tampered_archive_is_refused(source, tmp_path):
    archive = tmp_path / "b.tar.gz"
    assert run(source, "backup", "-o", str(archive)).exit_code == 0
    tampered = tmp_path / "tampered.tar.gz"
    with tarfile.open(archive) as old, tarfile.open(tampered, "w:gz") as new:
        for member in old.getmembers():
            data = old.extractfile(member).read()
            if member.name.endswith("board.jpg"):
                data = data.replace(b"board", b"BOARD")
            new.addfile(member, io.BytesIO(data))
    _restore_refused(source, tampered, "does not match its SHA-256")


def test_restore_over_data_asks_first(source, tmp_path):
    archive = tmp_path / "b.tar.gz"
    assert run(source, "backup", "-o", str(archive)).exit_code == 0
    with source.app_context():
        db.session.add(AuditEntry(action="after.backup", target="x"))
        db.session.commit()
    refused = run(source, "restore", str(archive), input="n\n")
    assert refused.exit_code == 1
    assert "The database already holds data. Replace ALL of it" in refused.output
    assert "Restore cancelled. Nothing was changed." in refused.output
    with source.app_context():
        assert db.session.scalar(select(AuditEntry.id).where(AuditEntry.action == "after.backup"))
    accepted = run(source, "restore", str(archive), input="y\n")
    assert accepted.exit_code == 0, accepted.output
    with source.app_context():
        assert db.session.scalar(select(AuditEntry.id).where(AuditEntry.action == "after.backup")) is None
        db.session.remove()


def test_a_backup_of_one_database_kind_is_refused_by_the_other(source, tmp_path):
    archive = tmp_path / "b.tar.gz"
    assert run(source, "backup", "-o", str(archive)).exit_code == 0
    foreign = tmp_path / "foreign.tar.gz"
    with tarfile.open(archive) as old, tarfile.open(foreign, "w:gz") as new:
        for member in old.getmembers():
            data = old.extractfile(member).read()
            if member.name == "manifest.json":
                manifest = json.loads(data)
                manifest["database_kind"] = "mysql"
                data = json.dumps(manifest).encode()
                member.size = len(data)
            new.addfile(member, io.BytesIO(data))
    _restore_refused(source, foreign, "is a backup of a mysql database")


def test_a_backup_from_a_newer_lsweb_is_refused(source, tmp_path):
    archive = tmp_path / "b.tar.gz"
    assert run(source, "backup", "-o", str(archive)).exit_code == 0
    newer = tmp_path / "newer.tar.gz"
    with tarfile.open(archive) as old, tarfile.open(newer, "w:gz") as new:
        for member in old.getmembers():
            data = old.extractfile(member).read()
            if member.name == "manifest.json":
                data = json.dumps({**json.loads(data), "alembic_revision": "9999"}).encode()
                member.size = len(data)
            new.addfile(member, io.BytesIO(data))
    _restore_refused(source, newer, "was made by a newer lsweb")


def test_a_target_without_space_gives_a_clear_error_and_leaves_the_database_alone(source, tmp_path, monkeypatch):
    before = table_rows(source.config["SQLALCHEMY_DATABASE_URI"])
    real_write = gzip.GzipFile.write
    written = {"bytes": 0}

    def write_until_full(self, data):
        written["bytes"] += len(data)
        if written["bytes"] > 4096:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(self, data)

    monkeypatch.setattr(gzip.GzipFile, "write", write_until_full)
    out = tmp_path / "full-disk"
    result = run(source, "backup", "--output", str(out / "b.tar.gz"))
    assert result.exit_code == 1
    assert f"There is not enough free space in {out}." in result.output
    assert "No backup was written; the database was not changed." in result.output
    assert list(out.iterdir()) == []  # no partial archive, no work folder left behind
    assert table_rows(source.config["SQLALCHEMY_DATABASE_URI"]) == before


def test_an_unwritable_target_gives_a_clear_error(source, tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("a file where a folder should be")
    result = run(source, "backup", "--output", str(blocker / "b.tar.gz"))
    assert result.exit_code == 1
    assert f"Error: {blocker} is not a folder (a file is in the way). No backup was written; the database " \
           "was not changed." in result.output

    def refuse(*args, **kwargs):  # the tests run as root, for whom no folder is read-only
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("tempfile.mkdtemp", refuse)
    locked = tmp_path / "locked"
    result = run(source, "backup", "--output", str(locked / "b.tar.gz"))
    assert result.exit_code == 1
    assert f"lsweb may not write to {locked} (permission denied or read-only)." in result.output


def test_two_backups_at_once_are_refused(source, tmp_path):
    with exclusive(source.instance_path, "backup"):
        result = run(source, "backup", "--output", str(tmp_path / "second.tar.gz"))
    assert result.exit_code == 1
    assert "Another backup or restore is running (backup by process" in result.output
    assert not (tmp_path / "second.tar.gz").exists()
    # Once the first is done, the next one runs.
    assert run(source, "backup", "--output", str(tmp_path / "second.tar.gz")).exit_code == 0


def test_backup_never_overwrites_an_archive(source, tmp_path):
    archive = tmp_path / "b.tar.gz"
    archive.write_bytes(b"yesterday's backup")
    result = run(source, "backup", "--output", str(archive))
    assert result.exit_code == 1
    assert "already exists" in result.output
    assert archive.read_bytes() == b"yesterday's backup"
