"""Notification e-mails, received by a real SMTP server: added to a group and the protocol to sign.
Each person chooses on their account's Notifications page; the person who acted gets nothing, nor does a
deactivated account; with mail off nothing is sent."""

from __future__ import annotations

import pytest

from lsweb.extensions import db
from lsweb.groups import services as groups
from lsweb.models import GroupRole, MailStatus, OutboxMessage, Role
from lsweb.protocol import services as protocol

from ..mail_app import mail_app  # noqa: F401  (fixture "app": mail on)
from ..smtp_server import smtp_server  # noqa: F401  (fixture)


@pytest.fixture
def people(factories):
    school = factories.school("Alder Primary")
    lead = factories.user(school, Role.LEAD, email="lena@alder.example", name="Lena Lead")
    ana = factories.user(school, Role.TEACHER, email="ana@alder.example", name="Ana Teacher")
    group = groups.create_group(lead, groups.GroupDetails(name="Fractions Study"))
    return lead, ana, group


def test_a_new_member_is_told_with_a_link_to_the_group_and_its_protocol(app, people, smtp_server):  # noqa: F811
    lead, ana, group = people
    groups.add_member(lead, group, ana.email, GroupRole.MEMBER)
    [mail] = smtp_server.received
    assert mail.envelope_to == ["ana@alder.example"]
    assert mail.message["Subject"] == "You are a member of Fractions Study"
    assert "Lena Lead has added you" in mail.text and "Alder Primary" in mail.text
    assert f"https://lsweb.alder.example/groups/{group.id}" in mail.text
    assert f"https://lsweb.alder.example/groups/{group.id}/protocol" in mail.html
    assert "https://lsweb.alder.example/account/notifications" in mail.text


def test_an_amended_protocol_is_sent_to_every_member_but_the_facilitator_who_amended_it(
        app, people, factories, smtp_server):  # noqa: F811
    lead, ana, group = people
    gone = factories.user(lead.school, Role.TEACHER, email="gone@alder.example")
    groups.add_member(lead, group, ana.email, GroupRole.MEMBER)
    groups.add_member(lead, group, gone.email, GroupRole.MEMBER)
    gone.active = False
    db.session.commit()
    smtp_server.received.clear()
    current = protocol.current_version(group)
    protocol.amend(lead, group, current.text + "\n\nWe share photos only inside the group.", current.number,
                   note="photos")
    [mail] = smtp_server.received
    assert mail.envelope_to == ["ana@alder.example"]
    assert mail.message["Subject"] == "Fractions Study: the protocol (version 2) waits for your signature"
    assert "What changed: photos" in mail.text
    assert f"https://lsweb.alder.example/groups/{group.id}/protocol" in mail.text


def test_turning_a_kind_off_on_the_account_page_stops_it(app, people, factories, login, smtp_server):  # noqa: F811
    lead, ana, group = people
    client = app.test_client()
    login(ana, the_client=client)
    page = client.get("/account/notifications")
    assert page.status_code == 200
    assert 'value="group_added" aria-describedby="kind-group_added-hint" checked' in page.text
    assert 'value="board_digest" aria-describedby="kind-board_digest-hint" >' in page.text  # off by default
    kept = ["protocol_to_sign", "lesson_changed"]
    response = client.post("/account/notifications", data={"kind": kept})
    assert response.status_code == 303
    page = client.get("/account/notifications")
    assert 'value="group_added" aria-describedby="kind-group_added-hint" >' in page.text
    assert 'value="protocol_to_sign" aria-describedby="kind-protocol_to_sign-hint" checked' in page.text
    groups.add_member(lead, group, ana.email, GroupRole.MEMBER)
    assert smtp_server.received == []
    current = protocol.current_version(group)
    protocol.amend(lead, group, current.text + "\n\nMore.", current.number)
    assert [m.envelope_to for m in smtp_server.received] == [["ana@alder.example"]]


def test_with_mail_off_the_message_is_kept_but_not_sent(make_app, smtp_server):  # noqa: F811
    off = make_app(MAIL_URL=None)
    with off.app_context():
        from ..factories import Factories

        make = Factories(db)
        school = make.school("Birch Academy")
        lead, bea = make.user(school, Role.LEAD), make.user(school, Role.TEACHER, email="bea@birch.example")
        group = groups.create_group(lead, groups.GroupDetails(name="Reading Study"))
        groups.add_member(lead, group, bea.email, GroupRole.MEMBER)
        row = db.session.scalar(db.select(OutboxMessage).where(OutboxMessage.kind == "group_added"))
        assert row.status is MailStatus.HELD and row.to_address == "bea@birch.example"
    assert smtp_server.received == []


def test_the_first_publication_of_a_study_is_sent_to_the_staff_of_its_school(app, factories, smtp_server):  # noqa: F811
    from lsweb.mail.notify import set_choices
    from lsweb.models import Publication
    from lsweb.sharing import publishing

    from ..sharing_setup import publish, written_summary

    team = written_summary(factories)
    colleague = factories.user(team.school, Role.TEACHER, email="cleo@alder.example")
    quiet = factories.user(team.school, Role.TEACHER, email="quiet@alder.example")
    set_choices(quiet, [])
    db.session.commit()
    factories.user(factories.school(), Role.TEACHER, email="someone@elsewhere.example")
    smtp_server.received.clear()
    publication = publish(team, scope="school")
    received = {m.envelope_to[0]: m for m in smtp_server.received}
    assert set(received) == {team.ana.email, team.ben.email, "cleo@alder.example"}  # not the lead, nor quiet
    mail = received["cleo@alder.example"]
    assert mail.message["Subject"] == "A study is published: Fractions study: cycle 1"
    assert f"https://lsweb.alder.example/library/studies/{publication.id}" in mail.text
    assert "our school to read" in mail.text
    assert "bar models" not in mail.text and "Pupil A" not in mail.text + mail.html  # the title, not the study
    publishing.withdraw(team.lead, team.cycle)
    publish(team, scope="school")  # published again: not news
    assert len(smtp_server.received) == 3
    assert db.session.get(Publication, publication.id).version == 2
    assert colleague.active
