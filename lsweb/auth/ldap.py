"""Signing in against the school's directory (OpenLDAP or Active Directory) with ldap3.

The password is checked by binding to the directory as the person; it is never stored. The person
is found by a search (with a service account, LSWEB_LDAP_BIND_DN, or anonymously) or by a DN pattern
(LSWEB_LDAP_USER_DN); their directory groups give their lsweb role and school (LSWEB_LDAP_GROUPS).
The account is the lsweb account with the directory's e-mail address; an unknown person gets one only
when one of their groups is mapped (the admin's decision, in LSWEB_LDAP_GROUPS). A deactivated
account cannot sign in this way either.
"""

from __future__ import annotations

import logging
import ssl
from dataclasses import dataclass

from flask import current_app
from ldap3 import BASE, NONE, SUBTREE, Connection, Server, Tls
from ldap3.core.exceptions import LDAPException
from ldap3.utils.conv import escape_filter_chars
from ldap3.utils.dn import escape_rdn

from .. import audit
from ..extensions import db
from ..models import Role, School, User

log = logging.getLogger("lsweb.auth.ldap")
TIMEOUT_SECONDS = 5


@dataclass(frozen=True)
class GroupRule:
    group_dn: str
    role: Role
    school: str | None  # a school's name; None: network admins


def parse_groups(text: str | None) -> list[GroupRule]:
    """LSWEB_LDAP_GROUPS: rules separated by ";" or new lines, each "GROUP DN -> role @ School name"
    (the first rule that matches wins; "network_admin" takes no school)."""
    rules = []
    for part in (text or "").replace("\n", ";").split(";"):
        if not part.strip():
            continue
        group_dn, arrow, target = part.partition("->")
        role_text, _, school = target.partition("@")
        role = Role.parse(role_text) if arrow else None
        if role is None:
            raise ValueError(f"LSWEB_LDAP_GROUPS: “{part.strip()}” is not “group DN -> role @ school”")
        rules.append(GroupRule(group_dn.strip().lower(), role, school.strip() or None))
    return rules


def enabled() -> bool:
    return bool(current_app.config["LSWEB"].get("LDAP_URL"))


@dataclass
class DirectoryPerson:
    dn: str
    name: str
    email: str
    groups: set[str]


def _server(settings) -> Server:
    tls = Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=settings.get("LDAP_CA_FILE") or None)
    return Server(settings["LDAP_URL"], get_info=NONE, connect_timeout=TIMEOUT_SECONDS, tls=tls)


def _connect(settings, dn: str | None, password: str | None) -> Connection:
    connection = Connection(_server(settings), user=dn, password=password, receive_timeout=TIMEOUT_SECONDS,
                            raise_exceptions=False, read_only=True)
    connection.open()
    if settings["LDAP_URL"].startswith("ldap://") and settings.get("LDAP_STARTTLS", True):
        if not connection.start_tls():
            raise LDAPException(f"StartTLS failed: {connection.result.get('description')}")
    return connection


def _first(entry: dict, name: str) -> str:
    value = entry.get(name)
    if isinstance(value, list):
        value = value[0] if value else ""
    return str(value or "").strip()


def _find(settings, login: str, password: str) -> DirectoryPerson | None:
    """The person's entry, when the directory accepts their password."""
    name_attr, mail_attr = settings["LDAP_NAME_ATTRIBUTE"], settings["LDAP_EMAIL_ATTRIBUTE"]
    wanted = [name_attr, mail_attr, "memberOf"]
    if settings.get("LDAP_USER_DN"):
        dn = settings["LDAP_USER_DN"].format(login=escape_rdn(login))
        entry = None
    else:
        finder = _connect(settings, settings.get("LDAP_BIND_DN"), settings.get("LDAP_BIND_PASSWORD"))
        try:
            if not finder.bind():
                log.error("LDAP: the search account could not bind: %s", finder.result.get("description"))
                return None
            query = settings["LDAP_SEARCH_FILTER"].format(login=escape_filter_chars(login))
            finder.search(settings["LDAP_SEARCH_BASE"], query, SUBTREE, attributes=wanted, size_limit=2)
            if len(finder.response or []) != 1 or finder.response[0].get("type") != "searchResEntry":
                return None
            dn, entry = finder.response[0]["dn"], finder.response[0]["attributes"]
        finally:
            finder.unbind()
    person = _connect(settings, dn, password)
    try:
        if not person.bind():
            return None
        if entry is None:
            person.search(dn, "(objectClass=*)", BASE, attributes=wanted)
            if not person.response:
                return None
            entry = person.response[0]["attributes"]
        groups = {str(group).lower() for group in entry.get("memberOf") or []}
        for rule in parse_groups(settings.get("LDAP_GROUPS")):
            if rule.group_dn not in groups:
                member_filter = f"(|(member={escape_filter_chars(dn)})(uniqueMember={escape_filter_chars(dn)}))"
                if person.search(rule.group_dn, member_filter, BASE, attributes=["cn"]) and person.response:
                    groups.add(rule.group_dn)
    finally:
        person.unbind()
    email = _first(entry, mail_attr).lower()
    if not email:
        return None
    return DirectoryPerson(dn=dn, name=_first(entry, name_attr) or email, email=email, groups=groups)


def _placement(settings, person: DirectoryPerson) -> tuple[Role, School | None] | None:
    for rule in parse_groups(settings.get("LDAP_GROUPS")):
        if rule.group_dn in person.groups:
            if rule.school is None:
                return (rule.role, None) if rule.role is Role.NETWORK_ADMIN else None
            school = db.session.scalar(db.select(School).where(db.func.lower(School.name) == rule.school.lower()))
            return (rule.role, school) if school is not None else None
    return None


def authenticate(login: str, password: str) -> User | None:
    """The active lsweb account of the directory person with this login and password, or None.
    The caller commits (an account created or updated here is part of the sign-in's transaction)."""
    settings = current_app.config["LSWEB"]
    login = (login or "").strip()
    if not login or not password:  # an empty password would be an anonymous bind: never a sign-in
        return None
    try:
        person = _find(settings, login, password)
    except LDAPException as error:
        log.error("LDAP sign-in could not reach the directory: %s", error)
        return None
    if person is None:
        return None
    user = db.session.scalar(db.select(User).where(User.email == person.email))
    placement = _placement(settings, person)
    if user is None:
        if placement is None:
            return None  # unknown to lsweb and in no mapped group: not let in
        role, school = placement
        user = User(email=person.email, display_name=person.name[:120], role=role,
                    school_id=school.id if school else None, active=True, password_hash=None)
        db.session.add(user)
        db.session.flush()
        audit.record(None, "staff.added_from_directory", target=user.email, details=role.value,
                     school_id=user.school_id)
        return user
    if not user.active:
        return None
    if placement is not None and (user.role, user.school_id) != (placement[0], placement[1].id if placement[1] else None):
        role, school = placement
        audit.record(None, "staff.placed_by_directory", target=user.email, school_id=school.id if school else None,
                     details=f"{user.role.value} → {role.value}")
        user.role, user.school_id = role, school.id if school else None
    return user
