"""The grid of a lesson is live: a saved note is published on the lesson's channel (ids only, never the
note's text) and the grid region re-fetches itself (a named block) on that event and on resync."""

from __future__ import annotations

import json

from lsweb import live

from ..lessonday_setup import lesson_day


def test_a_saved_note_is_published_and_the_grid_region_refetches(client, login, factories, app):
    day = lesson_day(factories)
    subscription = live.get_broker(app).subscribe(f"lesson-{day.lesson.id}")
    login(day.observer)
    response = client.post(f"/lessons/{day.lesson.id}/observe/notes", data={
        "client_id": "note-live-00001", "kind": "note", "pupil_id": str(day.pupils[0].id),
        "stage_id": str(day.stages[0].id), "rating": "better", "text": "Pupil A explained halves"})
    assert response.status_code == 303
    message = subscription.get(timeout=1)
    if message.event == "resync":  # every stream opens with one
        message = subscription.get(timeout=1)
    assert message.event == "observation-saved"
    data = json.loads(message.data)
    assert data["lesson"] == day.lesson.id and "text" not in data
    assert "Pupil A explained halves" not in message.data

    page = client.get(f"/lessons/{day.lesson.id}/grid").text
    assert f'sse-connect="/live/lesson-{day.lesson.id}"' in page
    assert 'hx-trigger="sse:observation-saved, sse:resync"' in page
    fragment = client.get(f"/lessons/{day.lesson.id}/grid", headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert "Pupil A explained halves" in fragment.text and "Discussion agenda" in fragment.text
    assert "<html" not in fragment.text and "sse-connect" not in fragment.text


def test_a_member_who_has_not_signed_gets_no_grid_fragment(client, login, factories):
    from lsweb.groups import services as group_services
    from lsweb.models import GroupRole, Role

    day = lesson_day(factories)
    newcomer = factories.user(day.school, Role.TEACHER)
    group_services.add_member(day.lead, day.group, newcomer.email, GroupRole.MEMBER)
    login(newcomer)
    response = client.get(f"/lessons/{day.lesson.id}/grid", headers={"HX-Request": "true"})
    assert response.status_code in (303, 204)
    assert "Pupil A will manage" not in response.text
