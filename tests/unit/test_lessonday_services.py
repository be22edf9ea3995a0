"""Lesson-day services: notes (idempotent by client id, removed stages kept), the grid and agenda,
interviews, double bookings, cover CSV and calendars, status transitions and the protected-time ledger."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from icalendar import Calendar

from lsweb.errors import DomainError, NotAllowed
from lsweb.extensions import db
from lsweb.lessonday import calendar_feed, cover, grid, interview_saves, interviews, ledger, observation, status
from lsweb.lessonday.observation import NoteInput
from lsweb.models import (
    LessonStatus,
    NoteKind,
    Observation,
    ObserverAssignment,
    PlanField,
    Rating,
    Role,
    TimeEntry,
    TimeKind,
)
from lsweb.planning.lessons import create_lesson, remove_stage

from ..lessonday_setup import lesson_day

AFTER = datetime(2026, 3, 10, 11, 5)
BEFORE = datetime(2026, 3, 10, 9, 55)


@pytest.fixture
def day(factories):
    return lesson_day(factories)


def note(cid, pupil, stage, rating=Rating.AS_PREDICTED, text="Counted on fingers", kind=NoteKind.NOTE):
    return NoteInput(client_id=cid, kind=kind, pupil_id=pupil.id if pupil else None,
                     stage_id=stage.id if stage else None, rating=rating, text=text)


def test_a_repeated_save_with_the_same_id_is_the_same_note(day):
    first = observation.save_note(day.observer, day.lesson, note("abcdefgh1", day.pupils[0], day.stages[0]))
    again = observation.save_note(day.observer, day.lesson, note("abcdefgh1", day.pupils[0], day.stages[0],
                                                                 Rating.BETTER, "Counted on fingers, then drew"))
    assert first.id == again.id
    rows = db.session.scalars(db.select(Observation)).all()
    assert len(rows) == 1 and rows[0].rating is Rating.BETTER and rows[0].text.endswith("then drew")


def test_someone_elses_note_id_is_refused(day):
    observation.save_note(day.observer, day.lesson, note("abcdefgh2", day.pupils[0], day.stages[0]))
    with pytest.raises(DomainError, match="someone else"):
        observation.save_note(day.observer2, day.lesson, note("abcdefgh2", day.pupils[1], day.stages[0]))


def _noted(day, client_id: str, now, **times):
    return observation.save_note(day.observer, day.lesson, NoteInput(
        client_id=client_id, pupil_id=day.pupils[0].id, stage_id=day.stages[0].id, text="x", **times), now).noted_at


def test_the_servers_clock_dates_a_note_and_the_tablets_only_says_how_long_it_waited(day):
    now = datetime(2026, 3, 10, 10, 30, tzinfo=UTC)
    fast = timedelta(hours=11, minutes=50)  # a tablet's clock 11 h 50 min ahead
    # Sent as it was written, by a tablet whose clock is hours off: the server's time.
    assert _noted(day, "abcdefgh3", now, noted_at=now + fast, sent_at=now + fast) == now
    # Written offline 20 minutes before it could be sent: 20 minutes before the server received it.
    assert _noted(day, "abcdefgh4", now, noted_at=now + fast - timedelta(minutes=20), sent_at=now + fast) == \
        now - timedelta(minutes=20)
    # The tablet's times alone (an older page) or nonsense (sent before written): the server's time.
    assert _noted(day, "abcdefgh5", now, noted_at=now - timedelta(minutes=20)) == now
    assert _noted(day, "abcdefgh6", now, noted_at=now, sent_at=now - timedelta(hours=1)) == now
    # Never more than 12 hours back, however long it says it waited.
    assert _noted(day, "abcdefgh7", now, noted_at=now - timedelta(days=3), sent_at=now) == now - timedelta(hours=12)


def test_bad_notes_are_refused_with_reasons(day, factories):
    with pytest.raises(DomainError, match="case pupil"):
        observation.save_note(day.observer, day.lesson, note("abcdefgh5", None, day.stages[0]))
    with pytest.raises(DomainError, match="stage"):
        observation.save_note(day.observer, day.lesson, note("abcdefgh6", day.pupils[0], None))
    with pytest.raises(DomainError, match="Write what you saw"):
        observation.save_note(day.observer, day.lesson, note("abcdefgh7", day.pupils[0], day.stages[0], None, ""))
    with pytest.raises(DomainError, match="valid id"):
        observation.save_note(day.observer, day.lesson, note("short", day.pupils[0], day.stages[0]))
    other = lesson_day(factories, name="Other study")
    with pytest.raises(DomainError, match="not a case pupil"):
        observation.save_note(day.observer, day.lesson, note("abcdefgh8", other.pupils[0], day.stages[0]))
    with pytest.raises(DomainError, match="not part of this lesson"):
        observation.save_note(day.observer, day.lesson, note("abcdefgh9", day.pupils[0], other.stages[0]))
    stranger = factories.user(day.school, Role.TEACHER)
    with pytest.raises(NotAllowed):
        observation.save_note(stranger, day.lesson, note("abcdefgh0", day.pupils[0], day.stages[0]))
    assert db.session.scalar(db.select(db.func.count(Observation.id))) == 0


def test_a_note_for_a_removed_stage_is_kept_and_shown_as_removed(day):
    stage = day.stages[2]
    remove_stage(day.lead, stage)
    observation.save_note(day.observer, day.lesson, note("removed01", day.pupils[0], stage, Rating.LESS_WELL))
    the_grid = grid.grid_context(day.lesson)
    row = next(r for r in the_grid.rows if r.stage.id == stage.id)
    assert row.removed and row.cells[0].notes[0].rating is Rating.LESS_WELL


def test_the_grid_merges_observers_and_the_agenda_puts_differences_first(day):
    s1, s2, s3 = day.stages
    observation.save_note(day.observer, day.lesson, note("grid00001", day.pupils[0], s1))
    observation.save_note(day.observer2, day.lesson, note("grid00002", day.pupils[1], s1))
    observation.save_note(day.observer, day.lesson, note("grid00003", day.pupils[0], s2, Rating.LESS_WELL))
    observation.save_note(day.observer2, day.lesson, note("grid00004", day.pupils[1], s2, Rating.BETTER))
    observation.save_note(day.observer2, day.lesson, note("grid00005", day.pupils[1], s3, Rating.NOT_SEEN))
    observation.save_note(day.observer2, day.lesson, note("grid00006", None, None, None, "Most used bars",
                                                          NoteKind.PATTERN))
    the_grid = grid.grid_context(day.lesson)
    first = the_grid.rows[0]
    assert [len(cell.notes) for cell in first.cells] == [1, 1, 0]
    assert first.cells[0].prediction == "Pupil A will manage stage 1"
    assert {u.display_name for u in the_grid.observers} == {"Olive Observer", "Otto Observer"}
    assert [n.text for n in the_grid.class_notes] == ["Most used bars"]
    assert [row.stage.id for row in grid.agenda(day.lesson)] == [s2.id, s3.id, s1.id]


def test_interview_questions_default_and_plan_override(day):
    assert interviews.questions(day.lesson) == interviews.DEFAULT_QUESTIONS
    db.session.add(PlanField(lesson_id=day.lesson.id, key="interview", kind="plan",
                             text="What was tricky?\n\n  What helped?  \n"))
    db.session.commit()
    assert interviews.questions(day.lesson) == ["What was tricky?", "What helped?"]
    interview_saves.save_answers(day.observer, day.lesson, day.pupils[0], ["The halves", "The bars"])
    interview_saves.save_answers(day.observer, day.lesson, day.pupils[0], ["The halves, and quarters", "The bars"])
    answers = interviews.answers_of(day.lesson)[day.pupils[0].id]
    assert answers[0].answer == "The halves, and quarters" and answers[1].question == "What helped?"


def test_double_booking_across_groups(day, factories):
    other = lesson_day(factories, school=day.school, name="Reading Study")
    other_lesson = other.lesson
    other_lesson.start_time = time(10, 30)
    db.session.add(ObserverAssignment(lesson_id=other_lesson.id, pupil_id=other.pupils[0].id,
                                      observer_id=day.observer.id))
    db.session.commit()
    clashes = cover.double_bookings(day.lesson)
    assert [(c.user.id, c.lesson.id) for c in clashes] == [(day.observer.id, other_lesson.id)]
    other_lesson.start_time = time(11, 0)  # back to back is not a clash
    db.session.commit()
    assert cover.double_bookings(day.lesson) == []


def test_cover_entries_csv_and_calendar(day):
    with pytest.raises(NotAllowed):
        cover.add_cover(day.observer, day.lesson, day.teacher.id, "5C")
    with pytest.raises(DomainError, match="which class"):
        cover.add_cover(day.observer, day.lesson, day.observer.id, "  ")
    cover.add_cover(day.observer, day.lesson, day.observer.id, "=6R maths", "Worksheets on my desk")
    cover.add_cover(day.lead, day.lesson, day.teacher.id, "5C", covered_by_id=day.observer2.id)
    text = cover.cover_csv(day.lesson)
    assert "'=6R maths" in text and "2026-03-10,10:00,11:00,Room 4" in text and "Otto Observer" in text
    calendar = Calendar.from_ical(calendar_feed.feed(day.observer, datetime(2026, 1, 1, tzinfo=UTC)))
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 1 and str(events[0]["summary"]).endswith("RL1 (you observe)")
    assert events[0].decoded("dtstart").replace(tzinfo=None) == datetime(2026, 3, 10, 10, 0)
    assert events[0].decoded("dtstart").tzinfo is not None  # in the school's zone, not a floating time
    assert "=6R maths" in str(events[0]["description"])


def test_status_moves_only_forward_and_after_the_lesson(day):
    with pytest.raises(NotAllowed):
        status.mark_taught(day.observer, day.lesson, AFTER)
    with pytest.raises(DomainError, match="once it has started"):
        status.mark_taught(day.lead, day.lesson, BEFORE)
    with pytest.raises(DomainError, match="must be taught"):
        status.mark_discussed(day.lead, day.lesson, AFTER)
    status.mark_taught(day.teacher, day.lesson, AFTER)
    assert day.lesson.status is LessonStatus.TAUGHT
    with pytest.raises(DomainError, match="already"):
        status.mark_taught(day.lead, day.lesson, AFTER)
    status.mark_discussed(day.lead, day.lesson, AFTER + timedelta(days=1))
    assert day.lesson.status is LessonStatus.DISCUSSED
    with pytest.raises(DomainError):
        status.move(day.lead, day.lesson, LessonStatus.PLANNED, AFTER)


def test_a_lesson_without_a_date_cannot_be_taught(day):
    lesson = create_lesson(day.lead, day.cycle)
    with pytest.raises(DomainError, match="no date"):
        status.mark_taught(day.lead, lesson, AFTER)


def test_the_ledger_logs_lesson_time_once_and_sums_against_the_allowance(day):
    cover.add_cover(day.lead, day.lesson, day.teacher.id, "5C", covered_by_id=day.lead.id)
    status.mark_taught(day.lead, day.lesson, AFTER)
    status.mark_discussed(day.lead, day.lesson, AFTER)
    today = date(2026, 3, 12)
    assert ledger.usage(day.observer, today).used == 60 + 60      # observing + discussion
    assert ledger.usage(day.teacher, today).used == 60 + 60       # teaching + discussion
    assert ledger.usage(day.lead, today).used == 60 + 60          # covering + discussion
    ledger.add_manual(day.observer, TimeKind.PLANNING, 90, date(2026, 2, 1), "Planning RL1")
    ledger.add_manual(day.observer, TimeKind.PLANNING, 90, date(2025, 8, 31), "Last school year")
    usage = ledger.usage(day.observer, today)
    assert usage.used == 210 and usage.allowance == 300 and not usage.over
    with pytest.raises(DomainError):
        ledger.add_manual(day.observer, TimeKind.OTHER, 2, today, "")
    ledger.set_allowance(factories_admin(day), day.school, 3)
    assert ledger.usage(day.observer, today).over
    with pytest.raises(DomainError):
        ledger.set_allowance(day.observer, day.school, 10)
    assert db.session.scalar(db.select(db.func.count(TimeEntry.id)).where(TimeEntry.auto_key.is_not(None))) == 8
    assert sorted(u.usage.used for u in ledger.group_usage(day.group, today)) == [120, 120, 120, 210]
    assert sorted(u.in_group for u in ledger.group_usage(day.group, today)) == [120, 120, 120, 120]  # the 90+90 had no group


def factories_admin(day):
    from lsweb.models import User

    admin = User(email="admin@x.example", display_name="Admin", role=Role.SCHOOL_ADMIN, school_id=day.school.id)
    db.session.add(admin)
    db.session.commit()
    return admin
