"""A board post on a full disk: htmx gets the message in the flash region (the form and its text stay
as they are), 507; nothing is posted; the same post goes through once there is room, once."""

from __future__ import annotations


from lsweb.extensions import db
from lsweb.models import Post

from ..disk_full import MESSAGE, disk  # noqa: F401  (disk: a fixture)

HX = {"HX-Request": "true"}


def test_a_board_post_on_a_full_disk(client, login, board, disk):
    login(board.member)
    url = f"/lessons/{board.lesson.id}/board/posts"
    data = {"section": "patterns", "body": "Most pupils compared numerators only", "token": "tok-full-0001"}
    with disk.full():
        answer = client.post(url, data=data, headers=HX)
    assert answer.status_code == 507
    assert answer.headers["HX-Retarget"] == "#flash"  # the form, with its text, is not replaced
    assert MESSAGE.replace("'", "&#39;") in answer.text
    assert db.session.scalar(db.select(db.func.count()).select_from(Post)) == 0
    assert client.post(url, data=data, headers=HX).status_code == 200
    db.session.expire_all()
    assert db.session.scalars(db.select(Post.body)).all() == ["Most pupils compared numerators only"]
