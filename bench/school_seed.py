"""The data bench/pages.py measures: one school in the middle of its year on top of the demo network
(seed_school, through the app's own services), and the network topped up to authority scale
(seed_authority, straight into the tables). See bench/pages.py for what each holds."""

from __future__ import annotations

from datetime import date, timedelta
from datetime import time as clock_time

STAFF = 60
BENCH_GROUPS = 7
AUDIT_ENTRIES = 1000
DEMO_BOARD_POSTS = 100
SUBJECTS = [("Mathematics", "Year 2", "number bonds to 20", "part-whole models"),
            ("English", "Year 5", "to summarise a paragraph", "reciprocal reading"),
            ("Science", "Year 6", "to plan a fair test", "think-pair-share"),
            ("Mathematics", "Year 1", "counting on", "number lines"),
            ("English", "Year 3", "to write a paragraph with a topic sentence", "shared writing"),
            ("History", "Year 4", "chronology", "timelines on the wall"),
            ("Computing", "Year 6", "to debug a program", "pair programming")]
POST_TEXTS = [
    "Pupil A used the model without being asked at the start of the second stage, which we had not predicted.",
    "Most of the class worked in pairs; two pairs went quiet when the task moved on.",
    "The timing of the middle stage was too tight: twelve minutes, not five.",
    "Agreed: next time give the practice a full ten minutes and **model it first**.",
    "Pupil C finished early and made up harder examples: we should plan more challenge.",
    "Pupil B explained it to a partner in their own words, as predicted.",
]


def _bench_user(db, User, Role, school_id, n, role, password_hash):
    user = User(email=f"staff{n}@bench.local", display_name=f"Bench Staff {n:02d}", role=role,
                school_id=school_id, password_hash=password_hash, active=True)
    db.session.add(user)
    return user


def _fill_plan(lesson, writers, pupils) -> None:
    """The demo's RL1 plan (6 stages, aims, criteria, predictions), written by three members."""
    from lsweb.demo.planning import AIMS, CRITERIA, STAGES
    from lsweb.extensions import db
    from lsweb.planning import fields, lessons, observers

    for _ in STAGES[1:]:
        lessons.add_stage(writers[0], lesson)
    db.session.refresh(lesson)
    for index, (key, text) in enumerate(AIMS.items()):
        fields.save_field(writers[index % 3], lesson, key, text)
    for pupil, text in zip(pupils, CRITERIA):
        fields.save_field(writers[2], lesson, fields.pupil_key(pupil.id), text)
    for stage, (when, activity, resources, predictions) in zip(lesson.current_stages, STAGES):
        fields.save_field(writers[0], lesson, fields.stage_key(stage.id, "time"), when)
        fields.save_field(writers[1], lesson, fields.stage_key(stage.id, "activity"), activity)
        fields.save_field(writers[2], lesson, fields.stage_key(stage.id, "resources"), resources)
        for index, (pupil, text) in enumerate(zip(pupils, predictions)):
            fields.save_field(writers[index], lesson, fields.prediction_key(stage.id, pupil.id), text)
    for pupil, observer in zip(pupils, writers[1:] + writers[:1]):
        observers.set_watcher(writers[0], lesson, pupil, None, observer.id)


def _set_details(user, lesson, on: date, teacher) -> None:
    from lsweb.planning import lessons

    lessons.update_details(user, lesson, lessons.LessonDetails(
        date=on, start_time=clock_time(9, 10), duration_minutes=50, class_name=lesson.class_name or "5A",
        room="Room 3", teacher_id=teacher.id), lesson.details_version)


def _discuss(lesson, people, count: int, tag: str) -> None:
    """`count` posts over the board's sections, every third a reply, a few marked."""
    from lsweb.discussion import services

    keys = [s.key for s in services.sections_of(lesson) if s.key != "guests"]
    last = None
    for n in range(count):
        user = people[n % len(people)]
        mark = ("finding", "next_step", "question")[n % 3] if n % 7 == 3 else None
        parent = last if n % 3 == 2 and last is not None else None
        post = services.add_post(user, lesson, keys[n % len(keys)], POST_TEXTS[n % len(POST_TEXTS)],
                                 f"bench-{tag}-{lesson.id}-{n:04d}", parent=parent,
                                 mark=None if parent else mark)[0]
        if parent is None:
            last = post
        if n % 5 == 0:
            services.toggle_agree(people[(n + 1) % len(people)], post)


def _bench_group(index, lead, members, today):
    from lsweb.demo.lessonday import seed_lesson_day
    from lsweb.extensions import db
    from lsweb.groups import cycles
    from lsweb.groups import services as groups
    from lsweb.models import CycleStatus, GroupRole
    from lsweb.planning import carry
    from lsweb.planning.lessons import create_lesson
    from lsweb.protocol import services as protocol
    from lsweb.sharing import publishing, redaction, summaries

    subject, year, learning, approach = SUBJECTS[index % len(SUBJECTS)]
    group = groups.create_group(lead, groups.GroupDetails(
        name=f"{year} {learning} ({index + 1})", focus_pupils=f"{year} pupils who find it hard",
        focus_learning=learning, focus_approach=approach, subject=subject, year_group=year,
        class_name=f"{year[-1]}B", school_priority="Talk for learning"))
    for member in members:
        groups.add_member(lead, group, member.email, GroupRole.MEMBER)
    version = protocol.current_version(group)
    for user in [lead, *members]:
        protocol.sign(user, group, version.id, True, user.display_name)
    everyone = [lead, *members]
    writers = members[:3]
    for number, dates in ((1, (today - timedelta(days=70), today - timedelta(days=56), today - timedelta(days=42))),
                          (2, (today - timedelta(days=3), today + timedelta(days=11), today + timedelta(days=25)))):
        cycle = cycles.start_cycle(lead, group)
        pupils = [cycles.save_pupil(lead, cycle, None, f"Pupil {letter}", represents, "", "", False)
                  for letter, represents in zip("ABC", ("finds it hard", "in the middle", "ahead of most"))]
        cycles.move_cycle(lead, cycle, CycleStatus.PLANNING)
        rl1 = create_lesson(writers[0], cycle)
        _fill_plan(rl1, writers, pupils)
        _set_details(writers[0], rl1, dates[0], writers[1])
        rl2 = carry.carry_forward(writers[0], rl1)
        _set_details(writers[0], rl2, dates[1], writers[2])
        rl3 = carry.carry_forward(writers[0], rl2)
        _set_details(writers[0], rl3, dates[2], writers[0])
        cycles.move_cycle(lead, cycle, CycleStatus.TEACHING)
        taught = [rl1, rl2, rl3] if number == 1 else [rl1]
        for lesson in taught:
            seed_lesson_day(lesson, None)
            _discuss(lesson, everyone, 8, f"g{index}")
        if number == 1:
            cycles.move_cycle(lead, cycle, CycleStatus.DISCUSSING)
            cycles.move_cycle(lead, cycle, CycleStatus.SHARING)
            for key in summaries.keys_of(cycle):
                summaries.save_field(writers[len(key) % 3], cycle, key,
                                     f"What we found about {learning}: pupils who used {approach} explained "
                                     "their thinking more often, and the case pupils moved further than predicted.")
            pending = [item.key for item in redaction.unresolved(cycle)]
            if pending:
                redaction.confirm(lead, cycle, pending)
            publishing.publish(lead, cycle, "network")
            cycles.move_cycle(lead, cycle, CycleStatus.CLOSED)
    db.session.commit()
    return group


def seed_school(today: date) -> dict:
    from lsweb import audit
    from lsweb.demo import DEMO_SCHOOLS, seed_demo
    from lsweb.extensions import db
    from lsweb.lessonday.ledger import add_manual
    from lsweb.models import (
        GroupMember,
        GroupRole,
        Publication,
        ResearchLesson,
        Role,
        School,
        StudyGroup,
        TimeKind,
        User,
    )
    from lsweb.sharing import fair

    seed_demo()
    school = db.session.scalar(db.select(School).where(School.name == DEMO_SCHOOLS[0]))
    by_email = {u.email: u for u in db.session.scalars(db.select(User))}
    password_hash = by_email["teacher1@demo.local"].password_hash
    have = sum(1 for u in by_email.values() if u.school_id == school.id)
    roles = [Role.LEAD] * 3 + [Role.SUPPORT] * 10
    new = [_bench_user(db, User, Role, school.id, n, roles[n] if n < len(roles) else Role.TEACHER, password_hash)
           for n in range(STAFF - have)]
    db.session.commit()
    leads = [by_email["lead1@demo.local"]] + [u for u in new if u.role is Role.LEAD]
    teachers = [u for u in new if u.role is not Role.LEAD]
    hannah, samuel = by_email["teacher1@demo.local"], by_email["teacher2@demo.local"]
    for index in range(BENCH_GROUPS):
        members = teachers[index * 5 % len(teachers):][:5]
        if len(members) < 5:
            members += teachers[:5 - len(members)]
        # The measured member and facilitator are members of some of these groups too.
        if index in (0, 2):
            members[4] = samuel
        if index in (1, 3):
            members[4] = hannah
        _bench_group(index, leads[index % len(leads)], members, today)

    # The demo's RL1 of "Year 4 fractions": a full post-lesson discussion (the demo wrote ~15 posts).
    fractions = db.session.scalar(db.select(StudyGroup).where(StudyGroup.name == "Year 4 fractions"))
    rl1 = db.session.scalar(db.select(ResearchLesson).where(ResearchLesson.cycle.has(group_id=fractions.id),
                                                           ResearchLesson.number == 1))
    from lsweb.discussion import services as discussion

    people = [m.user for m in fractions.current_members]
    _discuss(rl1, people, DEMO_BOARD_POSTS - len(discussion.all_posts(rl1)), "demo")

    # A year of other administrative actions in the audit log, and time logged by hand.
    admin = by_email["schooladmin1@demo.local"]
    for n in range(AUDIT_ENTRIES):
        audit.record(admin, ("staff.updated", "staff.added", "password.reset", "protocol.signed")[n % 4],
                     target=f"staff{n % STAFF}@bench.local", details="bench", school_id=school.id)
    db.session.commit()
    for user in (hannah, samuel, *teachers[:20]):
        for n in range(4):
            add_manual(user, (TimeKind.PLANNING, TimeKind.DISCUSSION)[n % 2], 45, today - timedelta(days=7 * n + 1),
                       "Planning meeting")
    network_admin = by_email["admin@demo.local"]
    the_fair = fair.create(network_admin, "Spring learning fair", today + timedelta(days=100), "Northfield hall")
    fair.gather(network_admin, the_fair)

    pupil_group = db.session.scalar(db.select(GroupMember.group_id).where(
        GroupMember.user_id == samuel.id, GroupMember.role == GroupRole.MEMBER,
        GroupMember.group_id != fractions.id).order_by(GroupMember.group_id))
    publication = db.session.scalar(db.select(Publication).where(Publication.group_id == pupil_group))
    rl2 = db.session.scalar(db.select(ResearchLesson).where(ResearchLesson.cycle_id == rl1.cycle_id,
                                                           ResearchLesson.number == 2))
    ids = dict(group=fractions.id, lesson=rl1.id, next_lesson=rl2.id, closed_group=pupil_group,
               publication=publication.id, fair=the_fair.id, school=school.id, member_id=teachers[0].id,
               studies=[p.id for p in db.session.scalars(db.select(Publication).order_by(Publication.id).limit(5))])
    from lsweb.sharing.openhouse import open_house_of

    ids["open_house"] = open_house_of(db.session.get(ResearchLesson, ids["next_lesson"])).id
    counts = {name: db.session.scalar(db.select(db.func.count()).select_from(model)) for name, model in (
        ("users", User), ("groups", StudyGroup), ("lessons", ResearchLesson))}
    from lsweb.models import AuditEntry, Observation, PlanRevision, Post

    for name, model in (("posts", Post), ("observations", Observation), ("plan revisions", PlanRevision),
                        ("audit entries", AuditEntry), ("publications", Publication)):
        counts[name] = db.session.scalar(db.select(db.func.count()).select_from(model))
    ids["counts"] = counts
    return ids


def seed_authority(today: date, schools: int, users: int, groups: int, lessons: int, posts: int,
                   audit_entries: int) -> dict:
    """Top the network up to authority scale, straight into the tables (bulk inserts, no services):
    schools with staff (one lead and one school admin each), groups of 6 signed members with one cycle,
    3 case pupils and 3-4 research lessons, posts spread over those lessons' boards, audit entries."""
    from datetime import UTC, datetime

    from lsweb.discussion.text import to_html
    from lsweb.extensions import db
    from lsweb.models import (
        AuditEntry,
        CasePupil,
        Cycle,
        CycleStatus,
        DiscussionBoard,
        GroupMember,
        GroupRole,
        Post,
        ProtocolSignature,
        ProtocolVersion,
        ResearchLesson,
        Role,
        School,
        SignatureKind,
        StudyGroup,
        User,
    )
    from lsweb.models.protocol import text_hash

    def count(model):
        return db.session.scalar(db.select(db.func.count()).select_from(model))

    def insert(model, rows):
        for start in range(0, len(rows), 5000):
            db.session.execute(db.insert(model), rows[start:start + 5000])

    def max_id(model):
        return db.session.scalar(db.select(db.func.max(model.id))) or 0

    password_hash = db.session.scalar(db.select(User.password_hash).where(User.email == "teacher1@demo.local"))
    new_schools = schools - count(School)
    first = max_id(School) + 1
    insert(School, [dict(id=first + n, name=f"Authority School {n + 1:02d}") for n in range(new_schools)])
    school_ids = list(range(first, first + new_schools))
    new_users = users - count(User)
    first_user = max_id(User) + 1
    staff = {sid: [] for sid in school_ids}
    rows = []
    for n in range(new_users):
        sid = school_ids[n % new_schools]
        index = len(staff[sid])
        role = Role.LEAD if index == 0 else Role.SCHOOL_ADMIN if index == 1 else Role.SUPPORT if index % 6 == 5 \
            else Role.TEACHER
        staff[sid].append(first_user + n)
        rows.append(dict(id=first_user + n, email=f"a{n}@authority.local", display_name=f"Authority Staff {n}",
                         role=role, school_id=sid, password_hash=password_hash, active=True))
    insert(User, rows)

    text = "We keep what pupils say and do confidential to the group; we observe learning, not teaching."
    digest = text_hash(text)
    new_groups = groups - count(StudyGroup)
    new_lessons = lessons - count(ResearchLesson)
    gid, vid, cid, lid = max_id(StudyGroup) + 1, max_id(ProtocolVersion) + 1, max_id(Cycle) + 1, \
        max_id(ResearchLesson) + 1
    group_rows, member_rows, version_rows, signature_rows, cycle_rows, pupil_rows, lesson_rows = \
        [], [], [], [], [], [], []
    lesson_ids = []
    for n in range(new_groups):
        sid = school_ids[n % new_schools]
        people = staff[sid]
        lead = people[0]
        members = [people[2 + (n // new_schools * 5 + k) % (len(people) - 2)] for k in range(5)]
        group_rows.append(dict(id=gid + n, name=f"Authority group {n + 1}", school_id=sid, subject="Mathematics",
                               year_group="Year 5", focus_pupils="Year 5 pupils", focus_learning="fractions",
                               focus_approach="bar models", created_by_id=lead))
        version_rows.append(dict(id=vid + n, group_id=gid + n, number=1, text=text, text_sha256=digest,
                                 created_by_id=lead))
        for k, user_id in enumerate(dict.fromkeys([lead, *members])):
            member_rows.append(dict(group_id=gid + n, user_id=user_id,
                                    role=GroupRole.FACILITATOR if k == 0 else GroupRole.MEMBER))
            signature_rows.append(dict(group_id=gid + n, version_id=vid + n, user_id=user_id, sequence=1,
                                       kind=SignatureKind.SIGNED, typed_name="Bench", text_sha256=digest))
        cycle_rows.append(dict(id=cid + n, group_id=gid + n, number=1, status=CycleStatus.TEACHING))
        for k, label in enumerate(("Pupil A", "Pupil B", "Pupil C"), start=1):
            pupil_rows.append(dict(cycle_id=cid + n, label=label, position=k))
        share = new_lessons // new_groups + (1 if n < new_lessons % new_groups else 0)
        for number in range(1, share + 1):
            lesson_ids.append(lid)
            lesson_rows.append(dict(id=lid, cycle_id=cid + n, number=number,
                                    date=today + timedelta(days=14 * number - 21), duration_minutes=50))
            lid += 1
    for model, batch in ((StudyGroup, group_rows), (ProtocolVersion, version_rows), (GroupMember, member_rows),
                         (ProtocolSignature, signature_rows), (Cycle, cycle_rows), (CasePupil, pupil_rows),
                         (ResearchLesson, lesson_rows)):
        insert(model, batch)

    new_posts = posts - count(Post)
    html = to_html("A post of the bench, about as long as a real one: the pupils folded the strips and talked "
                   "about halves and quarters.")
    keys = ["patterns", "differences", "next-time", "final"]
    now = datetime.now(UTC)
    first_post = max_id(Post) + 1
    seqs = dict.fromkeys(lesson_ids, 0)
    authors = {row["id"]: row["cycle_id"] for row in lesson_rows}
    members_of = {}
    for row in member_rows:
        members_of.setdefault(row["group_id"], []).append(row["user_id"])
    group_of_cycle = {row["id"]: row["group_id"] for row in cycle_rows}
    rows = []
    for n in range(new_posts):
        lesson_id = lesson_ids[n % len(lesson_ids)]
        seqs[lesson_id] += 1
        people = members_of[group_of_cycle[authors[lesson_id]]]
        rows.append(dict(id=first_post + n, lesson_id=lesson_id, section=keys[n % 4], parent_id=None,
                         author_id=people[n % len(people)], client_token=f"auth-{n}", body="A post", body_html=html,
                         version=1, agree_count=0, created_seq=seqs[lesson_id], seq=seqs[lesson_id],
                         created_at=now, hidden_reason=""))
    insert(Post, rows)
    insert(DiscussionBoard, [dict(lesson_id=lesson_id, seq=seq) for lesson_id, seq in seqs.items() if seq])
    new_audit = audit_entries - count(AuditEntry)
    insert(AuditEntry, [dict(actor_id=staff[school_ids[n % new_schools]][1], school_id=school_ids[n % new_schools],
                             action="staff.updated", target=f"a{n}@authority.local", details="bench")
                        for n in range(new_audit)])
    db.session.commit()
    return {name: count(model) for name, model in (
        ("schools", School), ("users", User), ("groups", StudyGroup), ("lessons", ResearchLesson),
        ("posts", Post), ("audit entries", AuditEntry))}
