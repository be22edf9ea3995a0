"""Saving a case pupil's interview answers from the form (no JavaScript, or a tool): each submitted
answer becomes a change to the interviews document against the text the form was rendered from, so an
answer another recorder typed meanwhile is kept, never overwritten (with JavaScript the page types into
the document directly, letter by letter)."""

from __future__ import annotations

from flask import url_for

from ..coedit import documents, edits, interviews as interview_doc, shape, store
from ..errors import DomainError
from ..extensions import db
from ..inputs import ascii_int
from ..models import CasePupil, ResearchLesson, User
from .interviews import MAX_ANSWER, questions
from .rules import require_recorder


def page_of(lesson: ResearchLesson) -> dict:
    """What the interviews page needs to join the document: its name, endpoints and version."""
    name = interview_doc.name_of(lesson)
    return {"coedit_doc": name, "coedit_seq": store.last_seq(name) or 0,
            "coedit_sync": url_for("coedit.sync", doc=name), "coedit_update": url_for("coedit.update", doc=name),
            "coedit_awareness": url_for("coedit.awareness_update", doc=name)}


def save_answers(user: User, lesson: ResearchLesson, pupil: CasePupil, answers: list[str],
                 rendered_seq: str | None = None) -> None:
    """Record the pupil's words, one answer per question (in the order of `questions(lesson)`), as
    changes against the document at `rendered_seq` (the form's version; None: as it is now)."""
    require_recorder(user, lesson)
    rendered = ascii_int(rendered_seq) if rendered_seq else None
    if rendered_seq and rendered is None:  # never read as 0: the change would add the text again
        raise DomainError("This page is out of date (the version it was made from cannot be read): "
                          "your words are kept below; save again.")
    if pupil.cycle_id != lesson.cycle_id:
        raise DomainError("That pupil is not a case pupil of this cycle.")
    if any(len(answer or "") > MAX_ANSWER for answer in answers):
        raise DomainError(f"An answer has at most {MAX_ANSWER:,} characters.")
    asked = questions(lesson)
    texts = {interview_doc.box(pupil.id, position): (answers[position] if position < len(answers) else "") or ""
             for position in range(len(asked))}
    target = documents.target(interview_doc.name_of(lesson), user)
    try:
        edits.edit_texts(target, user.id, texts, rendered)
    except shape.Refused as refused:
        db.session.rollback()
        raise DomainError(refused.message) from None
    except documents.Locked:
        db.session.rollback()
        raise DomainError(target.locked_message) from None
