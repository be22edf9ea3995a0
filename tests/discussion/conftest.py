"""A group with a cycle at "discussing", a research lesson (RL1), its members (all signed) and a teacher
of another school to invite as a guest."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from lsweb.groups import cycles as cycle_services
from lsweb.groups import services as group_services
from lsweb.models import CycleStatus, GroupRole, Role
from lsweb.planning.lessons import create_lesson
from lsweb.protocol import services as protocol_services


@pytest.fixture
def board(app, factories):
    school = factories.school("Alder Primary")
    other_school = factories.school("Birch Academy")
    lead = factories.user(school, Role.LEAD, name="Lena Lead")
    member = factories.user(school, Role.TEACHER, name="Mo Member")
    recorder = factories.user(school, Role.TEACHER, name="Rita Recorder")
    unsigned = factories.user(school, Role.TEACHER, name="Una Unsigned")
    outsider = factories.user(school, Role.TEACHER, name="Otto Outsider")
    visitor = factories.user(other_school, Role.TEACHER, name="Vic Visitor", email="vic@birch.example")
    group = group_services.create_group(lead, group_services.GroupDetails(name="Fractions Study"))
    group_services.add_member(lead, group, member.email, GroupRole.MEMBER)
    group_services.add_member(lead, group, recorder.email, GroupRole.RECORDER)
    version = protocol_services.current_version(group)
    for user in (lead, member, recorder):
        protocol_services.sign(user, group, version.id, True, user.display_name)
    cycle = cycle_services.start_cycle(lead, group)
    pupil = cycle_services.save_pupil(lead, cycle, None, "Pupil A", "finds it hard", "", "", False)
    for status in (CycleStatus.PLANNING, CycleStatus.TEACHING, CycleStatus.DISCUSSING):
        cycle_services.move_cycle(lead, cycle, status)
    lesson = create_lesson(lead, cycle)
    # Added after the lesson exists: a member who has not signed (the gate closes, the board stays).
    group_services.add_member(lead, group, unsigned.email, GroupRole.MEMBER)
    return SimpleNamespace(lesson=lesson, group=group, cycle=cycle, pupil=pupil, lead=lead, member=member,
                           recorder=recorder, unsigned=unsigned, outsider=outsider, visitor=visitor)
