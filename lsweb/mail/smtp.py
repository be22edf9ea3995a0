"""Talking to the school's SMTP server: LSWEB_MAIL_URL read, one message built and handed over."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from urllib.parse import unquote, urlsplit

DEFAULT_PORTS = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}
TIMEOUT_SECONDS = 30


@dataclass(frozen=True)
class MailServer:
    scheme: str
    host: str
    port: int
    username: str | None
    password: str | None
    ca_file: str | None = None  # the CA that signed the server's certificate (None: the system's CAs)

    @classmethod
    def from_url(cls, url: str, ca_file: str | None = None) -> "MailServer":
        parts = urlsplit(url)
        if parts.scheme not in DEFAULT_PORTS:
            raise ValueError(f"LSWEB_MAIL_URL must start with smtp://, smtp+starttls:// or smtps:// "
                             f"(not {parts.scheme}://)")
        if not parts.hostname:
            raise ValueError("LSWEB_MAIL_URL names no host")
        return cls(parts.scheme, parts.hostname, parts.port or DEFAULT_PORTS[parts.scheme],
                   unquote(parts.username) if parts.username else None,
                   unquote(parts.password) if parts.password else None, ca_file or None)

    def describe(self) -> str:
        """For admins: where mail goes, without the password."""
        who = f"{self.username}@" if self.username else ""
        return f"{self.scheme}://{who}{self.host}:{self.port}"


class TemporaryFailure(Exception):
    """The server could not take the message now (no answer, 4xx): try again later."""


class PermanentFailure(Exception):
    """The server refused the message for good (5xx): sending it again as it is will not help."""


def build(sender: str, row) -> EmailMessage:
    """The message of one outbox row: plain text and HTML parts, and its attachment if it has one."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = row.to_address
    message["Subject"] = row.subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = row.message_id
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(row.text_body)
    message.add_alternative(row.html_body, subtype="html")
    if row.attachment_body is not None:
        maintype, _, subtype = (row.attachment_type or "application/octet-stream").partition("/")
        message.add_attachment(row.attachment_body.encode("utf-8"), maintype=maintype, subtype=subtype,
                               filename=row.attachment_name or "attachment")
    return message


def _answer(error: smtplib.SMTPResponseException) -> str:
    text = error.smtp_error.decode("utf-8", "replace") if isinstance(error.smtp_error, bytes) else str(
        error.smtp_error)
    return f"{error.smtp_code} {text}"[:500]


def send(server: MailServer, message: EmailMessage) -> None:
    """Hand the message to the server; raises TemporaryFailure or PermanentFailure with its answer."""
    context = ssl.create_default_context(cafile=server.ca_file)
    try:
        if server.scheme == "smtps":
            client = smtplib.SMTP_SSL(server.host, server.port, timeout=TIMEOUT_SECONDS, context=context)
        else:
            client = smtplib.SMTP(server.host, server.port, timeout=TIMEOUT_SECONDS)
        with client:
            if server.scheme == "smtp+starttls":
                client.starttls(context=context)
            if server.username:
                client.login(server.username, server.password or "")
            refused = client.send_message(message)
            if refused:  # some recipients refused (we send to one, so this is that one)
                code, text = next(iter(refused.values()))
                raise PermanentFailure(f"{code} {text.decode('utf-8', 'replace')}"[:500])
    except smtplib.SMTPRecipientsRefused as error:
        code, text = next(iter(error.recipients.values()))
        answer = f"{code} {text.decode('utf-8', 'replace') if isinstance(text, bytes) else text}"[:500]
        raise (PermanentFailure if code >= 500 else TemporaryFailure)(answer) from error
    except smtplib.SMTPResponseException as error:
        raise (PermanentFailure if error.smtp_code >= 500 else TemporaryFailure)(_answer(error)) from error
    except (smtplib.SMTPException, OSError) as error:
        raise TemporaryFailure(f"{type(error).__name__}: {error}"[:500]) from error
