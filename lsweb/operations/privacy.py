"""A staff member's personal data: the subject-access export (a ZIP of JSON files, and files) and
account deletion that keeps the group history readable ("Former member").

Each area of lsweb that holds personal data registers an exporter (and, when deleting an account must
change its rows, an eraser), so the board, observations and photos plug in where they are defined:

    from lsweb.operations.privacy import Export, register_exporter

    @register_exporter("board_posts")
    def _posts(user):                      # -> JSON-able data, or Export(data, files=[(name, path)])
        return [{"id": p.id, "text": p.text, ...} for p in ...]
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

from sqlalchemy import or_

from .. import audit
from ..errors import DomainError
from ..extensions import db
from ..models import (
    AuditEntry,
    GroupMember,
    PlanRevision,
    ProtocolSignature,
    User,
    UserSession,
)
from ..models.base import utcnow

FORMER_MEMBER = "Former member"
EMAIL = re.compile(r"[^\s@;,:<>()\[\]\"]+@[^\s@;,:<>()\[\]\"]+")


@dataclass
class Export:
    data: Any
    files: list[tuple[str, Path]] = field(default_factory=list)  # (name inside files/, path on disk)


EXPORTERS: dict[str, Callable[[User], Any]] = {}
ERASERS: dict[str, Callable[[User, datetime], None]] = {}


def register_exporter(name: str):
    def decorate(function):
        EXPORTERS[name] = function
        return function
    return decorate


def register_eraser(name: str):
    """`function(user, now)` changes that area's rows of a deleted account (before the commit)."""
    def decorate(function):
        ERASERS[name] = function
        return function
    return decorate


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


@register_exporter("account")
def _account(user: User) -> dict:
    return {"id": user.id, "email": user.email, "display_name": user.display_name, "role": user.role.value,
            "school": user.school.name if user.school else None, "active": user.active,
            "created_at": _iso(user.created_at), "deactivated_at": _iso(user.deactivated_at)}


@register_exporter("sessions")
def _sessions(user: User) -> list:
    rows = db.session.scalars(db.select(UserSession).where(UserSession.user_id == user.id)
                              .order_by(UserSession.created_at))
    return [{"browser": s.user_agent, "address": s.address, "signed_in_at": _iso(s.created_at),
             "last_seen_at": _iso(s.last_seen_at), "ended_at": _iso(s.ended_at)} for s in rows]


@register_exporter("audit_entries")
def _audit(user: User) -> list:
    rows = db.session.scalars(db.select(AuditEntry).where(
        or_(AuditEntry.actor_id == user.id, AuditEntry.target == user.email)).order_by(AuditEntry.id))
    # Another person's email in an entry of one's own actions is theirs, not the requester's data.
    def redact(text: str) -> str:
        return EMAIL.sub(lambda m: m.group(0) if m.group(0).lower() == user.email else "(another person)", text)

    return [{"at": _iso(e.at), "action": e.action, "by_you": e.actor_id == user.id, "target": redact(e.target),
             "details": redact(e.details)} for e in rows]


@register_exporter("group_memberships")
def _memberships(user: User) -> list:
    rows = db.session.scalars(db.select(GroupMember).where(GroupMember.user_id == user.id).order_by(GroupMember.id))
    return [{"group": m.group.name, "role": m.role.value, "joined_at": _iso(m.joined_at), "left_at": _iso(m.left_at)}
            for m in rows]


@register_exporter("protocol_signatures")
def _signatures(user: User) -> list:
    rows = db.session.scalars(db.select(ProtocolSignature).where(ProtocolSignature.user_id == user.id)
                              .order_by(ProtocolSignature.id))
    return [{"group": s.version.group.name, "version": s.version.number, "kind": s.kind.value,
             "typed_name": s.typed_name, "text_sha256": s.text_sha256, "at": _iso(s.at)} for s in rows]


@register_exporter("plan_revisions")
def _plan_revisions(user: User) -> list:
    rows = db.session.scalars(db.select(PlanRevision).where(PlanRevision.user_id == user.id).order_by(PlanRevision.id))
    return [{"lesson_id": r.lesson_id, "field_id": r.field_id, "version": r.version, "kind": r.kind,
             "at": _iso(r.at), "before": r.before, "after": r.after} for r in rows]


def build_export(actor: User | None, user: User) -> bytes:
    """The ZIP: README.txt, one JSON file per exporter, files/ for files; the export is audited."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        contents = []
        for name, exporter in sorted(EXPORTERS.items()):
            result = exporter(user)
            export = result if isinstance(result, Export) else Export(result)
            archive.writestr(f"{name}.json", json.dumps(export.data, indent=2, ensure_ascii=False))
            contents.append(f"{name}.json")
            for inner, path in export.files:
                archive.write(path, f"files/{name}/{inner}")
        archive.writestr("README.txt", (
            f"The personal data lsweb holds about {user.display_name} <{user.email}>, exported "
            f"{utcnow().isoformat(timespec='seconds')}.\nFiles: " + ", ".join(contents) + "\n"))
    audit.record(actor, "privacy.exported", target=user.email, school_id=user.school_id,
                 details="by themselves" if actor is not None and actor.id == user.id else "")
    db.session.commit()
    return buffer.getvalue()


def placeholder_email(user: User) -> str:
    return f"former-member-{user.id}@deleted.invalid"


def delete_account(actor: User | None, user: User, now: datetime | None = None) -> None:
    """Anonymise the account: the row stays (so the group history stays readable), named "Former
    member", with a placeholder email, no password, inactive, every session ended, every membership
    left. Signatures keep the name typed when signing: they are the record of consent."""
    now = now or utcnow()
    if actor is not None and actor.id == user.id:
        raise DomainError("You cannot delete your own account. Ask another admin.")
    if user.email == placeholder_email(user):
        raise DomainError("This account is already deleted.")
    user.display_name = FORMER_MEMBER
    user.email = placeholder_email(user)
    user.password_hash = None
    user.active = False
    user.must_change_password = False
    user.deactivated_at = user.deactivated_at or now
    user.session_generation += 1
    for session in db.session.scalars(db.select(UserSession).where(UserSession.user_id == user.id,
                                                                   UserSession.ended_at.is_(None))):
        session.ended_at = now
    for membership in db.session.scalars(db.select(GroupMember).where(GroupMember.user_id == user.id,
                                                                      GroupMember.left_at.is_(None))):
        membership.left_at = now
    for eraser in ERASERS.values():
        eraser(user, now)
    audit.record(actor, "privacy.account_deleted", target=f"user #{user.id}", school_id=user.school_id,
                 details="anonymised: name, email, password, sessions, memberships")
    db.session.commit()
