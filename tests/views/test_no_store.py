"""Nothing private lingers in a browser's or a proxy's cache: every response but a public static file says
`Cache-Control: no-store`, downloads included (record.md, the draft and library exports, booklets, the
data ZIP, calendars)."""

from ..sharing_setup import publish, written_summary


def test_private_downloads_are_not_stored_and_static_files_may_be(client, login, factories):
    team = written_summary(factories)
    publication = publish(team)
    login(team.lead)
    summary = f"/groups/{team.group.id}/cycles/{team.cycle.number}/summary"
    downloads = [
        ("GET", f"/lessons/{team.lesson.id}/board/record.md"),
        ("GET", summary + "/export.md"),
        ("GET", summary + "/export.docx"),
        ("GET", f"/library/studies/{publication.id}/export.md"),
        ("GET", f"/library/studies/{publication.id}/export.pdf"),
        ("GET", f"/library/booklet.md?study={publication.id}"),
        ("GET", f"/library/booklet.docx?study={publication.id}"),
        ("GET", f"/lessons/{team.lesson.id}/cover.csv"),
        ("GET", "/me/calendar.ics"),
        ("POST", "/account/data"),
        ("GET", "/health"),
    ]
    for method, url in downloads:
        response = client.open(url, method=method)
        assert response.status_code == 200, url
        assert "no-store" in response.headers.get("Cache-Control", ""), url
    static = client.get("/static/css/lsweb.css")
    assert static.status_code == 200
    assert "no-store" not in static.headers.get("Cache-Control", "")
