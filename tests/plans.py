"""A group ready to plan research lessons, for the planning tests: a facilitator and two members who
have all signed, a cycle at "planning" with three case pupils, and RL1 with two stages."""

from __future__ import annotations

from types import SimpleNamespace

from lsweb.groups import cycles
from lsweb.groups import services as groups
from lsweb.models import CycleStatus, GroupRole, Role
from lsweb.planning import lessons
from lsweb.protocol import services as protocol


def planning_team(factories, pupils: int = 3) -> SimpleNamespace:
    school = factories.school()
    lead = factories.user(school, Role.LEAD, name="Lee Lead")
    ana = factories.user(school, Role.TEACHER, name="Ana Alves")
    ben = factories.user(school, Role.TEACHER, name="Ben Brook")
    group = groups.create_group(lead, groups.GroupDetails(name="Fractions study"))
    for user in (ana, ben):
        groups.add_member(lead, group, user.email, GroupRole.MEMBER)
    version = protocol.current_version(group)
    for user in (lead, ana, ben):
        protocol.sign(user, group, version.id, True, user.display_name)
    cycle = cycles.start_cycle(lead, group)
    cycles.move_cycle(lead, cycle, CycleStatus.PLANNING)
    case_pupils = [cycles.save_pupil(lead, cycle, None, f"Pupil {chr(65 + i)}", "", "", "", False)
                   for i in range(pupils)]
    lesson = lessons.create_lesson(lead, cycle)
    lessons.add_stage(lead, lesson)
    return SimpleNamespace(school=school, lead=lead, ana=ana, ben=ben, group=group, cycle=cycle,
                           pupils=case_pupils, lesson=lesson, stages=lesson.current_stages)
