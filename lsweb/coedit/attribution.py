"""Who wrote what: for every box of a document, runs of characters [length, user id or None] that cover
the box's current text exactly (None: written before authors were kept, or not known).

Every update is applied to the server's document under `watch`, which collects what pycrdt says changed
in each text (a delta of retain / insert / delete, counted in UTF-8 bytes: converted here to
characters). `record` then follows each changed box's runs through its delta: inserted characters
are the updater's (every client id in an update is bound to its sender, service._bind), deleted ones
go, the rest keep their authors. The runs are written in the update's own transaction (one UPDATE per
changed box), so they are exactly as durable as the update and outlive the pruning of the update log.

A process keeps the runs it wrote on the document's cached entry (store.Entry.authors), valid at that
seq; when another process stored updates meanwhile (the entry moved on) the changed boxes' runs are
read again. If the
runs ever disagree with the text's length (a path that changed the document without them), the text
they no longer describe is attributed to nobody rather than to the wrong person.
"""

from __future__ import annotations

import json
import logging
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from functools import partial
from itertools import accumulate

from diff_match_patch import diff_match_patch
from pycrdt import Doc, Map, Text

from ..extensions import db
from ..models import CoeditAttribution
from . import deferred, shape

log = logging.getLogger("lsweb.coedit")
_DMP = diff_match_patch()
_DMP.Diff_Timeout = 0.2

Runs = list  # of [length, user id or None]


# --- following runs through a change (pure) ----------------------------------------------------------

def merged(runs) -> list:
    """Drop empty runs and join neighbours of one author."""
    out: list = []
    for length, user in runs:
        if length <= 0:
            continue
        if out and out[-1][1] == user:
            out[-1][0] += length
        else:
            out.append([length, user])
    return out


def fitted(runs, length: int) -> list:
    """Runs that cover exactly `length` characters: when they do not, the text they fail to describe is
    nobody's (the whole text: which part they lost is unknown)."""
    if sum(n for n, _ in runs) == length:
        return merged(runs)
    return [[length, None]] if length else []


def follow(runs, delta, user_id) -> list:
    """The runs after a change given as a delta in characters: [("retain"|"delete", n) | ("insert", n)].
    The runs a keystroke leaves alone are taken over as they are, found by bisection (a letter typed in
    a box of many runs costs little more than in a box of one); the answer shares them with `runs`."""
    ends = list(accumulate(n for n, _ in runs))
    total = ends[-1] if ends else 0
    out: list = []

    def add(length: int, user) -> None:
        if length <= 0:
            return
        if out and out[-1][1] == user:
            out[-1] = [out[-1][0] + length, user]  # (never changed in place: runs are shared)
        else:
            out.append([length, user])

    def keep(a: int, b: int) -> None:  # the runs' characters a..b (old text)
        b = min(b, total)
        if a >= b:
            return
        i, j = bisect_right(ends, a), bisect_left(ends, b)
        if i == j:
            add(b - a, runs[i][1])
            return
        add(ends[i] - a, runs[i][1])
        if j > i + 1:
            add(*runs[i + 1])
            out.extend(runs[i + 2:j])
        add(b - ends[j - 1], runs[j][1])

    at = 0
    for op, n in delta:
        if op == "insert":
            add(n, user_id)
        elif op == "retain":
            keep(at, at + n)
            at += n
        else:
            at += n
    keep(at, total)
    return out


def char_delta(delta: list[dict], old: str) -> list[tuple[str, int]]:
    """pycrdt's delta (retain and delete counted in UTF-8 bytes of the old text) in characters."""
    ascii_only = old.isascii()
    raw = b"" if ascii_only else old.encode()
    at = 0
    out = []
    for op in delta:
        if "insert" in op:
            value = op["insert"]
            if isinstance(value, str):
                out.append(("insert", len(value)))
            continue
        kind = "retain" if "retain" in op else "delete" if "delete" in op else None
        if kind is None:
            continue
        size = int(op[kind])
        chars = size if ascii_only else len(raw[at:at + size].decode("utf-8", errors="ignore"))
        at += size
        out.append((kind, chars))
    return out


def diff_delta(old: str, new: str) -> list[tuple[str, int]]:
    """A delta in characters from a text diff (when pycrdt gave none: a text made anew)."""
    names = {0: "retain", -1: "delete", 1: "insert"}
    return [(names[op], len(chunk)) for op, chunk in _DMP.diff_main(old, new, False)]


def pieces(text: str, runs) -> list[tuple[str, int | None]]:
    """The text cut into (part, user id) by its runs (fitted to the text first)."""
    out, at = [], 0
    for length, user in fitted(runs, len(text)):
        out.append((text[at:at + length], user))
        at += length
    return out


# --- watching an update being applied -----------------------------------------------------------------

@dataclass
class Seen:
    """What one applied update changed: byte deltas per box, and boxes whose text was made anew."""

    deltas: dict[str, list[dict]] = field(default_factory=dict)
    anew: set[str] = field(default_factory=set)  # box keys, or "stage-<key>-*" for a whole stage
    only_typing: bool = True  # nothing but text typed into boxes (no key of any map set or removed)

    def made_anew(self, box: str) -> bool:
        if box in self.anew:
            return True
        for prefix in ("stage-", "prediction-"):
            if box.startswith(prefix):
                stage = box[len(prefix):].rpartition("-")[0]
                return f"stage-{stage}-*" in self.anew or (
                    prefix == "prediction-" and f"prediction-{stage}-*" in self.anew)
        return False


class watch:
    """`with watch(doc) as seen: doc.apply_update(data)`: collects what the update changed. The document
    is observed once, for as long as it lives (subscribing anew for each update cost more than the
    rest of reading it); what it reports outside such a block is not collected."""

    def __init__(self, doc: Doc):
        self.doc, self.seen = doc, Seen()

    def __enter__(self) -> Seen:
        watcher = getattr(self.doc, "_lsweb_watcher", None)
        if watcher is None:
            watcher = self.doc._lsweb_watcher = _Watcher(self.doc)
        watcher.seen = self.seen
        return self.seen

    def __exit__(self, *exc) -> None:
        self.doc._lsweb_watcher.seen = None


class _Watcher:
    def __init__(self, doc: Doc):
        self.seen: Seen | None = None
        self._subs = []
        for root in ("texts", "stages", "observers", "details"):
            shared = doc.get(root, type=Map)
            self._subs.append(shared.observe_deep(self._noting(root)))

    def _noting(self, root: str):
        def note(events) -> None:  # (pycrdt passes a second argument to a callback that takes two)
            if self.seen is not None:
                self._note(root, events)
        return note

    def _note(self, root: str, events) -> None:
        try:
            for event in events:
                path = [str(p) for p in event.path]
                box = _box_of(root, path) if isinstance(event.target, Text) else None
                if box is not None:
                    self.seen.deltas[box] = list(event.delta)
                    continue
                self.seen.only_typing = False
                if isinstance(event.target, Map) and root in ("texts", "stages"):
                    for key in event.keys:
                        self._anew(root, path, str(key))
        except Exception:  # noqa: BLE001  (never break an update: the boxes fall back to a diff)
            self.seen.only_typing = False
            log.exception("coedit: could not read an update's changes for attribution")

    def _anew(self, root: str, path: list[str], key: str) -> None:
        if root == "texts" and not path:
            self.seen.anew.add(key)
        elif root == "stages" and not path:
            self.seen.anew.add(f"stage-{key}-*")
        elif root == "stages" and len(path) == 1 and key in shape.STAGE_TEXTS:
            self.seen.anew.add(f"stage-{path[0]}-{key}")
        elif root == "stages" and len(path) == 1 and key == "predictions":
            self.seen.anew.add(f"prediction-{path[0]}-*")
        elif root == "stages" and len(path) == 2 and path[1] == "predictions":
            self.seen.anew.add(f"prediction-{path[0]}-{key}")


def _box_of(root: str, path: list[str]) -> str | None:
    if root == "texts" and len(path) == 1:
        return path[0]
    if root == "stages" and len(path) == 2 and path[1] in shape.STAGE_TEXTS:
        return f"stage-{path[0]}-{path[1]}"
    if root == "stages" and len(path) == 3 and path[1] == "predictions":
        return f"prediction-{path[0]}-{path[2]}"
    return None


# --- the runs kept in memory -----------------------------------------------------------------------

@dataclass
class Pending:
    """Runs written in the open transaction: kept on the document's cached entry once it commits."""

    entry: object  # store.Entry
    seq: int
    boxes: dict[str, list]


def remember(pending: Pending | None) -> None:
    if pending is not None:
        pending.entry.authors, pending.entry.authors_seq = pending.boxes, pending.seq


# --- recording an update ---------------------------------------------------------------------------

def record(name: str, entry, seq: int, seen: Seen | None, old_view: shape.DocView, new_view: shape.DocView,
           user_id: int | None) -> Pending | None:
    """Write the runs of every box that `seq` changed (entry.seq: the update before it). Call before
    the update's commit, then `remember` the answer after it."""
    old, new = old_view.boxes(), new_view.boxes()
    seen = seen or Seen()
    changed = [box for box, text in new.items()
               if old.get(box, "") != text or (text and seen.anew and seen.made_anew(box))]
    boxes = dict(entry.authors) if entry.authors_seq == entry.seq else {}
    if not changed:
        return Pending(entry, seq, boxes) if boxes else None
    missing = [box for box in changed if box not in boxes or sum(n for n, _ in boxes[box]) != len(old.get(box, ""))]
    stored = _load(name, missing) if missing else {}
    for box in missing:
        boxes.pop(box, None)
        if box in stored:
            boxes[box] = stored[box]
    for box in changed:
        before, after = old.get(box, ""), new[box]
        if seen.made_anew(box):
            runs = [[len(after), user_id]] if after else []
        else:
            runs = _changed_runs(box, boxes.get(box), before, after, seen.deltas.get(box), user_id)
        if runs or box in boxes:
            _write(name, box, runs, seq, exists=box in boxes)
            boxes[box] = runs
    return Pending(entry, seq, boxes)


def _changed_runs(box: str, runs, before: str, after: str, delta, user_id) -> list:
    if runs is None:  # never recorded: what was there is from before authors were kept
        runs = [[len(before), None]] if before else []
    elif sum(n for n, _ in runs) != len(before):
        log.info("coedit: the authors of %s did not match its text: its earlier text is nobody's", box)
        runs = fitted(runs, len(before))
    result = follow(runs, char_delta(delta, before), user_id) if delta is not None else None
    if result is None or sum(n for n, _ in result) != len(after):
        result = follow(runs, diff_delta(before, after), user_id)
    return result if sum(n for n, _ in result) == len(after) else fitted(result, len(after))


def _load(name: str, boxes: list[str]) -> dict[str, list]:
    deferred.write_now(db.session)  # (runs this transaction holds back: none are read stale)
    rows = db.session.execute(db.select(CoeditAttribution.box, CoeditAttribution.runs).where(
        CoeditAttribution.doc == name, CoeditAttribution.box.in_(boxes)))
    return {box: _parse(runs) for box, runs in rows}


def _parse(value: str) -> list:
    try:
        runs = json.loads(value)
        return [[int(n), None if u is None else int(u)] for n, u in runs]
    except (TypeError, ValueError):
        return [[10**9, None]]  # unreadable: fits no text, so it is refitted to nobody


def _write(name: str, box: str, runs: list, seq: int, exists: bool) -> None:
    """The box's runs, written once at the commit however often a batch of updates changed them
    (deferred.py). Plain SQL on the session's connection (the ORM holds no runs in this transaction)."""
    deferred.later(db.session, ("coedit_attribution", name, box),
                   partial(_write_now, name, box, runs, seq, exists))


def _write_now(name: str, box: str, runs: list, seq: int, exists: bool, connection) -> None:
    value = json.dumps(runs, separators=(",", ":"))  # (runs are never changed in place: see follow)
    table = CoeditAttribution.__table__
    if exists:
        done = connection.execute(table.update().where(table.c.doc == name, table.c.box == box)
                                  .values(runs=value, seq=seq))
        if done.rowcount:
            return
    connection.execute(table.insert().values(doc=name, box=box, runs=value, seq=seq))


# --- reading ---------------------------------------------------------------------------------------

def authors(name: str, view: shape.DocView) -> dict[str, list[tuple[str, int | None]]]:
    """Every box of the view with text, cut into (part, user id) by who wrote it."""
    stored = {box: _parse(runs) for box, runs in db.session.execute(
        db.select(CoeditAttribution.box, CoeditAttribution.runs).where(CoeditAttribution.doc == name))}
    return {box: pieces(text, stored.get(box, [[len(text), None]]))
            for box, text in view.boxes().items() if text}
