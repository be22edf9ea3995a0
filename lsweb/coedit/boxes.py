"""The plan's boxes as the rest of lsweb reads them (plan_field rows), written from a document's view
after each update (documents.derive)."""

from __future__ import annotations

from functools import partial

from sqlalchemy import bindparam

from ..extensions import db
from ..models import PlanField, PlanStage, ResearchLesson
from ..planning import stamp
from . import deferred

_TEXT = ("text", "updated_at", "updated_by_id")
_TABLE = PlanField.__table__


_UPDATE = (_TABLE.update().where(_TABLE.c.id == bindparam("row_id"))
           .values(text=bindparam("new_text"), updated_at=bindparam("now"), updated_by_id=bindparam("by")))


def _update(row_id: int, text: str, now, user_id, connection) -> None:
    connection.execute(_UPDATE, dict(row_id=row_id, new_text=text, now=now, by=user_id))


class PlanBoxes:
    """The plan boxes to write: PlanField key -> (text, kind, stage id, pupil id)."""

    def __init__(self):
        self.wanted: dict[str, tuple[str, str, int | None, int | None]] = {}

    def plan_text(self, key: str, text: str) -> None:
        if key.startswith("pupil-"):
            self.wanted[key] = (text, "pupil_criterion", None, int(key.split("-")[1]))
        else:
            self.wanted[key] = (text, key, None, None)

    def stage(self, stage: PlanStage, texts: dict, predictions: dict, pupil_ids: set[str]) -> None:
        for part, text in texts.items():
            self.wanted[f"stage-{stage.id}-{part}"] = (text, f"stage_{part}", stage.id, None)
        for pupil, text in predictions.items():
            if pupil in pupil_ids:
                self.wanted[f"prediction-{stage.id}-{pupil}"] = (text, "prediction", stage.id, int(pupil))

    def write(self, lesson: ResearchLesson, user_id, now, out: list, every: bool) -> None:
        """Write the wanted texts (with `every`, the lesson's other rows are read too, as the ORM objects
        the full derivation works with); each change is added to `out` as (key, "text", before, after)."""
        if not self.wanted:
            return
        if not every:
            self._write_texts(lesson, user_id, now, out)
            return
        deferred.write_now(db.session)  # the ORM reads the rows as this transaction has them, and
        deferred.known(db.session, "plan_field").clear()  # may change them
        rows = {f.key: f for f in db.session.scalars(db.select(PlanField).where(PlanField.lesson_id == lesson.id))}
        for key, (text, kind, stage_id, pupil_id) in self.wanted.items():
            row = rows.get(key)
            if row is None and not text:
                continue
            if row is None:
                row = self._add(lesson, key, kind, stage_id, pupil_id)
            if row.text != text:
                out.append((key, "text", row.text, text))
                row.text, row.updated_at, row.updated_by_id = text, now, user_id

    def _write_texts(self, lesson: ResearchLesson, user_id, now, out: list) -> None:
        """A keystroke's case, a box or two: the rows' ids and texts are read once a transaction (in plain
        SQL) and each changed row is written once, at the commit, with its last text (deferred.py): a
        batch of keystrokes into one box is one UPDATE. What the ORM holds of these rows is expired, and
        the plan's stamp is marked due, as a flush of them would have done."""
        session = db.session
        texts = deferred.known(session, "plan_field")  # (lesson id, key) -> [row id, text] in this transaction
        unread = [key for key in self.wanted if (lesson.id, key) not in texts]
        if unread:
            session.flush()  # a row an earlier update of this transaction added through the ORM
            for row_id, key, text in session.connection().execute(
                    db.select(_TABLE.c.id, _TABLE.c.key, _TABLE.c.text)
                    .where(_TABLE.c.lesson_id == lesson.id, _TABLE.c.key.in_(unread))):
                texts[(lesson.id, key)] = [row_id, text]
        changed: set[int] = set()
        for key, (text, kind, stage_id, pupil_id) in self.wanted.items():
            row = texts.get((lesson.id, key))
            if row is None:
                if text:  # (a new row goes through the ORM, whose flush marks the stamp itself)
                    self._add(lesson, key, kind, stage_id, pupil_id).text = text
                    out.append((key, "text", "", text))
                continue
            row_id, before = row
            if before != text:
                out.append((key, "text", before, text))
                row[1] = text
                deferred.later(session, ("plan_field", row_id), partial(_update, row_id, text, now, user_id))
                changed.add(row_id)
        if changed:
            for held in list(session.identity_map.values()):
                if isinstance(held, PlanField) and held.id in changed:
                    session.expire(held, _TEXT)
            stamp.note_due(session, {lesson.cycle_id})

    @staticmethod
    def _add(lesson, key, kind, stage_id, pupil_id) -> PlanField:
        row = PlanField(lesson_id=lesson.id, key=key, kind=kind, stage_id=stage_id, pupil_id=pupil_id, text="")
        db.session.add(row)
        return row
