"""Writing to the append-only audit log. The caller commits, together with the change it records."""

from __future__ import annotations

from .extensions import db
from .models import AuditEntry, User


def record(actor: User | None, action: str, target: str = "", details: str = "",
           school_id: int | None = None) -> AuditEntry:
    entry = AuditEntry(
        actor_id=actor.id if actor is not None else None,
        school_id=school_id if school_id is not None else (actor.school_id if actor else None),
        action=action,
        target=target[:200],
        details=details,
    )
    db.session.add(entry)
    return entry
