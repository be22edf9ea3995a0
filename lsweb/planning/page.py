"""What the plan page shows, gathered in a few queries, and saving the fields a whole-form post carries."""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from typing import Callable

from flask import current_app, render_template, request, url_for
from markupsafe import Markup
from sqlalchemy.orm import joinedload

from ..bounded import BoundedCache
from ..inputs import ascii_int
from ..extensions import db
from ..models import GroupMember, ResearchLesson, User
from . import carry, fields, lessons, observers
from .fields import PLAN_FIELDS, STAGE_PARTS, FieldSpec, box_key
from .forms import DetailsForm

FIELD_PREFIX = "f:"
# The parts of lsweb that belong to a lesson (its lesson day, its discussion board), linked from the plan
# page: functions lesson -> [(label, url)].
def _lesson_day_and_board(lesson) -> list[tuple[str, str]]:
    return [(label, url_for(endpoint, lesson_id=lesson.id)) for label, endpoint in (
        ("Observe (tablet)", "lessonday.observe"), ("Predicted and observed", "lessonday.grid_page"),
        ("Pupil interviews", "lessonday.interviews_page"), ("Cover", "lessonday.cover_page"),
        ("Discussion board", "discussion.board"))]


LESSON_LINKS: list[Callable[[ResearchLesson], list[tuple[str, str]]]] = [_lesson_day_and_board]


def lesson_links(lesson) -> list[SimpleNamespace]:
    return [SimpleNamespace(label=label, url=url) for provider in LESSON_LINKS for label, url in provider(lesson)]


@dataclass(frozen=True)
class LessonHead:
    """What the plan page's frame shows of a lesson (read with the access check, views._ACCESS), so that
    a page whose structure is cached needs no ORM load of the lesson, its cycle and its group."""
    id: int
    number: int
    plan_stamp: int
    group_id: int
    group_name: str
    cycle_number: int

    @property
    def title(self) -> str:
        return f"RL{self.number}"

    @property
    def group(self) -> SimpleNamespace:
        return SimpleNamespace(id=self.group_id, name=self.group_name)

    @property
    def cycle(self) -> SimpleNamespace:
        return SimpleNamespace(number=self.cycle_number, group=self.group)


def frame_urls(lesson) -> SimpleNamespace:
    """The plan page's own links and form addresses (the same for every member), built once per lesson."""
    cache = current_app.extensions.setdefault(URLS_KEY, BoundedCache(URLS_CACHE_BYTES, _urls_size))
    key = (lesson.id, request.script_root)
    urls = cache.get(key)
    if urls is None:
        def at(endpoint: str, **values) -> str:
            return url_for(endpoint, lesson_id=lesson.id, **values)

        urls = SimpleNamespace(
            cycle=url_for("groups.cycle", group_id=lesson.group.id, number=lesson.cycle.number),
            print_sheet=at("planning.print_sheet"), history=at("planning.history"),
            stream=url_for("live.stream", channel=f"lesson-{lesson.id}"),
            save_plan=at("planning.save_plan"), structure=at("planning.structure"),
            sse_js=url_for("static", filename="vendor/htmx-ext-sse-2.2.4.min.js"),
            coedit_js=url_for("static", filename="js/coedit/main.js"), links=lesson_links(lesson),
            coedit_sync=url_for("coedit.sync", doc=f"plan-{lesson.id}"),
            coedit_update=url_for("coedit.update", doc=f"plan-{lesson.id}"),
            coedit_awareness=url_for("coedit.awareness_update", doc=f"plan-{lesson.id}"))
        cache.put(key, urls)
    return urls


def current_members(lesson: ResearchLesson) -> list[GroupMember]:
    """The group's current members with their accounts, in one query."""
    return list(db.session.scalars(db.select(GroupMember).options(joinedload(GroupMember.user)).where(
        GroupMember.group_id == lesson.cycle.group_id, GroupMember.left_at.is_(None)).order_by(GroupMember.id)))


# --- the structure of the plan, rendered once per change -------------------------------------------------
# What the structure region shows is the same for every member (nothing in it depends on who looks), so
# it is rendered once per plan stamp (stamp.py) and kept here; the members' names are part of the key.
# The cache belongs to the application (one database), bounded in bytes.
CACHE_BYTES = 8 * 1024 * 1024
CACHE_KEY = "lsweb.plan_structures"
URLS_KEY, URLS_CACHE_BYTES = "lsweb.plan_urls", 2 * 1024 * 1024


def _urls_size(urls: SimpleNamespace) -> int:
    return sum(len(value) if isinstance(value, str) else 400 for value in vars(urls).values())


def structure_html(head, lesson: Callable[[], ResearchLesson], members: Callable[[], list[GroupMember]]) -> Markup:
    """The structure region's HTML, rendered when the plan's stamp has moved since (members' names are
    part of what the stamp covers, see stamp.py); `lesson` and `members` load them only then."""
    cache = current_app.extensions.setdefault(CACHE_KEY, BoundedCache(CACHE_BYTES))
    return cache.get_or_make((head.id, head.plan_stamp), lambda: Markup(
        render_template("planning/_structure.html", **structure_context(lesson(), members()))))


def page_context(head, lesson: Callable[[], ResearchLesson], members: Callable[[], list[GroupMember]]) -> dict:
    """The plan page: its frame and the cached structure. `head` is a LessonHead or the lesson itself;
    `lesson` loads the lesson only when the structure must be rendered again."""
    return {"lesson": head, "group": head.group, "cycle": head.cycle, "urls_of_plan": frame_urls(head),
            "structure_html": structure_html(head, lesson, members)}


def plan_context(lesson: ResearchLesson, posted: dict | None = None, errors: dict | None = None,
                 members: list[GroupMember] | None = None) -> dict:
    """Everything the plan page and the printed sheet show, rendered afresh. `posted` and `errors` (by
    field key): a refused whole-form post shows what was typed, with the message beside the field."""
    members = members if members is not None else current_members(lesson)
    return {**structure_context(lesson, members, posted, errors), "urls_of_plan": frame_urls(lesson)}


def structure_context(lesson: ResearchLesson, members: list[GroupMember], posted: dict | None = None,
                      errors: dict | None = None) -> dict:
    group, cycle = lesson.group, lesson.cycle
    posted, errors = posted or {}, errors or {}
    stored = fields.fields_of(lesson)

    def cell(key: str, spec: FieldSpec) -> SimpleNamespace:
        field = stored.get(key)
        text = posted[key] if key in posted else (field.text if field else "")
        return SimpleNamespace(key=key, box=box_key(key, spec), label=fields.label(spec), text=text,
                               error=errors.get(key), kind=spec.kind,
                               limit=200 if spec.kind == "stage_time" else fields.MAX_TEXT)

    plan_cells = [cell(key, FieldSpec(key, key)) for key in PLAN_FIELDS]
    pupil_cells = [(pupil, cell(fields.pupil_key(pupil.id), FieldSpec("", "pupil_criterion", pupil=pupil)))
                   for pupil in cycle.pupils]
    stages = [SimpleNamespace(stage=stage, parts=[cell(fields.stage_key(stage.id, part),
                                                       FieldSpec("", f"stage_{part}", stage=stage))
                                                  for part in STAGE_PARTS],
                              predictions=[(pupil, cell(fields.prediction_key(stage.id, pupil.id),
                                                        FieldSpec("", "prediction", stage=stage, pupil=pupil)))
                                           for pupil in cycle.pupils])
              for stage in lesson.current_stages]
    cover = observers.coverage(lesson)
    assigned = observers.assignments(lesson)
    later = db.session.scalar(db.select(ResearchLesson.id).where(
        ResearchLesson.cycle_id == cycle.id, ResearchLesson.number > lesson.number).limit(1))
    from ..coedit import store as coedit_store
    from ..protocol.services import gate_status as lessons_gate

    return {
        "coedit_seq": coedit_store.last_seq(f"plan-{lesson.id}") or 0,
        "still_to_sign": lessons_gate(group)[1],
        "lesson": lesson, "group": group, "cycle": cycle, "pupils": cycle.pupils, "members": members,
        "plan_cells": plan_cells, "pupil_cells": pupil_cells, "stages": stages,
        "removed_stages": lessons.removed_stages(lesson),
        "coverage": cover, "assigned": assigned,
        "observer_names": {p.id: ", ".join(sorted({w.display_name for (pid, _), w in cover.watcher.items()
                                                  if pid == p.id and w is not None})) for p in cycle.pupils},
        "has_stage_overrides": any(stage_id is not None for _, stage_id in assigned),
        "partially_covered": [(p, s) for p, s in cover.uncovered if p not in cover.pupils_without],
        "changes": carry.changes_from_previous(lesson),
        "checklist": carry.checklist(lesson),
        "details_form": DetailsForm(formdata=None, obj=lesson, members=members,
                                    based_on=lesson.details_version,
                                    teacher_id=str(lesson.teacher_id or "")),
        "has_later_lesson": later is not None, "max_stages": 40, "stage_parts": STAGE_PARTS,
    }


class PostedFieldsRefused(Exception):
    """A field of a whole-form post was refused (too long, stale page): nothing of the post is saved."""

    def __init__(self, posted: dict[str, str], errors: dict[str, str]):
        super().__init__("fields refused")
        self.posted, self.errors = posted, errors


def save_posted_fields(user: User, lesson: ResearchLesson, form) -> None:
    """Every "f:<key>" of a form post (the plan without JavaScript) goes into the plan's document as
    changes against the text the form was rendered from ("rendered_seq"), so what others typed since
    stays; all of them or, when one breaks a limit, none (PostedFieldsRefused carries the texts and the
    message). Nothing is stored for a field whose text did not change."""
    posted = {name[len(FIELD_PREFIX):]: fields.clean_text(text) for name, text in form.items()
              if name.startswith(FIELD_PREFIX)}
    if not posted:
        return
    seq_text = form.get("rendered_seq", "")
    rendered = ascii_int(seq_text)
    if seq_text and rendered is None:  # never read as 0: the merge would add the text again
        raise PostedFieldsRefused(posted, {"": "This page is out of date (the version it was made from cannot "
                                               "be read): your texts are kept below; save again."})
    try:
        fields.save_texts(user, lesson, posted, rendered)
    except fields.TextRefused as refused:
        raise PostedFieldsRefused(posted, {refused.field or "": refused.message}) from None
