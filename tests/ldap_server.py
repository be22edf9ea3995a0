"""Debian's OpenLDAP server (slapd) for the tests: a small directory of one school in a temporary
folder, on a free port, stopped at the end; `tls_slapd` also speaks StartTLS and ldaps:// with a
certificate from tests/tls_certs.py. Skipped when slapd is missing, unless
LSWEB_REQUIRE_LDAP=1 (CI installs it), which fails instead."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from .processes import stop_group
from .servers import free_port

SLAPD = shutil.which("slapd") or "/usr/sbin/slapd"
SLAPADD = shutil.which("slapadd") or "/usr/sbin/slapadd"
SUFFIX = "dc=alder,dc=example"
ADMIN_DN = f"cn=admin,{SUFFIX}"
ADMIN_PASSWORD = "directory-admin-secret"
PASSWORDS = {"ana": "ana's directory password", "tom": "tom's directory password",
             "ivy": "ivy's directory password", "leo": "leo's directory password"}

CONFIG = """\
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
modulepath /usr/lib/ldap
moduleload back_mdb
pidfile {folder}/slapd.pid
{tls}database mdb
suffix "{suffix}"
rootdn "{admin}"
rootpw {password}
directory {folder}/data
access to attrs=userPassword by self auth by anonymous auth by * none
access to * by * read
"""


def _people() -> str:
    entries = [f"dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\ndc: alder\no: Alder Primary\n",
               f"dn: ou=people,{SUFFIX}\nobjectClass: organizationalUnit\nou: people\n",
               f"dn: ou=groups,{SUFFIX}\nobjectClass: organizationalUnit\nou: groups\n"]
    for uid, given, surname, mail in (("ana", "Ana", "Silva", "ana.silva@alder.example"),
                                      ("tom", "Tom", "Brown", "tom.brown@alder.example"),
                                      ("ivy", "Ivy", "Inactive", "ivy@alder.example"),
                                      ("leo", "Leo", "Nogroup", "leo@alder.example")):
        entries.append(f"dn: uid={uid},ou=people,{SUFFIX}\nobjectClass: inetOrgPerson\nuid: {uid}\n"
                       f"cn: {given} {surname}\nsn: {surname}\ngivenName: {given}\ndisplayName: {given} {surname}\n"
                       f"mail: {mail}\nuserPassword: {PASSWORDS[uid]}\n")
    entries.append(f"dn: cn=teachers,ou=groups,{SUFFIX}\nobjectClass: groupOfNames\ncn: teachers\n"
                   f"member: uid=ana,ou=people,{SUFFIX}\nmember: uid=ivy,ou=people,{SUFFIX}\n")
    entries.append(f"dn: cn=leaders,ou=groups,{SUFFIX}\nobjectClass: groupOfNames\ncn: leaders\n"
                   f"member: uid=tom,ou=people,{SUFFIX}\n")
    return "\n".join(entries)


class Slapd:
    def __init__(self, folder: Path, certificates=None):
        self.folder = folder
        (folder / "data").mkdir(parents=True)
        conf = folder / "slapd.conf"
        tls = (f"TLSCACertificateFile {certificates.ca}\nTLSCertificateFile {certificates.cert}\n"
               f"TLSCertificateKeyFile {certificates.key}\n") if certificates else ""
        conf.write_text(CONFIG.format(folder=folder, suffix=SUFFIX, admin=ADMIN_DN, password=ADMIN_PASSWORD,
                                      tls=tls))
        ldif = folder / "people.ldif"
        ldif.write_text(_people())
        subprocess.run([SLAPADD, "-f", str(conf), "-l", str(ldif)], check=True, capture_output=True)
        self.port = free_port()
        self.url = f"ldap://127.0.0.1:{self.port}"
        listen = self.url
        if certificates:
            self.ldaps_url = f"ldaps://127.0.0.1:{free_port()}"
            listen = f"{self.url} {self.ldaps_url}"
        self.log = open(folder / "slapd.log", "wb")
        self.process = subprocess.Popen([SLAPD, "-f", str(conf), "-h", listen, "-d", "0"],
                                        stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                if self.process.poll() is not None:
                    break
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"slapd did not start: {(folder / 'slapd.log').read_text()[-2000:]}")

    def stop(self):
        stop_group(self.process)
        self.log.close()


def _need_slapd():
    if not Path(SLAPD).exists():
        if os.environ.get("LSWEB_REQUIRE_LDAP") == "1":
            pytest.fail("slapd is missing (LSWEB_REQUIRE_LDAP=1)", pytrace=False)
        pytest.skip("slapd is not installed")


@pytest.fixture
def slapd(tmp_path):
    _need_slapd()
    server = Slapd(tmp_path / "ldap")
    yield server
    server.stop()


@pytest.fixture
def tls_slapd(tmp_path, certificates):
    """slapd with the school CA's certificate for 127.0.0.1: StartTLS on `url`, TLS on `ldaps_url`."""
    _need_slapd()
    server = Slapd(tmp_path / "ldap", certificates)
    yield server
    server.stop()
