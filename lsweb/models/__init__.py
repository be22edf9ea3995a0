"""Typed SQLAlchemy models, one module per domain area."""

from .audit import AuditEntry
from .groups import CasePupil, Cycle, CycleStatus, GroupLink, GroupMember, GroupRole, StudyGroup
from .lessonday import (CoverEntry, InterviewAnswer, NoteKind, Observation, Photo, Rating, TimeAllowance,
                        TimeEntry, TimeKind)
from .people import Role, School, User, UserSession
from .planning import (LessonStatus, ObserverAssignment, PlanChecklistTick, PlanConflict, PlanField,
                       PlanPresence, PlanRevision, PlanStage, ResearchLesson)
from .protocol import (ProtocolSignature, ProtocolVersion, SchoolProtocolVersion, SignatureKind,
                       text_hash)

__all__ = ["AuditEntry", "CasePupil", "CoverEntry", "InterviewAnswer", "NoteKind", "Observation", "Photo",
           "Rating", "TimeAllowance", "TimeEntry", "TimeKind", "Cycle", "CycleStatus", "GroupLink", "GroupMember", "GroupRole",
           "LessonStatus", "ObserverAssignment", "PlanChecklistTick", "PlanConflict", "PlanField",
           "PlanPresence", "PlanRevision", "PlanStage", "ResearchLesson",
           "ProtocolSignature", "ProtocolVersion", "Role", "School", "SchoolProtocolVersion",
           "SignatureKind", "StudyGroup", "User", "UserSession", "text_hash"]
