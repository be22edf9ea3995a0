"""Learning fairs: an event page gathering the network's published summaries for a date, printable as
a programme. Leads and admins organise them; everyone signed in reads them (each study only when they may
read it in the library)."""

from __future__ import annotations

from datetime import date, datetime, time, timezone

from flask import abort

from ..errors import DomainError, NotAllowed
from ..extensions import db
from ..models import FairItem, LearningFair, Publication, Role, User
from .library import visible


def can_organise(user: User) -> bool:
    return user.is_authenticated and user.active and user.role in (Role.LEAD, Role.SCHOOL_ADMIN, Role.NETWORK_ADMIN)


def fairs() -> list[LearningFair]:
    return list(db.session.scalars(db.select(LearningFair).order_by(LearningFair.on.desc(), LearningFair.id.desc())))


def fair_or_404(user: User, fair_id: int) -> LearningFair:
    fair = db.session.get(LearningFair, fair_id)
    if fair is None or not user.is_authenticated:
        abort(404)
    return fair


def create(user: User, title: str, on: date, place: str) -> LearningFair:
    if not can_organise(user):
        raise NotAllowed("Leads and admins organise learning fairs.")
    title = " ".join((title or "").split())
    if not title or len(title) > 200:
        raise DomainError("A title, at most 200 characters.", "title")
    fair = LearningFair(title=title, on=on, place=" ".join((place or "").split())[:200],
                        school_id=user.school_id, created_by_id=user.id)
    db.session.add(fair)
    db.session.commit()
    return fair


def add(user: User, fair: LearningFair, publication: Publication, slot: str = "") -> FairItem:
    if not can_organise(user):
        raise NotAllowed("Leads and admins organise learning fairs.")
    existing = db.session.scalar(db.select(FairItem).where(FairItem.fair_id == fair.id,
                                                           FairItem.publication_id == publication.id))
    if existing is not None:
        return existing
    position = db.session.scalar(db.select(db.func.count()).where(FairItem.fair_id == fair.id)) or 0
    item = FairItem(fair_id=fair.id, publication_id=publication.id, position=position + 1,
                    slot=" ".join((slot or "").split())[:40])
    db.session.add(item)
    db.session.commit()
    return item


def school_year_start(on: date) -> date:
    """1 September of the school year `on` falls in."""
    return date(on.year if on.month >= 9 else on.year - 1, 9, 1)


def gather(user: User, fair: LearningFair) -> int:
    """Put on the programme every study the organiser may read that was published (and not withdrawn) in
    the school year of the fair, up to its date; returns how many were added."""
    if not can_organise(user):
        raise NotAllowed("Leads and admins organise learning fairs.")
    start = datetime.combine(school_year_start(fair.on), time.min, tzinfo=timezone.utc)
    end = datetime.combine(fair.on, time.max, tzinfo=timezone.utc)
    already = set(db.session.scalars(db.select(FairItem.publication_id).where(FairItem.fair_id == fair.id)))
    found = [p for p in db.session.scalars(db.select(Publication).where(
        visible(user), Publication.published_at >= start, Publication.published_at <= end)
        .order_by(Publication.subject, Publication.title)) if p.id not in already]
    position = len(already)
    for offset, publication in enumerate(found, start=1):
        db.session.add(FairItem(fair_id=fair.id, publication_id=publication.id, position=position + offset, slot=""))
    db.session.commit()
    return len(found)


def programme(user: User, fair: LearningFair) -> list[FairItem]:
    return list(db.session.scalars(db.select(FairItem).join(Publication).where(FairItem.fair_id == fair.id,
                                                                             visible(user))
                                   .order_by(FairItem.position, FairItem.id)))
