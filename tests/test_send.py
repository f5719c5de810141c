"""`build-appeal send`: the bundle goes out once, to the right people, with a record, through a real SMTP
server (aiosmtpd) on 127.0.0.1; the case is built for real once per module."""

from __future__ import annotations

import dataclasses
import datetime as dt
import email
import email.policy
import hashlib
import json
import re
import shutil
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import trustme
import yaml
from click.testing import CliRunner

import pipeline.send
from pipeline.build import BuildOptions, build
from pipeline.cli import main
from pipeline.errors import CaseDataError, SendError, TemplateError
from pipeline.limits import Terminated
from pipeline.load import load_case
from pipeline.mail import (
    Attachment,
    attachment_name,
    compose,
    parse_sender,
    render_email,
    resolve_recipients,
)
from pipeline.model import Language
from pipeline.send import SendOptions, send
from pipeline.smtp import Outcome, Retry, Security, load_settings
from tests.conftest import EXAMPLE, MakeCase, example_data
from tests.smtp_servers import Handler, HangUpServer, Login, free_port, smtp_server, tls_server_context

COUNSEL = "schedulea@harborvance.example.com"
LAWYER = "li.wei@lawfirm.example.cn"
PLATFORM = "ipr-appeals@platform.example.com"
MERCHANT = "chen.xiaoyu@lumiere-home.example.cn"
SEND_SECTION = {
    "recipients": [
        {"name": "lawyer", "email": LAWYER, "display_name": "李伟 律师"},
        {"name": "platform", "email": PLATFORM, "display_name": "Platform IP team"},
    ],
    "to": ["counsel"],
}
ZH_SUBJECT = (
    "Case No. 1:24-cv-02015, Lumiere Home Official Store (Shenzhen Lumiere Home Technology Co., Ltd.): "
    "appeal and evidence / 深圳市璐米尔家居科技有限公司 申诉及证据材料"
)
BUNDLE_NAME = "1-24-cv-02015_Lumiere_Home_Official_Store_appeal_申诉材料.pdf"


@dataclass(frozen=True)
class Built:
    """A case folder `cases/acme` and its build in `output/acme`, below `root`."""

    root: Path

    @property
    def case(self) -> Path:
        return self.root / "cases" / "acme"

    @property
    def output(self) -> Path:
        return self.root / "output" / "acme"

    @property
    def bundle_sha256(self) -> str:
        return hashlib.sha256((self.output / "bundle.pdf").read_bytes()).hexdigest()

    def log(self) -> list[dict[str, object]]:
        path = self.output / "sent.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]

    def options(self, **values: object) -> SendOptions:
        """Options for this case, with retries that do not wait."""
        values.setdefault("retry", Retry(delays=(0.0, 0.0)))
        return SendOptions(output_root=self.root / "output", **values)


def case_with_send_section() -> dict[str, object]:
    data = example_data()
    data["send"] = SEND_SECTION
    return data


@pytest.fixture(scope="module")
def built_once(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """The example with a `send:` section, built for real, once for the whole module."""
    built = Built(tmp_path_factory.mktemp("built"))
    shutil.copytree(EXAMPLE, built.case)
    (built.case / "case.yaml").write_text(
        yaml.safe_dump(case_with_send_section(), allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    build(built.case, BuildOptions(output_root=built.root / "output"))
    return built


@pytest.fixture
def built(built_once: Built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Built:
    """A fresh copy of the built case for one test, which runs in the copy's folder."""
    shutil.copytree(built_once.root, tmp_path, dirs_exist_ok=True)
    monkeypatch.chdir(tmp_path)
    return Built(tmp_path)


@pytest.fixture(autouse=True)
def no_smtp_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Neither the machine's BUILD_APPEAL_SMTP_* variables nor the user's smtp.toml reach a test."""
    for name in ("HOST", "PORT", "USER", "PASSWORD", "TLS", "FROM", "CAFILE", "TIMEOUT"):
        monkeypatch.delenv(f"BUILD_APPEAL_SMTP_{name}", raising=False)
    monkeypatch.delenv("BUILD_APPEAL_SMTP_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "no-config"))


def smtp_env(port: int, **values: str) -> dict[str, str]:
    """Settings for a test server without TLS, as environment variables."""
    env = {
        "BUILD_APPEAL_SMTP_HOST": "127.0.0.1",
        "BUILD_APPEAL_SMTP_PORT": str(port),
        "BUILD_APPEAL_SMTP_TLS": "none",
        "BUILD_APPEAL_SMTP_TIMEOUT": "5",
        "XDG_CONFIG_HOME": "/nonexistent",
    }
    env.update({f"BUILD_APPEAL_SMTP_{key.upper()}": value for key, value in values.items()})
    return env


def run(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], *args: str) -> tuple[int, str, str]:
    """Run the CLI with `env` set; exit code, stdout, stderr."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def text_of(part: EmailMessage) -> str:
    """A text part's content with the CRLF line ends of the wire turned into \\n."""
    return "\n".join(str(part.get_content()).splitlines()) + "\n"


# --- Delivery ------------------------------------------------------------------------------------------


def test_the_message_arrives_with_its_headers_and_the_bundle(
    built: Built, monkeypatch: pytest.MonkeyPatch
) -> None:
    handler = Handler()
    with smtp_server(handler) as port:
        code, out, err = run(
            monkeypatch, smtp_env(port), "send", "cases/acme", "--to", "counsel", "--cc", "lawyer"
        )
    assert (code, err) == (0, "")
    assert re.fullmatch(
        rf"sent to counsel <{COUNSEL}>, with a copy to lawyer <{LAWYER}> \(\d+\.\d MB\); "
        r"recorded in output/acme/sent.jsonl\n",
        out,
    )
    [received] = handler.received
    assert (received.sender, received.recipients) == (MERCHANT, [COUNSEL, LAWYER])
    message = received.message
    assert message["From"] == f'"Shenzhen Lumiere Home Technology Co., Ltd." <{MERCHANT}>'
    assert message["To"] == f'"Jordan P. Whitfield, Harbor & Vance LLP" <{COUNSEL}>'
    assert message["Cc"] == f"李伟 律师 <{LAWYER}>"
    assert "Reply-To" not in message  # From is the merchant's own address
    assert message["Subject"] == ZH_SUBJECT
    sent_at = email.utils.parsedate_to_datetime(message["Date"])
    assert abs(sent_at - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=1)
    assert message["Message-ID"].endswith("@lumiere-home.example.cn>")
    body = message.get_body(("plain",))
    assert body is not None
    text = text_of(body)
    assert text.startswith("Dear Counsel,\n\nWe are Shenzhen Lumiere Home Technology Co., Ltd.")
    assert "尊敬的原告代理律师：" in text and re.search(rf"\n- {BUNDLE_NAME} \(\d+\.\d MB\)\n", text)
    [attachment] = message.iter_attachments()
    assert attachment.get_content_type() == "application/pdf"
    manifest = json.loads((built.output / "manifest.json").read_text(encoding="utf-8"))
    assert sha256(attachment.get_content()) == manifest["outputs"]["bundle.pdf"] == built.bundle_sha256
    [entry] = built.log()
    assert entry["status"] == "sent"
    assert entry["accepted"] == [COUNSEL, LAWYER] and entry["refused"] == {}
    assert entry["message_id"] == message["Message-ID"]
    assert entry["subject"] == ZH_SUBJECT
    assert entry["bundle_sha256"] == built.bundle_sha256
    assert str(entry["time"]).endswith("Z")


def test_the_chinese_subject_and_file_name_are_encoded_and_decode_back(
    built: Built, monkeypatch: pytest.MonkeyPatch
) -> None:
    handler = Handler()
    with smtp_server(handler) as port:
        code, _, _ = run(monkeypatch, smtp_env(port), "send", "cases/acme")
    assert code == 0
    raw = handler.received[0].content
    raw.decode("ascii")  # every header is encoded: RFC 2047 for words, RFC 2231 for the file name
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert b"Subject: =?utf-8?" in head and "申诉".encode() not in raw
    assert b"filename*0*=utf-8''1-24-cv-02015_Lumiere_Home_Official_Store_appeal_" in raw
    assert b"%E7%94%B3%E8%AF%89%E6%9D%90%E6%96%99.pdf" in raw
    message = handler.received[0].message
    assert message["Subject"] == ZH_SUBJECT
    [attachment] = message.iter_attachments()
    assert attachment.get_filename() == BUNDLE_NAME


@pytest.mark.parametrize(
    ("language", "subject", "filename"),
    [
        (
            "en",
            "Case No. 1:24-cv-02015, Lumiere Home Official Store "
            "(Shenzhen Lumiere Home Technology Co., Ltd.): appeal and evidence",
            "1-24-cv-02015_Lumiere_Home_Official_Store_appeal.pdf",
        ),
        (
            "zh",
            "案号 1:24-cv-02015 – 深圳市璐米尔家居科技有限公司"
            "（店铺 Lumiere Home Official Store）申诉及证据材料",
            "1-24-cv-02015_Lumiere_Home_Official_Store_申诉材料.pdf",
        ),
    ],
)
def test_each_language_has_its_subject_body_and_file_name(
    make_case: MakeCase, language: str, subject: str, filename: str
) -> None:
    data = example_data()
    data["language"] = language
    case = load_case(make_case(data))
    to, cc = resolve_recipients(case.data, ["counsel"], [])
    attachments = [
        Attachment(
            attachment_name(case.data, Language(language), "bundle", ".pdf"), b"%PDF", "application/pdf"
        )
    ]
    extra = {"recipients": to, "cc": cc, "to_counsel": False, "attachments": attachments}
    letter = render_email(case, Language(language), dt.date(2024, 3, 20), extra)
    message = compose(
        case,
        letter,
        sender=parse_sender("Seller <seller@mail.example.com>", case.data, "BUILD_APPEAL_SMTP_FROM"),
        to=to,
        cc=cc,
        attachments=attachments,
        now=dt.datetime(2024, 3, 20, 8, 0, tzinfo=dt.UTC),
    )
    parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
    assert parsed["Subject"] == subject
    assert parsed["From"] == "Seller <seller@mail.example.com>"
    assert parsed["Reply-To"] == f'"Shenzhen Lumiere Home Technology Co., Ltd." <{MERCHANT}>'
    assert [part.get_filename() for part in parsed.iter_attachments()] == [filename]
    text = letter.text
    if language == "en":
        assert text.startswith("Dear Sir or Madam,\n") and "尊敬" not in text
        assert max(len(line) for line in text.splitlines()) <= 76
    else:
        assert text.startswith("尊敬的先生/女士：\n") and "Dear" not in text


def test_the_email_is_in_the_language_the_bundle_was_built_in(
    built: Built, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bundle built with --lang en went out with a Chinese subject, text and file name: the email
    followed case.yaml's language, not the bundle's."""
    build(built.case, BuildOptions(output_root=built.root / "output", language=Language.EN))
    code, out, _ = run(monkeypatch, {}, "send", "cases/acme")
    assert code == 0
    message = email.message_from_bytes(Path(out.splitlines()[2]).read_bytes(), policy=email.policy.default)
    assert message["Subject"].startswith("Case No. 1:24-cv-02015, Lumiere Home Official Store")
    [attachment] = message.iter_attachments()
    assert attachment.get_filename() == "1-24-cv-02015_Lumiere_Home_Official_Store_appeal.pdf"
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert text.startswith("Dear Counsel,") and "尊敬" not in text


def test_a_chinese_case_writes_to_counsel_in_english_too_and_names_every_document(
    built: Built, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Chinese case emailed the plaintiff's American counsel in Chinese alone, and the message named the
    letter, the inquiry and the index but not the request to narrow the freeze and the declaration written
    for counsel (found by a probe preparing a seller's own appeal). To counsel, the message is bilingual
    now, and names them; to the platform it stays in the case's language."""
    data = case_with_send_section()
    data["language"] = "zh"
    data["bundle"] = {"freeze_narrowing": True}
    (built.case / "case.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    build(built.case, BuildOptions(output_root=built.root / "output"))

    def sent(*recipients: str) -> tuple[str, str]:
        code, out, _ = run(monkeypatch, {}, "send", "cases/acme", *recipients)
        assert code == 0
        message = email.message_from_bytes(
            Path(out.splitlines()[2]).read_bytes(), policy=email.policy.default
        )
        return message["Subject"], message.get_body(("plain",)).get_content()  # type: ignore[union-attr]

    subject, text = sent("--to", "counsel")
    assert subject.startswith("Case No. 1:24-cv-02015, Lumiere Home Official Store") and "申诉" in subject
    assert text.startswith("Dear Counsel,") and "尊敬的原告代理律师" in text
    assert (
        "our request to narrow the asset freeze to the accused revenue, and our declaration of the accused "
        "sales under 28 U.S.C. § 1746." in " ".join(text.split())
    )
    assert "并附缩小资产冻结范围的请求及涉案销售情况声明书（28 U.S.C. § 1746）。" in text
    subject, text = sent("--to", "platform", "--cc", "lawyer")
    assert subject.startswith("案号 1:24-cv-02015")
    assert text.startswith("尊敬的先生/女士") and "Dear" not in text
    _, text = sent("--to", "platform", "--cc", "counsel", "--resend")
    assert text.startswith("Dear Sir or Madam,") and "尊敬的先生/女士" in text  # counsel reads it too


def test_auth_over_starttls_with_a_test_certificate(
    built: Built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ca = trustme.CA()
    cafile = tmp_path / "test-ca.pem"
    ca.cert_pem.write_to_path(str(cafile))
    handler, login = Handler(), Login("seller-account", "app-password-42")
    tls = tls_server_context(ca.issue_cert("127.0.0.1"))
    options = {"tls_context": tls, "require_starttls": True, "auth_require_tls": True, "authenticator": login}
    with smtp_server(handler, **options) as port:
        env = smtp_env(
            port, tls="starttls", user="seller-account", password="app-password-42", cafile=str(cafile)
        )
        code, out, err = run(monkeypatch, env, "send", "cases/acme")
        assert (code, err) == (0, "") and out.startswith("sent to counsel")
        [received] = handler.received
        assert received.secure and received.authenticated

        # A wrong password is permanent: one try, and the server's reply in the message.
        login.tries = 0
        env["BUILD_APPEAL_SMTP_PASSWORD"] = "wrong"
        code, _, err = run(monkeypatch, env, "send", "cases/acme", "--resend")
        assert code == 1 and login.tries == 1
        assert err.startswith(
            "error: nothing was sent: the server refused the user name or password (535 5.7.8 Authentication "
            "credentials invalid); check BUILD_APPEAL_SMTP_USER and BUILD_APPEAL_SMTP_PASSWORD."
        )

        # Without the test CA, the certificate does not verify, and the message says what to set.
        del env["BUILD_APPEAL_SMTP_CAFILE"]
        monkeypatch.delenv("BUILD_APPEAL_SMTP_CAFILE")
        code, _, err = run(monkeypatch, env, "send", "cases/acme", "--resend")
        assert code == 1
        assert err.startswith(
            f"error: nothing was sent: the certificate of 127.0.0.1:{port} could not be verified"
        )
        assert "point BUILD_APPEAL_SMTP_CAFILE at its certificate" in err
    assert len(handler.received) == 1 and len(built.log()) == 1


def test_a_typed_password_is_used_when_none_is_set(built: Built) -> None:
    handler, login = Handler(), Login("seller-account", "typed-secret")
    asked: list[str] = []

    def prompt(text: str) -> str:
        asked.append(text)
        return "typed-secret"

    with smtp_server(handler, authenticator=login, auth_require_tls=False) as port:
        env = smtp_env(port, user="seller-account")
        result = send(built.case, built.options(), environ=env, prompt=prompt)
        assert asked == ["Password of the mail account on 127.0.0.1"]
        assert handler.received[0].authenticated and result.recipients == [f"counsel <{COUNSEL}>"]
        with pytest.raises(
            SendError, match=r"^no password for the mail account: set BUILD_APPEAL_SMTP_PASSWORD"
        ):
            send(built.case, built.options(resend=True), environ=env)
    assert len(handler.received) == 1


def test_a_451_after_the_data_is_retried_and_delivered_once(built: Built) -> None:
    handler = Handler(data_replies=["451 4.3.0 Try again later"])
    waits: list[float] = []
    with smtp_server(handler) as port:
        result = send(
            built.case,
            built.options(retry=Retry(delays=(7.0, 9.0), sleep=waits.append)),
            environ=smtp_env(port),
        )
    assert handler.data_commands == 2 and len(handler.received) == 1
    assert waits == [7.0]
    assert [entry["accepted"] for entry in built.log()] == [[COUNSEL]]
    assert result.log == built.output / "sent.jsonl"


def test_a_recipient_refused_for_now_is_tried_again_alone(built: Built) -> None:
    handler = Handler(rcpt_replies={LAWYER: ["450 4.2.1 Mailbox busy"]})
    with smtp_server(handler) as port:
        send(built.case, built.options(cc=("lawyer",)), environ=smtp_env(port))
    assert [received.recipients for received in handler.received] == [[COUNSEL], [LAWYER]]
    log = built.log()
    assert [entry["accepted"] for entry in log] == [[COUNSEL], [LAWYER]]
    assert log[0]["refused"] == {LAWYER: "450 4.2.1 Mailbox busy"}
    assert log[0]["message_id"] == log[1]["message_id"]


def test_a_refused_recipient_is_recorded_and_reported(built: Built, monkeypatch: pytest.MonkeyPatch) -> None:
    nobody = "nobody@harborvance.example.com"
    handler = Handler(rcpt_replies={nobody: ["550 5.1.1 No such user"]})
    with smtp_server(handler) as port:
        code, out, err = run(monkeypatch, smtp_env(port), "send", "cases/acme", "--to", f"counsel,{nobody}")
    assert (code, out) == (1, "")
    assert err == (
        "error: sent to only some of the recipients.\n"
        f"  delivered to counsel <{COUNSEL}>\n"
        f"  NOT delivered to {nobody}: the server answered 550 5.1.1 No such user\n"
        "This is recorded in output/acme/sent.jsonl. Check the addresses, then send to the others alone "
        f"(--to {nobody}).\n"
    )
    assert [received.recipients for received in handler.received] == [[COUNSEL]]
    [entry] = built.log()
    assert entry["accepted"] == [COUNSEL]
    assert entry["refused"] == {nobody: "550 5.1.1 No such user"}


def test_when_every_recipient_is_refused_nothing_is_recorded(built: Built) -> None:
    handler = Handler(rcpt_replies={COUNSEL: ["550 5.7.1 Relaying denied"]})
    with smtp_server(handler) as port, pytest.raises(SendError) as error:
        send(built.case, built.options(), environ=smtp_env(port))
    assert str(error.value) == "nothing was sent: the server answered 550 5.7.1 Relaying denied"
    assert handler.data_commands == 0 and built.log() == []


def test_a_server_that_hangs_up_is_retried_then_reported(built: Built) -> None:
    waits: list[float] = []
    with HangUpServer() as server, pytest.raises(SendError) as error:
        send(built.case, built.options(retry=Retry((1.0, 4.0), waits.append)), environ=smtp_env(server.port))
    assert server.connections == 3 and waits == [1.0, 4.0]
    assert str(error.value) == (
        f"nothing was sent: the connection to 127.0.0.1:{server.port} failed "
        "(Connection unexpectedly closed) (tried 3 times)"
    )
    assert not (built.output / "sent.jsonl").exists()


def test_a_refused_connection_is_retried_then_reported(built: Built) -> None:
    port = free_port()
    with pytest.raises(SendError) as error:
        send(built.case, built.options(), environ=smtp_env(port))
    assert str(error.value).startswith(f"nothing was sent: cannot connect to 127.0.0.1:{port} (")
    assert str(error.value).endswith("Connection refused) (tried 3 times)")


def test_a_connection_lost_after_the_whole_message_is_never_retried(built: Built) -> None:
    handler = Handler(hang_after_data=True)
    waits: list[float] = []
    with smtp_server(handler) as port:
        env = smtp_env(port, timeout="0.5")
        with pytest.raises(SendError) as error:
            send(built.case, built.options(retry=Retry((0.0,), waits.append)), environ=env)
        assert len(handler.received) == 1 and waits == []
        assert str(error.value).startswith(
            f"the connection to 127.0.0.1:{port} was lost after the whole message was handed over"
        )
        assert f"may or may not have delivered it to counsel <{COUNSEL}>" in str(error.value)
        [entry] = built.log()
        assert (entry["status"], entry["accepted"], entry["unconfirmed"]) == ("unconfirmed", [], [COUNSEL])
        # Sending again would risk a second copy: refused until --resend.
        with pytest.raises(SendError, match=r"may already have received \(not confirmed\) this bundle"):
            send(built.case, built.options(), environ=env)


# --- Checks before sending --------------------------------------------------------------------------------


def test_a_bundle_the_email_rule_passes_is_one_send_takes(make_case: MakeCase, tmp_path: Path) -> None:
    """`--for email` passed a 19 MB bundle under the 20 MB cap, and `send` then refused its 26 MB message:
    an attachment grows by a third in base64 (found by a probe of a firm's afternoon of sending)."""
    import math

    import yaml

    from pipeline.build import BuildOptions, build
    from pipeline.errors import BundleError
    from pipeline.model import Destination
    from pipeline.profiles import MESSAGE_ROOM

    data = case_with_send_section()
    folder = make_case(data)
    output = tmp_path / "output"
    size = build(folder, BuildOptions(output_root=output)).bundle.stat().st_size

    def capped(megabytes: float) -> None:
        data["send"] = {**SEND_SECTION, "max_size_mb": megabytes}
        (folder / "case.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")

    capped(math.ceil(size / 100_000) / 10 + 0.1)  # the bundle fits; its message would not
    with pytest.raises(BundleError, match=r"FAIL the bundle no larger than \d+\.\d MB \(a [\d.]+ MB message"):
        build(folder, BuildOptions(output_root=output, destination=Destination.EMAIL))
    enough = math.ceil((size * 78 / 57 + MESSAGE_ROOM) / 100_000) / 10  # the least the rule passes
    capped(enough)
    build(folder, BuildOptions(output_root=output, destination=Destination.EMAIL))
    sent = send(folder, SendOptions(output_root=output, dry_run=True), environ={})
    assert sent.size <= enough * 1_000_000


def test_the_size_cap_is_checked_before_connecting(built: Built, monkeypatch: pytest.MonkeyPatch) -> None:
    size = send(built.case, built.options(dry_run=True), environ={}).size  # the exact message, encoded
    cap = round(size / 2_000_000, 1)
    with HangUpServer() as server:
        code, out, err = run(monkeypatch, smtp_env(server.port), "send", "cases/acme", "--max-size", f"{cap}")
    assert (code, out, server.connections) == (1, "", 0)
    over = size - int(cap * 1_000_000)
    assert err == (
        f"error: the message is {size / 1e6:.1f} MB, {over / 1e6:.1f} MB over the limit of {cap:g} MB (files "
        "grow by about a third when sent by email). Nothing was sent. Make the bundle smaller (build it "
        "again with --for email --compress, which brings its pictures down to 150 dpi; or fewer or smaller "
        "exhibits, scans at a lower resolution), or upload it to a file-sharing service and send "
        "the link instead. If the receiving mail server takes larger messages, raise the limit with "
        "--max-size or send.max_size_mb in case.yaml.\n"
    )
    assert built.log() == []


def test_a_dry_run_writes_a_message_a_mail_client_opens(
    built: Built, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, err = run(monkeypatch, {}, "send", "cases/acme")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == (
        "dry run: nothing was sent, because no mail server is set up (set BUILD_APPEAL_SMTP_HOST; see "
        "docs/sending.md)."
    )
    assert re.fullmatch(rf"The message to counsel <{COUNSEL}> \(\d+\.\d MB\) is in:", lines[1])
    eml = Path(lines[2])
    assert eml.parent == Path("output/acme/outbox") and eml.suffix == ".eml"
    message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    assert message["Subject"] == ZH_SUBJECT and message["To"].addresses[0].addr_spec == COUNSEL
    [attachment] = message.iter_attachments()
    assert sha256(attachment.get_content()) == built.bundle_sha256
    assert not (built.output / "sent.jsonl").exists()

    # --dry-run with a server set up connects to nothing; a second one never overwrites the first.
    with HangUpServer() as server:
        code, out, _ = run(monkeypatch, smtp_env(server.port), "send", "cases/acme", "--dry-run")
    assert code == 0 and server.connections == 0
    assert out.startswith("dry run: nothing was sent, because --dry-run was given.\n")
    assert len(list((built.output / "outbox").glob("*.eml"))) == 2


def test_a_copied_case_folder_does_not_mail_the_same_appeal_twice(
    make_case: MakeCase, tmp_path: Path
) -> None:
    """`cases/seller05 - 副本`, a copy Windows made of a case folder, was sent to counsel after the original:
    its log is its own, so the same appeal went twice (found by a probe of a firm's afternoon of sending)."""
    from pipeline.build import BuildOptions, build
    from pipeline.errors import SendError

    original = make_case(case_with_send_section(), name="seller05")
    copy = original.with_name("seller05 - 副本")
    shutil.copytree(original, copy)
    output = tmp_path / "output"
    for folder in (original, copy):
        build(folder, BuildOptions(output_root=output))
    handler = Handler()
    with smtp_server(handler) as port:
        options = SendOptions(output_root=output, retry=Retry(delays=(0.0, 0.0)))
        send(original, options, environ=smtp_env(port))
        with pytest.raises(SendError) as refused:
            send(copy, options, environ=smtp_env(port))
        assert str(refused.value).startswith(
            f"counsel <{COUNSEL}> already received the same bundle from seller05 on "
        )
        assert "(see " in str(refused.value) and "seller05/sent.jsonl). Nothing was sent." in str(
            refused.value
        )
        assert len(handler.received) == 1
        send(copy, dataclasses.replace(options, resend=True), environ=smtp_env(port))  # when meant
        assert len(handler.received) == 2
        with pytest.raises(SendError, match=rf"counsel <{COUNSEL}> already received this bundle on "):
            send(copy, options, environ=smtp_env(port))  # the latest delivery is named: its own


def test_a_second_send_is_refused_and_resend_sends_again(
    built: Built, monkeypatch: pytest.MonkeyPatch
) -> None:
    handler = Handler()
    with smtp_server(handler) as port:
        env = smtp_env(port)
        assert run(monkeypatch, env, "send", "cases/acme")[0] == 0
        time = built.log()[0]["time"]
        code, out, err = run(monkeypatch, env, "send", "cases/acme", "--cc", "lawyer")
        assert (code, out) == (1, "")
        assert err == (
            f"error: counsel <{COUNSEL}> already received this bundle on "
            f"{str(time).replace('T', ' ').replace('Z', ' UTC')} (see output/acme/sent.jsonl). Nothing was "
            "sent. To send it again anyway, add --resend; to send only to the others, leave them out of --to "
            "and --cc.\n"
        )
        assert len(handler.received) == 1
        # Another recipient is not blocked by the first one's copy.
        assert run(monkeypatch, env, "send", "cases/acme", "--to", "lawyer")[0] == 0
        code, out, _ = run(monkeypatch, env, "send", "cases/acme", "--resend")
        assert code == 0 and out.startswith(f"sent to counsel <{COUNSEL}>")
    assert [received.recipients for received in handler.received] == [[COUNSEL], [LAWYER], [COUNSEL]]
    assert len(built.log()) == 3


def test_what_editors_leave_in_the_templates_folder_changes_nothing(built: Built) -> None:
    """Word's lock file, there while a template is open, or a Mac's .DS_Store made the bundle "out of date",
    and a bundle built with one went to counsel a second time as a new bundle."""
    handler = Handler()
    with smtp_server(handler) as port:
        env = smtp_env(port)
        send(built.case, built.options(), environ=env)
        templates = built.case / "templates"
        templates.mkdir(exist_ok=True)
        for name in ("~$peal_letter.docx", ".DS_Store", ".~lock.appeal_letter.docx#", "Thumbs.db"):
            (templates / name).write_bytes(b"\x00junk")
        with pytest.raises(SendError, match=rf"counsel <{COUNSEL}> already received this bundle on "):
            send(built.case, built.options(), environ=env)  # not "out of date"
        build(built.case, BuildOptions(output_root=built.root / "output"))
        with pytest.raises(SendError, match=rf"counsel <{COUNSEL}> already received this bundle on "):
            send(built.case, built.options(), environ=env)
    assert len(handler.received) == 1


def test_a_bundle_built_again_from_the_same_inputs_counts_as_the_same_bundle(built: Built) -> None:
    """A build without a draft (a batch's) shows the same pages as one with, in other bytes (its PDF
    objects differ), and so may a build that reused the cache: counsel who has one has the other. Only the
    bytes were compared, so a case built again that way went to counsel a second time."""
    handler = Handler()
    output_root = built.root / "output"
    with smtp_server(handler) as port:
        env = smtp_env(port)
        send(built.case, built.options(), environ=env)
        sent = built.bundle_sha256
        build(built.case, BuildOptions(output_root=output_root, draft=False, cache=False))
        assert built.bundle_sha256 != sent  # (the same bytes would not test this)
        with pytest.raises(SendError, match=rf"counsel <{COUNSEL}> already received this bundle on "):
            send(built.case, built.options(), environ=env)
        # Other pages from the same files (another language) are another bundle.
        build(built.case, BuildOptions(output_root=output_root, language=Language.ZH))
        send(built.case, built.options(), environ=env)
    first, second = built.log()
    assert first["content"] != second["content"]
    assert len(handler.received) == 2


def test_no_secret_reaches_any_output_log_or_file(
    built: Built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    user, password = "acct-user-5Kq2", "pw-Zq81-secret"
    ca = trustme.CA()
    cafile = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(cafile))
    login = Login(user, password)
    handler = Handler(rcpt_replies={PLATFORM: ["550 5.1.1 No such user"]})
    tls = tls_server_context(ca.issue_cert("127.0.0.1"))
    printed: list[str] = []  # -v: every log line of every step goes to stderr too
    with smtp_server(handler, tls_context=tls, require_starttls=True, authenticator=login) as port:
        env = smtp_env(port, tls="starttls", user=user, password=password, cafile=str(cafile))
        for args in (
            ["-v", "send", "cases/acme"],  # sent
            ["-v", "send", "cases/acme"],  # refused: already sent
            ["-v", "send", "cases/acme", "--to", "lawyer,platform"],  # partly refused
            ["-v", "send", "cases/acme", "--dry-run", "--resend"],
        ):
            printed += run(monkeypatch, env, *args)[1:]
        env["BUILD_APPEAL_SMTP_PASSWORD"] = password + "-wrong"
        printed += list(run(monkeypatch, env, "-v", "send", "cases/acme", "--resend")[1:])
    assert len(handler.received) == 2 and login.tries == 3
    files = [path for path in built.root.rglob("*") if path.is_file()]
    assert {"sent.jsonl", "bundle.pdf"} <= {path.name for path in files}
    assert len([path for path in files if path.suffix == ".eml"]) == 1
    texts = [*printed, *(path.read_bytes().decode("utf-8", "replace") for path in files)]
    assert any(text.startswith("sent to counsel") for text in printed)
    assert any("already received this bundle" in text for text in printed)
    assert any("NOT delivered to platform" in text for text in printed)
    assert any("refused the user name or password" in text for text in printed)
    for secret in (user, password):
        assert not any(secret in text for text in texts), secret


# --- The bundle must be the latest build ---------------------------------------------------------------


def test_a_missing_bundle_is_refused(built: Built, monkeypatch: pytest.MonkeyPatch) -> None:
    (built.output / "bundle.pdf").unlink()
    code, out, err = run(monkeypatch, {}, "send", "cases/acme")
    assert (code, out) == (1, "")
    assert err == (
        "error: output/acme/bundle.pdf: there is no bundle to send yet; build it first: "
        "build-appeal cases/acme (or add --build to this command)\n"
    )
    (built.root / "elsewhere").mkdir()  # the command to paste keeps -o (without it, it built elsewhere)
    code, out, err = run(monkeypatch, {}, "send", "cases/acme", "-o", "elsewhere")
    assert err.endswith(
        "build it first: build-appeal cases/acme -o elsewhere (or add --build to this command)\n"
    )


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ("case.yaml", "case.yaml"),
        ("evidence/freeze_notice.txt", "evidence/freeze_notice.txt"),
        ("templates/cs_inquiry.txt", "templates/cs_inquiry.txt"),
    ],
)
def test_an_out_of_date_bundle_is_refused(
    built: Built, monkeypatch: pytest.MonkeyPatch, change: str, named: str
) -> None:
    path = built.case / change
    path.parent.mkdir(exist_ok=True)
    text = path.read_text(encoding="utf-8") if path.exists() else "Hello"
    edited = text.replace("Shenzhen", "Guangzhou", 1) if change == "case.yaml" else text + "\n# edited\n"
    path.write_text(edited, "utf-8")
    code, _, err = run(monkeypatch, {}, "send", "cases/acme")
    assert code == 1
    assert err == (
        f"error: output/acme/bundle.pdf is out of date: {named} changed since it was built; build it again: "
        "build-appeal cases/acme (or add --build to this command)\n"
    )


def test_editing_only_comments_or_the_send_section_keeps_the_bundle_and_its_recipients(built: Built) -> None:
    """case.yaml was hashed as bytes: a comment made the bundle "out of date", and once it was built again
    for a new `cc:` (the same pages), counsel received the same appeal a second time."""
    handler = Handler()
    yaml_path = built.case / "case.yaml"
    with smtp_server(handler) as port:
        env = smtp_env(port)
        send(built.case, built.options(), environ=env)
        data = yaml.safe_load(yaml_path.read_text(encoding="utf-8"))
        data["send"] = {**SEND_SECTION, "cc": ["lawyer"]}
        yaml_path.write_text(
            "# cc the lawyer from now on\n" + yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
            "utf-8",
        )
        with pytest.raises(SendError, match=rf"counsel <{COUNSEL}> already received this bundle on "):
            send(built.case, built.options(), environ=env)  # not "out of date": the pages are the same
        build(built.case, BuildOptions(output_root=built.root / "output"))
        with pytest.raises(SendError, match=rf"counsel <{COUNSEL}> already received this bundle on "):
            send(built.case, built.options(), environ=env)
    assert len(handler.received) == 1


def test_a_bundle_changed_after_the_build_is_refused(built: Built) -> None:
    with (built.output / "bundle.pdf").open("ab") as bundle:
        bundle.write(b"%% appended\n")
    with pytest.raises(SendError, match=r"bundle.pdf is not the file the last build wrote"):
        send(built.case, built.options(), environ={})


def test_an_email_template_of_the_case_is_used_and_does_not_date_the_bundle(built: Built) -> None:
    templates = built.case / "templates"
    templates.mkdir()
    (templates / "email.txt").write_text(
        "Subject: {{ case.number }} for {{ merchant.store_name }} & co\n\nHello {{ recipients[0].name }}.\n",
        encoding="utf-8",
    )
    (templates / "email.html").write_text("<p>Hello &amp; {{ merchant.store_name }}</p>\n", encoding="utf-8")
    result = send(built.case, built.options(), environ={})
    assert result.outbox is not None
    message = email.message_from_bytes(result.outbox.read_bytes(), policy=email.policy.default)
    assert message["Subject"] == "1:24-cv-02015 for Lumiere Home Official Store & co"
    plain, html = message.get_body(("plain",)), message.get_body(("html",))
    assert plain is not None and text_of(plain) == "Hello counsel.\n"
    assert html is not None and text_of(html) == "<p>Hello &amp; Lumiere Home Official Store</p>\n"


def test_a_template_without_a_subject_line_is_an_error(built: Built) -> None:
    (built.case / "templates").mkdir()
    (built.case / "templates" / "email.txt").write_text("Dear counsel,\n", encoding="utf-8")
    with pytest.raises(TemplateError, match=r"email.txt: the first line of the email must be its subject"):
        send(built.case, built.options(), environ={})


def test_word_files_are_attached_when_asked(built: Built) -> None:
    result = send(built.case, built.options(attach_docx=True), environ={})
    assert result.outbox is not None
    message = email.message_from_bytes(result.outbox.read_bytes(), policy=email.policy.default)
    attachments = {part.get_filename(): part for part in message.iter_attachments()}
    assert sorted(attachments) == [BUNDLE_NAME, "1-24-cv-02015_appeal_letter.docx"]
    docx = attachments["1-24-cv-02015_appeal_letter.docx"]
    assert docx.get_content_type() == (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    assert docx.get_content() == (built.output / "appeal_letter.docx").read_bytes()


def test_build_first_builds_an_out_of_date_case_then_sends(
    built: Built, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = case_with_send_section()
    data["merchant"]["store_name"] = "Lumiere Home Store 2"
    data["send"] = {**SEND_SECTION, "max_size_mb": "0.5"}
    (built.case / "case.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    code, _, err = run(monkeypatch, {}, "send", "cases/acme")
    assert code == 1 and "output/acme/bundle.pdf is out of date: case.yaml changed" in err
    # --build builds; then the cap of case.yaml applies...
    code, _, err = run(monkeypatch, {}, "send", "cases/acme", "--build")
    assert code == 1 and " MB over the limit of 0.5 MB " in err
    # ...and --max-size overrides it; the bundle is now up to date, so no second build is needed.
    code, out, _ = run(monkeypatch, {}, "send", "cases/acme", "--max-size", "30")
    assert code == 0
    eml = Path(out.splitlines()[-1])
    message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    assert "Lumiere Home Store 2" in message["Subject"]
    [attachment] = message.iter_attachments()
    assert attachment.get_filename() == "1-24-cv-02015_Lumiere_Home_Store_2_appeal_申诉材料.pdf"
    assert sha256(attachment.get_content()) == built.bundle_sha256


# --- Recipients and settings ----------------------------------------------------------------------------


def test_recipients_by_name_by_address_and_from_case_yaml(make_case: MakeCase) -> None:
    data = case_with_send_section()
    data["send"] = {**SEND_SECTION, "cc": ["lawyer", MERCHANT]}
    case = load_case(make_case(data, evidence=False)).data
    to, cc = resolve_recipients(case, [], [])
    assert [str(r) for r in to] == [f"counsel <{COUNSEL}>"]
    assert [str(r) for r in cc] == [f"lawyer <{LAWYER}>", MERCHANT]
    to, cc = resolve_recipients(
        case, ["Platform, x@y.example.com", "counsel"], ["counsel", "x@y.example.com"]
    )
    assert [r.address for r in to] == [PLATFORM, "x@y.example.com", COUNSEL] and cc == []
    with pytest.raises(SendError) as error:
        resolve_recipients(case, ["lawyers"], [])
    assert str(error.value) == (
        "--to lawyers: no recipient has this name (known names: counsel, lawyer, platform); write an email "
        "address, or add the recipient under send.recipients in case.yaml"
    )
    with pytest.raises(SendError) as error:
        resolve_recipients(case, ["counsel"], ["bad@address"])
    assert str(error.value) == (
        "--cc bad@address: not an email address; write the address alone (jw@example.com), several separated "
        "by commas"
    )


def test_addresses_as_copied_from_an_email_program_are_taken(make_case: MakeCase) -> None:
    """`Jordan Whitfield <jw@hv.example.com>` and Outlook's `a@x.com; b@y.com` were "not an email address",
    without a word of what to write instead."""
    case = load_case(make_case(case_with_send_section(), evidence=False)).data
    to, cc = resolve_recipients(
        case, ["Jordan Whitfield <jw@hv.example.com>"], ["a@x.example.com; b@y.example.com"]
    )
    assert [(r.address, r.display_name) for r in to] == [("jw@hv.example.com", "Jordan Whitfield")]
    assert [r.address for r in cc] == ["a@x.example.com", "b@y.example.com"]


def test_without_recipients_or_counsel_email_the_message_says_what_to_do(make_case: MakeCase) -> None:
    data = example_data()
    del data["case"]["counsel"]["email"]
    case = load_case(make_case(data, evidence=False)).data
    with pytest.raises(SendError, match=r"^no recipient: say who gets the bundle with --to"):
        resolve_recipients(case, [], [])
    with pytest.raises(SendError, match=r"^--to counsel: case.yaml has no email for the plaintiff's counsel"):
        resolve_recipients(case, ["counsel"], [])


def test_an_unknown_name_in_case_yaml_is_a_case_error(make_case: MakeCase) -> None:
    data = example_data()
    twice = [{"name": "x", "email": "x@y.example.com"}, {"name": "X", "email": "x@z.example.com"}]
    data["send"] = {"to": ["lawyer"], "recipients": twice}
    with pytest.raises(CaseDataError) as error:
        load_case(make_case(data, evidence=False))
    assert [problem.split(": ", 1)[1] for problem in error.value.problems] == [
        "send.to: 'lawyer' is not a recipient's name; add it under send.recipients or write an email address",
        "send.recipients: the name 'X' is used twice",
    ]


def test_settings_come_from_the_user_file_and_the_environment_wins(tmp_path: Path) -> None:
    config = tmp_path / "config" / "smtp.toml"
    config.parent.mkdir()
    config.write_text(
        'host = "smtp.example.com"\nuser = "me"\npassword = "from-file"\ntls = "ssl"\n'
        'from = "Me <me@example.com>"\n',
        encoding="utf-8",
    )
    config.chmod(0o600)
    case = tmp_path / "cases" / "acme"
    settings = load_settings({"BUILD_APPEAL_SMTP_CONFIG": str(config)}, case)
    assert (settings.host, settings.port, settings.security) == ("smtp.example.com", 465, Security.SSL)
    assert settings.password == "from-file" and settings.sender == "Me <me@example.com>"
    assert "from-file" not in repr(settings) and "'me'" not in repr(settings)
    env = {"BUILD_APPEAL_SMTP_CONFIG": str(config), "BUILD_APPEAL_SMTP_PASSWORD": "from-env"}
    assert load_settings({**env, "BUILD_APPEAL_SMTP_TLS": "starttls"}, case).port == 587
    assert load_settings(env, case).password == "from-env"
    assert not load_settings({"XDG_CONFIG_HOME": str(tmp_path / "none")}, case).configured


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"BUILD_APPEAL_SMTP_HOST": "smtp.example.com", "BUILD_APPEAL_SMTP_PORT": "smtp"},
            "the SMTP settings are not valid:\nBUILD_APPEAL_SMTP_PORT: Input should be a valid integer, "
            "unable to parse string as an integer",
        ),
        (
            {
                "BUILD_APPEAL_SMTP_HOST": "smtp.example.com",
                "BUILD_APPEAL_SMTP_TLS": "none",
                "BUILD_APPEAL_SMTP_USER": "me",
            },
            "BUILD_APPEAL_SMTP_TLS is none: the password would cross the network unencrypted to "
            "smtp.example.com; use starttls (usually port 587) or ssl (usually port 465)",
        ),
    ],
)
def test_bad_settings_are_refused_with_the_variable_named(
    tmp_path: Path, env: dict[str, str], message: str
) -> None:
    with pytest.raises(SendError) as error:
        load_settings({"XDG_CONFIG_HOME": str(tmp_path / "none"), **env}, tmp_path)
    assert str(error.value) == message


def test_a_settings_file_named_but_not_there_is_refused(tmp_path: Path) -> None:
    """A typo in the variable turned the send into a dry run that exited 0: a script saw success."""
    named = tmp_path / "smtp-typo.toml"
    with pytest.raises(SendError) as error:
        load_settings({"BUILD_APPEAL_SMTP_CONFIG": str(named)}, tmp_path / "case")
    assert str(error.value) == f"BUILD_APPEAL_SMTP_CONFIG names {named}: no such file"


def test_a_settings_file_inside_the_case_folder_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "smtp.toml"
    config.write_text('host = "smtp.example.com"\n', encoding="utf-8")
    with pytest.raises(SendError, match=r"the SMTP settings file is inside the case folder"):
        load_settings({"BUILD_APPEAL_SMTP_CONFIG": str(config)}, tmp_path)


def test_a_send_stopped_after_its_build_does_not_say_the_stop_came_as_the_build_ended(
    built: Built, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`send --build` builds, then sends: stopped while it sends, it must not speak of the build as a build
    stopped while moving its files into place does ("the build had finished: its outputs are in place")."""

    def stopped(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline.send, "deliver", stopped)
    code, _, err = run(monkeypatch, smtp_env(1), "send", "cases/acme", "--build")
    assert code == 130
    assert (
        err.splitlines()[-1]
        == "interrupted; no mail was sent; the build had finished: its outputs are in place"
    )


def test_a_send_stopped_before_the_server_answers_the_message_says_it_may_have_been_delivered(
    built: Built, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server has the whole message when the user gives up waiting for its answer: it may deliver it.
    The command said "nothing was written", recorded nothing, and a second send went out unasked."""
    handler = Handler(stop_sender=True)
    with smtp_server(handler) as port:
        code, _, err = run(monkeypatch, smtp_env(port), "send", "cases/acme")
        assert code == 130, err
        assert err.splitlines()[-1] == (
            f"interrupted; the server may or may not have delivered it to counsel <{COUNSEL}> (it had the "
            "whole message and had not answered): sending this bundle to them again is refused until you "
            "add --resend; first ask them whether it arrived (recorded in output/acme/sent.jsonl)"
        )
        [entry] = built.log()
        assert (entry["status"], entry["accepted"], entry["unconfirmed"]) == ("unconfirmed", [], [COUNSEL])
        code, _, err = run(monkeypatch, smtp_env(port), "send", "cases/acme")
        assert code == 1 and "may already have received (not confirmed) this bundle" in err
    assert len(handler.received) == 1


def test_a_send_stopped_between_tries_says_who_has_the_mail(
    built: Built, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = pipeline.send.deliver

    def stop(seconds: float) -> None:
        raise Terminated

    def deliver(*args: Any) -> Outcome:
        return real(*args[:4], Retry((5.0,), stop), args[5])

    monkeypatch.setattr(pipeline.send, "deliver", deliver)
    handler = Handler(rcpt_replies={LAWYER: ["450 4.2.1 Mailbox busy"]})
    with smtp_server(handler) as port:
        code, _, err = run(monkeypatch, smtp_env(port), "send", "cases/acme", "--cc", "lawyer")
    assert code == 143, err
    assert err.splitlines()[-1] == (
        f"stopped (SIGTERM); the mail was delivered to counsel <{COUNSEL}> "
        "(recorded in output/acme/sent.jsonl)"
    )
    assert [received.recipients for received in handler.received] == [[COUNSEL]]
