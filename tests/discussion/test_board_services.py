"""The board's rules: posting, replying, editing with history, deleting, hiding, marks, reactions,
guests, idempotent sends, the change numbers pages catch up by, and next_steps_of."""

from __future__ import annotations

import pytest

from lsweb.discussion import services
from lsweb.errors import DomainError, NotAllowed
from lsweb.extensions import db
from lsweb.models import Post, PostReaction


def post(user, lesson, text="A post", section="patterns", token=None, **kw):
    post.n = getattr(post, "n", 0) + 1
    return services.add_post(user, lesson, section, text, token or f"token-{post.n:08d}", **kw)[0]


def test_sections_follow_the_order_of_the_discussion(board):
    keys = [s.key for s in services.sections_of(board.lesson)]
    assert keys == [f"pupil-{board.pupil.id}", "patterns", "differences", "next-time", "final", "guests"]


def test_post_and_reply_one_level(board):
    first = post(board.member, board.lesson, "We saw **bar models** help")
    reply = post(board.lead, board.lesson, "Agreed", parent=first)
    nested = post(board.recorder, board.lesson, "Me too", parent=reply)
    assert reply.parent_id == first.id and nested.parent_id == first.id  # joins the thread
    assert reply.section == nested.section == "patterns"
    assert "<strong>bar models</strong>" in first.body_html
    assert first.seq < reply.seq < nested.seq


@pytest.mark.parametrize("text", ["", "   \n  "])
def test_empty_posts_are_refused(board, text):
    with pytest.raises(DomainError) as error:
        post(board.member, board.lesson, text)
    assert error.value.field == "body"
    assert db.session.scalar(db.select(db.func.count(Post.id))) == 0


def test_too_long_posts_are_refused_with_a_clear_message(board):
    with pytest.raises(DomainError) as error:
        post(board.member, board.lesson, "x" * 20_000)
    assert "10,000" in error.value.message and "20,000" in error.value.message
    assert post(board.member, board.lesson, "x" * 10_000).body == "x" * 10_000


def test_the_same_form_sent_twice_makes_one_post(board):
    one, created = services.add_post(board.member, board.lesson, "patterns", "Once", "same-token-1")
    two, again = services.add_post(board.member, board.lesson, "patterns", "Once", "same-token-1")
    assert created and not again and one.id == two.id
    assert db.session.scalar(db.select(db.func.count(Post.id))) == 1


def test_who_may_post(board):
    for user in (board.outsider, board.unsigned, board.visitor):
        with pytest.raises(NotAllowed):
            post(user, board.lesson)
    services.invite_guest(board.lead, board.lesson, board.visitor.email)
    with pytest.raises(NotAllowed):
        post(board.visitor, board.lesson, section="patterns")
    assert post(board.visitor, board.lesson, "Guest view", section="guests").section == "guests"
    with pytest.raises(DomainError):
        post(board.visitor, board.lesson, "Marked", section="guests", mark="finding")


def test_unknown_sections_and_marks_are_refused(board):
    with pytest.raises(DomainError):
        post(board.member, board.lesson, section="nowhere")
    with pytest.raises(DomainError):
        post(board.member, board.lesson, mark="verdict")


def test_editing_keeps_the_history(board):
    first = post(board.member, board.lesson, "First words")
    seq = first.seq
    assert services.edit_post(board.member, first, "Better words")
    assert (first.body, first.version, first.edited_at is not None) == ("Better words", 2, True)
    assert first.seq > seq
    assert [(r.version, r.body) for r in services.revisions_of(first)] == [(1, "First words")]
    assert not services.edit_post(board.member, first, "Better words")  # unchanged: nothing written
    with pytest.raises(NotAllowed):
        services.edit_post(board.lead, first, "Not mine")


def test_deleting_keeps_the_post_as_deleted(board):
    first = post(board.member, board.lesson)
    with pytest.raises(NotAllowed):
        services.delete_post(board.lead, first)
    services.delete_post(board.member, first)
    assert db.session.get(Post, first.id).deleted_at is not None
    with pytest.raises(DomainError, match="deleted"):
        post(board.lead, board.lesson, "Reply", parent=first)
    with pytest.raises(DomainError):
        services.edit_post(board.member, first, "Back")


def test_the_facilitator_hides_with_a_reason(board):
    first = post(board.member, board.lesson)
    with pytest.raises(NotAllowed):
        services.hide_post(board.member, first, "No")
    with pytest.raises(DomainError) as error:
        services.hide_post(board.lead, first, "  ")
    assert error.value.field == "reason"
    services.hide_post(board.lead, first, "Names a pupil")
    assert first.hidden_reason == "Names a pupil"
    with pytest.raises(DomainError, match="hidden"):
        post(board.recorder, board.lesson, "Reply", parent=first)


def test_marks(board):
    first = post(board.member, board.lesson)
    services.set_mark(board.member, first, "finding")       # its author
    services.set_mark(board.recorder, first, "next_step")   # the recorder
    services.set_mark(board.lead, first, "question")         # the facilitator (and chair)
    assert first.mark == "question"
    other = post(board.lead, board.lesson)
    with pytest.raises(NotAllowed):
        services.set_mark(board.member, other, "finding")
    with pytest.raises(DomainError):
        services.set_mark(board.member, first, "verdict")


def test_agree_toggles_and_counts(board):
    first = post(board.member, board.lesson)
    assert services.toggle_agree(board.lead, first)
    assert services.toggle_agree(board.recorder, first)
    assert first.agree_count == 2
    assert not services.toggle_agree(board.lead, first)
    assert first.agree_count == 1
    assert db.session.scalar(db.select(db.func.count(PostReaction.id))) == 1
    services.invite_guest(board.lead, board.lesson, board.visitor.email)
    with pytest.raises(NotAllowed):
        services.toggle_agree(board.visitor, first)


def test_changes_after_a_change_number_have_no_gap_and_no_duplicate(board):
    a = post(board.member, board.lesson, "a")
    seen = services.current_seq(board.lesson)
    b = post(board.lead, board.lesson, "b")
    services.edit_post(board.member, a, "a2")
    services.toggle_agree(board.lead, b)
    changed, too_many = services.changes_after(board.lesson, seen)
    assert [p.id for p in changed] == [a.id, b.id] and not too_many  # each once, in the order of change
    assert services.changes_after(board.lesson, services.current_seq(board.lesson))[0] == []


def test_sections_load_newest_first_and_earlier_on_demand(board):
    size = services.PAGE_SIZE
    posts = [post(board.member, board.lesson, f"p{i}") for i in range(size + 5)]
    seq = services.current_seq(board.lesson)
    page, more = services.section_posts(board.lesson, "patterns", seq)
    assert [p.id for p in page] == [p.id for p in posts[5:]] and more
    earlier, more = services.section_posts(board.lesson, "patterns", seq, before_id=page[0].id)
    assert [p.id for p in earlier] == [p.id for p in posts[:5]] and not more


def test_the_board_page_reads_every_section_at_once_as_each_would_be_read_alone(board):
    size = services.PAGE_SIZE
    for i in range(size + 3):
        post(board.member, board.lesson, f"pattern {i}")
    for i in range(2):
        post(board.member, board.lesson, f"difference {i}", section="differences")
    first = post(board.member, board.lesson, "next", section="next-time")
    post(board.lead, board.lesson, "a reply is not a thread", parent=first)
    seq = services.current_seq(board.lesson)
    post(board.member, board.lesson, "after the page was read", section="differences")
    together = services.sections_posts(board.lesson, seq)
    for key in ("patterns", "differences", "next-time"):
        alone, more = services.section_posts(board.lesson, key, seq)
        assert ([p.id for p in together[key][0]], together[key][1]) == ([p.id for p in alone], more), key
    assert together["patterns"][1] and not together["differences"][1]
    assert len(together["differences"][0]) == 2 and "final" not in together


def test_next_steps_of(board):
    step = post(board.member, board.lesson, "Use **bar models** first", section="next-time", mark="next_step")
    gone = post(board.member, board.lesson, "Old idea", section="next-time", mark="next_step")
    post(board.member, board.lesson, "A finding", mark="finding")
    services.delete_post(board.member, gone)
    steps = services.next_steps_of(board.lesson)
    assert [(s.key, s.text, s.author, s.post_id) for s in steps] == [
        (f"post-{step.id}", "Use bar models first", "Mo Member", step.id)]


def test_chair_recorder_and_guests(board):
    chair, recorder = services.roles_of(board.lesson)
    assert (chair, recorder) == (board.lead, board.recorder)  # from the group's roles
    services.set_roles(board.lead, board.lesson, board.member.id, None)
    assert services.roles_of(board.lesson)[0] == board.member
    with pytest.raises(DomainError):
        services.set_roles(board.lead, board.lesson, board.outsider.id, None)
    with pytest.raises(NotAllowed):
        services.set_roles(board.member, board.lesson, board.member.id, None)
    with pytest.raises(DomainError):
        services.invite_guest(board.lead, board.lesson, board.member.email)  # a member already
    with pytest.raises(DomainError):
        services.invite_guest(board.lead, board.lesson, "nobody@nowhere.example")
    guest = services.invite_guest(board.lead, board.lesson, board.visitor.email)
    assert services.can_read(board.visitor, board.lesson)
    services.remove_guest(board.lead, guest)
    assert not services.can_read(board.visitor, board.lesson)
