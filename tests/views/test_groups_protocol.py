"""The group and protocol pages as members, late members and outsiders see them."""

import pytest

from lsweb.extensions import db
from lsweb.groups import services as groups
from lsweb.models import AuditEntry, GroupRole, ProtocolSignature, Role
from lsweb.protocol import services as protocol


@pytest.fixture
def world(factories):
    school_a, school_b = factories.school("School A"), factories.school("School B")
    lead = factories.user(school_a, Role.LEAD, name="Lee Lead")
    ana = factories.user(school_a, Role.TEACHER, name="Ana Alves")
    head = factories.user(school_a, Role.SCHOOL_ADMIN, name="Hed Admin")
    group = groups.create_group(lead, groups.GroupDetails(
        name="Fractions", focus_pupils="Year 4 pupils", focus_learning="fractions", focus_approach="bar models"))
    groups.add_member(lead, group, ana.email, GroupRole.MEMBER)
    return {"group": group, "lead": lead, "ana": ana, "head": head, "school_b": school_b}


def test_lead_creates_a_group_and_becomes_facilitator(client, login, factories):
    school = factories.school()
    lead = factories.user(school, Role.LEAD)
    login(lead)
    response = client.post("/groups/new", data={"name": "Early writing", "focus_pupils": "Reception children",
                                                "focus_learning": "captions", "focus_approach": "shared writing"})
    assert response.status_code == 303
    page = client.get(response.headers["Location"])
    assert "We want to improve how Reception children learn captions through shared writing." in page.text
    assert "Facilitator" in page.text and "Not signed yet" in page.text
    assert "Early writing" in client.get("/").text  # members see their groups on the home page


def test_teacher_cannot_create_a_group(client, login, factories):
    login(factories.user(factories.school(), Role.TEACHER))
    assert client.get("/groups/new").status_code == 404
    assert client.post("/groups/new", data={"name": "X"}).status_code == 404


def test_empty_group_name_is_explained_and_input_kept(client, login, factories):
    login(factories.user(factories.school(), Role.LEAD))
    response = client.post("/groups/new", data={"name": "", "subject": "History"})
    assert response.status_code == 422
    assert "Give the group a name." in response.text and 'value="History"' in response.text


@pytest.mark.parametrize("path", ["/groups/{id}", "/groups/{id}/protocol", "/groups/{id}/protocol/versions/1",
                                  "/groups/{id}/edit", "/groups/{id}/protocol/signatures"])
def test_non_members_get_404_even_school_leaders(client, login, world, path):
    login(world["head"])
    assert client.get(path.format(id=world["group"].id)).status_code == 404


def test_signing_from_the_page_updates_who_has_signed(client, login, world):
    group = world["group"]
    login(world["ana"])
    version = protocol.current_version(group)
    page = client.get(f"/groups/{group.id}/protocol")
    assert "equal research partner" in page.text.lower()
    assert "still to sign" in page.text
    response = client.post(f"/groups/{group.id}/protocol/sign",
                           data={"version_id": version.id, "agree": "y", "typed_name": "Ana Alves"})
    assert response.status_code == 303
    page = client.get(f"/groups/{group.id}/protocol")
    assert "You have signed version 1" in page.text
    signature = db.session.scalar(db.select(ProtocolSignature))
    assert signature.user_id == world["ana"].id and signature.text_sha256 == version.text_sha256
    assert db.session.scalar(db.select(AuditEntry).where(AuditEntry.action == "protocol.signed")) is not None


def test_wrong_typed_name_is_refused_in_place(client, login, world):
    group = world["group"]
    login(world["ana"])
    version = protocol.current_version(group)
    response = client.post(f"/groups/{group.id}/protocol/sign", headers={"HX-Request": "true"},
                           data={"version_id": version.id, "agree": "y", "typed_name": "Somebody"})
    assert response.status_code == 422
    assert "does not match your account name" in response.text
    assert 'value="Somebody"' in response.text  # what was typed is kept
    assert "<html" not in response.text  # a fragment for htmx
    assert db.session.scalar(db.select(ProtocolSignature)) is None


def test_signing_a_stale_version_shows_the_new_text(client, login, world):
    group = world["group"]
    old = protocol.current_version(group)
    protocol.amend(world["lead"], group, "Brand new wording of our protocol.", based_on=1)
    login(world["ana"])
    response = client.post(f"/groups/{group.id}/protocol/sign",
                           data={"version_id": old.id, "agree": "y", "typed_name": "Ana Alves"})
    assert response.status_code == 422
    assert "amended a moment ago" in response.text
    assert "Brand new wording of our protocol." in response.text
    assert db.session.scalar(db.select(ProtocolSignature)) is None


def test_facilitator_amends_with_a_visible_diff(client, login, world):
    group = world["group"]
    login(world["lead"])
    current = protocol.current_version(group)
    response = client.post(f"/groups/{group.id}/protocol/amend",
                           data={"based_on": "1", "text": current.text + "\nWe meet on Tuesdays.", "note": "day"})
    assert response.status_code == 303
    page = client.get(f"/groups/{group.id}/protocol")
    assert "Version 2" in page.text and "<ins>" in page.text and "Tuesdays" in page.text
    record = client.get(f"/groups/{group.id}/protocol/versions/2")
    assert protocol.current_version(group).text_sha256 in record.text


def test_members_cannot_amend(client, login, world):
    login(world["ana"])
    response = client.post(f"/groups/{world['group'].id}/protocol/amend", data={"based_on": "1", "text": "Mine"})
    assert response.status_code == 404
    assert protocol.current_version(world["group"]).number == 1


def test_empty_and_huge_amendments_are_refused_with_the_text_kept(client, login, world):
    login(world["lead"])
    group = world["group"]
    response = client.post(f"/groups/{group.id}/protocol/amend", data={"based_on": "1", "text": "x" * 100_000})
    assert response.status_code == 422 and "50,000" in response.text
    response = client.post(f"/groups/{group.id}/protocol/amend", data={"based_on": "1", "text": ""})
    assert response.status_code == 422 and "cannot be empty" in response.text
    assert protocol.current_version(group).number == 1


def test_unsigned_member_is_sent_to_sign_before_seeing_the_work(client, login, world):
    from lsweb.groups import cycles

    group = world["group"]
    cycle = cycles.start_cycle(world["lead"], group)
    login(world["ana"])
    response = client.get(f"/groups/{group.id}/cycles/{cycle.number}")
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/groups/{group.id}/protocol")


def test_gate_message_names_who_is_missing(client, login, world):
    from lsweb.groups import cycles

    group = world["group"]
    cycle = cycles.start_cycle(world["lead"], group)
    version = protocol.current_version(group)
    protocol.sign(world["lead"], group, version.id, True, "Lee Lead")
    login(world["lead"])
    response = client.post(f"/groups/{group.id}/cycles/{cycle.number}/status/planning", follow_redirects=True)
    assert "Still to sign: Ana Alves" in response.text
    assert cycle.status.value == "protocol_pending"


def test_school_admin_edits_the_default_protocol(client, login, world):
    login(world["head"])
    school_id = world["head"].school_id
    assert "no hierarchy" in client.get(f"/schools/{school_id}/protocol").text
    response = client.post(f"/schools/{school_id}/protocol", data={"text": "Our school's own protocol."})
    assert response.status_code == 303
    assert protocol.school_default_text(world["head"].school) == "Our school's own protocol."
    assert client.get(f"/schools/{world['school_b'].id}/protocol").status_code == 404
