"""A real SMTP server (aiosmtpd) on loopback that keeps every message it receives.

Email notifications go through Django's SMTP backend in the tests, not the locmem backend, so
the real wire format (headers, encoding, multipart bodies, AUTH) is what gets checked. The
server parses each message into an ``email.message.EmailMessage`` and keeps the envelope.
AUTH LOGIN/PLAIN works over the plain connection (``auth_require_tls=False``); when a
username is set, MAIL FROM is refused until the client authenticated, like a real relay.

Usage::

    def test_email(smtp_server, settings):
        settings.EMAIL_HOST, settings.EMAIL_PORT = smtp_server.host, smtp_server.port
        send_notification(...)
        [mail] = smtp_server.wait_for(1)
        assert mail.message["Subject"] == "..." and mail.rcpt_tos == ["ops@example.com"]

    def test_auth(smtp_server_factory):
        server = smtp_server_factory(username="relay", password="pw")
"""

from __future__ import annotations

import email
import email.policy
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.support.net import LOOPBACK, free_port

__all__ = ["ReceivedMessage", "SMTPServer", "smtp_server", "smtp_server_factory"]


@dataclass(frozen=True)
class ReceivedMessage:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    raw: bytes
    auth_login: str | None  # who authenticated, if anyone


class _Handler:
    def __init__(self, server: SMTPServer):
        self.server = server

    async def handle_MAIL(self, smtp, session, envelope, address, mail_options):
        if self.server.username is not None and not session.authenticated:
            return "530 5.7.0 Authentication required"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_DATA(self, smtp, session, envelope):
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode()
        message = email.message_from_bytes(raw, policy=email.policy.default)
        login = session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else None
        self.server._store(ReceivedMessage(envelope.mail_from, list(envelope.rcpt_tos), message, raw, login))
        return "250 Message accepted for delivery"


class SMTPServer:
    """aiosmtpd Controller on 127.0.0.1:<free port>; ``messages`` is what it received."""

    def __init__(self, username: str | None = None, password: str | None = None):
        self.username, self.password = username, password
        self.host, self.port = LOOPBACK, free_port()
        self._cond = threading.Condition()
        self._messages: list[ReceivedMessage] = []
        kwargs = {}
        if username is not None:
            kwargs = {"authenticator": self._authenticate, "auth_require_tls": False}
        self._controller = Controller(_Handler(self), hostname=self.host, port=self.port, **kwargs)
        self._controller.start()

    def _authenticate(self, smtp, session, envelope, mechanism, auth_data) -> AuthResult:
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == self.username
            and auth_data.password.decode() == self.password
        )
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

    def _store(self, message: ReceivedMessage) -> None:
        with self._cond:
            self._messages.append(message)
            self._cond.notify_all()

    @property
    def messages(self) -> list[ReceivedMessage]:
        with self._cond:
            return list(self._messages)

    def wait_for(self, n: int = 1, timeout: float = 5.0) -> list[ReceivedMessage]:
        """Wait until at least n messages arrived; return them all, or fail the test."""
        with self._cond:
            if not self._cond.wait_for(lambda: len(self._messages) >= n, timeout):
                raise AssertionError(f"expected {n} message(s) within {timeout}s, got {len(self._messages)}")
            return list(self._messages)

    def clear(self) -> None:
        with self._cond:
            self._messages.clear()

    def stop(self) -> None:
        self._controller.stop()


@pytest.fixture
def smtp_server_factory() -> Iterator[Callable[..., SMTPServer]]:
    """``smtp_server_factory(username=None, password=None)``; all stopped at teardown."""
    servers: list[SMTPServer] = []

    def make(username: str | None = None, password: str | None = None) -> SMTPServer:
        server = SMTPServer(username, password)
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()


@pytest.fixture
def smtp_server(smtp_server_factory) -> SMTPServer:
    """An SMTP server without AUTH."""
    return smtp_server_factory()
