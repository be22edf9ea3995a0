"""The kinds of co-edited document (a plan, a cycle summary, a lesson's pupil interviews) and what ties each to the database: who may edit it (like its
page), how it is first built from the stored text, which parts the server creates, the limits, and
the derived view (the plain text written where print, exports, search and dashboards read it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date as Date, datetime, time as Time

from werkzeug.exceptions import NotFound

from ..inputs import parse_id
from ..extensions import db
from ..models import (CasePupil, Cycle, CycleStatus, CycleSummary, LessonStatus, ObserverAssignment, PlanField,
                      PlanStage, ResearchLesson, SummaryField, User)
from ..permissions import has_signed_current, is_member
from . import interviews, shape
from .boxes import PlanBoxes

PLAN_TEXTS = ("aspect", "intentions", "criteria", "resources", "interview")
SUMMARY_TEXTS = ("learning", "teaching", "changes")
SUMMARY_MAX = 8_000
_NAME = re.compile(r"(plan|summary|interviews)-(\d{1,12})\Z")


class Locked(Exception):
    """The document may be read but not changed (a taught lesson, a closed cycle)."""


@dataclass
class Target:
    """One document and the rows it belongs to, loaded for one request."""

    name: str
    kind: str  # plan | summary | interviews
    cycle: Cycle
    lesson: ResearchLesson | None = None
    summary: CycleSummary | None = None

    @property
    def channel(self) -> str:
        return f"summary-{self.cycle.id}" if self.kind == "summary" else f"lesson-{self.lesson.id}"

    @property
    def pupils(self) -> list[CasePupil]:
        return list(self.cycle.pupils)

    def text_keys(self) -> list[str]:
        if self.kind == "plan":
            return list(PLAN_TEXTS) + [f"pupil-{p.id}-criterion" for p in self.pupils]
        if self.kind == "interviews":
            return interviews.text_keys([p.id for p in self.pupils])
        return list(SUMMARY_TEXTS) + [f"pupil-{p.id}-progress" for p in self.pupils]

    def member_ids(self) -> set[int]:
        return {m.user_id for m in self.cycle.group.current_members}

    @property
    def locked(self) -> bool:
        if self.cycle.status is CycleStatus.CLOSED:
            return True
        return self.kind == "plan" and self.lesson.status is not LessonStatus.PLANNED

    @property
    def locked_message(self) -> str:
        if self.kind == "plan":
            return "This plan is locked: the lesson has been taught or the cycle is closed."
        return f"Cycle {self.cycle.number} is closed: what it recorded is kept as it is."


def target(name: str, user: User) -> Target:
    """The document `name` for a signed member of its group; NotFound for anyone else (and for a name
    that is no document)."""
    match = _NAME.match(name)
    if match is None:
        raise NotFound()
    kind, ident = match[1], int(match[2])
    if kind in ("plan", "interviews"):
        lesson = db.session.get(ResearchLesson, ident)
        if lesson is None:
            raise NotFound()
        found = Target(name, kind, lesson.cycle, lesson=lesson)
    else:
        cycle = db.session.get(Cycle, ident)
        if cycle is None:
            raise NotFound()
        found = Target(name, kind, cycle)
    group = found.cycle.group
    if not (user.is_authenticated and is_member(user, group) and has_signed_current(user, group)):
        raise NotFound()
    return found


def name_of_plan(lesson: ResearchLesson) -> str:
    return f"plan-{lesson.id}"


def name_of_summary(cycle: Cycle) -> str:
    return f"summary-{cycle.id}"


# --- building a document from the stored text ------------------------------------------------------

def initial(t: Target) -> dict:
    """What `shape.build` needs to make the document hold exactly the stored text."""
    if t.kind == "interviews":
        return interviews.initial(t.lesson, [p.id for p in t.pupils])
    if t.kind == "summary":
        summary = _summary(t, create=False)
        stored = {} if summary is None else {f.key: f.text for f in db.session.scalars(
            db.select(SummaryField).where(SummaryField.summary_id == summary.id))}
        return {"texts": {key: stored.get(key, "") for key in t.text_keys()}}
    lesson = t.lesson
    fields = {f.key: f.text for f in db.session.scalars(db.select(PlanField).where(PlanField.lesson_id == lesson.id))}
    stages = []
    for stage in sorted(lesson.stages, key=lambda s: (s.removed_at is not None, s.position, s.id)):
        stage.key = stage.key or f"s{stage.id}"
        stages.append({"key": stage.key, "pos": float(len(stages) + 1), "removed": stage.removed_at is not None,
                       "texts": {part: fields.get(f"stage-{stage.id}-{part}", "") for part in shape.STAGE_TEXTS},
                       "predictions": {str(p.id): fields.get(f"prediction-{stage.id}-{p.id}", "") for p in t.pupils}})
    observers = {str(a.pupil_id): a.observer_id for a in db.session.scalars(
        db.select(ObserverAssignment).where(ObserverAssignment.lesson_id == lesson.id,
                                            ObserverAssignment.stage_id.is_(None)))}
    return {"texts": {key: fields.get(key, "") for key in t.text_keys()}, "stages": stages,
            "observers": observers, "details": details_of(lesson)}


def details_of(lesson: ResearchLesson) -> dict:
    return {"date": lesson.date.isoformat() if lesson.date else "",
            "start_time": lesson.start_time.strftime("%H:%M") if lesson.start_time else "",
            "duration_minutes": lesson.duration_minutes or 60, "class_name": lesson.class_name or "",
            "room": lesson.room or "", "teacher_id": lesson.teacher_id}


def _summary(t: Target, create: bool = True) -> CycleSummary | None:
    if t.summary is None:
        t.summary = db.session.scalar(db.select(CycleSummary).where(CycleSummary.cycle_id == t.cycle.id))
        if t.summary is None and create:
            t.summary = CycleSummary(cycle_id=t.cycle.id)
            db.session.add(t.summary)
            db.session.flush()
    return t.summary


# --- limits ----------------------------------------------------------------------------------------

def check(t: Target, view: shape.DocView, old: shape.DocView | None = None) -> None:
    """Refuse a view that breaks a limit. The members (who may teach and observe) are read only when
    the details or the observers changed since `old` (a keystroke changes neither)."""
    allowed = set(t.text_keys())
    for key in view.texts:
        if key not in allowed:
            raise shape.Refused("That part does not exist in this document.", key)
    if t.kind == "summary":
        shape.check(view, max_box=SUMMARY_MAX, labels=lambda key: label(t, key))
        return
    if t.kind == "interviews":
        interviews.check(view, labels=lambda key: interviews.label(t.lesson, key))
        return
    unchanged = old is not None and old.details == view.details and old.observers == view.observers
    members = None if unchanged else t.member_ids()
    shape.check(view, teacher_ids=members, observer_ids=members, labels=lambda key: label(t, key))


def label(t: Target, key: str) -> str:
    names = {"aspect": "Aspect of learning studied", "intentions": "Learning intentions",
             "criteria": "Success criteria", "resources": "Resources", "interview": "Questions for the pupil interviews",
             "learning": "What we learned about these pupils' learning", "teaching": "What we learned about teaching it",
             "changes": "What we will change"}
    if key in names:
        return names[key]
    if key.startswith("stage-"):
        return f"Stage · {key.rsplit('-', 1)[1]}"
    if key.startswith("prediction-"):
        return "Prediction"
    return "This box"


# --- the derived view ------------------------------------------------------------------------------

def derive(t: Target, old: shape.DocView | None, new: shape.DocView, user_id: int | None, now: datetime) -> list[tuple]:
    """Write what changed between two views of the document into the tables the rest of lsweb reads.
    Returns the changes as (part, kind, before, after) for the history."""
    if t.kind == "summary":
        return _derive_summary(t, old, new, user_id, now)
    if t.kind == "interviews":
        return interviews.derive(t.lesson, old, new, user_id, now)
    return _derive_plan(t, old, new, user_id, now)


def _derive_summary(t, old, new, user_id, now) -> list[tuple]:
    before = old.texts if old else {}
    changed = {k: v for k, v in new.texts.items() if before.get(k) != v}
    if not changed:
        return []
    summary = _summary(t)
    rows = {f.key: f for f in db.session.scalars(db.select(SummaryField).where(
        SummaryField.summary_id == summary.id, SummaryField.key.in_(list(changed))))}
    out = []
    for key, text in changed.items():
        row = rows.get(key)
        if row is None:
            row = SummaryField(summary_id=summary.id, key=key, text="")
            db.session.add(row)
        if row.text != text:
            out.append((key, "text", row.text, text))
            row.text, row.updated_at, row.updated_by_id = text, now, user_id
    return out


def _derive_plan(t, old, new, user_id, now) -> list[tuple]:
    """The plan's rows; when its date, time, room, teacher or observers changed, the e-mails about it."""
    from ..planning import notices

    calendar = old is not None and user_id is not None and (new.observers != old.observers
                                                             or new.details != old.details)
    before = notices.slot_of(t.lesson) if calendar else None
    out = _derive_plan_rows(t, old, new, user_id, now)
    if before is not None:
        notices.tell_change(db.session.get(User, user_id), t.lesson, before)
    return out


def _derive_plan_rows(t, old, new, user_id, now) -> list[tuple]:
    if old is not None and _same_stages(old, new):
        return _derive_plan_edits(t, old, new, user_id, now)
    lesson = t.lesson
    out: list[tuple] = []
    pupil_ids = {str(p.id) for p in t.pupils}
    stages = {s.key or f"s{s.id}": s for s in lesson.stages}
    old_stages = {s.key: s for s in old.stages} if old else {}
    current = [s for s in new.stages if not s.removed]
    for view in new.stages:
        row = stages.get(view.key)
        if row is None:
            row = PlanStage(lesson_id=lesson.id, key=view.key, position=len(current) + 1, created_at=now)
            db.session.add(row)
            lesson.stages.append(row)
            stages[view.key] = row
            out.append((f"stage-{view.key}", "stage", "", "added"))
        row.key = view.key
        if view.removed and row.removed_at is None:
            row.removed_at, row.removed_by_id = now, user_id
            out.append((f"stage-{view.key}", "stage", "", "removed"))
        elif not view.removed and row.removed_at is not None:
            row.removed_at, row.removed_by_id = None, None
            out.append((f"stage-{view.key}", "stage", "removed", "brought back"))
        if not view.removed:
            position = current.index(view) + 1
            if row.position != position:
                if view.key in old_stages:
                    out.append((f"stage-{view.key}", "stage", f"position {row.position}", f"position {position}"))
                row.position = position
    db.session.flush()
    boxes = PlanBoxes()
    for key, text in new.texts.items():
        boxes.plan_text(key, text)
    for view in new.stages:
        boxes.stage(stages[view.key], view.texts, view.predictions, pupil_ids)
    boxes.write(lesson, user_id, now, out, every=True)
    _derive_observers(t, new, user_id, out)
    _derive_details(lesson, new.details, out)
    return out


def _same_stages(old: shape.DocView, new: shape.DocView) -> bool:
    return [(s.key, s.pos, s.removed) for s in old.stages] == [(s.key, s.pos, s.removed) for s in new.stages]


def _derive_plan_edits(t, old, new, user_id, now) -> list[tuple]:
    """The usual case, a few keystrokes: the stages are as they were, so only the boxes whose text
    changed (and the observers or details, when they changed) are read and written."""
    lesson = t.lesson
    out: list[tuple] = []
    boxes = PlanBoxes()
    for key, text in new.texts.items():
        if old.texts.get(key) != text:
            boxes.plan_text(key, text)
    before = {s.key: s for s in old.stages}
    edited = [(view, before[view.key]) for view in new.stages
              if view.texts != before[view.key].texts or view.predictions != before[view.key].predictions]
    if edited:
        pupil_ids = {str(p.id) for p in t.pupils}
        stages = {s.key or f"s{s.id}": s for s in lesson.stages}
        for view, was in edited:
            boxes.stage(stages[view.key], {p: x for p, x in view.texts.items() if was.texts.get(p) != x},
                        {p: x for p, x in view.predictions.items() if was.predictions.get(p) != x}, pupil_ids)
    boxes.write(lesson, user_id, now, out, every=False)
    if new.observers != old.observers:
        _derive_observers(t, new, user_id, out)
    if new.details != old.details:
        _derive_details(lesson, new.details, out)
    return out


def _derive_observers(t, new, user_id, out) -> None:
    lesson = t.lesson
    found = {a.pupil_id: a for a in db.session.scalars(db.select(ObserverAssignment).where(
        ObserverAssignment.lesson_id == lesson.id, ObserverAssignment.stage_id.is_(None)))}
    valid = {p.id for p in t.pupils}
    for pupil, observer in new.observers.items():
        if parse_id(pupil) not in valid:
            continue
        existing = found.get(parse_id(pupil))
        before = existing.observer_id if existing else None
        if before == observer:
            continue
        out.append((f"observer-{pupil}", "observer", _name(before), _name(observer)))
        if observer is None:
            db.session.delete(existing)
        elif existing is not None:
            existing.observer_id = observer
        else:
            db.session.add(ObserverAssignment(lesson_id=lesson.id, pupil_id=int(pupil), stage_id=None,
                                              observer_id=observer))


def _name(user_id: int | None) -> str:
    user = db.session.get(User, user_id) if user_id is not None else None
    return user.display_name if user is not None else ""


def _derive_details(lesson: ResearchLesson, details: dict, out: list) -> None:
    if not details:
        return
    date = details.get("date") or None
    start = details.get("start_time") or None
    values = {"date": Date.fromisoformat(date) if date else None,
              "start_time": Time.fromisoformat(start) if start else None,
              "duration_minutes": int(details["duration_minutes"]) if details.get("duration_minutes") else 60,
              "class_name": details.get("class_name") or "", "room": details.get("room") or "",
              "teacher_id": int(details["teacher_id"]) if details.get("teacher_id") is not None else None}
    changed = False
    for key, value in values.items():
        if getattr(lesson, key) != value:
            shown = (_name(getattr(lesson, key)), _name(value)) if key == "teacher_id" else (
                str(getattr(lesson, key) or ""), str(value or ""))
            out.append((key, "detail", *shown))
            setattr(lesson, key, value)
            changed = True
    if changed:  # calendars see a new SEQUENCE (the feed and the e-mailed .ics)
        lesson.details_version += 1
