"""The home page's dashboards, each a handful of batched queries (never one per group or lesson).

Leaders (leads and school admins) see every group of their school as the trust rules allow: its name,
its cycle's stage, who still has to sign the protocol, the date of its next lesson, how many cover
entries its upcoming lessons need, and its members' protected time against their allowances. Never a
plan's text, an observation or a post.

Members see their next lessons (teaching, or observing which pupils) and their open tasks: sign the
protocol, write the predictions still empty in a plan, observe a lesson they were assigned to, and post
on the board of a taught lesson.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func

from ..access import signed_groups
from ..extensions import db
from ..lessonday.ledger import DEFAULT_MINUTES, school_year
from ..models import (
    CasePupil,
    CoverEntry,
    Cycle,
    CycleStatus,
    GroupMember,
    LessonStatus,
    Observation,
    ObserverAssignment,
    PlanField,
    PlanStage,
    Post,
    ProtocolSignature,
    ProtocolVersion,
    ResearchLesson,
    Role,
    SignatureKind,
    StudyGroup,
    TimeAllowance,
    TimeEntry,
    User,
)

LEADER_ROLES = (Role.LEAD, Role.SCHOOL_ADMIN)


# --- shared batched look-ups ------------------------------------------------------------------------

def _members(group_ids: list[int]) -> dict[int, list[User]]:
    """group id -> its current members (one query)."""
    found: dict[int, list[User]] = defaultdict(list)
    rows = db.session.execute(db.select(GroupMember.group_id, User).join(User, User.id == GroupMember.user_id)
                              .where(GroupMember.group_id.in_(group_ids), GroupMember.left_at.is_(None))
                              .order_by(User.display_name))
    for group_id, user in rows:
        found[group_id].append(user)
    return found


def _signed_current(group_ids: list[int]) -> dict[int, set[int]]:
    """group id -> ids of the users whose latest event on the group's current protocol version is a
    signature (two queries)."""
    current: dict[int, int] = {}
    for group_id, version_id, _number in db.session.execute(
            db.select(ProtocolVersion.group_id, ProtocolVersion.id, ProtocolVersion.number)
            .where(ProtocolVersion.group_id.in_(group_ids)).order_by(ProtocolVersion.number)):
        current[group_id] = version_id
    latest: dict[tuple[int, int], SignatureKind] = {}
    if current:
        for version_id, user_id, kind in db.session.execute(
                db.select(ProtocolSignature.version_id, ProtocolSignature.user_id, ProtocolSignature.kind)
                .where(ProtocolSignature.version_id.in_(list(current.values())))
                .order_by(ProtocolSignature.sequence)):
            latest[(version_id, user_id)] = kind
    signed: dict[int, set[int]] = defaultdict(set)
    by_version = {version_id: group_id for group_id, version_id in current.items()}
    for (version_id, user_id), kind in latest.items():
        if kind is SignatureKind.SIGNED:
            signed[by_version[version_id]].add(user_id)
    return signed


def _latest_cycles(group_ids: list[int]) -> dict[int, Cycle]:
    found: dict[int, Cycle] = {}
    for cycle in db.session.scalars(db.select(Cycle).where(Cycle.group_id.in_(group_ids)).order_by(Cycle.number)):
        found[cycle.group_id] = cycle
    return found


# --- leaders ----------------------------------------------------------------------------------------

@dataclass
class GroupOverview:
    name: str
    stage: str
    cycle_number: int | None
    to_sign: list[str]
    next_lesson: ResearchLesson | None
    cover_needed: int
    cover_arranged: int
    used_minutes: int
    allowance_minutes: int

    @property
    def used_hours(self) -> float:
        return self.used_minutes / 60

    @property
    def allowance_hours(self) -> float:
        return self.allowance_minutes / 60


def is_leader(user: User) -> bool:
    return user.is_authenticated and user.role in LEADER_ROLES and user.school_id is not None


def school_overview(user: User, today: date) -> list[GroupOverview]:
    """Every group of the leader's school (nothing for anyone else), in about eight queries."""
    if not is_leader(user):
        return []
    groups = list(db.session.scalars(db.select(StudyGroup).where(StudyGroup.school_id == user.school_id)
                                     .order_by(StudyGroup.name)))
    ids = [group.id for group in groups]
    if not ids:
        return []
    members, signed, cycles = _members(ids), _signed_current(ids), _latest_cycles(ids)

    next_lessons: dict[int, ResearchLesson] = {}
    for group_id, lesson in db.session.execute(
            db.select(Cycle.group_id, ResearchLesson).join(Cycle, Cycle.id == ResearchLesson.cycle_id)
            .where(Cycle.group_id.in_(ids), ResearchLesson.date >= today,
                   ResearchLesson.status == LessonStatus.PLANNED)
            .order_by(ResearchLesson.date, ResearchLesson.start_time, ResearchLesson.id)):
        next_lessons.setdefault(group_id, lesson)

    cover = {group_id: (needed, arranged) for group_id, needed, arranged in db.session.execute(
        db.select(Cycle.group_id, func.count(CoverEntry.id), func.count(CoverEntry.covered_by_id))
        .join(ResearchLesson, ResearchLesson.id == CoverEntry.lesson_id)
        .join(Cycle, Cycle.id == ResearchLesson.cycle_id)
        .where(Cycle.group_id.in_(ids), ResearchLesson.date >= today,
               ResearchLesson.status == LessonStatus.PLANNED)
        .group_by(Cycle.group_id))}

    start, end = school_year(today)
    used = dict(db.session.execute(
        db.select(GroupMember.group_id, func.sum(TimeEntry.minutes))
        .join(TimeEntry, TimeEntry.user_id == GroupMember.user_id)
        .where(GroupMember.group_id.in_(ids), GroupMember.left_at.is_(None),
               TimeEntry.on >= start, TimeEntry.on <= end)
        .group_by(GroupMember.group_id)).all())
    schools = {u.school_id for users in members.values() for u in users if u.school_id is not None}
    allowances = dict(db.session.execute(db.select(TimeAllowance.school_id, TimeAllowance.minutes_per_year)
                                         .where(TimeAllowance.school_id.in_(schools))).all()) if schools else {}

    rows = []
    for group in groups:
        cycle = cycles.get(group.id)
        people = members.get(group.id, [])
        needed, arranged = cover.get(group.id, (0, 0))
        rows.append(GroupOverview(
            name=group.name,
            stage=cycle.status.label if cycle else "No cycle yet",
            cycle_number=cycle.number if cycle else None,
            to_sign=[u.display_name for u in people if u.id not in signed.get(group.id, set())],
            next_lesson=next_lessons.get(group.id),
            cover_needed=needed, cover_arranged=arranged,
            used_minutes=int(used.get(group.id) or 0),
            allowance_minutes=sum(allowances.get(u.school_id, DEFAULT_MINUTES) for u in people)))
    return rows


# --- members ----------------------------------------------------------------------------------------

@dataclass
class MyLesson:
    lesson: ResearchLesson
    group_name: str
    role: str  # "Teaching", "Observing Pupil A, Pupil B", "Taking part"


@dataclass
class Task:
    kind: str      # sign | predict | observe | discuss
    text: str
    endpoint: str
    args: dict = field(default_factory=dict)


@dataclass
class MemberDashboard:
    next_lessons: list[MyLesson]
    tasks: list[Task]


def member_dashboard(user: User, today: date, my_groups: list[StudyGroup] | None = None) -> MemberDashboard:
    """The user's next lessons and open tasks across their groups, in about ten queries. `my_groups`: the
    user's current groups when the caller has them already (the home page lists them too)."""
    if my_groups is None:
        my_groups = list(db.session.scalars(
            db.select(StudyGroup).join(GroupMember, GroupMember.group_id == StudyGroup.id)
            .where(GroupMember.user_id == user.id, GroupMember.left_at.is_(None)).order_by(StudyGroup.name)))
    groups = {g.id: g for g in my_groups}
    if not groups:
        return MemberDashboard([], [])
    signed = signed_groups(user.id, list(groups))
    tasks = [Task("sign", f"Sign the protocol of {g.name}", "protocol.show", {"group_id": g.id})
             for g in groups.values() if g.id not in signed]
    # Lessons only of the groups whose protocol the user has signed: the others' lessons are not theirs
    # to see yet.
    open_groups = [gid for gid in groups if gid in signed]
    if not open_groups:
        return MemberDashboard([], tasks)
    lessons = list(db.session.execute(
        db.select(ResearchLesson, Cycle.group_id).join(Cycle, Cycle.id == ResearchLesson.cycle_id)
        .where(Cycle.group_id.in_(open_groups), Cycle.status != CycleStatus.CLOSED)
        .order_by(ResearchLesson.date, ResearchLesson.start_time, ResearchLesson.id)))
    if not lessons:
        return MemberDashboard([], tasks)
    lesson_ids = [lesson.id for lesson, _ in lessons]
    watching: dict[int, list[str]] = {}
    for lesson_id, label in db.session.execute(
            db.select(ObserverAssignment.lesson_id, CasePupil.label).distinct()
            .join(CasePupil, CasePupil.id == ObserverAssignment.pupil_id)
            .where(ObserverAssignment.lesson_id.in_(lesson_ids), ObserverAssignment.observer_id == user.id)
            .order_by(ObserverAssignment.lesson_id, CasePupil.label)):
        watching.setdefault(lesson_id, []).append(label)

    def name(lesson: ResearchLesson, group_id: int) -> str:
        return f"{groups[group_id].name}, {lesson.title}"

    upcoming = []
    for lesson, group_id in lessons:
        if lesson.status is LessonStatus.PLANNED and lesson.date is not None and lesson.date >= today:
            pupils = watching.get(lesson.id)
            role = ("Teaching" if lesson.teacher_id == user.id else
                    "Observing " + ", ".join(pupils) if pupils else "Taking part")
            upcoming.append(MyLesson(lesson, groups[group_id].name, role))

    planned = [(lesson, gid) for lesson, gid in lessons if lesson.status is LessonStatus.PLANNED]
    empty = _empty_predictions([lesson for lesson, _ in planned])
    for lesson, group_id in planned:
        if empty.get(lesson.id):
            count = empty[lesson.id]
            tasks.append(Task("predict", f"Predict: {count} empty prediction{'s' if count != 1 else ''} in the "
                              f"plan of {name(lesson, group_id)}", "planning.plan", {"lesson_id": lesson.id}))

    to_observe = [lesson.id for lesson, _ in lessons if lesson.id in watching and lesson.date is not None
                  and lesson.date <= today and lesson.status is not LessonStatus.DISCUSSED]
    noted = set(db.session.scalars(db.select(Observation.lesson_id).distinct().where(
        Observation.lesson_id.in_(to_observe), Observation.observer_id == user.id,
        Observation.deleted_at.is_(None)))) if to_observe else set()
    taught = [lesson.id for lesson, _ in lessons if lesson.status is LessonStatus.TAUGHT]
    posted = set(db.session.scalars(db.select(Post.lesson_id).distinct().where(
        Post.lesson_id.in_(taught), Post.author_id == user.id))) if taught else set()
    for lesson, group_id in lessons:
        if lesson.id in to_observe and lesson.id not in noted:
            tasks.append(Task("observe", f"Observe: write your notes on {name(lesson, group_id)}",
                              "lessonday.observe", {"lesson_id": lesson.id}))
        if lesson.id in taught and lesson.id not in posted:
            tasks.append(Task("discuss", f"Discuss: post on the board of {name(lesson, group_id)}",
                              "discussion.board", {"lesson_id": lesson.id}))
    return MemberDashboard(upcoming, tasks)


def _empty_predictions(lessons: list[ResearchLesson]) -> dict[int, int]:
    """lesson id -> how many prediction cells (current stage x case pupil) are still empty (one query)."""
    if not lessons:
        return {}
    ids = [lesson.id for lesson in lessons]
    stages = (db.select(func.count(PlanStage.id)).where(PlanStage.lesson_id == ResearchLesson.id,
                                                        PlanStage.removed_at.is_(None))
              .correlate(ResearchLesson).scalar_subquery())
    pupils = (db.select(func.count(CasePupil.id)).where(CasePupil.cycle_id == ResearchLesson.cycle_id)
              .correlate(ResearchLesson).scalar_subquery())
    filled = (db.select(func.count(PlanField.id))
              .join(PlanStage, PlanStage.id == PlanField.stage_id)
              .join(CasePupil, CasePupil.id == PlanField.pupil_id)
              .where(PlanField.lesson_id == ResearchLesson.id, PlanField.kind == "prediction",
                     PlanStage.removed_at.is_(None), CasePupil.cycle_id == ResearchLesson.cycle_id,
                     func.trim(PlanField.text) != "")
              .correlate(ResearchLesson).scalar_subquery())
    rows = db.session.execute(db.select(ResearchLesson.id, stages, pupils, filled).where(ResearchLesson.id.in_(ids)))
    return {lesson_id: max(0, (stage_count or 0) * (pupil_count or 0) - (filled_count or 0))
            for lesson_id, stage_count, pupil_count, filled_count in rows}
