"""One account cannot take every server thread with live streams: at most 8 open per person (and per
session) in a process; the next is refused with 429 (the page then polls, static/js/live.js), and a
stream that closes (its tab gone, its keep-alive failed) frees its place."""

from __future__ import annotations

import pytest

from lsweb import live
from lsweb.models import Role

PREFIX = "captest"


@pytest.fixture(autouse=True)
def test_channel(monkeypatch):
    monkeypatch.setitem(live._channels, PREFIX, lambda user, key: True)


def open_stream(client, number=0):
    return client.get(f"/live/{PREFIX}-{number}", buffered=False)


def test_the_ninth_stream_of_one_person_is_refused_and_a_closed_one_frees_its_place(app, factories, login):
    assert app.config["LSWEB"]["LIVE_STREAMS_MAX"] == 8
    user = factories.user(factories.school(), Role.TEACHER)
    laptop, phone = app.test_client(), app.test_client()
    login(user, the_client=laptop)
    login(user, the_client=phone)
    streams = [open_stream(laptop, n) for n in range(5)] + [open_stream(phone, n) for n in range(3)]
    assert [s.status_code for s in streams] == [200] * 8
    refused = open_stream(phone, 9)
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "60"
    assert "This page refreshes itself" in refused.text
    # Someone else is not affected.
    colleague = app.test_client()
    login(factories.user(factories.school()), the_client=colleague)
    other = open_stream(colleague)
    assert other.status_code == 200
    other.close()
    # A tab goes away (the server closes its response): its place is free again.
    streams.pop().close()
    again = open_stream(phone, 10)
    assert again.status_code == 200
    for stream in [*streams, again]:
        stream.close()


def test_a_stream_whose_client_is_gone_is_closed_and_counted_no_more(app, factories, login, client):
    from lsweb.live.caps import stream_counts

    user = factories.user(factories.school(), Role.TEACHER)
    login(user)
    response = open_stream(client)
    body = iter(response.response)
    assert next(body)  # the opening comment: the stream is running
    assert stream_counts(app).open_for(f"person:{user.id}") == 1
    response.close()  # what the server does when a write (a keep-alive) to a gone client fails
    assert stream_counts(app).open_for(f"person:{user.id}") == 0


def test_the_cap_is_a_setting(make_app):
    assert make_app(LIVE_STREAMS_MAX=2).config["LSWEB"]["LIVE_STREAMS_MAX"] == 2


def test_signed_in_pages_load_the_polling_fallback(client, factories, login):
    login(factories.user(factories.school()))
    assert "/static/js/live.js" in client.get("/").text
