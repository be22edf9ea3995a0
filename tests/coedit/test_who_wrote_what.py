"""The "Who wrote what" page: each box's current text with the name of who typed each part, reached from
the plan's and the summary's history, for the group's signed members only."""

from __future__ import annotations

import html
import re

from lsweb.extensions import db
from lsweb.lessonday import interviews
from lsweb.models import CoeditSnapshot, PlanField, Role

from .helpers import Replica, fresh_team, signed_in_client

RUN = re.compile(r'<span class="who-run ([\w-]+)"><span class="who-name">(.*?):</span>(.*?)</span>', re.S)


def _runs(page: str, label: str) -> list[tuple[str, str]]:
    """(author, text) of the box headed `label`, as the page shows them (the text without the space
    after the author's name)."""
    for section in page.split("<section")[1:]:
        heading = re.search(r"<h2[^>]*>(.*?)</h2>", section)[1]
        if html.unescape(heading) == label:
            return [(html.unescape(who), html.unescape(text).lstrip(" ")) for _, who, text in RUN.findall(section)]
    raise AssertionError(f"no box {label!r} on the page")


def _named(team) -> None:
    team.ana.display_name, team.ben.display_name = "Hannah Lee", "Samuel Owusu"
    db.session.commit()


def _end(replica: Replica, box: str) -> int:
    return len(str(replica.text(box)).encode())


def test_the_history_leads_to_each_persons_words_by_name(app, login, factories):
    team = fresh_team(factories)
    _named(team)
    hannah_client = signed_in_client(app, login, team.ana)
    hannah = Replica(hannah_client, f"plan-{team.lesson.id}")
    samuel = Replica(signed_in_client(app, login, team.ben), hannah.name)
    hannah.sync()
    assert hannah.edit(lambda r: r.text("aspect").insert(0, "Comparing fractions — with bar models"))[0] == 200
    samuel.sync()
    at = len("Comparing fractions".encode())
    assert samuel.edit(lambda r: r.text("aspect").insert(at, " of one whole"))[0] == 200
    assert samuel.edit(lambda r: r.text("criteria").insert(0, "Pupils say why 2/4 = 1/2 😀"))[0] == 200

    history = hannah_client.get(f"/lessons/{team.lesson.id}/history").get_data(as_text=True)
    link = f"/coedit/plan-{team.lesson.id}/who-wrote-what"
    assert f'href="{link}">Who wrote what</a>' in history
    answer = hannah_client.get(link)
    assert answer.status_code == 200
    page = answer.get_data(as_text=True)
    assert _runs(page, "Aspect of learning studied") == [
        ("Hannah Lee", "Comparing fractions"), ("Samuel Owusu", "of one whole"), ("Hannah Lee", "— with bar models")]
    assert _runs(page, "Success criteria") == [("Samuel Owusu", "Pupils say why 2/4 = 1/2 😀")]
    assert "Written by Hannah Lee, Samuel Owusu." in page
    legend = page.split('class="plain who-legend"', 1)[1].split("</ul>", 1)[0]
    assert "Hannah Lee" in legend and "Samuel Owusu" in legend
    assert "Learning intentions" not in page  # an empty box is not listed


def test_user_text_is_escaped(app, login, factories):
    team = fresh_team(factories)
    team.ana.display_name = "<b>Hannah</b>"
    db.session.commit()
    client = signed_in_client(app, login, team.ana)
    page = Replica(client, f"plan-{team.lesson.id}")
    page.sync()
    assert page.edit(lambda r: r.text("aspect").insert(0, '<script>alert("x")</script> & <i>'))[0] == 200
    body = client.get(f"/coedit/{page.name}/who-wrote-what").get_data(as_text=True)
    assert "<script>alert" not in body and "<i>" not in body and "<b>Hannah" not in body
    assert "&lt;script&gt;alert(" in body and "&lt;b&gt;Hannah&lt;/b&gt;:" in body
    assert _runs(body, "Aspect of learning studied") == [("<b>Hannah</b>", '<script>alert("x")</script> & <i>')]


def test_only_the_groups_signed_members_see_it(app, login, factories):
    from lsweb.groups import services as groups

    team = fresh_team(factories)
    client = signed_in_client(app, login, team.ana)
    page = Replica(client, f"plan-{team.lesson.id}")
    page.sync()
    assert page.edit(lambda r: r.text("aspect").insert(0, "Secret plan words"))[0] == 200
    url = f"/coedit/{page.name}/who-wrote-what"
    outsider = signed_in_client(app, login, factories.user(team.school, Role.TEACHER, name="Olu Outsider"))
    assert outsider.get(url).status_code == 404
    assert outsider.get(f"/lessons/{team.lesson.id}/history").status_code == 404
    assert outsider.get(f"/coedit/summary-{team.cycle.id}/who-wrote-what").status_code == 404
    newcomer = factories.user(team.school, Role.TEACHER, name="Nia New")
    groups.add_member(team.lead, team.group, newcomer.email, groups.GroupRole.MEMBER)
    answer = signed_in_client(app, login, newcomer).get(url)  # a member who has not signed the protocol
    assert answer.status_code == 404 and "Secret plan words" not in answer.get_data(as_text=True)
    assert app.test_client().get(url).status_code in (302, 303)  # signed out: to the sign-in page


def test_the_summary_too_and_text_from_before_co_editing(app, login, factories):
    team = fresh_team(factories)
    _named(team)
    # a text stored before co-editing (an installation upgraded with plans but no document yet)
    db.session.add(PlanField(lesson_id=team.lesson.id, key="intentions", kind="intentions", text="Written before"))
    db.session.commit()
    samuel = signed_in_client(app, login, team.ben)
    plan = samuel.get(f"/coedit/plan-{team.lesson.id}/who-wrote-what").get_data(as_text=True)
    assert _runs(plan, "Learning intentions") == [("Earlier text (no author recorded)", "Written before")]
    assert "All of it from before authors were recorded." in plan
    assert db.session.scalar(db.select(db.func.count()).select_from(CoeditSnapshot)) == 0  # a GET stores nothing

    summary = Replica(samuel, f"summary-{team.cycle.id}")
    summary.sync()
    assert summary.edit(lambda r: r.text("learning").insert(0, "They compare fractions"))[0] == 200
    history = samuel.get(f"/groups/{team.group.id}/cycles/{team.cycle.number}/summary/history")
    assert f'href="/coedit/summary-{team.cycle.id}/who-wrote-what"' in history.get_data(as_text=True)
    page = samuel.get(f"/coedit/summary-{team.cycle.id}/who-wrote-what").get_data(as_text=True)
    assert _runs(page, "What we learned about these pupils' learning") == [("Samuel Owusu", "They compare fractions")]


def test_each_person_is_marked_in_the_colour_of_their_caret():
    from pathlib import Path

    from lsweb.coedit import shape
    from lsweb.coedit.who import colour_class

    css = (Path(__file__).resolve().parents[2] / "static" / "css" / "lsweb.css").read_text()
    marked = dict(re.findall(r"\.who-c(\d+) \{ border-bottom-color: (#[0-9a-f]{6}); \}", css))
    for user_id in range(1, 40):
        number = colour_class(user_id).removeprefix("who-c")
        assert marked[number] == shape.colour(user_id), f"person {user_id}: who-c{number}"


def test_the_interviews_page_leads_to_who_wrote_each_answer(app, login, factories):
    team = fresh_team(factories)
    _named(team)
    pupil = team.pupils[0]
    hannah_client = signed_in_client(app, login, team.ana)
    hannah = Replica(hannah_client, f"interviews-{team.lesson.id}")
    samuel = Replica(signed_in_client(app, login, team.ben), hannah.name)
    hannah.sync()
    key = f"answer-{pupil.id}-0"
    assert hannah.edit(lambda r: r.text(key).insert(0, "The bars helped."))[0] == 200
    samuel.sync()
    assert samuel.edit(lambda r: r.text(key).insert(_end(samuel, key), " I liked the game."))[0] == 200

    interviews_page = hannah_client.get(f"/lessons/{team.lesson.id}/interviews").get_data(as_text=True)
    link = f"/coedit/interviews-{team.lesson.id}/who-wrote-what"
    assert f'href="{link}">Who wrote what</a>' in interviews_page
    page = hannah_client.get(link).get_data(as_text=True)
    question = interviews.questions(team.lesson)[0]
    assert _runs(page, f"{pupil.label} · The answer to “{question}”") == [
        ("Hannah Lee", "The bars helped."), ("Samuel Owusu", "I liked the game.")]
