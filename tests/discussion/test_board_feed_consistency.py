"""The board's change feed while others post: every post reaches a page once, never twice, never not.

The feed answers the posts changed after the page's change number and the board's change number to
ask from next time. A post committed between reading the two (another teacher posting at that
moment) must come either in this answer (with a change number that covers it) or in the next one,
not in both. On PostgreSQL each statement sees what was committed when it started, so the test
commits a post from another thread exactly between the feed's statements; then it posts from
threads while a page keeps fetching, as a meeting does.
"""

from __future__ import annotations

import re
import threading

from sqlalchemy import event

from lsweb.discussion import services
from lsweb.extensions import db
from lsweb.models import ResearchLesson, User

HX = {"HX-Request": "true"}
NEW_POST = re.compile(r'id="post-(\d+)"')  # every post in these answers is a new one
SEQ = re.compile(r'id="board-seq" name="after" value="(\d+)"')


def _post_from_another_request(app, user_id: int, lesson_id: int, body: str, token: str) -> None:
    """A post committed by another connection (another teacher's request), waited for."""
    failures = []

    def run():
        try:
            with app.app_context():
                services.add_post(db.session.get(User, user_id), db.session.get(ResearchLesson, lesson_id),
                                  "patterns", body, token)
                db.session.remove()
        except Exception as error:  # noqa: BLE001  (reported below, in the test's thread)
            failures.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(30)
    assert not failures, failures


def _fetch(client, lesson_id: int, after: int) -> tuple[list[int], int]:
    """One fetch of the page's feed, as its own request (the test's app context keeps one session:
    end its transaction, as the end of a real request would)."""
    db.session.remove()
    answer = client.get(f"/lessons/{lesson_id}/board/changes?after={after}", headers=HX)
    assert answer.status_code == 200, answer.status_code
    return [int(n) for n in NEW_POST.findall(answer.text)], int(SEQ.search(answer.text)[1])


def test_a_post_committed_while_the_feed_reads_comes_once(app, client, login, board):
    services.add_post(board.lead, board.lesson, "patterns", "First thought", "tok-feed-0001")
    login(board.member)
    lesson_id, lead_id = board.lesson.id, board.lead.id
    page_seq = services.current_seq(board.lesson)
    db.session.rollback()
    fired, read_board = [], []

    def between(conn, cursor, statement, *args):
        # Once the feed has read the board's change number, another teacher's post commits just before
        # the feed's next statement runs.
        if "discussion_board.seq" in statement and statement.lstrip().upper().startswith("SELECT"):
            read_board.append(True)
        elif read_board and not fired:
            fired.append(True)
            _post_from_another_request(app, lead_id, lesson_id, "Posted meanwhile", "tok-feed-0002")

    event.listen(db.engine, "before_cursor_execute", between)
    try:
        first, seq = _fetch(client, lesson_id, page_seq)
    finally:
        event.remove(db.engine, "before_cursor_execute", between)
    assert fired, "the feed no longer reads the board's change number"
    second, final_seq = _fetch(client, lesson_id, seq)
    third, _ = _fetch(client, lesson_id, final_seq)

    shown = first + second + third
    assert len(shown) == len(set(shown)) == 1, f"the post was sent {len(shown)} times: {first} {second} {third}"
    assert final_seq == services.current_seq(db.session.get(ResearchLesson, lesson_id))


def test_posting_from_threads_while_a_page_fetches_shows_each_post_once(app, client, login, board):
    login(board.member)
    lesson_id, lead_id, member_id = board.lesson.id, board.lead.id, board.member.id
    seq = services.current_seq(board.lesson)
    db.session.rollback()
    writers_done = threading.Event()
    failures = []

    def writer(user_id: int, name: str):
        try:
            with app.app_context():
                for number in range(15):
                    services.add_post(db.session.get(User, user_id), db.session.get(ResearchLesson, lesson_id),
                                      "patterns", f"{name} {number}", f"tok-{name}-{number:04d}")
                db.session.remove()
        except Exception as error:  # noqa: BLE001
            failures.append(error)

    threads = [threading.Thread(target=writer, args=(user_id, name))
               for user_id, name in ((lead_id, "lead"), (member_id, "member"))]
    for thread in threads:
        thread.start()
    watcher = threading.Thread(target=lambda: ([t.join() for t in threads], writers_done.set()))
    watcher.start()
    shown: list[int] = []
    while True:
        done = writers_done.is_set()
        new, seq = _fetch(client, lesson_id, seq)
        shown += new
        if done:
            break
    new, seq = _fetch(client, lesson_id, seq)
    shown += new
    watcher.join()
    assert not failures, failures
    assert len(shown) == len(set(shown)), "some posts were sent twice"
    assert len(shown) == 30, f"{30 - len(shown)} posts never reached the page"
