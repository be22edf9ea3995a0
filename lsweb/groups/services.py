"""Lesson study groups: creating them, their members and roles, "builds on" links."""

from __future__ import annotations

from dataclasses import dataclass

from .. import audit
from ..admin.services import clean_email
from ..errors import DomainError, NotAllowed
from ..channels import queue_group_change
from ..extensions import db
from ..models import GroupLink, GroupMember, GroupRole, StudyGroup, User
from ..models.base import utcnow
from ..permissions import can_create_group, is_facilitator, membership
from ..protocol import services as protocol

TEXT_LIMITS = {"name": 120, "focus_pupils": 300, "focus_learning": 300, "focus_approach": 300,
               "subject": 80, "year_group": 40, "class_name": 80, "school_priority": 300,
               "background": 20_000}
FIELD_LABELS = {"name": "The name", "focus_pupils": "Which pupils", "focus_learning": "What they learn",
                "focus_approach": "The approach", "subject": "The subject", "year_group": "The year group",
                "class_name": "The class", "school_priority": "The school priority",
                "background": "The background study"}


@dataclass
class GroupDetails:
    name: str
    focus_pupils: str = ""
    focus_learning: str = ""
    focus_approach: str = ""
    subject: str = ""
    year_group: str = ""
    class_name: str = ""
    school_priority: str = ""
    background: str = ""

    def cleaned(self) -> dict[str, str]:
        values = {}
        for key, limit in TEXT_LIMITS.items():
            raw = getattr(self, key) or ""
            value = raw.replace("\r\n", "\n").strip() if key == "background" else " ".join(raw.split())
            if len(value) > limit:
                raise DomainError(f"{FIELD_LABELS[key]} has at most {limit:,} characters.", key)
            values[key] = value
        if not values["name"]:
            raise DomainError("Give the group a name.", "name")
        return values


def create_group(creator: User, details: GroupDetails) -> StudyGroup:
    """A new group at the creator's school, with the creator as facilitator and the school's
    protocol adopted as version 1."""
    if not can_create_group(creator):
        raise NotAllowed("Only leads and school admins can create lesson study groups.")
    if creator.school is None:
        raise DomainError("Only staff of a school can create a group for it.")
    group = StudyGroup(school_id=creator.school_id, created_by_id=creator.id, **details.cleaned())
    db.session.add(group)
    db.session.flush()
    db.session.add(GroupMember(group_id=group.id, user_id=creator.id, role=GroupRole.FACILITATOR))
    protocol.adopt(creator, group, protocol.school_default_text(creator.school))
    audit.record(creator, "group.created", target=group.name, school_id=group.school_id)
    db.session.commit()
    return group


def _require_facilitator(user: User, group: StudyGroup) -> None:
    if not is_facilitator(user, group):
        raise NotAllowed("Only the group's facilitator can do that.")


def update_group(facilitator: User, group: StudyGroup, details: GroupDetails) -> None:
    _require_facilitator(facilitator, group)
    for key, value in details.cleaned().items():
        setattr(group, key, value)
    audit.record(facilitator, "group.edited", target=group.name, school_id=group.school_id)
    queue_group_change(group.id)
    db.session.commit()


def add_member(facilitator: User, group: StudyGroup, email: str, role: GroupRole) -> GroupMember:
    _require_facilitator(facilitator, group)
    try:
        address = clean_email(email)
    except DomainError as error:
        raise DomainError(error.message, "email") from None
    user = db.session.scalar(db.select(User).where(User.email == address))
    if user is None or not user.active:
        raise DomainError("Nobody in the network has an active account with that email.", "email")
    existing = db.session.scalar(db.select(GroupMember).where(GroupMember.group_id == group.id,
                                                              GroupMember.user_id == user.id))
    if existing is not None and existing.left_at is None:
        raise DomainError(f"{user.display_name} is already a member.", "email")
    if existing is not None:  # rejoining
        existing.left_at, existing.role, existing.joined_at = None, role, utcnow()
        member = existing
    else:
        member = GroupMember(group_id=group.id, user_id=user.id, role=role)
        db.session.add(member)
    audit.record(facilitator, "group.member_added", target=group.name,
                 details=f"{user.email} as {role.label}", school_id=group.school_id)
    _tell_added(facilitator, group, user, role)
    queue_group_change(group.id, "member-changed")
    db.session.commit()
    return member


def _tell_added(facilitator: User, group: StudyGroup, user: User, role: GroupRole) -> None:
    """The "added to a group" e-mail (with the protocol's link: they sign before they see plans)."""
    from ..mail import absolute_url
    from ..mail.notify import notify

    current = protocol.current_version(group)
    notify("group_added", [user], facilitator, f"You are a member of {group.name}", group.school,
           actor_name=facilitator.display_name, group_name=group.name, role=role.label,
           link=absolute_url("groups.show", group_id=group.id),
           protocol_link=absolute_url("protocol.show", group_id=group.id) if current else None)


def _facilitators_left(group: StudyGroup, without: GroupMember) -> int:
    return sum(1 for m in group.current_members if m.role is GroupRole.FACILITATOR and m.id != without.id)


def change_role(facilitator: User, group: StudyGroup, member: GroupMember, role: GroupRole) -> None:
    _require_facilitator(facilitator, group)
    if member.role is GroupRole.FACILITATOR and role is not GroupRole.FACILITATOR \
            and not _facilitators_left(group, member):
        raise DomainError("A group needs a facilitator: make someone else facilitator first.")
    old = member.role
    member.role = role
    audit.record(facilitator, "group.role_changed", target=group.name,
                 details=f"{member.user.email}: {old.label} → {role.label}", school_id=group.school_id)
    queue_group_change(group.id, "member-changed")
    db.session.commit()


def remove_member(facilitator: User, group: StudyGroup, member: GroupMember) -> None:
    """The member leaves the group; what they wrote and signed stays in its history."""
    _require_facilitator(facilitator, group)
    if member.role is GroupRole.FACILITATOR and not _facilitators_left(group, member):
        raise DomainError("A group needs a facilitator: make someone else facilitator first.")
    member.left_at = utcnow()
    audit.record(facilitator, "group.member_removed", target=group.name, details=member.user.email,
                 school_id=group.school_id)
    queue_group_change(group.id, "member-changed")
    db.session.commit()


def member_or_404(group: StudyGroup, member_id: int) -> GroupMember:
    from flask import abort

    member = db.session.get(GroupMember, member_id)
    if member is None or member.group_id != group.id or member.left_at is not None:
        abort(404)
    return member


def add_link(facilitator: User, group: StudyGroup, builds_on_id: int) -> None:
    _require_facilitator(facilitator, group)
    other = db.session.get(StudyGroup, builds_on_id)
    if other is None or other.id == group.id:
        raise DomainError("Choose an earlier study of the network.", "builds_on")
    exists = db.session.scalar(db.select(GroupLink.id).where(GroupLink.group_id == group.id,
                                                             GroupLink.builds_on_id == other.id))
    if exists:
        raise DomainError(f"This group already builds on {other.name}.", "builds_on")
    db.session.add(GroupLink(group_id=group.id, builds_on_id=other.id))
    audit.record(facilitator, "group.link_added", target=group.name, details=f"builds on {other.name}",
                 school_id=group.school_id)
    queue_group_change(group.id)
    db.session.commit()


def remove_link(facilitator: User, group: StudyGroup, link_id: int) -> None:
    _require_facilitator(facilitator, group)
    link = db.session.get(GroupLink, link_id)
    if link is None or link.group_id != group.id:
        raise DomainError("That link is not there any more.")
    db.session.delete(link)
    audit.record(facilitator, "group.link_removed", target=group.name, school_id=group.school_id)
    queue_group_change(group.id)
    db.session.commit()


def links(group: StudyGroup) -> tuple[list[GroupLink], list[GroupLink]]:
    """(what this group builds on, which groups build on this one): shown both ways."""
    outgoing = list(db.session.scalars(db.select(GroupLink).where(GroupLink.group_id == group.id)))
    incoming = list(db.session.scalars(db.select(GroupLink).where(GroupLink.builds_on_id == group.id)))
    return outgoing, incoming


def link_choices(group: StudyGroup) -> list:
    """The network's other groups as (id, name) rows: at authority scale there are hundreds."""
    return list(db.session.execute(db.select(StudyGroup.id, StudyGroup.name).where(StudyGroup.id != group.id)
                                   .order_by(StudyGroup.name)))


def groups_of(user: User) -> list[StudyGroup]:
    return list(db.session.scalars(db.select(StudyGroup).join(GroupMember).where(
        GroupMember.user_id == user.id, GroupMember.left_at.is_(None)).order_by(StudyGroup.name)))


def my_role(user: User, group: StudyGroup) -> GroupRole | None:
    member = membership(user, group)
    return member.role if member else None
