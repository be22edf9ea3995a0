"""The board over HTTP: plain browsers (303 after a POST) and htmx (fragments, HX-Trigger), messages
beside the field with the text kept, the record and its Markdown, and what each person may reach."""

from __future__ import annotations

import pytest

from lsweb.discussion import services
from lsweb.extensions import db
from lsweb.models import Post

HX = {"HX-Request": "true"}


def url(board, tail=""):
    return f"/lessons/{board.lesson.id}/board{tail}"


def send(client, board, body, section="patterns", token="tok-00000001", htmx=False, **extra):
    return client.post(url(board, "/posts"), data={"section": section, "body": body, "token": token, **extra},
                       headers=HX if htmx else {})


def test_post_without_javascript_redirects_to_the_post(client, login, board):
    login(board.member)
    response = send(client, board, "Pupils used the *bar model*")
    created = db.session.scalar(db.select(Post))
    assert response.status_code == 303
    assert response.headers["Location"].endswith(url(board, f"#post-{created.id}"))
    page = client.get(url(board)).text
    assert "<em>bar model</em>" in page and f'id="post-{created.id}"' in page


def test_post_with_htmx_gets_a_fresh_form_and_a_sync(client, login, board):
    login(board.member)
    response = send(client, board, "Hello", htmx=True)
    assert response.status_code == 200 and response.headers["HX-Trigger"] == "board-sync"
    assert 'class="post-form"' in response.text and "Hello" not in response.text
    assert 'name="token" value="tok-00000001"' not in response.text  # a new token for the next post


def test_double_submit_makes_one_post(client, login, board):
    login(board.member)
    send(client, board, "Once", htmx=True)
    send(client, board, "Once", htmx=True)
    assert db.session.scalar(db.select(db.func.count(Post.id))) == 1


@pytest.mark.parametrize(("body", "message"), [("", "Write something"), ("y" * 20_000, "at most 10,000")])
def test_bad_posts_show_the_message_beside_the_field_and_keep_the_text(client, login, board, body, message):
    login(board.member)
    for htmx in (True, False):
        response = send(client, board, body, htmx=htmx)
        assert response.status_code == 422
        assert message in response.text and 'aria-invalid="true"' in response.text
        assert body in response.text
    assert db.session.scalar(db.select(db.func.count(Post.id))) == 0


def test_replying_to_a_deleted_or_hidden_post_is_refused_with_a_message(client, login, board):
    gone = services.add_post(board.lead, board.lesson, "patterns", "Gone", "tok-gone-001")[0]
    hidden = services.add_post(board.lead, board.lesson, "patterns", "Hidden", "tok-hide-001")[0]
    services.delete_post(board.lead, gone)
    services.hide_post(board.lead, hidden, "Off topic")
    login(board.member)
    for parent, word in ((gone, "deleted"), (hidden, "hidden")):
        response = send(client, board, "My reply", htmx=True, parent_id=str(parent.id), token=f"tok-r-{parent.id:05d}")
        assert response.status_code == 422 and word in response.text and "My reply" in response.text
    page = client.get(url(board)).text
    assert "Deleted by its author." in page and "Hidden by the facilitator: Off topic" in page
    assert ">Gone<" not in page and ">Hidden<" not in page


def test_edit_delete_mark_agree_hide(client, login, board):
    own = services.add_post(board.member, board.lesson, "patterns", "Before", "tok-own-0001")[0]
    login(board.member)
    form = client.get(url(board, f"/posts/{own.id}/edit"), headers=HX)
    assert form.status_code == 200 and "Before" in form.text
    response = client.post(url(board, f"/posts/{own.id}/edit"), data={"body": "After"}, headers=HX)
    assert response.headers["HX-Trigger"] == "board-sync"
    assert "After" in client.get(url(board)).text and ">edited<" in client.get(url(board)).text
    history = client.get(url(board, f"/posts/{own.id}/history")).text
    assert "Before" in history and "After" in history
    assert client.post(url(board, f"/posts/{own.id}/mark"), data={"mark": "finding"}).status_code == 303
    assert client.post(url(board, f"/posts/{own.id}/agree"), headers=HX).status_code == 204
    db.session.refresh(own)
    assert (own.mark, own.agree_count) == ("finding", 1)
    other = services.add_post(board.lead, board.lesson, "patterns", "Lead's", "tok-lead-001")[0]
    assert client.get(url(board, f"/posts/{other.id}/edit")).status_code == 404  # not one's own
    response = client.post(url(board, f"/posts/{other.id}/delete"), headers=HX)
    assert "Only its author" in response.text and db.session.get(Post, other.id).deleted_at is None
    response = client.post(url(board, f"/posts/{other.id}/hide"), data={"reason": "x"}, headers=HX)
    assert "Only the facilitator" in response.text
    assert client.post(url(board, f"/posts/{own.id}/delete")).status_code == 303
    assert db.session.get(Post, own.id).deleted_at is not None


def test_changes_give_new_posts_once_and_changed_posts_by_id(client, login, board):
    a = services.add_post(board.lead, board.lesson, "patterns", "First", "tok-chg-0001")[0]
    login(board.member)
    seen = services.current_seq(board.lesson)
    b = services.add_post(board.lead, board.lesson, "patterns", "Second", "tok-chg-0002")[0]
    services.add_post(board.member, board.lesson, "patterns", "Reply", "tok-chg-0003", parent=b)
    services.toggle_agree(board.member, a)
    text = client.get(url(board, f"/changes?after={seen}"), headers=HX).text
    assert text.count('id="post-') == 3
    assert 'data-hx-swap-oob="beforeend:#posts-patterns"' in text and f'data-hx-swap-oob="beforeend:#replies-{b.id}"' in text
    assert f'id="post-{a.id}" data-hx-swap-oob="true"' in text
    assert f'value="{services.current_seq(board.lesson)}" data-hx-swap-oob="true"' in text
    assert "New post by Lena Lead in Patterns across the class." in text
    assert client.get(url(board, "/changes?after=0")).status_code == 303  # not for plain browsers


def test_show_earlier(client, login, board):
    for i in range(services.PAGE_SIZE + 5):
        services.add_post(board.member, board.lesson, "patterns", f"Post number {i:02d}", f"tok-many-{i:04d}")
    login(board.member)
    page = client.get(url(board)).text
    assert "Post number 05" in page and "Post number 04" not in page and "Show earlier posts" in page
    first_shown = db.session.scalar(db.select(Post.id).where(Post.body == "Post number 05"))
    earlier = client.get(url(board, f"/sections/patterns?before={first_shown}"), headers=HX).text
    assert "Post number 00" in earlier and "Post number 04" in earlier and "Post number 05" not in earlier


def test_record_and_markdown(client, login, board):
    step = services.add_post(board.member, board.lesson, "next-time", "Start with **bar models**", "tok-rec-0001",
                             mark="next_step")[0]
    services.add_post(board.lead, board.lesson, "next-time", "Yes", "tok-rec-0002", parent=step)
    login(board.member)
    record = client.get(url(board, "/record")).text
    assert "Next steps" in record and "<strong>bar models</strong>" in record
    markdown = client.get(url(board, "/record.md"))
    assert markdown.mimetype == "text/markdown" and "attachment" in markdown.headers["Content-Disposition"]
    assert "## What to change next time" in markdown.text and "- Start with bar models (Mo Member)" in markdown.text


def test_the_markdown_record_gives_each_post_the_schools_time(client, login, board):
    from datetime import datetime, timezone

    board.group.school.timezone = "Europe/London"
    post = services.add_post(board.member, board.lesson, "patterns", "Halves first", "tok-rec-0003")[0]
    post.created_at = datetime(2026, 6, 10, 9, 40, tzinfo=timezone.utc)  # 10:40 British Summer Time
    db.session.commit()
    login(board.member)
    markdown = client.get(url(board, "/record.md")).text
    assert "**Mo Member**, 10 Jun 2026 10:40 BST" in markdown and "UTC" not in markdown


def test_who_reaches_the_board(client, login, board, app):
    lesson_url = url(board)
    for user, expected in ((board.outsider, 404), (board.visitor, 404), (board.unsigned, 303)):
        c = app.test_client()
        login(user, the_client=c)
        assert c.get(lesson_url).status_code == expected
    services.invite_guest(board.lead, board.lesson, board.visitor.email)
    c = app.test_client()
    login(board.visitor, the_client=c)
    page = c.get(lesson_url).text
    assert "You are a guest" in page and 'name="section" value="guests"' in page
    assert 'name="section" value="patterns"' not in page
    refused = c.post(url(board, "/posts"), data={"section": "patterns", "body": "x", "token": "tok-guest-01"},
                     headers=HX)
    assert refused.status_code == 422 and "Guests post in the guests" in refused.text
    assert db.session.scalar(db.select(db.func.count(Post.id))) == 0
    assert c.get(f"/groups/{board.group.id}").status_code == 404  # nothing else of the group


def test_facilitator_sets_roles_and_invites(client, login, board):
    login(board.lead)
    client.post(url(board, "/roles"), data={"chair_id": str(board.member.id), "recorder_id": "0"})
    assert services.roles_of(board.lesson) == (board.member, board.recorder)  # 0: as in the group roles
    client.post(url(board, "/guests"), data={"email": board.visitor.email})
    guest = services.guests_of(board.lesson)[0]
    assert guest.user_id == board.visitor.id
    client.post(url(board, f"/guests/{guest.id}/remove"))
    assert services.guests_of(board.lesson) == []


def test_a_guests_post_to_a_members_section_without_javascript_says_why(client, login, board):
    """A guest posts only in the guests' section: a forged form to another section is refused, and the
    page says so even though it has no form for that section."""
    services.invite_guest(board.lead, board.lesson, board.visitor.email)
    login(board.visitor)
    refused = client.post(url(board, "/posts"), data={"section": "patterns", "body": "x", "token": "tok-guest-02"})
    assert refused.status_code == 422 and "Guests post in the guests" in refused.text
    assert db.session.scalar(db.select(db.func.count(Post.id))) == 0
