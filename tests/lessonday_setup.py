"""A group with a research lesson ready to teach, for the lesson-day tests."""

from __future__ import annotations

from datetime import date, time
from types import SimpleNamespace

from lsweb.extensions import db
from lsweb.groups import cycles as cycle_services
from lsweb.groups import services as group_services
from lsweb.models import CycleStatus, GroupRole, ObserverAssignment, PlanField, Role
from lsweb.planning.lessons import add_stage, create_lesson
from lsweb.protocol import services as protocol_services


def lesson_day(make, school=None, name: str = "Fractions Study", on: date = date(2026, 3, 10)):
    school = school or make.school()
    lead = make.user(school, Role.LEAD, name="Lena Lead")
    teacher = make.user(school, Role.TEACHER, name="Tom Teacher")
    observer = make.user(school, Role.TEACHER, name="Olive Observer")
    observer2 = make.user(school, Role.TEACHER, name="Otto Observer")
    group = group_services.create_group(lead, group_services.GroupDetails(name=name))
    for user in (teacher, observer, observer2):
        group_services.add_member(lead, group, user.email, GroupRole.MEMBER)
    version = protocol_services.current_version(group)
    for user in (lead, teacher, observer, observer2):
        protocol_services.sign(user, group, version.id, True, user.display_name)
    cycle = cycle_services.start_cycle(lead, group)
    pupils = [cycle_services.save_pupil(lead, cycle, None, f"Pupil {letter}", "", "", "", False)
              for letter in "ABC"]
    for status in (CycleStatus.PLANNING, CycleStatus.TEACHING):
        cycle_services.move_cycle(lead, cycle, status)
    lesson = create_lesson(lead, cycle)
    add_stage(lead, lesson)
    add_stage(lead, lesson)
    lesson.date, lesson.start_time, lesson.duration_minutes = on, time(10, 0), 60
    lesson.teacher_id, lesson.room, lesson.class_name = teacher.id, "Room 4", "4B"
    stages = lesson.current_stages
    for stage in stages:
        db.session.add(PlanField(lesson_id=lesson.id, key=f"stage-{stage.id}-activity", kind="stage",
                                 stage_id=stage.id, text=f"Activity {stage.position}"))
        for pupil in pupils:
            db.session.add(PlanField(lesson_id=lesson.id, key=f"prediction-{stage.id}-{pupil.id}",
                                     kind="prediction", stage_id=stage.id, pupil_id=pupil.id,
                                     text=f"{pupil.label} will manage stage {stage.position}"))
    db.session.add(ObserverAssignment(lesson_id=lesson.id, pupil_id=pupils[0].id, observer_id=observer.id))
    db.session.add(ObserverAssignment(lesson_id=lesson.id, pupil_id=pupils[1].id, observer_id=observer2.id))
    db.session.commit()
    return SimpleNamespace(school=school, lead=lead, teacher=teacher, observer=observer, observer2=observer2,
                           group=group, cycle=cycle, pupils=pupils, lesson=lesson, stages=stages)
