"""Cycles of a group (status moved by rules kept here) and their case pupils."""

from __future__ import annotations

import re

from .. import audit
from ..errors import DomainError, NotAllowed
from ..channels import queue_group_change
from ..extensions import db
from ..models import CasePupil, Cycle, CycleStatus, StudyGroup, User
from ..models.base import utcnow
from ..permissions import has_signed_current, is_facilitator
from ..protocol.services import require_gate

MAX_PUPILS = 6
ORDER = list(CycleStatus)
# Moving into these statuses is lesson work: refused until everyone has signed the protocol.
GATED = {CycleStatus.PLANNING, CycleStatus.TEACHING, CycleStatus.DISCUSSING}
# Words that may start with a capital in a pseudonymous label without making it look like a name.
LABEL_WORDS = {"pupil", "child", "learner", "student", "case", "group", "year", "the", "table", "set",
               "red", "blue", "green", "yellow", "orange", "purple"}


def start_cycle(facilitator: User, group: StudyGroup) -> Cycle:
    if not is_facilitator(facilitator, group):
        raise NotAllowed("Only the group's facilitator can start a cycle.")
    open_cycles = [c for c in group.cycles if c.status is not CycleStatus.CLOSED]
    if open_cycles:
        raise DomainError(f"Cycle {open_cycles[-1].number} is still open. Close it before starting the next.")
    number = max((c.number for c in group.cycles), default=0) + 1
    cycle = Cycle(group_id=group.id, number=number, status=CycleStatus.PROTOCOL_PENDING)
    db.session.add(cycle)
    audit.record(facilitator, "cycle.started", target=group.name, details=f"cycle {number}",
                 school_id=group.school_id)
    queue_group_change(group.id)
    db.session.commit()
    return cycle


def next_status(cycle: Cycle) -> CycleStatus | None:
    index = ORDER.index(cycle.status)
    return ORDER[index + 1] if index + 1 < len(ORDER) else None


def move_cycle(facilitator: User, cycle: Cycle, to: CycleStatus) -> None:
    """One step forward, or one step back; into planning, teaching or discussing only through the gate."""
    group = cycle.group
    if not is_facilitator(facilitator, group):
        raise NotAllowed("Only the group's facilitator moves the cycle on.")
    here, there = ORDER.index(cycle.status), ORDER.index(to)
    if abs(there - here) != 1:
        raise DomainError(f"A cycle moves one step at a time: from “{cycle.status.label}” it can go to "
                          f"“{ORDER[here + 1].label if here + 1 < len(ORDER) else '—'}”.")
    if cycle.status is CycleStatus.CLOSED:
        raise DomainError("This cycle is closed.")
    if to in GATED:
        require_gate(group)
    old = cycle.status
    cycle.status = to
    audit.record(facilitator, "cycle.moved", target=group.name,
                 details=f"cycle {cycle.number}: {old.label} → {to.label}", school_id=group.school_id)
    queue_group_change(cycle.group_id)
    db.session.commit()


def looks_like_a_name(label: str) -> bool:
    """A label such as "Pupil A" or "Child 2" is fine; "Jamie" or "Tom Smith" looks like a real name."""
    for word in re.findall(r"[^\W\d_]+", label):
        if len(word) >= 3 and word[0].isupper() and word.lower() not in LABEL_WORDS:
            return True
    return False


def _require_signed_member(user: User, group: StudyGroup) -> None:
    if not has_signed_current(user, group):
        raise NotAllowed("Sign the group's current protocol first.")


def _clean_pupil(label: str, represents: str, attainment: str, notes: str) -> dict[str, str]:
    values = {"label": " ".join((label or "").split()), "represents": " ".join((represents or "").split()),
              "attainment": (attainment or "").strip(), "notes": (notes or "").strip()}
    limits = {"label": 40, "represents": 300, "attainment": 500, "notes": 5000}
    for key, limit in limits.items():
        if len(values[key]) > limit:
            raise DomainError(f"At most {limit:,} characters.", key)
    if not values["label"]:
        raise DomainError("Give the pupil a label such as “Pupil A”.", "label")
    return values


def save_pupil(member: User, cycle: Cycle, pupil: CasePupil | None, label: str, represents: str,
               attainment: str, notes: str, not_a_name: bool, photo_consent: bool | None = None) -> CasePupil:
    """`photo_consent`: the school holds consent for photos of this pupil's work (None: leave as it is)."""
    group = cycle.group
    _require_signed_member(member, group)
    values = _clean_pupil(label, represents, attainment, notes)
    if looks_like_a_name(values["label"]) and not not_a_name:
        raise DomainError("“{}” looks like a person's name. Case pupils are known by a pseudonym such as "
                          "“Pupil A”. If this is not a real name, tick the box to keep it.".format(values["label"]),
                          "label")
    others = [p for p in cycle.pupils if pupil is None or p.id != pupil.id]
    if any(p.label.casefold() == values["label"].casefold() for p in others):
        raise DomainError("Another case pupil of this cycle has that label.", "label")
    if pupil is None:
        if len(cycle.pupils) >= MAX_PUPILS:
            raise DomainError(f"A cycle has at most {MAX_PUPILS} case pupils.")
        pupil = CasePupil(cycle_id=cycle.id, position=len(cycle.pupils) + 1, **values)
        db.session.add(pupil)
        action = "pupil.added"
    else:
        for key, value in values.items():
            setattr(pupil, key, value)
        action = "pupil.edited"
    withdrawn = False
    if photo_consent is not None:
        withdrawn = pupil.photo_consent and not photo_consent
        if withdrawn:  # the photos are hidden from now on and deleted after the school's grace period
            pupil.photo_consent_withdrawn_at = utcnow()
        elif photo_consent:
            pupil.photo_consent_withdrawn_at = None
        pupil.photo_consent = bool(photo_consent)
    # The audit log (read by admins) names no pupil: labels stay inside the group.
    db.session.flush()
    audit.record(member, action, target=group.name, details=f"cycle {cycle.number}: case pupil #{pupil.id}",
                 school_id=group.school_id)
    if withdrawn:
        audit.record(member, "pupil.photo_consent_withdrawn", target=group.name,
                     details=f"cycle {cycle.number}: case pupil #{pupil.id}", school_id=group.school_id)
    queue_group_change(group.id)
    db.session.commit()
    return pupil


def remove_pupil(member: User, pupil: CasePupil) -> None:
    group = pupil.cycle.group
    _require_signed_member(member, group)
    from ..models import InterviewAnswer, Observation, Photo

    for model in (Observation, Photo, InterviewAnswer):
        if db.session.scalar(db.select(model.id).where(model.pupil_id == pupil.id).limit(1)) is not None:
            raise DomainError(f"{pupil.label} has observations, photos or interview answers recorded: "
                              "the pupil stays, so nothing recorded is lost.")
    audit.record(member, "pupil.removed", target=group.name,
                 details=f"cycle {pupil.cycle.number}: case pupil #{pupil.id}", school_id=group.school_id)
    db.session.delete(pupil)
    queue_group_change(group.id)
    db.session.commit()
