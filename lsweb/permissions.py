"""Who may do what: plain functions used by services, views and templates."""

from __future__ import annotations

from flask import abort

from . import access
from .extensions import db
from .models import Role, School, User

# Roles a school admin may give; a network admin may give every role.
SCHOOL_ASSIGNABLE_ROLES = (Role.SCHOOL_ADMIN, Role.LEAD, Role.TEACHER, Role.SUPPORT)


def can_manage_staff(user: User, school: School) -> bool:
    if not user.is_authenticated or not user.active:
        return False
    if user.is_network_admin:
        return True
    return user.role is Role.SCHOOL_ADMIN and user.school_id == school.id


def can_manage_any_staff(user: User) -> bool:
    return user.is_authenticated and user.is_admin


def assignable_roles(user: User) -> tuple[Role, ...]:
    return tuple(Role) if user.is_network_admin else SCHOOL_ASSIGNABLE_ROLES


def can_view_audit_log(user: User) -> bool:
    return user.is_authenticated and user.is_admin


def manageable_schools(user: User) -> list[School]:
    if user.is_network_admin:
        return list(db.session.scalars(db.select(School).order_by(School.name)))
    if user.role is Role.SCHOOL_ADMIN and user.school is not None:
        return [user.school]
    return []


def school_or_404(user: User, school_id: int) -> School:
    """A school whose staff the user manages; any other answers 404."""
    school = db.session.get(School, school_id)
    if school is None or not can_manage_staff(user, school):
        abort(404)
    return school


def staff_member_or_404(user: User, member_id: int) -> User:
    """A staff member the user manages; anyone else answers 404 (existence is not revealed)."""
    member = db.session.get(User, member_id)
    if member is None:
        abort(404)
    if user.is_network_admin:
        return member
    if member.school is None or not can_manage_staff(user, member.school) or member.is_network_admin:
        abort(404)
    return member


# --- Lesson study groups: asked of lsweb/access.py (one query per person and object per request) ----

def membership(user: User, group):
    """The person's current GroupMember row in the group, or None."""
    from .models import GroupMember

    if not access.of_group(user, group).member:
        return None
    return db.session.scalar(db.select(GroupMember).where(
        GroupMember.group_id == group.id, GroupMember.user_id == user.id, GroupMember.left_at.is_(None)))


def is_member(user: User, group) -> bool:
    return access.of_group(user, group).member


def is_facilitator(user: User, group) -> bool:
    return access.of_group(user, group).facilitator


def can_create_group(user: User) -> bool:
    return user.is_authenticated and user.active and user.role in (Role.LEAD, Role.SCHOOL_ADMIN,
                                                                   Role.NETWORK_ADMIN)


group_or_404 = access.group_or_404
lesson_or_404 = access.lesson_or_404


def has_signed_current(user: User, group) -> bool:
    """A member sees the group's plans, observations and discussion only after signing."""
    return access.of_group(user, group).sees_material


def can_see_lesson(user: User, lesson) -> bool:
    """Members who have signed the group's current protocol see its lessons, plans and discussion."""
    return access.of_lesson(user, lesson).sees_material
