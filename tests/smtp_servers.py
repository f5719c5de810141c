"""Real SMTP servers for the send tests, on 127.0.0.1 and a free port: aiosmtpd with scripted replies, and
a bare socket server that greets and hangs up."""

from __future__ import annotations

import asyncio
import email
import email.policy
import logging
import os
import signal
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

logging.getLogger("mail.log").disabled = True  # the server's own log would land in the CLI's stderr


def free_port() -> int:
    """A port nothing listens on at the moment."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Received:
    """A message the server accepted."""

    sender: str
    recipients: list[str]
    content: bytes
    secure: bool
    """Whether it came over TLS."""
    authenticated: bool

    @property
    def message(self) -> EmailMessage:
        """The content parsed as a mail client would."""
        parsed = email.message_from_bytes(self.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class Handler:
    """An aiosmtpd handler that keeps what it accepts and answers as scripted.

    `rcpt_replies` maps an address to the replies its RCPT gets, one per try (then `250 OK`); `data_replies`
    are the replies to successive DATA commands (then `250 OK`); `hang_after_data` makes the server keep
    the message and then say nothing, as a connection lost at the worst moment does; `stop_sender` gives
    the sender (this process) Ctrl-C once the server has the message, before it answers.
    """

    rcpt_replies: dict[str, list[str]] = field(default_factory=dict)
    data_replies: list[str] = field(default_factory=list)
    hang_after_data: bool = False
    stop_sender: bool = False
    received: list[Received] = field(default_factory=list)
    data_commands: int = 0

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        replies = self.rcpt_replies.get(address, [])
        if replies:
            return replies.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.data_commands += 1
        if self.data_replies:
            return self.data_replies.pop(0)
        self.received.append(
            Received(
                envelope.mail_from,
                list(envelope.rcpt_tos),
                bytes(envelope.original_content),
                session.ssl is not None,
                bool(session.authenticated),
            )
        )
        if self.hang_after_data:
            await asyncio.sleep(30)
        if self.stop_sender:
            os.kill(os.getpid(), signal.SIGINT)
            await asyncio.sleep(1)  # (the sender gives up before the answer)
        return "250 2.0.0 OK: queued"


@dataclass
class Login:
    """The one user name and password the server accepts; counts the tries."""

    user: str
    password: str
    tries: int = 0

    def __call__(self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        self.tries += 1
        ok = (
            isinstance(data, LoginPassword)
            and data.login.decode() == self.user
            and data.password.decode() == self.password
        )
        return AuthResult(success=ok, handled=False)  # handled=False: the server answers 535


@contextmanager
def smtp_server(handler: Handler, **options: Any) -> Iterator[int]:
    """Run an aiosmtpd server with `handler` (and SMTP options such as tls_context) and yield its port."""
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, server_hostname="smtp.test", **options)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


def tls_server_context(cert: Any) -> ssl.SSLContext:
    """A server-side TLS context with a trustme certificate."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    return context


class HangUpServer:
    """Greets like an SMTP server, then closes the connection; counts the connections."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.sock.settimeout(0.05)
        self.port = int(self.sock.getsockname()[1])
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self.sock.accept()
            except TimeoutError:
                continue
            with connection:
                self.connections += 1
                connection.sendall(b"220 smtp.test ESMTP\r\n")

    def __enter__(self) -> HangUpServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.sock.close()
