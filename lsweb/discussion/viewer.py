"""What the board's templates need about the person looking: what they may do, and the pieces every post
and every reply box repeats, made once per page rather than once per post (a board of 100 posts drew
about 900 links and 80 WTForms forms per request before; see docs/performance.md, "Server time per page").
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from types import SimpleNamespace

from flask import url_for
from flask_wtf.csrf import generate_csrf

from ..models import Post
from . import services

POST_ACTIONS = ("history", "agree", "mark", "edit", "delete", "hide")
_ANY_POST = 2_147_483_647  # a post id no board has; replaced by the real one in each link


class PostLinks:
    """The links of a post's actions on one lesson's board: url_for once per action, then the post's id."""

    def __init__(self, lesson_id: int):
        self._parts = {}
        for action in POST_ACTIONS:
            head, _, tail = url_for(f"discussion.{action}", lesson_id=lesson_id, post_id=_ANY_POST
                                    ).rpartition(str(_ANY_POST))
            self._parts[action] = (head, tail)

    def __call__(self, action: str, post_id: int) -> str:
        head, tail = self._parts[action]
        return f"{head}{int(post_id)}{tail}"


@dataclass
class Viewer:
    """What the signed-in user may do on this board (used by the templates)."""
    user_id: int
    guest: bool
    facilitator: bool
    marker: bool
    agreed: set[int]
    url: PostLinks
    csrf: str
    add_post_url: str

    def can_mark(self, post: Post) -> bool:
        return not self.guest and (self.marker or post.author_id == self.user_id)

    def can_post_in(self, section: str) -> bool:
        return section == services.GUESTS if self.guest else True


def viewer_for(lesson_id: int, user_id: int, guest: bool, facilitator: bool, marker: bool,
               agreed: set[int]) -> Viewer:
    return Viewer(user_id, guest, facilitator, marker, agreed, url=PostLinks(lesson_id), csrf=generate_csrf(),
                  add_post_url=url_for("discussion.add_post", lesson_id=lesson_id))


_BLANK = SimpleNamespace(data="", errors=[])


def new_form(section: str = "", parent: Post | None = None) -> SimpleNamespace:
    """A new post's (or reply's) form as the page first shows it: no input, no errors, a fresh token that
    makes a double submit store one post. What the post_form macro reads of a PostForm, without building
    one WTForms form per reply box; a refused post comes back as the real PostForm, with its errors."""
    return SimpleNamespace(token=SimpleNamespace(data=secrets.token_urlsafe(16)), body=_BLANK, mark=_BLANK,
                           form_errors=[], section=section, parent_id=str(parent.id) if parent else "")
