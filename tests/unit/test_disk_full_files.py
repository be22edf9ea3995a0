"""Files on a full disk: a photo whose write fails leaves no empty or partial file (and no record), and
is kept when uploaded again once there is room; `lsweb backup` onto a full disk ends with one line and
exit status 1, no traceback, and leaves no partial archive. A real full disk where a small tmpfs can be
mounted (root), a write that fails half way otherwise."""

from __future__ import annotations

import errno
import io
import os
import random
import subprocess

from PIL import Image

from lsweb.extensions import db
from lsweb.filemodes import write_private
from lsweb.lessonday import uploads
from lsweb.models import Photo

from ..disk_full import fill, small_disk
from .test_backup import run, source  # noqa: F401  (the fixture)
from .test_lessonday_uploads import day, jpeg_with_gps  # noqa: F401  (the fixture)

HX = {"HX-Request": "true"}


def noisy_png(side: int = 160) -> bytes:
    """A photo that does not compress: larger on disk than the room left."""
    rng = random.Random(5)
    image = Image.frombytes("RGB", (side, side), bytes(rng.getrandbits(8) for _ in range(side * side * 3)))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _upload(client, day, data: bytes, name="work.png"):
    return client.post(f"/lessons/{day.lesson.id}/photos", data={
        "pupil_id": str(day.pupils[0].id), "photo": (io.BytesIO(data), name)},
        content_type="multipart/form-data")


def _photos():
    db.session.expire_all()
    return db.session.scalar(db.select(db.func.count()).select_from(Photo))


def test_a_photo_write_that_fails_half_way_leaves_nothing_and_the_same_upload_goes_through_later(
        day, app, client, login, monkeypatch):
    login(day.observer)
    folder = uploads.photo_folder(app.instance_path)
    real_fdopen = os.fdopen

    class HalfThenFull:
        def __init__(self, handle):
            self.handle = handle

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.handle.close()

        def write(self, data):
            self.handle.write(data[: len(data) // 2])
            self.handle.flush()
            raise OSError(errno.ENOSPC, "No space left on device")

        def __getattr__(self, name):
            return getattr(self.handle, name)

    monkeypatch.setattr(os, "fdopen", lambda fd, *a, **k: HalfThenFull(real_fdopen(fd, *a, **k)))
    full = _upload(client, day, jpeg_with_gps(), "work.jpg")
    monkeypatch.undo()
    assert full.status_code == 507
    assert "The server&#39;s disk is full: your text is kept on this page." in full.text
    assert sorted(os.listdir(folder)) == []  # no empty, partial or temporary file
    assert _photos() == 0
    assert _upload(client, day, jpeg_with_gps(), "work.jpg").status_code == 303
    assert _photos() == 1 and len(os.listdir(folder)) == 1


def test_write_private_on_a_full_disk_keeps_the_file_it_would_have_replaced(tmp_path, monkeypatch):
    target = tmp_path / "export.zip"
    target.write_bytes(b"the previous export")

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    try:
        write_private(target, b"x" * 10_000)
    except OSError as error:
        assert error.errno == errno.ENOSPC
    else:
        raise AssertionError("the write should have failed")
    assert target.read_bytes() == b"the previous export"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export.zip"]


def test_a_photo_on_a_really_full_disk(day, app, client, login):
    login(day.observer)
    folder = uploads.photo_folder(app.instance_path)
    photo = noisy_png()
    with small_disk(folder, "256k"):
        filler = fill(folder, leave=8 * 1024)
        full = _upload(client, day, photo)
        assert full.status_code == 507, full.status_code
        assert os.listdir(folder) == ["filler"]  # nothing half written
        assert _photos() == 0
        filler.unlink()  # the technician frees space
        assert _upload(client, day, photo).status_code == 303
        assert _photos() == 1 and len(os.listdir(folder)) == 1


def test_a_backup_onto_a_full_disk_ends_with_one_line_and_leaves_no_partial_archive(source, tmp_path):  # noqa: F811
    out = tmp_path / "small-disk"
    with small_disk(out, "16k"):
        result = run(source, "backup", "--output", str(out / "nightly.tar.gz"))
        assert result.exit_code == 1, result.output
        assert "Traceback" not in result.output and result.exception is None or isinstance(
            result.exception, SystemExit)
        last = result.output.strip().splitlines()[-1]
        assert last == (f"Error: There is not enough free space in {out}. No backup was written; the database "
                        "was not changed.")
        assert list(out.iterdir()) == []  # no partial archive, no work folder
        subprocess.run(["mount", "-o", "remount,size=64m", str(out)], check=True)  # room again
        again = run(source, "backup", "--output", str(out / "nightly.tar.gz"))
        assert again.exit_code == 0, again.output
        assert [p.name for p in out.iterdir()] == ["nightly.tar.gz"]

