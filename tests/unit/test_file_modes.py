"""Files only the service can read, whatever the umask lsweb starts with: the instance folder 0700;
the database, secret key, uploads, backups and exports 0600; a warning at start when any is wider."""

from __future__ import annotations

import io
import logging
import os
import stat
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import create_engine

from lsweb import create_app
from lsweb.database import upgrade_database
from lsweb.lessonday import uploads
from lsweb.operations.backup import create_backup

from ..lessonday_setup import lesson_day


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask():
    """Start as if the technician's shell had umask 000."""
    previous = os.umask(0)
    yield
    os.umask(previous)


def test_init_makes_a_private_instance_folder_database_and_secret_key(open_umask, tmp_path, monkeypatch):
    monkeypatch.delenv("LSWEB_SECRET_KEY", raising=False)
    instance = tmp_path / "instance"
    app = create_app({"INSTANCE_PATH": str(instance), "DATABASE_URL": None, "PASSWORD_HASH": "pbkdf2:sha256:1000"})
    upgrade_database(app)
    assert mode(instance) == 0o700
    assert mode(instance / "secret_key") == 0o600
    assert mode(instance / "lsweb.db") == 0o600
    with app.app_context():
        from lsweb.extensions import db

        db.engine.dispose()


def test_a_backup_and_its_folder_are_private(open_umask, app, tmp_path):
    manifest = create_backup(app)
    archive = Path(manifest["path"])
    assert mode(archive) == 0o600
    assert mode(archive.parent) == 0o700


def test_a_subject_access_export_is_private(open_umask, app, factories, tmp_path):
    person = factories.user(factories.school())
    output = tmp_path / "export.zip"
    result = app.test_cli_runner().invoke(args=["export-user", person.email, "--output", str(output)])
    assert result.exit_code == 0, result.output
    assert mode(output) == 0o600


def test_an_uploaded_photo_is_private(open_umask, app, factories):
    from lsweb.extensions import db

    day = lesson_day(factories)
    day.pupils[0].photo_consent = True
    db.session.commit()
    image = io.BytesIO()
    Image.new("RGB", (20, 20), (10, 200, 10)).save(image, format="PNG")
    image.seek(0)
    photo = uploads.store_photo(day.observer, day.lesson, day.pupils[0], image, app.instance_path, 1024 * 1024)
    path = uploads.photo_path(photo, app.instance_path)
    assert mode(path) == 0o600
    assert mode(path.parent) == 0o700 and mode(path.parent.parent) == 0o700


def test_lsweb_warns_at_start_about_a_database_others_can_read(tmp_path, caplog):
    instance = tmp_path / "instance"
    instance.mkdir(mode=0o755)
    os.chmod(instance, 0o755)
    database = instance / "lsweb.db"
    create_engine(f"sqlite:///{database}").connect().close()
    os.chmod(database, 0o644)
    with caplog.at_level(logging.WARNING, logger="lsweb.filemodes"):
        create_app({"INSTANCE_PATH": str(instance), "SECRET_KEY": "x"})
    messages = [record.getMessage() for record in caplog.records if record.name == "lsweb.filemodes"]
    assert any(f"{database} is mode 0644" in message and "chmod 600" in message for message in messages)
    assert any(f"{instance} is mode 0755" in message for message in messages)
