"""Typed SQLAlchemy models, one module per domain area."""

from .audit import AuditEntry
from .discussion import BoardGuest, DiscussionBoard, Post, PostReaction, PostRevision
from .groups import CasePupil, Cycle, CycleStatus, GroupLink, GroupMember, GroupRole, StudyGroup
from .people import Role, School, User, UserSession
from .planning import (LessonStatus, ObserverAssignment, PlanChecklistTick, PlanConflict, PlanField,
                       PlanPresence, PlanRevision, PlanStage, ResearchLesson)
from .protocol import (ProtocolSignature, ProtocolVersion, SchoolProtocolVersion, SignatureKind,
                       text_hash)

__all__ = ["AuditEntry", "BoardGuest", "DiscussionBoard", "Post", "PostReaction", "PostRevision",
           "CasePupil", "Cycle", "CycleStatus", "GroupLink", "GroupMember", "GroupRole",
           "LessonStatus", "ObserverAssignment", "PlanChecklistTick", "PlanConflict", "PlanField",
           "PlanPresence", "PlanRevision", "PlanStage", "ResearchLesson",
           "ProtocolSignature", "ProtocolVersion", "Role", "School", "SchoolProtocolVersion",
           "SignatureKind", "StudyGroup", "User", "UserSession", "text_hash"]
