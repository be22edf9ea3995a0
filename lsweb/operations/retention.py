"""Retention: pupil-level records (observations, interviews, photos) older than each school's retention
period (School.retention_days) are deleted by `lsweb purge`; published findings are kept.

Each area holding pupil-level records registers a purger where it is defined, so the lesson day's
observations, interviews and photos plug in without changing this module:

    from lsweb.operations.retention import Purger, register_purger

    register_purger(Purger(
        name="observations",
        count=lambda school, cutoff: ...,   # how many rows of the school are older than cutoff
        purge=lambda school, cutoff: ...,   # delete them (no commit; files after the commit: see below)
    ))

A purger must leave alone what a published finding rests on (its own rule: e.g. an observation quoted
in a published finding). `purge` returns how many it deleted; it must not commit: the purge of one
school is one transaction, recorded in the audit log in that same commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

from .. import audit
from ..extensions import db
from ..models import School
from ..models.base import utcnow


@dataclass(frozen=True)
class Purger:
    name: str
    count: Callable[[School, datetime], int]
    purge: Callable[[School, datetime], int]
    after_commit: Callable[[School, datetime], None] | None = None  # e.g. remove files of deleted rows


PURGERS: dict[str, Purger] = {}


def register_purger(purger: Purger) -> None:
    PURGERS[purger.name] = purger


@dataclass
class SchoolPurge:
    school: School
    cutoff: datetime
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def plan(now: datetime | None = None) -> list[SchoolPurge]:
    """What a purge would delete, school by school (nothing is changed)."""
    now = now or utcnow()
    plans = []
    for school in db.session.scalars(db.select(School).order_by(School.name)):
        cutoff = now - timedelta(days=school.retention_days)
        plans.append(SchoolPurge(school, cutoff, {name: p.count(school, cutoff) for name, p in sorted(PURGERS.items())}))
    return plans


def purge_school(item: SchoolPurge) -> dict[str, int]:
    """Delete one school's expired records in one transaction, with its audit entry."""
    deleted = {name: PURGERS[name].purge(item.school, item.cutoff) for name in sorted(PURGERS)}
    details = ", ".join(f"{name}: {count}" for name, count in deleted.items())
    audit.record(None, "retention.purged", target=item.school.name, school_id=item.school.id,
                 details=f"older than {item.cutoff.date().isoformat()} ({item.school.retention_days} days): {details}")
    db.session.commit()
    for name in sorted(PURGERS):
        if PURGERS[name].after_commit:
            PURGERS[name].after_commit(item.school, item.cutoff)
    return deleted
