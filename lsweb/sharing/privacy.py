"""A staff member's sharing data in their subject-access export (lsweb/operations/privacy.py)."""

from __future__ import annotations

from ..extensions import db
from ..models import OpenHouseRegistration, SummaryRevision, User
from ..operations.privacy import register_exporter


def _iso(value):
    return value.isoformat() if value else None


@register_exporter("summary_revisions")
def _summary_revisions(user: User) -> list:
    rows = db.session.scalars(db.select(SummaryRevision).where(SummaryRevision.user_id == user.id)
                              .order_by(SummaryRevision.id))
    return [{"summary_id": r.summary_id, "field_id": r.field_id, "version": r.version, "kind": r.kind,
             "at": _iso(r.at), "before": r.before, "after": r.after} for r in rows]


@register_exporter("open_house_registrations")
def _registrations(user: User) -> list:
    rows = db.session.scalars(db.select(OpenHouseRegistration).where(OpenHouseRegistration.user_id == user.id)
                              .order_by(OpenHouseRegistration.id))
    return [{"open_house_id": r.open_house_id, "registered_at": _iso(r.registered_at),
             "cancelled_at": _iso(r.cancelled_at)} for r in rows]
