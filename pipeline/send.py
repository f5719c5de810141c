"""Send a built bundle by email, once, with a record: `build-appeal send CASE_DIR`.

`send()` reads as its steps: check that the latest build is complete and up to date; work out who gets it;
refuse anyone who already has this very bundle; compose the message and check its size before connecting;
then write it to the outbox (a dry run) or hand it to the mail server, recording every delivery in
`sent.jsonl` the moment the server accepted it. Composing lives in `pipeline.mail`, the server in
`pipeline.smtp`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import logging
import os
import shlex
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from pipeline.build import (
    BUNDLE,
    DEFAULT_OUTPUT,
    EMAIL_TEMPLATES,
    BuildOptions,
    build,
    current_input_hashes,
)
from pipeline.errors import SendError
from pipeline.limits import raise_if_stopped
from pipeline.load import Case, display_path, load_case
from pipeline.mail import (
    Attachment,
    Recipient,
    attachment_name,
    compose,
    human_size,
    parse_sender,
    render_email,
    resolve_recipients,
)
from pipeline.model import Language
from pipeline.outputs import MANIFEST, locked
from pipeline.render import read_in_english
from pipeline.smtp import ENV_PREFIX, Delivery, Outcome, Retry, SmtpSettings, deliver, load_settings

log = logging.getLogger(__name__)

handed_over = ""
"""What this process's send has handed to the mail server so far, in words, for a stop to report ("" until
the server has taken, or may have taken, the message for someone)."""

SENT_LOG = "sent.jsonl"
OUTBOX = "outbox"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@dataclass(frozen=True)
class SendOptions:
    """What to send to whom; empty lists and None fall back to the `send:` section of case.yaml."""

    output_root: Path = DEFAULT_OUTPUT
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    dry_run: bool = False
    resend: bool = False
    """Send even to recipients that sent.jsonl says already have this bundle."""
    build: bool = False
    """Build the case first."""
    attach_docx: bool | None = None
    max_size_mb: float | None = None
    retry: Retry = field(default_factory=Retry)


@dataclass(frozen=True)
class SendResult:
    """What was sent (or, in a dry run, written to the outbox)."""

    subject: str
    message_id: str
    recipients: list[str]
    size: int
    outbox: Path | None = None
    dry_run_reason: str = ""
    log: Path | None = None
    copied: int = 0
    """How many of `recipients`, the last, are copied (Cc)."""

    def report(self) -> str:
        """What the command prints; its last line is the .eml's path in a dry run."""
        size = human_size(self.size)
        split = len(self.recipients) - self.copied
        to, cc = ", ".join(self.recipients[:split]), ", ".join(self.recipients[split:])
        whom = f"{to}, with a copy to {cc}" if cc else to
        if self.outbox is not None:
            return (
                f"dry run: nothing was sent, because {self.dry_run_reason}.\n"
                f"The message to {whom} ({size}) is in:\n{display_path(self.outbox)}"
            )
        shown = display_path(self.log) if self.log else SENT_LOG
        return f"sent to {whom} ({size}); recorded in {shown}"


def send(
    case_folder: Path,
    options: SendOptions | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    prompt: Callable[[str], str] | None = None,
) -> SendResult:
    """Email the bundle of `case_folder`'s latest build; `prompt` asks for a password when none is set."""
    global handed_over
    handed_over = ""
    options = options or SendOptions()
    environ = os.environ if environ is None else environ
    # 1. Build first when asked; load the case and the SMTP settings (these never come from the case).
    if options.build:
        build(case_folder, BuildOptions(output_root=options.output_root))
    case = load_case(case_folder)
    settings = load_settings(environ, case.folder)
    data = case.data
    output = options.output_root / case.name
    attach_docx = data.send.attach_docx if options.attach_docx is None else options.attach_docx
    with locked(output):
        # 2. The latest build: refuse a missing bundle, or one older than case.yaml, evidence or templates.
        files, content, language = _latest_build(case, output, attach_docx)
        bundle_sha256 = hashlib.sha256(files[BUNDLE]).hexdigest()

        # 3. Who gets it; refuse anyone who already has this very bundle, unless --resend.
        to, cc = resolve_recipients(data, options.to, options.cc)
        sent_log = output / SENT_LOG
        if not options.resend:  # (other cases' logs too: a copied case folder is the same appeal)
            others = sorted(path for path in output.parent.glob(f"*/{SENT_LOG}") if path != sent_log)
            _refuse_repeats([sent_log, *others], bundle_sha256, content, [*to, *cc])

        # 4. Compose the message, and check its size before connecting.
        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        sender = parse_sender(settings.sender, data, f"{ENV_PREFIX}FROM")
        attachments = _attachments(case, files, language)
        message = _compose(case, language, sender, to, cc, attachments, now)
        raw = message.as_bytes()
        _check_size(len(raw), options.max_size_mb or data.send.max_size_mb, attach_docx)
        subject, message_id = str(message["Subject"]), str(message["Message-ID"])
        result = SendResult(subject, message_id, [str(r) for r in [*to, *cc]], len(raw), copied=len(cc))

        # 5. A dry run writes the message to the outbox...
        if options.dry_run or not settings.configured:
            reason = (
                "--dry-run was given"
                if options.dry_run
                else f"no mail server is set up (set {ENV_PREFIX}HOST; see docs/sending.md)"
            )
            outbox = _write_outbox(output, raw, now)
            log.debug("dry run: wrote %s", outbox)
            return dataclasses.replace(result, outbox=outbox, dry_run_reason=reason)

        # 6. ...a real one hands it to the server, recording each delivery the moment it was accepted.
        settings = _with_password(settings, prompt)
        raise_if_stopped()  # (a Ctrl-C Python discarded on the way: the mail is not sent)
        record = {
            "message_id": message_id,
            "subject": subject,
            "from": sender.addr_spec,
            "server": settings.server,
            "bundle_sha256": bundle_sha256,
            "content": content,
            "attachments": [{"file": a.filename, "sha256": a.sha256} for a in attachments],
            "size": len(raw),
        }
        shown = {recipient.address: str(recipient) for recipient in [*to, *cc]}
        deliveries: list[Delivery] = []

        def recorded(delivery: Delivery) -> None:
            global handed_over
            _append_log(sent_log, delivery, record)
            deliveries.append(delivery)
            handed_over = _handed_over(deliveries, shown, sent_log)

        outcome = deliver(settings, sender.addr_spec, list(shown), raw, options.retry, recorded)
    _check_outcome(outcome, shown, sent_log)
    log.debug("sent %s to %s", message_id, ", ".join(outcome.accepted))
    return dataclasses.replace(result, log=sent_log)


def _build_command(case: Case, output: Path) -> str:
    """The command that builds the case into `output`, ready to paste: `-o` when not the default folder."""
    words = ["build-appeal", display_path(case.folder)]
    if output.parent.resolve() != Path(DEFAULT_OUTPUT).resolve():
        words += ["-o", display_path(output.parent)]
    return shlex.join(words)


def _latest_build(case: Case, output: Path, attach_docx: bool) -> tuple[dict[str, bytes], str, Language]:
    """The bundle (and the .docx files) of the latest build, each checked against its manifest, what its
    pages are made from (`build.content_key`; "" from a build before it was recorded), and their language
    (a build's --lang; case.yaml's from a build before it was recorded): the email is written in it."""
    command = f"{_build_command(case, output)} (or add --build to this command)"
    again = f"build it again: {command}"
    bundle, manifest_path = output / BUNDLE, output / MANIFEST
    if not bundle.is_file():
        raise SendError(f"{display_path(bundle)}: there is no bundle to send yet; build it first: {command}")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        recorded, outputs = dict(manifest["inputs"]), dict(manifest["outputs"])
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise SendError(
            f"{display_path(manifest_path)} is missing or damaged, so the bundle cannot be checked; {again}"
        ) from error
    current = current_input_hashes(case)
    changed = sorted(
        key
        for key in {*recorded, *current}
        if recorded.get(key) != current.get(key) and not EMAIL_TEMPLATES.match(key)
    )
    if changed:
        shown = ", ".join(changed[:5]) + (f" and {len(changed) - 5} more" if len(changed) > 5 else "")
        raise SendError(f"{display_path(bundle)} is out of date: {shown} changed since it was built; {again}")
    names = [BUNDLE, *(sorted(n for n in outputs if n.endswith(".docx")) if attach_docx else [])]
    files = {}
    for name in names:
        content = (output / name).read_bytes() if (output / name).is_file() else b""
        if hashlib.sha256(content).hexdigest() != outputs.get(name):
            raise SendError(
                f"{display_path(output / name)} is not the file the last build wrote (it was changed, "
                f"replaced or removed); {again}"
            )
        files[name] = content
    try:
        language = Language(manifest["language"])
    except (KeyError, ValueError):
        language = case.data.language
    return files, str(manifest.get("content", "")), language


def _compose(
    case: Case,
    language: Language,
    sender: Address,
    to: list[Recipient],
    cc: list[Recipient],
    attachments: list[Attachment],
    now: dt.datetime,
) -> EmailMessage:
    """Render the email templates and build the message around them. In a Chinese case, the message is
    bilingual when the plaintiff's counsel reads it, or the letter it carries is read in English (Amazon's:
    `render.read_in_english`)."""
    counsel = (case.data.case.counsel.email or "").lower()

    def is_counsel(recipient: Recipient) -> bool:
        return recipient.name == "counsel" or recipient.address.lower() == counsel

    variables = {
        "recipients": to,
        "cc": cc,
        "to_counsel": any(is_counsel(recipient) for recipient in to),
        "attachments": attachments,
    }
    readers_read_english = any(map(is_counsel, [*to, *cc])) or read_in_english("appeal_letter", case.data)
    if language == Language.ZH and readers_read_english:
        language = Language.BILINGUAL
    letter = render_email(case, language, now.date(), variables)
    return compose(case, letter, sender=sender, to=to, cc=cc, attachments=attachments, now=now)


def _attachments(case: Case, files: dict[str, bytes], language: Language) -> list[Attachment]:
    """The bundle as `<case>_<store>_appeal.pdf`, and each Word file as `<case>_<document>.docx`."""
    attachments = []
    for name, content in files.items():
        if name == BUNDLE:
            filename = attachment_name(case.data, language, "bundle", ".pdf")
            attachments.append(Attachment(filename, content, "application/pdf"))
        else:
            filename = attachment_name(case.data, language, Path(name).stem, Path(name).suffix)
            attachments.append(Attachment(filename, content, DOCX_TYPE))
    return attachments


def _refuse_repeats(
    sent_logs: Sequence[Path], bundle_sha256: str, content: str, recipients: Sequence[Recipient]
) -> None:
    """Refuse the send when a sent.jsonl shows this bundle already went to one of `recipients`: these very
    bytes, or a bundle built from the same inputs, which shows the same pages (`build.content_key`). The
    first log is the case's own; the others are those of the other cases in the output folder, where a
    copy of the case folder (`seller05 - 副本`) sent the same appeal under another name. The latest
    delivery to each address is named."""
    earlier: dict[str, tuple[str, bool, Path]] = {}
    for sent_log in sent_logs:
        for entry in read_log(sent_log):
            same_pages = bool(content) and entry.get("content") == content
            if entry.get("bundle_sha256") != bundle_sha256 and not same_pages:
                continue
            time = str(entry.get("time"))
            for address, confirmed in [
                *((address, True) for address in entry.get("accepted", [])),
                *((address, False) for address in entry.get("unconfirmed", [])),
            ]:
                key = str(address).lower()
                before = earlier.get(key)
                if before is None or (time, confirmed) > before[:2]:
                    earlier[key] = (time, confirmed, sent_log)
    repeats = []
    for recipient in recipients:
        if recipient.address.lower() in earlier:
            time, confirmed, sent_log = earlier[recipient.address.lower()]
            when = time.replace("T", " ").replace("Z", " UTC")
            verb = "already received" if confirmed else "may already have received (not confirmed)"
            own = sent_log == sent_logs[0]
            what = "this bundle" if own else f"the same bundle from {sent_log.parent.name}"
            repeats.append(f"{recipient} {verb} {what} on {when} (see {display_path(sent_log)})")
    if repeats:
        raise SendError(
            "; ".join(repeats) + ". Nothing was sent. To send it again anyway, add --resend; to send only to "
            "the others, leave them out of --to and --cc."
        )


def read_log(sent_log: Path) -> list[dict[str, Any]]:
    """The entries of sent.jsonl, oldest first; a damaged line is skipped with a warning."""
    if not sent_log.is_file():
        return []
    entries = []
    for number, line in enumerate(sent_log.read_text(encoding="utf-8").splitlines(), 1):
        try:
            entry = json.loads(line)
        except ValueError:
            entry = None
        if isinstance(entry, dict):
            entries.append(entry)
        elif line.strip():
            log.warning("%s:%d: not a log entry; skipped", display_path(sent_log), number)
    return entries


def _append_log(sent_log: Path, delivery: Delivery, record: dict[str, Any]) -> None:
    """Add one line for a delivery, and make sure it is on disk before anything else happens."""
    entry = {
        "time": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "status": "sent" if delivery.confirmed else "unconfirmed",
        "accepted": delivery.recipients if delivery.confirmed else [],
        **({} if delivery.confirmed else {"unconfirmed": delivery.recipients}),
        "refused": {address: str(reply) for address, reply in delivery.refused.items()},
        **record,
    }
    created = not sent_log.exists()
    with sent_log.open("a", encoding="utf-8") as stream:
        stream.write(json.dumps(entry, ensure_ascii=False) + "\n")
        stream.flush()
        os.fsync(stream.fileno())
    if created:  # the new file's name must reach the disk too
        folder = os.open(sent_log.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)


def _check_size(size: int, cap_mb: float, docx: bool) -> None:
    cap = int(cap_mb * 1_000_000)
    if size > cap:
        raise SendError(
            f"the message is {human_size(size)}, {human_size(size - cap)} over the limit of {cap_mb:g} MB "
            "(files grow by about a third when sent by email). Nothing was sent. Make the bundle smaller "
            "(build it again with --for email --compress, which brings its pictures down to 150 dpi; or "
            "fewer or smaller exhibits, scans at a lower resolution)"
            + (", leave out the Word files (--no-docx)" if docx else "")
            + ", or upload it to a file-sharing service and send the link instead. If the receiving mail "
            "server takes larger messages, raise the limit with --max-size or send.max_size_mb in case.yaml."
        )


def _write_outbox(output: Path, raw: bytes, now: dt.datetime) -> Path:
    """Write the message as outbox/<UTC time>.eml, atomically, never over an earlier one."""
    folder = output / OUTBOX
    folder.mkdir(parents=True, exist_ok=True)
    stem = now.strftime("%Y%m%dT%H%M%SZ")
    path, number = folder / f"{stem}.eml", 2
    while path.exists():
        path, number = folder / f"{stem}-{number}.eml", number + 1
    scratch = folder / f".{path.name}.part"
    scratch.write_bytes(raw)
    os.replace(scratch, path)
    return path


def _with_password(settings: SmtpSettings, prompt: Callable[[str], str] | None) -> SmtpSettings:
    if not settings.user or settings.password:
        return settings
    if prompt is None:
        raise SendError(
            f"no password for the mail account: set {ENV_PREFIX}PASSWORD, put `password` in the settings "
            "file (docs/sending.md), or run the command in a terminal to type it"
        )
    return settings.with_password(prompt(f"Password of the mail account on {settings.host}"))


def _handed_over(deliveries: list[Delivery], shown: Mapping[str, str], sent_log: Path) -> str:
    """What `deliveries` left, for a send stopped after them."""
    took = [
        shown[address] for delivery in deliveries if delivery.confirmed for address in delivery.recipients
    ]
    maybe = [
        shown[address] for delivery in deliveries if not delivery.confirmed for address in delivery.recipients
    ]
    said = [f"the mail was delivered to {', '.join(took)}"] if took else []
    if maybe:
        said.append(
            f"the server may or may not have delivered it to {', '.join(maybe)} (it had the whole message "
            "and had not answered): sending this bundle to them again is refused until you add --resend; "
            "first ask them whether it arrived"
        )
    return "; ".join(said) + f" (recorded in {display_path(sent_log)})"


def _check_outcome(outcome: Outcome, shown: Mapping[str, str], sent_log: Path) -> None:
    """Raise SendError unless every recipient got the message; say exactly who did and who did not
    (`shown`: each recipient's address, and how the messages name it)."""
    got = ", ".join(shown[address] for address in outcome.accepted)
    logged = display_path(sent_log)
    if outcome.unconfirmed:
        maybe = ", ".join(shown[address] for address in outcome.unconfirmed)
        raise SendError(
            f"{outcome.problem}, so the server may or may not have delivered it to {maybe}"
            + (f" (it did deliver it to {got})" if got else "")
            + f". This is recorded in {logged}, and sending this bundle to them again is refused until "
            "you add --resend: first ask them whether it arrived."
        )
    if not outcome.refused:
        return
    reasons = set(outcome.refused.values())
    if not outcome.accepted and len(reasons) == 1:
        raise SendError(f"nothing was sent: {reasons.pop()}")
    lines = [f"  NOT delivered to {shown[address]}: {why}" for address, why in outcome.refused.items()]
    if not outcome.accepted:
        raise SendError("nothing was sent:\n" + "\n".join(lines))
    missing = ",".join(outcome.refused)
    raise SendError(
        "\n".join(
            [
                "sent to only some of the recipients.",
                f"  delivered to {got}",
                *lines,
                f"This is recorded in {logged}. Check the addresses, then send to the others alone "
                f"(--to {missing}).",
            ]
        )
    )
