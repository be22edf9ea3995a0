"""Certificates for the tests' own TLS servers (slapd, SMTP): a school's private CA and a server
certificate for 127.0.0.1 signed by it, and a second CA nobody configured (what a spoofed server would
present). Made with the openssl command (Debian's openssl package, which CI installs)."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass(frozen=True)
class Certificates:
    ca: Path  # the school's CA: lsweb is told to trust it
    cert: Path  # the server's certificate for 127.0.0.1, signed by that CA
    key: Path
    other_ca: Path  # a CA that signed nothing lsweb was told about

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, self.key)
        return context


def _openssl(*arguments: str) -> None:
    subprocess.run(["openssl", *arguments], check=True, capture_output=True)


def _ca(folder: Path, name: str) -> tuple[Path, Path]:
    cert, key = folder / f"{name}.pem", folder / f"{name}.key"
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", f"/CN={name}",
             "-keyout", str(key), "-out", str(cert),
             "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    return cert, key


def make_certificates(folder: Path) -> Certificates:
    folder.mkdir(parents=True, exist_ok=True)
    ca, ca_key = _ca(folder, "school-ca")
    other_ca, _ = _ca(folder, "someone-else-ca")
    key, request, cert = folder / "server.key", folder / "server.csr", folder / "server.pem"
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", str(key),
             "-out", str(request))
    extensions = folder / "server.ext"
    extensions.write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n"
                          "basicConstraints=CA:FALSE\n")
    _openssl("x509", "-req", "-in", str(request), "-CA", str(ca), "-CAkey", str(ca_key), "-CAcreateserial",
             "-days", "2", "-out", str(cert), "-extfile", str(extensions))
    key.chmod(0o644)  # slapd may drop privileges before it reads it
    return Certificates(ca, cert, key, other_ca)


@pytest.fixture
def certificates(tmp_path) -> Certificates:
    if not shutil.which("openssl"):
        pytest.fail("the openssl command is missing (Debian's openssl package)", pytrace=False)
    return make_certificates(tmp_path / "tls")
