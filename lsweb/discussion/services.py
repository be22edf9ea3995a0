"""The rules of the discussion board. Services take the acting user and the objects, enforce who may
do what, write, commit once and return; they raise DomainError (shown beside the field it names) or
NotAllowed. Each change queues `board-changed` on the channel "board-<lesson id>", sent after the commit.

Who: members of the lesson's group who have signed its current protocol read and post everywhere;
guests the facilitator invited to this lesson's board read the whole board (the invitation says so:
they join the discussion as a visitor in the room would) and post, reply and edit only in the guests'
section; they do not react or mark. The final comments are written by the knowledgeable others (members with
that group role, and guests the facilitator names as one, who also read that section); everyone else
reads them. The facilitator hides posts (with a reason) and shows them again (with a reason), sets the
chair and the recorder for this discussion, and invites guests. Marks are set by a post's author, the
facilitator, the chair and the recorder.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from .. import audit
from ..errors import DomainError, NotAllowed
from .. import access
from ..channels import queue_board_change
from ..extensions import db
from ..models import (
    BoardGuest,
    DiscussionBoard,
    Post,
    PostReaction,
    PostRevision,
    ResearchLesson,
    User,
)
from ..models.base import utcnow
from ..models.discussion import MARKS
from ..permissions import has_signed_current, is_facilitator
from .boards import Clock, board_of
from .text import to_html, to_plain

MAX_BODY = 10_000
MAX_REASON = 300
PAGE_SIZE = 10      # newest posts per section on the board page; "Show earlier" loads more
MAX_CHANGES = 500   # a page further behind than this reloads instead
GUESTS = "guests"


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    prompt: str


@dataclass(frozen=True)
class NextStep:
    """A "next step" post of a discussion: the checklist of the next research lesson's plan."""
    key: str          # "post-<id>": stable
    text: str         # the post as plain text
    author: str
    post_id: int


def sections_of(lesson: ResearchLesson) -> list[Section]:
    """In the order Lesson Study uses: each case pupil, patterns, why it differed, next time, the
    knowledgeable other's final comments; then the guests' own section."""
    pupils = [Section(f"pupil-{pupil.id}", pupil.label,
                      f"What progress did {pupil.label} make against the prediction? Was it enough?")
              for pupil in lesson.cycle.pupils]
    return pupils + [
        Section("patterns", "Patterns across the class", "What did we see across the class?"),
        Section("differences", "Why it differed from the plan", "Where and why did the lesson differ from the plan?"),
        Section("next-time", "What to change next time", "What will we change in the next research lesson?"),
        Section(FINAL, "Knowledgeable other's final comments", "Final comments of the knowledgeable other."),
        Section(GUESTS, "Guests", "Comments of invited guests."),
    ]


def section_or_none(lesson: ResearchLesson, key: str, guest: bool = False) -> Section | None:
    return next((section for section in sections_for(lesson, guest) if section.key == key), None)


def sections_for(lesson: ResearchLesson, guest: bool | str) -> list[Section]:
    """What a reader of the board sees: members every section; a guest (invited, or a registered open-house
    visitor) the Guests section and the sections the facilitator shares with guests; a guest named
    knowledgeable other (`guest` is KNOWLEDGEABLE_GUEST) the final comments too."""
    sections = sections_of(lesson)
    if not guest:
        return sections
    shared = shared_with_guests(lesson)
    if guest == KNOWLEDGEABLE_GUEST:
        shared.add(FINAL)
    return [section for section in sections if section.key == GUESTS or section.key in shared]


# --- who may do what ---------------------------------------------------------------------------------

def guest_of(user: User, lesson: ResearchLesson) -> BoardGuest | None:
    if not user.is_authenticated:
        return None
    return db.session.scalar(db.select(BoardGuest).where(
        BoardGuest.lesson_id == lesson.id, BoardGuest.user_id == user.id, BoardGuest.removed_at.is_(None)))


def is_signed_member(user: User, lesson: ResearchLesson) -> bool:
    return access.of_lesson(user, lesson).sees_material


def can_read(user: User, lesson: ResearchLesson) -> bool:
    standing = access.of_lesson(user, lesson)
    return standing.sees_material or standing.guest


def can_post_in(user: User, lesson: ResearchLesson, section: str, guest: bool | None = None) -> bool:
    if section == FINAL:
        return is_knowledgeable_other(user, lesson)
    guest = access.of_lesson(user, lesson).guest if guest is None else guest
    if guest:
        return section == GUESTS
    return is_signed_member(user, lesson)


def can_mark(user: User, post: Post, lesson: ResearchLesson) -> bool:
    if not is_signed_member(user, lesson):
        return False
    chair, recorder = roles_of(lesson)
    return user.id in (post.author_id, getattr(chair, "id", None), getattr(recorder, "id", None)) \
        or is_facilitator(user, lesson.cycle.group)


def _require_reader(user: User, lesson: ResearchLesson) -> None:
    if not can_read(user, lesson):
        raise NotAllowed("Only the group's members who have signed the protocol, and invited guests, "
                         "take part in this discussion.")


# --- the board's change counter ----------------------------------------------------------------------

def current_seq(lesson: ResearchLesson) -> int:
    seq = db.session.scalar(db.select(DiscussionBoard.seq).where(DiscussionBoard.lesson_id == lesson.id))
    return seq or 0


def _next_seq(lesson: ResearchLesson) -> int:
    """The board's next change number; the UPDATE also locks the board's row until the commit, so
    changes of one board are numbered in the order they commit. Every page of the board hears of the
    change ("board-changed") once the transaction commits."""
    board_of(lesson)
    queue_board_change(lesson.id)
    return db.session.execute(update(DiscussionBoard).where(DiscussionBoard.lesson_id == lesson.id)
                              .values(seq=DiscussionBoard.seq + 1).returning(DiscussionBoard.seq)
                              .execution_options(synchronize_session=False)).scalar_one()


def _clean_body(body: str | None) -> str:
    body = (body or "").replace("\r\n", "\n").strip()
    if not body:
        raise DomainError("Write something before sending.", "body")
    if len(body) > MAX_BODY:
        raise DomainError(f"A post has at most {MAX_BODY:,} characters; this one has {len(body):,}. "
                          "Your text is kept below: shorten it or split it into two posts.", "body")
    return body


# --- posts -------------------------------------------------------------------------------------------

def add_post(user: User, lesson: ResearchLesson, section: str, body: str, token: str,
             parent: Post | None = None, mark: str | None = None, clock: Clock = utcnow) -> tuple[Post, bool]:
    """A post (or a reply to `parent`). Returns (post, created): sending the same form twice (the
    same token) gives back the first post and creates nothing."""
    _require_reader(user, lesson)
    token = (token or "").strip()
    if not 8 <= len(token) <= 64:
        raise DomainError("This form is out of date: reload the page and send again.")
    existing = _by_token(user, lesson, token)
    if existing is not None:
        return existing, False
    if parent is not None:
        if parent.lesson_id != lesson.id:
            raise DomainError("That post is not on this board.")
        if parent.parent_id is not None:  # one level of replies: a reply to a reply joins the thread
            parent = db.session.get(Post, parent.parent_id)
        if parent.deleted_at is not None:
            raise DomainError("That post was deleted by its author: it takes no more replies.", "body")
        if parent.hidden_at is not None:
            raise DomainError("That post was hidden by the facilitator: it takes no more replies.", "body")
        section = parent.section
    if section_or_none(lesson, section) is None:
        raise DomainError("Choose a section of the discussion.", "section")
    if not can_post_in(user, lesson, section):
        if section == FINAL:
            raise NotAllowed("The final comments are written by the group's knowledgeable other: you read them.")
        raise NotAllowed("Guests post in the guests' section.")
    if mark and (mark not in MARKS or guest_of(user, lesson) is not None):
        raise DomainError("Choose finding, next step or question.", "mark")
    body = _clean_body(body)
    seq = _next_seq(lesson)
    post = Post(lesson_id=lesson.id, section=section, parent_id=parent.id if parent else None,
                author_id=user.id, client_token=token, body=body, body_html=to_html(body), mark=mark or None,
                created_seq=seq, seq=seq, created_at=clock())
    db.session.add(post)
    try:
        db.session.commit()
    except IntegrityError:  # the same form sent twice at the same moment: the first one won
        db.session.rollback()
        existing = _by_token(user, lesson, token)
        if existing is None:
            raise
        return existing, False
    return post, True


def _by_token(user: User, lesson: ResearchLesson, token: str) -> Post | None:
    return db.session.scalar(db.select(Post).where(Post.lesson_id == lesson.id, Post.author_id == user.id,
                                                   Post.client_token == token))


def _require_open(post: Post) -> None:
    if post.deleted_at is not None:
        raise DomainError("That post was deleted by its author.")
    if post.hidden_at is not None:
        raise DomainError("That post was hidden by the facilitator.")


def edit_post(user: User, post: Post, body: str, based_on: int | None = None, clock: Clock = utcnow) -> bool:
    """Authors edit their own posts; the earlier text is kept as a revision. Returns False when the
    text did not change (nothing is written)."""
    lesson = post_lesson(post)
    _require_reader(user, lesson)
    if post.author_id != user.id:
        raise NotAllowed("Only its author edits a post.")
    _require_open(post)
    body = _clean_body(body)
    if body == post.body:
        return False
    db.session.add(PostRevision(post_id=post.id, version=post.version, body=post.body, at=post.edited_at or post.created_at))
    post.body, post.body_html = body, to_html(body)
    post.version += 1
    post.edited_at = clock()
    post.seq = _next_seq(lesson)
    db.session.commit()
    return True


def delete_post(user: User, post: Post, clock: Clock = utcnow) -> None:
    """The author deletes a post: it stays on the board as "deleted by its author", replies kept."""
    lesson = post_lesson(post)
    _require_reader(user, lesson)
    if post.author_id != user.id:
        raise NotAllowed("Only its author deletes a post.")
    if post.deleted_at is not None:
        return
    post.deleted_at = clock()
    post.seq = _next_seq(lesson)
    db.session.commit()


def hide_post(user: User, post: Post, reason: str, clock: Clock = utcnow) -> None:
    lesson = post_lesson(post)
    if not is_facilitator(user, lesson.cycle.group) or not has_signed_current(user, lesson.cycle.group):
        raise NotAllowed("Only the facilitator hides posts.")
    reason = " ".join((reason or "").split())
    if not reason:
        raise DomainError("Say why the post is hidden: everyone sees the reason.", "reason")
    if len(reason) > MAX_REASON:
        raise DomainError(f"At most {MAX_REASON} characters.", "reason")
    if post.hidden_at is not None:
        return
    post.hidden_at, post.hidden_by_id, post.hidden_reason = clock(), user.id, reason
    post.seq = _next_seq(lesson)
    audit.record(user, "board.post_hidden", target=lesson.cycle.group.name,
                 details=f"RL{lesson.number}, post {post.id}: {reason}", school_id=lesson.cycle.group.school_id)
    db.session.commit()


def set_mark(user: User, post: Post, mark: str | None) -> None:
    lesson = post_lesson(post)
    if not can_mark(user, post, lesson):
        raise NotAllowed("Marks are set by a post's author, the facilitator, the chair and the recorder.")
    mark = mark or None
    if mark is not None and mark not in MARKS:
        raise DomainError("Choose finding, next step or question.", "mark")
    _require_open(post)
    if post.mark == mark:
        return
    post.mark = mark
    post.seq = _next_seq(lesson)
    db.session.commit()


def toggle_agree(user: User, post: Post) -> bool:
    """Agree with a post, or take one's agreement back. Returns whether the user now agrees."""
    lesson = post_lesson(post)
    if not is_signed_member(user, lesson):
        raise NotAllowed("Members of the group agree with posts.")
    _require_open(post)
    reaction = db.session.scalar(db.select(PostReaction).where(PostReaction.post_id == post.id,
                                                               PostReaction.user_id == user.id))
    if reaction is None:
        db.session.add(PostReaction(post_id=post.id, user_id=user.id))
    else:
        db.session.delete(reaction)
    post.agree_count = max(0, post.agree_count + (1 if reaction is None else -1))
    post.seq = _next_seq(lesson)
    try:
        db.session.commit()
    except IntegrityError:  # a double click: the first one counted
        db.session.rollback()
        return True
    return reaction is None


def post_lesson(post: Post) -> ResearchLesson:
    return db.session.get(ResearchLesson, post.lesson_id)


# --- reading -----------------------------------------------------------------------------------------

def _posts():
    return db.select(Post).options(selectinload(Post.author))


def section_posts(lesson: ResearchLesson, section: str, upto_seq: int, before_id: int | None = None,
                  limit: int = PAGE_SIZE) -> tuple[list[Post], bool]:
    """The newest `limit` threads of a section (before `before_id`), oldest first, and whether there
    are earlier ones. Only posts created up to `upto_seq`: later ones reach the page as changes."""
    query = _posts().where(Post.lesson_id == lesson.id, Post.section == section, Post.parent_id.is_(None),
                           Post.created_seq <= upto_seq)
    if before_id is not None:
        query = query.where(Post.id < before_id)
    posts = list(db.session.scalars(query.order_by(Post.id.desc()).limit(limit + 1)))
    return list(reversed(posts[:limit])), len(posts) > limit


def sections_posts(lesson: ResearchLesson, upto_seq: int,
                   limit: int = PAGE_SIZE) -> dict[str, tuple[list[Post], bool]]:
    """section_posts for every section of the board at once, in one query (a window per section)."""
    rank = db.func.row_number().over(partition_by=Post.section, order_by=Post.id.desc()).label("rank")
    ranked = (db.select(Post.id, rank).where(Post.lesson_id == lesson.id, Post.parent_id.is_(None),
                                             Post.created_seq <= upto_seq).subquery())
    found: dict[str, list[Post]] = {}
    for post in db.session.scalars(_posts().join(ranked, ranked.c.id == Post.id)
                                   .where(ranked.c.rank <= limit + 1).order_by(Post.id)):
        found.setdefault(post.section, []).append(post)
    return {section: (posts[-limit:], len(posts) > limit) for section, posts in found.items()}


def replies_of(posts: list[Post], upto_seq: int | None = None) -> dict[int, list[Post]]:
    if not posts:
        return {}
    query = _posts().where(Post.parent_id.in_([post.id for post in posts]))
    if upto_seq is not None:
        query = query.where(Post.created_seq <= upto_seq)
    replies: dict[int, list[Post]] = {post.id: [] for post in posts}
    for reply in db.session.scalars(query.order_by(Post.id)):
        replies[reply.parent_id].append(reply)
    return replies


def agreed_by(user: User, posts: list[Post]) -> set[int]:
    if not posts or not user.is_authenticated:
        return set()
    return set(db.session.scalars(db.select(PostReaction.post_id).where(
        PostReaction.user_id == user.id, PostReaction.post_id.in_([post.id for post in posts]))))


def agreed_on_board(user: User, lesson: ResearchLesson) -> set[int]:
    """The posts of a lesson's board the user agrees with (one query, whichever posts are shown)."""
    if not user.is_authenticated:
        return set()
    return set(db.session.scalars(db.select(PostReaction.post_id).join(Post, Post.id == PostReaction.post_id)
                                  .where(PostReaction.user_id == user.id, Post.lesson_id == lesson.id)))


def changes_after(lesson: ResearchLesson, seq: int, upto: int | None = None) -> tuple[list[Post], bool]:
    """The posts changed (or created) after change number `seq` and up to `upto` (the board's change
    number, read before), in the order of their changes, and whether there were too many (the page then
    reloads). Bounded by `upto`, the answer matches the number the page asks from next time: a post
    committed after the board's number was read (PostgreSQL reads each statement as committed when it
    starts) comes in the next answer only, and none numbered up to `upto` is missing (the board's row
    lock numbers the changes in the order they commit)."""
    upto = current_seq(lesson) if upto is None else upto
    posts = list(db.session.scalars(_posts().where(Post.lesson_id == lesson.id, Post.seq > seq, Post.seq <= upto)
                                     .order_by(Post.seq).limit(MAX_CHANGES + 1)))
    return posts[:MAX_CHANGES], len(posts) > MAX_CHANGES


def revisions_of(post: Post) -> list[PostRevision]:
    return list(db.session.scalars(db.select(PostRevision).where(PostRevision.post_id == post.id)
                                   .order_by(PostRevision.version)))


def all_posts(lesson: ResearchLesson) -> list[Post]:
    return list(db.session.scalars(_posts().where(Post.lesson_id == lesson.id).order_by(Post.id)))


def next_steps_of(lesson: ResearchLesson) -> list[NextStep]:
    """The "next step" posts of a lesson's discussion (not deleted or hidden), oldest first: the
    checklist the next research lesson's plan shows."""
    posts = db.session.scalars(_posts().where(Post.lesson_id == lesson.id, Post.mark == "next_step",
                                              Post.deleted_at.is_(None), Post.hidden_at.is_(None))
                               .order_by(Post.id))
    return [NextStep(key=f"post-{post.id}", text=to_plain(post.body), author=post.author.display_name,
                     post_id=post.id) for post in posts]


from .roles import (FINAL, GUEST, KNOWLEDGEABLE_GUEST, current_members_of, default_roles,  # noqa: E402,F401
                    guests_of, invite_guest, is_knowledgeable_other, remove_guest, roles_of, set_roles,
                    share_with_guests, shared_with_guests)
