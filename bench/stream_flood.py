#!/usr/bin/env python3
"""One account floods the server with live streams while 200 others watch: does sign-in stay fast?

    .venv/bin/python bench/stream_flood.py                      (about a minute)
    .venv/bin/python bench/stream_flood.py --flood 400 --viewers 200 --sign-ins 60

What it does (issue "no one takes the server down", item 13):

1. a temporary SQLite database with one flooding teacher, enough viewer teachers to hold `--viewers`
   streams at the per-person cap (LSWEB_LIVE_STREAMS_MAX, 8), and one teacher who signs in;
2. one `lsweb serve` process as production runs it (lsweb.server.serve: gunicorn, one gthread
   worker, the default 400 threads), with bench/fanout.py's app (lsweb's own plus a bench channel any
   signed-in person may open);
3. the flooder opens `--flood` streams with one session: the cap lets 8 through and refuses the rest
   with 429 (the page would fall back to polling); the flood stays open for the whole run;
4. the viewers open `--viewers` streams (8 per person) and keep them open;
5. the third teacher signs in `--sign-ins` times through the real form (GET /login, POST /login
   with the CSRF token), `--concurrency` at a time, first before any stream is open (the baseline),
   then with the flood and the viewers' streams open; reported for both: p50/p95/max of the POST (the
   password check included: scrypt, about 100 ms of CPU on its own), and how many streams were open
   and refused.

Target (docs/quality.md): sign-in p95 under 200 ms. Traffic goes only to 127.0.0.1; the clients share
the server's cores.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import re
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))

import fanout  # noqa: E402

CAP = 8


def prepare(workdir: Path, viewers: int) -> tuple[dict, str, list[str], str]:
    """The database: a flooder, ceil(viewers / CAP) viewers, a signer. Returns env and their emails."""
    from werkzeug.security import generate_password_hash

    from lsweb import create_app
    from lsweb.database import upgrade_database
    from lsweb.extensions import db
    from lsweb.models import Role, School, User

    env = {"LSWEB_DATABASE_URL": f"sqlite:///{workdir / 'lsweb.db'}",
           "LSWEB_INSTANCE_PATH": str(workdir / "instance"), "LSWEB_SECRET_KEY": secrets.token_hex(32),
           "LSWEB_LOG_LEVEL": "WARNING", "LSWEB_LIVE_STREAMS_MAX": str(CAP)}
    app = create_app({"DATABASE_URL": env["LSWEB_DATABASE_URL"], "INSTANCE_PATH": env["LSWEB_INSTANCE_PATH"],
                      "SECRET_KEY": env["LSWEB_SECRET_KEY"], "REDIS_URL": None})
    upgrade_database(app)
    tag = secrets.token_hex(3)
    flooder = f"flood-{tag}@bench.local"
    watchers = [f"viewer{i}-{tag}@bench.local" for i in range(-(-viewers // CAP))]
    signer = f"signer-{tag}@bench.local"
    password = generate_password_hash(fanout.PASSWORD)
    with app.app_context():
        school = School(name="Bench School")
        db.session.add(school)
        db.session.flush()
        for email in [flooder, *watchers, signer]:
            db.session.add(User(email=email, display_name=email.split("@")[0], role=Role.TEACHER,
                                school_id=school.id, password_hash=password, active=True))
        db.session.commit()
        db.engine.dispose()
    return env, flooder, watchers, signer


async def open_stream(port: int, cookie: str, held: list, refused: list) -> None:
    """Open one stream and hold it until cancelled (a refusal is counted and the socket closed)."""
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(fanout.HOST, port), 10)
    except (OSError, asyncio.TimeoutError):
        refused.append("connect")
        return
    try:
        writer.write(f"GET /live/{fanout.CHANNEL} HTTP/1.1\r\nHost: {fanout.HOST}:{port}\r\n"
                     f"Accept: text/event-stream\r\nCookie: {cookie}\r\n\r\n".encode())
        status = await asyncio.wait_for(reader.readline(), 15)
        if b" 200 " not in status:
            refused.append(status.split(b" ")[1].decode() if b" " in status else "closed")
            return
        held.append(1)
        while await reader.readline():
            pass
    except (OSError, asyncio.TimeoutError):
        refused.append("timeout")
    finally:
        writer.close()


def one_sign_in(port: int, email: str) -> float:
    """GET /login, then POST it; milliseconds for the POST (the password check and the new session)."""
    connection = http.client.HTTPConnection(fanout.HOST, port, timeout=10)
    try:
        connection.request("GET", "/login")
        page = connection.getresponse()
        body = page.read().decode()
        cookies = {c.split("=", 1)[0]: c.split(";", 1)[0] for k, c in page.getheaders() if k.lower() == "set-cookie"}
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', body).group(1)
        form = urlencode({"email": email, "password": fanout.PASSWORD, "csrf_token": token})
        started = time.perf_counter()
        connection.request("POST", "/login", body=form, headers={
            "Content-Type": "application/x-www-form-urlencoded", "Cookie": "; ".join(cookies.values())})
        answer = connection.getresponse()
        answer.read()
        elapsed = (time.perf_counter() - started) * 1000
        if answer.status != 303:
            raise RuntimeError(f"sign-in answered {answer.status}")
        return elapsed
    finally:
        connection.close()


async def sign_ins(port: int, email: str, count: int, concurrency: int) -> dict:
    latencies: list[float] = []
    failures: list[str] = []
    loop = asyncio.get_running_loop()

    async def client(n: int) -> None:
        for _ in range(n):
            try:
                latencies.append(await loop.run_in_executor(None, one_sign_in, port, email))
            except (OSError, RuntimeError, AttributeError) as error:
                failures.append(str(error))

    await asyncio.gather(*(client(-(-count // concurrency)) for _ in range(concurrency)))
    latencies.sort()
    return {"sign_ins": len(latencies), "failed": len(failures),
            "p50_ms": round(statistics.median(latencies), 1) if latencies else None,
            "p95_ms": round(latencies[int(0.95 * (len(latencies) - 1))], 1) if latencies else None,
            "max_ms": round(latencies[-1], 1) if latencies else None}


async def measure(port: int, args, flooder: str, watchers: list[str], signer: str) -> dict:
    baseline = await sign_ins(port, signer, args.sign_ins, args.concurrency)
    flood_cookie = fanout.sign_in(port, flooder)
    viewer_cookies = [fanout.sign_in(port, email) for email in watchers]
    flood_held, flood_refused, held, refused = [], [], [], []
    tasks = [asyncio.create_task(open_stream(port, flood_cookie, flood_held, flood_refused))
             for _ in range(args.flood)]
    tasks += [asyncio.create_task(open_stream(port, viewer_cookies[i // CAP], held, refused))
              for i in range(args.viewers)]
    deadline = time.monotonic() + 30
    while (len(flood_held) + len(flood_refused) < args.flood or len(held) + len(refused) < args.viewers) \
            and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    flooded = await sign_ins(port, signer, args.sign_ins, args.concurrency)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return {"flood_open": len(flood_held), "flood_refused": len(flood_refused),
            "flood_refusals": sorted(set(flood_refused)), "viewers_open": len(held), "viewers_refused": len(refused),
            "sign_in_without_streams": baseline, "sign_in_with_flood_and_viewers": flooded}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flood", type=int, default=400, help="streams the one account tries to open")
    parser.add_argument("--viewers", type=int, default=200, help="streams other people hold open")
    parser.add_argument("--sign-ins", type=int, default=60, help="sign-ins measured, before and during the flood")
    parser.add_argument("--concurrency", type=int, default=1, help="sign-ins at a time")
    parser.add_argument("--threads", type=int, default=400, help="gthread threads (lsweb serve's default)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="lsweb-flood-") as folder:
        workdir = Path(folder)
        env, flooder, watchers, signer = prepare(workdir, args.viewers)
        servers = fanout.start_servers(env, 1, args.threads, None, workdir)
        try:
            result = asyncio.run(measure(servers[0][0], args, flooder, watchers, signer))
        finally:
            fanout.stop_servers(servers)
    print(json.dumps({"flood": args.flood, "viewers": args.viewers, "threads": args.threads, **result}, indent=2))


if __name__ == "__main__":
    main()
