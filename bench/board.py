#!/usr/bin/env python3
"""The discussion board at scale: server time of the board's pages with 100,000 posts in the database.

    .venv/bin/python bench/board.py                  (100,000 posts; one board of 2,000; about a minute)
    .venv/bin/python bench/board.py --posts 20000 --board-posts 2000 --requests 100
    LSWEB_DATABASE_URL=postgresql+psycopg://... .venv/bin/python bench/board.py   (an EMPTY database)

What it does: a fresh SQLite database in a temporary folder (migrations), one group with three case
pupils and a signed protocol, 50 research lessons; the measured board (RL1) gets --board-posts posts
spread over its sections (a third of them replies), the other lessons share the rest. Then, signed in
as a member, through the Flask test client (server time: routing, queries, rendering; no network):
the board page, the changes feed (the last 10 changes, as a page asks after an event), and "Show
earlier" in the busiest section. Prints p50/p95/max per page.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PASSWORD = "board bench password"


def build(app, posts: int, board_posts: int):
    from werkzeug.security import generate_password_hash

    from lsweb.discussion import services
    from lsweb.discussion.text import to_html
    from lsweb.extensions import db
    from lsweb.groups import cycles
    from lsweb.groups import services as groups
    from lsweb.models import (
        CasePupil,
        CycleStatus,
        DiscussionBoard,
        GroupRole,
        Post,
        ResearchLesson,
        Role,
        School,
        User,
    )
    from lsweb.protocol import services as protocol

    school = School(name="Bench School")
    db.session.add(school)
    db.session.flush()
    users = [User(email=f"u{i}@bench.example", display_name=f"Bench User {i}", role=Role.LEAD if i == 0 else Role.TEACHER,
                  school_id=school.id, password_hash=generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000"))
             for i in range(6)]
    db.session.add_all(users)
    db.session.commit()
    group = groups.create_group(users[0], groups.GroupDetails(name="Bench fractions"))
    for user in users[1:]:
        groups.add_member(users[0], group, user.email, GroupRole.MEMBER)
    version = protocol.current_version(group)
    for user in users:
        protocol.sign(user, group, version.id, True, user.display_name)
    cycle = cycles.start_cycle(users[0], group)
    for label in ("Pupil A", "Pupil B", "Pupil C"):
        db.session.add(CasePupil(cycle_id=cycle.id, label=label))
    cycle.status = CycleStatus.DISCUSSING
    lessons = [ResearchLesson(cycle_id=cycle.id, number=n, date=date(2026, 1, 1)) for n in range(1, 51)]
    db.session.add_all(lessons)
    db.session.commit()
    target = lessons[0]
    keys = [s.key for s in services.sections_of(target)]
    html = to_html("A post of the bench with **some** text, about as long as a real one: the pupils "
                   "folded the strips and talked about halves and quarters.")
    now = datetime.now(UTC)
    next_id, batch = 1, []
    seqs = {lesson.id: 0 for lesson in lessons}

    def add(lesson_id, section, parent_id):
        nonlocal next_id
        seqs[lesson_id] += 1
        batch.append(dict(id=next_id, lesson_id=lesson_id, section=section, parent_id=parent_id,
                          author_id=users[next_id % 6].id, client_token=f"bench-{next_id}", body="A post",
                          body_html=html, version=1, agree_count=0, created_seq=seqs[lesson_id],
                          seq=seqs[lesson_id], created_at=now, hidden_reason=""))
        next_id += 1
        return next_id - 1

    for i in range(posts):
        lesson = target if i < board_posts else lessons[1 + i % 49]
        section = keys[i % len(keys)]
        parent = None
        if i % 3 == 2 and batch and batch[-1]["lesson_id"] == lesson.id and batch[-1]["parent_id"] is None:
            parent = batch[-1]["id"]
            section = batch[-1]["section"]
        add(lesson.id, section, parent)
        if len(batch) >= 5000:
            db.session.execute(db.insert(Post), batch)
            batch.clear()
    if batch:
        db.session.execute(db.insert(Post), batch)
    db.session.add_all([DiscussionBoard(lesson_id=lid, seq=seq) for lid, seq in seqs.items()])
    db.session.commit()
    return target.id, users[1].email, seqs[target.id], keys


def measure(client, url, n, headers=None):
    times = []
    for _ in range(n):
        start = time.perf_counter()
        response = client.get(url, headers=headers or {})
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1], times[-1], len(response.data)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--board-posts", type=int, default=2_000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="lsweb-board-bench-"))
    url = os.environ.get("LSWEB_DATABASE_URL") or f"sqlite:///{folder / 'bench.db'}"
    from lsweb import create_app
    from lsweb.database import upgrade_database

    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(folder), "SECRET_KEY": "bench",
                      "WTF_CSRF_ENABLED": False, "REDIS_URL": None})
    upgrade_database(app)
    with app.app_context():
        started = time.perf_counter()
        lesson_id, email, seq, keys = build(app, args.posts, args.board_posts)
        print(f"built {args.posts:,} posts ({args.board_posts:,} on the measured board) in "
              f"{time.perf_counter() - started:.1f} s on {url.split(':')[0]}")
        from lsweb.discussion import services
        from lsweb.extensions import db
        from lsweb.models import ResearchLesson

        lesson = db.session.get(ResearchLesson, lesson_id)
        first_shown = services.section_posts(lesson, keys[3], seq)[0][0].id
        db.session.remove()
    # Requests outside the app context above, each in its own context as in a server.
    client = app.test_client()
    assert client.post("/login", data={"email": email, "password": PASSWORD}).status_code == 303
    hx = {"HX-Request": "true"}
    if True:
        pages = [
            ("board page", f"/lessons/{lesson_id}/board", None),
            ("changes feed (last 10)", f"/lessons/{lesson_id}/board/changes?after={seq - 10}", hx),
            ("show earlier", f"/lessons/{lesson_id}/board/sections/{keys[3]}?before={first_shown}", hx),
        ]
        for name, page, headers in pages:
            measure(client, page, 5, headers)  # warm up
            p50, p95, worst, size = measure(client, page, args.requests, headers)
            print(f"{name:24} p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  max {worst:6.1f} ms  ({size / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
