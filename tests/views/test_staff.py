"""Staff management: school admins manage their own school only, network admins every school; nobody is
ever deleted; every action lands in the append-only audit log."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import exc, func, text

from lsweb.extensions import db
from lsweb.models import AuditEntry, Role, School, User


@pytest.fixture
def hillside(factories):
    return factories.school("Hillside Primary")


@pytest.fixture
def riverside(factories):
    return factories.school("Riverside Academy")


@pytest.fixture
def head(factories, hillside):
    return factories.user(hillside, Role.SCHOOL_ADMIN, email="head@hillside.example", name="Sam Head")


@pytest.fixture
def teacher(factories, hillside):
    return factories.user(hillside, Role.TEACHER, email="jo@hillside.example", name="Jo Teacher")


@pytest.fixture
def outsider(factories, riverside):
    return factories.user(riverside, Role.TEACHER, email="ravi@riverside.example", name="Ravi Outsider")


@pytest.fixture
def network_admin(factories):
    return factories.user(None, Role.NETWORK_ADMIN, email="admin@network.example", name="Alex Network")


def staff_form(name, email, role, school_id) -> dict:
    return {"display_name": name, "email": email, "role": role, "school_id": str(school_id)}


def field_error(page_text: str, field: str) -> str | None:
    match = re.search(rf'id="{field}-error"[^>]*>(.*?)</', page_text, re.S)
    return match.group(1).strip() if match else None


def staff_row(page_text: str, member: User) -> str:
    match = re.search(rf'<tr id="staff-{member.id}"[^>]*>.*?</tr>', page_text, re.S)
    assert match, f"{member.email} is not in the staff list"
    return match.group(0)


STATUSES = ("Active", "Deactivated", "No password yet", "Temporary password")


def row_status(page_text: str, member: User) -> str:
    """The status shown in the member's row of the staff list."""
    cells = [" ".join(re.sub(r"<[^>]+>", " ", cell).split())
             for cell in re.findall(r"<td[^>]*>(.*?)</td>", staff_row(page_text, member), re.S)]
    found = [cell for cell in cells if cell in STATUSES]
    assert len(found) == 1, cells
    return found[0]


def user_count() -> int:
    return db.session.scalar(db.select(func.count(User.id)))


def audit_rows(*actions: str) -> list[tuple]:
    stmt = db.select(AuditEntry).order_by(AuditEntry.id)
    if actions:
        stmt = stmt.where(AuditEntry.action.in_(actions))
    return [(e.action, e.actor_id, e.target, e.school_id) for e in db.session.scalars(stmt)]


# A school admin manages their own school -------------------------------------------------------------

def test_school_admin_adds_a_person_to_their_school(client, login, head, hillside):
    login(head)
    form_page = client.get(f"/admin/staff/new?school={hillside.id}")
    assert form_page.status_code == 200
    assert "Add a person to Hillside Primary" in form_page.text
    assert 'value="network_admin"' not in form_page.text  # the role is not even offered

    response = client.post(f"/admin/staff/new?school={hillside.id}",
                           data=staff_form("  Ana   Silva ", "Ana.Silva@Hillside.example", "lead", hillside.id))
    assert response.status_code == 303
    assert response.headers["Location"] == f"/admin/staff?school={hillside.id}"

    ana = db.session.scalar(db.select(User).where(User.email == "ana.silva@hillside.example"))
    assert (ana.display_name, ana.role, ana.school_id, ana.active) == ("Ana Silva", Role.LEAD, hillside.id, True)
    assert ana.password_hash is None
    page = client.get(response.headers["Location"])
    assert "Ana Silva is added." in page.text
    assert row_status(page.text, ana) == "No password yet"
    assert audit_rows("staff.added") == [("staff.added", head.id, ana.email, hillside.id)]


def test_school_admin_edits_a_person(client, login, head, teacher, hillside):
    login(head)
    page = client.get(f"/admin/staff/{teacher.id}/edit")
    assert page.status_code == 200
    assert 'value="Jo Teacher"' in page.text
    response = client.post(f"/admin/staff/{teacher.id}/edit",
                           data=staff_form("Jo Lead", "jo.lead@hillside.example", "lead", hillside.id))
    assert response.status_code == 303
    member = db.session.get(User, teacher.id)
    assert (member.display_name, member.email, member.role) == ("Jo Lead", "jo.lead@hillside.example", Role.LEAD)
    entry = db.session.scalar(db.select(AuditEntry).where(AuditEntry.action == "staff.edited"))
    assert (entry.actor_id, entry.target, entry.school_id) == (head.id, "jo.lead@hillside.example", hillside.id)
    assert "display_name: Jo Teacher → Jo Lead" in entry.details
    assert "email: jo@hillside.example → jo.lead@hillside.example" in entry.details
    assert "role: teacher → lead" in entry.details


def test_deactivated_staff_stay_in_the_list_and_can_be_reactivated(client, login, head, teacher, hillside):
    login(head)
    before = user_count()
    response = client.post(f"/admin/staff/{teacher.id}/deactivate")
    assert response.status_code == 303
    page = client.get(response.headers["Location"])
    assert "Jo Teacher is deactivated and can no longer sign in." in page.text
    assert 'class="inactive"' in staff_row(page.text, teacher)
    assert row_status(page.text, teacher) == "Deactivated"
    assert user_count() == before  # never deleted
    member = db.session.get(User, teacher.id)
    assert member.active is False and member.deactivated_at is not None

    response = client.post(f"/admin/staff/{teacher.id}/reactivate")
    assert response.status_code == 303
    page = client.get(response.headers["Location"])
    assert "Jo Teacher can sign in again." in page.text
    assert row_status(page.text, teacher) == "Active"
    assert db.session.get(User, teacher.id).deactivated_at is None
    assert audit_rows("staff.deactivated", "staff.reactivated") == [
        ("staff.deactivated", head.id, teacher.email, hillside.id),
        ("staff.reactivated", head.id, teacher.email, hillside.id),
    ]


def test_admin_cannot_deactivate_themselves(client, login, head):
    login(head)
    response = client.post(f"/admin/staff/{head.id}/deactivate")
    assert response.status_code == 303
    assert "You cannot deactivate yourself." in client.get(response.headers["Location"]).text
    assert db.session.get(User, head.id).active is True


def test_reset_password_gives_a_temporary_password(app, client, login, head, teacher, hillside):
    login(head)
    page = client.post(f"/admin/staff/{teacher.id}/reset-password")
    assert page.status_code == 200
    temporary = re.search(r'<code id="temporary-password">([^<]+)</code>', page.text).group(1)
    assert "Temporary password for Jo Teacher" in page.text
    assert db.session.get(User, teacher.id).must_change_password is True
    assert row_status(client.get(f"/admin/staff?school={hillside.id}").text, teacher) == "Temporary password"
    member = app.test_client()
    response = member.post("/login", data={"email": teacher.email, "password": temporary})
    assert response.status_code == 303
    assert member.get("/").headers["Location"] == "/account/password"
    assert audit_rows("staff.password_reset") == [("staff.password_reset", head.id, teacher.email, hillside.id)]


def test_a_teacher_cannot_reach_staff_management(client, login, teacher, hillside):
    login(teacher)
    for path in ("/admin/staff", f"/admin/staff?school={hillside.id}", f"/admin/staff/{teacher.id}/edit",
                 "/admin/staff/new", "/admin/audit", "/admin/schools", "/admin/staff/import"):
        assert client.get(path).status_code == 404, path
    assert client.post(f"/admin/staff/{teacher.id}/reset-password").status_code == 404


# ... and nothing else --------------------------------------------------------------------------------

def test_school_admin_cannot_see_another_schools_staff(client, login, head, outsider, riverside, hillside):
    login(head)
    assert "Ravi Outsider" not in client.get("/admin/staff").text
    assert "Ravi Outsider" not in client.get(f"/admin/staff?school={hillside.id}&q=ravi").text
    for path in (f"/admin/staff?school={riverside.id}", f"/admin/staff/{outsider.id}/edit",
                 f"/admin/staff/new?school={riverside.id}", f"/admin/schools/{riverside.id}/edit",
                 "/admin/schools", "/admin/staff/999999/edit"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "Ravi Outsider" not in response.text
    # The import form offers their own school only.
    page = client.get(f"/admin/staff/import?school={riverside.id}")
    assert "Hillside Primary" in page.text and "Riverside Academy" not in page.text


def test_school_admin_cannot_touch_another_schools_staff(client, login, head, outsider, riverside,
                                                          network_admin):
    login(head)
    entries_before = audit_rows()
    for member in (outsider, network_admin):
        for action in ("deactivate", "reactivate", "reset-password"):
            assert client.post(f"/admin/staff/{member.id}/{action}").status_code == 404, (member, action)
        response = client.post(f"/admin/staff/{member.id}/edit",
                               data=staff_form("Renamed", "renamed@x.example", "teacher", riverside.id))
        assert response.status_code == 404
    assert client.post(f"/admin/schools/{riverside.id}/edit", data={"name": "Taken Over"}).status_code == 404
    assert client.post("/admin/schools", data={"name": "New School"}).status_code == 404
    # Nor add staff to it by naming it in the form.
    response = client.post(f"/admin/staff/new?school={riverside.id}",
                           data=staff_form("Spy", "spy@x.example", "teacher", riverside.id))
    assert response.status_code == 404

    db.session.expire_all()
    for member in (outsider, network_admin):
        fresh = db.session.get(User, member.id)
        assert fresh.active and fresh.password_hash is not None and fresh.email != "renamed@x.example"
    assert db.session.get(School, riverside.id).name == "Riverside Academy"
    assert db.session.scalar(db.select(User).where(User.email == "spy@x.example")) is None
    assert audit_rows() == entries_before


def test_school_admin_cannot_move_staff_to_or_add_staff_in_another_school(client, login, head, teacher,
                                                                          hillside, riverside):
    login(head)
    response = client.post(f"/admin/staff/new?school={hillside.id}",
                           data=staff_form("Spy", "spy@x.example", "teacher", riverside.id))
    assert response.status_code == 422
    assert field_error(response.text, "school_id") == "Not a valid choice."
    response = client.post(f"/admin/staff/{teacher.id}/edit",
                           data=staff_form("Jo Teacher", teacher.email, "teacher", riverside.id))
    assert response.status_code == 422
    assert db.session.get(User, teacher.id).school_id == hillside.id
    assert db.session.scalar(db.select(User).where(User.email == "spy@x.example")) is None


def test_school_admin_cannot_give_the_network_admin_role(client, login, head, teacher, hillside):
    login(head)
    before = user_count()
    for school_id in (hillside.id, 0):
        response = client.post(f"/admin/staff/new?school={hillside.id}",
                                data=staff_form("Boss", "boss@x.example", "network_admin", school_id))
        assert response.status_code == 422
        assert field_error(response.text, "role") == "Not a valid choice."
    response = client.post(f"/admin/staff/{teacher.id}/edit",
                           data=staff_form("Jo Teacher", teacher.email, "network_admin", hillside.id))
    assert response.status_code == 422
    assert field_error(response.text, "role") == "Not a valid choice."
    assert user_count() == before
    assert db.session.get(User, teacher.id).role is Role.TEACHER
    assert audit_rows("staff.added", "staff.edited") == []


def test_admin_cannot_change_their_own_role(client, login, head, hillside):
    login(head)
    response = client.post(f"/admin/staff/{head.id}/edit",
                           data=staff_form("Sam Head", head.email, "teacher", hillside.id))
    assert response.status_code == 422
    assert field_error(response.text, "role") == "You cannot change your own role; ask another admin."
    assert db.session.get(User, head.id).role is Role.SCHOOL_ADMIN


# The network admin manages every school ---------------------------------------------------------------

def test_network_admin_manages_every_school(client, login, network_admin, teacher, outsider, hillside,
                                            riverside):
    login(network_admin)
    for school, member in ((hillside, teacher), (riverside, outsider)):
        page = client.get(f"/admin/staff?school={school.id}")
        assert page.status_code == 200
        assert member.display_name in page.text
    # Move a Riverside teacher to Hillside and make them a school admin.
    response = client.post(f"/admin/staff/{outsider.id}/edit",
                           data=staff_form("Ravi Outsider", outsider.email, "school_admin", hillside.id))
    assert response.status_code == 303
    moved = db.session.get(User, outsider.id)
    assert (moved.school_id, moved.role) == (hillside.id, Role.SCHOOL_ADMIN)
    # Add staff to Riverside, and a second network admin who belongs to no school.
    response = client.post(f"/admin/staff/new?school={riverside.id}",
                           data=staff_form("Rita New", "rita@riverside.example", "support", riverside.id))
    assert response.status_code == 303
    response = client.post(f"/admin/staff/new?school={riverside.id}",
                           data=staff_form("Nat Network", "nat@network.example", "network_admin", 0))
    assert response.status_code == 303
    nat = db.session.scalar(db.select(User).where(User.email == "nat@network.example"))
    assert (nat.role, nat.school_id) == (Role.NETWORK_ADMIN, None)
    # Any school's staff can be deactivated or given a temporary password.
    assert client.post(f"/admin/staff/{teacher.id}/deactivate").status_code == 303
    assert client.post(f"/admin/staff/{outsider.id}/reset-password").status_code == 200
    actions = [row[0] for row in audit_rows() if row[0] != "auth.signed_in"]
    assert actions == ["staff.edited", "staff.added", "staff.added", "staff.deactivated", "staff.password_reset"]


def test_other_staff_need_a_school(client, login, network_admin, hillside):
    login(network_admin)
    response = client.post(f"/admin/staff/new?school={hillside.id}",
                           data=staff_form("No School", "noschool@x.example", "teacher", 0))
    assert response.status_code == 422
    assert field_error(response.text, "school_id") == "Choose the school this person works at."
    assert db.session.scalar(db.select(User).where(User.email == "noschool@x.example")) is None


def test_network_admin_adds_schools(client, login, network_admin, hillside):
    login(network_admin)
    page = client.get("/admin/schools")
    assert page.status_code == 200
    assert "Hillside Primary" in page.text
    response = client.post("/admin/schools", data={"name": "Meadow Infants"})
    assert response.status_code == 303
    school = db.session.scalar(db.select(School).where(School.name == "Meadow Infants"))
    assert school is not None
    page = client.get("/admin/schools")
    assert "Meadow Infants is added." in page.text
    assert f'href="/admin/staff?school={school.id}"' in page.text

    duplicate = client.post("/admin/schools", data={"name": "hillside primary"})
    assert duplicate.status_code == 422
    assert field_error(duplicate.text, "name") == "There is already a school with that name."
    assert 'value="hillside primary"' in duplicate.text
    assert db.session.scalar(db.select(func.count(School.id))) == 2
    assert audit_rows("school.added") == [("school.added", network_admin.id, "Meadow Infants", school.id)]


def test_school_can_be_renamed_by_its_admin(client, login, head, hillside, riverside):
    login(head)
    response = client.post(f"/admin/schools/{hillside.id}/edit", data={"name": "Riverside Academy"})
    assert response.status_code == 422
    assert field_error(response.text, "name") == "There is already a school with that name."
    response = client.post(f"/admin/schools/{hillside.id}/edit", data={"name": "Hillside Primary School"})
    assert response.status_code == 303
    assert db.session.get(School, hillside.id).name == "Hillside Primary School"
    assert audit_rows("school.renamed") == [("school.renamed", head.id, "Hillside Primary School", hillside.id)]


# Never deleted; duplicate emails ------------------------------------------------------------------------

def test_there_is_no_way_to_delete_staff(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("admin."):
            assert "DELETE" not in rule.methods, rule
            assert "delete" not in rule.rule.lower(), rule


def test_duplicate_email_is_refused_beside_the_field_with_the_input_kept(client, login, head, teacher,
                                                                        outsider, hillside):
    login(head)
    before = user_count()
    # The address belongs to someone in another school: refused all the same, case does not matter.
    response = client.post(f"/admin/staff/new?school={hillside.id}",
                           data=staff_form("Ravi Twin", "RAVI@Riverside.example", "support", hillside.id))
    assert response.status_code == 422
    assert field_error(response.text, "email") == "Someone already has an account with this email."
    assert 'aria-invalid="true"' in response.text
    assert 'value="Ravi Twin"' in response.text
    assert 'value="RAVI@Riverside.example"' in response.text
    assert re.search(r'<option selected value="support">|<option value="support" selected>', response.text)
    assert user_count() == before

    response = client.post(f"/admin/staff/{teacher.id}/edit",
                           data=staff_form("Jo Teacher", head.email, "teacher", hillside.id))
    assert response.status_code == 422
    assert field_error(response.text, "email") == "Someone else already has an account with this email."
    assert f'value="{head.email}"' in response.text
    assert db.session.get(User, teacher.id).email == "jo@hillside.example"
    assert audit_rows("staff.added", "staff.edited") == []


def test_bad_fields_are_explained(client, login, head, hillside):
    login(head)
    response = client.post(f"/admin/staff/new?school={hillside.id}",
                           data=staff_form("", "not an email", "teacher", hillside.id))
    assert response.status_code == 422
    assert field_error(response.text, "display_name") == "Enter a name."
    response = client.post(f"/admin/staff/new?school={hillside.id}",
                           data=staff_form("Ana", "not an email", "teacher", hillside.id))
    assert response.status_code == 422
    assert field_error(response.text, "email") == "“not an email” is not a valid email address."
    response = client.post(f"/admin/staff/new?school={hillside.id}",
                           data=staff_form("x" * 121, "ana@x.example", "teacher", hillside.id))
    assert response.status_code == 422
    assert field_error(response.text, "display_name") == "At most 120 characters."


# The audit log ----------------------------------------------------------------------------------------

def test_every_action_is_audited_and_listed(app, client, login, head, teacher, hillside, outsider,
                                            network_admin, riverside):
    login(head)
    client.post(f"/admin/staff/new?school={hillside.id}",
                data=staff_form("Ana Silva", "ana@hillside.example", "teacher", hillside.id))
    client.post(f"/admin/staff/{teacher.id}/edit",
                data=staff_form("Jo Renamed", teacher.email, "teacher", hillside.id))
    client.post(f"/admin/staff/{teacher.id}/deactivate")
    client.post(f"/admin/staff/{teacher.id}/reactivate")
    client.post(f"/admin/staff/{teacher.id}/reset-password")
    client.post(f"/admin/schools/{hillside.id}/edit", data={"name": "Hillside Primary School"})
    elsewhere = app.test_client()
    login(network_admin, the_client=elsewhere)
    elsewhere.post("/admin/schools", data={"name": "Meadow Infants"})
    elsewhere.post(f"/admin/staff/{outsider.id}/deactivate")
    meadow = db.session.scalar(db.select(School).where(School.name == "Meadow Infants"))

    assert audit_rows() == [
        ("auth.signed_in", head.id, head.email, hillside.id),
        ("staff.added", head.id, "ana@hillside.example", hillside.id),
        ("staff.edited", head.id, teacher.email, hillside.id),
        ("staff.deactivated", head.id, teacher.email, hillside.id),
        ("staff.reactivated", head.id, teacher.email, hillside.id),
        ("staff.password_reset", head.id, teacher.email, hillside.id),
        ("school.renamed", head.id, "Hillside Primary School", hillside.id),
        ("auth.signed_in", network_admin.id, network_admin.email, None),
        ("school.added", network_admin.id, "Meadow Infants", meadow.id),
        ("staff.deactivated", network_admin.id, outsider.email, riverside.id),
    ]

    page = elsewhere.get("/admin/audit")
    assert page.status_code == 200
    listed = re.findall(r"<td><code>([^<]+)</code></td>", page.text)
    assert listed == [row[0] for row in reversed(audit_rows())]  # newest first
    assert "Sam Head" in page.text and "ravi@riverside.example" in page.text
    filtered = elsewhere.get("/admin/audit?action=school.")
    assert re.findall(r"<td><code>([^<]+)</code></td>", filtered.text) == ["school.added", "school.renamed"]

    # A school admin reads their own school's entries only.
    own = client.get("/admin/audit")
    assert own.status_code == 200
    actions = re.findall(r"<td><code>([^<]+)</code></td>", own.text)
    assert len(actions) == 7
    assert "ravi@riverside.example" not in own.text and "Meadow Infants" not in own.text


def test_the_audit_log_reads_its_authors_in_one_query(client, login, factories, network_admin, selects):
    from lsweb import audit

    login(network_admin)

    def page_queries() -> int:
        with selects() as sent:
            assert client.get("/admin/audit").status_code == 200
        return len(sent)

    school = factories.school()
    audit.record(factories.user(school, Role.SCHOOL_ADMIN), "staff.added", target="one@x.example")
    db.session.commit()
    one_author = page_queries()
    for _ in range(6):
        other = factories.school()
        audit.record(factories.user(other, Role.SCHOOL_ADMIN), "staff.added", target="more@x.example")
    db.session.commit()
    assert page_queries() == one_author  # not one more query per author


def test_audit_entries_cannot_be_changed_or_deleted(factories, hillside):
    from lsweb import audit

    admin = factories.user(hillside, Role.SCHOOL_ADMIN)
    audit.record(admin, "staff.added", target="someone@x.example")
    db.session.commit()
    entry_id = db.session.scalar(db.select(AuditEntry.id))

    for statement in ("UPDATE audit_entry SET action = 'forged'", "DELETE FROM audit_entry"):
        with pytest.raises(exc.DBAPIError, match="append-only"):
            db.session.execute(text(statement))
        db.session.rollback()

    entry = db.session.get(AuditEntry, entry_id)
    entry.details = "changed through the ORM"
    with pytest.raises(exc.DBAPIError, match="append-only"):
        db.session.commit()
    db.session.rollback()
    db.session.delete(db.session.get(AuditEntry, entry_id))
    with pytest.raises(exc.DBAPIError, match="append-only"):
        db.session.commit()
    db.session.rollback()

    db.session.expire_all()
    kept = db.session.scalars(db.select(AuditEntry)).all()
    assert [(e.id, e.action, e.details) for e in kept] == [(entry_id, "staff.added", "")]
