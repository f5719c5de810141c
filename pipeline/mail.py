"""Compose the email that carries the bundle: recipients by name or address, the subject and body from the
email templates, the bundle (and the Word files) attached under readable names.

The message is built with the `email` package's SMTP policy: a Chinese subject or name is encoded per
RFC 2047, a Chinese file name per RFC 2231, and lines end in CRLF. Its bytes are exactly what is sent or
written to the outbox.
"""

from __future__ import annotations

import datetime as dt
import email.policy
import hashlib
import re
import tempfile
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path
from typing import Any

import pydantic

from pipeline.context import Context, make_exhibits
from pipeline.errors import SendError, TemplateError
from pipeline.evidence import resolve_evidence
from pipeline.load import Case, display_path
from pipeline.model import CaseFile, Email, Language
from pipeline.render import Engine, Templates

EMAIL_TEMPLATE = "email"
"""`email.txt` (required) and `email.html` (optional), looked up like every template: the case's first."""

_ADDRESS: pydantic.TypeAdapter[str] = pydantic.TypeAdapter(Email)


@dataclass(frozen=True)
class Recipient:
    """An address the message goes to, with the name it was chosen by in case.yaml, if any."""

    address: str
    display_name: str = ""
    name: str = ""
    """`counsel`, `lawyer`...: the name given to --to or in send.to; empty for a plain address."""

    @property
    def header(self) -> Address:
        """The address as it appears in the To or Cc line."""
        return Address(self.display_name, addr_spec=self.address)

    def __str__(self) -> str:
        return f"{self.name} <{self.address}>" if self.name else self.address


def resolve_recipients(
    data: CaseFile, to: Sequence[str], cc: Sequence[str]
) -> tuple[list[Recipient], list[Recipient]]:
    """The To and Cc recipients: the command's --to / --cc when given, else send.to / send.cc of case.yaml.

    Each word is an address or a name (`counsel`, or one of send.recipients); `a@x.com,b@y.com` is split.
    An address given twice is kept once, in To when it is in both.
    """
    to_words = _split(to) or list(data.send.to)
    cc_words = _split(cc) if cc else list(data.send.cc)
    if not to_words:
        raise SendError(
            "no recipient: say who gets the bundle with --to (a name such as counsel, or an email address), "
            "or list them under send.to in case.yaml"
        )
    seen: set[str] = set()
    lists: list[list[Recipient]] = []
    for option, words in (("--to", to_words), ("--cc", cc_words)):
        recipients = []
        for word in words:
            recipient = _resolve(word, data, option)
            if recipient.address.lower() not in seen:
                seen.add(recipient.address.lower())
                recipients.append(recipient)
        lists.append(recipients)
    return lists[0], lists[1]


def _split(words: Sequence[str]) -> list[str]:
    """The recipients of --to and --cc, each given once or several at once, separated by commas or by
    semicolons (as Outlook writes them)."""
    return [part.strip() for word in words for part in re.split(r"[,;]", word) if part.strip()]


def _resolve(word: str, data: CaseFile, option: str) -> Recipient:
    if "@" in word:
        name, address = parseaddr(word)  # `Name <address>`, as copied from an email, or the address
        try:
            mailable = _mailable(_ADDRESS.validate_python(address or word), f"{option} {word}")
        except pydantic.ValidationError:
            raise SendError(
                f"{option} {word}: not an email address; write the address alone (jw@example.com), several "
                "separated by commas"
            ) from None
        return Recipient(mailable, name)
    for entry in data.send.recipients:
        if entry.name.lower() == word.lower():
            address = _mailable(entry.email, f"{option} {word}")
            return Recipient(address, entry.display_name, entry.name)
    counsel = data.case.counsel
    if word.lower() == "counsel":
        if counsel.email is None:
            raise SendError(
                f"{option} counsel: case.yaml has no email for the plaintiff's counsel; add it as "
                "case.counsel.email, or give the address itself"
            )
        shown = f"{counsel.attorney}, {counsel.firm}" if counsel.attorney else counsel.firm
        return Recipient(_mailable(counsel.email, f"{option} counsel"), shown, "counsel")
    names = ", ".join(["counsel", *(entry.name for entry in data.send.recipients)])
    raise SendError(
        f"{option} {word}: no recipient has this name (known names: {names}); write an email address, or add "
        "the recipient under send.recipients in case.yaml"
    )


def parse_sender(text: str, data: CaseFile, source: str) -> Address:
    """The From address: `text` (`Name <address>` or an address), else the merchant's address."""
    if not text:
        return Address(data.merchant.name_en, addr_spec=_mailable(data.merchant.email, "merchant.email"))
    name, address = parseaddr(text)
    try:
        address = _ADDRESS.validate_python(address)
    except pydantic.ValidationError:
        raise SendError(f"{source}: {text!r} is not an email address") from None
    return Address(name or data.merchant.name_en, addr_spec=_mailable(address, source))


def _mailable(address: str, source: str) -> str:
    """Refuse an address with non-ASCII characters: it needs SMTPUTF8, which many servers lack."""
    if not address.isascii():
        raise SendError(
            f"{source}: {address} has characters other than plain ASCII; such addresses cannot be sent to "
            "yet. Ask the recipient for a plain address (many Chinese mail services give one as well)"
        )
    return address


@dataclass(frozen=True)
class Attachment:
    """A file attached to the message."""

    filename: str
    data: bytes
    content_type: str

    @property
    def sha256(self) -> str:
        """Hex SHA-256 of the attached bytes."""
        return hashlib.sha256(self.data).hexdigest()

    @property
    def size(self) -> str:
        """`1.2 MB` or `340 KB`."""
        return human_size(len(self.data))


def human_size(count: int) -> str:
    """A byte count as people read it: `20.3 MB` (1 MB = 1,000,000 bytes), or `340 KB` below 0.1 MB."""
    if count >= 100_000:
        return f"{count / 1_000_000:.1f} MB"
    return f"{max(1, round(count / 1000))} KB"


def attachment_name(data: CaseFile, language: Language, document: str, suffix: str) -> str:
    """A readable file name: `1-24-cv-02015_Lumiere_Home_Official_Store_appeal_申诉材料.pdf` for the bundle,
    `1-24-cv-02015_appeal_letter.docx` for another document."""
    if document == "bundle":
        words = {Language.EN: "appeal", Language.ZH: "申诉材料", Language.BILINGUAL: "appeal_申诉材料"}
        stem = f"{data.case.number}_{data.merchant.store_name}_{words[language]}"
    else:
        stem = f"{data.case.number}_{document}"
    text = unicodedata.normalize("NFC", stem).replace(":", "-")
    text = re.sub(r'[\\/:*?"<>|\s\x00-\x1f\x7f]+', "_", text)
    text = re.sub(r"_+", "_", text).strip("._")
    return text[:120] + suffix


class _EncodedSubject(str):
    """A non-ASCII subject, encoded whole as RFC 2047 words.

    The email package folds a subject word by word and puts the space between two encoded words (a Chinese
    word, a space, another Chinese word) where mail clients drop it. The policy keeps a header object whose
    `name` matches as it is, and calls its `fold()` to write it.
    """

    name = "Subject"

    def fold(self, *, policy: email.policy.Policy) -> str:
        """`Subject: =?utf-8?b?...?=` folded to the policy's line length."""
        encoded = Header(str(self), "utf-8", header_name=self.name).encode(
            linesep=policy.linesep, maxlinelen=policy.max_line_length or 78
        )
        return f"{self.name}: {encoded}{policy.linesep}"


@dataclass(frozen=True)
class Letter:
    """The rendered email: its subject, plain text, and HTML when the case has an email.html."""

    subject: str
    text: str
    html: str | None = None


def render_email(case: Case, language: Language, today: dt.date, extra: dict[str, Any]) -> Letter:
    """Render email.txt (and email.html when there is one); the text's first line is `Subject: ...`."""
    templates = Templates(case.templates_folder)
    files = resolve_evidence(case)  # (as the build found them)
    context = Context(case.data, make_exhibits(case.data, case.folder, files), today, language, extra)
    text_template = templates.find(EMAIL_TEMPLATE, (Engine.TEXT,))
    has_html = any((folder / f"{EMAIL_TEMPLATE}.html").is_file() for folder in templates.folders)
    with tempfile.TemporaryDirectory(prefix="build-appeal-mail-") as scratch:
        rendered = templates.render(text_template, context, Path(scratch))
        text = rendered.path.read_text(encoding="utf-8")
        html = None
        if has_html:
            html_template = templates.find(EMAIL_TEMPLATE, (Engine.HTML,))
            html = templates.render(html_template, context, Path(scratch)).path.read_text(encoding="utf-8")
    first, _, body = text.lstrip().partition("\n")
    shown = display_path(text_template.path)
    if not first.lower().startswith("subject:"):
        raise TemplateError(f"{shown}: the first line of the email must be its subject, as `Subject: ...`")
    subject = " ".join(first[len("subject:") :].split())
    if not subject:
        raise TemplateError(f"{shown}: the subject line is empty")
    return Letter(subject, body.strip("\n") + "\n", html)


def compose(
    case: Case,
    letter: Letter,
    *,
    sender: Address,
    to: Sequence[Recipient],
    cc: Sequence[Recipient],
    attachments: Sequence[Attachment],
    now: dt.datetime,
) -> EmailMessage:
    """The message: headers, the text (and HTML) body, the attachments."""
    merchant = case.data.merchant
    message = EmailMessage(policy=email.policy.SMTP)
    message["From"] = sender
    message["To"] = tuple(recipient.header for recipient in to)
    if cc:
        message["Cc"] = tuple(recipient.header for recipient in cc)
    if merchant.email.lower() != sender.addr_spec.lower():
        message["Reply-To"] = Address(merchant.name_en, addr_spec=merchant.email)
    message["Subject"] = letter.subject if letter.subject.isascii() else _EncodedSubject(letter.subject)
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid(domain=sender.domain or "build-appeal.invalid")
    message.set_content(letter.text)
    if letter.html is not None:
        message.add_alternative(letter.html, subtype="html")
    for attachment in attachments:
        maintype, subtype = attachment.content_type.split("/", 1)
        message.add_attachment(attachment.data, maintype, subtype, filename=attachment.filename)
    return message
