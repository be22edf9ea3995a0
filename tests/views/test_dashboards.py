"""The home page's dashboards: what leaders see of their school's groups (and never: plan text,
observations, posts), and each member's next lessons and open tasks. A bounded number of queries."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from sqlalchemy import event

from lsweb.discussion import services as board
from lsweb.extensions import db
from lsweb.groups import services as group_services
from lsweb.lessonday import observation
from lsweb.models import (
    CoverEntry,
    GroupRole,
    LessonStatus,
    NoteKind,
    ObserverAssignment,
    PlanField,
    Role,
    TimeEntry,
    TimeKind,
)
from lsweb.planning.lessons import create_lesson

from ..lessonday_setup import lesson_day

TODAY = date.today()
SECRET_PREDICTION = "Pupil A will fold the strip into unequal parts"
SECRET_NOTE = "Pupil B counted on her fingers and gave up"
SECRET_POST = "We think the bar model confused Pupil C"


@pytest.fixture
def day(factories):
    day = lesson_day(factories, on=TODAY + timedelta(days=7))
    # RL1 is next week; one prediction cell is empty, another holds text leaders must never read.
    predictions = db.session.scalars(db.select(PlanField).where(PlanField.lesson_id == day.lesson.id,
                                                               PlanField.kind == "prediction")).all()
    predictions[0].text = "  "
    predictions[1].text = SECRET_PREDICTION
    db.session.add(CoverEntry(lesson_id=day.lesson.id, user_id=day.observer.id, class_name="3C",
                              created_by_id=day.observer.id))
    db.session.add(CoverEntry(lesson_id=day.lesson.id, user_id=day.observer2.id, class_name="5A",
                              covered_by_id=day.lead.id, created_by_id=day.observer2.id))
    # RL2 was taught yesterday: Olive watched Pupil A and has no notes yet; Otto wrote one.
    rl2 = create_lesson(day.lead, day.cycle)
    rl2.date, rl2.start_time, rl2.teacher_id = TODAY - timedelta(days=1), time(9, 0), day.teacher.id
    rl2.status = LessonStatus.TAUGHT
    db.session.add(ObserverAssignment(lesson_id=rl2.id, pupil_id=day.pupils[0].id, observer_id=day.observer.id))
    db.session.add(ObserverAssignment(lesson_id=rl2.id, pupil_id=day.pupils[1].id, observer_id=day.observer2.id))
    db.session.add(TimeEntry(user_id=day.observer.id, lesson_id=rl2.id, kind=TimeKind.OBSERVING, minutes=90,
                             on=TODAY, auto_key=None))
    db.session.commit()
    observation.save_note(day.observer2, rl2, observation.NoteInput(client_id="note-otto-0001", kind=NoteKind.PATTERN,
                                                                      pupil_id=day.pupils[1].id, text=SECRET_NOTE))
    section = board.sections_of(rl2)[0].key
    board.add_post(day.teacher, rl2, section, SECRET_POST, "token-tom-0001")
    # Nina joins after all this and has not signed yet.
    day.nina = factories.user(day.school, Role.TEACHER, name="Nina New")
    group_services.add_member(day.lead, day.group, day.nina.email, GroupRole.MEMBER)
    day.rl2 = rl2
    return day


def page_of(client, login, user) -> str:
    login(user)
    response = client.get("/")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_a_school_leader_sees_every_group_of_the_school_and_none_of_its_work(day, client, login, factories):
    other = lesson_day(factories, name="Reading Study")  # another school's group
    admin = factories.user(day.school, Role.SCHOOL_ADMIN, name="Sam Admin")
    page = page_of(client, login, admin)
    assert f"Lesson study at {day.school.name}" in page
    assert "Fractions Study" in page and "Cycle 1: Teaching" in page
    assert "Still to sign: Nina New" in page
    assert f"RL1, {day.lesson.date.strftime('%d %b %Y')}" in page
    assert "<td>2 (1 arranged)</td>" in page
    # Olive's 90 minutes; five members with the default 5 hours each.
    assert "1.5 of 25.0 hours" in page
    for secret in (SECRET_PREDICTION, SECRET_NOTE, SECRET_POST, "Reading Study", other.school.name):
        assert secret not in page
    assert f'/lessons/{day.lesson.id}"' not in page and f"/groups/{day.group.id}\"" not in page


def test_a_lead_sees_the_overview_a_teacher_does_not(day, client, login, factories):
    lead = factories.user(day.school, Role.LEAD, name="Lou Lead")
    assert "Still to sign: Nina New" in page_of(client, login, lead)
    client.post("/logout")
    page = page_of(client, login, factories.user(day.school, Role.TEACHER))
    assert "Lesson study at" not in page and "Fractions Study" not in page and "Still to sign" not in page


def test_another_schools_admin_sees_only_their_own_school(day, client, login, factories):
    page = page_of(client, login, factories.user(factories.school("Birch"), Role.SCHOOL_ADMIN))
    assert "Lesson study at Birch" in page and "No lesson study group at your school yet." in page
    assert "Fractions Study" not in page


def test_an_observer_sees_their_next_lesson_and_open_tasks(day, client, login):
    page = page_of(client, login, day.observer)
    assert "Fractions Study, RL1" in page and "Observing Pupil A" in page
    assert f"/lessons/{day.lesson.id}/observe" not in page  # RL1 is next week: nothing to observe yet
    assert "Predict: 1 empty prediction in the plan of Fractions Study, RL1" in page
    assert f'href="/lessons/{day.rl2.id}/observe">Observe: write your notes on Fractions Study, RL2' in page
    assert f'href="/lessons/{day.rl2.id}/board">Discuss: post on the board of Fractions Study, RL2' in page
    assert "Sign the protocol" not in page
    assert SECRET_NOTE not in page and SECRET_POST not in page


def test_tasks_done_are_gone(day, client, login):
    page = page_of(client, login, day.observer2)  # wrote notes on RL2
    assert "Observe:" not in page and "Discuss: post on the board of Fractions Study, RL2" in page
    client.post("/logout")
    page = page_of(client, login, day.teacher)  # teaches RL1, posted on RL2's board, observes nothing
    assert "Fractions Study, RL1" in page and "Teaching" in page
    assert "Discuss:" not in page and "Observe:" not in page


def test_a_member_who_has_not_signed_is_asked_to_sign_and_sees_no_lessons(day, client, login):
    page = page_of(client, login, day.nina)
    assert f'href="/groups/{day.group.id}/protocol">Sign the protocol of Fractions Study' in page
    assert "RL1" not in page and "Predict:" not in page
    assert "No research lesson of yours is scheduled." in page


def test_the_dashboards_take_a_bounded_number_of_queries(day, client, login, factories):
    for number in range(4):  # more groups and lessons must not mean more queries
        more = lesson_day(factories, school=day.school, name=f"Study {number}", on=TODAY + timedelta(days=3))
        group_services.add_member(more.lead, more.group, day.observer.email, GroupRole.MEMBER)
    admin = factories.user(day.school, Role.SCHOOL_ADMIN)
    counts = {}
    for who in (admin, day.observer):
        login(who)
        statements: list[str] = []

        def listener(*args, statements=statements):
            statements.append(args[2])

        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert client.get("/").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        counts[who.id] = len(statements)
        client.post("/logout")
    assert counts[admin.id] <= 25, counts
    assert counts[day.observer.id] <= 25, counts
