"""Photos of pupil work: consent gate, type by content, size limit, EXIF/GPS removed (read back with Pillow),
random stored names; and served only to signed members, with nosniff and Content-Disposition."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from lsweb.errors import DomainError
from lsweb.extensions import db
from lsweb.lessonday import uploads
from lsweb.models import Photo, Role

from ..lessonday_setup import lesson_day

MB = 1024 * 1024


def jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (64, 48), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"              # Make
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (51.0, 30.0, 0.0)   # GPSLatitudeRef, GPSLatitude
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


@pytest.fixture
def day(factories):
    day = lesson_day(factories)
    day.pupils[0].photo_consent = True
    db.session.commit()
    return day


def test_the_source_really_has_gps():
    with Image.open(io.BytesIO(jpeg_with_gps())) as image:
        assert image.getexif().get_ifd(0x8825)


def test_a_photo_is_reencoded_without_exif_under_a_random_name(day, app):
    photo = uploads.store_photo(day.observer, day.lesson, day.pupils[0], io.BytesIO(jpeg_with_gps()),
                                app.instance_path, 8 * MB, caption="Bar model")
    path = uploads.photo_path(photo, app.instance_path)
    assert path.parent.name == "photos" and path.parent.parent.name == "uploads"
    assert len(photo.stored_name) > 30 and photo.stored_name.endswith(".jpg")
    with Image.open(path) as stored:
        assert stored.format == "JPEG" and stored.size == (64, 48)
        assert not stored.getexif() and "exif" not in stored.info
    assert photo.content_type == "image/jpeg"


def test_no_consent_no_photo(day, app):
    with pytest.raises(DomainError, match="No consent"):
        uploads.store_photo(day.observer, day.lesson, day.pupils[1], io.BytesIO(jpeg_with_gps()),
                            app.instance_path, 8 * MB)
    assert db.session.scalar(db.select(db.func.count(Photo.id))) == 0


def test_a_file_claiming_to_be_a_jpeg_that_is_not_is_refused(day, app):
    fake = b"\xff\xd8\xff\xe0" + b"<script>alert(1)</script>" * 100
    with pytest.raises(DomainError, match="not a photo"):
        uploads.store_photo(day.observer, day.lesson, day.pupils[0], io.BytesIO(fake), app.instance_path, 8 * MB)
    gif = io.BytesIO()
    Image.new("RGB", (8, 8)).save(gif, format="GIF")
    with pytest.raises(DomainError, match="not a photo"):
        uploads.store_photo(day.observer, day.lesson, day.pupils[0], io.BytesIO(gif.getvalue()),
                            app.instance_path, 8 * MB)
    assert not list((uploads.photo_folder(app.instance_path)).iterdir())


def test_a_file_over_the_limit_is_refused(day, app):
    with pytest.raises(DomainError, match="larger than 1 MB"):
        uploads.store_photo(day.observer, day.lesson, day.pupils[0], io.BytesIO(b"\0" * (MB + 1)),
                            app.instance_path, MB)


def test_upload_and_serving_through_the_views(day, app, client, login, factories):
    login(day.observer)
    response = client.post(f"/lessons/{day.lesson.id}/photos", data={
        "pupil_id": str(day.pupils[0].id), "caption": "Bar model",
        "photo": (io.BytesIO(jpeg_with_gps()), "work.jpg")}, content_type="multipart/form-data")
    assert response.status_code == 303
    photo = db.session.scalar(db.select(Photo))
    served = client.get(f"/lessons/{day.lesson.id}/photos/{photo.id}")
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.headers["Content-Disposition"].startswith("inline; filename=")
    with Image.open(io.BytesIO(served.data)) as image:
        assert not image.getexif()
    refused = client.post(f"/lessons/{day.lesson.id}/photos", data={
        "pupil_id": str(day.pupils[1].id), "photo": (io.BytesIO(jpeg_with_gps()), "work.jpg")},
        content_type="multipart/form-data", follow_redirects=True)
    assert "No consent for photos is recorded for Pupil B" in refused.text
    stranger = factories.user(day.school, Role.TEACHER)
    other = app.test_client()
    login(stranger, the_client=other)
    assert other.get(f"/lessons/{day.lesson.id}/photos/{photo.id}").status_code == 404


def test_a_50_mb_upload_is_refused_with_a_clear_message(day, client, login):
    login(day.observer)
    response = client.post(f"/lessons/{day.lesson.id}/photos", data={
        "pupil_id": str(day.pupils[0].id), "photo": (io.BytesIO(b"\0" * (50 * MB)), "huge.jpg")},
        content_type="multipart/form-data")
    assert response.status_code == 413 and "too large" in response.text
    assert db.session.scalar(db.select(db.func.count(Photo.id))) == 0


def test_a_pupil_with_recorded_work_is_not_removed(day, app):
    from lsweb.groups import cycles

    uploads.store_photo(day.observer, day.lesson, day.pupils[0], io.BytesIO(jpeg_with_gps()), app.instance_path,
                        8 * MB)
    with pytest.raises(DomainError, match="stays"):
        cycles.remove_pupil(day.lead, day.pupils[0])
