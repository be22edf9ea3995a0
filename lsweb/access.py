"""What the signed-in person is to a group, a cycle or a lesson: decided here, once per request.

    from lsweb import access

    standing = access.of_lesson(current_user, lesson_id)    # one query, then cached for the request
    if standing.sees_material: ...                         # a member who has signed the protocol

One query answers, for the object's group: is the person a current member (and with which group role),
is their latest event on the group's current protocol version a signature, and (for a lesson) are they
an invited guest of its discussion board. The answer (a `Standing`) is kept on flask.g per person and
object, and forgotten whenever the database session writes, commits or rolls back, so a page rendered
after the person signs or joins sees the new answer. Views, services, live-channel checks and templates
ask here (directly or through lsweb/permissions.py, which keeps the older function names).

Who is what (`Standing.kind`):
  outsider       not a member (a school leader or an admin who is not a member is an outsider to the
                 group's material too: they see dashboards, never plans, observations or discussions)
  guest          invited to the lesson's discussion board, not a member
  unsigned       a current member who has not signed the current protocol version
  signed         a current member who has signed
  facilitator    a signed member whose group role is facilitator
`school_leader` and `admin` say what the person is to the group's school (dashboards, staff pages);
they never open group material by themselves.

Objects a person may not see answer 404, never 403 (existence is not revealed across groups/schools).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from flask import abort, g, has_app_context
from sqlalchemy import bindparam, event, text
from sqlalchemy.orm import Session

from .models import GroupRole, Role, SignatureKind, User

OUTSIDER, GUEST, UNSIGNED, SIGNED, FACILITATOR = "outsider", "guest", "unsigned", "signed", "facilitator"
LEADER_ROLES = (Role.LEAD, Role.SCHOOL_ADMIN)


@dataclass(frozen=True)
class Standing:
    """One person's standing in one group (and, for a lesson, on its board). `found` is False when the
    object does not exist."""

    found: bool
    group_id: int | None = None
    school_id: int | None = None
    member_role: GroupRole | None = None
    signed: bool = False        # their latest event on the current protocol version is a signature
    guest: bool = False
    school_leader: bool = False
    admin: bool = False
    # For a lesson, what its pages' frame shows (read in the same query): RL number, plan stamp, the
    # cycle's number and the group's name.
    frame: tuple | None = None
    # For a lesson, the yes/no questions other modules asked to have answered in the same query
    # (`lesson_flag`), by name.
    flags: tuple = ()

    def flag(self, name: str) -> bool:
        return name in self.flags

    @property
    def member(self) -> bool:
        return self.member_role is not None

    @property
    def facilitator(self) -> bool:
        return self.member_role is GroupRole.FACILITATOR

    @property
    def sees_material(self) -> bool:
        """Plans, observations, the discussion, summaries in the making: signed members only."""
        return self.member and self.signed

    @property
    def kind(self) -> str:
        if not self.member:
            return GUEST if self.guest else OUTSIDER
        if not self.signed:
            return UNSIGNED
        return FACILITATOR if self.facilitator else SIGNED


NOT_FOUND = Standing(found=False)

# The person's standing in a group, reached from a group, a cycle or a lesson: one round trip.
_SIGNATURE = """
  (SELECT s.kind FROM protocol_signature s
   WHERE s.user_id = :user AND s.version_id = (SELECT v.id FROM protocol_version v WHERE v.group_id = gr.id
                                               ORDER BY v.number DESC LIMIT 1)
   ORDER BY s.sequence DESC LIMIT 1) AS signature"""
_MEMBER = """
  (SELECT m.role FROM group_member m WHERE m.group_id = gr.id AND m.user_id = :user AND m.left_at IS NULL
   ORDER BY m.id LIMIT 1) AS member_role"""
_QUERIES = {
    "group": text(f"SELECT gr.id AS group_id, gr.school_id AS school_id, {_MEMBER}, {_SIGNATURE}, "
                  "0 AS guest, NULL AS frame_number FROM study_group gr WHERE gr.id = :id"),
    "cycle": text(f"SELECT gr.id AS group_id, gr.school_id AS school_id, {_MEMBER}, {_SIGNATURE}, "
                  "0 AS guest, NULL AS frame_number FROM cycle c JOIN study_group gr ON gr.id = c.group_id "
                  "WHERE c.id = :id"),
    "lesson": text(f"SELECT gr.id AS group_id, gr.school_id AS school_id, {_MEMBER}, {_SIGNATURE}, "
                   "EXISTS (SELECT 1 FROM board_guest b WHERE b.lesson_id = l.id AND b.user_id = :user "
                   "        AND b.removed_at IS NULL) AS guest, "
                   "l.number AS frame_number, l.plan_stamp AS plan_stamp, c.number AS cycle_number, "
                   "gr.name AS group_name "
                   "FROM research_lesson l JOIN cycle c ON c.id = l.cycle_id "
                   "JOIN study_group gr ON gr.id = c.group_id WHERE l.id = :id"),
}

# The person's signature on the current protocol version of several groups at once (the home page).
_SIGNED_GROUPS = text(f"SELECT gr.id AS group_id, {_SIGNATURE} FROM study_group gr WHERE gr.id IN :groups"
                      ).bindparams(bindparam("groups", expanding=True))


def signed_groups(user_id: int, group_ids: list[int]) -> set[int]:
    """The ids of the groups whose current protocol version `user_id` has signed, by the rule every
    access decision uses (one query)."""
    from .extensions import db

    if not group_ids:
        return set()
    rows = db.session.execute(_SIGNED_GROUPS, {"user": user_id, "groups": group_ids})
    return {row.group_id for row in rows if row.signature == SignatureKind.SIGNED.value}


_LESSON_FLAGS: dict[str, str] = {}


def lesson_flag(name: str, sql_exists: str) -> None:
    """Read one more yes/no fact about the person and a lesson in the lesson's access query (no second
    round trip): `sql_exists` is an EXISTS (...) over `l` (the lesson) and `:user`. Registered once at
    import time by the module that needs it; `Standing.flag(name)` answers it."""
    if not name.isidentifier():
        raise ValueError(f"access flag {name!r}: use a Python identifier")
    _LESSON_FLAGS[name] = sql_exists
    _QUERIES.pop("lesson_with_flags", None)


def _query(what: str):
    if what != "lesson" or not _LESSON_FLAGS:
        return _QUERIES[what]
    if "lesson_with_flags" not in _QUERIES:
        extra = "".join(f", {sql} AS flag_{name}" for name, sql in sorted(_LESSON_FLAGS.items()))
        base = _QUERIES["lesson"].text
        _QUERIES["lesson_with_flags"] = text(base.replace(" FROM research_lesson l", extra + " FROM research_lesson l", 1))
    return _QUERIES["lesson_with_flags"]


def _decide(user: User, what: str, object_id: int) -> Standing:
    from .extensions import db

    if not getattr(user, "is_authenticated", False) or getattr(user, "id", None) is None:
        row = db.session.execute(_query(what), {"id": object_id, "user": -1}).one_or_none()
        return NOT_FOUND if row is None else Standing(found=True, group_id=row.group_id, school_id=row.school_id)
    row = db.session.execute(_query(what), {"id": object_id, "user": user.id}).one_or_none()
    if row is None:
        return NOT_FOUND
    same_school = user.school_id is not None and user.school_id == row.school_id
    return Standing(
        found=True, group_id=row.group_id, school_id=row.school_id,
        member_role=GroupRole(row.member_role) if row.member_role is not None else None,
        signed=row.signature == SignatureKind.SIGNED.value,
        guest=bool(row.guest),
        frame=(row.frame_number, row.plan_stamp, row.cycle_number, row.group_name)
        if row.frame_number is not None else None,
        flags=tuple(name for name in _LESSON_FLAGS if what == "lesson" and getattr(row, f"flag_{name}")),
        school_leader=user.active and user.role in LEADER_ROLES and same_school,
        admin=user.active and (user.role is Role.NETWORK_ADMIN or (user.role is Role.SCHOOL_ADMIN and same_school)),
    )


def _cached(user: User, what: str, object_id: int) -> Standing:
    if not has_app_context():
        return _decide(user, what, object_id)
    cache = g.setdefault("_lsweb_access", {})
    key = (getattr(user, "id", None), what, object_id)
    if key not in cache:
        standing = cache[key] = _decide(user, what, object_id)
        if what != "group" and standing.found:  # the same person in the same group: asked next, often
            cache.setdefault((key[0], "group", standing.group_id),
                             replace(standing, guest=False, frame=None, flags=()))
    return cache[key]


def of_group(user: User, group_or_id) -> Standing:
    return _cached(user, "group", _id(group_or_id))


def of_cycle(user: User, cycle_or_id) -> Standing:
    return _cached(user, "cycle", _id(cycle_or_id))


def of_lesson(user: User, lesson_or_id) -> Standing:
    return _cached(user, "lesson", _id(lesson_or_id))


def _id(value) -> int:
    return value if isinstance(value, int) else value.id


def forget() -> None:
    """Drop every cached answer (the session wrote, committed or rolled back)."""
    if has_app_context():
        g.pop("_lsweb_access", None)


@event.listens_for(Session, "after_flush")
def _after_flush(session, _context):
    forget()


@event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(session, transaction):
    if transaction.parent is None:
        forget()  # committed, rolled back or closed: the next question is asked again


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session, _previous):
    forget()  # a savepoint rolled back may have undone a change already asked about


# --- loading what the person may see (404 otherwise) -----------------------------------------------

def group_or_404(user: User, group_id: int):
    """A group the user belongs to. Everyone else, school leaders and admins included, gets 404."""
    from .extensions import db
    from .models import StudyGroup

    if not of_group(user, group_id).member:
        abort(404)
    return db.session.get(StudyGroup, group_id)


def lesson_or_404(user: User, lesson_id: int):
    """A research lesson of a group the user belongs to; anyone else gets 404. Whether the member may
    see the plan (signed the protocol) is the caller's next question (`of_lesson(...).sees_material`)."""
    if not of_lesson(user, lesson_id).member:
        abort(404)
    return load_lesson(lesson_id)


def load_lesson(lesson_id: int):
    """The lesson with its cycle and group in one query: every lesson page shows the group's name and
    the cycle's number (two lazy loads otherwise)."""
    from sqlalchemy.orm import joinedload

    from .extensions import db
    from .models import Cycle, ResearchLesson

    return db.session.get(ResearchLesson, lesson_id,
                          options=[joinedload(ResearchLesson.cycle).joinedload(Cycle.group)])


def channel_key(key: str) -> int | None:
    """The id in a live channel's key ("lesson-12" -> 12), or None when it is not one."""
    from .inputs import parse_id

    return parse_id(key)
