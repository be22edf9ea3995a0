"""The final comments are the knowledgeable other's: a member with that group role, or a guest the
facilitator names as one, writes them; every other member reads them (no box, and a post or a reply sent
anyway answers 404 with nothing stored)."""

from __future__ import annotations

import pytest

from lsweb.discussion import services
from lsweb.errors import NotAllowed
from lsweb.extensions import db
from lsweb.groups import services as group_services
from lsweb.models import AuditEntry, BoardGuest, GroupRole, Post, Role
from lsweb.protocol import services as protocol_services

FINAL_BOX = "Add to this section<span class=\"visually-hidden\">: Knowledgeable other&#39;s final comments"


def as_user(client, login, user):
    """Sign out whoever is signed in, then sign in as `user`."""
    client.post("/logout")
    login(user)


def url(board, tail=""):
    return f"/lessons/{board.lesson.id}/board{tail}"


def send(client, board, body, section="final", token="tok-final-0001", **extra):
    return client.post(url(board, "/posts"), data={"section": section, "body": body, "token": token, **extra})


def _final_posts() -> list[str]:
    return db.session.scalars(db.select(Post.body).where(Post.section == "final").order_by(Post.id)).all()


@pytest.fixture
def ko(board, factories):
    """Kim, the group's knowledgeable other (a member of the group with that role, signed)."""
    school = board.group.school
    kim = factories.user(school, Role.TEACHER, name="Kim Knowledgeable")
    group_services.add_member(board.lead, board.group, kim.email, GroupRole.KNOWLEDGEABLE_OTHER)
    protocol_services.sign(kim, board.group, protocol_services.current_version(board.group).id, True,
                           kim.display_name)
    return kim


def test_the_knowledgeable_other_writes_the_final_comments_and_members_read_them(client, login, board, ko):
    as_user(client, login, ko)
    page = client.get(url(board)).text
    assert FINAL_BOX in page
    assert send(client, board, "Keep the language of equal parts explicit").status_code == 303
    assert _final_posts() == ["Keep the language of equal parts explicit"]
    comment = db.session.scalar(db.select(Post).where(Post.section == "final"))

    for reader in (board.member, board.recorder, board.lead):  # a member, the recorder, the facilitator
        as_user(client, login, reader)
        page = client.get(url(board)).text
        assert "Keep the language of equal parts explicit" in page
        assert FINAL_BOX not in page and "The knowledgeable other writes the final comments; you read them." in page
        assert f'name="parent_id" value="{comment.id}"' not in page  # no reply box either
        refused = send(client, board, f"Final words of {reader.display_name}", token=f"tok-final-{reader.id:04d}")
        assert refused.status_code == 404
        reply = send(client, board, "A reply", section="", token=f"tok-reply-{reader.id:04d}",
                     parent_id=str(comment.id))
        assert reply.status_code == 404
    assert _final_posts() == ["Keep the language of equal parts explicit"]
    with pytest.raises(NotAllowed, match="knowledgeable other"):
        services.add_post(board.member, board.lesson, "final", "Through the service", "tok-final-svc1")
    db.session.rollback()
    assert _final_posts() == ["Keep the language of equal parts explicit"]


def test_an_external_guest_named_knowledgeable_other_writes_the_final_comments(client, login, board, factories):
    plain_guest = factories.user(board.visitor.school, Role.TEACHER, name="Gus Guest", email="gus@birch.example")
    as_user(client, login, board.lead)
    page = client.get(url(board)).text
    assert 'name="knowledgeable_other"' in page
    response = client.post(url(board, "/guests"), data={"email": board.visitor.email, "knowledgeable_other": "y"})
    assert response.status_code == 303
    assert "Vic Visitor is invited to this discussion as its knowledgeable other." in client.get(url(board)).text
    assert client.post(url(board, "/guests"), data={"email": plain_guest.email}).status_code == 303
    assert db.session.scalar(db.select(BoardGuest.knowledgeable_other).where(
        BoardGuest.user_id == board.visitor.id)) is True
    assert "Vic Visitor (knowledgeable other" in client.get(url(board)).text
    assert db.session.scalar(db.select(AuditEntry.details).where(AuditEntry.action == "board.guest_invited")
                             .order_by(AuditEntry.id)).endswith("Vic Visitor (knowledgeable other)")

    as_user(client, login, board.visitor)
    page = client.get(url(board)).text
    assert "Knowledgeable other&#39;s final comments" in page and FINAL_BOX in page
    assert send(client, board, "From Birch: this matches our Year 3 findings").status_code == 303
    assert send(client, board, "Guest words", section="guests", token="tok-guest-0001").status_code == 303
    assert _final_posts() == ["From Birch: this matches our Year 3 findings"]

    as_user(client, login, board.member)
    assert "From Birch: this matches our Year 3 findings" in client.get(url(board)).text

    # A guest not named knowledgeable other does not see the section, and cannot post there.
    as_user(client, login, plain_guest)
    page = client.get(url(board)).text
    assert "final comments" not in page and "From Birch" not in page
    assert send(client, board, "Not mine to write", token="tok-final-gus1").status_code == 404

    # Invited again without the box: no longer the knowledgeable other.
    as_user(client, login, board.lead)
    client.post(url(board, "/guests"), data={"email": board.visitor.email})
    as_user(client, login, board.visitor)
    assert send(client, board, "Once more", token="tok-final-vic2").status_code == 404
    assert "From Birch" not in client.get(url(board)).text
    assert _final_posts() == ["From Birch: this matches our Year 3 findings"]
