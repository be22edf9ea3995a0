"""The live channels of lsweb, each with the rule for who may subscribe (the same as for the page it
serves, asked of lsweb/access.py). Services name a channel to queue an event on it; templates name it
to open the page's stream (`channels.lesson.name(lesson.id)`). They are declared in this one small
module, which imports only access and live, so that any service may name any channel without importing
another domain's package (and its views)."""

from __future__ import annotations

from . import access, live
from .extensions import db


def _group_members(user, key: str) -> bool:
    """"group-<id>": the group's current members, like the group's pages."""
    group_id = access.channel_key(key)
    return group_id is not None and access.of_group(user, group_id).member


def _signed_members_of_lesson(user, key: str) -> bool:
    """"lesson-<id>": members who have signed, like the plan page and the lesson-day grid."""
    lesson_id = access.channel_key(key)
    return lesson_id is not None and access.of_lesson(user, lesson_id).sees_material


def _board_readers(user, key: str) -> bool:
    """"board-<lesson id>": signed members of the lesson's group and the board's invited guests."""
    lesson_id = access.channel_key(key)
    if lesson_id is None:
        return False
    standing = access.of_lesson(user, lesson_id)
    return standing.sees_material or standing.guest


def _signed_members_of_cycle(user, key: str) -> bool:
    """"summary-<cycle id>": members who have signed, like the cycle summary."""
    cycle_id = access.channel_key(key)
    return cycle_id is not None and access.of_cycle(user, cycle_id).sees_material


GROUP = live.Channel("group", authorise=_group_members)
LESSON = live.Channel("lesson", authorise=_signed_members_of_lesson)
BOARD = live.Channel("board", authorise=_board_readers)
SUMMARY = live.Channel("summary", authorise=_signed_members_of_cycle)


def queue_group_change(group_id: int, event: str = "group-changed", **data) -> None:
    """Tell the group's open pages, once the caller's transaction commits, that `event` happened."""
    live.queue(db.session, GROUP.name(group_id), event, {"group": group_id, **data})


def queue_lesson_change(lesson_id: int, event: str = "plan-changed", **data) -> None:
    """Tell the lesson's open pages, once the caller's transaction commits, that `event` happened."""
    live.queue(db.session, LESSON.name(lesson_id), event, {"lesson": lesson_id, **data})


def queue_board_change(lesson_id: int, event: str = "board-changed", **data) -> None:
    live.queue(db.session, BOARD.name(lesson_id), event, {"lesson": lesson_id, **data})


def queue_summary_change(cycle_id: int, event: str, **data) -> None:
    live.queue(db.session, SUMMARY.name(cycle_id), event, data)
