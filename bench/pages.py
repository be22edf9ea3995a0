#!/usr/bin/env python3
"""Server time per page at school scale: every main GET page a member, a facilitator, a lead, a school
admin and a network admin see, p50 and p95 per URL (target: p95 under 25 ms).

    .venv/bin/python bench/pages.py                        # SQLite in a temporary folder (seeding ~15 s)
    .venv/bin/python bench/pages.py --requests 100
    .venv/bin/python bench/pages.py --authority            # the same pages at authority scale (seeding ~35 s)
    .venv/bin/python bench/pages.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_pages
      (an EMPTY PostgreSQL database you created for this; it is left filled afterwards)

What it seeds: the demo network (lsweb.demo.seed_demo), then on top of it one school in the middle of a
year, through the app's own services: Northfield Primary has 60 staff and 10 groups. Each of the 7 groups
added here has a lead as facilitator and 5 members who signed the protocol, and two cycles with 3 case
pupils and 3 research lessons each, planned in full (6 stages, predictions for every pupil, observers):
cycle 1 taught, discussed (about 8 board posts per lesson), summarised, published to the network and
closed; cycle 2 with RL1 taught and discussed, RL2 and RL3 planned. The demo's "Year 4 fractions" RL1
(the lesson measured) gets 100 board posts in all, and the school has 1,000 more audit entries, a few
hours of logged time per member and a learning fair. With --authority the network is then topped up,
straight into the tables, to 70 schools, 4,000 users, 600 groups (6 signed members, one cycle each),
2,000 research lessons, 100,000 board posts and 30,000 audit entries. The measured users are the
demo's: Samuel (teacher2, a member of 3 groups), Hannah (teacher1, facilitator of "Year 4 fractions" and a
member of 3 more groups), Tom (lead1), Priya (schooladmin1) and Alex (admin, network admin).

How it measures: each user signs in through the real /login form; each URL is asked 5 times to warm up,
then --requests times through the Flask test client (the app's own time: routing, queries, rendering;
no network, no server in front). Every URL must answer 200. Results go in docs/performance.md ("Server
time per page").
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from school_seed import seed_authority, seed_school  # noqa: E402  (bench/ is on the path)

TARGET_MS = 25.0


def pages(ids: dict) -> list[tuple[str, str, str]]:
    """(who, page, URL): every main GET page, for the users who see it."""
    g, lesson, nxt, cg = ids["group"], ids["lesson"], ids["next_lesson"], ids["closed_group"]
    studies = "&".join(f"study={n}" for n in ids["studies"])
    member = [
        ("home dashboard", "/"),
        ("groups list", "/groups/"),
        ("a group", f"/groups/{g}"),
        ("protocol", f"/groups/{g}/protocol"),
        ("protocol version record", f"/groups/{g}/protocol/versions/1"),
        ("a cycle", f"/groups/{g}/cycles/1"),
        ("cycle progress", f"/groups/{g}/cycles/1/progress"),
        ("plan (RL1, taught)", f"/lessons/{lesson}"),
        ("plan (RL2, planned)", f"/lessons/{nxt}"),
        ("plan history", f"/lessons/{lesson}/history"),
        ("print sheet", f"/lessons/{lesson}/print"),
        ("observe", f"/lessons/{lesson}/observe"),
        ("grid", f"/lessons/{lesson}/grid"),
        ("interviews", f"/lessons/{lesson}/interviews"),
        ("cover", f"/lessons/{lesson}/cover"),
        ("board (100 posts)", f"/lessons/{lesson}/board"),
        ("board record", f"/lessons/{lesson}/board/record"),
        ("summary (draft)", f"/groups/{g}/cycles/1/summary"),
        ("summary history", f"/groups/{g}/cycles/1/summary/history"),
        ("redaction", f"/groups/{g}/cycles/1/summary/redaction"),
        ("summary (published, closed)", f"/groups/{cg}/cycles/1/summary"),
        ("library", "/library"),
        ("library search", "/library?q=fractions"),
        ("a study", f"/library/studies/{ids['publication']}"),
        ("study handout", f"/library/studies/{ids['publication']}/handout"),
        ("booklet (5 studies)", f"/library/booklet?{studies}"),
        ("learning fairs", "/library/fairs"),
        ("a fair", f"/library/fairs/{ids['fair']}"),
        ("fair programme", f"/library/fairs/{ids['fair']}/programme"),
        ("open-house invitation", f"/library/open-house/{ids['open_house']}"),
        ("my time", "/me/time"),
        ("my sessions", "/account/sessions"),
        ("my data", "/account/data"),
        ("change password", "/account/password"),
    ]
    facilitator = [
        ("home dashboard", "/"),
        ("a group", f"/groups/{g}"),
        ("edit group", f"/groups/{g}/edit"),
        ("a cycle", f"/groups/{g}/cycles/1"),
        ("plan (RL1, taught)", f"/lessons/{lesson}"),
        ("observe", f"/lessons/{lesson}/observe"),
        ("cover", f"/lessons/{lesson}/cover"),
        ("board (100 posts)", f"/lessons/{lesson}/board"),
        ("summary (draft)", f"/groups/{g}/cycles/1/summary"),
        ("open-house setup", f"/lessons/{nxt}/open-house"),
        ("open-house briefing", f"/library/open-house/{ids['open_house']}/briefing"),
        ("my time", "/me/time"),
    ]
    lead = [
        ("home dashboard (school overview)", "/"),
        ("groups list", "/groups/"),
        ("new group form", "/groups/new"),
    ]
    school_admin = [
        ("home dashboard", "/"),
        ("staff list (60)", "/admin/staff"),
        ("staff search", "/admin/staff?q=bench"),
        ("add staff form", "/admin/staff/new"),
        ("edit staff form", f"/admin/staff/{ids['member_id']}/edit"),
        ("staff import form", "/admin/staff/import"),
        ("audit log", "/admin/audit"),
        ("school protected time", f"/admin/schools/{ids['school']}/time"),
        ("edit school", f"/admin/schools/{ids['school']}/edit"),
        ("school default protocol", f"/schools/{ids['school']}/protocol"),
    ]
    network_admin = [
        ("home dashboard", "/"),
        ("schools", "/admin/schools"),
        ("staff list", f"/admin/staff?school={ids['school']}"),
        ("audit log (whole network)", "/admin/audit"),
    ]
    return ([("member", *p) for p in member] + [("facilitator", *p) for p in facilitator]
            + [("lead", *p) for p in lead] + [("school admin", *p) for p in school_admin]
            + [("network admin", *p) for p in network_admin])


USERS = {"member": "teacher2@demo.local", "facilitator": "teacher1@demo.local", "lead": "lead1@demo.local",
         "school admin": "schooladmin1@demo.local", "network admin": "admin@demo.local"}


def measure(client, url: str, n: int) -> tuple[float, float, int]:
    times = []
    for _ in range(n):
        began = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200, (url, response.status_code, response.headers.get("Location"))
    times.sort()
    return statistics.median(times), times[max(0, int(len(times) * 0.95) - 1)], len(response.data)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--only", default="", help="only the URLs containing this text")
    parser.add_argument("--authority", action="store_true",
                        help="top up to authority scale first: 70 schools, 4,000 users, 600 groups, 2,000 research "
                             "lessons, 100,000 posts, 30,000 audit entries (bulk inserts)")
    args = parser.parse_args()

    from lsweb import create_app
    from lsweb.database import upgrade_database
    from lsweb.demo import DEMO_PASSWORD

    folder = Path(tempfile.mkdtemp(prefix="lsweb-bench-pages-"))
    url = args.database_url or f"sqlite:///{folder / 'bench.db'}"
    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(folder), "SECRET_KEY": "bench",
                      "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False, "REDIS_URL": None})
    upgrade_database(app)
    started = time.perf_counter()
    with app.app_context():
        ids = seed_school(date.today())
        if args.authority:
            ids["counts"] = seed_authority(date.today(), schools=70, users=4000, groups=600, lessons=2000,
                                           posts=100_000, audit_entries=30_000)
        from lsweb.extensions import db

        if db.engine.dialect.name == "postgresql":
            # What autovacuum does on a server in use: without statistics after the bulk inserts, the
            # planner guesses (the board's queries took 12 ms a page instead of 1 ms).
            db.session.commit()
            with db.engine.connect() as connection:
                connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
        db.session.remove()
    print(f"seeded in {time.perf_counter() - started:.1f} s on {url.split(':')[0]}: "
          + ", ".join(f"{v:,} {k}" for k, v in ids["counts"].items()))

    clients = {}
    for who, email in USERS.items():
        clients[who] = app.test_client()
        response = clients[who].post("/login", data={"email": email, "password": DEMO_PASSWORD})
        assert response.status_code == 303, (email, response.status_code)

    over = []
    print(f"\n{args.requests} requests per URL after 5 to warm up; load average before: "
          + " ".join(f"{x:.2f}" for x in os.getloadavg()) + "\n")
    print("| who | page | URL | p50 ms | p95 ms | KiB |\n|---|---|---|---:|---:|---:|")
    for who, name, path in pages(ids):
        if args.only and args.only not in path:
            continue
        measure(clients[who], path, 5)
        p50, p95, size = measure(clients[who], path, args.requests)
        flag = " **over**" if p95 > TARGET_MS else ""
        if flag:
            over.append((who, name, p95))
        shown = path if len(path) < 60 else path[:56] + "…"
        print(f"| {who} | {name} | `{shown}` | {p50:.1f} | {p95:.1f}{flag} | {size / 1024:.0f} |", flush=True)
    print("\nload average after: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    print(f"over the {TARGET_MS:g} ms p95 target: "
          + ("; ".join(f"{who} {name} ({p95:.1f} ms)" for who, name, p95 in over) if over else "none"))


if __name__ == "__main__":
    main()
