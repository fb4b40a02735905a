"""Sending a message over SMTP: the only module of ppsj that opens a network connection.

``plan`` turns the ``[smtp]`` settings and the password into what to do
(pure, so the starttls/ssl/none logic is testable without a server);
``send`` does it. Every failure is one PpsjError line naming the server; the
password is never put in a message, a log or an exception.
"""

from __future__ import annotations

import ipaddress
import smtplib
import socket
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage

from ppsjournal.errors import PpsjError
from ppsjournal.settings import CONFIG_NAME, Smtp

PASSWORD_ENV = "PPSJ_SMTP_PASSWORD"
TIMEOUT = 30.0


@dataclass(frozen=True)
class Plan:
    """How to reach the server: implicit TLS (ssl), STARTTLS, or plain (none)."""

    host: str
    port: int
    security: str
    username: str | None
    password: str | None = field(default=None, repr=False)  # never shown

    @property
    def implicit_tls(self) -> bool:
        return self.security == "ssl"

    @property
    def starttls(self) -> bool:
        return self.security == "starttls"

    @property
    def server(self) -> str:
        return f"{self.host}:{self.port}"


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def plan(smtp: Smtp, password: str | None) -> Plan:
    """Check the settings before anything is sent; each gap is a clear error."""
    if not smtp.host:
        raise PpsjError(
            "no SMTP server: add an [smtp] section with host, port, security and "
            f"username to {CONFIG_NAME} (see docs/calendar.md)",
            f"{CONFIG_NAME}: smtp.host",
        )
    password = password or None
    if smtp.username and password is None:
        raise PpsjError(
            f"set ${PASSWORD_ENV} to the password of {smtp.username} "
            "(it is never read from a file)",
            f"{CONFIG_NAME}: smtp.username",
        )
    if smtp.security == "none" and smtp.username and not is_loopback(smtp.host):
        # A password in clear text across the network: refused, whatever the server allows.
        raise PpsjError(
            'security = "none" would send the password unencrypted; '
            'use "starttls" or "ssl" (plain text is only allowed to localhost)',
            f"{CONFIG_NAME}: smtp.security",
        )
    return Plan(
        smtp.host,
        smtp.port,
        smtp.security,
        smtp.username,
        password if smtp.username else None,
    )


def _reply(exc: smtplib.SMTPResponseException) -> str:
    text = exc.smtp_error
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{exc.smtp_code} {' '.join(str(text).split())}"[:200]


def send(
    msg: EmailMessage,
    p: Plan,
    sender: str,
    recipients: list[str],
    *,
    context: ssl.SSLContext | None = None,
    timeout: float = TIMEOUT,
) -> None:
    """Send ``msg`` as ``p`` says; ``context`` defaults to the system's trusted CAs."""
    where = f"SMTP {p.server}"
    context = context or ssl.create_default_context()
    try:
        if p.implicit_tls:
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                p.host, p.port, timeout=timeout, context=context
            )
        else:
            client = smtplib.SMTP(p.host, p.port, timeout=timeout)
        with client:
            client.ehlo()
            if p.starttls:
                client.starttls(context=context)
                client.ehlo()
            if p.username:
                try:
                    client.login(p.username, p.password or "")
                except smtplib.SMTPAuthenticationError as exc:
                    raise PpsjError(
                        f"the server refused the login of {p.username} ({_reply(exc)}); "
                        f"check smtp.username and ${PASSWORD_ENV}",
                        where,
                    ) from None
            client.send_message(msg, from_addr=sender, to_addrs=recipients)
    except PpsjError:
        raise
    except ConnectionRefusedError:
        raise PpsjError("connection refused (is the host and port right?)", where) from None
    except socket.gaierror:
        raise PpsjError(f"no such host {p.host!r}", where) from None
    except TimeoutError:
        raise PpsjError(f"no answer within {timeout:.0f} s", where) from None
    except ssl.SSLCertVerificationError as exc:
        raise PpsjError(
            f"the server's certificate is not trusted: {exc.verify_message}", where
        ) from None
    except ssl.SSLError as exc:
        raise PpsjError(f"TLS failed: {exc.reason or exc}", where) from None
    except smtplib.SMTPNotSupportedError as exc:
        raise PpsjError(f"the server does not support this: {exc}", where) from None
    except smtplib.SMTPRecipientsRefused as exc:
        addrs = ", ".join(sorted(exc.recipients))
        raise PpsjError(f"the server refused the recipient {addrs}", where) from None
    except smtplib.SMTPSenderRefused as exc:
        raise PpsjError(f"the server refused the sender {sender} ({_reply(exc)})", where) from None
    except smtplib.SMTPResponseException as exc:
        raise PpsjError(f"the server said {_reply(exc)}", where) from None
    except smtplib.SMTPException as exc:
        raise PpsjError(f"SMTP failed: {exc}", where) from None
    except OSError as exc:
        raise PpsjError(f"cannot connect: {exc.strerror or exc}", where) from None
