"""Who wrote what: every character of a box's current text keeps its author, through interleaved typing,
restarts, several processes, the pruning of the update log, the form without JavaScript and restores."""

from __future__ import annotations

import json
import re

from lsweb.coedit import attribution, store
from lsweb.extensions import db
from lsweb.models import CoeditAttribution, CoeditUpdate, User
from lsweb.models.base import utcnow

from .helpers import Replica, fresh_team, signed_in_client

SEQ = re.compile(r'name="rendered_seq" value="(\d+)"')


def _who(name: str, box: str) -> list[tuple[str, str]]:
    """The box's current text as (part, author's name) (author "?" for nobody known)."""
    db.session.expire_all()
    with store.doc_lock(name):
        entry = store.load(name)
        view = entry.view
    names = {u.id: u.display_name for u in db.session.scalars(db.select(User))}
    return [(part, names.get(user, "?")) for part, user in attribution.authors(name, view).get(box, [])]


def _restart() -> None:
    store.clear_cache()


def _end(replica: Replica, box: str) -> int:
    return len(str(replica.text(box)).encode())


def _at(replica: Replica, box: str, chars: int) -> int:
    return len(str(replica.text(box))[:chars].encode())


def _pair(app, login, factories):
    team = fresh_team(factories)
    name = f"plan-{team.lesson.id}"
    ana = Replica(signed_in_client(app, login, team.ana), name)
    ben = Replica(signed_in_client(app, login, team.ben), name)
    ana.sync()
    ben.sync()
    return team, ana, ben


# --- the pure part -----------------------------------------------------------------------------------

def test_pycrdt_counts_a_delta_in_utf8_bytes_and_runs_count_characters():
    old = "é — 😀 x"
    delta = [{"retain": len("é — ".encode())}, {"delete": len("😀".encode())}, {"insert": "ü😀"}]
    chars = attribution.char_delta(delta, old)
    assert chars == [("retain", 4), ("delete", 1), ("insert", 2)]
    runs = attribution.follow([[len(old), 1]], chars, 2)
    assert runs == [[4, 1], [2, 2], [2, 1]]
    assert attribution.pieces("é — ü😀 x", runs) == [("é — ", 1), ("ü😀", 2), (" x", 1)]


def test_following_a_delta_is_following_each_character():
    """Against the obvious per-character model, on many random runs and changes."""
    import random

    def by_character(runs, delta, user):
        authors, out, at = [u for n, u in runs for _ in range(n)], [], 0
        for op, n in delta:
            out += [user] * n if op == "insert" else authors[at:at + n] if op == "retain" else []
            at += 0 if op == "insert" else n
        return attribution.merged([[1, u] for u in out + authors[at:]])

    rnd = random.Random(8)
    for _ in range(3000):
        runs = attribution.merged([[rnd.randint(0, 4), rnd.choice([None, 1, 2])] for _ in range(rnd.randint(0, 8))])
        left, delta = sum(n for n, _ in runs), []
        for _ in range(rnd.randint(0, 5)):
            op, n = rnd.choice(["retain", "delete", "insert"]), rnd.randint(1, 4)
            if op != "insert":
                n, left = min(n, left), left - min(n, left)
            if n:
                delta.append((op, n))
        kept = json.dumps(runs)
        assert attribution.follow(runs, delta, 3) == by_character(runs, delta, 3), (runs, delta)
        assert json.dumps(runs) == kept  # the runs followed are not changed


def test_runs_that_do_not_fit_the_text_give_it_to_nobody():
    assert attribution.pieces("abcdef", [[2, 1], [2, 2]]) == [("abcdef", None)]
    assert attribution.fitted([[2, 1], [0, 2], [3, 1]], 5) == [[5, 1]]


# --- through the server --------------------------------------------------------------------------------

def test_two_people_typing_in_one_box_each_keep_their_letters(app, login, factories):
    team, ana, ben = _pair(app, login, factories)
    assert ana.edit(lambda r: r.text("aspect").insert(0, "Fractions — équivalence"))[0] == 200
    ben.sync()
    # Ben types in the middle, Ana at the end at the same time: both from the same state
    ben_update = _typed(ben, "aspect", len("Fractions"), " 😀 with bars")
    ana_update = _typed(ana, "aspect", None, " first.")
    assert ben.send(ben_update)[0] == 200
    assert ana.send(ana_update)[0] == 200
    ana.sync()
    # Ben deletes Ana's first letter
    assert ben.edit(lambda r: r.text("aspect").__delitem__(slice(_at(r, "aspect", 0), _at(r, "aspect", 1))))[0] == 200
    ben.sync()
    text = str(ben.text("aspect"))
    assert text == "ractions 😀 with bars — équivalence first."
    assert _who(ben.name, "aspect") == [("ractions", "Ana Alves"), (" 😀 with bars", "Ben Brook"),
                                        (" — équivalence first.", "Ana Alves")]


def _typed(replica: Replica, box: str, chars: int | None, text: str) -> bytes:
    before = replica.doc.get_state()
    with replica.doc.transaction():
        replica.text(box).insert(_end(replica, box) if chars is None else _at(replica, box, chars), text)
    return replica.doc.get_update(before)


def test_authors_survive_a_restart_and_the_pruning_of_the_log(app, login, factories, monkeypatch):
    monkeypatch.setattr(store, "SNAPSHOT_EVERY", 4)
    team, ana, ben = _pair(app, login, factories)
    for word in ("Place ", "value ", "és "):
        assert ana.edit(lambda r, word=word: r.text("criteria").insert(_end(r, "criteria"), word))[0] == 200
    _restart()
    ben.sync()
    for word in ("with ", "counters"):
        assert ben.edit(lambda r, word=word: r.text("criteria").insert(_end(r, "criteria"), word))[0] == 200
    for i in range(12):  # enough updates elsewhere that the first ones are pruned
        assert ben.edit(lambda r, i=i: r.text("resources").insert(0, str(i % 10)))[0] == 200
    db.session.expire_all()
    assert db.session.scalar(db.select(db.func.min(CoeditUpdate.seq)).where(CoeditUpdate.doc == ana.name)) > 5
    _restart()
    assert _who(ana.name, "criteria") == [("Place value és ", "Ana Alves"), ("with counters", "Ben Brook")]
    ana.sync()
    assert ana.edit(lambda r: r.text("criteria").insert(0, "¿"))[0] == 200
    assert _who(ana.name, "criteria") == [("¿Place value és ", "Ana Alves"), ("with counters", "Ben Brook")]


def test_another_process_storing_updates_meanwhile_is_followed(app, login, factories):
    team, ana, ben = _pair(app, login, factories)
    assert ana.edit(lambda r: r.text("aspect").insert(0, "Ana wrote"))[0] == 200
    # another process (with its own cache) stores Ben's update and its runs
    ben.sync()
    ours = store.load(ana.name)
    _restart()
    assert ben.edit(lambda r: r.text("aspect").insert(0, "Ben: "))[0] == 200
    store.remember(ana.name, ours)  # this process's cache is one update behind again
    assert ana.edit(lambda r: r.text("aspect").insert(_end(r, "aspect"), "."))[0] == 200
    assert _who(ana.name, "aspect") == [("Ben: ", "Ben Brook"), ("Ana wrote.", "Ana Alves")]


def test_an_update_stored_without_its_runs_leaves_the_unknown_part_to_nobody(app, login, factories):
    team, ana, ben = _pair(app, login, factories)
    assert ana.edit(lambda r: r.text("aspect").insert(0, "Ana wrote"))[0] == 200
    # an update appended behind the server's back (another version of lsweb, a repair by hand)
    ben.sync()
    before = ben.doc.get_state()
    ben.text("aspect").insert(0, "Hidden ")
    seq = db.session.scalar(db.select(db.func.max(CoeditUpdate.seq)).where(CoeditUpdate.doc == ana.name))
    db.session.add(CoeditUpdate(doc=ana.name, seq=seq + 1, data=ben.doc.get_update(before), user_id=team.ben.id,
                                client_id=ben.doc.client_id, created_at=utcnow()))
    db.session.commit()
    _restart()
    assert ben.edit(lambda r: r.text("aspect").insert(_end(r, "aspect"), " and Ben"))[0] == 200
    assert _who(ana.name, "aspect") == [("Hidden Ana wrote", "?"), (" and Ben", "Ben Brook")]
    # stored runs that cannot be read are refitted the same way, never an error
    db.session.execute(db.update(CoeditAttribution).values(runs="not json"))
    db.session.commit()
    _restart()
    ana.sync()
    assert ana.edit(lambda r: r.text("aspect").insert(0, "¡"))[0] == 200
    assert _who(ana.name, "aspect") == [("¡", "Ana Alves"), ("Hidden Ana wrote and Ben", "?")]


def test_a_server_side_save_a_new_stage_and_the_form_without_javascript(app, login, factories):
    from lsweb.planning import fields

    store.clear_cache()
    from ..plans import planning_team

    team = planning_team(factories)
    fields.save_field(team.ana, team.lesson, "intentions", "Written long ago")
    name = f"plan-{team.lesson.id}"
    ben_client = signed_in_client(app, login, team.ben)
    page = ben_client.get(f"/lessons/{team.lesson.id}").get_data(as_text=True)
    answer = ben_client.post(f"/lessons/{team.lesson.id}/plan", data={
        "f:intentions": "Written long ago, and now", "f:aspect": "Ben's aspect", "rendered_seq": SEQ.search(page)[1]})
    assert answer.status_code == 303
    # save_field writes through the document too (since migration 0023): Ana's words are hers
    assert _who(name, "intentions") == [("Written long ago", "Ana Alves"), (", and now", "Ben Brook")]
    assert _who(name, "aspect") == [("Ben's aspect", "Ben Brook")]
    ana = Replica(signed_in_client(app, login, team.ana), name)
    ana.sync()
    from pycrdt import Map, Text

    def add(r):
        r.stages()["k1"] = Map({"pos": 9.0, "removed": False, "time": Text("5 min"), "activity": Text("Starter"),
                                "resources": Text(""), "predictions": Map({str(p.id): Text("Níl") for p in team.pupils})})
    assert ana.edit(add)[0] == 200
    assert _who(name, "stage-k1-activity") == [("Starter", "Ana Alves")]
    assert _who(name, f"prediction-k1-{team.pupils[0].id}") == [("Níl", "Ana Alves")]


def test_a_restore_is_written_by_who_restored(app, login, factories):
    from lsweb.models import CoeditSpell

    team, ana, ben = _pair(app, login, factories)
    assert ana.edit(lambda r: r.text("aspect").insert(0, "Ana's first words"))[0] == 200
    ben.sync()
    assert ben.edit(lambda r: r.text("aspect").__delitem__(slice(0, _end(r, "aspect"))))[0] == 200
    assert ben.edit(lambda r: r.text("aspect").insert(0, "Xyz"))[0] == 200
    spell = db.session.scalars(db.select(CoeditSpell).where(CoeditSpell.doc == ana.name, CoeditSpell.part == "aspect")
                               .order_by(CoeditSpell.id)).first()
    lee = signed_in_client(app, login, team.lead)
    assert lee.post(f"/lessons/{team.lesson.id}/history/{spell.id}/restore").status_code == 303
    assert _who(ana.name, "aspect") == [("Ana's first words", "Lee Lead")]
    row = db.session.get(CoeditAttribution, (ana.name, "aspect"))
    assert json.loads(row.runs) == [[len("Ana's first words"), team.lead.id]]
