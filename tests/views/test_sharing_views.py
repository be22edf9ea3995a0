"""The sharing pages through the test client: the summary page and its no-JavaScript save, publishing
refused with the redaction list, the library and a study for another school, downloads, open house with
its cap and its guests kept out of the group's private pages, and learning fairs."""

from datetime import date, timedelta

from lsweb.extensions import db
from lsweb.models import BoardGuest, Role
from lsweb.sharing import openhouse, publishing, summaries

from ..sharing_setup import other_school_teacher, publish, written_summary


def test_summary_page_and_whole_form_save(client, login, factories):
    team = written_summary(factories)
    login(team.ana)
    base = f"/groups/{team.group.id}/cycles/{team.cycle.number}/summary"
    page = client.get(base)
    assert page.status_code == 200 and b"data-coedit" in page.data and b"bar models" in page.data
    saved = client.post(base, data={"f:changes": "We will change the starter."})
    assert saved.status_code == 303
    assert summaries.texts(team.cycle, summaries.summary_of(team.cycle))["changes"] == "We will change the starter."
    for gone in ("/fields", "/presence"):  # the old page script's endpoints
        assert client.get(base + gone).status_code == 404
    assert client.get(base + "/history").status_code == 200
    assert client.get(base + "/export.md").status_code == 200


def test_publishing_with_unchecked_items_is_refused_with_the_list(client, login, factories):
    team = written_summary(factories)
    summaries.save_field(team.lead, team.cycle, "learning", "Kayleigh explained it to the class.")
    login(team.lead)
    base = f"/groups/{team.group.id}/cycles/{team.cycle.number}/summary"
    refused = client.post(base + "/publish", data={"scope": "network"})
    assert refused.status_code == 422 and b"Kayleigh" in refused.data
    assert publishing.publication_of(team.cycle) is None
    assert client.get(base + "/redaction").status_code == 200
    assert client.post(base + "/redaction", data={"items": "word:Kayleigh"}).status_code == 303
    published = client.post(base + "/publish", data={"scope": "network"})
    assert published.status_code == 303 and "/library/studies/" in published.headers["Location"]


def test_another_school_finds_and_downloads_a_network_study(client, login, factories):
    team = written_summary(factories)
    publication = publish(team)
    login(other_school_teacher(factories))
    found = client.get("/library?q=bar+models")
    assert found.status_code == 200 and team.group.name.encode() in found.data and b"<mark>" in found.data
    assert client.get("/library?q=%22%28NEAR*&subject=x").status_code == 200
    assert client.get("/library?q=" + "x" * 2000).status_code == 200
    assert client.get(f"/library/studies/{publication.id}").status_code == 200
    assert client.get(f"/library/studies/{publication.id}/handout").status_code == 200
    for fmt, kind in (("pdf", "application/pdf"), ("docx", "officedocument"), ("md", "text/markdown")):
        download = client.get(f"/library/studies/{publication.id}/export.{fmt}")
        assert download.status_code == 200 and kind in download.content_type
        assert "attachment" in download.headers["Content-Disposition"]
    assert client.get(f"/library/booklet?study={publication.id}").status_code == 200
    assert client.get(f"/library/booklet.pdf?study={publication.id}").status_code == 200
    # The group's own pages stay closed.
    assert client.get(f"/groups/{team.group.id}/cycles/{team.cycle.number}/summary").status_code == 404


def test_school_leaders_do_not_see_unpublished_summaries(client, login, factories):
    team = written_summary(factories)
    login(factories.user(team.school, Role.LEAD))
    assert client.get(f"/groups/{team.group.id}/cycles/{team.cycle.number}/summary").status_code == 404
    assert team.group.name.encode() not in client.get("/library").data


def test_open_house_registration_cap_briefing_and_guest_limits(client, login, factories):
    team = written_summary(factories)
    house = openhouse.save(team.lead, team.lesson, 1, "Watch how pupils use the strips.", "")
    visitor, late = other_school_teacher(factories), other_school_teacher(factories)
    login(visitor)
    assert client.get(f"/library/open-house/{house.id}").status_code == 200
    assert client.get(f"/library/open-house/{house.id}/briefing").status_code == 404
    assert client.post(f"/library/open-house/{house.id}/register").status_code == 303
    assert db.session.scalar(db.select(BoardGuest).where(BoardGuest.user_id == visitor.id)) is not None
    briefing = client.get(f"/library/open-house/{house.id}/briefing")
    assert briefing.status_code == 200 and b"Pupil A" in briefing.data and b"strips" in briefing.data
    assert client.get(f"/lessons/{team.lesson.id}/board").status_code == 200
    for private in (f"/lessons/{team.lesson.id}", f"/groups/{team.group.id}",
                    f"/groups/{team.group.id}/cycles/{team.cycle.number}/summary",
                    f"/lessons/{team.lesson.id}/open-house"):
        assert client.get(private).status_code == 404, private
    client.post("/logout")
    login(late)
    client.post(f"/library/open-house/{house.id}/register")
    assert openhouse.registration_of(late, house) is None
    assert b"places are taken" in client.get(f"/library/open-house/{house.id}").data


def test_learning_fair_and_programme(client, login, factories):
    team = written_summary(factories)
    publication = publish(team)
    organiser = factories.user(factories.school(), Role.LEAD)
    login(organiser)
    created = client.post("/library/fairs", data={"title": "Summer fair", "on": "2026-07-01", "place": "Hall"})
    assert created.status_code == 303
    fair_url = created.headers["Location"]
    assert client.post(fair_url + "/items", data={"publication": publication.id, "slot": "10:00"}).status_code == 303
    programme = client.get(fair_url + "/programme")
    assert programme.status_code == 200 and team.group.name.encode() in programme.data
    assert client.post("/library/fairs", data={"title": "", "on": ""}).status_code == 422
    assert date(2026, 7, 1).strftime("%d %b %Y").encode() in client.get("/library/fairs").data


def test_a_summary_form_post_keeps_what_others_typed_meanwhile(client, login, factories):
    """Without JavaScript the summary is one form: its post is merged into the summary's document
    against the version it was rendered from."""
    import re

    team = written_summary(factories)
    base = f"/groups/{team.group.id}/cycles/{team.cycle.number}/summary"
    login(team.ana)
    page = client.get(base).text
    rendered = re.search(r'name="rendered_seq" value="(\d+)"', page)[1]
    before = summaries.texts(team.cycle, summaries.summary_of(team.cycle))["learning"]
    lead = client.application.test_client()
    login(team.lead, the_client=lead)
    assert lead.post(base, data={"f:learning": "Walls. " + before}).status_code == 303
    assert client.post(base, data={"f:learning": before + " Number lines too.",
                                   "rendered_seq": rendered}).status_code == 303
    db.session.expire_all()
    assert summaries.texts(team.cycle, summaries.summary_of(team.cycle))["learning"] == \
        "Walls. " + before + " Number lines too."

def test_a_fair_gathers_the_studies_published_in_its_school_year(client, login, factories):
    from lsweb.sharing import fair

    team = written_summary(factories)
    publication = publish(team)
    organiser = factories.user(factories.school(), Role.LEAD)
    today = publication.published_at.date()
    this_year = fair.create(organiser, "This year's fair", today, "Hall")
    last_year = fair.create(organiser, "Last year's fair", fair.school_year_start(today).replace(month=7), "Hall")
    login(organiser)
    assert client.post(f"/library/fairs/{this_year.id}/gather").status_code == 303
    assert [item.publication_id for item in fair.programme(organiser, this_year)] == [publication.id]
    client.post(f"/library/fairs/{this_year.id}/gather")  # again: nothing twice
    assert len(fair.programme(organiser, this_year)) == 1
    client.post(f"/library/fairs/{last_year.id}/gather")  # a study published after the fair's year
    assert fair.programme(organiser, last_year) == []
    assert fair.school_year_start(date(2026, 11, 23)) == date(2026, 9, 1)
    assert fair.school_year_start(date(2027, 3, 1)) == date(2026, 9, 1)


def test_open_house_registration_ends_when_the_lesson_has_taken_place(client, login, factories):
    team = written_summary(factories)
    team.lesson.date = date.today() + timedelta(days=1)
    db.session.commit()
    house = openhouse.save(team.lead, team.lesson, 5, "", "")
    visitor = other_school_teacher(factories)
    login(visitor)
    assert f"/library/open-house/{house.id}".encode() in client.get("/library").data and openhouse.is_open(house)
    team.lesson.date = date.today() - timedelta(days=1)
    db.session.commit()
    assert house not in openhouse.open_houses()
    page = client.get(f"/library/open-house/{house.id}")
    assert page.status_code == 200 and b"Registration is closed" in page.data
    response = client.post(f"/library/open-house/{house.id}/register", follow_redirects=True)
    assert b"has taken place" in response.data
    assert openhouse.registration_of(visitor, house) is None
