"""The school's protected-time allowance page: school admins set it, it is audited, it counts on /me/time."""

from __future__ import annotations

from lsweb.extensions import db
from lsweb.models import AuditEntry, Role, TimeAllowance


def test_a_school_admin_sets_the_allowance_and_members_see_it(client, login, factories):
    school = factories.school("Alder Primary")
    admin = factories.user(school, Role.SCHOOL_ADMIN)
    teacher = factories.user(school, Role.TEACHER)
    login(admin)
    page = client.get(f"/admin/schools/{school.id}/time")
    assert page.status_code == 200
    assert 'value="5.0"' in page.get_data(as_text=True)  # the default, 5 hours

    response = client.post(f"/admin/schools/{school.id}/time", data={"hours": "7.5"})
    assert response.status_code == 303
    assert db.session.get(TimeAllowance, school.id).minutes_per_year == 450
    entry = db.session.scalar(db.select(AuditEntry).where(AuditEntry.action == "school.time_allowance_changed"))
    assert (entry.actor_id, entry.school_id, entry.details) == (admin.id, school.id,
                                                                "5 → 7.5 hours per member and year")
    assert "7.5 hours per member and year" in client.get(response.headers["Location"]).get_data(as_text=True)

    client.post("/logout")
    login(teacher)
    assert "of your <strong>7.5 hours</strong>" in client.get("/me/time").get_data(as_text=True)


def test_bad_hours_are_refused_beside_the_field_with_the_input_kept(client, login, factories):
    school = factories.school()
    login(factories.user(school, Role.SCHOOL_ADMIN))
    for bad in ("", "abc", "-1", "201"):
        response = client.post(f"/admin/schools/{school.id}/time", data={"hours": bad})
        assert response.status_code == 422, bad
        assert "Enter a number of hours" in response.get_data(as_text=True)
    assert db.session.get(TimeAllowance, school.id) is None
    assert client.post(f"/admin/schools/{school.id}/time", data={"hours": "0"}).status_code == 303
    assert db.session.get(TimeAllowance, school.id).minutes_per_year == 0


def test_the_school_form_links_to_the_allowance(client, login, factories):
    school = factories.school()
    login(factories.user(school, Role.SCHOOL_ADMIN))
    assert f"/admin/schools/{school.id}/time" in client.get(f"/admin/schools/{school.id}/edit").get_data(as_text=True)
