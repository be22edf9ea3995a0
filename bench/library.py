"""Library server time at authority scale: browsing, filtering and full-text search over 2,000 published
studies (70 schools), as a signed-in teacher. Measured in process (the Flask test client: the time the
app takes to answer, without the network or a server in front), p50 and p95 per URL.

    .venv/bin/python bench/library.py                       # SQLite (FTS5), in a temporary folder
    .venv/bin/python bench/library.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_lib
      (an EMPTY PostgreSQL database you created for this; it is left filled afterwards)

Results go in docs/performance.md ("Library search").
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from pathlib import Path

WORDS = [
    "fractions", "equivalent", "bar", "model", "folding", "strips", "talk", "partners", "reading", "aloud",
    "inference", "vocabulary", "phonics", "place", "value", "column", "addition", "subtraction", "number",
    "line", "reasoning", "explanation", "misconception", "predict", "observe", "discussion", "pupils",
    "learned", "teaching", "change", "questioning", "feedback", "modelling", "practice", "retrieval", "writing",
    "sentences", "captions", "shared", "writing", "science", "forces", "materials", "evaporation", "history",
    "chronology", "sources", "geography", "maps", "scale", "mathematics", "english", "art", "music",
    "computing", "algorithms"
]
SUBJECTS = ["Mathematics", "English", "Science", "History", "Geography", "Computing"]
YEARS = ["Reception"] + [f"Year {n}" for n in range(1, 12)]


def seed(app, studies: int, schools: int) -> None:
    from lsweb.extensions import db
    from lsweb.models import (
        Cycle,
        CycleStatus,
        Publication,
        Role,
        School,
        StudyGroup,
        User,
    )
    from lsweb.models.base import utcnow
    from lsweb.sharing import publishing, search

    rng = random.Random(7)
    with app.app_context():
        school_rows = [School(name=f"Bench School {n}") for n in range(schools)]
        db.session.add_all(school_rows)
        db.session.flush()
        from werkzeug.security import generate_password_hash

        db.session.add(User(email="reader@bench.local", display_name="Reader", role=Role.TEACHER,
                            school_id=school_rows[0].id, active=True,
                            password_hash=generate_password_hash("bench-password", method="pbkdf2:sha256:1000")))
        for n in range(studies):
            school = school_rows[n % schools]
            subject, year = rng.choice(SUBJECTS), rng.choice(YEARS)
            group = StudyGroup(name=f"Study {n}", school_id=school.id, subject=subject, year_group=year,
                               focus_learning=" ".join(rng.sample(WORDS, 3)), focus_approach=" ".join(rng.sample(WORDS, 2)))
            db.session.add(group)
            db.session.flush()
            cycle = Cycle(group_id=group.id, number=1, status=CycleStatus.CLOSED)
            db.session.add(cycle)
            db.session.flush()
            content = {"title": f"{group.name}: cycle 1", "school": school.name, "focus_sentence": "",
                       "subject": subject, "year_group": year, "focus": group.focus_learning,
                       "approach": group.focus_approach,
                       "sections": [{"key": k, "heading": k, "text": " ".join(rng.choices(WORDS, k=120))}
                                    for k in ("learning", "teaching", "changes")],
                       "pupils": [{"label": f"Pupil {c}", "represents": "", "progress": " ".join(rng.choices(WORDS, k=40))}
                                  for c in "ABC"], "evidence": []}
            publication = Publication(cycle_id=cycle.id, group_id=group.id, school_id=school.id,
                                      scope="network" if n % 4 else "school", title=content["title"],
                                      subject=subject, year_group=year, phase=publishing.phase_of(year),
                                      focus=group.focus_learning, approach=group.focus_approach,
                                      school_year=rng.choice(["2024-25", "2025-26"]), content=json.dumps(content),
                                      search_text=search.document(content), published_at=utcnow())
            db.session.add(publication)
            db.session.flush()
            search.index(publication)
        db.session.commit()


URLS = [
    "/library",
    "/library?subject=Mathematics&phase=primary",
    "/library?q=fractions",
    "/library?q=bar+model+folding",
    "/library?q=reading+aloud&subject=English&year=2025-26",
    "/library?q=%22%28NEAR*+" + "x" * 300,
    "/library?page=40",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="")
    parser.add_argument("--studies", type=int, default=2000)
    parser.add_argument("--schools", type=int, default=70)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()

    from lsweb import create_app
    from lsweb.database import upgrade_database

    folder = Path(tempfile.mkdtemp(prefix="lsweb-bench-library-"))
    url = args.database_url or f"sqlite:///{folder / 'bench.db'}"
    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(folder), "SECRET_KEY": "bench",
                      "WTF_CSRF_ENABLED": False, "PASSWORD_HASH": "pbkdf2:sha256:1000", "RATELIMIT_ENABLED": False})
    upgrade_database(app)
    started = time.perf_counter()
    seed(app, args.studies, args.schools)
    print(f"seeded {args.studies} studies in {time.perf_counter() - started:.1f} s on {app.config['SQLALCHEMY_DATABASE_URI'].split(':')[0]}")
    client = app.test_client()
    response = client.post("/login", data={"email": "reader@bench.local", "password": "bench-password"})
    assert response.status_code == 303, response.status_code
    print("\n| URL | p50 ms | p95 ms |\n|---|---:|---:|")
    for path in URLS:
        for _ in range(5):
            assert client.get(path).status_code == 200
        times = []
        for _ in range(args.requests):
            began = time.perf_counter()
            client.get(path)
            times.append((time.perf_counter() - began) * 1000)
        times.sort()
        p95 = times[int(len(times) * 0.95) - 1]
        shown = path if len(path) < 70 else path[:66] + "…"
        print(f"| `{shown}` | {statistics.median(times):.1f} | {p95:.1f} |")


if __name__ == "__main__":
    main()
