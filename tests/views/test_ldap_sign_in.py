"""Signing in with the school's directory, against a real OpenLDAP server (slapd): the password is
checked by the directory and never stored; groups give the role and school; a wrong password, a person
in no mapped group, and a deactivated account are refused."""

from __future__ import annotations

import pytest

from lsweb.auth.ldap import parse_groups
from lsweb.extensions import db
from lsweb.models import AuditEntry, Role, User

from ..ldap_server import ADMIN_DN, ADMIN_PASSWORD, PASSWORDS, SUFFIX, slapd  # noqa: F401  (fixture)

GROUPS = (f"cn=teachers,ou=groups,{SUFFIX} -> teacher @ Alder Primary;"
          f"cn=leaders,ou=groups,{SUFFIX} -> lead @ Alder Primary")


@pytest.fixture
def app(make_app, slapd):  # noqa: F811
    application = make_app(LDAP_URL=slapd.url, LDAP_STARTTLS=False, LDAP_BIND_DN=ADMIN_DN,
                           LDAP_BIND_PASSWORD=ADMIN_PASSWORD, LDAP_SEARCH_BASE=f"ou=people,{SUFFIX}",
                           LDAP_GROUPS=GROUPS)
    with application.app_context():
        yield application


@pytest.fixture
def school(factories):
    return factories.school("Alder Primary")


def _sign_in(client, login, password):
    return client.post("/login", data={"email": login, "password": password})


def _user(email: str) -> User | None:
    return db.session.scalar(db.select(User).where(User.email == email))


def test_a_directory_person_signs_in_and_gets_the_role_and_school_of_their_group(app, client, school):
    response = _sign_in(client, "ana.silva@alder.example", PASSWORDS["ana"])
    assert response.status_code == 303
    assert client.get("/").status_code == 200
    ana = _user("ana.silva@alder.example")
    assert (ana.display_name, ana.role, ana.school_id) == ("Ana Silva", Role.TEACHER, school.id)
    assert ana.password_hash is None  # checked by the directory, never stored
    assert db.session.scalar(db.select(AuditEntry.id).where(AuditEntry.action == "staff.added_from_directory"))


def test_the_directory_login_name_works_too_and_a_leaders_group_gives_lead(app, client, school):
    assert _sign_in(client, "tom", PASSWORDS["tom"]).status_code == 303
    assert _user("tom.brown@alder.example").role is Role.LEAD


def test_a_wrong_password_is_refused_and_creates_nothing(app, client, school):
    response = _sign_in(client, "ana.silva@alder.example", "not the password")
    assert response.status_code == 422 and "The email or password is not right." in response.text
    assert _user("ana.silva@alder.example") is None
    assert _sign_in(client, "nobody@alder.example", "whatever it is").status_code == 422


def test_someone_in_no_mapped_group_needs_an_existing_account(app, client, school, factories):
    assert _sign_in(client, "leo", PASSWORDS["leo"]).status_code == 422
    assert _user("leo@alder.example") is None
    factories.user(school, Role.SUPPORT, email="leo@alder.example", name="Leo N")
    assert _sign_in(client, "leo", PASSWORDS["leo"]).status_code == 303
    assert _user("leo@alder.example").role is Role.SUPPORT


def test_a_deactivated_account_cannot_sign_in_through_the_directory(app, client, school, factories):
    factories.user(school, Role.TEACHER, email="ivy@alder.example", name="Ivy", active=False)
    assert _sign_in(client, "ivy", PASSWORDS["ivy"]).status_code == 422


def test_a_user_dn_pattern_binds_without_a_search(make_app, slapd):  # noqa: F811
    from ..factories import Factories

    direct = make_app(LDAP_URL=slapd.url, LDAP_STARTTLS=False, LDAP_USER_DN=f"uid={{login}},ou=people,{SUFFIX}",
                      LDAP_GROUPS=GROUPS)
    with direct.app_context():
        Factories(db).school("Alder Primary")
        client = direct.test_client()
        assert _sign_in(client, "ana", PASSWORDS["ana"]).status_code == 303
        assert _sign_in(direct.test_client(), "ana", "wrong password").status_code == 422
        assert _sign_in(direct.test_client(), "ana)(uid=*", PASSWORDS["ana"]).status_code == 422


def test_group_rules_are_read_and_bad_ones_named():
    [rule] = parse_groups("CN=Staff,DC=x -> Support staff @ Birch Academy")
    assert (rule.group_dn, rule.role, rule.school) == ("cn=staff,dc=x", Role.SUPPORT, "Birch Academy")
    with pytest.raises(ValueError, match="is not"):
        parse_groups("cn=staff,dc=x = teacher")


def test_a_school_signing_in_through_its_directory_only_refuses_lsweb_passwords(app, client, login, school,
                                                                                factories):
    from ..conftest import TEST_PASSWORD

    admin = factories.user(school, Role.SCHOOL_ADMIN, email="head@alder.example", name="Hana Head")
    local = factories.user(school, Role.TEACHER, email="local.teacher@alder.example", name="Lola Local")
    assert _sign_in(client, "ana.silva@alder.example", PASSWORDS["ana"]).status_code == 303  # in the directory
    client.post("/logout")
    login(admin)
    response = client.post(f"/admin/schools/{school.id}/edit", data={
        "name": "Alder Primary", "retention_days": "365", "photo_grace_days": "30", "timezone": "",
        "local_passwords": "off"})
    assert response.status_code == 303
    assert db.session.scalar(db.select(AuditEntry.id).where(AuditEntry.action == "school.local_passwords_changed"))
    client.post("/logout")
    refused = _sign_in(client, local.email, TEST_PASSWORD)
    assert refused.status_code == 422 and "The email or password is not right." in refused.text
    invite = factories.user(None, Role.NETWORK_ADMIN, email="network@alder.example", name="Nia Network")
    login(invite)
    page = client.post(f"/admin/staff/{local.id}/invite", follow_redirects=True)
    assert "signs in through its directory only" in page.text
    client.post("/logout")
    assert _sign_in(client, "ana.silva@alder.example", PASSWORDS["ana"]).status_code == 303  # the directory still


def test_lsweb_passwords_cannot_be_switched_off_without_a_directory(make_app, factories):
    from lsweb.admin import services
    from lsweb.errors import DomainError

    app = make_app()
    with app.app_context():
        school = factories.school("Birch Primary")
        admin = factories.user(school, Role.SCHOOL_ADMIN, name="Bea Admin")
        with pytest.raises(DomainError, match="directory first"):
            services.rename_school(admin, school, "Birch Primary", local_passwords=False)
        db.session.rollback()
        assert db.session.get(type(school), school.id).local_passwords is True
