"""The demo network: two schools and staff of every role, all with the password "lessonstudy"."""

from __future__ import annotations

from ..auth.passwords import DEMO_PASSWORD  # one source: new passwords may never be this one
from ..auth.services import hash_password
from ..extensions import db
from ..models import Role, School, User

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
    seed_groups()
    from .sharing import seed_sharing

    seed_sharing()
    return rows


def _user(email: str) -> User:
    return db.session.scalar(db.select(User).where(User.email == email))


def seed_groups() -> None:
    """Two groups at the first demo school, so a newcomer sees the sign-off step from both sides."""
    from ..models import CasePupil, Cycle, CycleStatus, GroupMember, GroupRole, StudyGroup
    from ..protocol import services as protocol

    school = db.session.scalar(db.select(School).where(School.name == DEMO_SCHOOLS[0]))
    specs = [
        ("Year 4 fractions", "teacher1@demo.local",
         ["teacher2@demo.local", "teacher3@demo.local", "support1@demo.local"],
         dict(focus_pupils="Year 4 pupils who find fractions hard", focus_learning="equivalent fractions",
              focus_approach="bar models and talk partners", subject="Mathematics", year_group="Year 4",
              class_name="4B", school_priority="Reasoning in mathematics",
              background="We read the NCETM guidance on fractions and the school's 2024 maths review."),
         True),
        ("Reception early writing", "teacher4@demo.local", ["teacher1@demo.local", "support1@demo.local"],
         dict(focus_pupils="Reception children", focus_learning="to write simple captions",
              focus_approach="shared writing in continuous provision", subject="English",
              year_group="Reception", class_name="RH", school_priority="Early literacy"),
         False),
    ]
    for name, facilitator_email, member_emails, details, everyone_signs in specs:
        facilitator = _user(facilitator_email)
        group = StudyGroup(name=name, school_id=school.id, created_by_id=_user("lead1@demo.local").id, **details)
        db.session.add(group)
        db.session.flush()
        db.session.add(GroupMember(group_id=group.id, user_id=facilitator.id, role=GroupRole.FACILITATOR))
        for email in member_emails:
            # Grace is the fractions group's knowledgeable other: she writes the board's final comments.
            role = GroupRole.KNOWLEDGEABLE_OTHER if (name, email) == ("Year 4 fractions", "teacher3@demo.local") \
                else GroupRole.MEMBER
            db.session.add(GroupMember(group_id=group.id, user_id=_user(email).id, role=role))
        version = protocol.adopt(facilitator, group, protocol.school_default_text(school))
        db.session.commit()
        signers = [facilitator_email] + member_emails
        if not everyone_signs:
            signers = [e for e in signers if e != "support1@demo.local"]
        for email in signers:
            user = _user(email)
            protocol.sign(user, group, version.id, True, user.display_name)
        if everyone_signs:
            cycle = Cycle(group_id=group.id, number=1, status=CycleStatus.PLANNING)
            db.session.add(cycle)
            db.session.flush()
            for position, (label, represents, attainment) in enumerate([
                ("Pupil A", "finds fractions hard", "Can halve shapes; unsure that 2/4 is a half."),
                ("Pupil B", "in the middle", "Finds equivalent fractions with a diagram."),
                ("Pupil C", "ahead of most of the class", "Explains equivalence with multiplication."),
            ], start=1):
                db.session.add(CasePupil(cycle_id=cycle.id, label=label, represents=represents,
                                         attainment=attainment, position=position))
            db.session.commit()
            db.session.refresh(cycle)
            from .discussion import seed_discussion
            from .lessonday import seed_lesson_day
            from .planning import seed_planning

            rl1, rl2 = seed_planning(cycle)
            seed_lesson_day(rl1, rl2)
            seed_discussion(rl1)


def is_demo() -> bool:
    return db.session.scalar(db.select(User.id).where(User.email == "admin@demo.local")) is not None
