"""The discussion board's plug-in for the subject-access export (lsweb/operations/privacy.py): a staff
member's own posts and replies with every earlier text of each (its revisions). On account deletion the
posts stay, shown as by "Former member", so the group's discussion stays readable; nothing to erase."""

from __future__ import annotations

from collections import defaultdict

from ..extensions import db
from ..models import Post, PostRevision, ResearchLesson, User
from ..operations.privacy import register_exporter


def _iso(value) -> str | None:
    return value.isoformat() if value else None


@register_exporter("board_posts")
def _posts(user: User) -> list:
    posts = list(db.session.scalars(db.select(Post).where(Post.author_id == user.id).order_by(Post.id)))
    revisions: dict[int, list[PostRevision]] = defaultdict(list)
    if posts:
        for revision in db.session.scalars(db.select(PostRevision).where(
                PostRevision.post_id.in_([p.id for p in posts])).order_by(PostRevision.version)):
            revisions[revision.post_id].append(revision)
    out = []
    for post in posts:
        lesson = db.session.get(ResearchLesson, post.lesson_id)
        out.append({"group": lesson.cycle.group.name, "cycle": lesson.cycle.number, "lesson": lesson.title,
                    "section": post.section, "reply_to": post.parent_id, "id": post.id, "text": post.body,
                    "mark": post.mark, "created_at": _iso(post.created_at), "edited_at": _iso(post.edited_at),
                    "deleted_at": _iso(post.deleted_at), "hidden_at": _iso(post.hidden_at),
                    "revisions": [{"version": r.version, "text": r.body, "at": _iso(r.at)}
                                  for r in revisions[post.id]]})
    return out
