"""Publishing a cycle's summary to the school or the whole network, as a snapshot.

The snapshot (Publication.content, JSON) is taken from the summary at the moment of publishing; the
raw observations and discussion never go into it (only the evidence the group linked and checked), and
later edits of the summary change nothing in it until the group publishes again.
"""

from __future__ import annotations

import json
import re
from datetime import datetime

from .. import audit
from ..errors import DomainError, NotAllowed
from ..extensions import db
from ..models import Cycle, Publication, User
from ..models.base import utcnow
from ..permissions import has_signed_current, is_facilitator
from . import redaction, search
from .summaries import (
    EVIDENCE_KINDS,
    SECTIONS,
    evidence_of,
    progress_key,
    summary_of,
    texts,
)

SCOPES = {"school": "Our school", "network": "The whole network"}
PHASES = {"early_years": "Early years", "primary": "Primary", "secondary": "Secondary", "post16": "Post-16"}


class RedactionPending(DomainError):
    def __init__(self, items):
        super().__init__(f"{len(items)} item(s) that might identify a pupil are not checked yet: confirm or "
                         "fix each of them first.")
        self.items = items


def phase_of(year_group: str) -> str:
    text = (year_group or "").lower()
    if "reception" in text or "nursery" in text or "eyfs" in text:
        return "early_years"
    number = re.search(r"\d+", text)
    if number:
        year = int(number[0])
        return "primary" if year <= 6 else "secondary" if year <= 11 else "post16"
    return ""


def school_year(when: datetime) -> str:
    start = when.year if when.month >= 9 else when.year - 1
    return f"{start}-{(start + 1) % 100:02d}"


def snapshot(cycle: Cycle) -> dict:
    """What would be published now (also what the group's own exports print)."""
    group = cycle.group
    summary = summary_of(cycle)
    written = texts(cycle, summary)
    return {
        "title": f"{group.name}: cycle {cycle.number}",
        "school": group.school.name if group.school else "",
        "focus_sentence": group.focus_sentence,
        "subject": group.subject, "year_group": group.year_group,
        "focus": group.focus_learning, "approach": group.focus_approach,
        "sections": [{"key": key, "heading": heading, "text": written[key]} for key, heading in SECTIONS.items()],
        "pupils": [{"label": p.label, "represents": p.represents, "progress": written[progress_key(p.id)]}
                   for p in cycle.pupils],
        "evidence": [{"kind": EVIDENCE_KINDS[e.kind], "lesson": e.lesson_number, "text": e.text}
                     for e in evidence_of(summary)],
    }


def is_empty(content: dict) -> bool:
    return not any(s["text"].strip() for s in content["sections"]) and \
        not any(p["progress"].strip() for p in content["pupils"]) and not content["evidence"]


def publication_of(cycle: Cycle) -> Publication | None:
    return db.session.scalar(db.select(Publication).where(Publication.cycle_id == cycle.id))


def publish(user: User, cycle: Cycle, scope: str, phase: str = "", now: datetime | None = None) -> Publication:
    group = cycle.group
    if not is_facilitator(user, group) or not has_signed_current(user, group):
        raise NotAllowed("The facilitator publishes the summary, when the group has decided to share it.")
    if scope not in SCOPES:
        raise DomainError("Choose who may read it: your school or the whole network.", "scope")
    if phase and phase not in PHASES:
        raise DomainError("Choose a phase from the list.", "phase")
    content = snapshot(cycle)
    if is_empty(content):
        raise DomainError("The summary is empty: write what the group learned before publishing it.")
    pending = redaction.unresolved(cycle)
    if pending:
        raise RedactionPending(pending)
    now = now or utcnow()
    publication = publication_of(cycle)
    if publication is None:
        publication = Publication(cycle_id=cycle.id, group_id=group.id, school_id=group.school_id, version=0)
        db.session.add(publication)
    publication.version = (publication.version or 0) + 1
    publication.scope, publication.title = scope, content["title"][:200]
    publication.subject, publication.year_group = group.subject, group.year_group
    publication.phase = phase or phase_of(group.year_group)
    publication.focus, publication.approach = group.focus_learning, group.focus_approach
    publication.school_year = school_year(cycle.created_at or now)
    publication.content = json.dumps(content)
    publication.search_text = search.document(content)
    publication.published_by_id, publication.published_at, publication.withdrawn_at = user.id, now, None
    db.session.flush()
    search.index(publication)
    audit.record(user, "summary.published", target=group.name,
                 details=f"cycle {cycle.number} to {SCOPES[scope].lower()} (v{publication.version})",
                 school_id=group.school_id)
    if publication.version == 1:
        _tell_school(user, group, publication)
    db.session.commit()
    return publication


def _tell_school(user: User, group, publication: Publication) -> None:
    """Its first publication: an e-mail to the staff of the group's school (the title, never its text)."""
    from ..mail import absolute_url
    from ..mail.notify import notify
    from ..models import School

    school = db.session.get(School, group.school_id)
    staff = db.session.scalars(db.select(User).where(User.school_id == school.id, User.active.is_(True))
                               .order_by(User.id))
    notify("study_published", staff, user, f"A study is published: {publication.title}", school,
           actor_name=user.display_name, group_name=group.name, title=publication.title,
           readers=SCOPES[publication.scope].lower(),
           link=absolute_url("sharing.study", publication_id=publication.id))


def withdraw(user: User, cycle: Cycle, now: datetime | None = None) -> None:
    if not is_facilitator(user, cycle.group):
        raise NotAllowed("The facilitator withdraws a published summary.")
    publication = publication_of(cycle)
    if publication is None or publication.withdrawn_at is not None:
        raise DomainError("This summary is not published.")
    publication.withdrawn_at = now or utcnow()
    search.unindex(publication)
    audit.record(user, "summary.withdrawn", target=cycle.group.name, details=f"cycle {cycle.number}",
                 school_id=cycle.group.school_id)
    db.session.commit()


def content_of(publication: Publication) -> dict:
    return json.loads(publication.content)
