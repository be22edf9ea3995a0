"""The protected-time ledger tells the truth (issue 18): typing into a plan logs no time; planning meetings
are logged when the facilitator records one (each member who was there, once); members correct or remove
their own entries, audited, and nobody else's; each group's hours count only its own entries."""

from __future__ import annotations

from datetime import date

import pytest

from lsweb.errors import DomainError
from lsweb.extensions import db
from lsweb.lessonday import ledger
from lsweb.models import AuditEntry, GroupRole, TimeEntry, TimeKind
from lsweb.groups import services as groups

from ..coedit.helpers import Replica
from ..plans import planning_team

MONDAY = date.today()  # in this school year, as /me/time shows it
DAY = MONDAY.isoformat()


@pytest.fixture
def team(factories):
    return planning_team(factories)


def planning_entries(user=None):
    query = db.select(TimeEntry).where(TimeEntry.kind == TimeKind.PLANNING, TimeEntry.minutes > 0).order_by(TimeEntry.id)
    if user is not None:
        query = query.where(TimeEntry.user_id == user.id)
    return list(db.session.scalars(query))


def test_typing_two_characters_into_a_plan_logs_no_planning_time(team, client, login):
    login(team.ana)
    page = Replica(client, f"plan-{team.lesson.id}")
    page.sync()
    assert page.edit(lambda r: r.text("aspect").insert(0, "Eq"))[0] == 200
    response = client.post(f"/lessons/{team.lesson.id}/plan", data={"f:criteria": "Names halves"})
    assert response.status_code in (200, 303)
    assert planning_entries() == []


def test_the_facilitator_logs_a_planning_meeting_for_those_who_were_there(team, client, login):
    login(team.lead)
    response = client.post(f"/lessons/{team.lesson.id}/planning-meetings",
                           data={"on": DAY, "minutes": "45", "attendees": [str(team.ana.id), str(team.lead.id)]})
    assert response.status_code == 303
    assert sorted((e.user_id, e.minutes, e.on) for e in planning_entries()) == sorted(
        [(team.ana.id, 45, MONDAY), (team.lead.id, 45, MONDAY)])
    assert all(e.group_id == team.group.id and e.lesson_id == team.lesson.id for e in planning_entries())
    # the same meeting logged twice is logged once
    client.post(f"/lessons/{team.lesson.id}/planning-meetings",
                data={"on": DAY, "minutes": "45", "attendees": [str(team.ana.id)]})
    assert len(planning_entries(team.ana)) == 1
    page = client.get(f"/lessons/{team.lesson.id}/cover").get_data(as_text=True)
    assert "Log a planning meeting" in page


def test_a_member_cannot_log_a_meeting_for_others(team, client, login):
    login(team.ana)
    response = client.post(f"/lessons/{team.lesson.id}/planning-meetings",
                           data={"on": DAY, "minutes": "45", "attendees": [str(team.ben.id)]})
    assert response.status_code == 303
    assert "facilitator records" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert planning_entries() == []
    assert "Log a planning meeting" not in client.get(f"/lessons/{team.lesson.id}/cover").get_data(as_text=True)


def test_members_correct_and_remove_their_own_entries_audited(team, client, login, app):
    wrong = ledger.add_manual(team.ana, TimeKind.PLANNING, 300, MONDAY, "typo: 300", team.group)
    ledger.log_planning_meeting(team.lead, team.lesson, MONDAY, 60, [team.ana.id])
    auto = planning_entries(team.ana)[-1]
    login(team.ana)
    page = client.get("/me/time").get_data(as_text=True)
    assert f"/me/time/{wrong.id}" in page and "Fractions study" in page
    assert client.post(f"/me/time/{wrong.id}", data={"minutes": "30", "on": DAY, "note": "fixed"}).status_code == 303
    assert client.post(f"/me/time/{auto.id}/remove").status_code == 303
    db.session.expire_all()
    assert db.session.get(TimeEntry, wrong.id).minutes == 30
    assert ledger.usage(team.ana, MONDAY).used == 30
    assert "removed by the member" not in client.get("/me/time").get_data(as_text=True)
    actions = db.session.scalars(db.select(AuditEntry.action).where(AuditEntry.actor_id == team.ana.id)).all()
    assert "time.entry_changed" in actions and "time.entry_removed" in actions
    # a removed automatic entry is not logged again by the same meeting
    ledger.log_planning_meeting(team.lead, team.lesson, MONDAY, 60, [team.ana.id])
    assert ledger.usage(team.ana, MONDAY).used == 30
    # nobody else's entries
    ben = app.test_client()
    login(team.ben, the_client=ben)
    assert ben.get(f"/me/time/{wrong.id}").status_code == 404
    assert ben.post(f"/me/time/{wrong.id}/remove").status_code == 404
    assert ben.post(f"/me/time/{wrong.id}", data={"minutes": "5", "on": DAY}).status_code == 404
    db.session.expire_all()
    assert db.session.get(TimeEntry, wrong.id).minutes == 30


def test_each_groups_hours_are_its_own(team, factories):
    other = groups.create_group(team.lead, groups.GroupDetails(name="Reading study"))
    groups.add_member(team.lead, other, team.ana.email, GroupRole.MEMBER)
    ledger.add_manual(team.ana, TimeKind.PLANNING, 120, MONDAY, "reading planning", other)
    ledger.add_manual(team.ana, TimeKind.OTHER, 30, MONDAY, "fractions reading", team.group)
    ledger.add_manual(team.ana, TimeKind.OTHER, 15, MONDAY, "a course")
    with pytest.raises(DomainError):
        ledger.add_manual(team.ben, TimeKind.OTHER, 15, MONDAY, "not my group", other)
    fractions = {g.usage.user.id: g for g in ledger.group_usage(team.group, MONDAY)}
    reading = {g.usage.user.id: g for g in ledger.group_usage(other, MONDAY)}
    assert fractions[team.ana.id].in_group == 30 and reading[team.ana.id].in_group == 120
    assert fractions[team.ana.id].usage.used == 165  # her whole year against her allowance
