"""Typed SQLAlchemy models, one module per domain area."""

from .audit import AuditEntry
from .coedit import CoeditAttribution, CoeditClient, CoeditSnapshot, CoeditSpell, CoeditUpdate
from .discussion import BoardGuest, DiscussionBoard, Post, PostReaction, PostRevision
from .groups import CasePupil, Cycle, CycleStatus, GroupLink, GroupMember, GroupRole, StudyGroup
from .lessonday import (CoverEntry, InterviewAnswer, NoteKind, Observation, ObservationVersion, Photo, Rating, TimeAllowance,
                        TimeEntry, TimeKind)
from .mail import AccountToken, MailStatus, NotificationChoice, NotificationSent, OutboxMessage, TokenPurpose
from .people import Installation, JobTitleRole, RecoveryCode, Role, School, User, UserSession
from .planning import (LessonStatus, ObserverAssignment, PlanChecklistTick, PlanField,
                       PlanRevision, PlanStage, ResearchLesson)
from .sharing import (CycleSummary, FairItem, LearningFair, OpenHouse, OpenHouseRegistration, Publication,
                      RedactionDecision, SummaryEvidence, SummaryField, SummaryRevision)
from .protocol import (ProtocolSignature, ProtocolVersion, SchoolProtocolVersion, SignatureKind,
                       text_hash)

__all__ = ["JobTitleRole", "AccountToken", "MailStatus", "NotificationChoice", "NotificationSent", "OutboxMessage", "TokenPurpose", "AuditEntry", "CoeditAttribution", "CoeditClient", "CoeditSnapshot", "CoeditSpell", "CoeditUpdate", "Installation", "BoardGuest", "CasePupil", "CoverEntry", "Cycle", "CycleStatus", "DiscussionBoard",
           "GroupLink", "GroupMember", "GroupRole", "InterviewAnswer", "LessonStatus", "NoteKind", "Observation", "ObservationVersion",
           "ObserverAssignment", "Photo", "PlanChecklistTick", "PlanField",
           "PlanRevision", "PlanStage", "Post", "RecoveryCode", "PostReaction", "PostRevision", "ProtocolSignature",
           "ProtocolVersion", "Rating", "ResearchLesson", "Role", "School", "SchoolProtocolVersion",
           "SignatureKind", "StudyGroup", "TimeAllowance", "TimeEntry", "TimeKind", "User", "UserSession",
           "text_hash", "CycleSummary", "FairItem", "LearningFair", "OpenHouse", "OpenHouseRegistration",
           "Publication", "RedactionDecision", "SummaryEvidence", "SummaryField",
           "SummaryRevision"]
