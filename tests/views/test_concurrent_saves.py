"""Many people saving plans of one cycle at the same moment: nobody gets an error page.

Every save of a plan changes the cycle's plan stamp (lsweb/planning/stamp.py) besides its own rows;
on PostgreSQL two saves that lock the same rows in different orders deadlock; on SQLite a save whose
second transaction (after creating the plan's document) wanted to write met "database is locked".
Either answered 500. Here people save the plans of all the cycle's lessons at once, from threads, each
with a browser (test client) of their own. Two server processes: tests/system/test_concurrent_saves.py.
"""

from __future__ import annotations

import threading
import traceback

from lsweb.extensions import db
from lsweb.planning import lessons

from ..coedit.helpers import Replica
from ..plans import planning_team

SAVES_EACH = 10
BROWSERS_EACH = 3  # each person has the plan open in three tabs: 9 browsers saving at once


def test_concurrent_plan_saves_of_one_cycle_never_answer_an_error(app, factories, login):
    team = planning_team(factories)
    more = [lessons.create_lesson(team.lead, team.cycle) for _ in range(2)]
    lesson_ids = [team.lesson.id] + [lesson.id for lesson in more]
    people = [team.lead, team.ana, team.ben]
    clients = []
    for person in people:
        for _ in range(BROWSERS_EACH):
            client = app.test_client()
            login(person, the_client=client)
            clients.append(client)
    db.session.remove()
    answers: list[tuple[str, int]] = []
    failures = []
    start = threading.Barrier(len(clients))

    def saver(client, number: int, whole_plan: bool):
        try:
            start.wait(30)
            for round_ in range(SAVES_EACH):
                # each person goes round the cycle's lessons, starting at a different one
                lesson_id = lesson_ids[(number + round_) % len(lesson_ids)]
                text = f"Person {number} round {round_}: pupils compare fractions on a wall."
                if whole_plan:
                    answer = client.post(f"/lessons/{lesson_id}/plan", data={"f:aspect": text})
                    status = answer.status_code
                else:  # as the page's script sends a change of the box
                    page = Replica(client, f"plan-{lesson_id}")
                    page.sync()
                    status = page.edit(lambda r, typed=text: r.text("aspect").insert(0, typed))[0]
                answers.append((f"{'plan' if whole_plan else 'document'} {lesson_id}", status))
        except Exception:  # noqa: BLE001  (reported in the test's thread)
            failures.append(traceback.format_exc())

    threads = [threading.Thread(target=saver, args=(client, number, number % 3 == 0))
               for number, client in enumerate(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not failures, '\n'.join(failures)
    assert len(answers) == len(threads) * SAVES_EACH
    errors = [answer for answer in answers if answer[1] >= 500]
    assert not errors, f"{len(errors)} saves answered an error: {errors[:5]}"
    assert all(status in (200, 303) for _, status in answers), sorted(set(answers))
