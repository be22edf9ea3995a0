"""Predicted against observed: every observer's notes merged into one grid of stages by case pupils,
and the discussion agenda (the stages where what happened differed most from the plan come first).

The board puts the grid at its head:

    {% with grid = grid %}{% include "lessonday/_grid.html" %}{% endwith %}   # grid = grid_context(lesson)
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from flask import render_template
from jinja2_fragments.flask import render_block
from markupsafe import Markup

from .. import fragments
from ..extensions import db
from ..models import NoteKind, Observation, PlanStage, Rating, ResearchLesson
from .observation import notes_of, predictions, stage_texts

# How far a rating is from the prediction, for ordering the agenda.
DIFFERENCE = {Rating.AS_PREDICTED: 0, Rating.BETTER: 2, Rating.LESS_WELL: 2, Rating.NOT_SEEN: 1}


@dataclass
class Cell:
    prediction: str = ""
    notes: list[Observation] = field(default_factory=list)

    @property
    def ratings(self) -> Counter:
        return Counter(note.rating for note in self.notes if note.rating is not None)


@dataclass
class StageRow:
    stage: PlanStage
    title: str
    removed: bool
    cells: list[Cell]
    incidents: list[Observation]

    @property
    def difference(self) -> int:
        return sum(DIFFERENCE[note.rating] for cell in self.cells for note in cell.notes if note.rating)


@dataclass
class Grid:
    lesson: ResearchLesson
    pupils: list
    rows: list[StageRow]
    class_notes: list[Observation]   # patterns across the class, and incidents not tied to a stage
    observers: list


def grid_context(lesson: ResearchLesson) -> Grid:
    pupils = list(lesson.cycle.pupils)
    predicted = predictions(lesson)
    titles = stage_texts(lesson)
    notes = notes_of(lesson)
    # Current stages in order; removed stages follow when someone noted something in them.
    noted_stages = {note.stage_id for note in notes if note.stage_id}
    stages = lesson.current_stages + [s for s in lesson.stages if s.removed_at is not None and s.id in noted_stages]
    rows = []
    for stage in stages:
        cells = []
        for pupil in pupils:
            cells.append(Cell(prediction=predicted.get((stage.id, pupil.id), ""),
                              notes=[n for n in notes if n.kind is NoteKind.NOTE and n.stage_id == stage.id
                                     and n.pupil_id == pupil.id]))
        incidents = [n for n in notes if n.kind is NoteKind.INCIDENT and n.stage_id == stage.id]
        first_line = (titles.get(stage.id) or "").strip().splitlines()
        rows.append(StageRow(stage=stage, title=first_line[0][:120] if first_line else "",
                             removed=stage.removed_at is not None, cells=cells, incidents=incidents))
    class_notes = [n for n in notes if n.kind is NoteKind.PATTERN
                   or (n.kind is NoteKind.INCIDENT and n.stage_id is None)]
    observers = sorted({n.observer for n in notes}, key=lambda u: u.display_name)
    return Grid(lesson=lesson, pupils=pupils, rows=rows, class_notes=class_notes, observers=observers)


def agenda(lesson: ResearchLesson, grid: Grid | None = None) -> list[StageRow]:
    """The stages, biggest differences from the predictions first (the plan's order among equals)."""
    grid = grid or grid_context(lesson)
    return sorted(grid.rows, key=lambda row: (-row.difference, row.removed, row.stage.position))


def notes_stamp(lesson: ResearchLesson) -> tuple:
    """What changes whenever a note of the lesson is added, changed or removed (one small query)."""
    return tuple(db.session.execute(db.select(db.func.count(Observation.id), db.func.max(Observation.id),
                                              db.func.max(Observation.updated_at))
                                    .where(Observation.lesson_id == lesson.id)).one())


def agenda_summary(rows: list[StageRow]) -> str:
    differing = [row for row in rows if row.difference][:3]
    if not differing:
        return "each case pupil, then the stages in the plan's order (no differences noted yet)."
    stages = ", ".join(f"stage {row.stage.position}" for row in differing)
    return f"each case pupil, then {stages}: the stages that differed most from the plan."


def grid_html(lesson: ResearchLesson, template: str | None = None, block: str | None = None) -> tuple[Markup, str]:
    """The grid (and the agenda: `block` of `template`, else lessonday/_grid.html alone) rendered once per
    version of what it shows: the plan (its stamp covers stages, predictions, pupils and members' names)
    and the notes. Returns (HTML, the agenda in one line)."""
    key = (lesson.id, lesson.plan_stamp, notes_stamp(lesson), template, block)

    def render() -> fragments.Fragment:
        the_grid = grid_context(lesson)
        rows = agenda(lesson, the_grid)
        if template is None:
            html = render_template("lessonday/_grid.html", grid=the_grid)
        else:
            html = render_block(template, block, grid=the_grid, agenda=rows, lesson=lesson)
        return fragments.Fragment(html, facts=agenda_summary(rows))

    fragment = fragments.cache("grids", 8 * 1024 * 1024).get_or_render(key, render)
    return fragment.fill({}), fragment.facts
