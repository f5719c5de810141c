"""Platform-aware wording: whom the inquiry, the letter and the email address, and how they open.

Amazon's notice says it does not answer appeals about a TRO, so with the counsel's email known the inquiry
and the letter go to the plaintiff's counsel, Amazon in copy; AliExpress: its team for US TROs; Alibaba.com:
customer service (the inquiry); any other platform: its seller support / IP team (docs/templates.md,
"Platform-aware wording"). One English build per case shape, through the real LibreOffice and WeasyPrint;
the Chinese wording and the other platforms through the templates alone, which is quick.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docx
import pytest
import yaml

from pipeline.build import BuildOptions, BuildResult, build
from pipeline.context import Context
from pipeline.load import load_case
from pipeline.mail import Attachment, render_email, resolve_recipients
from pipeline.model import Language, Platform
from pipeline.render import Engine, Templates, for_its_readers
from tests.conftest import example_data, pdftotext

COUNSEL = "Jordan P. Whitfield, Harbor & Vance LLP, schedulea@harborvance.example.com"
AMAZON_TEAM = "Amazon Seller Support - Legal and Intellectual Property"
AMAZON_TO_COUNSEL = (
    "Amazon's notice says it does not respond to appeals about a temporary restraining order, so we write to "
    "you as counsel for the plaintiff, with a copy to Amazon Seller Support."
)
AMAZON_TO_COUNSEL_ZH = (
    "亚马逊的通知称其不受理与临时限制令有关的申诉，因此我司致函作为原告代理律师的贵方，并抄送亚马逊卖家支持。"
)
AMAZON_NO_EMAIL = (
    "We understand from Amazon's notice that Amazon does not respond to appeals about a temporary "
    "restraining order. We would therefore be grateful if you could at least tell us how to reach Harbor & "
    "Vance LLP, counsel for the plaintiff, so that we can put the questions below to them."
)
ALIEXPRESS_TEAM = "AliExpress Intellectual Property Team (US temporary restraining orders)"
ALIEXPRESS = (
    "We understand that AliExpress has a team that handles US temporary restraining orders and forwards "
    "requests about frozen funds to the plaintiff's counsel, so we address this request to that team."
)
ALIBABA = (
    "We understand that Alibaba.com Customer Service can give sellers the details of a case, so we address "
    "this request to you."
)
WE_WRITE = (
    "We write on behalf of Shenzhen Lumiere Home Technology Co., Ltd. about the restriction placed on our "
    'store "Lumiere Home Official Store" in connection with the case referred to above.'
)
WE_ASK = (
    "We respectfully ask you to review the restriction in the light of the facts and documents set out "
    "below, and to"
)
ASKS_THE_PLATFORM = "The plaintiff and its counsel: the plaintiff's name, its law firm"
ASKS_COUNSEL = (
    "The court papers: copies of the complaint, the Schedule A entry naming our store, and the temporary "
    "restraining order",
    "The evidence against our listings: the IDs of our listings the plaintiff accuses",
    "the evidence the plaintiff relies on",
    "The freeze: whether the plaintiff will agree to release our frozen funds, or to limit the freeze to the "
    "revenue of the accused listings.",
    "What you need from us: what the plaintiff needs from us",
)

Built = Callable[[str], BuildResult]
"""The module's builds: a name of SHAPES gives its English build."""


@dataclass(frozen=True)
class Shape:
    """A case shape (platform, counsel's email known or not) and what its documents must say, in order."""

    platform: str
    counsel_email: bool
    inquiry: tuple[str, ...]
    """In the inquiry's PDF, from the addressee to the sentence saying why it is addressed there."""
    inquiry_text: tuple[str, ...]
    """The same in cs_inquiry.txt."""
    letter: tuple[str, ...]
    """In the letter's PDF, from the date to the end of the opening."""


SHAPES = {
    "amazon": Shape(
        platform="Amazon",
        counsel_email=True,
        inquiry=(
            "To",
            COUNSEL,
            "Counsel for the plaintiff",
            "Copy to",
            AMAZON_TEAM,
            "From",
            "Dear Counsel,",
            AMAZON_TO_COUNSEL,
        ),
        inquiry_text=(
            f"To: {COUNSEL} - counsel for the plaintiff",
            f"Copy to: {AMAZON_TEAM}",
            "From:",
            "Dear Counsel,",
            AMAZON_TO_COUNSEL,
        ),
        letter=(
            "March 18, 2024",
            "Jordan P. Whitfield Harbor & Vance LLP Counsel for Plaintiff Glowbright Brands, LLC",
            "By email: schedulea@harborvance.example.com",
            f"Copy to: {AMAZON_TEAM}",
            "Re:",
            "Dear Counsel,",
            f"{WE_WRITE} {AMAZON_TO_COUNSEL} {WE_ASK} agree to the requests at the end of this letter.",
        ),
    ),
    "amazon-no-email": Shape(
        platform="Amazon",
        counsel_email=False,
        inquiry=("To", AMAZON_TEAM, "From", "Dear Sir or Madam,", AMAZON_NO_EMAIL),
        inquiry_text=(f"To: {AMAZON_TEAM}", "From:", "Dear Sir or Madam,", AMAZON_NO_EMAIL),
        letter=(
            "March 18, 2024",
            "Intellectual Property and Legal Team Amazon",
            "Re:",
            "Dear Sir or Madam,",
            f"{WE_WRITE} Amazon's notice says it does not respond to appeals about a temporary "
            "restraining order; if this letter should go to the plaintiff's counsel, Harbor & Vance LLP, we "
            "would be grateful if you could forward it to them or tell us how to reach them. "
            f"{WE_ASK} grant the requests",
        ),
    ),
    "aliexpress": Shape(
        platform="AliExpress",
        counsel_email=True,
        inquiry=("To", ALIEXPRESS_TEAM, "From", "Dear Sir or Madam,", ALIEXPRESS),
        inquiry_text=(f"To: {ALIEXPRESS_TEAM}", "From:", "Dear Sir or Madam,", ALIEXPRESS),
        letter=(
            "March 18, 2024",
            "Intellectual Property Team (US temporary restraining orders) AliExpress",
            "Re:",
            "Dear Sir or Madam,",
            f"{WE_WRITE} We understand that AliExpress has a team that handles US temporary restraining "
            "orders and forwards requests about frozen funds to the plaintiff's counsel, so we address this "
            f"letter to that team. {WE_ASK} grant the requests",
        ),
    ),
    "alibaba": Shape(
        platform="Alibaba.com",
        counsel_email=True,
        inquiry=("To", "Alibaba.com Customer Service", "From", "Dear Sir or Madam,", ALIBABA),
        inquiry_text=("To: Alibaba.com Customer Service", "From:", "Dear Sir or Madam,", ALIBABA),
        letter=(
            "March 18, 2024",
            "Intellectual Property and Legal Team Alibaba.com",
            "Re:",
            "Dear Sir or Madam,",
            f"{WE_WRITE} {WE_ASK} grant the requests",
        ),
    ),
    "walmart": Shape(
        platform="Walmart",
        counsel_email=True,
        inquiry=(
            "To",
            "Walmart Seller Support / Intellectual Property Team",
            "From",
            "Dear Sir or Madam,",
            "of our balance has been frozen. To understand the case",  # no paragraph on the platform
        ),
        inquiry_text=(
            "To: Walmart Seller Support / Intellectual Property Team",
            "From:",
            "Dear Sir or Madam,",
            "of our balance has been frozen. To understand the case",
        ),
        letter=(
            "March 18, 2024",
            "Intellectual Property and Legal Team Walmart",
            "Re:",
            "Dear Sir or Madam,",
            f"{WE_WRITE} {WE_ASK} grant the requests",
        ),
    ),
}


def case_data(platform: str, counsel_email: bool = True) -> dict[str, Any]:
    """The example's facts on another platform, without evidence files (nothing here depends on them)."""
    data = example_data()
    data["merchant"]["platform"] = platform
    if not counsel_email:
        del data["case"]["counsel"]["email"]
    del data["evidence"], data["sales"]
    return data


def write_case(folder: Path, data: dict[str, Any]) -> Path:
    """A case folder holding `data` as its case.yaml."""
    folder.mkdir(parents=True)
    (folder / "case.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    return folder


def words(text: str) -> str:
    """Text on one line, single-spaced, with typographic quotes and dashes made plain: the PDF has them,
    the plain text and the Word letter mostly do not."""
    plain = text.replace("’", "'").replace("“", '"').replace("”", '"').replace("–", "-")
    return " ".join(plain.split())


def pdf_words(path: Path) -> str:
    """The text of a PDF, as words."""
    return words(pdftotext(path))


def html_words(page: str) -> str:
    """The text of an HTML page, as words."""
    return words(html.unescape(re.sub(r"<[^>]+>", " ", page)))


def inquiry_words(output: Path) -> tuple[str, str]:
    """The inquiry's PDF and its plain text, as words."""
    return pdf_words(output / "cs_inquiry.pdf"), words((output / "cs_inquiry.txt").read_text("utf-8"))


def assert_in_order(text: str, parts: Sequence[str]) -> None:
    """Each part occurs in `text`, after the one before it."""
    position = 0
    for part in parts:
        found = text.find(part, position)
        assert found >= 0, f"{part!r} not found after {text[max(position - 80, 0) : position]!r}"
        position = found + len(part)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """Build a shape of SHAPES in English, once for the module (the builds share one cache)."""
    root = tmp_path_factory.mktemp("platforms")
    results: dict[str, BuildResult] = {}

    def get(name: str) -> BuildResult:
        if name not in results:
            shape = SHAPES[name]
            folder = write_case(root / "cases" / name, case_data(shape.platform, shape.counsel_email))
            results[name] = build(folder, BuildOptions(output_root=root / "out", language=Language.EN))
        return results[name]

    return get


def render(folder: Path, language: Language, document: str, engine: Engine) -> Path:
    """One document of the case in `folder`, rendered from the default template, not converted."""
    case = load_case(folder)
    templates = Templates(folder / "templates")
    out = folder.parent / f"rendered-{language}"
    out.mkdir(exist_ok=True)
    context = Context(case.data, [], dt.date(2024, 3, 18), language)
    return templates.render(templates.find(document, (engine,)), context, out).path


def letter_words(path: Path) -> str:
    """The paragraphs of a rendered Word letter, as words."""
    return words("\n".join(paragraph.text for paragraph in docx.Document(str(path)).paragraphs))


@pytest.mark.parametrize("name", SHAPES)
def test_the_inquiry_is_addressed_for_the_platform(built: Built, name: str) -> None:
    shape = SHAPES[name]
    pdf, text = inquiry_words(built(name).output)
    assert_in_order(pdf, shape.inquiry)
    assert_in_order(text, shape.inquiry_text)
    if name != "amazon":
        assert "Copy to" not in pdf and "Copy to" not in text
        assert "Dear Counsel" not in pdf + text


@pytest.mark.parametrize("name", SHAPES)
def test_the_letter_is_addressed_for_the_platform(built: Built, name: str) -> None:
    letter = pdf_words(built(name).output / "appeal_letter.pdf")
    assert_in_order(letter, SHAPES[name].letter)
    if name != "amazon":
        assert "Copy to" not in letter and "Dear Counsel" not in letter and "By email" not in letter
    # A letter to the plaintiff's counsel does not tell them who represents the plaintiff.
    assert ("The plaintiff is represented by" in letter) == (name != "amazon"), name
    # The rest of the letter is the same for every addressee.
    assert_in_order(letter, ["1. Who we are", "2. The case", "Our requests", "Sincerely,"])


def test_the_inquiry_to_counsel_asks_what_one_asks_the_other_side(built: Built) -> None:
    for text in inquiry_words(built("amazon").output):
        assert_in_order(text, ASKS_COUNSEL)
        assert ASKS_THE_PLATFORM not in text  # it is written to the counsel
        assert "forward it or tell us whom to contact" not in text
        assert "Thank you for your attention to this matter." in text


def test_without_the_counsel_email_amazon_is_asked_for_the_counsel(built: Built) -> None:
    for text in inquiry_words(built("amazon-no-email").output):
        assert ASKS_THE_PLATFORM in text
        assert "What you need from us" not in text


def test_aliexpress_is_asked_about_the_preliminary_injunction(tmp_path: Path) -> None:
    folder = write_case(tmp_path / "case", case_data("AliExpress"))
    path = render(folder, Language.EN, "cs_inquiry", Engine.TEXT)
    assert (
        "and whether the funds will be released if the court does not enter a preliminary injunction."
        in words(path.read_text(encoding="utf-8"))
    )


def test_the_amazon_inquiry_to_counsel_in_chinese(tmp_path: Path) -> None:
    folder = write_case(tmp_path / "case", case_data("Amazon"))
    text = words(render(folder, Language.ZH, "cs_inquiry", Engine.TEXT).read_text("utf-8"))
    assert_in_order(
        text,
        [
            f"致：{COUNSEL}，原告代理律师",
            "抄送：亚马逊卖家支持（法务及知识产权）",
            "发件人：",
            "尊敬的原告代理律师：",
            "我司深圳市璐米尔家居科技有限公司是亚马逊店铺",
            AMAZON_TO_COUNSEL_ZH,
            "恳请贵方提供下列文件并答复下列问题。",
            "法律文书：起诉状、附表A中列明我司店铺的条目、临时限制令",
            "资金冻结：原告是否同意解除对我司资金的冻结，或将冻结范围缩小至涉案链接的销售额。",
            "感谢您对此事的关注！",
        ],
    )
    assert "Dear" not in text and "原告及代理律师：" not in text
    page = render(folder, Language.BILINGUAL, "cs_inquiry", Engine.HTML).read_text("utf-8")
    assert_in_order(
        html_words(page),
        ["原告代理律师", "抄送", "亚马逊卖家支持（法务及知识产权）", "Dear Counsel,", "尊敬的原告代理律师：",
         AMAZON_TO_COUNSEL, AMAZON_TO_COUNSEL_ZH],
    )  # fmt: skip


def test_the_amazon_letter_to_counsel_in_chinese(tmp_path: Path) -> None:
    folder = write_case(tmp_path / "case", case_data("Amazon"))
    letter = letter_words(render(folder, Language.ZH, "appeal_letter", Engine.DOCX))
    assert_in_order(
        letter,
        [
            "2024年3月18日",
            "Jordan P. Whitfield Harbor & Vance LLP 原告Glowbright Brands, LLC的代理律师",
            "电子邮件：schedulea@harborvance.example.com",
            "抄送：亚马逊卖家支持（法务及知识产权）",
            "事由：",
            "尊敬的原告代理律师：",
            '我司谨就上述案件项下我司店铺"Lumiere Home Official Store"受到的限制致函贵方。'
            + AMAZON_TO_COUNSEL_ZH
            + "恳请贵方根据下文所述事实及所附证据对该限制予以复核，并同意本函末尾所列请求。",
        ],
    )
    assert "Dear" not in letter and "知识产权及法务团队" not in letter and "原告的代理律所为" not in letter


def test_a_patent_is_named_once_as_a_patent(tmp_path: Path) -> None:
    """A patent is "Design patent No. D987,654", not "Design patent Patent No."; a trademark, "Reg. No."."""
    data = case_data("Alibaba.com")
    data["case"]["ip_rights"] = [
        {"kind": "design patent", "registration_number": "D987,654", "mark": "Aroma Diffuser"},
        {"kind": "trademark", "registration_number": "6,123,457", "mark": "GLOWBRIGHT"},
    ]
    folder = write_case(tmp_path / "case", data)
    letter = letter_words(render(folder, Language.EN, "appeal_letter", Engine.DOCX))
    inquiry = html_words(render(folder, Language.EN, "cs_inquiry", Engine.HTML).read_text("utf-8"))
    pasted = words(render(folder, Language.EN, "cs_inquiry", Engine.TEXT).read_text("utf-8"))
    for text in (letter, inquiry, pasted):
        assert "patent No. D987,654" in text and "Reg. No. 6,123,457" in text
        assert "Patent No." not in text


def test_the_plain_text_inquiry_keeps_each_paragraph_on_one_line(tmp_path: Path) -> None:
    """For a chat window, which wraps lines to its own width: wrapped at 100 characters, a paragraph
    pasted into a narrower window broke again in the middle of every line."""
    folder = write_case(tmp_path / "case", case_data("Alibaba.com"))
    lines = render(folder, Language.EN, "cs_inquiry", Engine.TEXT).read_text("utf-8").splitlines()
    opening = next(line for line in lines if line.startswith("We are Shenzhen Lumiere Home Technology"))
    assert opening.endswith("of our balance has been frozen.") and len(opening) > 300


def test_a_chinese_amazon_case_writes_to_counsel_in_english_too(tmp_path: Path) -> None:
    """Amazon's letter and inquiry go to the plaintiff's American counsel (or to Amazon's legal team): in a
    Chinese case they are bilingual, never Chinese alone; an Alibaba.com case's stay Chinese."""
    data = case_data("Amazon")
    data["language"] = "zh"
    result = build(write_case(tmp_path / "amazon", data), BuildOptions(output_root=tmp_path / "out"))
    letter, (inquiry, pasted) = pdf_words(result.output / "appeal_letter.pdf"), inquiry_words(result.output)
    for text in (letter, inquiry, pasted):
        assert_in_order(text, ["Dear Counsel,", "尊敬的原告代理律师：", AMAZON_TO_COUNSEL])
    alibaba = case_data("Alibaba.com")
    alibaba["language"] = "zh"
    folder = write_case(tmp_path / "alibaba", alibaba)
    case = load_case(folder)
    context = Context(case.data, [], dt.date(2024, 3, 18), Language.ZH)
    assert [for_its_readers(name, context).lang for name in ("appeal_letter", "cs_inquiry")] == [
        Language.ZH
    ] * 2


@pytest.mark.parametrize("platform", [platform.value for platform in Platform])
def test_every_platform_has_an_addressee_in_every_document(tmp_path: Path, platform: str) -> None:
    folder = write_case(tmp_path / "case", case_data(platform))
    named = "" if platform == "Other" else f"{platform} "
    addressee = {
        "Amazon": COUNSEL,
        "AliExpress": "AliExpress Intellectual Property Team (US temporary restraining orders)",
        "Alibaba.com": "Alibaba.com Customer Service",
    }.get(platform, f"{named}Seller Support / Intellectual Property Team")
    text = words(render(folder, Language.BILINGUAL, "cs_inquiry", Engine.TEXT).read_text("utf-8"))
    assert f"To / 致: {addressee}" in text
    page = render(folder, Language.BILINGUAL, "cs_inquiry", Engine.HTML).read_text("utf-8")
    assert addressee in html_words(page)
    letter = letter_words(render(folder, Language.BILINGUAL, "appeal_letter", Engine.DOCX))
    assert ("Counsel for Plaintiff" if platform == "Amazon" else "Intellectual Property") in letter
    assert "{{" not in letter and "{%" not in letter and "{#" not in letter


@pytest.mark.parametrize(
    ("platform", "to", "says"),
    [
        (
            "Amazon",
            "counsel",
            "Amazon's notice says it does not respond to appeals about a temporary restraining order, so we "
            "write to you as counsel for the plaintiff. Attached is our appeal as one PDF file",
        ),
        (
            "Alibaba.com",
            "counsel",
            "We send you, as counsel for the plaintiff, our appeal to Alibaba.com as one PDF file",
        ),
        ("Amazon", "someone@example.com", "Dear Sir or Madam, We are"),
    ],
)
def test_the_email_suits_counsel_or_platform(tmp_path: Path, platform: str, to: str, says: str) -> None:
    case = load_case(write_case(tmp_path / "case", case_data(platform)))
    recipients, cc = resolve_recipients(case.data, [to], [])
    extra = {
        "recipients": recipients,
        "cc": cc,
        "to_counsel": to == "counsel",
        "attachments": [Attachment("bundle.pdf", b"%PDF", "application/pdf")],
    }
    text = words(render_email(case, Language.EN, dt.date(2024, 3, 20), extra).text)
    assert text.startswith("Dear Counsel," if to == "counsel" else "Dear Sir or Madam,")
    assert says in text
    if to != "counsel":
        assert "counsel for the plaintiff" not in text
