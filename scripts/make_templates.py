"""Build the default Word templates with python-docx: the appeal letter (`templates/appeal_letter.docx`) here,
the request to narrow the asset freeze and the declaration under 28 U.S.C. § 1746 (`narrowing_request.docx`,
`declaration.docx`) in `narrowing_templates.py`, with the same styles and page.

The letter goes to the platform's intellectual-property / legal team, or on Amazon to the plaintiff's counsel
(`RECIPIENTS` below; docs/templates.md, "Platform-aware wording"). It is a docxtpl template: Jinja tags in
the text, `{%p ... %}` paragraph tags for the platform and language branches and loops, `{#p ... #}`
paragraph notes, and `{%tr ... %}` row tags for the tables. Every tag is written as one whole run, so Word
never sees it split; a paragraph tag is the only text of its paragraph. The variables and filters are listed
in docs/templates.md.

Fonts: every style uses "Liberation Serif" for Latin text and "Noto Serif CJK SC" for Chinese (w:eastAsia),
so the converted PDF embeds fonts that exist on the build machine. Page: US Letter, 1 inch margins at the
top (the court's e-filing header goes there) and the sides, 0.9 inch at the bottom (the bundle stamps
page numbers there); no header or footer.

The output is deterministic: fixed core properties and dates, and the zip entries get a fixed time, so
running the script again writes the same bytes (given the same python-docx).

    .venv/bin/python scripts/make_templates.py [FOLDER]
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.shared import Inches, Pt, RGBColor
from docx.styles.style import ParagraphStyle
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

FOLDER = Path(__file__).resolve().parent.parent / "templates"

LATIN_FONT = "Liberation Serif"
CJK_FONT = "Noto Serif CJK SC"
FIXED_TIME = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
ZIP_TIME = (2024, 1, 1, 0, 0, 0)

# Jinja expressions kept here so that the paragraphs below stay readable. No `}` or `%` inside them:
# docxtpl's paragraph-tag pattern stops at those characters.
PLATFORM_EN = '"the platform" if merchant.platform == "Other" else merchant.platform'
PLATFORM_ZH = (
    '"阿里巴巴国际站" if merchant.platform == "Alibaba.com" '
    'else "速卖通" if merchant.platform == "AliExpress" '
    'else "亚马逊" if merchant.platform == "Amazon" '
    'else "沃尔玛" if merchant.platform == "Walmart" '
    'else "敦煌网" if merchant.platform == "DHgate" '
    'else "平台" if merchant.platform == "Other" '
    "else merchant.platform"
)
KIND_ZH = (
    '"商标" if right.kind == "trademark" else "版权" if right.kind == "copyright" '
    'else "外观设计专利" if right.kind == "design patent" else "发明专利"'
)
NUMBER_ZH = '"注册号" if right.kind == "trademark" else "登记号" if right.kind == "copyright" else "专利号"'
NUMERALS_ZH = "一二三四五六七八九十"
NUMBER_EN = '"No." if "patent" in right.kind else "Reg. No."'


@dataclass(frozen=True)
class Run:
    """A run of text with its formatting; its text may hold whole Jinja tags, never part of one."""

    text: str
    bold: bool = False
    italic: bool = False


Part = str | Run


def both(english: str, chinese: str) -> str:
    """A table heading: the English, the Chinese, or both on two lines (the line break sits between tags)."""
    return (
        "{% if en %}"
        + english
        + "{% endif %}{% if bilingual %}\n{% endif %}{% if zh %}"
        + chinese
        + "{% endif %}"
    )


def bold(text: str) -> Run:
    """A bold run."""
    return Run(text, bold=True)


# --- Styles ---------------------------------------------------------------------------------------------


def set_fonts(rpr: BaseOxmlElement) -> None:
    """Make `rpr` (a w:rPr) use the Latin and CJK fonts, dropping theme fonts that would override them."""
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = OxmlElement("w:rFonts")
        rpr.insert(0, rfonts)
    for name in list(rfonts.attrib):
        del rfonts.attrib[name]
    rfonts.set(qn("w:ascii"), LATIN_FONT)
    rfonts.set(qn("w:hAnsi"), LATIN_FONT)
    rfonts.set(qn("w:cs"), LATIN_FONT)
    rfonts.set(qn("w:eastAsia"), CJK_FONT)


def set_defaults(document: DocumentObject) -> None:
    """Document defaults: fonts, 11 pt, English with Chinese as the East-Asian language, tight spacing."""
    defaults = document.styles.element.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    set_fonts(rpr)
    lang = rpr.find(qn("w:lang"))
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")
    spacing = defaults.find(qn("w:pPrDefault")).find(qn("w:pPr")).find(qn("w:spacing"))
    spacing.set(qn("w:after"), "0")
    spacing.set(qn("w:line"), "240")
    spacing.set(qn("w:lineRule"), "auto")
    for style in document.styles:
        rpr = style.element.find(qn("w:rPr"))
        if rpr is not None and rpr.find(qn("w:rFonts")) is not None:
            set_fonts(rpr)


def paragraph_style(
    document: DocumentObject,
    name: str,
    *,
    size: float = 11,
    bold: bool = False,
    before: float = 0,
    after: float = 6,
    line: float = 1.08,
    align: WD_ALIGN_PARAGRAPH | None = None,
    keep_with_next: bool = False,
    left: float = 0,
    first_line: float = 0,
) -> ParagraphStyle:
    """Add (or redefine) a paragraph style based on Normal."""
    styles = document.styles
    existing = {style.name for style in styles}
    style = styles[name] if name in existing else styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    if name != "Normal":
        style.base_style = styles["Normal"]
        style.quick_style = True
    set_fonts(style.element.get_or_add_rPr())
    style.font.size = Pt(size)
    style.font.bold = bold
    style.font.color.rgb = RGBColor(0, 0, 0)
    fmt = style.paragraph_format
    fmt.space_before = Pt(before)
    fmt.space_after = Pt(after)
    fmt.line_spacing = line
    fmt.keep_with_next = keep_with_next
    fmt.widow_control = True
    if align is not None:
        fmt.alignment = align
    if left or first_line:
        fmt.left_indent = Inches(left)
        fmt.first_line_indent = Inches(first_line)
    return style


def make_styles(document: DocumentObject) -> None:
    """The letter's styles; each is named for what it does, so a user can restyle it in Word."""
    set_defaults(document)
    paragraph_style(document, "Normal", after=6)
    paragraph_style(document, "Body Text", after=6, line=1.04)
    paragraph_style(document, "Letterhead Name", size=15, bold=True, after=0, align=WD_ALIGN_PARAGRAPH.CENTER)
    paragraph_style(document, "Letterhead", size=9.5, after=0, line=1.0, align=WD_ALIGN_PARAGRAPH.CENTER)
    paragraph_style(document, "Date Line", before=10, after=10)
    paragraph_style(document, "Address Block", after=0, line=1.0)
    paragraph_style(document, "Reference", after=0, line=1.0, left=0.5, first_line=-0.5)
    paragraph_style(document, "Section Heading", bold=True, before=8, after=3, keep_with_next=True)
    paragraph_style(document, "Table Text", size=9.5, after=0, line=1.0)
    paragraph_style(document, "Table Heading", size=9.5, bold=True, after=0, line=1.0)
    paragraph_style(document, "Numbered", after=4, left=0.35, first_line=-0.35)
    paragraph_style(document, "Signature", after=0, line=1.0)
    paragraph_style(document, "Closing", before=6, after=6, line=1.04, keep_with_next=True)
    paragraph_style(document, "Template Tag", size=8, after=0, line=1.0)
    paragraph_style(document, "Small Print", size=9, before=10, after=0)


def set_page(document: DocumentObject) -> None:
    """US Letter, 1 inch margins except 0.9 inch at the bottom; no header or footer."""
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width = Inches(8.5)
    section.page_height = Inches(11)
    section.top_margin = Inches(1)
    section.bottom_margin = Inches(0.9)
    section.left_margin = Inches(1)
    section.right_margin = Inches(1)
    section.header_distance = Inches(0.5)
    section.footer_distance = Inches(0.4)


def set_properties(
    document: DocumentObject,
    title: str = "Letter regarding Case No. {{ case.number }}",
    subject: str = "Appeal to the platform's intellectual-property team",
    keywords: str = "Schedule A; TRO; appeal",
) -> None:
    """Fixed core properties; docxtpl renders the title's tag, so the PDF is titled with the case number."""
    props = document.core_properties
    props.author = "build-appeal"
    props.last_modified_by = "build-appeal"
    props.title = title
    props.subject = subject
    props.keywords = keywords
    props.comments = "Template of build-appeal; see docs/templates.md before editing."
    props.category = ""
    props.created = FIXED_TIME
    props.modified = FIXED_TIME
    props.last_printed = FIXED_TIME
    props.revision = 1
    props.language = ""
    props.identifier = ""
    props.version = ""
    props.content_status = ""


# --- Writing --------------------------------------------------------------------------------------------


class Letter:
    """Adds paragraphs and tables to the template, one whole tag per run."""

    def __init__(self, document: DocumentObject) -> None:
        self.document = document
        self.widths: list[float] = []

    def para(self, *parts: Part, style: str = "Body Text", keep_with_next: bool = False) -> Paragraph:
        """A paragraph of runs."""
        paragraph = self.document.add_paragraph(style=style)
        fill(paragraph, parts)
        if keep_with_next:
            paragraph.paragraph_format.keep_with_next = True
        return paragraph

    def tag(self, tag: str) -> None:
        """A paragraph holding only a docxtpl paragraph tag, e.g. `{%p if en %}`; docxtpl removes it."""
        assert tag.startswith("{%p ") and tag.endswith(" %}"), tag
        self.para(tag, style="Template Tag")

    def note(self, text: str) -> None:
        """A paragraph holding only a docxtpl paragraph comment, `{#p ... #}`: read in Word, never printed."""
        assert "}" not in text and "#" not in text, text  # docxtpl's comment pattern stops at them
        self.para("{#p " + text + " #}", style="Template Tag")

    def en(self, *parts: Part, style: str = "Body Text", keep_with_next: bool = False) -> None:
        """A paragraph shown only when English is shown."""
        self.tag("{%p if en %}")
        self.para(*parts, style=style, keep_with_next=keep_with_next)
        self.tag("{%p endif %}")

    def zh(self, *parts: Part, style: str = "Body Text", keep_with_next: bool = False) -> None:
        """A paragraph shown only when Chinese is shown."""
        self.tag("{%p if zh %}")
        self.para(*parts, style=style, keep_with_next=keep_with_next)
        self.tag("{%p endif %}")

    def heading(self, english: str, chinese: str) -> None:
        """A numbered section heading: `2. The case`, `二、案件情况` or `2. The case / 案件情况`.

        Sections are counted as they render (`section` is a Jinja namespace set at the top), so a section
        left out (no listings, no exhibits) leaves no gap in the numbers.
        """
        self.para(
            "{% set section.number = section.number + 1 %}",
            "{% if en %}{{ section.number }}. " + english + "{% endif %}",
            "{% if bilingual %} / " + chinese + "{% elif zh %}",
            "{{ '" + NUMERALS_ZH + "'[section.number - 1] }}、" + chinese + "{% endif %}",
            style="Section Heading",
        )

    def table(self, widths: Sequence[float]) -> Table:
        """A full-width table with a grid, fixed column widths and no rows yet."""
        table = self.document.add_table(rows=0, cols=len(widths))
        table.style = self.document.styles["Table Grid"]
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        table.autofit = False
        tbl_pr = table._tbl.tblPr
        width = tbl_pr.find(qn("w:tblW"))
        width.set(qn("w:w"), str(round(sum(widths) * 1440)))
        width.set(qn("w:type"), "dxa")
        margins = OxmlElement("w:tblCellMar")
        for side, twips in (("top", 29), ("left", 86), ("bottom", 29), ("right", 86)):
            margin = OxmlElement(f"w:{side}")
            margin.set(qn("w:w"), str(twips))
            margin.set(qn("w:type"), "dxa")
            margins.append(margin)
        tbl_pr.find(qn("w:tblLook")).addprevious(margins)  # schema order: ... tblLayout, tblCellMar, tblLook
        for column, inches in zip(table.columns, widths, strict=True):
            column.width = Inches(inches)
        self.widths = list(widths)
        return table

    def row(self, table: Table, cells: Sequence[Sequence[Part] | None], *, header: bool = False) -> None:
        """A row; each cell gets one paragraph of the given runs (None: an empty cell)."""
        row = table.add_row()
        tr_pr = row._tr.get_or_add_trPr()
        cant_split = OxmlElement("w:cantSplit")
        tr_pr.append(cant_split)
        if header:
            repeat = OxmlElement("w:tblHeader")
            tr_pr.append(repeat)
        for cell, parts, inches in zip(row.cells, cells, self.widths, strict=True):
            cell.width = Inches(inches)
            paragraph = cell.paragraphs[0]
            paragraph.style = self.document.styles["Table Heading" if header else "Table Text"]
            if header:
                shade(cell, "E7E7E7")
            if parts:
                fill(paragraph, parts)

    def loop_row(self, table: Table, tag: str) -> None:
        """A row holding only a docxtpl row tag (`{%tr for ... %}`, `{%tr endfor %}`); docxtpl removes it."""
        assert tag.startswith("{%tr ") and tag.endswith(" %}"), tag
        self.row(table, [[tag]] + [None] * (len(self.widths) - 1))


def fill(paragraph: Paragraph, parts: Sequence[Part]) -> None:
    """Add each part as one run: the whole text of a part, tags included, goes into a single run."""
    for part in parts:
        run = Run(part) if isinstance(part, str) else part
        added = paragraph.add_run(run.text)
        if run.bold:
            added.bold = True
        if run.italic:
            added.italic = True


def shade(cell: _Cell, fill_colour: str) -> None:
    """Give a table cell a background colour."""
    tc_pr = cell._tc.get_or_add_tcPr()
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill_colour)
    tc_pr.append(shading)


def bottom_border(paragraph: Paragraph) -> None:
    """A thin rule under a paragraph (the letterhead)."""
    p_pr = paragraph._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    bottom.set(qn("w:val"), "single")
    bottom.set(qn("w:sz"), "8")
    bottom.set(qn("w:space"), "6")
    bottom.set(qn("w:color"), "000000")
    borders.append(bottom)
    p_pr.append(borders)


def reference_zh(letter: Letter, subject: str, store: str) -> None:
    """The Chinese "Re:" block of a letter: the subject after the English one in a bilingual letter; in a
    Chinese one the subject, the case, the plaintiff and the store (named `store`: 店铺, 被告店铺)."""
    letter.tag("{%p if bilingual %}")
    letter.para(bold(f"事由：\t{subject}"), style="Reference")
    letter.tag("{%p endif %}")
    letter.tag("{%p if zh and not en %}")
    letter.para(bold(f"事由：\t{subject}"), style="Reference")
    letter.para("\t案号：{{ case.number }}（{{ case.court }}）", style="Reference")
    letter.para("\t原告：{{ case.plaintiff }}", style="Reference")
    letter.para(
        f"\t{store}：{{{{ platform_zh }}}}店铺“{{{{ merchant.store_name }}}}”"
        "{% if merchant.store_id %}（店铺ID：{{ merchant.store_id }}）{% endif %}"
        "{% if case.defendant_number %}，附表A第{{ case.defendant_number }}项{% endif %}",
        style="Reference",
    )
    letter.tag("{%p endif %}")
    letter.para("", style="Address Block")


def cell_paragraph(cell: _Cell, *parts: Part, style: str = "Table Text") -> None:
    """Add a further paragraph to a table cell."""
    paragraph = cell.add_paragraph(style=style)
    fill(paragraph, parts)


# --- The letter -----------------------------------------------------------------------------------------


def letterhead(letter: Letter) -> None:
    """Names, address and contact details, centred, with a rule under them."""
    letter.tag("{%p set section = namespace(number=0) %}")
    letter.tag(f"{{%p set platform_en = {PLATFORM_EN} %}}")
    letter.tag(f"{{%p set platform_zh = {PLATFORM_ZH} %}}")
    letter.para("{{ merchant.name_en }}", style="Letterhead Name")
    letter.tag("{%p if merchant.name_zh %}")
    letter.para("{{ merchant.name_zh }}", style="Letterhead Name")
    letter.tag("{%p endif %}")
    letter.tag("{%p if en or not merchant.address_zh %}")
    letter.para("{{ merchant.address }}", style="Letterhead")
    letter.tag("{%p endif %}")
    letter.tag("{%p if zh and merchant.address_zh %}")
    letter.para("{{ merchant.address_zh }}", style="Letterhead")
    letter.tag("{%p endif %}")
    contact = letter.para(
        "{% if en %}Email{% else %}邮箱{% endif %} {{ merchant.email }}   ·   "
        "{% if en %}Tel.{% else %}电话{% endif %} {{ merchant.phone }}",
        style="Letterhead",
    )
    bottom_border(contact)


# Who the letter goes to, per platform (docs/templates.md, "Platform-aware wording"). Each branch sets the
# same names, as Jinja expressions, and the address block, the salutation and the opening use them:
#   team_en, team_zh   the addressee's team or role (a line of the address block)
#   copy_en, copy_zh   who gets a copy ("" for none)
#   dear_en, dear_zh   the salutation
#   why_en, why_zh     a sentence of the opening saying why the letter goes there ("" for none)
#   grant_en, grant_zh what the addressee is asked to do with the requests at the end
# Amazon's notice says it does not answer appeals about a temporary restraining order, so with the
# counsel's email known the letter goes to the plaintiff's counsel, Amazon in copy; AliExpress has a team
# for US TROs that forwards freeze requests to counsel; Alibaba.com and the others: the IP / legal team.
# No `}` or `%` inside (docxtpl's paragraph-tag pattern stops at them), and no curly quotes (docxtpl
# straightens them inside tags).
TO_COUNSEL = 'merchant.platform == "Amazon" and case.counsel.email is not none'


def text(words: str) -> str:
    """`words` as a Jinja string literal, for the expressions of `RECIPIENTS`."""
    assert not set(words) & set('"}%“”‘’'), words
    return f'"{words}"'


PLATFORM_TEAM = {
    "team_en": text("Intellectual Property and Legal Team"),
    "team_zh": "platform_zh ~ " + text("知识产权及法务团队"),
    "copy_en": text(""),
    "copy_zh": text(""),
    "dear_en": text("Dear Sir or Madam,"),
    "dear_zh": text("尊敬的") + " ~ platform_zh ~ " + text("知识产权及法务团队："),
    "why_en": text(""),
    "why_zh": text(""),
    "grant_en": text("grant"),
    "grant_zh": text("准予"),
}
RECIPIENTS: list[tuple[str, str, dict[str, str]]] = [
    (
        "if to_counsel",
        "Amazon, the counsel's email known: to the plaintiff's counsel, Amazon Seller Support in copy",
        {
            "team_en": text("Counsel for Plaintiff ") + " ~ case.plaintiff",
            "team_zh": text("原告") + " ~ case.plaintiff ~ " + text("的代理律师"),
            "copy_en": text("Amazon Seller Support – Legal and Intellectual Property"),
            "copy_zh": text("亚马逊卖家支持（法务及知识产权）"),
            "dear_en": text("Dear Counsel,"),
            "dear_zh": text("尊敬的原告代理律师："),
            "why_en": text(
                "Amazon's notice says it does not respond to appeals about a temporary restraining order, "
                "so we write to you as counsel for the plaintiff, with a copy to Amazon Seller Support."
            ),
            "why_zh": text(
                "亚马逊的通知称其不受理与临时限制令有关的申诉，因此我司致函作为原告代理律师的贵方，"
                "并抄送亚马逊卖家支持。"
            ),
            "grant_en": text("agree to"),
            "grant_zh": text("同意"),
        },
    ),
    (
        'elif merchant.platform == "Amazon"',
        "Amazon, the counsel's email not known: to Amazon, asking it to forward the letter to the counsel",
        PLATFORM_TEAM
        | {
            "why_en": text(
                "Amazon's notice says it does not respond to appeals about a temporary restraining order; if "
                "this letter should go to the plaintiff's counsel, "
            )
            + " ~ case.counsel.firm ~ "
            + text(", we would be grateful if you could forward it to them or tell us how to reach them."),
            "why_zh": text("亚马逊的通知称其不受理与临时限制令有关的申诉；如本函应由原告代理律师")
            + " ~ case.counsel.firm ~ "
            + text("处理，烦请代为转交或告知其联系方式。"),
        },
    ),
    (
        'elif merchant.platform == "AliExpress"',
        "AliExpress: its team for US temporary restraining orders",
        PLATFORM_TEAM
        | {
            "team_en": text("Intellectual Property Team (US temporary restraining orders)"),
            "team_zh": text("速卖通知识产权团队（美国临时限制令案件）"),
            "dear_zh": text("尊敬的速卖通知识产权团队："),
            "why_en": text(
                "We understand that AliExpress has a team that handles US temporary restraining orders and "
                "forwards requests about frozen funds to the plaintiff's counsel, so we address this letter "
                "to that team."
            ),
            "why_zh": text(
                "据我司了解，速卖通设有专门处理美国临时限制令案件的团队，并会将有关冻结资金的请求转交原告代理律师，"
                "故特致函该团队。"
            ),
        },
    ),
    ("else", "Alibaba.com and every other platform: its intellectual-property and legal team", PLATFORM_TEAM),
]


def recipient(letter: Letter) -> None:
    """The per-platform names of `RECIPIENTS`, set once at the top of the letter, one branch per platform."""
    letter.note("Who the letter goes to, per platform: see docs/templates.md, Platform-aware wording")
    letter.tag(f"{{%p set to_counsel = {TO_COUNSEL} %}}")
    for condition, comment, names in RECIPIENTS:
        letter.tag(f"{{%p {condition} %}}")
        letter.note(comment)
        for name, expression in names.items():
            letter.tag(f"{{%p set {name} = {expression} %}}")
    letter.tag("{%p endif %}")


def addressee(letter: Letter) -> None:
    """Date, addressee (the platform's team, or the plaintiff's counsel), copy, reference block, salutation
    and opening."""
    recipient(letter)
    letter.para(
        "{% if en %}{{ letter_date|date_en }}{% endif %}{% if bilingual %} / {% endif %}"
        "{% if zh %}{{ letter_date|date_zh }}{% endif %}",
        style="Date Line",
    )
    letter.tag("{%p if to_counsel and case.counsel.attorney %}")
    letter.para("{{ case.counsel.attorney }}", style="Address Block")
    letter.tag("{%p endif %}")
    letter.tag("{%p if to_counsel %}")
    letter.para("{{ case.counsel.firm }}", style="Address Block")
    letter.tag("{%p endif %}")
    letter.en("{{ team_en }}", style="Address Block")
    letter.tag('{%p if en and not to_counsel and merchant.platform != "Other" %}')
    letter.para("{{ merchant.platform }}", style="Address Block")
    letter.tag("{%p endif %}")
    letter.zh("{{ team_zh }}", style="Address Block")
    letter.tag("{%p if to_counsel %}")
    letter.para(
        "{% if en %}By email: {% else %}电子邮件：{% endif %}{{ case.counsel.email }}", style="Address Block"
    )
    letter.tag("{%p endif %}")
    letter.tag("{%p if copy_en %}")
    letter.para("", style="Address Block")
    letter.en("Copy to: {{ copy_en }}", style="Address Block")
    letter.zh("抄送：{{ copy_zh }}", style="Address Block")
    letter.tag("{%p endif %}")
    letter.para("", style="Address Block")

    letter.tag("{%p if en %}")
    letter.para(bold("Re:\tRequest to lift or narrow the restriction on our store"), style="Reference")
    letter.para("\tCase No. {{ case.number }}, {{ case.court }}", style="Reference")
    letter.para("\tPlaintiff: {{ case.plaintiff }}", style="Reference")
    letter.para(
        "\tStore: {{ merchant.store_name }} on {{ platform_en }}"
        "{% if merchant.store_id %} (ID {{ merchant.store_id }}){% endif %}"
        "{% if case.defendant_number %}; Schedule A, line {{ case.defendant_number }}{% endif %}",
        style="Reference",
    )
    letter.tag("{%p endif %}")
    reference_zh(letter, "申请解除或缩小对我司店铺的限制", "店铺")

    letter.en("{{ dear_en }}")
    letter.zh("{{ dear_zh }}")
    letter.en(
        "We write on behalf of {{ merchant.name_en }} about the restriction placed on our store "
        "“{{ merchant.store_name }}” in connection with the case referred to above. "
        "{% if why_en %}{{ why_en }} {% endif %}"
        "We respectfully ask you to review the restriction in the light of the facts and documents set out "
        "below, and to {{ grant_en }} the requests at the end of this letter."
    )
    letter.zh(
        "我司谨就上述案件项下我司店铺“{{ merchant.store_name }}”受到的限制致函贵方。{{ why_zh }}"
        "恳请贵方根据下文所述事实及所附证据对该限制予以复核，并{{ grant_zh }}本函末尾所列请求。"
    )


def who_we_are(letter: Letter) -> None:
    """Section 1: the merchant and its store."""
    letter.heading("Who we are", "我司简介")
    letter.en(
        "{{ merchant.name_en }}{% if merchant.name_zh %} ({{ merchant.name_zh }}){% endif %} is a company "
        "with its registered address at {{ merchant.address }}. We operate the store "
        "“{{ merchant.store_name }}” on {{ platform_en }}"
        "{% if merchant.store_id %} (store ID {{ merchant.store_id }}){% endif %}"
        "{% if merchant.store_url %}, {{ merchant.store_url }}{% endif %}. "
        "{{ merchant.contact_person }}{% if merchant.contact_title %}, our {{ merchant.contact_title }},"
        "{% endif %} is responsible for this matter."
    )
    letter.zh(
        "{{ merchant.name_zh or merchant.name_en }}{% if merchant.name_zh %}（{{ merchant.name_en }}）"
        "{% endif %}注册地址为{{ merchant.address_zh or merchant.address }}，在{{ platform_zh }}经营店铺"
        "“{{ merchant.store_name }}”{% if merchant.store_id %}（店铺ID：{{ merchant.store_id }}）{% endif %}"
        "{% if merchant.store_url %}，店铺网址为 {{ merchant.store_url }}{% endif %}。本事项由"
        "{% if contact_title_zh %}我司{{ contact_title_zh }}{% endif %}"
        "{{ merchant.contact_person_zh or merchant.contact_person }}负责。"
    )


def the_case(letter: Letter) -> None:
    """Section 2: the case, the order, the freeze, the rights asserted and the key dates."""
    letter.heading("The case", "案件情况")
    letter.en(
        "On {{ case.notified_date|date_en }} we learned that our store had been restricted in connection "
        "with Case No. {{ case.number }}, brought by {{ case.plaintiff }} in the {{ case.court }}"
        "{% if case.defendant_number %}, in which our store appears as line {{ case.defendant_number }} "
        "of Schedule A{% endif %}."
        "{% if case.tro_date %} The temporary restraining order was entered on "
        "{{ case.tro_date|date_en }}.{% endif %}"
        "{% if not to_counsel %} The plaintiff is represented by {{ case.counsel.firm }}"
        "{% if case.counsel.attorney %} ({{ case.counsel.attorney }}){% endif %}"
        "{% if case.counsel.email %}, {{ case.counsel.email }}{% endif %}.{% endif %}"
        "{% if case.amount_frozen %} {{ case.amount_frozen|money }} of our account balance is frozen."
        "{% endif %}"
        "{% if case.restricted_functions %} The following functions of our store are restricted: "
        '{{ case.restricted_functions|join("; ") }}.{% endif %}'
        "{% if case.ip_rights %} The plaintiff relies on "
        "{% for right in case.ip_rights %}{{ right.kind }} "
        f"{{{{ {NUMBER_EN} }}}}"
        " {{ right.registration_number }} ({{ right.mark }})"
        '{% if not loop.last %}{{ "; " if loop.revindex > 2 else " and " }}{% endif %}{% endfor %}.'
        "{% endif %}"
    )
    letter.zh(
        "我司于{{ case.notified_date|date_zh }}获悉，因{{ case.plaintiff }}在{{ case.court }}提起的诉讼"
        "（案号 {{ case.number }}），我司店铺受到限制"
        "{% if case.defendant_number %}；我司店铺列于附表A第{{ case.defendant_number }}项{% endif %}。"
        "{% if case.tro_date %}法院于{{ case.tro_date|date_zh }}作出临时限制令。{% endif %}"
        "{% if not to_counsel %}原告的代理律所为{{ case.counsel.firm }}"
        "{% if case.counsel.attorney %}（{{ case.counsel.attorney }}）{% endif %}"
        "{% if case.counsel.email %}，邮箱 {{ case.counsel.email }}{% endif %}。{% endif %}"
        "{% if case.amount_frozen %}我司账户余额中{{ case.amount_frozen|money }}已被冻结。{% endif %}"
        "{% if case.restricted_functions %}店铺受限功能："
        '{{ (case.restricted_functions_zh or case.restricted_functions)|join("；") }}。'
        "{% endif %}"
        "{% if case.ip_rights %}原告主张的权利为："
        "{% for right in case.ip_rights %}"
        f"{{{{ {KIND_ZH} }}}}"
        "“{{ right.mark }}”（"
        f"{{{{ {NUMBER_ZH} }}}}"
        "：{{ right.registration_number }}）{% if not loop.last %}；{% endif %}{% endfor %}。"
        "{% endif %}"
    )

    key_dates(letter)


DAYS_LEFT_EN = (
    "{% if d.days_left > 0 %}in {{ d.days_left }} day{{ '' if d.days_left == 1 else 's' }}"
    "{% elif d.days_left == 0 %}today{% else %}passed{% endif %}"
)
DAYS_LEFT_ZH = (
    "{% if d.days_left > 0 %}还有{{ d.days_left }}天{% elif d.days_left == 0 %}即今日{% else %}已过"
    "{% endif %}"
)


def key_dates(letter: Letter) -> None:
    """The key dates of the case (`key_dates`: TRO expiry, hearing, answer), each with its rule, as a list."""
    letter.tag("{%p if key_dates %}")
    letter.en(
        bold("Key dates"),
        " as of the date of this letter, computed from the dates we know (not legal advice; the docket "
        "governs):",
        keep_with_next=True,
    )
    letter.zh(
        bold("关键日期"),
        "（截至本函日期，根据我司所知日期计算，不构成法律意见，以法院案卷为准）：",
        keep_with_next=True,
    )
    letter.tag("{%p for d in key_dates %}")
    letter.en(
        "•",
        "\t",
        bold("{{ d.date|date_en }}"),
        ": {{ d.name }} (" + DAYS_LEFT_EN + "; {{ d.rule }}: {{ d.basis }})."
        "{% if d.warning %} Warning: {{ d.warning }}.{% endif %}",
        style="Numbered",
    )
    letter.zh(
        "•",
        "\t",
        bold("{{ d.date|date_zh }}"),
        "：{{ d.name_zh }}（" + DAYS_LEFT_ZH + "；{{ d.rule }}：{{ d.basis_zh }}）。"
        "{% if d.warning_zh %}注意：{{ d.warning_zh }}。{% endif %}",
        style="Numbered",
    )
    letter.tag("{%p endfor %}")
    letter.tag("{%p endif %}")


def listings(letter: Letter) -> None:
    """Section 3: the listings table (a docxtpl row loop) and the accused sales."""
    letter.tag("{%p if products %}")
    letter.heading("Our listings", "涉案商品链接")
    letter.en("The listings concerned and their sales to the United States:", keep_with_next=True)
    letter.zh("相关商品链接及其对美国的销售情况如下：", keep_with_next=True)
    table = letter.table([1.35, 2.55, 0.95, 0.7, 0.95])
    letter.row(
        table,
        [
            [both("Listing ID", "商品ID")],
            [both("Title", "商品名称")],
            [both("Named in the case", "是否涉案")],
            [both("US units", "对美销量")],
            [both("US revenue", "对美销售额")],
        ],
        header=True,
    )
    letter.loop_row(table, "{%tr for p in products %}")
    letter.row(
        table,
        [
            ["{{ p.listing_id }}"],
            ["{% if en or not p.title_zh %}{{ p.title }}{% else %}{{ p.title_zh }}{% endif %}"],
            [
                "{% if p.accused %}{% if en %}Yes{% endif %}{% if bilingual %} / {% endif %}"
                "{% if zh %}是{% endif %}{% else %}{% if en %}No{% endif %}{% if bilingual %} / {% endif %}"
                "{% if zh %}否{% endif %}{% endif %}"
            ],
            ["{{ p.units_sold }}"],
            ["{{ p.revenue|money(p.currency) }}"],
        ],
    )
    title_cell = table.rows[-1].cells[1]
    cell_paragraph(title_cell, "{%p if zh and p.title_zh %}")
    cell_paragraph(title_cell, "{% if en %}{{ p.title_zh }}{% else %}{{ p.title }}{% endif %}")
    cell_paragraph(title_cell, "{%p endif %}")
    for column in (3, 4):
        table.rows[-1].cells[column].paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
    for column in (3, 4):
        table.rows[0].cells[column].paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
    letter.loop_row(table, "{%tr endfor %}")
    letter.para("", style="Table Text")
    letter.tag("{%p if accused_products %}")
    letter.en(
        "In total, our listing{{ 's' if accused_products|length > 1 else '' }} named in the case sold "
        "{{ accused_units }} unit{{ '' if accused_units == 1 else 's' }} to the United States"
        "{% if accused_revenue %}, for {{ accused_revenue|money }}{% endif %}."
    )
    letter.zh(
        "涉案链接对美国累计销售{{ accused_units }}件"
        "{% if accused_revenue %}，销售额合计{{ accused_revenue|money }}{% endif %}。"
    )
    letter.tag("{%p endif %}")
    letter.tag("{%p endif %}")


GROUNDS: list[tuple[str, str, str, str, str]] = [
    (
        "authorised_reseller",
        "Authorised reseller. ",
        "We sell the products at issue as an authorised reseller: we buy them from our supplier and "
        "resell them with its written authorisation.",
        "经授权销售：",
        "我司系经授权的经销商，涉案商品采购自供应商，并经其书面授权转售。",
    ),
    (
        "own_brand",
        "Our own brand. ",
        "The products at issue are sold under our own brand, to which we hold our own rights.",
        "自有品牌：",
        "涉案商品以我司自有品牌销售，我司对该品牌享有相应权利。",
    ),
    (
        "not_accused_product",
        "Not the accused product. ",
        "The products we sell through our listings named in this case are not the products the plaintiff "
        "accuses, and they do not use the rights the plaintiff asserts.",
        "非被控商品：",
        "我司被列入本案的链接所售商品并非原告所指控的商品，亦未使用原告所主张的权利。",
    ),
    (
        "no_us_sales",
        "No sales to the United States. ",
        "We have made no sales of the products at issue to the United States.",
        "未向美国销售：",
        "涉案商品从未向美国销售。",
    ),
    (
        "listing_removed",
        "Listings removed. ",
        "The listings at issue have been removed from our store and are no longer offered for sale.",
        "链接已下架：",
        "涉案链接已从我司店铺下架，不再销售。",
    ),
    (
        "freeze_excessive",
        "The freeze exceeds the accused sales. ",
        "{% if case.amount_frozen %}{{ case.amount_frozen|money }} of our balance is frozen"
        "{% else %}Our balance is frozen{% endif %}"
        "{% if accused_revenue %}, while the sales of our listings named in the case to the United States "
        "amount to "
        "{{ accused_revenue|money }}{% if accused_units %} ({{ accused_units }} units){% endif %}"
        "{% endif %}. "
        "We ask that any freeze be limited to an amount that reflects the accused sales.",
        "冻结金额超出涉案销售额：",
        "{% if case.amount_frozen %}我司账户余额中{{ case.amount_frozen|money }}被冻结"
        "{% else %}我司账户余额被冻结{% endif %}"
        "{% if accused_revenue %}，而涉案商品对美国的销售额仅为{{ accused_revenue|money }}"
        "{% if accused_units %}（{{ accused_units }}件）{% endif %}{% endif %}。"
        "我司请求将冻结金额限制在与涉案销售额相当的范围内。",
    ),
]


def position(letter: Letter) -> None:
    """Section 4: a standard paragraph per ground, then the merchant's statement paragraph by paragraph."""
    letter.heading("Our position", "我司意见")
    for key, title_en, text_en, title_zh, text_zh in GROUNDS:
        letter.tag(f'{{%p if "{key}" in grounds %}}')
        letter.en(bold(title_en), text_en)
        letter.zh(bold(title_zh), text_zh)
        letter.tag("{%p endif %}")
    letter.tag("{%p if en or not position.statement_zh %}")
    letter.tag("{%p for para in position.statement|paragraphs %}")
    letter.para("{{ para }}")
    letter.tag("{%p endfor %}")
    letter.tag("{%p endif %}")
    letter.tag("{%p if zh and position.statement_zh %}")
    letter.tag("{%p for para in position.statement_zh|paragraphs %}")
    letter.para("{{ para }}")
    letter.tag("{%p endfor %}")
    letter.tag("{%p endif %}")


def evidence(letter: Letter) -> None:
    """Section 5: the exhibits (a docxtpl row loop)."""
    letter.tag("{%p if exhibits %}")
    letter.heading("Evidence", "证据")
    letter.en(
        "We enclose the following documents. The enclosed evidence index describes each of them and gives "
        "the SHA-256 fingerprint of each file.",
        keep_with_next=True,
    )
    letter.zh("随函附上下列证据。所附证据目录载有各证据的说明及其文件的SHA-256值。", keep_with_next=True)
    table = letter.table([1.05, 4.0, 1.45])
    headings = [both("Exhibit", "证据编号"), both("Document", "证据名称"), both("Date", "日期")]
    letter.row(table, [[heading] for heading in headings], header=True)
    letter.loop_row(table, "{%tr for exhibit in exhibits %}")
    letter.row(
        table,
        [
            [
                "{% if en %}{{ exhibit.label }}{% endif %}{% if bilingual %}\n{% endif %}"
                "{% if zh %}{{ exhibit.label_zh }}{% endif %}"
            ],
            [
                "{% if en or not exhibit.title_zh %}{{ exhibit.title }}"
                "{% else %}{{ exhibit.title_zh }}{% endif %}"
            ],
            [
                "{% if exhibit.date %}{% if en %}{{ exhibit.date|date_en }}{% else %}"
                "{{ exhibit.date|date_zh }}{% endif %}{% else %}–{% endif %}"
            ],
        ],
    )
    title_cell = table.rows[-1].cells[1]
    cell_paragraph(title_cell, "{%p if zh and exhibit.title_zh %}")
    cell_paragraph(title_cell, "{% if en %}{{ exhibit.title_zh }}{% else %}{{ exhibit.title }}{% endif %}")
    cell_paragraph(title_cell, "{%p endif %}")
    letter.loop_row(table, "{%tr endfor %}")
    letter.para("", style="Table Text")
    letter.tag("{%p endif %}")


def requests(letter: Letter) -> None:
    """Section 6: the numbered requests."""
    letter.heading("Our requests", "我司请求")
    letter.en("We therefore respectfully ask you to:", keep_with_next=True)
    letter.zh("综上，我司恳请贵方：", keep_with_next=True)
    letter.tag("{%p for request in requests %}")
    letter.tag("{%p if en or not request.text_zh %}")
    letter.para("{{ loop.index }}.", "\t", "{{ request.text }}", style="Numbered")
    letter.tag("{%p endif %}")
    letter.tag("{%p if zh and request.text_zh %}")
    letter.para(
        "{% if not en %}{{ loop.index }}.{% endif %}", "\t", "{{ request.text_zh }}", style="Numbered"
    )
    letter.tag("{%p endif %}")
    letter.tag("{%p endfor %}")


def closing(letter: Letter) -> None:
    """Closing paragraph, sign-off, signature block and enclosures."""
    letter.en(
        "We would be grateful for your prompt review, and will gladly provide any further information or "
        "documents you need. Please contact {{ merchant.contact_person }} at {{ merchant.email }} or "
        "{{ merchant.phone }}. Thank you for your attention to this matter.",
        style="Closing",
    )
    letter.zh(
        "恳请贵方尽快审核。如需任何补充信息或文件，我司将积极配合；请联系"
        "{{ merchant.contact_person_zh or merchant.contact_person }}（邮箱：{{ merchant.email }}，"
        "电话：{{ merchant.phone }}）。感谢贵方对此事的关注。",
        style="Closing",
    )
    letter.en("Sincerely,", style="Signature", keep_with_next=True)
    letter.tag("{%p if zh %}")
    letter.para("此致", style="Signature", keep_with_next=True)
    letter.para("敬礼！", style="Signature", keep_with_next=True)
    letter.tag("{%p endif %}")
    for _ in range(2):
        letter.para("", style="Signature", keep_with_next=True)
    letter.para("______________________________", style="Signature", keep_with_next=True)
    letter.para(
        bold("{{ merchant.contact_person }}"),
        "{% if zh and merchant.contact_person_zh %} {{ merchant.contact_person_zh }}{% endif %}",
        style="Signature",
        keep_with_next=True,
    )
    signatory_title(letter)
    letter.para("{{ merchant.name_en }}", style="Signature", keep_with_next=True)
    letter.tag("{%p if merchant.name_zh %}")
    letter.para("{{ merchant.name_zh }}", style="Signature", keep_with_next=True)
    letter.tag("{%p endif %}")
    letter.para("{{ merchant.email }}   ·   {{ merchant.phone }}", style="Signature")
    enclosures(letter)


def signatory_title(letter: Letter) -> None:
    """The signatory's position under the name: in English, in Chinese (`contact_title_zh`, else the
    English) in a Chinese letter, both in a bilingual one, as the name above it."""
    letter.tag("{%p if merchant.contact_title or (zh and contact_title_zh) %}")
    letter.para(
        "{% if en or not contact_title_zh %}{{ merchant.contact_title }}{% endif %}"
        "{% if zh and contact_title_zh %}{% if en and merchant.contact_title %} {% endif %}"
        "{{ contact_title_zh }}{% endif %}",
        style="Signature",
        keep_with_next=True,
    )
    letter.tag("{%p endif %}")


def enclosures(letter: Letter) -> None:
    """What the bundle holds after the letter, in its order: the request for case details and the evidence
    index always, the request to narrow the freeze and the declaration when the case makes them, then the
    exhibits (`pipeline.render.documents_of`)."""
    letter.para(
        "{% if en %}Enclosures: request for case details; evidence index"
        "{% if bundle.freeze_narrowing %}; request to narrow the asset freeze; declaration under 28 U.S.C. "
        "§ 1746{% endif %}"
        "{% if exhibits|length > 1 %}; Exhibits {{ exhibits[0].key }} to {{ exhibits[-1].key }}"
        "{% elif exhibits %}; {{ exhibits[0].label }}{% endif %}{% endif %}"
        "{% if bilingual %}\n{% endif %}"
        "{% if zh %}附件：案件信息查询函；证据目录"
        "{% if bundle.freeze_narrowing %}；缩小资产冻结范围的请求；声明书（28 U.S.C. § 1746）{% endif %}"
        "{% if exhibits|length > 1 %}；{{ exhibits[0].label_zh }}至{{ exhibits[-1].label_zh }}"
        "{% elif exhibits %}；{{ exhibits[0].label_zh }}{% endif %}{% endif %}",
        style="Small Print",
    )


def drop_thumbnail(document: DocumentObject) -> None:
    """Drop python-docx's stock thumbnail (a picture of some other page) from the package."""
    package = document.part.package
    for key, relationship in list(package.rels.items()):
        if relationship.reltype.endswith("/metadata/thumbnail"):
            package.rels.pop(key)


def new_document(**properties: str) -> Letter:
    """An empty template with the letter's styles, page and (fixed) properties."""
    document = Document()
    drop_thumbnail(document)
    make_styles(document)
    set_page(document)
    set_properties(document, **properties)
    body = document.element.body
    for paragraph in list(body.iterchildren(qn("w:p"))):
        body.remove(paragraph)
    return Letter(document)


def build() -> DocumentObject:
    """The whole template of the appeal letter."""
    letter = new_document()
    letterhead(letter)
    addressee(letter)
    who_we_are(letter)
    the_case(letter)
    listings(letter)
    position(letter)
    evidence(letter)
    requests(letter)
    closing(letter)
    return letter.document


def deterministic_bytes(document: DocumentObject) -> bytes:
    """The .docx with every zip entry stamped with the same time, so equal content gives equal bytes."""
    raw = io.BytesIO()
    document.save(raw)
    source = zipfile.ZipFile(io.BytesIO(raw.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            info = zipfile.ZipInfo(item.filename, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            target.writestr(info, source.read(item.filename))
    return out.getvalue()


def main(argv: Sequence[str] | None = None) -> None:
    """Write the templates (by default into templates/): the appeal letter, the request to narrow the asset
    freeze and the declaration."""
    from narrowing_templates import build_declaration, build_request  # they use this module's helpers

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path, default=FOLDER, help="where to write the .docx files")
    args = parser.parse_args(argv)
    for name, make in (
        ("appeal_letter.docx", build),
        ("narrowing_request.docx", build_request),
        ("declaration.docx", build_declaration),
    ):
        (args.folder / name).write_bytes(deterministic_bytes(make()))
        print(f"wrote {args.folder / name}")


if __name__ == "__main__":
    main()
