"""The shape of a co-edited document (pycrdt), independent of the database: how one is built from
texts, how its plain text is read back (the derived view), and the limits an update must keep.

Plan document:  texts (Map: box key -> Text), stages (Map: stage key -> Map{pos, removed, time, activity,
resources: Text, predictions: Map pupil id -> Text}), observers (Map: pupil id -> user id or None),
details (Map: date, start_time, duration_minutes, class_name, room, teacher_id).
Summary document: texts (Map: box key -> Text).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pycrdt import Doc, Map, Text

STAGE_TEXTS = ("time", "activity", "resources")
DETAIL_KEYS = ("date", "start_time", "duration_minutes", "class_name", "room", "teacher_id")
MAX_BOX = 5_000
MAX_TIME = 200
MAX_STAGES = 40
_DATE = re.compile(r"\d{4}-\d\d-\d\d\Z")
_TIME = re.compile(r"([01]\d|2[0-3]):[0-5]\d\Z")


class Refused(Exception):
    """An update that would break a limit: refused whole. `box` is the box key it concerns (or None)."""

    def __init__(self, message: str, box: str | None = None):
        super().__init__(message)
        self.message, self.box = message, box


@dataclass
class StageView:
    key: str
    pos: float
    removed: bool
    texts: dict[str, str]
    predictions: dict[str, str]


@dataclass
class DocView:
    """The plain text of a document: what the rest of lsweb reads."""

    texts: dict[str, str] = field(default_factory=dict)
    stages: list[StageView] = field(default_factory=list)
    observers: dict[str, int | None] = field(default_factory=dict)
    details: dict[str, object] = field(default_factory=dict)

    def boxes(self) -> dict[str, str]:
        """Every box's text by its page box key ("aspect", "stage-<key>-time", "prediction-<key>-<pupil>")."""
        out = dict(self.texts)
        for stage in self.stages:
            for part, text in stage.texts.items():
                out[f"stage-{stage.key}-{part}"] = text
            for pupil, text in stage.predictions.items():
                out[f"prediction-{stage.key}-{pupil}"] = text
        return out


def _text(value: str) -> Text:
    return Text(value or "")


def new_stage(pos: float, texts: dict[str, str] | None = None, predictions: dict[str, str] | None = None,
              removed: bool = False) -> Map:
    texts = texts or {}
    return Map({"pos": float(pos), "removed": bool(removed),
                **{part: _text(texts.get(part, "")) for part in STAGE_TEXTS},
                "predictions": Map({str(p): _text(t) for p, t in (predictions or {}).items()})})


def build(doc: Doc, texts: dict[str, str], stages: list[dict] | None = None,
          observers: dict[str, int | None] | None = None, details: dict | None = None) -> None:
    """Fill an empty document (one transaction). stages: [{"key", "pos", "removed", "texts", "predictions"}]."""
    with doc.transaction(origin="server"):
        box = doc.get("texts", type=Map)
        for key, value in texts.items():
            box[key] = _text(value)
        if stages is not None:
            stage_map = doc.get("stages", type=Map)
            for stage in stages:
                stage_map[stage["key"]] = new_stage(stage["pos"], stage.get("texts"), stage.get("predictions"),
                                                    stage.get("removed", False))
        if observers is not None:
            observer_map = doc.get("observers", type=Map)
            for pupil, user in observers.items():
                observer_map[str(pupil)] = user
        if details is not None:
            detail_map = doc.get("details", type=Map)
            for key in DETAIL_KEYS:
                detail_map[key] = details.get(key)


def ensure_parts(doc: Doc, text_keys: list[str], pupil_ids: list[int] | None = None) -> bool:
    """Create the top-level texts (and every stage's prediction per pupil) that are missing; True when
    anything was created. Only the server does this: two clients creating one key would lose one."""
    box = doc.get("texts", type=Map)
    missing = [key for key in text_keys if key not in box]
    stage_gaps = []
    if pupil_ids is not None:
        for stage in doc.get("stages", type=Map).values():
            predictions = stage.get("predictions") if isinstance(stage, Map) else None
            if isinstance(predictions, Map):
                stage_gaps += [(predictions, str(p)) for p in pupil_ids if str(p) not in predictions]
    if not missing and not stage_gaps:
        return False
    with doc.transaction(origin="server"):
        for key in missing:
            box[key] = Text()
        for predictions, pupil in stage_gaps:
            predictions[pupil] = Text()
    return True


def lacks_parts(view: DocView, text_keys: list[str], pupil_ids: list[int] | None = None) -> bool:
    """Whether ensure_parts may have something to create, read from the document's view (plain Python,
    no walk through the shared types): a keystroke's usual answer is no."""
    if any(key not in view.texts for key in text_keys):
        return True
    if pupil_ids is None:
        return False
    wanted = [str(p) for p in pupil_ids]
    return any(p not in stage.predictions for stage in view.stages for p in wanted)


def _str(value) -> str:
    return str(value) if isinstance(value, Text) else ""


def read(doc: Doc) -> DocView:
    view = DocView()
    for key, value in doc.get("texts", type=Map).items():
        view.texts[key] = _str(value)
    for key, stage in doc.get("stages", type=Map).items():
        if not isinstance(stage, Map):
            continue
        pos = stage.get("pos")
        predictions = stage.get("predictions")
        view.stages.append(StageView(
            key=key, pos=float(pos) if isinstance(pos, (int, float)) else 0.0, removed=stage.get("removed") is True,
            texts={part: _str(stage.get(part)) for part in STAGE_TEXTS},
            predictions={p: _str(t) for p, t in predictions.items()} if isinstance(predictions, Map) else {}))
    view.stages.sort(key=lambda s: (s.pos, s.key))
    for pupil, user in doc.get("observers", type=Map).items():
        view.observers[pupil] = int(user) if isinstance(user, (int, float)) and not isinstance(user, bool) else None
    view.details = dict(doc.get("details", type=Map).items())
    return view


def reread(doc: Doc, old: DocView, boxes) -> DocView | None:
    """The view after an update that only typed into `boxes` (keys as DocView.boxes() names them), reading
    just those from the document; None when one is not where the old view has it (then `read` it all).
    The parts it did not touch are shared with `old` (views are never changed in place)."""
    texts, stages, by_key = None, None, None
    for box in boxes:
        if box in old.texts:
            if texts is None:
                texts, shared = dict(old.texts), doc.get("texts", type=Map)
            texts[box] = _str(shared.get(box))
            continue
        prefix, _, rest = box.partition("-")
        key, _, part = rest.rpartition("-")
        if prefix not in ("stage", "prediction"):
            return None
        if by_key is None:
            stages = list(old.stages)
            by_key = {stage.key: i for i, stage in enumerate(stages)}
            shared_stages = doc.get("stages", type=Map)
        if key not in by_key or key not in shared_stages:
            return None
        stage = shared_stages[key]
        at = by_key[key]
        was = stages[at]
        if prefix == "stage" and part in was.texts and isinstance(stage, Map):
            stages[at] = StageView(was.key, was.pos, was.removed, {**was.texts, part: _str(stage.get(part))},
                                   was.predictions)
        elif prefix == "prediction" and part in was.predictions and isinstance(stage, Map) and isinstance(
                stage.get("predictions"), Map):
            stages[at] = StageView(was.key, was.pos, was.removed, was.texts,
                                   {**was.predictions, part: _str(stage.get("predictions").get(part))})
        else:
            return None
    return DocView(texts=old.texts if texts is None else texts, stages=old.stages if stages is None else stages,
                   observers=old.observers, details=old.details)


def check(view: DocView, max_box: int = MAX_BOX, teacher_ids: set[int] | None = None,
          observer_ids: set[int] | None = None, labels=None) -> None:
    """Raise Refused when the view breaks a limit. `labels(box key) -> name` names the box in the message."""
    name = labels or (lambda key: "This box")
    for key, text in view.boxes().items():
        limit = MAX_TIME if key.endswith("-time") and key.startswith("stage-") else max_box
        if len(text) > limit:
            raise Refused(f"{name(key)}: at most {limit:,} characters ({len(text):,} now). "
                          "Your text is still here: shorten it and it saves.", key)
    if sum(1 for stage in view.stages if not stage.removed) > MAX_STAGES:
        raise Refused(f"A plan has at most {MAX_STAGES} stages: remove one before adding another.", None)
    _check_details(view.details, teacher_ids)
    if observer_ids is not None:
        for pupil, user in view.observers.items():
            if user is not None and user not in observer_ids:
                raise Refused("Observers are members of the group.", f"observer-{pupil}")


def _check_details(details: dict, teacher_ids: set[int] | None) -> None:
    date = details.get("date")
    if date not in (None, "") and not (isinstance(date, str) and _DATE.match(date) and _valid_date(date)):
        raise Refused("The date is a day as YYYY-MM-DD.", "date")
    start = details.get("start_time")
    if start not in (None, "") and not (isinstance(start, str) and _TIME.match(start)):
        raise Refused("The start time is HH:MM.", "start_time")
    duration = details.get("duration_minutes")
    if duration is not None and (isinstance(duration, bool) or not isinstance(duration, (int, float))
                                 or not 5 <= duration <= 600 or duration != int(duration)):
        raise Refused("The length is 5 to 600 minutes.", "duration_minutes")
    for key in ("class_name", "room"):
        value = details.get(key)
        if value is not None and not (isinstance(value, str) and len(value) <= 80):
            raise Refused("At most 80 characters.", key)
    teacher = details.get("teacher_id")
    if teacher is not None and (isinstance(teacher, bool) or not isinstance(teacher, (int, float))
                                or (teacher_ids is not None and int(teacher) not in teacher_ids)):
        raise Refused("The teacher is a member of the group.", "teacher_id")


def _valid_date(value: str) -> bool:
    from datetime import date

    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def state_clients(state: bytes) -> dict[int, int]:
    """Decode a state vector (v1): {client id: clock}."""
    out, pos = {}, 0

    def uint() -> int:
        nonlocal pos
        value, shift = 0, 0
        while True:
            byte = state[pos]
            pos += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                return value

    for _ in range(uint()):
        client = uint()
        out[client] = uint()
    return out


_COLOURS = ("#1b6ac9", "#b4471f", "#2e7d32", "#8e24aa", "#c2185b", "#00796b", "#5d4037", "#3949ab",
            "#ad6800", "#00838f", "#6a1b9a", "#455a64")


def colour_index(user_id: int) -> int:
    """Which of the caret colours is a person's (stable; the who-c<n> classes of lsweb.css match)."""
    return (int(user_id) * 7) % len(_COLOURS)


def colour(user_id: int) -> str:
    """A person's stable caret colour (dark enough for white text on it)."""
    return _COLOURS[colour_index(user_id)]
