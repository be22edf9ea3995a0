"""What the board's templates need about the person looking: what they may do, and the pieces every post
and every reply box repeats, made once per page rather than once per post.

The board's posts are rendered once per version of the board (its change number) and per kind of
viewer (guest, member, marker, facilitator) and kept (lsweb/fragments.py). The templates ask the viewer
for everything that differs between two people of the same kind: whether they agreed with a post
(`v.pressed`), the More menu on their own posts (`v.own_more`), the session's form token
(`v.csrf`) and a fresh token per post box (`new_form`). `Viewer` answers for one person; `SlotViewer`
answers with slots that `Viewer.fillers()` fills on every request.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from types import SimpleNamespace

from flask import get_template_attribute, url_for
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from ..fragments import slot
from . import services

POST_ACTIONS = ("history", "agree", "mark", "edit", "delete", "hide", "unhide", "actions")
_ANY_POST = 2_147_483_647  # a post id no board has; replaced by the real one in each link
MACROS = "discussion/macros.html"


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
class PostFacts:
    """What the actions on one's own post need of it (kept with the rendered posts)."""
    id: int
    author_id: int
    author_name: str
    mark: str | None
    is_reply: bool


def facts_of(post) -> PostFacts:
    return PostFacts(post.id, post.author_id, post.author.display_name, post.mark, post.parent_id is not None)


_BLANK = SimpleNamespace(data="", errors=[])


def _new_form(token: str, section: str = "", parent=None) -> SimpleNamespace:
    """A new post's (or reply's) form as the page first shows it: no input, no errors, a fresh token that
    makes a double submit store one post. What the post_form macro reads of a PostForm, without building
    one WTForms form per reply box; a refused post comes back as the real PostForm, with its errors."""
    return SimpleNamespace(token=SimpleNamespace(data=token), body=_BLANK, mark=_BLANK,
                           form_errors=[], section=section, parent_id=str(parent.id) if parent else "")


def new_form(section: str = "", parent=None) -> SimpleNamespace:
    return _new_form(secrets.token_urlsafe(16), section, parent)


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
    facts: dict[int, PostFacts] = field(default_factory=dict)
    knowledgeable: bool = False   # writes the final comments

    @property
    def kind(self) -> tuple[bool, bool, bool, bool]:
        return (self.guest, self.facilitator, self.marker, self.knowledgeable)

    def can_mark(self, post) -> bool:
        return not self.guest and (self.marker or post.author_id == self.user_id)

    def can_post_in(self, section: str) -> bool:
        return can_post_in(section, self.guest, self.knowledgeable)

    def pressed(self, post_id: int) -> str:
        return "true" if int(post_id) in self.agreed else "false"

    def _facts(self, post) -> PostFacts:
        return post if isinstance(post, PostFacts) else facts_of(post)

    def own_more(self, post) -> Markup:
        """The More menu, for people who have one only on their own posts (its actions are fetched when
        it opens: discussion/actions.py)."""
        if post.author_id != self.user_id:
            return Markup("")
        return get_template_attribute(MACROS, "more_menu")(self._facts(post), self)

    def fillers(self) -> dict:
        """How the slots of the kept posts are filled for this person."""
        def by_id(method):
            return lambda arg: method(self.facts[int(arg)])
        return {"csrf": lambda _arg: self.csrf, "token": lambda _arg: secrets.token_urlsafe(16),
                "pressed": self.pressed, "own_more": by_id(self.own_more)}


class SlotViewer:
    """A viewer of one kind (guest, facilitator, marker) whose personal answers are slots."""

    def __init__(self, viewer: Viewer):
        self.guest, self.facilitator, self.marker, self.knowledgeable = viewer.kind
        self.url = viewer.url
        self.add_post_url = viewer.add_post_url
        self.csrf = slot("csrf")

    def can_mark(self, post) -> bool:
        return not self.guest and self.marker

    def can_post_in(self, section: str) -> bool:
        return can_post_in(section, self.guest, self.knowledgeable)

    def pressed(self, post_id: int) -> Markup:
        return slot("pressed", int(post_id))

    def own_more(self, post) -> Markup:
        return slot("own_more", int(post.id))

    @staticmethod
    def new_form(section: str = "", parent=None) -> SimpleNamespace:
        return _new_form(slot("token"), section, parent)


def can_post_in(section: str, guest: bool, knowledgeable: bool) -> bool:
    """Where a kind of viewer is offered a post box (the services decide again on every post)."""
    if section == services.FINAL:
        return knowledgeable
    return section == services.GUESTS if guest else True


def viewer_for(lesson_id: int, user_id: int, guest: bool, facilitator: bool, marker: bool,
               agreed: set[int], knowledgeable: bool = False) -> Viewer:
    return Viewer(user_id, bool(guest), facilitator, marker, agreed, url=PostLinks(lesson_id), csrf=generate_csrf(),
                  add_post_url=url_for("discussion.add_post", lesson_id=lesson_id), knowledgeable=knowledgeable)
