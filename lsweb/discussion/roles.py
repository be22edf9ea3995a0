"""The discussion board's chair and recorder (the group's roles, changeable for one lesson), its
knowledgeable others (members with that group role, and guests the facilitator names as one: they write
the final comments, everyone else reads them) and its invited guests."""

from __future__ import annotations

from .. import access, audit
from ..errors import DomainError, NotAllowed
from ..channels import queue_board_change
from ..extensions import db
from sqlalchemy.orm import joinedload

from ..models import BoardGuest, DiscussionBoard, GroupMember, GroupRole, ResearchLesson, User
from ..models.base import utcnow
from ..permissions import has_signed_current, is_facilitator, membership
from .boards import Clock, board_of

FINAL = "final"   # the knowledgeable other's final comments
# What board_or_404 says a reader is (besides False, a member): a guest, or a guest named knowledgeable other.
GUEST, KNOWLEDGEABLE_GUEST = "guest", "knowledgeable-guest"

access.lesson_flag("knowledgeable_guest", "EXISTS (SELECT 1 FROM board_guest kg WHERE kg.lesson_id = l.id "
                                          "AND kg.user_id = :user AND kg.removed_at IS NULL "
                                          "AND kg.knowledgeable_other = TRUE)")


def is_knowledgeable_other(user: User, lesson: ResearchLesson) -> bool:
    """A member (who has signed) with the group role "knowledgeable other", or a guest of this board the
    facilitator named as one (answered by the lesson's access query: no query of its own)."""
    standing = access.of_lesson(user, lesson)
    if standing.sees_material:
        return standing.member_role is GroupRole.KNOWLEDGEABLE_OTHER
    return standing.guest and standing.flag("knowledgeable_guest")


def default_roles(lesson: ResearchLesson, board: DiscussionBoard | None,
                  members: list[GroupMember] | None = None) -> tuple[User | None, User | None]:
    """The chair and the recorder: as set for this lesson, else from the group's roles (the
    facilitator chairs; the member with the recorder role records). `members`: current_members_of(lesson)
    when the caller has it already."""
    members = current_members_of(lesson) if members is None else members
    chair = board.chair if board and board.chair_id else next(
        (m.user for m in members if m.role is GroupRole.FACILITATOR), None)
    recorder = board.recorder if board and board.recorder_id else next(
        (m.user for m in members if m.role is GroupRole.RECORDER), None)
    return chair, recorder


def current_members_of(lesson: ResearchLesson) -> list[GroupMember]:
    """The group's current members with their accounts, in one query (not one per member)."""
    return list(db.session.scalars(db.select(GroupMember).options(joinedload(GroupMember.user)).where(
        GroupMember.group_id == lesson.cycle.group_id, GroupMember.left_at.is_(None)).order_by(GroupMember.id)))


def roles_of(lesson: ResearchLesson, members: list[GroupMember] | None = None) -> tuple[User | None, User | None]:
    """(chair, recorder) of this lesson's discussion, without creating anything."""
    return default_roles(lesson, db.session.get(DiscussionBoard, lesson.id), members)


def set_roles(user: User, lesson: ResearchLesson, chair_id: int | None, recorder_id: int | None) -> None:
    group = lesson.cycle.group
    if not is_facilitator(user, group) or not has_signed_current(user, group):
        raise NotAllowed("The facilitator chooses the chair and the recorder.")
    member_ids = {m.user_id for m in group.current_members}
    for name, value in (("chair_id", chair_id), ("recorder_id", recorder_id)):
        if value is not None and value not in member_ids:
            raise DomainError("Choose a member of the group.", name)
    board = board_of(lesson)
    board.chair_id, board.recorder_id = chair_id, recorder_id
    queue_board_change(lesson.id, "board-roles")
    db.session.commit()


def invite_guest(user: User, lesson: ResearchLesson, email: str, knowledgeable_other: bool = False) -> BoardGuest:
    """Invite a guest (again: also to name them knowledgeable other, or no longer)."""
    group = lesson.cycle.group
    if not is_facilitator(user, group) or not has_signed_current(user, group):
        raise NotAllowed("The facilitator invites guests.")
    email = (email or "").strip().lower()
    guest_user = db.session.scalar(db.select(User).where(db.func.lower(User.email) == email)) if email else None
    if guest_user is None or not guest_user.active:
        raise DomainError("No active account of the network has this email.", "email")
    if membership(guest_user, group) is not None:
        raise DomainError("They are a member of the group: they take part already.", "email")
    guest = db.session.scalar(db.select(BoardGuest).where(BoardGuest.lesson_id == lesson.id,
                                                          BoardGuest.user_id == guest_user.id))
    if guest is None:
        guest = BoardGuest(lesson_id=lesson.id, user_id=guest_user.id, invited_by_id=user.id)
        db.session.add(guest)
    guest.removed_at, guest.removed_by_facilitator = None, False   # the facilitator's own choice
    guest.knowledgeable_other = bool(knowledgeable_other)
    audit.record(user, "board.guest_invited", target=group.name,
                 details=f"RL{lesson.number}: {guest_user.display_name}"
                         f"{' (knowledgeable other)' if knowledgeable_other else ''}", school_id=group.school_id)
    queue_board_change(lesson.id, "board-roles")
    db.session.commit()
    return guest


def remove_guest(user: User, guest: BoardGuest, clock: Clock = utcnow) -> None:
    lesson = db.session.get(ResearchLesson, guest.lesson_id)
    group = lesson.cycle.group
    if not is_facilitator(user, group) or not has_signed_current(user, group):
        raise NotAllowed("The facilitator removes guests.")
    guest.removed_by_facilitator = True      # registering again for an open house does not undo it
    if guest.removed_at is None:
        guest.removed_at = clock()
        audit.record(user, "board.guest_removed", target=group.name,
                     details=f"RL{lesson.number}: {guest.user.display_name}", school_id=group.school_id)
    db.session.commit()


def guests_of(lesson: ResearchLesson) -> list[BoardGuest]:
    return list(db.session.scalars(db.select(BoardGuest).where(BoardGuest.lesson_id == lesson.id,
                                                               BoardGuest.removed_at.is_(None))
                                   .order_by(BoardGuest.id)))




def shared_with_guests(lesson: ResearchLesson) -> set[str]:
    """The keys of the sections the facilitator shares with this lesson's guests (beside their own)."""
    board = db.session.get(DiscussionBoard, lesson.id)
    return set((board.guest_sections or "").split()) if board else set()


def share_with_guests(user: User, lesson: ResearchLesson, keys: list[str], known: set[str]) -> None:
    """The facilitator chooses which sections guests read (they post in the Guests section only)."""
    group = lesson.cycle.group
    if not is_facilitator(user, group) or not has_signed_current(user, group):
        raise NotAllowed("The facilitator chooses what guests read.")
    chosen = sorted(set(keys) & known)
    board = board_of(lesson)
    board.guest_sections = " ".join(chosen)
    audit.record(user, "board.guest_sections", target=group.name,
                 details=f"RL{lesson.number}: {', '.join(chosen) or 'the Guests section only'}",
                 school_id=group.school_id)
    queue_board_change(lesson.id, "board-roles")
    db.session.commit()
