"""Pupil interviews are one co-edited document per lesson: two recorders typing into the same answer
both keep their words, a stale form save keeps what the other recorder typed meanwhile (it used to
replace it), every earlier version is in the history, and the rule of the page decides who may write."""

from __future__ import annotations

from lsweb.coedit import history
from lsweb.extensions import db
from lsweb.lessonday import interviews
from lsweb.models import CoeditUpdate, Cycle, CycleStatus, InterviewAnswer, PlanField
from pycrdt import Map, Text

from ..plans import planning_team
from .helpers import Replica, fresh_team, signed_in_client




def _answer(lesson, pupil, position=0) -> str | None:
    db.session.expire_all()
    return db.session.scalar(db.select(InterviewAnswer.answer).where(
        InterviewAnswer.lesson_id == lesson.id, InterviewAnswer.pupil_id == pupil.id,
        InterviewAnswer.position == position))


def _page(client, lesson):
    page = client.get(f"/lessons/{lesson.id}/interviews")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    seq = text.split('name="rendered_seq" value="', 1)[1].split('"', 1)[0]
    return text, seq


def test_two_recorders_typing_into_one_answer_keep_both(app, login, factories):
    team = fresh_team(factories)
    name = f"interviews-{team.lesson.id}"
    pupil = team.pupils[0]
    ana = Replica(signed_in_client(app, login, team.ana), name)
    ben = Replica(signed_in_client(app, login, team.ben), name)
    ana.sync(), ben.sync()
    key = f"answer-{pupil.id}-0"
    assert ana.edit(lambda r: r.text(key).insert(0, "The bars helped."))[0] == 200
    # Ben has not seen Ana's words yet and types at the start of the same answer
    assert ben.edit(lambda r: r.text(key).insert(0, "I liked the game. "))[0] == 200
    ana.sync(), ben.sync()
    assert str(ana.text(key)) == str(ben.text(key))
    assert "The bars helped." in str(ana.text(key)) and "I liked the game." in str(ana.text(key))
    assert "I liked the game." in _answer(team.lesson, pupil) and "The bars helped." in _answer(team.lesson, pupil)


def test_a_stale_form_save_keeps_the_other_recorders_words(app, login, factories):
    team = fresh_team(factories)
    pupil = team.pupils[0]
    ana, ben = signed_in_client(app, login, team.ana), signed_in_client(app, login, team.ben)
    _, ben_seq = _page(ben, team.lesson)  # Ben opens the page (no JavaScript) ...
    _, ana_seq = _page(ana, team.lesson)
    saved = ana.post(f"/lessons/{team.lesson.id}/interviews/{pupil.id}",
                     data={"answer": ["The halves", "The bars"], "rendered_seq": ana_seq})
    assert saved.status_code == 303
    # ... and saves his own words for another question, from the page as it was before Ana's save
    saved = ben.post(f"/lessons/{team.lesson.id}/interviews/{pupil.id}",
                     data={"answer": ["", "", "Working with Sam"], "rendered_seq": ben_seq})
    assert saved.status_code == 303
    assert _answer(team.lesson, pupil, 0) == "The halves"  # was overwritten with "" before
    assert _answer(team.lesson, pupil, 1) == "The bars"
    assert _answer(team.lesson, pupil, 2) == "Working with Sam"
    # both edit the same answer from the same rendered version: both texts are kept
    _, seq = _page(ana, team.lesson)
    ana.post(f"/lessons/{team.lesson.id}/interviews/{pupil.id}",
             data={"answer": ["The halves, and quarters", "The bars", "Working with Sam"], "rendered_seq": seq})
    ben.post(f"/lessons/{team.lesson.id}/interviews/{pupil.id}",
             data={"answer": ["Halves were easy", "The bars", "Working with Sam"], "rendered_seq": seq})
    words = _answer(team.lesson, pupil, 0)
    assert "quarters" in words and "easy" in words
    page, _ = _page(ana, team.lesson)
    assert "quarters" in page and "easy" in page


def test_every_earlier_version_is_in_the_history(app, login, factories):
    team = fresh_team(factories)
    pupil = team.pupils[1]
    ana = signed_in_client(app, login, team.ana)
    for words in ("Fractions are", "Fractions are bits of a whole"):
        _, seq = _page(ana, team.lesson)
        ana.post(f"/lessons/{team.lesson.id}/interviews/{pupil.id}", data={"answer": [words], "rendered_seq": seq})
    spells = history.spells(f"interviews-{team.lesson.id}", part=f"answer-{pupil.id}-0")
    assert spells and spells[-1].before == "" and spells[0].after == "Fractions are bits of a whole"
    assert db.session.scalar(db.select(db.func.count()).select_from(CoeditUpdate).where(
        CoeditUpdate.doc == f"interviews-{team.lesson.id}")) >= 2


def test_the_answers_are_written_where_print_and_exports_read_them(app, login, factories):
    team = fresh_team(factories)
    db.session.add(PlanField(lesson_id=team.lesson.id, key="interview", kind="interview",
                             text="What was tricky?\nWhat helped?"))
    db.session.commit()
    pupil = team.pupils[0]
    page = Replica(signed_in_client(app, login, team.ana), f"interviews-{team.lesson.id}")
    page.sync()
    assert page.edit(lambda r: r.text(f"answer-{pupil.id}-1").insert(0, "  The wall  "))[0] == 200
    db.session.expire_all()
    row = interviews.answers_of(team.lesson)[pupil.id][1]
    assert (row.answer, row.question, row.recorded_by_id) == ("The wall", "What helped?", team.ana.id)


def test_who_may_write_and_limits(app, login, factories):
    team = fresh_team(factories)
    name = f"interviews-{team.lesson.id}"
    pupil = team.pupils[0]
    outsider = factories.user(team.school, name="Olga Outsider")
    stranger = Replica(signed_in_client(app, login, outsider), name)
    assert stranger.edit(lambda r: r.doc.get("texts", type=Map).__setitem__(f"answer-{pupil.id}-0",
                                                                            Text("x")))[0] == 404
    other = planning_team(factories)
    assert Replica(signed_in_client(app, login, other.ana), name).send(b"\x00\x00")[0] == 404
    page = Replica(signed_in_client(app, login, team.ana), name)
    page.sync()
    status, body = page.edit(lambda r: r.text(f"answer-{pupil.id}-0").insert(0, "x" * 5001))
    assert status == 422 and "5,000" in body["error"] and body["box"] == f"answer-{pupil.id}-0"
    assert _answer(team.lesson, pupil) is None
    cycle = db.session.get(Cycle, team.cycle.id)
    cycle.status = CycleStatus.CLOSED
    db.session.commit()
    page = Replica(signed_in_client(app, login, team.ana), name)
    page.sync()
    status, body = page.edit(lambda r: r.text(f"answer-{pupil.id}-0").insert(0, "late"))
    assert status == 423 and "closed" in body["error"]
    assert _answer(team.lesson, pupil) is None


def test_retention_purges_the_words_from_the_document_too(app, login, factories):
    from datetime import timedelta

    from lsweb.models import CoeditAttribution, CoeditSpell
    from lsweb.models.base import utcnow

    team = fresh_team(factories)
    pupil = team.pupils[0]
    name = f"interviews-{team.lesson.id}"
    page = Replica(signed_in_client(app, login, team.ana), name)
    ben = signed_in_client(app, login, team.ben)
    lesson_id = team.lesson.id
    page.sync()
    assert page.edit(lambda r: r.text(f"answer-{pupil.id}-0").insert(0, "Sam helped me"))[0] == 200
    key = f"answer-{pupil.id}-0"
    db.session.expire_all()
    assert db.session.get(CoeditAttribution, (name, key)) is not None
    row = db.session.scalar(db.select(InterviewAnswer))
    row.updated_at = utcnow() - timedelta(days=4000)
    db.session.commit()
    db.session.remove()
    result = app.test_cli_runner().invoke(args=["purge", "--yes"])
    assert result.exit_code == 0, result.output
    db.session.remove()
    assert db.session.scalar(db.select(db.func.count()).select_from(InterviewAnswer)) == 0
    assert db.session.get(CoeditAttribution, (name, key)) is None
    for model in (CoeditUpdate, CoeditSpell):
        assert db.session.scalar(db.select(db.func.count()).select_from(model).where(model.doc == name)) == 0
    fresh = Replica(ben, name)
    fresh.sync()
    assert str(fresh.text(key)) == ""
    assert "Sam helped me" not in ben.get(f"/lessons/{lesson_id}/interviews").get_data(as_text=True)
