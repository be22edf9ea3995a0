"""A staff member's subject-access export ("Download my data", `lsweb export-user`) and account deletion
that keeps the group history readable (`lsweb delete-user`, and the admin's button)."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from lsweb.extensions import db
from lsweb.groups import cycles as cycle_services
from lsweb.groups import services as group_services
from lsweb.models import (
    AuditEntry,
    GroupMember,
    GroupRole,
    PlanField,
    PlanRevision,
    ResearchLesson,
    Role,
    User,
    UserSession,
)
from lsweb.operations import privacy
from lsweb.protocol import services as protocol_services

from ..conftest import TEST_PASSWORD


@pytest.fixture
def group_world(factories):
    """Hillside: Lena (lead, facilitator) and Tom (teacher, member); both signed; Tom wrote in a plan."""
    school = factories.school("Hillside Primary")
    lena = factories.user(school, Role.LEAD, name="Lena Lead", email="lena@hillside.example")
    tom = factories.user(school, Role.TEACHER, name="Tom Teacher", email="tom@hillside.example")
    admin = factories.user(school, Role.SCHOOL_ADMIN, name="Sam Admin", email="sam@hillside.example")
    group = group_services.create_group(lena, group_services.GroupDetails(name="Year 4 fractions"))
    group_services.add_member(lena, group, tom.email, GroupRole.MEMBER)
    version = protocol_services.current_version(group)
    protocol_services.sign(lena, group, version.id, True, "Lena Lead")
    protocol_services.sign(tom, group, version.id, True, "Tom Teacher")
    cycle = cycle_services.start_cycle(lena, group)
    lesson = ResearchLesson(cycle_id=cycle.id, number=1, created_by_id=lena.id)
    db.session.add(lesson)
    db.session.flush()
    field = PlanField(lesson_id=lesson.id, key="aspect", kind="plan", text="Unit fractions")
    db.session.add(field)
    db.session.flush()
    db.session.add(PlanRevision(lesson_id=lesson.id, field_id=field.id, version=1, kind="edit", user_id=tom.id,
                                before="", after="Unit fractions"))
    db.session.commit()
    return {"group": group.id, "tom": tom.id, "lena": lena.id, "admin": admin.id}


def _zip(data: bytes) -> dict:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: (json.loads(archive.read(name)) if name.endswith(".json") else archive.read(name).decode())
                for name in archive.namelist()}


def test_download_my_data_gives_a_zip_of_everything_about_me(client, login, group_world):
    login("tom@hillside.example")
    page = client.get("/account/data")
    assert page.status_code == 200
    assert "Download my data" in page.text
    response = client.post("/account/data")
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    assert "attachment; filename=lsweb-my-data-" in response.headers["Content-Disposition"]
    files = _zip(response.data)
    assert set(files) == {"README.txt", "account.json", "sessions.json", "audit_entries.json",
                          "group_memberships.json", "protocol_signatures.json", "plan_revisions.json",
                          # the lesson day's and the board's sections (empty for Tom here)
                          "observations.json", "interview_records.json", "photos.json", "cover_entries.json",
                          "time_entries.json", "board_posts.json",
                          "summary_revisions.json", "open_house_registrations.json"}
    assert files["account.json"]["email"] == "tom@hillside.example"
    assert files["account.json"]["display_name"] == "Tom Teacher"
    assert files["account.json"]["school"] == "Hillside Primary"
    assert len(files["sessions.json"]) == 1 and files["sessions.json"][0]["ended_at"] is None
    assert [(m["group"], m["role"]) for m in files["group_memberships.json"]] == [("Year 4 fractions", "member")]
    assert [(s["group"], s["version"], s["typed_name"]) for s in files["protocol_signatures.json"]] == [
        ("Year 4 fractions", 1, "Tom Teacher")]
    assert [(r["after"], r["kind"]) for r in files["plan_revisions.json"]] == [("Unit fractions", "edit")]
    actions = [(e["action"], e["by_you"]) for e in files["audit_entries.json"]]
    assert ("auth.signed_in", True) in actions and ("protocol.signed", True) in actions
    # Nothing of anyone else's: Lena's email appears nowhere (her revision, her sign-in are not Tom's).
    assert "lena@hillside.example" not in json.dumps(files)
    assert db.session.scalar(db.select(AuditEntry).where(AuditEntry.action == "privacy.exported")).actor_id == \
        group_world["tom"]


def test_lsweb_export_user_writes_the_same_zip(app, group_world, tmp_path):
    output = tmp_path / "tom.zip"
    db.session.remove()
    result = app.test_cli_runner().invoke(args=["export-user", "TOM@hillside.example", "--output", str(output)])
    assert result.exit_code == 0, result.output
    assert f"The data of Tom Teacher is in {output}" in result.output
    files = _zip(output.read_bytes())
    assert files["account.json"]["email"] == "tom@hillside.example"
    assert files["plan_revisions.json"][0]["after"] == "Unit fractions"
    unknown = app.test_cli_runner().invoke(args=["export-user", "nobody@x.example", "-o", str(tmp_path / "n.zip")])
    assert unknown.exit_code == 1 and "No account has the email nobody@x.example." in unknown.output


def test_a_registered_exporter_adds_its_file(app, group_world, monkeypatch):
    monkeypatch.setitem(privacy.EXPORTERS, "board_posts", lambda user: [{"text": f"a post by {user.id}"}])
    files = _zip(privacy.build_export(None, db.session.get(User, group_world["tom"])))
    assert files["board_posts.json"] == [{"text": f"a post by {group_world['tom']}"}]


def test_an_admin_deletes_an_account_and_the_group_shows_former_member(app, client, login, group_world):
    tom_client = app.test_client()
    login("tom@hillside.example", the_client=tom_client)
    login("sam@hillside.example")
    edit = client.get(f"/admin/staff/{group_world['tom']}/edit")
    assert "Delete this account…" in edit.text
    confirm = client.get(f"/admin/staff/{group_world['tom']}/delete")
    assert "This cannot be undone." in confirm.text
    unconfirmed = client.post(f"/admin/staff/{group_world['tom']}/delete", data={})
    assert unconfirmed.status_code == 422
    assert "Tick the box to confirm" in unconfirmed.text
    assert db.session.get(User, group_world["tom"]).display_name == "Tom Teacher"

    done = client.post(f"/admin/staff/{group_world['tom']}/delete", data={"confirm": "yes"})
    assert done.status_code == 303
    db.session.expire_all()
    tom = db.session.get(User, group_world["tom"])
    assert (tom.display_name, tom.email, tom.password_hash, tom.active) == (
        "Former member", f"former-member-{tom.id}@deleted.invalid", None, False)
    assert db.session.scalar(db.select(UserSession.id).where(UserSession.user_id == tom.id,
                                                             UserSession.ended_at.is_(None))) is None
    assert db.session.scalar(db.select(GroupMember.left_at).where(GroupMember.user_id == tom.id)) is not None
    entry = db.session.scalar(db.select(AuditEntry).where(AuditEntry.action == "privacy.account_deleted"))
    assert (entry.actor_id, entry.target) == (group_world["admin"], f"user #{tom.id}")

    # Tom's open browser is signed out, and he cannot sign in again.
    assert tom_client.get("/").status_code == 303
    refused = app.test_client().post("/login", data={"email": "tom@hillside.example", "password": TEST_PASSWORD})
    assert refused.status_code == 422
    # The group's history stays readable: Lena sees "Former member" where Tom was.
    lena_client = app.test_client()
    login("lena@hillside.example", the_client=lena_client)
    group_page = lena_client.get(f"/groups/{group_world['group']}")
    assert "Past members: Former member." in group_page.text
    record = lena_client.get(f"/groups/{group_world['group']}/protocol/versions/1")
    assert "Former member" in record.text
    assert "Tom Teacher" in record.text  # the name he typed when signing: the record of consent
    assert "tom@hillside.example" not in group_page.text + record.text


def test_lsweb_delete_user_asks_first(app, group_world):
    db.session.remove()
    runner = app.test_cli_runner()
    declined = runner.invoke(args=["delete-user", "tom@hillside.example"], input="n\n")
    assert declined.exit_code == 1 and "Nothing was deleted." in declined.output
    assert db.session.get(User, group_world["tom"]).display_name == "Tom Teacher"
    db.session.remove()
    result = runner.invoke(args=["delete-user", "tom@hillside.example"], input="y\n")
    assert result.exit_code == 0, result.output
    assert "The account of Tom Teacher is deleted" in result.output
    assert db.session.get(User, group_world["tom"]).display_name == "Former member"
    entry = db.session.scalar(db.select(AuditEntry).where(AuditEntry.action == "privacy.account_deleted"))
    assert entry.actor_id is None


def test_an_admin_cannot_delete_themselves(client, login, group_world):
    login("sam@hillside.example")
    response = client.post(f"/admin/staff/{group_world['admin']}/delete", data={"confirm": "yes"})
    assert response.status_code == 422
    assert "You cannot delete your own account." in response.text
