"""The directory over TLS, as schools run it: StartTLS on ldap:// and TLS on ldaps://, with the school's
own CA (LSWEB_LDAP_CA_FILE), against a real slapd with a certificate for 127.0.0.1. A directory whose
certificate the school's CA did not sign is never sent a password: the sign-in is refused and logged."""

from __future__ import annotations

import logging

import pytest

from lsweb.extensions import db
from lsweb.models import User

from ..ldap_server import ADMIN_DN, ADMIN_PASSWORD, PASSWORDS, SUFFIX, tls_slapd  # noqa: F401  (fixture)
from ..tls_certs import certificates  # noqa: F401  (fixture)

GROUPS = f"cn=teachers,ou=groups,{SUFFIX} -> teacher @ Alder Primary"


@pytest.fixture
def directory_app(make_app, factories, tls_slapd, certificates):  # noqa: F811
    def make(url, ca_file, **settings):
        app = make_app(LDAP_URL=url, LDAP_CA_FILE=str(ca_file), LDAP_BIND_DN=ADMIN_DN,
                       LDAP_BIND_PASSWORD=ADMIN_PASSWORD, LDAP_SEARCH_BASE=f"ou=people,{SUFFIX}",
                       LDAP_GROUPS=GROUPS, **settings)
        with app.app_context():
            factories.school("Alder Primary")
        return app
    return make


def _sign_in_ana(app):
    client = app.test_client()
    response = client.post("/login", data={"email": "ana.silva@alder.example", "password": PASSWORDS["ana"]})
    with app.app_context():
        user = db.session.scalar(db.select(User).where(User.email == "ana.silva@alder.example"))
        return response, user


def test_starttls_with_the_school_ca_signs_in(directory_app, tls_slapd, certificates):  # noqa: F811
    response, user = _sign_in_ana(directory_app(tls_slapd.url, certificates.ca))  # LDAP_STARTTLS is on by default
    assert response.status_code == 303 and user is not None and user.display_name == "Ana Silva"
    assert user.password_hash is None  # the directory checked the password; lsweb keeps none


def test_ldaps_with_the_school_ca_signs_in(directory_app, tls_slapd, certificates):  # noqa: F811
    response, user = _sign_in_ana(directory_app(tls_slapd.ldaps_url, certificates.ca))
    assert response.status_code == 303 and user is not None


@pytest.mark.parametrize("scheme", ["starttls", "ldaps"])
def test_a_certificate_the_school_ca_did_not_sign_is_refused_and_logged(directory_app, tls_slapd, certificates,
                                                                        scheme, caplog):  # noqa: F811
    url = tls_slapd.url if scheme == "starttls" else tls_slapd.ldaps_url
    with caplog.at_level(logging.ERROR, logger="lsweb"):
        response, user = _sign_in_ana(directory_app(url, certificates.other_ca))
    assert response.status_code == 422 and "The email or password is not right." in response.text
    assert user is None
    assert any("could not reach the directory" in record.getMessage() for record in caplog.records), caplog.text
    assert "certificate" in caplog.text.lower() or "tls" in caplog.text.lower(), caplog.text
