"""Managing schools and staff. Every change is written to the audit log in the same commit."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from sqlalchemy import func

from .. import audit
from ..errors import DomainError, NotAllowed
from ..extensions import db
from ..models import Role, School, User
from ..models.base import utcnow
from ..permissions import assignable_roles, can_manage_staff
from ..timezones import check_zone_name

PAGE_SIZE = 50


def clean_email(raw: str) -> str:
    """A normalised email address, or a DomainError saying what is wrong with it."""
    text = (raw or "").strip()
    if not text:
        raise DomainError("Enter an email address.", "email")
    if len(text) > 254:
        raise DomainError("An email address has at most 254 characters.", "email")
    try:
        return validate_email(text, check_deliverability=False, globally_deliverable=False).normalized.lower()
    except EmailNotValidError:
        pass
    # School intranets often use special-use domains (staff@school.local): the email is only the
    # sign-in name here, so accept those when the address is otherwise well formed.
    local, _, domain = text.rpartition("@")
    if local and domain and all(part.isalnum() or part.replace("-", "").isalnum()
                                for part in domain.lower().split(".")):
        try:
            checked = validate_email(f"{local}@example.org", check_deliverability=False)
        except EmailNotValidError:
            pass
        else:
            return f"{checked.local_part}@{domain}".lower()
    raise DomainError(f"“{text[:80]}” is not a valid email address.", "email")


def clean_name(raw: str, field: str = "display_name") -> str:
    text = " ".join((raw or "").split())
    if not text:
        raise DomainError("Enter a name.", field)
    if len(text) > 120:
        raise DomainError("A name has at most 120 characters.", field)
    return text


def email_taken(email: str, except_id: int | None = None) -> bool:
    query = db.select(User.id).where(User.email == email)
    if except_id is not None:
        query = query.where(User.id != except_id)
    return db.session.scalar(query) is not None


def _check_role(admin: User, role: Role, school: School | None) -> None:
    if role not in assignable_roles(admin):
        raise NotAllowed("You cannot give that role.", "role")
    if role is not Role.NETWORK_ADMIN and school is None:
        raise DomainError("Choose the school this person works at.", "school_id")


def add_school(admin: User, name: str) -> School:
    if not admin.is_network_admin:
        raise NotAllowed("Only a network admin can add schools.")
    name = clean_name(name, "name")
    if db.session.scalar(db.select(School.id).where(func.lower(School.name) == name.lower())):
        raise DomainError("There is already a school with that name.", "name")
    school = School(name=name)
    db.session.add(school)
    db.session.flush()
    audit.record(admin, "school.added", target=name, school_id=school.id)
    db.session.commit()
    return school


MAX_RETENTION_DAYS = 3650


MAX_PHOTO_GRACE_DAYS = 365


def rename_school(admin: User, school: School, name: str, retention_days: int | None = None,
                  timezone: str | None = None, photo_grace_days: int | None = None,
                  local_passwords: bool | None = None) -> None:
    """Rename a school and (when given) set how many days its pupil-level records are kept, how long the
    photos of a pupil whose photo consent is withdrawn are kept (hidden) before they are deleted, and its
    time zone ("" goes back to the installation's, LSWEB_TIMEZONE)."""
    if not can_manage_staff(admin, school):
        raise NotAllowed("You cannot change this school.")
    name = clean_name(name, "name")
    clash = db.session.scalar(db.select(School.id).where(func.lower(School.name) == name.lower(),
                                                         School.id != school.id))
    if clash:
        raise DomainError("There is already a school with that name.", "name")
    if retention_days is not None and not 0 <= retention_days <= MAX_RETENTION_DAYS:
        raise DomainError(f"Enter a number of days from 0 to {MAX_RETENTION_DAYS}.", "retention_days")
    if photo_grace_days is not None and not 0 <= photo_grace_days <= MAX_PHOTO_GRACE_DAYS:
        raise DomainError(f"Enter a number of days from 0 to {MAX_PHOTO_GRACE_DAYS}.", "photo_grace_days")
    zone = (check_zone_name(timezone) if timezone.strip() else None) if timezone is not None else None
    settings = current_app.config["LSWEB"]
    directory = settings.get("LDAP_URL") or (settings.get("OIDC_ISSUER") and settings.get("OIDC_CLIENT_ID"))
    if local_passwords is False and school.local_passwords and not directory:
        raise DomainError("Set up sign-in with the school's directory first (LSWEB_LDAP_URL or "
                          "LSWEB_OIDC_ISSUER): without it, nobody at the school could sign in.", "local_passwords")
    old = school.name
    school.name = name
    audit.record(admin, "school.renamed", target=name, details=f"from {old}", school_id=school.id)
    if retention_days is not None and retention_days != school.retention_days:
        audit.record(admin, "school.retention_changed", target=name, school_id=school.id,
                     details=f"{school.retention_days} → {retention_days} days")
        school.retention_days = retention_days
    if photo_grace_days is not None and photo_grace_days != school.photo_grace_days:
        audit.record(admin, "school.photo_grace_changed", target=name, school_id=school.id,
                     details=f"{school.photo_grace_days} → {photo_grace_days} days")
        school.photo_grace_days = photo_grace_days
    if local_passwords is not None and local_passwords != school.local_passwords:
        audit.record(admin, "school.local_passwords_changed", target=name, school_id=school.id,
                     details="lsweb passwords on" if local_passwords else "directory sign-in only")
        school.local_passwords = local_passwords
    if timezone is not None and zone != school.timezone:
        audit.record(admin, "school.timezone_changed", target=name, school_id=school.id,
                     details=f"{school.timezone or 'the installation’s'} → {zone or 'the installation’s'}")
        school.timezone = zone
    db.session.commit()


def add_staff(admin: User, school: School | None, display_name: str, email: str, role: Role,
              invite: bool = False) -> User:
    """Add a person; with `invite`, e-mail them a link to choose their password (same commit)."""
    if school is not None and not can_manage_staff(admin, school):
        raise NotAllowed("You cannot add staff to that school.")
    if school is None and not admin.is_network_admin:
        raise NotAllowed("You cannot add staff without a school.")
    _check_role(admin, role, school)
    email = clean_email(email)
    if email_taken(email):
        raise DomainError("Someone already has an account with this email.", "email")
    member = User(display_name=clean_name(display_name), email=email, role=role,
                  school_id=school.id if school else None, active=True)
    db.session.add(member)
    db.session.flush()
    audit.record(admin, "staff.added", target=email, details=role.value,
                 school_id=school.id if school else None)
    if invite:
        from ..auth.links import queue_invitation

        queue_invitation(admin, member)
    db.session.commit()
    return member


def edit_staff(admin: User, member: User, display_name: str, email: str, role: Role,
               school: School | None) -> None:
    if member.school is not None and not can_manage_staff(admin, member.school):
        raise NotAllowed("You cannot change this person.")
    if school is not None and not can_manage_staff(admin, school):
        raise NotAllowed("You cannot move staff to that school.", "school_id")
    _check_role(admin, role, school)
    if member.id == admin.id and role is not admin.role:
        raise DomainError("You cannot change your own role; ask another admin.", "role")
    email = clean_email(email)
    if email_taken(email, except_id=member.id):
        raise DomainError("Someone else already has an account with this email.", "email")
    changes = []
    for attr, new in (("display_name", clean_name(display_name)), ("email", email), ("role", role),
                      ("school_id", school.id if school else None)):
        old = getattr(member, attr)
        if old != new:
            changes.append(f"{attr}: {getattr(old, 'value', old)} → {getattr(new, 'value', new)}")
            setattr(member, attr, new)
    if changes:
        audit.record(admin, "staff.edited", target=member.email, details="; ".join(changes),
                     school_id=member.school_id)
    db.session.commit()


def set_active(admin: User, member: User, active: bool) -> None:
    """Deactivate (never delete: their history stays) or reactivate a staff member."""
    if member.id == admin.id:
        raise DomainError("You cannot deactivate yourself.")
    if member.active == active:
        return
    member.active = active
    member.deactivated_at = None if active else utcnow()
    member.session_generation += 1  # signed out everywhere
    audit.record(admin, "staff.reactivated" if active else "staff.deactivated", target=member.email,
                 school_id=member.school_id)
    db.session.commit()


def staff_page(school: School | None, query: str = "", page: int = 1, show_inactive: bool = True):
    """One page of a school's staff (school None: network admins without a school)."""
    stmt = db.select(User).order_by(User.display_name, User.id)
    stmt = stmt.where(User.school_id == school.id) if school else stmt.where(User.school_id.is_(None))
    if query:
        like = f"%{query.strip().lower()[:100]}%"
        stmt = stmt.where(func.lower(User.display_name).like(like) | User.email.like(like))
    if not show_inactive:
        stmt = stmt.where(User.active.is_(True))
    return db.paginate(stmt, page=page, per_page=PAGE_SIZE, error_out=False)


def staff_counts() -> dict[int, int]:
    rows = db.session.execute(db.select(User.school_id, func.count(User.id))
                              .where(User.active.is_(True)).group_by(User.school_id))
    return {school_id: count for school_id, count in rows}
