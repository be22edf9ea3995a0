"""A real SMTP server for the tests (aiosmtpd) on a free port: it keeps what it receives, and can be
told to refuse messages for a while, as a school's mail server does when it is unhappy. With
certificates (tests/tls_certs.py) it speaks STARTTLS (and insists on it, with a password) or TLS from
the first byte (smtps), as a school's relay on port 587 or 465 does."""

from __future__ import annotations

import email
import email.policy
import re
import time
from dataclasses import dataclass, field
from urllib.parse import quote

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from .servers import free_port

LINK = re.compile(r"https?://\S+/password/set/[\w.\-]+")


@dataclass
class Received:
    envelope_to: list[str]
    message: email.message.EmailMessage

    @property
    def text(self) -> str:
        return self.message.get_body(("plain",)).get_content()

    @property
    def html(self) -> str:
        return self.message.get_body(("html",)).get_content()

    @property
    def link(self) -> str:
        match = LINK.search(self.text)
        assert match, f"no link in:\n{self.text}"
        return match.group(0)


@dataclass
class Handler:
    received: list[Received] = field(default_factory=list)
    refuse_with: str | None = None  # e.g. "550 5.1.1 mailbox unavailable"

    async def handle_DATA(self, server, session, envelope):
        if self.refuse_with:
            return self.refuse_with
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.received.append(Received(list(envelope.rcpt_tos), message))
        return "250 OK"


USER, PASSWORD = "lsweb-relay", "relay password"


def _authenticate(server, session, envelope, mechanism, auth_data):
    good = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        USER.encode(), PASSWORD.encode())
    return AuthResult(success=good)


class SmtpServer:
    def __init__(self, tls: str | None = None, certificates=None):
        """tls: None (plain smtp://), "starttls" (smtp+starttls://, login required after STARTTLS) or
        "smtps" (smtps://, TLS from the start)."""
        self.handler = Handler()
        self.port = free_port()
        options: dict = {}
        if tls == "starttls":
            options = dict(tls_context=certificates.server_context(), require_starttls=True,
                           authenticator=_authenticate, auth_required=True)
            self.url = f"smtp+starttls://{USER}:{quote(PASSWORD)}@127.0.0.1:{self.port}"
        elif tls == "smtps":
            options = dict(server_hostname="127.0.0.1", ssl_context=certificates.server_context())
            self.url = f"smtps://127.0.0.1:{self.port}"
        else:
            self.url = f"smtp://127.0.0.1:{self.port}"
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, **options)
        self.controller.start()

    @property
    def received(self) -> list[Received]:
        return self.handler.received

    def wait_for(self, count: int, seconds: float = 15) -> list[Received]:
        deadline = time.monotonic() + seconds
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.received

    def stop(self):
        self.controller.stop()


@pytest.fixture
def smtp_server():
    server = SmtpServer()
    yield server
    server.stop()
