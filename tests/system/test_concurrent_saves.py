"""Saves of one plan through two server processes at once, the way a meeting without JavaScript
sends them: none answers an error page (issue 19: PostgreSQL answered "deadlock detected" to some).

Two `lsweb serve` processes share the database (and Redis for live events); six browsers (three
teachers, each on both processes) save the plan's boxes as fast as they get answers for a few
seconds. Needs Redis (skipped when it does not answer, unless LSWEB_REQUIRE_REDIS=1).
"""

from __future__ import annotations

import os
import re
import threading
import time

import pytest


from ..servers import redis_url, running_servers, server_environment  # noqa: F401  (redis_url: a fixture)
from .test_coedit_crash import _signed_in

pytestmark = [pytest.mark.redis,
              pytest.mark.skipif(not os.environ.get("LSWEB_TEST_DATABASE_URL"),
                                 reason="PostgreSQL only: on SQLite a school runs one process (the threaded "
                                        "test in tests/views/test_concurrent_saves.py covers it)")]
SECONDS = 6
FORM_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
EDITORS = ["teacher1@demo.local", "teacher2@demo.local", "teacher3@demo.local"]
BOXES = ["aspect", "intentions", "criteria", "resources", "interview"]


def test_plan_saves_through_two_processes_at_once_never_answer_an_error(database_url, redis_url, lesson_id,  # noqa: F811
                                                                        tmp_path):
    env = server_environment(database_url, redis_url)
    answers: list[int] = []
    failures: list[str] = []
    with running_servers(2, env, tmp_path) as servers:
        browsers = [(server, _signed_in(server, email)) for email in EDITORS for server in servers]
        tokens = [FORM_TOKEN.search(session.get(f"{server.url}/lessons/{lesson_id}", timeout=10).text).group(1)
                  for server, session in browsers]
        start = threading.Barrier(len(browsers))
        stop_at = time.monotonic() + SECONDS + 5

        def save(number: int):
            server, session = browsers[number]
            try:
                start.wait(30)
                end, round_ = time.monotonic() + SECONDS, 0
                while time.monotonic() < min(end, stop_at):
                    box = BOXES[(number + round_) % len(BOXES)]
                    answer = session.post(f"{server.url}/lessons/{lesson_id}/plan", allow_redirects=False,
                                          data={"csrf_token": tokens[number],
                                                f"f:{box}": f"Browser {number} round {round_}."}, timeout=30)
                    answers.append(answer.status_code)
                    round_ += 1
            except Exception as error:  # noqa: BLE001  (reported in the test's thread)
                failures.append(repr(error))

        threads = [threading.Thread(target=save, args=(n,)) for n in range(len(browsers))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(SECONDS + 60)
        logs = "\n".join(server.log_path.read_text(errors="replace") for server in servers)
    assert not failures, failures
    errors = [status for status in answers if status >= 500]
    reasons = sorted(set(re.findall(r"^[\w.]*(?:Error|Exception|Detected)\b.*$", logs, re.MULTILINE)))
    assert answers and not errors, f"{len(errors)} of {len(answers)} saves answered >= 500: {reasons}"
    assert set(answers) == {303}, sorted(set(answers))
