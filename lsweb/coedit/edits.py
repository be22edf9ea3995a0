"""Changes the server makes to a document on a person's behalf, as updates of a fresh CRDT client:
the plan form posted without JavaScript (each submitted text diffed against the text the form was
rendered from, so what others typed meanwhile stays), a restore from the history, and the stage,
detail and observer actions of the no-JavaScript form.

pycrdt's Text positions are UTF-8 byte offsets: every position below is converted from characters.
"""

from __future__ import annotations

import secrets
import uuid
from typing import Callable

from diff_match_patch import diff_match_patch
from pycrdt import Doc, Map, Text

from ..database import outside_write_lock
from ..extensions import db
from . import documents, service, shape, store

_DMP = diff_match_patch()
_DMP.Diff_Timeout = 0.2


def fresh_client() -> int:
    return secrets.randbits(52) + 1


def retype(text: Text, old: str, new: str) -> None:
    """Turn `text` (holding `old`) into `new` with the fewest inserts and deletes (at character level)."""
    if old == new:
        return
    diffs = _DMP.diff_main(old, new)
    _DMP.diff_cleanupSemantic(diffs)
    at = 0  # byte offset in the text as changed so far
    for op, chunk in diffs:
        size = len(chunk.encode())
        if op == 0:
            at += size
        elif op == 1:
            text.insert(at, chunk)
            at += size
        else:
            del text[at:at + size]


def find_text(doc: Doc, box: str) -> Text | None:
    """The shared text of a box key ("aspect", "stage-<stage key>-activity", "prediction-<stage key>-<pupil>")."""
    texts = doc.get("texts", type=Map)
    if box in texts:
        return texts[box]
    stages = doc.get("stages", type=Map)
    if box.startswith("stage-"):
        key, _, part = box[len("stage-"):].rpartition("-")
        stage = stages.get(key)
        return stage.get(part) if isinstance(stage, Map) and part in shape.STAGE_TEXTS else None
    if box.startswith("prediction-"):
        key, _, pupil = box[len("prediction-"):].rpartition("-")
        stage = stages.get(key)
        predictions = stage.get("predictions") if isinstance(stage, Map) else None
        return predictions.get(pupil) if isinstance(predictions, Map) else None
    return None


def edit_texts(t: documents.Target, user_id: int, texts: dict[str, str], rendered_seq: int | None) -> service.Applied:
    """Apply submitted texts (box key -> text) as changes against the document at `rendered_seq`.

    The costly part (the document as the form saw it, rebuilt from the log, and a character diff per
    box) runs with no write transaction open; only the resulting update is applied under the write
    lock, as one keystroke's would be (a whole stale plan form used to hold it for seconds)."""
    with store.doc_lock(t.name):
        entry = service.open_entry(t)
        seq = entry.seq
        current = entry.doc.get_update() if rendered_seq is None or rendered_seq >= seq else None
    with outside_write_lock(db.session):
        base = store.load_at(t.name, rendered_seq) if current is None else None
        work = Doc(client_id=fresh_client())
        work.apply_update(base[0].get_update() if base else current if current is not None else _now(t))
        before = work.get_state()
        with work.transaction():
            for box, new in texts.items():
                text = find_text(work, box)
                if text is not None:
                    retype(text, str(text), new.replace("\r\n", "\n").replace("\r", "\n"))
        update = work.get_update(before)
    if update == Doc().get_update():
        return service.Applied(seq, [])
    return service.apply(t, user_id, work.client_id, update)


def _now(t: documents.Target) -> bytes:
    """The document as it is now (the form's version was pruned from the log)."""
    with store.doc_lock(t.name):
        return service.open_entry(t).doc.get_update()


def edit_now(t: documents.Target, user_id: int, change: Callable[[Doc], None]) -> service.Applied:
    """Apply change(doc) to the document as it is now (stage moves, details, observers: they win over
    everything before them)."""
    with store.doc_lock(t.name):
        entry = service.open_entry(t)
        current = entry.doc.get_update()
    work = Doc(client_id=fresh_client())
    work.apply_update(current)
    before = work.get_state()
    with work.transaction():
        change(work)
    return service.apply(t, user_id, work.client_id, work.get_update(before))


def add_stage(doc: Doc, pupil_ids: list[int], after: str | None = None) -> str:
    """A new stage (at the end, or after the stage `after`), with a prediction per pupil; its key."""
    stages = doc.get("stages", type=Map)
    order = sorted(((s.get("pos", 0.0), k) for k, s in stages.items() if isinstance(s, Map)
                    and s.get("removed") is not True))
    pos = (order[-1][0] + 1.0) if order else 1.0
    if after is not None:
        index = next((i for i, (_, k) in enumerate(order) if k == after), None)
        if index is not None:
            following = order[index + 1][0] if index + 1 < len(order) else order[index][0] + 2.0
            pos = (order[index][0] + following) / 2
    key = uuid.uuid4().hex
    stages[key] = shape.new_stage(pos, predictions={str(p): "" for p in pupil_ids})
    return key


def move_stage(doc: Doc, key: str, direction: str) -> None:
    stages = doc.get("stages", type=Map)
    order = sorted(((s.get("pos", 0.0), k) for k, s in stages.items() if isinstance(s, Map)
                    and s.get("removed") is not True))
    index = next((i for i, (_, k) in enumerate(order) if k == key), None)
    if index is None:
        return
    target = index - 1 if direction == "up" else index + 1
    if not 0 <= target < len(order):
        return
    # between the neighbour and the one beyond it
    beyond = target - 1 if direction == "up" else target + 1
    edge = order[target][0] + (-1.0 if direction == "up" else 1.0)
    other = order[beyond][0] if 0 <= beyond < len(order) else edge
    stages[key]["pos"] = (order[target][0] + other) / 2


def set_removed(doc: Doc, key: str, removed: bool) -> None:
    stage = doc.get("stages", type=Map).get(key)
    if isinstance(stage, Map) and (stage.get("removed") is True) != removed:
        stage["removed"] = removed
        if not removed:
            order = [s.get("pos", 0.0) for s in doc.get("stages", type=Map).values()
                     if isinstance(s, Map) and s.get("removed") is not True]
            stage["pos"] = max(order, default=0.0) + 1.0


def set_details(doc: Doc, values: dict) -> None:
    details = doc.get("details", type=Map)
    for key, value in values.items():
        if details.get(key) != value:
            details[key] = value


def set_observer(doc: Doc, pupil_id: int, observer_id: int | None) -> None:
    observers = doc.get("observers", type=Map)
    if observers.get(str(pupil_id)) != observer_id:
        observers[str(pupil_id)] = observer_id
