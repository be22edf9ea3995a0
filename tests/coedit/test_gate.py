"""The protocol gate does not freeze a planning meeting: a member added mid-meeting (or an amended
protocol) never stops the signed members; the plan names who still has to sign; the newcomer cannot open
the plan until they sign; the cycle does not move to teaching before everyone has signed."""

from __future__ import annotations

import pytest

from lsweb.coedit import store
from lsweb.errors import DomainError
from lsweb.groups import cycles
from lsweb.groups import services as groups
from lsweb.models import CycleStatus, GroupRole

from ..plans import planning_team
from .helpers import Replica


def test_a_member_added_mid_meeting_does_not_stop_the_others(app, login, factories):
    store.clear_cache()
    team = planning_team(factories)
    ana_client = app.test_client()
    login(team.ana, the_client=ana_client)
    ana = Replica(ana_client, f"plan-{team.lesson.id}")
    ana.sync()
    late = factories.user(team.school, name="Lou Late")
    groups.add_member(team.lead, team.group, late.email, GroupRole.MEMBER)
    assert ana.edit(lambda r: r.text("aspect").insert(0, "Still planning"))[0] == 200
    page = ana_client.get(f"/lessons/{team.lesson.id}").get_data(as_text=True)
    assert "Still to sign the current protocol" in page and "Lou Late" in page
    late_client = app.test_client()
    login(late, the_client=late_client)
    assert late_client.get(f"/lessons/{team.lesson.id}").status_code == 303  # sent to sign first
    with pytest.raises(DomainError, match="Lou Late"):
        cycles.move_cycle(team.lead, team.cycle, CycleStatus.TEACHING)


def test_without_javascript_too_a_new_member_does_not_stop_the_planning(app, client, login, factories):
    from lsweb.planning import lessons

    store.clear_cache()
    team = planning_team(factories)
    late = factories.user(team.school, name="Lou Late")
    groups.add_member(team.lead, team.group, late.email, GroupRole.MEMBER)
    login(team.ana)
    answer = client.post(f"/lessons/{team.lesson.id}/plan", data={"f:aspect": "Halves first"})
    assert answer.status_code == 303
    assert "Halves first" in client.get(f"/lessons/{team.lesson.id}").text
    stages = len(team.lesson.current_stages)
    lessons.add_stage(team.ana, team.lesson)
    assert len(team.lesson.current_stages) == stages + 1
