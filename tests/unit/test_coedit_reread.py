"""After each update the server reads back only the boxes it typed into (shape.reread, guided by what
attribution.watch saw), and the whole document when anything else changed: either way the view must be
exactly what reading the whole document gives, or the plan's derived text, limits and history drift."""

from __future__ import annotations

import random

from pycrdt import Doc, Map, Text

from lsweb.coedit import attribution, shape

PUPILS = ["7", "8"]


def _server() -> Doc:
    doc = Doc()
    shape.build(doc, {"aspect": "Place value", "criteria": "", "pupil-7-criterion": "Counts on"},
                stages=[{"key": f"k{n}", "pos": float(n), "texts": {"time": "10 min", "activity": "Starter"},
                         "predictions": {p: "" for p in PUPILS}} for n in range(3)],
                observers={p: None for p in PUPILS}, details={"room": "B2"})
    return doc


def _edit(replica: Doc, pick: random.Random) -> None:
    texts, stages = replica.get("texts", type=Map), replica.get("stages", type=Map)
    keys = sorted(stages.keys())
    choice = pick.random()
    with replica.transaction():
        if choice < 0.45:  # typing or deleting in a top-level box
            box = texts[pick.choice(sorted(texts.keys()))]
            if len(box) and pick.random() < 0.3:
                del box[pick.randrange(len(box))]
            else:
                box.insert(pick.randint(0, len(box)), pick.choice("ab c"))
        elif choice < 0.7 and keys:  # typing in a stage's text or prediction
            stage = stages[pick.choice(keys)]
            if pick.random() < 0.5:
                part = stage[pick.choice(shape.STAGE_TEXTS)]
            else:
                part = stage["predictions"][pick.choice(PUPILS)]
            part.insert(pick.randint(0, len(part)), "x")
        elif choice < 0.78:  # a stage added, with its texts
            stages[f"n{pick.randrange(10**6)}"] = shape.new_stage(pick.random() * 5, {"time": "5"}, {p: "" for p in PUPILS})
        elif choice < 0.84 and keys:  # moved or removed
            stage = stages[pick.choice(keys)]
            if pick.random() < 0.5:
                stage["pos"] = pick.random() * 5
            else:
                stage["removed"] = not stage.get("removed")
        elif choice < 0.9:
            replica.get("observers", type=Map)[pick.choice(PUPILS)] = pick.choice([None, 3, 4])
        elif choice < 0.95:
            replica.get("details", type=Map)["room"] = pick.choice(["B2", "C1", ""])
        else:  # two boxes and a stage in one update
            texts["aspect"].insert(0, "y")
            texts["criteria"].insert(len(texts["criteria"]), "z")
            if keys:
                stages[keys[0]]["activity"].insert(0, "w")


def test_the_view_read_back_after_each_update_equals_reading_the_whole_document():
    pick = random.Random(2026)
    server = _server()
    replicas = [Doc() for _ in range(3)]
    for replica in replicas:
        replica.apply_update(server.get_update())
    view = shape.read(server)
    partial = 0
    for step in range(600):
        replica = pick.choice(replicas)
        before = replica.get_state()
        _edit(replica, pick)
        update = replica.get_update(before)
        with attribution.watch(server) as seen:
            server.apply_update(update)
        new = shape.reread(server, view, seen.deltas) if seen.only_typing else None
        partial += new is not None
        whole = shape.read(server)
        assert (new or whole) == whole, f"step {step}"
        view = whole
        for other in replicas:  # everyone catches up now and then, so edits also meet each other
            if pick.random() < 0.3:
                other.apply_update(server.get_update(other.get_state()))
    assert partial > 250  # most updates are typing, read back box by box


def test_an_update_that_sets_a_map_key_is_not_only_typing():
    server = _server()
    replica = Doc()
    replica.apply_update(server.get_update())
    before = replica.get_state()
    replica.get("texts", type=Map)["interview"] = Text("Which is bigger?")
    with attribution.watch(server) as seen:
        server.apply_update(replica.get_update(before))
    assert not seen.only_typing
    assert shape.read(server).texts["interview"] == "Which is bigger?"
