"""Withdrawn photo consent: the pupil's photos are hidden at once (not served, not listed, not exported)
and deleted by `lsweb purge` once the school's grace period has passed (files too); consent ticked again
before then shows them again; the school admin sets the grace period on the school's form."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta

import pytest
from PIL import Image

from lsweb.extensions import db
from lsweb.lessonday import uploads
from lsweb.models import AuditEntry, CasePupil, Photo, Role, School
from lsweb.models.base import utcnow
from lsweb.operations import privacy
from lsweb.sharing import redaction

from ..lessonday_setup import lesson_day

MB = 1024 * 1024


def _png(colour=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (16, 16), colour).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def day(factories, app):
    day = lesson_day(factories)
    day.pupils[0].photo_consent = True  # Pupil A
    day.pupils[2].photo_consent = True  # Pupil C
    db.session.commit()
    day.a_photos = [uploads.store_photo(day.observer, day.lesson, day.pupils[0], io.BytesIO(_png()),
                                        app.instance_path, 8 * MB, caption=f"Bar model {n}") for n in (1, 2)]
    day.c_photo = uploads.store_photo(day.observer, day.lesson, day.pupils[2], io.BytesIO(_png((0, 90, 0))),
                                      app.instance_path, 8 * MB, caption="Number line")
    return day


def _withdraw(client, day, pupil, consent: bool = False):
    data = {"label": pupil.label, "represents": "", "attainment": "", "notes": ""}
    if consent:
        data["photo_consent"] = "y"
    response = client.post(f"/groups/{day.group.id}/cycles/{day.cycle.number}/pupils/{pupil.id}/edit", data=data)
    assert response.status_code == 303, response.text
    db.session.expire_all()


def _purge(app):
    db.session.remove()
    result = app.test_cli_runner().invoke(args=["purge", "--yes"])
    db.session.remove()
    assert result.exit_code == 0, result.output
    return result.output


def test_withdrawing_consent_hides_the_pupils_photos_at_once(app, client, login, day):
    login(day.observer)
    a_urls = [f"/lessons/{day.lesson.id}/photos/{p.id}" for p in day.a_photos]
    c_url = f"/lessons/{day.lesson.id}/photos/{day.c_photo.id}"
    page = client.get(f"/lessons/{day.lesson.id}/observe?pupil={day.pupils[0].id}").text
    assert all(client.get(url).status_code == 200 for url in a_urls) and all(url in page for url in a_urls)

    other = app.test_client()
    login(day.lead, the_client=other)
    _withdraw(other, day, day.pupils[0])

    assert [client.get(url).status_code for url in a_urls] == [404, 404]
    page = client.get(f"/lessons/{day.lesson.id}/observe?pupil={day.pupils[0].id}").text
    assert not any(url in page for url in a_urls) and "Bar model" not in page
    assert "No consent for photos is recorded for Pupil A" in page
    # Another pupil's photos are untouched.
    assert client.get(c_url).status_code == 200
    assert c_url in client.get(f"/lessons/{day.lesson.id}/observe?pupil={day.pupils[2].id}").text
    # The redaction list before publishing no longer lists them either; the subject-access ZIP leaves them out.
    listed = [item.what for item in redaction.items(day.cycle) if item.kind == "photo"]
    assert listed == ["Photo of Pupil C's work (“Number line”)"]
    with zipfile.ZipFile(io.BytesIO(privacy.build_export(day.observer, day.observer))) as archive:
        assert [p["caption"] for p in json.loads(archive.read("photos.json"))] == ["Number line"]
        assert not any(p.stored_name in name for p in day.a_photos for name in archive.namelist())
    # The files are still there (the grace period), the withdrawal is dated and audited.
    assert all(uploads.photo_path(p, app.instance_path).is_file() for p in day.a_photos)
    pupil = db.session.get(CasePupil, day.pupils[0].id)
    assert pupil.photo_consent is False and utcnow() - pupil.photo_consent_withdrawn_at < timedelta(minutes=1)
    assert db.session.scalar(db.select(AuditEntry.details).where(
        AuditEntry.action == "pupil.photo_consent_withdrawn")) == f"cycle 1: case pupil #{pupil.id}"


def test_the_photos_are_deleted_once_the_schools_grace_period_has_passed(app, client, login, day):
    login(day.lead)
    _withdraw(client, day, day.pupils[0])
    files = [uploads.photo_path(p, app.instance_path) for p in day.a_photos]
    c_file = uploads.photo_path(day.c_photo, app.instance_path)
    pupil_id = day.pupils[0].id
    db.session.get(CasePupil, pupil_id).photo_consent_withdrawn_at = utcnow() - timedelta(days=29)  # default: 30
    db.session.commit()
    assert "photos_without_consent: 0" in _purge(app)
    assert db.session.scalar(db.select(db.func.count(Photo.id))) == 3 and all(f.is_file() for f in files)

    db.session.get(CasePupil, pupil_id).photo_consent_withdrawn_at = utcnow() - timedelta(days=31)
    db.session.commit()
    dry = app.test_cli_runner().invoke(args=["purge", "--dry-run"])
    assert "photos_without_consent: 2" in dry.output and all(f.is_file() for f in files)
    db.session.remove()
    assert "photos_without_consent: 2" in _purge(app)
    assert db.session.scalars(db.select(Photo.caption)).all() == ["Number line"]
    assert not any(f.exists() for f in files) and c_file.is_file()
    assert "photos_without_consent: 2" in db.session.scalars(db.select(AuditEntry.details).where(
        AuditEntry.action == "retention.purged").order_by(AuditEntry.id.desc())).first()


def test_a_shorter_grace_period_of_the_school_deletes_sooner(app, client, login, day):
    school = db.session.get(School, day.school.id)
    school.photo_grace_days = 0
    db.session.commit()
    login(day.lead)
    _withdraw(client, day, day.pupils[0])
    assert "photos_without_consent: 2" in _purge(app)
    assert db.session.scalars(db.select(Photo.caption)).all() == ["Number line"]


def test_consent_ticked_again_within_the_grace_period_keeps_and_shows_the_photos(app, client, login, day):
    login(day.lead)
    _withdraw(client, day, day.pupils[0])
    url = f"/lessons/{day.lesson.id}/photos/{day.a_photos[0].id}"
    assert client.get(url).status_code == 404
    _withdraw(client, day, day.pupils[0], consent=True)
    assert db.session.get(CasePupil, day.pupils[0].id).photo_consent_withdrawn_at is None
    assert client.get(f"/lessons/{day.lesson.id}/observe?pupil={day.pupils[0].id}").text.count("Bar model") == 2
    assert client.get(url).status_code == 200
    assert "photos_without_consent: 0" in _purge(app)
    assert db.session.scalar(db.select(db.func.count(Photo.id))) == 3


def test_the_school_admin_sets_the_grace_period_on_the_schools_form(app, client, login, day, factories):
    admin = factories.user(db.session.get(School, day.school.id), Role.SCHOOL_ADMIN)
    login(admin)
    form = client.get(f"/admin/schools/{day.school.id}/edit")
    assert "photo consent is withdrawn for (days)" in form.text and 'value="30"' in form.text
    name = day.school.name
    bad = client.post(f"/admin/schools/{day.school.id}/edit", data={"name": name, "photo_grace_days": "400"})
    assert bad.status_code == 422 and "Enter a number of days from 0 to 365." in bad.text
    saved = client.post(f"/admin/schools/{day.school.id}/edit", data={"name": name, "photo_grace_days": "7"})
    assert saved.status_code == 303
    db.session.expire_all()
    assert db.session.get(School, day.school.id).photo_grace_days == 7
    entry = db.session.scalar(db.select(AuditEntry).where(AuditEntry.action == "school.photo_grace_changed"))
    assert (entry.actor_id, entry.details) == (admin.id, "30 → 7 days")
