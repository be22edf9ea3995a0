"""The board as a conversation, and kept once rendered: each person sees their own agreements and the
actions on their own posts only, though the posts are rendered once per board version and kind of
viewer; names carry their context; the HTML is tidy (unique ids, whole-second times, data-hx-*)."""

from __future__ import annotations

import re
from collections import Counter

from lsweb.discussion import services

TIME = re.compile(r'datetime="([^"]+)"')
IDS = re.compile(r'\sid="([^"]+)"')
BARE_HX = re.compile(r'\s(hx-[a-z-]+|sse-connect)=')


def url(board, tail=""):
    return f"/lessons/{board.lesson.id}/board{tail}"


def _posts(board):
    mine = services.add_post(board.member, board.lesson, "patterns", "Mine", "tok-mine-0001")[0]
    theirs = services.add_post(board.recorder, board.lesson, "patterns", "Theirs", "tok-theirs-001")[0]
    return mine, theirs


def _agree_button(page: str, post_id: int) -> str:
    block = page[page.index(f'id="post-{post_id}"'):]
    return re.search(r'<button type="submit" class="quiet" aria-pressed="(true|false)">Agree'
                     r'<span class="visually-hidden"> with ([^<]+)</span>', block).group(0)


def _as(app, login, user):
    other = app.test_client()
    login(user, the_client=other)
    return other


def test_each_person_sees_their_own_agreement_and_actions(app, client, login, board):
    mine, theirs = _posts(board)
    services.toggle_agree(board.member, theirs)
    login(board.member)
    page = client.get(url(board)).text
    assert 'aria-pressed="true"' in _agree_button(page, theirs.id)
    assert "with Rita Recorder’s post" in _agree_button(page, theirs.id)
    assert 'aria-pressed="false"' in _agree_button(page, mine.id)
    # a More menu on one's own post only (its actions come when it opens: test_board_moderation.py)
    assert page.count("More<span") == 1 and f"/posts/{mine.id}/actions" in page
    assert f"/posts/{theirs.id}/actions" not in page
    assert "1 agree" in page

    # Another member of the same kind, same board version: the kept posts, filled in for them.
    page = _as(app, login, board.lead).get(url(board)).text
    assert 'aria-pressed="false"' in _agree_button(page, theirs.id)
    assert f"/posts/{mine.id}/actions" in page and f"/posts/{theirs.id}/actions" in page  # the facilitator's

    page = _as(app, login, board.recorder).get(url(board)).text
    assert f"/posts/{theirs.id}/actions" in page and f"/posts/{mine.id}/actions" in page  # the recorder marks


def test_a_change_shows_at_once(client, login, board):
    mine, theirs = _posts(board)
    login(board.member)
    client.get(url(board))
    services.toggle_agree(board.member, theirs)
    services.add_post(board.recorder, board.lesson, "patterns", "A third one", "tok-third-001")
    page = client.get(url(board)).text
    assert 'aria-pressed="true"' in _agree_button(page, theirs.id) and "A third one" in page


def test_one_add_button_per_section_and_tidy_html(client, login, board):
    _posts(board)
    login(board.member)
    page = client.get(url(board)).text
    sections = services.sections_of(board.lesson)
    # every section but the final comments, which the knowledgeable other writes
    assert page.count("Add to this section<span") == len(sections) - 1
    repeated = [i for i, n in Counter(IDS.findall(page)).items() if n > 1]
    assert repeated == []
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d([+-]\d\d:\d\d)?", t) for t in TIME.findall(page))
    assert BARE_HX.findall(page) == []
    assert 'rel="icon"' in page
    icon = client.get(re.search(r'<link rel="icon" href="([^"]+)"', page).group(1))
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"
