"""The Word templates of freeze narrowing, built by `make_templates.py` with the appeal letter's styles:

- `narrowing_request.docx`: the letter to the plaintiff's counsel asking to narrow the asset freeze to the
  revenue of the accused listings, citing the figures and their source, with the declaration enclosed;
- `declaration.docx`: the declaration of the merchant's signatory under 28 U.S.C. § 1746 stating the
  company, the store, the accused listings, their sales and the source of the figures, and the amount
  frozen; numbered paragraphs, the statutory sentence, "Executed on ... at ...", signature lines; in
  bilingual documents a certificate of translation with its own signature line.

The variables (`sales`, `declaration`, ...) are listed in docs/templates.md. The declaration is the
signatory's own statement: it holds no advice or comment of the tool's; the request says in its small
print that it is not legal advice.
"""

from __future__ import annotations

from docx.document import Document as DocumentObject
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Inches
from docx.table import _Cell
from make_templates import (
    PLATFORM_EN,
    PLATFORM_ZH,
    Letter,
    bold,
    both,
    cell_paragraph,
    letterhead,
    new_document,
    paragraph_style,
    reference_zh,
    signatory_title,
)

PERJURY = (
    "I declare under penalty of perjury under the laws of the United States of America that the foregoing "
    "is true and correct."
)
"""The form of 28 U.S.C. § 1746(1), for a declaration signed outside the United States: word for word."""
PERJURY_ZH = "本人依据美利坚合众国法律，在伪证罪处罚下声明：前述内容真实、正确。"
BLANK = "______________________________"

# Jinja pieces used in several sentences.
S = "{{ 's' if sales.rows|length > 1 else '' }}"
UNITS = "{{ sales.units }} unit{{ '' if sales.units == 1 else 's' }}"
TOTALS = "{% for t in sales.totals %}{{ t|money }}{% if not loop.last %} and {% endif %}{% endfor %}"
TOTALS_ZH = "{% for t in sales.totals %}{{ t|money }}{% if not loop.last %}及{% endif %}{% endfor %}"
TO = "{% if sales.destination %} to {{ sales.destination }}{% endif %}"
TO_ZH = "{% if sales.destination_zh %}对{{ sales.destination_zh }}{% endif %}"
OF_ZH = "{% if sales.period_start or sales.period_end or sales.destination_zh %}的{% endif %}"
"""的 after a period or a destination only (本案涉案的店铺链接及其销售情况, not 及其的销售情况)."""
PERIOD = (
    "{% if sales.period_start and sales.period_end %} from {{ sales.period_start|date_en }} to "
    "{{ sales.period_end|date_en }}{% elif sales.period_start %} since {{ sales.period_start|date_en }}"
    "{% elif sales.period_end %} up to {{ sales.period_end|date_en }}{% endif %}"
)
PERIOD_ZH = (
    "{% if sales.period_start and sales.period_end %}在{{ sales.period_start|date_zh }}至"
    "{{ sales.period_end|date_zh }}期间{% elif sales.period_start %}自{{ sales.period_start|date_zh }}起"
    "{% elif sales.period_end %}截至{{ sales.period_end|date_zh }}{% endif %}"
)
ORDERS_DATED = (
    "{% if sales.first_order %} The order lines counted are dated from {{ sales.first_order|date_en }} to "
    "{{ sales.last_order|date_en }}.{% endif %}"
)
ORDERS_DATED_ZH = (
    "{% if sales.first_order %}计入的订单日期为{{ sales.first_order|date_zh }}至"
    "{{ sales.last_order|date_zh }}。{% endif %}"
)
NO_SALES = "(sales.total and sales.total.amount == 0)"


def styles(letter: Letter) -> None:
    """The styles these documents add to the letter's: the caption, the title, the declaration's text."""
    document = letter.document
    paragraph_style(document, "Caption", after=0, line=1.0)
    paragraph_style(document, "Court", size=12, bold=True, after=0, line=1.0,
                    align=WD_ALIGN_PARAGRAPH.CENTER, keep_with_next=True)  # fmt: skip
    paragraph_style(document, "Document Title", size=12, bold=True, before=12, after=2, line=1.0,
                    align=WD_ALIGN_PARAGRAPH.CENTER, keep_with_next=True)  # fmt: skip
    paragraph_style(document, "Document Subtitle", after=12, line=1.0, align=WD_ALIGN_PARAGRAPH.CENTER)
    paragraph_style(document, "Declaration Text", after=8, line=1.5, first_line=0.5)


def sales_table(letter: Letter) -> None:
    """The accused listings with their orders, units and revenue, and a total row per currency."""
    table = letter.table([1.35, 2.5, 0.95, 0.7, 1.0])
    letter.row(
        table,
        [
            [both("Listing ID", "商品ID")],
            [both("Title", "商品名称")],
            [both("Order lines", "订单行数")],
            [both("Units", "销量")],
            [both("Revenue", "销售额")],
        ],
        header=True,
    )
    letter.loop_row(table, "{%tr for row in sales.rows %}")
    letter.row(
        table,
        [
            ["{{ row.listing_id }}"],
            ["{% if en or not row.title_zh %}{{ row.title }}{% else %}{{ row.title_zh }}{% endif %}"],
            ["{{ '–' if row.orders is none else row.orders }}"],
            ["{{ row.units }}"],
            ["{{ row.amount|money }}"],
        ],
    )
    title = table.rows[-1].cells[1]
    cell_paragraph(title, "{%p if zh and en and row.title_zh %}")
    cell_paragraph(title, "{{ row.title_zh }}")
    cell_paragraph(title, "{%p endif %}")
    letter.loop_row(table, "{%tr endfor %}")
    letter.row(
        table,
        [
            [bold(both("Total", "合计"))],
            None,
            [bold("{{ sales.rows_counted if sales.from_export else '–' }}")],
            [bold("{{ sales.units }}")],
            [bold("{% for t in sales.totals %}{{ t|money }}{% if not loop.last %}\n{% endif %}{% endfor %}")],
        ],
    )
    for row in table.rows:
        for column in (2, 3, 4):
            row.cells[column].paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
    letter.para("", style="Table Text")


def source_note(letter: Letter) -> None:
    """Where the figures come from: the file and the lines counted and left out, or case.yaml."""
    letter.en(
        "Source of the figures: {{ sales.source }}"
        "{% if sales.exhibit %} ({{ sales.exhibit.label }}){% endif %}.",
        style="Small Print",
    )
    letter.zh(
        "数据来源：{{ sales.source_zh }}{% if sales.exhibit %}（{{ sales.exhibit.label_zh }}）{% endif %}。",
        style="Small Print",
    )


# --- The request to narrow the asset freeze -------------------------------------------------------------


def request_addressee(letter: Letter) -> None:
    """Date, the plaintiff's counsel, reference block and salutation."""
    letter.para(
        "{% if en %}{{ letter_date|date_en }}{% endif %}{% if bilingual %} / {% endif %}"
        "{% if zh %}{{ letter_date|date_zh }}{% endif %}",
        style="Date Line",
    )
    letter.tag("{%p if case.counsel.attorney %}")
    letter.para("{{ case.counsel.attorney }}", style="Address Block")
    letter.tag("{%p endif %}")
    letter.para("{{ case.counsel.firm }}", style="Address Block")
    letter.para(
        "{% if en %}Counsel for Plaintiff {{ case.plaintiff }}{% endif %}{% if bilingual %} / {% endif %}"
        "{% if zh %}原告{{ case.plaintiff }}的代理律师{% endif %}",
        style="Address Block",
    )
    letter.tag("{%p if case.counsel.email %}")
    letter.para(
        "{% if en %}By email: {% else %}电子邮件：{% endif %}{{ case.counsel.email }}", style="Address Block"
    )
    letter.tag("{%p endif %}")
    letter.para("", style="Address Block")

    store_en = (
        "\tDefendant: {{ merchant.store_name }} on {{ platform_en }}"
        "{% if merchant.store_id %} (ID {{ merchant.store_id }}){% endif %}"
        "{% if case.defendant_number %}; Schedule A, line {{ case.defendant_number }}{% endif %}"
    )
    letter.tag("{%p if en %}")
    letter.para(bold("Re:\tRequest to narrow the asset freeze to the accused revenue"), style="Reference")
    letter.para(
        "\t{{ case.plaintiff }} v. The Partnerships and Unincorporated Associations Identified on "
        "Schedule “A”",
        style="Reference",
    )
    letter.para("\tCase No. {{ case.number }}, {{ case.court }}", style="Reference")
    letter.para(store_en, style="Reference")
    letter.tag("{%p endif %}")
    reference_zh(letter, "申请将资产冻结范围缩小至涉案销售额", "被告店铺")
    letter.en("Dear Counsel:")
    letter.zh("尊敬的原告代理律师：")


def request_opening(letter: Letter) -> None:
    """Who writes, the freeze, and what is asked."""
    letter.en(
        "We write on behalf of {{ merchant.name_en }}, which operates the store “{{ merchant.store_name }}” "
        "on {{ platform_en }}{% if case.defendant_number %}, listed as line {{ case.defendant_number }} of "
        "Schedule A{% endif %} in the case above."
        "{% if case.amount_frozen %} Under the temporary restraining order"
        "{% if case.tro_date %} entered on {{ case.tro_date|date_en }}{% endif %}, {{ platform_en }} has "
        "frozen {{ case.amount_frozen|money }} of the store's balance.{% endif %}"
        " We ask you to agree to narrow the asset freeze to the revenue of the accused listing" + S + ", "
        "for the reasons set out below."
    )
    letter.zh(
        "我司{{ merchant.name_zh or merchant.name_en }}在{{ platform_zh }}经营店铺“{{ merchant.store_name }}”"
        "{% if case.defendant_number %}，该店铺列于上述案件附表A第{{ case.defendant_number }}项{% endif %}。"
        "{% if case.amount_frozen %}根据法院"
        "{% if case.tro_date %}于{{ case.tro_date|date_zh }}作出的{% endif %}临时限制令，"
        "{{ platform_zh }}已冻结该店铺余额{{ case.amount_frozen|money }}。{% endif %}"
        "现基于下述理由，请求贵方同意将资产冻结范围缩小至涉案链接的销售额。"
    )


def request_sales(letter: Letter) -> None:
    """Section 1: the accused sales, their table and their source."""
    letter.heading("The sales of the accused listing" + S, "涉案链接的销售情况")
    letter.tag("{%p if sales.rows %}")
    letter.en(
        "Our records show the following sales of the accused listing" + S + TO + PERIOD + ":",
        keep_with_next=True,
    )
    letter.zh("根据我司记录，涉案链接" + PERIOD_ZH + TO_ZH + "的销售情况如下：", keep_with_next=True)
    sales_table(letter)
    letter.en(
        "In total, the accused listing" + S + " sold " + UNITS + TO + " for " + TOTALS
        + "{% if sales.mixed %} (in different currencies, which are not added together){% endif %}."
    )  # fmt: skip
    letter.zh(
        "涉案链接" + TO_ZH + "合计销售{{ sales.units }}件，销售额合计" + TOTALS_ZH
        + "{% if sales.mixed %}（币种不同，未合并计算）{% endif %}。"
    )  # fmt: skip
    letter.tag("{%p else %}")
    letter.en("No listing of our store has been identified to us as accused in this case.")
    letter.zh("目前我司尚未获知本案中被指控的店铺链接。")
    letter.tag("{%p endif %}")
    source_note(letter)


def request_frozen(letter: Letter) -> None:
    """Section 2: the amount frozen, set against the accused revenue."""
    letter.tag("{%p if sales.frozen %}")
    letter.heading("The amount frozen", "冻结金额")
    letter.en(
        "{{ sales.frozen|money }} of our store's balance is frozen."
        "{% if sales.comparable and sales.excess.amount > 0 %} That is {{ sales.excess|money }} more than "
        "the revenue of the accused listing" + S + " ({{ sales.total|money }})."
        "{% elif sales.comparable %} That does not exceed the revenue of the accused listing" + S + " "
        "({{ sales.total|money }})."
        "{% elif sales.mixed %} The revenue of the accused listings is in more than one currency, so the two "
        "are not compared here."
        "{% else %} The revenue of the accused listing" + S + " is in {{ sales.totals[0].currency }}, the "
        "frozen amount in {{ sales.frozen.currency }}; they are not converted or compared here.{% endif %}"
    )
    letter.zh(
        "我司店铺余额中{{ sales.frozen|money }}被冻结。"
        "{% if sales.comparable and sales.excess.amount > 0 %}该金额比涉案链接的销售额"
        "（{{ sales.total|money }}）多{{ sales.excess|money }}。"
        "{% elif sales.comparable %}该金额未超过涉案链接的销售额（{{ sales.total|money }}）。"
        "{% elif sales.mixed %}涉案链接的销售额涉及多种币种，此处不作比较。"
        "{% else %}涉案链接的销售额以{{ sales.totals[0].currency }}计，"
        "冻结金额以{{ sales.frozen.currency }}计，此处不作换算或比较。{% endif %}"
    )
    letter.tag("{%p endif %}")


def request_ask(letter: Letter) -> None:
    """Section 3: the request, and the enclosed declaration."""
    letter.heading("Our request", "我司请求")
    letter.en(
        "{% if " + NO_SALES + " %}As the accused listing" + S + " made no sales" + TO + ", we ask you to "
        "agree to release the asset freeze on our store"
        "{% else %}We ask you to agree to narrow the asset freeze on our store to "
        "{% if sales.total %}{{ sales.total|money }}, {% endif %}the revenue of the accused listing"
        + S
        + "{% if sales.comparable and sales.excess.amount > 0 %}, so that the remaining "
        "{{ sales.excess|money }} is released{% endif %}{% endif %}; and to inform {{ platform_en }}, so "
        "that it can lift the restriction accordingly."
    )
    letter.zh(
        "{% if " + NO_SALES + " %}鉴于涉案链接" + TO_ZH + "并无销售，我司请求贵方同意解除对我司店铺的资产冻结"
        "{% else %}我司请求贵方同意将对我司店铺的资产冻结范围缩小至涉案链接的销售额"
        "{% if sales.total %}{{ sales.total|money }}{% endif %}"
        "{% if sales.comparable and sales.excess.amount > 0 %}，解除其余{{ sales.excess|money }}的冻结"
        "{% endif %}{% endif %}；并通知{{ platform_zh }}据此解除相应限制。"
    )
    letter.en(
        "The enclosed declaration of {{ declaration.name }}{% if declaration.title %}, our "
        "{{ declaration.title }},{% endif %} made under 28 U.S.C. § 1746, states these facts"
        "{% if sales.exhibit %}; the sales records are {{ sales.exhibit.label }}{% endif %}. We will gladly "
        "provide any further records you need. Please reply to {{ merchant.email }}."
    )
    letter.zh(
        "随函附上{% if declaration.title_zh %}我司{{ declaration.title_zh }}{% endif %}"
        "{{ declaration.name_zh or declaration.name }}依据28 U.S.C. § 1746作出的声明，载明上述事实"
        "{% if sales.exhibit %}；销售记录见{{ sales.exhibit.label_zh }}{% endif %}。"
        "如需其他记录，我司将积极配合。请回复至 {{ merchant.email }}。"
    )


def request_closing(letter: Letter) -> None:
    """Sign-off, signature block, enclosure and the small print."""
    letter.en("Sincerely,", style="Signature", keep_with_next=True)
    letter.tag("{%p if zh %}")
    letter.para("此致", style="Signature", keep_with_next=True)
    letter.para("敬礼！", style="Signature", keep_with_next=True)
    letter.tag("{%p endif %}")
    for _ in range(2):
        letter.para("", style="Signature", keep_with_next=True)
    letter.para(BLANK, style="Signature", keep_with_next=True)
    letter.para(
        bold("{{ merchant.contact_person }}"),
        "{% if zh and merchant.contact_person_zh %} {{ merchant.contact_person_zh }}{% endif %}",
        style="Signature",
        keep_with_next=True,
    )
    signatory_title(letter)
    letter.para("{{ merchant.name_en }}", style="Signature", keep_with_next=True)
    letter.para("{{ merchant.email }}   ·   {{ merchant.phone }}", style="Signature")
    letter.para(
        "{% if en %}Enclosure: Declaration of {{ declaration.name }} under 28 U.S.C. § 1746{% endif %}"
        "{% if bilingual %}\n{% endif %}"
        "{% if zh %}附件：{{ declaration.name_zh or declaration.name }}声明书（28 U.S.C. § 1746）{% endif %}",
        style="Small Print",
    )
    letter.en(
        "The figures are totals of the records named as their source. This letter sets out our facts and "
        "our request; it was prepared with build-appeal and is not legal advice.",
        style="Small Print",
    )
    letter.zh(
        "上述数据为所列来源记录的合计。本函陈述我司的事实及请求，由build-appeal生成，不构成法律意见。",
        style="Small Print",
    )


def build_request() -> DocumentObject:
    """The template of the request to the plaintiff's counsel to narrow the asset freeze."""
    letter = new_document(
        title="Request to narrow the asset freeze, Case No. {{ case.number }}",
        subject="Request to the plaintiff's counsel to narrow the asset freeze to the accused revenue",
        keywords="Schedule A; TRO; asset freeze",
    )
    styles(letter)
    letterhead(letter)
    request_addressee(letter)
    request_opening(letter)
    request_sales(letter)
    request_frozen(letter)
    request_ask(letter)
    request_closing(letter)
    return letter.document


# --- The declaration ------------------------------------------------------------------------------------


def caption(letter: Letter) -> None:
    """The court, the parties and the case number, as on the court's papers (in English in every language):
    the court's name a line a part (`court_caption`: the court, the district, the division)."""
    letter.para("", style="Caption")
    letter.tag("{%p for line in court_caption %}")
    letter.para("{{ line }}", style="Court")
    letter.tag("{%p endfor %}")
    letter.para("", style="Caption")
    table = letter.document.add_table(rows=1, cols=2)
    table.autofit = False
    left, right = table.rows[0].cells
    for cell, inches in ((left, 3.6), (right, 2.9)):
        cell.width = Inches(inches)
    _borders(left, right=True, bottom=True)
    left.paragraphs[0].style = letter.document.styles["Caption"]
    left.paragraphs[0].add_run("{{ case.plaintiff }},")
    defendants = "The Partnerships and Unincorporated Associations Identified on Schedule “A”,"
    for text in ("\tPlaintiff,", "", "v.", "", defendants, "\tDefendants."):
        cell_paragraph(left, text, style="Caption")
    right.paragraphs[0].style = letter.document.styles["Caption"]
    for text in ("", "", "Case No. {{ case.number }}"):
        cell_paragraph(right, text, style="Caption")
    letter.para("", style="Caption")


def _borders(cell: _Cell, *, right: bool = False, bottom: bool = False) -> None:
    """A single line on the right and at the bottom of a caption cell (the court's ")" column)."""
    tc_pr = cell._tc.get_or_add_tcPr()
    borders = OxmlElement("w:tcBorders")
    for side, shown in (("bottom", bottom), ("right", right)):
        if shown:
            line = OxmlElement(f"w:{side}")
            line.set(qn("w:val"), "single")
            line.set(qn("w:sz"), "6")
            line.set(qn("w:space"), "0")
            line.set(qn("w:color"), "000000")
            borders.append(line)
    tc_pr.append(borders)


def numbered(letter: Letter, english: str, chinese: str) -> None:
    """A numbered paragraph of the declaration, in English and in Chinese (numbered once when both show)."""
    letter.tag("{%p set para.number = para.number + 1 %}")
    letter.en("{{ para.number }}.", "\t", english, style="Declaration Text")
    letter.zh("{% if not en %}{{ para.number }}.\t{% endif %}", chinese, style="Declaration Text")


def declaration_head(letter: Letter) -> None:
    """Caption, title and the opening line."""
    letter.tag("{%p set para = namespace(number=0) %}")
    letter.tag(f"{{%p set platform_en = {PLATFORM_EN} %}}")
    letter.tag(f"{{%p set platform_zh = {PLATFORM_ZH} %}}")
    caption(letter)
    letter.en("DECLARATION OF {{ declaration.name|upper }}", style="Document Title")
    letter.en("under 28 U.S.C. § 1746, on the sales of the accused listing" + S, style="Document Subtitle")
    letter.zh(
        "{{ declaration.name_zh or declaration.name }}关于涉案链接销售情况的声明", style="Document Title"
    )
    letter.tag("{%p if not en %}")
    letter.para("（依据《美国法典》第28编第1746条）", style="Document Subtitle")
    letter.tag("{%p endif %}")
    letter.en("I, {{ declaration.name }}, declare as follows:", style="Declaration Text")
    letter.zh("本人{{ declaration.name_zh or declaration.name }}声明如下：", style="Declaration Text")


def declaration_facts(letter: Letter) -> None:
    """The numbered paragraphs: who, the store, the listings and their sales, the source, the freeze."""
    numbered(
        letter,
        "I am {% if declaration.title %}the {{ declaration.title }}{% else %}an authorised representative"
        "{% endif %} of {{ merchant.name_en }}{% if merchant.name_zh %} ({{ merchant.name_zh }}){% endif %} "
        "(the “Company”), a company with its registered address at {{ merchant.address }}. I make this "
        "declaration from my own knowledge and from the Company's business records, which I have reviewed. "
        "If called as a witness, I could and would testify to the facts stated here.",
        "本人系{{ merchant.name_zh or merchant.name_en }}（以下简称“本公司”）的"
        "{{ declaration.title_zh or declaration.title or '授权代表' }}，本公司注册地址为"
        "{{ merchant.address_zh or merchant.address }}。本声明基于本人亲身所知及本人已审阅的本公司业务记录。"
        "如被传作证，本人能够且愿意就本声明所述事实作证。",
    )
    numbered(
        letter,
        "The Company operates the online store “{{ merchant.store_name }}” on {{ platform_en }}"
        "{% if merchant.store_id %} (store ID {{ merchant.store_id }}){% endif %}"
        "{% if merchant.store_url %}, {{ merchant.store_url }}{% endif %}. The store is named "
        "{% if case.defendant_number %}as line {{ case.defendant_number }} of{% else %}in{% endif %} "
        "Schedule A to the complaint in this action, Case No. {{ case.number }}, brought by "
        "{{ case.plaintiff }} in the {{ case.court }}.",
        "本公司在{{ platform_zh }}经营网店“{{ merchant.store_name }}”"
        "{% if merchant.store_id %}（店铺ID：{{ merchant.store_id }}）{% endif %}"
        "{% if merchant.store_url %}，网址 {{ merchant.store_url }}{% endif %}。该店铺被列于本案起诉状附表A"
        "{% if case.defendant_number %}第{{ case.defendant_number }}项{% endif %}；"
        "本案系{{ case.plaintiff }}在{{ case.court }}提起的诉讼，案号 {{ case.number }}。",
    )
    letter.tag("{%p if sales.rows %}")
    numbered(
        letter,
        "The listing" + S + " of the store accused in this action, and {{ 'their' if sales.rows|length > 1 "
        "else 'its' }} sales" + TO + PERIOD + ", are set out in the table below. In total, the accused "
        "listing" + S + " sold " + UNITS + TO + " for " + TOTALS
        + "{% if sales.mixed %} (in different currencies, which are not added together){% endif %}.",
        "本案涉案的店铺链接及其" + PERIOD_ZH + TO_ZH + OF_ZH + "销售情况见下表。涉案链接" + TO_ZH
        + "合计销售{{ sales.units }}件，销售额合计" + TOTALS_ZH
        + "{% if sales.mixed %}（币种不同，未合并计算）{% endif %}。",
    )  # fmt: skip
    sales_table(letter)
    letter.tag("{%p else %}")
    numbered(
        letter,
        "No listing of the store has been identified to the Company as accused in this action.",
        "目前本公司尚未获知本案中被指控的店铺链接。",
    )
    letter.tag("{%p endif %}")
    numbered(
        letter,
        "{% if sales.from_export %}These figures are the totals of the Company's order records exported from "
        "{{ platform_en }} as the file “{{ sales.file_name }}”"
        "{% if sales.sheet %} (sheet “{{ sales.sheet }}”){% endif %}"
        "{% if sales.exhibit %}, a copy of which is {{ sales.exhibit.label }}{% endif %}; its SHA-256 "
        "fingerprint is {{ sales.sha256 }}. The units and amounts are those of its columns "
        "“{{ sales.units_column }}” and “{{ sales.amount_column }}”. Of its {{ sales.rows_read }} order "
        "line{{ '' if sales.rows_read == 1 else 's' }}, {{ sales.rows_counted }} "
        "{{ 'is' if sales.rows_counted == 1 else 'are' }} counted above"
        "{% if sales.left_out %}; the others are not counted: {% for item in sales.left_out %}"
        "{{ item.count }} {{ item.reason }}{% if not loop.last %}, {% endif %}{% endfor %}{% endif %}."
        + ORDERS_DATED
        + "{% else %}These figures are taken from the Company's sales records for the store on "
        "{{ platform_en }}.{% endif %}",
        "{% if sales.from_export %}上述数据为本公司从{{ platform_zh }}导出的订单记录文件"
        "“{{ sales.file_name }}”"
        "{% if sales.sheet %}（工作表“{{ sales.sheet }}”）{% endif %}"
        "{% if sales.exhibit %}（副本见{{ sales.exhibit.label_zh }}）{% endif %}的合计，该文件的SHA-256值为"
        "{{ sales.sha256 }}。销量及销售额取自该文件的“{{ sales.units_column }}”及"
        "“{{ sales.amount_column }}”两列。该文件共{{ sales.rows_read }}行订单，上表计入其中"
        "{{ sales.rows_counted }}行"
        "{% if sales.left_out %}；其余未计入：{% for item in sales.left_out %}{{ item.reason_zh }}"
        "{{ item.count }}行{% if not loop.last %}，{% endif %}{% endfor %}{% endif %}。"
        + ORDERS_DATED_ZH
        + "{% else %}上述数据取自本公司在{{ platform_zh }}的店铺销售记录。{% endif %}",
    )
    letter.tag("{%p if sales.frozen %}")
    numbered(
        letter,
        "{{ platform_en }} has frozen {{ sales.frozen|money }} of the store's account balance in connection "
        "with this action."
        "{% if sales.comparable and sales.excess.amount > 0 %} That is {{ sales.excess|money }} more than "
        "the total revenue of the accused listing" + S + " stated above."
        "{% elif sales.comparable %} That does not exceed the total revenue of the accused listing" + S + " "
        "stated above."
        "{% elif sales.mixed %} The revenue stated above is in more than one currency and is not compared "
        "with it."
        "{% else %} The revenue stated above is in {{ sales.totals[0].currency }} and is not converted or "
        "compared with it.{% endif %}",
        "{{ platform_zh }}已就本案冻结本店铺账户余额{{ sales.frozen|money }}。"
        "{% if sales.comparable and sales.excess.amount > 0 %}该金额比上述涉案链接销售额合计多"
        "{{ sales.excess|money }}。{% elif sales.comparable %}该金额未超过上述涉案链接销售额合计。"
        "{% elif sales.mixed %}上述销售额涉及多种币种，未与冻结金额比较。"
        "{% else %}上述销售额以{{ sales.totals[0].currency }}计，未作换算或比较。{% endif %}",
    )
    letter.tag("{%p endif %}")
    letter.tag("{%p if bilingual %}")
    numbered(
        letter,
        "This declaration is written in English, with a Chinese translation after each paragraph. I have "
        "read it in Chinese and I understand its contents.",
        "本声明以英文书写，各段后附中文译文。本人已阅读中文译文，并理解本声明的内容。",
    )
    letter.tag("{%p endif %}")


def signature(letter: Letter, *lines: str) -> None:
    """Room to sign, the line, and the lines under it, kept together on one page."""
    for _ in range(2):
        letter.para("", style="Signature", keep_with_next=True)
    letter.para(BLANK, style="Signature", keep_with_next=True)
    for index, text in enumerate(lines):
        letter.para(text, style="Signature", keep_with_next=index < len(lines) - 1)


def declaration_end(letter: Letter) -> None:
    """The statutory sentence, where and when it is signed, and the signature block."""
    letter.para(PERJURY, style="Declaration Text", keep_with_next=True)
    letter.tag("{%p if zh %}")
    letter.para(PERJURY_ZH, style="Declaration Text", keep_with_next=True)
    letter.tag("{%p endif %}")
    letter.para(
        "Executed on {{ declaration.date|date_en }} at {{ declaration.place or '" + BLANK + "' }}.",
        style="Declaration Text",
        keep_with_next=True,
    )
    letter.zh(
        "签署于{{ declaration.date|date_zh }}，签署地点：{{ declaration.place_zh or declaration.place or '"
        + BLANK + "' }}。",
        style="Declaration Text",
        keep_with_next=True,
    )  # fmt: skip
    signature(
        letter,
        "{{ declaration.name }}{% if zh and declaration.name_zh %} {{ declaration.name_zh }}{% endif %}",
        "{% if declaration.title %}{{ declaration.title }}{% if zh and declaration.title_zh %} "
        "{{ declaration.title_zh }}{% endif %}, {% endif %}{{ merchant.name_en }}",
    )


def translation_certificate(letter: Letter) -> None:
    """In bilingual declarations: the translator's certificate, with its own signature line."""
    letter.tag("{%p if bilingual %}")
    letter.para("", style="Declaration Text")
    letter.para("Certificate of Translation / 翻译证明", style="Document Title")
    name = "{{ declaration.translator or '" + BLANK + "' }}"
    letter.para(
        "I, " + name + ", certify that I am fluent in English and Chinese and competent to translate "
        "between them, and that the Chinese text in the foregoing declaration of {{ declaration.name }} is a "
        "true and accurate translation of its English text, to the best of my knowledge and ability.",
        style="Declaration Text",
    )
    letter.para(
        "本人" + name + "证明：本人精通英文和中文，能够胜任两种语言之间的翻译；上述"
        "{{ declaration.name_zh or declaration.name }}声明中的中文内容系其英文内容真实、准确的翻译，"
        "尽本人所知及能力所及。",
        style="Declaration Text",
    )
    letter.para(PERJURY, style="Declaration Text", keep_with_next=True)
    letter.para(PERJURY_ZH, style="Declaration Text", keep_with_next=True)
    letter.para("Executed on " + BLANK + " at " + BLANK + ".", style="Declaration Text", keep_with_next=True)
    signature(letter, "{{ declaration.translator or 'Name: " + BLANK + "' }}", "Translator / 译者")
    letter.tag("{%p endif %}")


def build_declaration() -> DocumentObject:
    """The template of the declaration under 28 U.S.C. § 1746."""
    letter = new_document(
        title="Declaration of {{ declaration.name }}, Case No. {{ case.number }}",
        subject="Declaration under 28 U.S.C. § 1746 on the sales of the accused listings",
        keywords="Schedule A; declaration; 28 U.S.C. § 1746",
    )
    styles(letter)
    declaration_head(letter)
    declaration_facts(letter)
    declaration_end(letter)
    translation_certificate(letter)
    return letter.document
