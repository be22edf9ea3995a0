"""Updates of pages that arrive while another is being stored wait, and the next writer stores them all
in one transaction (lsweb/coedit/service.py, apply_queued): each is acknowledged with its own seq, stored,
derived, and attributed to its sender; one that is refused is refused alone.

The test holds the document's lock while the pages send, so that every update is waiting when the
writer starts (under a meeting's load that is what happens by itself)."""

from __future__ import annotations

import threading
import time

from sqlalchemy import event

from lsweb.coedit import attribution, service, store
from lsweb.extensions import db
from lsweb.models import CoeditSpell, CoeditUpdate, PlanField

from .helpers import Replica, fresh_team, signed_in_client


def _pages(app, login, team, count: int) -> list[Replica]:
    name = f"plan-{team.lesson.id}"
    pages = []
    for number in range(count):
        page = Replica(signed_in_client(app, login, team.ana if number % 2 == 0 else team.ben), name)
        page.sync()
        pages.append(page)
    return pages


def _send_together(pages: list[Replica], updates: list[bytes]) -> tuple[list, int]:
    """Each page sends its update from a thread of its own while the document is held; then it is let
    go. ([(status, body)] in page order, the commits the database saw meanwhile)."""
    name = pages[0].name
    answers: list = [None] * len(pages)
    commits = []
    engine = db.engine

    def count(_connection):
        commits.append(1)

    def send(number: int) -> None:
        answers[number] = pages[number].send(updates[number])

    event.listen(engine, "commit", count)
    try:
        with store.doc_lock(name):
            threads = [threading.Thread(target=send, args=(n,)) for n in range(len(pages))]
            for thread in threads:
                thread.start()
            deadline = time.monotonic() + 20
            while len(service._waiting.get(name, ())) < len(pages):
                assert time.monotonic() < deadline, "the updates did not all come to wait"
                time.sleep(0.01)
        for thread in threads:
            thread.join(30)
    finally:
        event.remove(engine, "commit", count)
    return answers, len(commits)


def _typed(page: Replica, box: str, text: str) -> bytes:
    before = page.doc.get_state()
    with page.doc.transaction():
        page.text(box).insert(0, text)
    return page.doc.get_update(before)


def test_updates_waiting_together_are_stored_in_one_commit_each_with_its_own_seq(app, login, factories,
                                                                                 monkeypatch):
    team = fresh_team(factories)
    pages = _pages(app, login, team, 6)
    words = [f"word{n} " for n in range(6)]
    updates = [_typed(page, "aspect", word) for page, word in zip(pages, words)]
    writers = []  # the requests that took the write locks (the database's, then the document's)
    take = store.lock_across_processes
    monkeypatch.setattr(store, "lock_across_processes", lambda name: (writers.append(name), take(name)))
    answers, commits = _send_together(pages, updates)

    assert [status for status, _ in answers] == [200] * 6
    seqs = sorted(body["seq"] for _, body in answers)
    assert seqs == list(range(seqs[0], seqs[0] + 6))
    assert commits == 1
    assert len(writers) == 1  # the other five answered from the writer's batch, without a turn of their own
    db.session.rollback()  # (a fresh read of what the pages' requests committed)
    name = pages[0].name
    stored = db.session.scalars(db.select(CoeditUpdate).where(CoeditUpdate.doc == name,
                                                              CoeditUpdate.seq >= seqs[0])).all()
    assert sorted(u.user_id for u in stored) == sorted([team.ana.id, team.ben.id] * 3)
    judge = Replica(signed_in_client(app, login, team.lead), name)
    judge.sync()
    text = str(judge.text("aspect"))
    assert all(word in text for word in words)
    field = db.session.scalar(db.select(PlanField.text).where(PlanField.lesson_id == team.lesson.id,
                                                              PlanField.key == "aspect"))
    assert field == text
    spellers = set(db.session.scalars(db.select(CoeditSpell.user_id).where(CoeditSpell.doc == name,
                                                                           CoeditSpell.part == "aspect")))
    assert spellers == {team.ana.id, team.ben.id}
    pieces = attribution.authors(name, store.load(name).view)["aspect"]
    for word, number in zip(words, range(6)):
        author = team.ana.id if number % 2 == 0 else team.ben.id
        assert any(word in part and user == author for part, user in pieces), (word, pieces)


def test_an_over_limit_update_in_a_batch_is_refused_alone(app, login, factories):
    team = fresh_team(factories)
    pages = _pages(app, login, team, 4)
    updates = [_typed(page, "aspect", "x" * 5_001 if n == 1 else f"kept{n} ") for n, page in enumerate(pages)]
    answers, commits = _send_together(pages, updates)

    assert [status for status, _ in answers] == [200, 422, 200, 200]
    assert answers[1][1]["box"] == "aspect"
    assert commits == 1
    judge = Replica(signed_in_client(app, login, team.lead), pages[0].name)
    judge.sync()
    text = str(judge.text("aspect"))
    assert "x" * 100 not in text
    assert all(f"kept{n} " in text for n in (0, 2, 3))


def test_another_persons_client_id_in_a_batch_is_refused_alone(app, login, factories):
    team = fresh_team(factories)
    name = f"plan-{team.lesson.id}"
    ana = Replica(signed_in_client(app, login, team.ana), name)
    ana.sync()
    assert ana.edit(lambda r: r.text("aspect").insert(0, "Ana's "))[0] == 200
    ben_client = signed_in_client(app, login, team.ben)
    impostor = Replica(ben_client, name, client_id=ana.doc.client_id)  # Ben's page with Ana's client id
    impostor.sync()
    honest = Replica(ben_client, name)
    honest.sync()
    updates = [_typed(impostor, "aspect", "not Ana "), _typed(honest, "criteria", "Ben's ")]
    answers, _commits = _send_together([impostor, honest], updates)

    assert [status for status, _ in answers] == [403, 200]
    judge = Replica(signed_in_client(app, login, team.lead), name)
    judge.sync()
    assert "not Ana" not in str(judge.text("aspect"))
    assert str(judge.text("criteria")) == "Ben's "
