"""Moderation both ways: the facilitator hides a post and shows it again, each with a reason everyone
sees and the audit log keeps; nobody else can. The board offers Mark, Edit, Delete, Hide and Show again
only to those allowed to use them (the kept fragments of the board never carry one person's actions to
another), and the server refuses those actions to everyone else."""

from __future__ import annotations

from lsweb.discussion import services
from lsweb.extensions import db
from lsweb.models import AuditEntry, Post

HX = {"HX-Request": "true"}


def as_user(client, login, user):
    """Sign out whoever is signed in, then sign in as `user`."""
    client.post("/logout")
    login(user)


def url(board, tail=""):
    return f"/lessons/{board.lesson.id}/board{tail}"


def _hidden(board, body="Jamie Smith sat next to Pupil A"):
    post = services.add_post(board.member, board.lesson, "patterns", body, "tok-mod-00001")[0]
    services.hide_post(board.lead, post, "Names a pupil")
    return post


def test_the_facilitator_shows_a_hidden_post_again_with_a_reason(client, login, board):
    post = _hidden(board)
    as_user(client, login, board.lead)
    page = client.get(url(board)).text
    assert f'action="{url(board, f"/posts/{post.id}/unhide")}"' in page and "Show post again" in page
    missing = client.post(url(board, f"/posts/{post.id}/unhide"), data={"reason": "  "}, headers=HX)
    assert "Say why the post is shown again" in missing.text
    assert db.session.get(Post, post.id).hidden_at is not None

    response = client.post(url(board, f"/posts/{post.id}/unhide"), data={"reason": "The name was a pseudonym"},
                           headers=HX)
    assert response.status_code == 204 and response.headers["HX-Trigger"] == "board-sync"
    stored = db.session.get(Post, post.id)
    assert stored.hidden_at is None and stored.unhidden_reason == "The name was a pseudonym"
    assert stored.unhidden_by_id == board.lead.id and stored.unhidden_at is not None
    logged = db.session.scalars(db.select(AuditEntry.details).where(AuditEntry.action == "board.post_unhidden")).all()
    assert logged == [f"RL{board.lesson.number}, post {post.id}: The name was a pseudonym"]

    as_user(client, login, board.recorder)  # everyone sees the post again, and why
    page = client.get(url(board)).text
    assert "Jamie Smith sat next to Pupil A" in page
    assert "Shown again by the facilitator: The name was a pseudonym" in page
    assert "Hidden by the facilitator" not in page
    # It takes replies again.
    reply = client.post(url(board, "/posts"), data={"body": "Thanks", "token": "tok-mod-reply1",
                                                     "parent_id": str(post.id), "section": "patterns"})
    assert reply.status_code == 303


def test_a_member_cannot_show_a_hidden_post_again_nor_read_it(client, login, board):
    post = _hidden(board)
    as_user(client, login, board.lead)
    assert "Jamie Smith sat next to Pupil A" in client.get(url(board)).text  # the facilitator reads it
    for person in (board.member, board.recorder):  # its author, the recorder (who marks posts)
        as_user(client, login, person)
        page = client.get(url(board)).text
        assert "Hidden by the facilitator: Names a pupil" in page
        assert "Show post again" not in page and "/unhide" not in page
        assert "Jamie Smith sat next to Pupil A" not in page
        refused = client.post(url(board, f"/posts/{post.id}/unhide"), data={"reason": "I want it back"}, headers=HX)
        assert "Only the facilitator shows a hidden post again." in refused.text
        assert client.post(url(board, f"/posts/{post.id}/unhide"), data={"reason": "Please"}).status_code == 303
    stored = db.session.get(Post, post.id)
    assert stored.hidden_at is not None and stored.unhidden_at is None
    assert db.session.scalar(db.select(AuditEntry.id).where(AuditEntry.action == "board.post_unhidden")) is None


def _actions_on(client, page: str, board, post) -> set[str]:
    """The actions the board offers this person on `post`: what its More menu holds when opened (htmx
    fetches it), nothing when the post has no More menu."""
    link = f"/posts/{post.id}/actions"
    if link not in page:
        return set()
    menu = client.get(url(board, link), headers=HX)
    assert menu.status_code == 200
    return {name for name, piece in (("edit", f"/posts/{post.id}/edit"), ("delete", f"/posts/{post.id}/delete"),
                                     ("mark", f'id="mark-{post.id}"'), ("hide", f"/posts/{post.id}/hide"))
            if piece in menu.text}


def test_the_board_shows_each_person_only_the_actions_they_may_use(client, login, board):
    by_lead = services.add_post(board.lead, board.lesson, "patterns", "The lead's post", "tok-act-00001")[0]
    by_member = services.add_post(board.member, board.lesson, "patterns", "The member's post", "tok-act-00002")[0]
    services.invite_guest(board.lead, board.lesson, board.visitor.email)
    by_guest = services.add_post(board.visitor, board.lesson, "guests", "The guest's post", "tok-act-00003")[0]
    expected = {
        # the facilitator: marks and hides every post, edits and deletes their own
        board.lead: {by_lead: {"edit", "delete", "mark", "hide"}, by_member: {"mark", "hide"},
                     by_guest: {"mark", "hide"}},
        # a member: their own post only (edit, delete, mark)
        board.member: {by_lead: set(), by_member: {"edit", "delete", "mark"}, by_guest: set()},
        # the recorder marks every post, and edits nobody's
        board.recorder: {by_lead: {"mark"}, by_member: {"mark"}, by_guest: {"mark"}},
        # a guest edits and deletes their own post, marks none
        board.visitor: {by_guest: {"edit", "delete"}},
    }
    for _round in range(2):  # the second round is served from the kept fragments
        for person, posts in expected.items():
            as_user(client, login, person)
            page = client.get(url(board)).text
            for post, actions in posts.items():
                assert _actions_on(client, page, board, post) == actions, (person.display_name, post.body)
        # Nobody opens a menu the board did not give them, nor one on a removed post.
        for post in (by_lead, by_member, by_guest):
            if not posts.get(post):
                assert client.get(url(board, f"/posts/{post.id}/actions"), headers=HX).status_code == 404
    # The guest's Edit works (their own post, in the Guests section).
    assert client.post(url(board, f"/posts/{by_guest.id}/edit"), data={"body": "The guest's words"}).status_code == 303
    assert db.session.get(Post, by_guest.id).body == "The guest's words"


def test_the_server_refuses_those_actions_to_everyone_else(client, login, board):
    by_lead = services.add_post(board.lead, board.lesson, "patterns", "The lead's post", "tok-ref-00001")[0]
    as_user(client, login, board.member)
    assert client.get(url(board, f"/posts/{by_lead.id}/edit")).status_code == 404
    assert client.post(url(board, f"/posts/{by_lead.id}/edit"), data={"body": "Changed"}).status_code == 404
    refusals = {"delete": ({}, "Only its author deletes a post."),
                "mark": ({"mark": "finding"}, "Marks are set by a post&#39;s author, the facilitator"),
                "hide": ({"reason": "Because"}, "Only the facilitator hides posts.")}
    for action, (data, message) in refusals.items():
        response = client.post(url(board, f"/posts/{by_lead.id}/{action}"), data=data, headers=HX)
        assert message in response.text, action
        plain = client.post(url(board, f"/posts/{by_lead.id}/{action}"), data=data)
        assert plain.status_code == 303 and message in client.get(plain.headers["Location"]).text
    stored = db.session.get(Post, by_lead.id)
    assert (stored.body, stored.mark, stored.deleted_at, stored.hidden_at) == ("The lead's post", None, None, None)


def test_without_javascript_more_opens_the_actions_as_a_page_whose_forms_come_back_to_the_board(
        client, login, board):
    by_member = services.add_post(board.member, board.lesson, "patterns", "The member's post", "tok-page-0001")[0]
    as_user(client, login, board.lead)
    board_page = client.get(url(board)).text
    link = url(board, f"/posts/{by_member.id}/actions")
    assert f'href="{link}">Open the actions' in board_page
    page = client.get(link)
    assert page.status_code == 200
    assert "<h1>Actions on Mo Member’s post</h1>" in page.text
    assert "The member's post" in page.text and f'id="mark-{by_member.id}"' in page.text
    assert "Hide post" in page.text and f"/posts/{by_member.id}/edit" not in page.text
    assert '<div class="more-menu" data-hx-disable>' in page.text  # its forms post as plain forms
    marked = client.post(url(board, f"/posts/{by_member.id}/mark"), data={"mark": "finding"})
    assert marked.status_code == 303 and marked.headers["Location"].endswith(f"/board#post-{by_member.id}")
    assert db.session.get(Post, by_member.id).mark == "finding"
    services.delete_post(board.member, db.session.get(Post, by_member.id))
    assert client.get(link).status_code == 404  # a removed post has no actions
