"""The "Who wrote what" page of a document: each box with text, in the page's order and by its name,
its current text cut into the parts each person wrote (attribution.py), and the people in it."""

from __future__ import annotations

from dataclasses import dataclass

from pycrdt import Doc

from ..extensions import db
from ..models import User
from . import attribution, documents, interviews, shape, store

EARLIER = "Earlier text (no author recorded)"
STAGE_PARTS = {"time": "Time", "activity": "Activity", "resources": "Resources"}


@dataclass
class Part:
    text: str
    author: str
    colour: str  # a CSS class


@dataclass
class Box:
    key: str
    label: str
    parts: list[Part]
    authors: list[str]  # the people, in the order their parts come (not EARLIER)
    earlier: bool  # some of the text is from before authors were recorded


@dataclass
class Page:
    boxes: list[Box]
    people: list[tuple[str, str]]  # (name, colour class), in the order they first appear


def colour_class(user_id: int | None) -> str:
    """A person is marked in the colour of their caret (shape.colour)."""
    return "who-earlier" if user_id is None else f"who-c{shape.colour_index(user_id)}"


def page(t: documents.Target) -> Page:
    view = _view(t)
    cut = attribution.authors(t.name, view)
    ids = {user for parts in cut.values() for _, user in parts if user is not None}
    names = dict(db.session.execute(db.select(User.id, User.display_name).where(User.id.in_(ids))).all()) if ids else {}
    boxes, people = [], {}
    for key, label in _boxes(t, view):
        if key not in cut:
            continue
        parts = [Part(text, names.get(user, "Former member") if user is not None else EARLIER, colour_class(user))
                 for text, user in cut[key]]
        authors = list(dict.fromkeys(p.author for p in parts))
        for p in parts:
            people.setdefault(p.author, p.colour)
        boxes.append(Box(key, label, parts, [a for a in authors if a != EARLIER], EARLIER in authors))
    return Page(boxes, list(people.items()))


def _view(t: documents.Target) -> shape.DocView:
    """The document's text now; a document nobody has opened yet is its stored text (nothing is stored)."""
    with store.doc_lock(t.name):
        entry = store.load(t.name)
        if entry is not None:
            return entry.view
    doc = Doc()
    shape.build(doc, **documents.initial(t))
    db.session.rollback()  # (building it names new stages in the session: a GET keeps nothing)
    return shape.read(doc)


def _boxes(t: documents.Target, view: shape.DocView) -> list[tuple[str, str]]:
    """(box key, label) in the order of the document's page."""
    order = [str(p.id) for p in t.pupils]
    pupils = {str(p.id): p.label for p in t.pupils}
    out = []
    for key in t.text_keys():
        pupil = key.split("-")[1] if key.startswith(("pupil-", "answer-")) else None
        if t.kind == "interviews":
            label = f"{pupils.get(pupil, 'A pupil')} · {interviews.label(t.lesson, key)}"
        elif key.endswith("-criterion"):
            label = f"Success criterion for {pupils.get(pupil, 'a pupil')}"
        elif key.endswith("-progress"):
            label = f"Progress of {pupils.get(pupil, 'a pupil')}"
        else:
            label = documents.label(t, key)
        out.append((key, label))
    number = 0
    for stage in view.stages:
        if stage.removed:
            continue
        number += 1
        out += [(f"stage-{stage.key}-{part}", f"Stage {number} · {name}") for part, name in STAGE_PARTS.items()]
        out += [(f"prediction-{stage.key}-{p}", f"Stage {number} · How we expect {pupils[p]} to respond")
                for p in order if p in stage.predictions]
    return out
