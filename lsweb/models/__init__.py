"""Typed SQLAlchemy models, one module per domain area."""

from .audit import AuditEntry
from .people import Role, School, User

__all__ = ["AuditEntry", "Role", "School", "User"]
