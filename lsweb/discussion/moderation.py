"""Moderation both ways: the facilitator hides a post with a reason (services.hide_post) and shows a
hidden post again, with a reason too. Everyone sees both reasons on the post; both go to the audit log."""

from __future__ import annotations

from .. import audit
from ..errors import DomainError, NotAllowed
from ..models import Post, User
from ..models.base import utcnow
from ..permissions import has_signed_current, is_facilitator
from ..extensions import db
from .boards import Clock
from .services import MAX_REASON, _next_seq, post_lesson


def unhide_post(user: User, post: Post, reason: str, clock: Clock = utcnow) -> None:
    """The facilitator shows a hidden post again: its text is back on the board, with the reason."""
    lesson = post_lesson(post)
    group = lesson.cycle.group
    if not is_facilitator(user, group) or not has_signed_current(user, group):
        raise NotAllowed("Only the facilitator shows a hidden post again.")
    reason = " ".join((reason or "").split())
    if not reason:
        raise DomainError("Say why the post is shown again: everyone sees the reason.", "reason")
    if len(reason) > MAX_REASON:
        raise DomainError(f"At most {MAX_REASON} characters.", "reason")
    if post.hidden_at is None:
        raise DomainError("That post is not hidden.")
    post.hidden_at, post.hidden_by_id = None, None
    post.unhidden_at, post.unhidden_by_id, post.unhidden_reason = clock(), user.id, reason
    post.seq = _next_seq(lesson)
    audit.record(user, "board.post_unhidden", target=group.name,
                 details=f"RL{lesson.number}, post {post.id}: {reason}", school_id=group.school_id)
    db.session.commit()
