"""Talk to the mail server: the SMTP settings, and one delivery with retries.

Settings come from `BUILD_APPEAL_SMTP_*` environment variables or from a file of the user's own
(`~/.config/build-appeal/smtp.toml`), never from case.yaml; the user name and password are never printed,
logged or written anywhere.

Faults are sorted where they happen. Temporary ones (a 4xx reply, a dropped connection, a timeout, a refused
connection) are retried with backoff; the server accepted nothing, so a retry cannot deliver twice. Permanent
ones (a 5xx reply, bad credentials, a certificate that does not verify) stop at once. A connection lost after
the whole message was handed over is neither: the server may have accepted it, so it is never retried but
reported as unconfirmed.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import logging
import re
import smtplib
import socket
import ssl
import time
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

import pydantic
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from pipeline.errors import SendError
from pipeline.limits import Terminated
from pipeline.load import display_path

log = logging.getLogger(__name__)

ENV_PREFIX = "BUILD_APPEAL_SMTP_"
CONFIG_VARIABLE = "BUILD_APPEAL_SMTP_CONFIG"
"""Names the settings file instead of `~/.config/build-appeal/smtp.toml`."""


class Security(StrEnum):
    """How the connection to the server is encrypted."""

    STARTTLS = "starttls"
    SSL = "ssl"
    NONE = "none"


DEFAULT_PORTS = {Security.STARTTLS: 587, Security.SSL: 465, Security.NONE: 25}


class _Config(BaseModel):
    """The keys of smtp.toml; each is also a `BUILD_APPEAL_SMTP_<KEY>` variable, which wins."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, populate_by_name=True)

    host: str = ""
    port: int | None = Field(None, ge=1, le=65535)
    user: str = ""
    password: SecretStr = SecretStr("")
    tls: Security = Security.STARTTLS
    sender: str = Field("", alias="from")
    cafile: Path | None = None
    timeout: float = Field(60.0, gt=0, le=3600)


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to connect; the user name and password never appear in its repr."""

    host: str = ""
    port: int = 587
    security: Security = Security.STARTTLS
    user: str = field(default="", repr=False)
    password: str = field(default="", repr=False)
    sender: str = ""
    """The From address (`Name <address>` or an address); empty means the merchant's address."""
    cafile: Path | None = None
    """Trust the certificate authorities in this file instead of the system's (a private server, tests)."""
    timeout: float = 60.0

    @property
    def configured(self) -> bool:
        """Whether a server is set; without one, sending is a dry run."""
        return bool(self.host)

    @property
    def server(self) -> str:
        """`host:port`, for messages."""
        return f"{self.host}:{self.port}"

    def with_password(self, password: str) -> SmtpSettings:
        """The same settings with the password typed at the prompt."""
        return dataclasses.replace(self, password=password)


def config_path(environ: Mapping[str, str]) -> Path:
    """The settings file: $BUILD_APPEAL_SMTP_CONFIG, else build-appeal/smtp.toml in $XDG_CONFIG_HOME or
    ~/.config."""
    if environ.get(CONFIG_VARIABLE):
        return Path(environ[CONFIG_VARIABLE]).expanduser()
    base = environ.get("XDG_CONFIG_HOME") or str(Path(environ.get("HOME") or Path.home()) / ".config")
    return Path(base) / "build-appeal" / "smtp.toml"


def load_settings(environ: Mapping[str, str], case_folder: Path) -> SmtpSettings:
    """The SMTP settings from the settings file and the environment (which wins); without a host, sending
    is a dry run."""
    path = config_path(environ)
    values: dict[str, object] = {}
    sources: dict[str, str] = {}
    if environ.get(CONFIG_VARIABLE) and not path.is_file():  # a typo must not turn the send into a dry run
        raise SendError(f"{CONFIG_VARIABLE} names {path}: no such file")
    if path.is_file():
        if path.resolve().is_relative_to(case_folder.resolve()):
            raise SendError(
                f"{display_path(path)}: the SMTP settings file is inside the case folder; keep it out of "
                "the case folder (case folders are shared), e.g. in ~/.config/build-appeal/smtp.toml"
            )
        values = _read_toml(path)
        sources = {key: f"{display_path(path)}: {key}" for key in values}
        if values.get("password") and path.stat().st_mode & 0o077:
            log.warning("%s holds a password and other users can read it; run: chmod 600 %s", path, path)
    for key in ("host", "port", "user", "password", "tls", "from", "cafile", "timeout"):
        value = environ.get(ENV_PREFIX + key.upper(), "").strip()
        if value:
            values[key] = value
            sources[key] = ENV_PREFIX + key.upper()
    try:
        config = _Config.model_validate(values)
    except pydantic.ValidationError as error:
        problems = []
        for detail in error.errors():
            key = str(detail["loc"][0]) if detail["loc"] else ""
            where = sources.get(key, key) if detail["type"] != "extra_forbidden" else f"{path}: {key}"
            message = "unknown setting" if detail["type"] == "extra_forbidden" else detail["msg"]
            problems.append(f"{where}: {message}")
        raise SendError("the SMTP settings are not valid:\n" + "\n".join(problems)) from None
    settings = SmtpSettings(
        host=config.host,
        port=config.port or DEFAULT_PORTS[config.tls],
        security=config.tls,
        user=config.user,
        password=config.password.get_secret_value(),
        sender=config.sender,
        cafile=config.cafile.expanduser() if config.cafile else None,
        timeout=config.timeout,
    )
    if (
        settings.host
        and settings.security == Security.NONE
        and settings.user
        and not _is_loopback(settings.host)
    ):
        raise SendError(
            f"{sources['tls']} is none: the password would cross the network unencrypted to "
            f"{settings.host}; use starttls (usually port 587) or ssl (usually port 465)"
        )
    if settings.cafile is not None and not settings.cafile.is_file():
        raise SendError(f"{sources['cafile']}: {settings.cafile}: no such file")
    return settings


def _read_toml(path: Path) -> dict[str, object]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise SendError(f"{display_path(path)}: cannot read the SMTP settings: {error}") from error
    except tomllib.TOMLDecodeError as error:
        # The message names the line and column; it does not quote the file, so no password leaks.
        raise SendError(f"{display_path(path)}: not valid TOML: {error}") from None


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# --- Delivery ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Retry:
    """How often and how long to wait before trying again after a temporary fault."""

    delays: tuple[float, ...] = (2.0, 10.0, 30.0)
    """Seconds to wait before the 2nd, 3rd, ... try; their number is the number of retries."""
    sleep: Callable[[float], None] = time.sleep


@dataclass(frozen=True)
class Reply:
    """A reply of the server: its code and text."""

    code: int
    text: str

    @classmethod
    def of(cls, reply: tuple[int, bytes | str]) -> Reply:
        """From smtplib's (code, message) pair."""
        code, text = reply
        if isinstance(text, bytes):
            text = text.decode("utf-8", errors="replace")
        return cls(code, " ".join(text.split()))

    @property
    def temporary(self) -> bool:
        """A 4xx reply: the server may accept later."""
        return 400 <= self.code < 500

    def __str__(self) -> str:
        return f"{self.code} {self.text}".strip()


@dataclass(frozen=True)
class Delivery:
    """One SMTP transaction that handed the message over for some recipients."""

    recipients: list[str]
    refused: dict[str, Reply]
    confirmed: bool = True
    """False when the connection was lost before the server confirmed; it may or may not have delivered."""


@dataclass
class Outcome:
    """The end of a delivery: who got the message, who did not and why."""

    accepted: list[str] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)
    unconfirmed: list[str] = field(default_factory=list)
    problem: str = ""
    """Why the last try stopped, when it stopped before every recipient was settled."""


class _Fault(Exception):
    """A failed try; `temporary` says whether trying again may help."""

    def __init__(self, reason: str, *, temporary: bool) -> None:
        super().__init__(reason)
        self.temporary = temporary


class _Unconfirmed(Exception):
    """The whole message was sent, then the connection was lost before the server answered."""


class _StoppedUnconfirmed(Exception):
    """Ctrl-C or SIGTERM (the cause) came after the whole message was sent, before the server answered."""


def deliver(
    settings: SmtpSettings,
    sender: str,
    recipients: Sequence[str],
    message: bytes,
    retry: Retry,
    on_delivery: Callable[[Delivery], None],
) -> Outcome:
    """Hand `message` to the server for `recipients`, retrying temporary faults.

    `on_delivery` is called as soon as the server took the message for some recipients, before anything
    else happens, so the caller can record it. Recipients refused with a 4xx reply are tried again, alone.
    """
    outcome = Outcome()
    pending = list(recipients)
    reasons: dict[str, str] = {}
    tries = len(retry.delays) + 1
    for attempt in range(1, tries + 1):
        try:
            refused = _transaction(settings, sender, pending, message)
        except _Unconfirmed as lost:
            on_delivery(Delivery(pending, {}, confirmed=False))
            outcome.unconfirmed, outcome.problem = pending, str(lost)
            return outcome
        except _StoppedUnconfirmed as stopped:  # recorded as a lost connection is, and the stop goes on
            on_delivery(Delivery(pending, {}, confirmed=False))
            assert stopped.__cause__ is not None
            raise stopped.__cause__ from None
        except _Fault as fault:
            outcome.problem = str(fault)
            reasons = dict.fromkeys(pending, outcome.problem)
            if not fault.temporary:
                break
        else:
            delivered = [address for address in pending if address not in refused]
            if delivered:
                on_delivery(Delivery(delivered, refused))
                outcome.accepted += delivered
            reasons = {address: f"the server answered {reply}" for address, reply in refused.items()}
            pending = [address for address, reply in refused.items() if reply.temporary]
            for address in set(refused) - set(pending):
                outcome.refused[address] = reasons[address]
            if not pending:
                return outcome
            outcome.problem = "; ".join(f"{address}: {reasons[address]}" for address in pending)
        if attempt == tries:
            if tries > 1:
                outcome.problem += f" (tried {tries} times)"
                reasons = {address: f"{reason} (tried {tries} times)" for address, reason in reasons.items()}
            break
        delay = retry.delays[attempt - 1]
        log.warning("%s; trying again in %g s (try %d of %d)", outcome.problem, delay, attempt + 1, tries)
        retry.sleep(delay)
    for address in pending:
        outcome.refused[address] = reasons.get(address, outcome.problem)
    return outcome


def _transaction(
    settings: SmtpSettings, sender: str, recipients: Sequence[str], message: bytes
) -> dict[str, Reply]:
    """One SMTP session; returns the recipients the server refused, or raises _Fault / _Unconfirmed."""
    smtp = _connect(settings)
    try:
        _start(smtp, settings)
        options = [f"SIZE={len(message)}"] if smtp.has_extn("size") else []
        _expect(smtp.mail(sender, options), "to take a message from this sender", 250)
        refused = {}
        for address in recipients:
            reply = Reply.of(smtp.rcpt(address))
            if reply.code not in (250, 251):
                refused[address] = reply
        if len(refused) == len(recipients):
            return refused
        _expect(smtp.docmd("DATA"), "to take the message", 354)
        smtp.send(_dot_stuffed(message))  # (stopped half way, the server has no end of the message: no mail)
        try:
            reply = Reply.of(smtp.getreply())
        except (smtplib.SMTPServerDisconnected, OSError) as error:
            raise _Unconfirmed(
                f"the connection to {settings.server} was lost after the whole message was handed over "
                f"({error or type(error).__name__})"
            ) from error
        except (KeyboardInterrupt, Terminated) as stop:  # the server has it all, and may deliver it
            smtp.close()  # (not QUIT: its answer would wait for the server's to the message)
            raise _StoppedUnconfirmed from stop
        if reply.code != 250:
            raise _Fault(f"the server did not accept the message: {reply}", temporary=reply.temporary)
        return refused
    except smtplib.SMTPAuthenticationError as error:
        reply = Reply.of((error.smtp_code, error.smtp_error))
        raise _Fault(
            f"the server refused the user name or password ({reply}); check {ENV_PREFIX}USER and "
            f"{ENV_PREFIX}PASSWORD. Many mail services (Gmail, Outlook, QQ Mail, 163) want an app password "
            "or authorisation code (授权码) here, not the password you log in with",
            temporary=reply.temporary,
        ) from error
    except smtplib.SMTPNotSupportedError as error:
        raise _Fault(f"{settings.server}: {error}", temporary=False) from error
    except smtplib.SMTPResponseException as error:
        reply = Reply.of((error.smtp_code, error.smtp_error))
        raise _Fault(f"the server answered {reply}", temporary=reply.temporary) from error
    except ssl.SSLError as error:
        raise _Fault(_tls_problem(settings, error), temporary=False) from error
    except (smtplib.SMTPException, OSError) as error:
        raise _Fault(
            f"the connection to {settings.server} failed ({error or type(error).__name__})", temporary=True
        ) from error
    finally:
        _close(smtp)


def _connect(settings: SmtpSettings) -> smtplib.SMTP:
    try:
        if settings.security == Security.SSL:
            return smtplib.SMTP_SSL(
                settings.host, settings.port, timeout=settings.timeout, context=_tls_context(settings)
            )
        return smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
    except socket.gaierror as error:
        raise _Fault(
            f"cannot find the mail server {settings.host!r} ({error.strerror}); check {ENV_PREFIX}HOST",
            temporary=error.errno == socket.EAI_AGAIN,
        ) from error
    except ssl.SSLError as error:
        raise _Fault(_tls_problem(settings, error), temporary=False) from error
    except smtplib.SMTPConnectError as error:
        reply = Reply.of((error.smtp_code, error.smtp_error))
        raise _Fault(
            f"{settings.server} refused the connection: {reply}", temporary=reply.temporary
        ) from error
    except (smtplib.SMTPException, OSError) as error:
        raise _Fault(
            f"cannot connect to {settings.server} ({error or type(error).__name__})", temporary=True
        ) from error


def _start(smtp: smtplib.SMTP, settings: SmtpSettings) -> None:
    """Say hello, switch to TLS when asked, and log in when a user is set."""
    smtp.ehlo_or_helo_if_needed()
    if settings.security == Security.STARTTLS:
        if not smtp.has_extn("starttls"):
            raise _Fault(
                f"{settings.server} does not offer STARTTLS; if it expects TLS from the start (usually port "
                f"465), set {ENV_PREFIX}TLS=ssl",
                temporary=False,
            )
        smtp.starttls(context=_tls_context(settings))
        smtp.ehlo()
    if settings.user:
        _log_in(smtp, settings)


def _log_in(smtp: smtplib.SMTP, settings: SmtpSettings) -> None:
    """Log in with one mechanism, the first of CRAM-MD5, PLAIN, LOGIN the server offers.

    `smtplib.SMTP.login` tries the next mechanism after a refusal, and a server may hang up on that second
    try, which would look like a temporary fault: a wrong password would be sent again and again.
    """
    offered = smtp.esmtp_features.get("auth", "").upper().split()
    smtp.user, smtp.password = settings.user, settings.password
    if "CRAM-MD5" in offered:
        smtp.auth("CRAM-MD5", smtp.auth_cram_md5)
    elif "PLAIN" in offered:
        smtp.auth("PLAIN", smtp.auth_plain)
    elif "LOGIN" in offered:
        smtp.auth("LOGIN", smtp.auth_login)
    else:
        raise _Fault(
            f"{settings.server} offers no login on this connection that this program knows "
            f"(AUTH {' '.join(offered) or 'is not offered'})",
            temporary=False,
        )


def _tls_context(settings: SmtpSettings) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(settings.cafile) if settings.cafile else None)


def _tls_problem(settings: SmtpSettings, error: ssl.SSLError) -> str:
    if isinstance(error, ssl.SSLCertVerificationError):
        return (
            f"the certificate of {settings.server} could not be verified ({error.verify_message}); if the "
            f"server uses a certificate authority of its own, point {ENV_PREFIX}CAFILE at its certificate"
        )
    return (
        f"the encrypted connection to {settings.server} failed ({error.reason or error}); port 465 usually "
        f"needs {ENV_PREFIX}TLS=ssl and port 587 {ENV_PREFIX}TLS=starttls"
    )


def _expect(reply: tuple[int, bytes], what: str, code: int) -> None:
    answer = Reply.of(reply)
    if answer.code != code:
        raise _Fault(f"the server refused {what}: {answer}", temporary=answer.temporary)


def _dot_stuffed(message: bytes) -> bytes:
    """The message as DATA sends it: CRLF line ends, a leading dot doubled, ending in CRLF . CRLF."""
    data = re.sub(rb"(?:\r\n|\n|\r(?!\n))", b"\r\n", message)
    data = re.sub(rb"(?m)^\.", b"..", data)
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    return data + b".\r\n"


def _close(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()
