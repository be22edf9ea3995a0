"""The demo network: two schools and staff of every role, all with the password "lessonstudy"."""

from __future__ import annotations

from .auth.services import hash_password
from .extensions import db
from .models import Role, School, User

DEMO_PASSWORD = "lessonstudy"
DEMO_SCHOOLS = ("Northfield Primary School", "Riverside Academy")
DEMO_STAFF = [
    # (email, name, role, school index or None)
    ("admin@demo.local", "Alex Morgan", Role.NETWORK_ADMIN, None),
    ("schooladmin1@demo.local", "Priya Shah", Role.SCHOOL_ADMIN, 0),
    ("lead1@demo.local", "Tom Baker", Role.LEAD, 0),
    ("teacher1@demo.local", "Hannah Lee", Role.TEACHER, 0),
    ("teacher2@demo.local", "Samuel Owusu", Role.TEACHER, 0),
    ("teacher3@demo.local", "Grace Kelly-Ng", Role.TEACHER, 0),
    ("teacher4@demo.local", "Oliver Reid", Role.TEACHER, 0),
    ("support1@demo.local", "Maria Lopez", Role.SUPPORT, 0),
    ("schooladmin2@demo.local", "David Clarke", Role.SCHOOL_ADMIN, 1),
    ("lead2@demo.local", "Fatima Hussain", Role.LEAD, 1),
    ("teacher5@demo.local", "James O'Connor", Role.TEACHER, 1),
    ("teacher6@demo.local", "Chloe Evans", Role.TEACHER, 1),
    ("support2@demo.local", "Ravi Patel", Role.SUPPORT, 1),
]


def has_data() -> bool:
    return db.session.scalar(db.select(User.id).limit(1)) is not None


def seed_demo() -> list[tuple[str, str, str]]:
    """Create the demo network in one transaction; returns (email, name, role label, school) rows."""
    schools = [School(name=name) for name in DEMO_SCHOOLS]
    db.session.add_all(schools)
    db.session.flush()
    password_hash = hash_password(DEMO_PASSWORD)
    rows = []
    for email, name, role, school_index in DEMO_STAFF:
        school = schools[school_index] if school_index is not None else None
        db.session.add(User(email=email, display_name=name, role=role, password_hash=password_hash,
                            school_id=school.id if school else None, active=True))
        rows.append((email, name, role.label, school.name if school else "whole network"))
    db.session.commit()
    return rows


def is_demo() -> bool:
    return db.session.scalar(db.select(User.id).where(User.email == "admin@demo.local")) is not None
