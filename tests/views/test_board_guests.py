"""Guests of a board (invited by the facilitator, or registered for an open-house lesson) read and write the
Guests section only, and read what the facilitator shares with them; a case pupil's section answers 404 to
them, in the page, its fragments, its posts, the record and its download. A guest the facilitator removed
stays removed: cancelling and registering again does not bring them back."""

import pytest

from lsweb.discussion import services as board
from lsweb.errors import DomainError
from lsweb.extensions import db
from lsweb.models import BoardGuest
from lsweb.sharing import openhouse

from ..sharing_setup import other_school_teacher, written_summary

HX = {"HX-Request": "true"}


def _board_with_posts(factories):
    team = written_summary(factories)
    pupil = team.pupils[0]
    about_pupil = board.add_post(team.lead, team.lesson, f"pupil-{pupil.id}", "Pupil A hid her strip: PRIVATE-NOTE",
                                 "tok-guest-00000001")[0]
    patterns = board.add_post(team.lead, team.lesson, "patterns", "Most pupils folded twice: CLASS-PATTERN",
                              "tok-guest-00000002")[0]
    board.add_post(team.lead, team.lesson, board.GUESTS, "Welcome, visitors: GUEST-WELCOME", "tok-guest-00000003")
    return team, pupil, about_pupil, patterns


def test_a_registered_open_house_visitor_reads_only_the_guests_section_and_what_is_shared(client, login, factories):
    team, pupil, about_pupil, patterns = _board_with_posts(factories)
    house = openhouse.save(team.lead, team.lesson, 5, "Watch the strips.", "")
    visitor = other_school_teacher(factories)
    login(visitor)
    assert client.post(f"/library/open-house/{house.id}/register").status_code == 303
    base = f"/lessons/{team.lesson.id}/board"
    page = client.get(base).text
    assert "GUEST-WELCOME" in page
    assert "PRIVATE-NOTE" not in page and "CLASS-PATTERN" not in page and f"section-pupil-{pupil.id}" not in page
    assert client.get(f"{base}/sections/pupil-{pupil.id}?before=999999", headers=HX).status_code == 404
    assert client.get(f"{base}/posts/{about_pupil.id}/history").status_code == 404
    assert client.post(f"{base}/posts/{about_pupil.id}/agree").status_code == 404
    reply = client.post(f"{base}/posts", data={"section": board.GUESTS, "body": "Me too", "token": "tok-guest-reply1",
                                               "parent_id": str(about_pupil.id)})
    assert reply.status_code == 404
    for record in (f"{base}/record", f"{base}/record.md"):
        text = client.get(record).text
        assert "GUEST-WELCOME" in text and "PRIVATE-NOTE" not in text and "CLASS-PATTERN" not in text, record
    changes = client.get(f"{base}/changes?after=0", headers=HX).text
    assert "PRIVATE-NOTE" not in changes and "CLASS-PATTERN" not in changes
    # The facilitator shares the class patterns with guests: they read them, and still not the pupil's section.
    client.post("/logout")
    login(team.lead)
    assert client.post(f"{base}/guest-sections", data={"section": ["patterns"]}).status_code == 303
    client.post("/logout")
    login(visitor)
    page = client.get(base).text
    assert "CLASS-PATTERN" in page and "PRIVATE-NOTE" not in page
    assert client.get(f"{base}/posts/{patterns.id}/history").status_code == 200
    assert client.get(f"{base}/posts/{about_pupil.id}/history").status_code == 404


def test_an_invited_guest_reads_the_same(client, login, factories):
    team, pupil, about_pupil, _ = _board_with_posts(factories)
    guest = other_school_teacher(factories)
    board.invite_guest(team.lead, team.lesson, guest.email)
    login(guest)
    page = client.get(f"/lessons/{team.lesson.id}/board").text
    assert "GUEST-WELCOME" in page and "PRIVATE-NOTE" not in page
    assert "PRIVATE-NOTE" not in client.get(f"/lessons/{team.lesson.id}/board/record.md").text


def test_a_removed_guest_stays_removed_after_cancelling_and_registering_again(client, login, factories):
    team, *_ = _board_with_posts(factories)
    house = openhouse.save(team.lead, team.lesson, 5, "", "")
    visitor = other_school_teacher(factories)
    openhouse.register(visitor, house)
    removed = db.session.scalar(db.select(BoardGuest).where(BoardGuest.user_id == visitor.id))
    board.remove_guest(team.lead, removed)
    login(visitor)
    base = f"/lessons/{team.lesson.id}/board"
    assert client.get(base).status_code == 404
    client.post(f"/library/open-house/{house.id}/cancel")
    again = client.post(f"/library/open-house/{house.id}/register")
    assert again.status_code in (303, 422)
    assert client.get(base).status_code == 404
    assert openhouse.registration_of(visitor, house) is None
    with pytest.raises(DomainError, match="removed you"):
        openhouse.register(visitor, house)
    # The facilitator may invite them again: that is their choice.
    board.invite_guest(team.lead, team.lesson, visitor.email)
    assert client.get(base).status_code == 200
