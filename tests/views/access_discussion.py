"""Access-matrix rows for the discussion board of a research lesson (lsweb/discussion).

The world gets RL1 in group A's cycle (at "discussing", both members signed), a post by the facilitator
in "Patterns across the class", and Bea Birch (school B) as a guest of the board; the "guest" role is
another teacher of school B invited to it. Members who have not signed are sent to sign; guests read and post
in the guests' section only (and what the facilitator shares: nothing in this world), so the post in
"Patterns" answers them 404 like any other stranger; everyone else gets 404.
"""

from __future__ import annotations

from lsweb.discussion import services as board_services
from lsweb.extensions import db
from lsweb.models import (
    BoardGuest,
    DiscussionBoard,
    Post,
    PostReaction,
    ResearchLesson,
    User,
)
from lsweb.planning.lessons import create_lesson

from .matrix import NEVER_SHOWN, SIGN_FIRST, Redirect, Row, group_a

POST_TEXT = "Board post: the bar model helped Pupil A see halves"
TO_BOARD = Redirect(303, "/lessons/{lesson}/board")
REFUSED_TO_BOARD = Redirect(303, "/lessons/{lesson}/board", refused=True)

# Everyone outside the board must never read its posts.
for _role in ("anonymous", "teacher", "other_school_admin", "school_admin", "network_admin",
              "same_school_non_member", "unsigned_member", "guest"):
    if "a board post" not in NEVER_SHOWN[_role]:
        NEVER_SHOWN[_role] = NEVER_SHOWN[_role] + ["a board post"]


def extend_world(make, world) -> None:
    from lsweb.models import Cycle

    facilitator = db.session.get(User, world.ids["facilitator"])
    cycle = db.session.scalar(db.select(Cycle).where(Cycle.group_id == world.ids["group"],
                                                     Cycle.number == world.ids["cycle"]))
    # The lesson of the domains that extended the world before (one lesson keeps ids predictable).
    lesson = (db.session.get(ResearchLesson, world.ids["lesson"]) if "lesson" in world.ids
              else create_lesson(facilitator, cycle))
    post, _ = board_services.add_post(facilitator, lesson, "patterns", POST_TEXT, "matrix-world-post")
    hidden, _ = board_services.add_post(facilitator, lesson, "patterns", "Hidden in the matrix", "matrix-hidden-post")
    board_services.hide_post(facilitator, hidden, "Off topic")
    guest = board_services.invite_guest(facilitator, lesson, "bea.birch@birch.example")
    world.ids.update(lesson=lesson.id, post=post.id, hidden_post=hidden.id, board_guest=guest.id)
    world.texts["a board post"] = POST_TEXT


def board(unsigned_member, signed_member, facilitator, guest) -> dict:
    return {**group_a(unsigned_member, signed_member, facilitator), "guest": guest}


READERS = board(SIGN_FIRST, 200, 200, 200)


def _post(world) -> Post:
    return db.session.get(Post, world.ids["post"])


def _posted_by(actor: User, body: str) -> bool:
    return db.session.scalar(db.select(Post.id).where(Post.author_id == actor.id, Post.body == body)) is not None


def _lesson(world) -> ResearchLesson:
    return db.session.get(ResearchLesson, world.ids["lesson"])


def _guest_invited(email: str, world) -> bool:
    return db.session.scalar(db.select(BoardGuest.id).join(User, BoardGuest.user_id == User.id).where(
        BoardGuest.lesson_id == world.ids["lesson"], User.email == email, BoardGuest.removed_at.is_(None))) is not None


ROWS: list[Row] = [
    Row("GET", "/lessons/{lesson}/board", READERS),
    Row("GET", "/lessons/{lesson}/board/changes?after=0", board(SIGN_FIRST, TO_BOARD, TO_BOARD, TO_BOARD),
        note="the changes feed is for htmx; a plain browser is sent to the board"),
    Row("GET", "/lessons/{lesson}/board/sections/patterns?before={post}", board(SIGN_FIRST, TO_BOARD, TO_BOARD, 404),
        note="a guest reads the guests' section and the shared ones only"),
    Row("POST", "/lessons/{lesson}/board/posts", board(SIGN_FIRST, TO_BOARD, TO_BOARD, 422),
        data={"section": "patterns", "body": "Posted in the matrix", "token": "matrix-token-1"},
        effect=lambda w, actor: _posted_by(actor, "Posted in the matrix"),
        note="a guest posts only in the guests' section"),
    Row("POST", "/lessons/{lesson}/board/posts", board(SIGN_FIRST, TO_BOARD, TO_BOARD, TO_BOARD),
        data={"section": "guests", "body": "Guest words", "token": "matrix-token-2"},
        effect=lambda w, actor: _posted_by(actor, "Guest words")),
    Row("POST", "/lessons/{lesson}/board/posts", board(SIGN_FIRST, 404, 404, 404),
        data={"section": "final", "body": "Final words", "token": "matrix-token-3"},
        note="the final comments are written by the knowledgeable other (none in this world)"),
    Row("GET", "/lessons/{lesson}/board/posts/{post}/edit", board(SIGN_FIRST, 404, 200, 404),
        note="only its author (the facilitator) edits a post"),
    Row("POST", "/lessons/{lesson}/board/posts/{post}/edit", board(SIGN_FIRST, 404, TO_BOARD, 404),
        data={"body": "Edited in the matrix"}, effect=lambda w, actor: _post(w).body == "Edited in the matrix"),
    Row("POST", "/lessons/{lesson}/board/posts/{post}/delete",
        board(SIGN_FIRST, REFUSED_TO_BOARD, TO_BOARD, 404), data={},
        effect=lambda w, actor: _post(w).deleted_at is not None),
    Row("POST", "/lessons/{lesson}/board/posts/{post}/hide",
        board(SIGN_FIRST, REFUSED_TO_BOARD, TO_BOARD, 404), data={"reason": "Names a pupil"},
        effect=lambda w, actor: _post(w).hidden_reason == "Names a pupil"),
    Row("POST", "/lessons/{lesson}/board/posts/{hidden_post}/unhide",
        board(SIGN_FIRST, REFUSED_TO_BOARD, TO_BOARD, 404), data={"reason": "Hidden by mistake"},
        effect=lambda w, actor: db.session.get(Post, w.ids["hidden_post"]).hidden_at is None),
    Row("POST", "/lessons/{lesson}/board/posts/{post}/mark",
        board(SIGN_FIRST, REFUSED_TO_BOARD, TO_BOARD, 404), data={"mark": "finding"},
        effect=lambda w, actor: _post(w).mark == "finding",
        note="marks: the author, the facilitator, the chair and the recorder"),
    Row("POST", "/lessons/{lesson}/board/posts/{post}/agree",
        board(SIGN_FIRST, TO_BOARD, TO_BOARD, 404), data={},
        effect=lambda w, actor: db.session.scalar(db.select(PostReaction.id).where(
            PostReaction.post_id == w.ids["post"], PostReaction.user_id == actor.id)) is not None),
    Row("GET", "/lessons/{lesson}/board/posts/{post}/history", board(SIGN_FIRST, 200, 200, 404)),
    Row("GET", "/lessons/{lesson}/board/posts/{post}/actions", board(SIGN_FIRST, 404, 200, 404),
        note="a post's More menu: for who may act on it (its author, the facilitator, the markers)"),
    Row("GET", "/lessons/{lesson}/board/posts/{hidden_post}/actions", board(SIGN_FIRST, 404, 404, 404),
        note="a hidden post has no More menu (the facilitator shows it again from the post itself)"),
    Row("GET", "/lessons/{lesson}/board/record", READERS),
    Row("GET", "/lessons/{lesson}/board/record.md", READERS),
    Row("POST", "/lessons/{lesson}/board/roles", board(SIGN_FIRST, 404, TO_BOARD, 404),
        data={"chair_id": "{target}", "recorder_id": "0"},
        effect=lambda w, actor: db.session.scalar(db.select(DiscussionBoard.chair_id).where(
            DiscussionBoard.lesson_id == w.ids["lesson"])) == w.ids["target"]),
    Row("POST", "/lessons/{lesson}/board/guests", board(SIGN_FIRST, 404, TO_BOARD, 404),
        data={"email": "nadia@network.example"}, effect=lambda w, actor: _guest_invited("nadia@network.example", w)),
    Row("POST", "/lessons/{lesson}/board/guest-sections", board(SIGN_FIRST, 404, TO_BOARD, 404),
        data={"section": "patterns"}, effect=lambda w, actor: db.session.scalar(db.select(
            DiscussionBoard.guest_sections).where(DiscussionBoard.lesson_id == w.ids["lesson"])) == "patterns"),
    Row("POST", "/lessons/{lesson}/board/guests/{board_guest}/remove", board(SIGN_FIRST, 404, TO_BOARD, 404),
        data={}, effect=lambda w, actor: not _guest_invited("bea.birch@birch.example", w)),
    Row("GET", "/lessons/{missing}/board", board(404, 404, 404, 404)),
    Row("GET", "/live/board-{lesson}", board(404, 200, 200, 200)),
]

