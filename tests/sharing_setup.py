"""A group whose cycle has a written summary, ready to publish (for the sharing tests)."""

from __future__ import annotations

from types import SimpleNamespace

from lsweb.extensions import db
from lsweb.groups import services as groups
from lsweb.models import GroupRole, Role
from lsweb.protocol import services as protocol
from lsweb.sharing import publishing, summaries

from .plans import planning_team

LEARNING = "Pupils compared fractions well when they drew bar models first."
TEACHING = "Asking pupils to explain to a talk partner before writing helped most."
CHANGES = "Next year we will start every fractions lesson with a bar model."


def written_summary(factories, subject="Mathematics", year_group="Year 4"):
    team = planning_team(factories)
    group = team.group
    group.subject, group.year_group = subject, year_group
    group.focus_pupils, group.focus_learning, group.focus_approach = ("pupils who find fractions hard",
                                                                      "equivalent fractions", "bar models")
    db.session.commit()
    for key, text in (("learning", LEARNING), ("teaching", TEACHING), ("changes", CHANGES)):
        summaries.save_field(team.lead, team.cycle, key, text)
    summaries.save_field(team.ana, team.cycle, summaries.progress_key(team.pupils[0].id),
                         "Pupil A moved from counting squares to folding strips.")
    return team


def other_school_teacher(factories):
    return factories.user(factories.school(), Role.TEACHER)


def publish(team, scope="network"):
    return publishing.publish(team.lead, team.cycle, scope)


def add_signed_member(team, user):
    groups.add_member(team.lead, team.group, user.email, GroupRole.MEMBER)
    protocol.sign(user, team.group, protocol.current_version(team.group).id, True, user.display_name)


__all__ = ["SimpleNamespace", "add_signed_member", "other_school_teacher", "publish", "written_summary"]
