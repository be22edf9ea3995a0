"""The lesson day's plug-ins for retention and privacy (lsweb/operations).

Retention (`lsweb purge`): observations, pupil interview answers and photos of pupils' work (rows and
files) older than their school's retention period are deleted (the interview answers with the
co-edited document they were typed in, its history included). The age of a record is when it was
saved (an observation's `saved_at`, an answer's `updated_at`, a photo's `created_at`); the school is the
lesson's group's. Photos of a pupil whose photo consent was withdrawn (hidden from then on) are deleted
once the school's grace period (`photo_grace_days`) has passed since the withdrawal. Plan text and the
discussion (its findings included) are not pupil-level records and are never touched here.

Subject access: a staff member's own observations (deleted ones too, and what each said before a
correction), the interview answers they recorded, the photos they took (the files too; not those
hidden by a withdrawn consent), their cover entries (their own classes, and lessons they covered) and their
protected-time entries.

Account deletion: their time entries go (they concern only them); observations, answers and photos stay
with the group's record, shown as by "Former member".
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import delete, func, or_

from ..coedit import store
from ..extensions import db
from ..models import (
    CasePupil,
    CoeditAttribution,
    CoeditClient,
    CoeditSnapshot,
    CoeditSpell,
    CoeditUpdate,
    CoverEntry,
    Cycle,
    InterviewAnswer,
    Observation,
    ObservationVersion,
    Photo,
    ResearchLesson,
    School,
    StudyGroup,
    TimeEntry,
    User,
)
from ..operations.privacy import Export, register_eraser, register_exporter
from ..operations.retention import Purger, register_purger
from .uploads import photo_folder, shown


def _lessons_of(school: School):
    return (db.select(ResearchLesson.id).join(Cycle, Cycle.id == ResearchLesson.cycle_id)
            .join(StudyGroup, StudyGroup.id == Cycle.group_id).where(StudyGroup.school_id == school.id)
            .scalar_subquery())


def _table_purger(name: str, model, when) -> Purger:
    def expired(school: School, cutoff: datetime):
        return (model.lesson_id.in_(_lessons_of(school)), when < cutoff)

    def count(school: School, cutoff: datetime) -> int:
        return db.session.scalar(db.select(func.count(model.id)).where(*expired(school, cutoff))) or 0

    def purge(school: School, cutoff: datetime) -> int:
        result = db.session.execute(delete(model).where(*expired(school, cutoff))
                                    .execution_options(synchronize_session=False))
        return result.rowcount or 0

    return Purger(name, count, purge)


def _expired_notes(school: School, cutoff: datetime):
    return db.select(Observation.id).where(Observation.lesson_id.in_(_lessons_of(school)),
                                           Observation.saved_at < cutoff).scalar_subquery()


def _count_versions(school: School, cutoff: datetime) -> int:
    return db.session.scalar(db.select(func.count(ObservationVersion.id)).where(
        ObservationVersion.observation_id.in_(_expired_notes(school, cutoff)))) or 0


def _purge_versions(school: School, cutoff: datetime) -> int:
    """The earlier versions of the notes purged next (before them: they refer to the notes)."""
    result = db.session.execute(delete(ObservationVersion).where(
        ObservationVersion.observation_id.in_(_expired_notes(school, cutoff))).execution_options(
        synchronize_session=False))
    return result.rowcount or 0


register_purger(Purger("observation_versions", _count_versions, _purge_versions))
register_purger(_table_purger("observations", Observation, Observation.saved_at))
_answer_rows = _table_purger("interview_answers", InterviewAnswer, InterviewAnswer.updated_at)
# Interview documents to drop from the cache once the purge of their school is committed.
_INTERVIEW_DOCS: dict[int, list[str]] = {}


def _purge_answers(school: School, cutoff: datetime) -> int:
    """The expired answers, and the co-edited document they were typed in (its update log, snapshots
    and history hold the same words; its attribution, who wrote them): it is built again from the
    answers that remain when the page next opens."""
    lessons = db.session.scalars(db.select(InterviewAnswer.lesson_id).distinct().where(
        InterviewAnswer.lesson_id.in_(_lessons_of(school)), InterviewAnswer.updated_at < cutoff))
    names = [f"interviews-{lesson_id}" for lesson_id in lessons]
    for model in (CoeditUpdate, CoeditSnapshot, CoeditClient, CoeditSpell, CoeditAttribution):
        if names:
            db.session.execute(delete(model).where(model.doc.in_(names)).execution_options(synchronize_session=False))
    _INTERVIEW_DOCS[school.id] = names
    return _answer_rows.purge(school, cutoff)


def _forget_interview_docs(school: School, cutoff: datetime) -> None:
    for name in _INTERVIEW_DOCS.pop(school.id, []):
        store.evict(name)


register_purger(Purger("interview_answers", _answer_rows.count, _purge_answers, _forget_interview_docs))

# Photo files to remove once the purge of their school is committed (school id -> stored names).
_PHOTO_FILES: dict[int, list[str]] = {}
_photo_rows = _table_purger("photos", Photo, Photo.created_at)


def _purge_photos(school: School, cutoff: datetime) -> int:
    _PHOTO_FILES.setdefault(school.id, []).extend(db.session.scalars(db.select(Photo.stored_name).where(
        Photo.lesson_id.in_(_lessons_of(school)), Photo.created_at < cutoff)))
    return _photo_rows.purge(school, cutoff)


def _remove_photo_files(school: School, cutoff: datetime) -> None:
    folder = photo_folder(current_app.instance_path)
    for name in _PHOTO_FILES.pop(school.id, []):
        (folder / Path(name).name).unlink(missing_ok=True)


register_purger(Purger("photos", _photo_rows.count, _purge_photos, after_commit=_remove_photo_files))


# Photos of pupils whose photo consent was withdrawn more than the school's grace period ago (hidden since
# the withdrawal). Those also past the retention period are the "photos" purger's.
def _withdrawn(school: School, cutoff: datetime):
    now = cutoff + timedelta(days=school.retention_days)  # the purge's moment (retention.plan)
    pupils = db.select(CasePupil.id).where(
        CasePupil.photo_consent.is_(False),
        CasePupil.photo_consent_withdrawn_at < now - timedelta(days=school.photo_grace_days))
    return (Photo.lesson_id.in_(_lessons_of(school)), Photo.created_at >= cutoff, Photo.pupil_id.in_(pupils))


def _count_withdrawn(school: School, cutoff: datetime) -> int:
    return db.session.scalar(db.select(func.count(Photo.id)).where(*_withdrawn(school, cutoff))) or 0


def _purge_withdrawn(school: School, cutoff: datetime) -> int:
    where = _withdrawn(school, cutoff)
    _PHOTO_FILES.setdefault(school.id, []).extend(db.session.scalars(db.select(Photo.stored_name).where(*where)))
    result = db.session.execute(delete(Photo).where(*where).execution_options(synchronize_session=False))
    return result.rowcount or 0


register_purger(Purger("photos_without_consent", _count_withdrawn, _purge_withdrawn,
                       after_commit=_remove_photo_files))


# --- subject access ---------------------------------------------------------------------------------

def _iso(value) -> str | None:
    return value.isoformat() if value else None


def _where(lesson: ResearchLesson | None) -> dict:
    if lesson is None:
        return {}
    return {"group": lesson.cycle.group.name, "cycle": lesson.cycle.number, "lesson": lesson.title}


@register_exporter("observations")
def _observations(user: User) -> list:
    rows = list(db.session.scalars(db.select(Observation).where(Observation.observer_id == user.id)
                                   .order_by(Observation.id)))
    versions: dict[int, list[ObservationVersion]] = {}
    for version in db.session.scalars(db.select(ObservationVersion).join(
            Observation, Observation.id == ObservationVersion.observation_id).where(
            Observation.observer_id == user.id).order_by(ObservationVersion.id)):
        versions.setdefault(version.observation_id, []).append(version)
    return [{**_where(db.session.get(ResearchLesson, o.lesson_id)), "kind": o.kind.value,
             "pupil": o.pupil.label if o.pupil else None, "stage": o.stage.position if o.stage else None,
             "rating": o.rating.value if o.rating else None, "text": o.text, "noted_at": _iso(o.noted_at),
             "saved_at": _iso(o.saved_at), "corrected_at": _iso(o.updated_at) if versions.get(o.id) else None,
             "deleted_at": _iso(o.deleted_at),
             "earlier_versions": [{"rating": v.rating.value if v.rating else None, "text": v.text,
                                   "saved_at": _iso(v.saved_at), "replaced_at": _iso(v.replaced_at)}
                                  for v in versions.get(o.id, [])]} for o in rows]


@register_exporter("interview_records")
def _interviews(user: User) -> list:
    rows = db.session.scalars(db.select(InterviewAnswer).where(InterviewAnswer.recorded_by_id == user.id)
                              .order_by(InterviewAnswer.id))
    return [{**_where(db.session.get(ResearchLesson, a.lesson_id)), "pupil": a.pupil.label,
             "question": a.question, "answer": a.answer, "updated_at": _iso(a.updated_at)} for a in rows]


@register_exporter("photos")
def _photos(user: User) -> Export:
    rows = list(db.session.scalars(db.select(Photo).where(Photo.uploaded_by_id == user.id, shown())
                                   .order_by(Photo.id)))  # a withdrawn consent's photos are not handed out
    folder = photo_folder(current_app.instance_path)
    files = [(p.stored_name, folder / p.stored_name) for p in rows if (folder / p.stored_name).is_file()]
    data = [{**_where(db.session.get(ResearchLesson, p.lesson_id)), "pupil": p.pupil.label,
             "caption": p.caption, "file": f"files/photos/{p.stored_name}", "content_type": p.content_type,
             "taken_at": _iso(p.created_at)} for p in rows]
    return Export(data, files)


@register_exporter("cover_entries")
def _cover(user: User) -> list:
    rows = db.session.scalars(db.select(CoverEntry).where(
        or_(CoverEntry.user_id == user.id, CoverEntry.covered_by_id == user.id)).order_by(CoverEntry.id))
    return [{**_where(db.session.get(ResearchLesson, c.lesson_id)),
             "your_class": c.user_id == user.id, "covered_by_you": c.covered_by_id == user.id,
             "class": c.class_name, "note": c.note if c.user_id == user.id else "",
             "created_at": _iso(c.created_at)} for c in rows]


@register_exporter("time_entries")
def _time(user: User) -> list:
    rows = db.session.scalars(db.select(TimeEntry).where(TimeEntry.user_id == user.id).order_by(TimeEntry.on,
                                                                                                TimeEntry.id))
    return [{"on": t.on.isoformat(), "kind": t.kind.value, "minutes": t.minutes, "note": t.note,
             "logged_automatically": t.auto_key is not None} for t in rows]


@register_eraser("time_entries")
def _erase_time(user: User, now: datetime) -> None:
    db.session.execute(delete(TimeEntry).where(TimeEntry.user_id == user.id)
                       .execution_options(synchronize_session=False))
