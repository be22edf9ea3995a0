"""Schools of the network and the staff who sign in."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow


class Role(str, enum.Enum):
    NETWORK_ADMIN = "network_admin"
    SCHOOL_ADMIN = "school_admin"
    LEAD = "lead"
    TEACHER = "teacher"
    SUPPORT = "support"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]

    @classmethod
    def parse(cls, text: str) -> "Role | None":
        """A role from a value or a label, as typed in a CSV file ("Support staff", "teacher")."""
        wanted = " ".join(text.strip().lower().replace("_", " ").replace("-", " ").split())
        for role in cls:
            if wanted in (role.value.replace("_", " "), role.label.lower()):
                return role
        return ROLE_ALIASES.get(wanted)


ROLE_LABELS = {
    Role.NETWORK_ADMIN: "Network admin",
    Role.SCHOOL_ADMIN: "School admin",
    Role.LEAD: "Lead",
    Role.TEACHER: "Teacher",
    Role.SUPPORT: "Support staff",
}
ROLE_ALIASES = {"support": Role.SUPPORT, "ta": Role.SUPPORT, "teaching assistant": Role.SUPPORT,
                "admin": Role.SCHOOL_ADMIN}


class School(db.Model):
    __tablename__ = "school"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Days pupil-level records (observations, interviews, photos) are kept; `lsweb purge` deletes older.
    retention_days: Mapped[int] = mapped_column(Integer, default=365, server_default="365")
    # Days the photos of a pupil whose photo consent was withdrawn are kept (hidden) before `lsweb purge`
    # deletes them: a consent unticked by mistake can be ticked again meanwhile.
    photo_grace_days: Mapped[int] = mapped_column(Integer, default=30, server_default="30")
    # False: the school's staff sign in only through its directory (LDAP / Active Directory); lsweb
    # passwords, invitations and password resets are off for them.
    local_passwords: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    # The school's time zone (IANA name); None: the installation's (LSWEB_TIMEZONE, else the server's).
    timezone: Mapped[str | None] = mapped_column(String(64))

    staff: Mapped[list["User"]] = relationship(back_populates="school", order_by="User.display_name")

    def __repr__(self) -> str:
        return f"<School {self.name!r}>"


class User(UserMixin, db.Model):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lower-case
    display_name: Mapped[str] = mapped_column(String(120))
    # None until an admin issues a temporary password (imported staff start without one).
    password_hash: Mapped[str | None] = mapped_column(String(255))
    # The secret in the person's calendar feed URL (/calendar/<token>.ics); None until first shown.
    calendar_token: Mapped[str | None] = mapped_column(String(64), unique=True, index=True)
    role: Mapped[Role] = mapped_column(db.Enum(Role, native_enum=False, length=20,
                                               values_callable=lambda e: [r.value for r in e]))
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    # When a temporary password (set by an admin) stops working; None for a password chosen by its owner.
    temporary_password_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Part of the id kept in session and remember cookies: bumping it signs out every other session.
    session_generation: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Two-step sign-in (TOTP): the shared secret (base32) once set up, when it was, and the last time
    # step a code was accepted for (a code is good once).
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)

    school: Mapped[School | None] = relationship(back_populates="staff")

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def get_id(self) -> str:
        """What session and remember-me cookies carry: "<id>:<generation>:<session id>".

        Bumping `session_generation` signs out every session at once; ending one UserSession signs
        out that one (sign-out, or "end this session" on the sessions page).
        """
        return f"{self.id}:{self.session_generation}:{getattr(self, 'session_id', '')}"

    @property
    def is_network_admin(self) -> bool:
        return self.role is Role.NETWORK_ADMIN

    @property
    def is_admin(self) -> bool:
        return self.role in (Role.NETWORK_ADMIN, Role.SCHOOL_ADMIN)

    def __repr__(self) -> str:
        return f"<User {self.email!r}>"


class RecoveryCode(db.Model):
    """A one-use code for two-step sign-in when the authenticator is lost (stored hashed)."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class UserSession(db.Model):
    """One signed-in browser. Ended at sign-out, or by the user from another device."""

    __tablename__ = "user_session"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_agent: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[str] = mapped_column(String(64), default="")
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # "Keep me signed in": lives as long as the remember-me cookie, not the absolute session lifetime.
    remember: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")

    user: Mapped[User] = relationship()


class JobTitleRole(db.Model):
    """A school's own meaning of a job title in its MIS export ("Phase Lead" -> lead)."""

    __tablename__ = "job_title_role"
    __table_args__ = (db.UniqueConstraint("school_id", "title"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    title: Mapped[str] = mapped_column(String(120))  # normalised: lower-case, single spaces
    role: Mapped[Role] = mapped_column(db.Enum(Role, native_enum=False, length=20,
                                               values_callable=lambda e: [r.value for r in e]))


class Installation(db.Model):
    """One row: what makes this installation itself (the calendar feed's event UIDs end with it)."""

    __tablename__ = "installation"

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(36), unique=True)
