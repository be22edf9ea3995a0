"""A pycrdt replica of a page, talking to the server as the browser does."""

from __future__ import annotations

import base64

from pycrdt import Doc, Map, Text


def signed_in_client(app, login, user):
    """A test client of its own (its own session, its own flask.g), signed in as `user`."""
    the_client = app.test_client()
    login(user, the_client=the_client)
    return the_client


def fresh_team(factories):
    """A planning team (tests/plans.py) with the co-edited documents' cache emptied first."""
    from lsweb.coedit import store

    from ..plans import planning_team

    store.clear_cache()
    return planning_team(factories)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


class Replica:
    def __init__(self, client, doc_name: str, client_id: int | None = None):
        self.client, self.name = client, doc_name
        self.doc = Doc(client_id=client_id) if client_id else Doc()

    def sync(self):
        answer = self.client.post(f"/coedit/{self.name}/sync", json={"sv": b64(self.doc.get_state())})
        assert answer.status_code == 200, answer.status_code
        body = answer.get_json()
        self.doc.apply_update(base64.b64decode(body["update"]))
        return body

    def text(self, key: str) -> Text:
        return self.doc.get("texts", type=Map)[key]

    def stages(self) -> Map:
        return self.doc.get("stages", type=Map)

    def edit(self, change) -> tuple[int, dict]:
        """Run change(self) in a transaction and send what it made; (status, body)."""
        before = self.doc.get_state()
        with self.doc.transaction():
            change(self)
        return self.send(self.doc.get_update(before))

    def send(self, update: bytes):
        answer = self.client.post(f"/coedit/{self.name}/update",
                                  json={"update": b64(update), "client": self.doc.client_id})
        return answer.status_code, answer.get_json(silent=True)


def typed_plan_update(app, login, team, box: str, text: str) -> tuple["Replica", bytes]:
    """Ana's replica of the team's plan, synced, with `text` typed into `box`, and the update that
    carries it (not sent yet)."""
    page = Replica(signed_in_client(app, login, team.ana), f"plan-{team.lesson.id}")
    page.sync()
    before = page.doc.get_state()
    with page.doc.transaction():
        page.text(box).insert(0, text)
    return page, page.doc.get_update(before)
