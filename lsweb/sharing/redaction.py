"""Before a summary leaves the group: list whatever might identify a pupil, for the group to confirm or fix.

Listed: photos of pupils' work taken in the cycle (never published: the group confirms they stay out),
case-pupil labels that look like names (groups/cycles.py looks_like_a_name), and capitalised words of the
summary's texts and linked evidence that might be somebody's name (names.py: letters of every script, judged with
a word-frequency list and a first-name dictionary) and are neither subject terms (ALLOWED, DOMAIN), the case
pupils' pseudonymous labels, nor the group's own focus words. An item is resolved when the group
confirms it (a RedactionDecision) or when the text no longer contains it (fixed in the summary).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..errors import DomainError
from ..extensions import db
from ..groups.cycles import LABEL_WORDS, looks_like_a_name
from ..models import CasePupil, Cycle, CycleSummary, Photo, RedactionDecision, ResearchLesson, User
from . import names
from .summaries import evidence_of, require_editor, summary_of, texts
from .summaries import label as field_label

# School and Lesson Study words a frequency list does not know, and the calendar (the months that are also
# first names, April to August, are judged in context by names.py).
DOMAIN = {
    "ks1", "ks2", "ks3", "ks4", "rl", "rl1", "rl2", "rl3", "eyfs", "reception", "nursery", "monday", "tuesday",
    "wednesday", "thursday", "friday", "saturday", "sunday", "january", "february", "march", "september",
    "october", "november", "december", "term", "powerpoint", "geogebra", "seesaw",
}
# Subject terms that are capitalised in free text without naming anybody.
ALLOWED = {
    "english", "maths", "mathematics", "science", "history", "geography", "art", "music", "computing", "french",
    "spanish", "german", "latin", "re", "pe", "pshe", "rshe", "dt", "design", "technology", "phonics",
    "literacy", "numeracy", "reading", "writing", "spelling", "grammar", "ncetm", "eef", "sen", "send", "senco",
    "eal", "ta", "tas", "lsa", "hlta", "sats", "gcse", "a-level", "ofsted", "dfe", "nc", "cpa", "bar",
    "fraction", "fractions", "numicon", "cuisenaire", "base", "ten", "dienes", "venn", "carroll"
}


@dataclass
class Item:
    key: str
    kind: str           # photo | label | word
    what: str           # what was found
    where: list[str] = field(default_factory=list)
    resolved: bool = False


def _allowed_words(cycle: Cycle) -> set[str]:
    group = cycle.group
    words = DOMAIN | ALLOWED | LABEL_WORDS
    for pupil in cycle.pupils:
        if not looks_like_a_name(pupil.label):
            words.update(names.fold(w) for w in re.findall(r"[^\W\d_]+", pupil.label))
    for text in (group.subject, group.focus_learning, group.focus_approach, group.year_group):
        words.update(names.fold(w) for w in re.findall(r"[^\W\d_]+", text or ""))
    return words


def items(cycle: Cycle, summary: CycleSummary | None = None) -> list[Item]:
    summary = summary or summary_of(cycle)
    decided = set(db.session.scalars(db.select(RedactionDecision.item_key).where(
        RedactionDecision.summary_id == summary.id)))
    found: dict[str, Item] = {}
    lessons = db.session.scalars(db.select(ResearchLesson.id).where(ResearchLesson.cycle_id == cycle.id)).all()
    if lessons:
        consented = db.select(CasePupil.id).where(CasePupil.photo_consent.is_(True))  # withdrawn: hidden
        for photo in db.session.scalars(db.select(Photo).where(Photo.lesson_id.in_(lessons),
                                                               Photo.pupil_id.in_(consented)).order_by(Photo.id)):
            key = f"photo:{photo.id}"
            found[key] = Item(key, "photo", f"Photo of {photo.pupil.label}'s work"
                              + (f" (“{photo.caption}”)" if photo.caption else ""),
                              ["Photos stay in the group: confirm this one is left out of what is published."])
    for pupil in cycle.pupils:
        if looks_like_a_name(pupil.label):
            key = f"label:{pupil.id}"
            found[key] = Item(key, "label", pupil.label, ["A case pupil's label looks like a real name."])
    allowed = _allowed_words(cycle)
    sources = [(field_label(cycle, key), text) for key, text in texts(cycle, summary).items()]
    sources += [(f"Evidence, RL{e.lesson_number}", e.text) for e in evidence_of(summary)]
    lower_elsewhere = names.lowercase_words(text for _, text in sources)
    for where, text in sources:
        for bare in names.suspects(text or "", allowed, lower_elsewhere):
            key = f"word:{bare}"[:160]
            item = found.setdefault(key, Item(key, "word", bare))
            if where not in item.where:
                item.where.append(where)
    for item in found.values():
        item.resolved = item.key in decided
    return sorted(found.values(), key=lambda i: ({"photo": 0, "label": 1, "word": 2}[i.kind], i.what))


def unresolved(cycle: Cycle, summary: CycleSummary | None = None) -> list[Item]:
    return [item for item in items(cycle, summary) if not item.resolved]


def confirm(user: User, cycle: Cycle, keys: list[str]) -> int:
    """The group confirms these listed items identify nobody (or, for photos, stay out). Returns how many."""
    require_editor(user, cycle)
    summary = summary_of(cycle)
    listed = {item.key: item for item in items(cycle, summary)}
    unknown = [key for key in keys if key not in listed]
    if unknown:
        raise DomainError("Some items are no longer listed (the text changed): check the list again.")
    count = 0
    for key in keys:
        if not listed[key].resolved:
            db.session.add(RedactionDecision(summary_id=summary.id, item_key=key, decided_by_id=user.id))
            count += 1
    db.session.commit()
    return count
