"""Make the evidence files of the example case in cases/example/evidence/.

Everything in these files is invented for the build-appeal example: the companies, people, addresses,
the invoice, the authorisation, the design patent and its certificate, the listing, the orders and the
platform's notice. The facts that case.yaml states (names, case number, listings, 14 units for US$209.30)
are copied from cases/example/case.yaml; the rest is made up here.

The output is deterministic: fixed dates and document metadata, no timestamps, a fixed random seed, so
running the script again writes the same bytes (given the same WeasyPrint, Pillow, openpyxl and fonts).

    .venv/bin/python scripts/make_example_evidence.py [EVIDENCE_FOLDER]
"""

from __future__ import annotations

import argparse
import base64
import csv
import html
import io
import math
import random
import subprocess
import zipfile
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.writer.excel import ExcelWriter
from PIL import Image, ImageDraw, ImageFilter, ImageFont
from weasyprint import HTML

EVIDENCE_FOLDER = Path(__file__).resolve().parent.parent / "cases" / "example" / "evidence"

# Facts copied from cases/example/case.yaml.
MERCHANT_EN = "Shenzhen Lumiere Home Technology Co., Ltd."
MERCHANT_ZH = "深圳市璐米尔家居科技有限公司"
STORE_NAME = "Lumiere Home Official Store"
STORE_ID = "lumierehome2019"
STORE_HOST = "lumierehome.en.alibaba.com"
CONTACT_EN = "Chen Xiaoyu"
CONTACT_ZH = "陈晓宇"
MERCHANT_EMAIL = "chen.xiaoyu@lumiere-home.example.cn"
MERCHANT_PHONE = "+86 755 2658 1234"
MERCHANT_ADDRESS_EN = (
    "Room 1508, Building B, Tianan Cyber Park, Futian District, Shenzhen, Guangdong 518040, China"
)
MERCHANT_ADDRESS_ZH = "广东省深圳市福田区天安数码城B座1508室 518040"
CASE_NUMBER = "1:24-cv-02015"
PLAINTIFF = "Glowbright Brands, LLC"
COUNSEL_FIRM = "Harbor & Vance LLP"
COUNSEL_ATTORNEY = "Jordan P. Whitfield"
COUNSEL_EMAIL = "schedulea@harborvance.example.com"
DEFENDANT_NUMBER = 87
AMOUNT_FROZEN = "US$48,630.25"
ACCUSED_LISTING = "1600987654321"
ACCUSED_TITLE = "LED Aroma Diffuser with 7 Colour Night Light, 300 ml"
ACCUSED_TITLE_ZH = "300毫升七彩夜灯香薰加湿器"
ACCUSED_PRICE = Decimal("14.95")
OTHER_LISTING = "1600987650077"
OTHER_TITLE = "Wooden Grain Ultrasonic Humidifier, 500 ml"
OTHER_PRICE = Decimal("19.00")

# Invented facts about the supplier, which case.yaml names but does not describe.
SUPPLIER_EN = "Dongguan Hengtai Electrical Appliance Co., Ltd."
SUPPLIER_ZH = "东莞市恒泰电器有限公司"
SUPPLIER_ADDRESS_EN = "No. 18 Hengtai Road, Chang'an Town, Dongguan, Guangdong 523850, China"
SUPPLIER_ADDRESS_ZH = "广东省东莞市长安镇恒泰路18号 523850"
SUPPLIER_PHONE = "+86 769 8531 7788"
SUPPLIER_EMAIL = "sales@hengtai-electric.example.cn"
LEGAL_REP_EN = "Liang Zhihua"
LEGAL_REP_ZH = "梁志华"
MODEL = "LM-300"
PATENT_NUMBER = "ZL 2022 3 0123456.7"

# Invented orders of both listings: (order date, listing ID, buyer country, quantity, status). The accused
# listing's US orders add up to the 14 units (US$209.30) of case.yaml, the other listing's to its 230 units.
ORDERS: list[tuple[date, str, str, int, str]] = [
    (date(2023, 5, 18), OTHER_LISTING, "United States", 40, "Completed"),
    (date(2023, 6, 2), OTHER_LISTING, "Canada", 12, "Completed"),
    (date(2023, 6, 29), OTHER_LISTING, "United Kingdom", 20, "Completed"),
    (date(2023, 7, 21), OTHER_LISTING, "United States", 25, "Completed"),
    (date(2023, 8, 10), OTHER_LISTING, "Germany", 30, "Completed"),
    (date(2023, 9, 14), ACCUSED_LISTING, "United States", 2, "Completed"),
    (date(2023, 9, 26), OTHER_LISTING, "United States", 60, "Completed"),
    (date(2023, 10, 5), ACCUSED_LISTING, "Canada", 2, "Completed"),
    (date(2023, 10, 27), ACCUSED_LISTING, "United States", 3, "Completed"),
    (date(2023, 11, 8), OTHER_LISTING, "France", 8, "Completed"),
    (date(2023, 11, 20), ACCUSED_LISTING, "United States", 1, "Completed"),
    (date(2023, 12, 4), ACCUSED_LISTING, "United Kingdom", 3, "Completed"),
    (date(2023, 12, 11), OTHER_LISTING, "United States", 15, "Completed"),
    (date(2023, 12, 19), OTHER_LISTING, "Australia", 10, "Completed"),
    (date(2024, 1, 9), ACCUSED_LISTING, "Germany", 5, "Completed"),
    (date(2024, 1, 16), OTHER_LISTING, "United States", 50, "Completed"),
    (date(2024, 1, 22), ACCUSED_LISTING, "United States", 4, "Completed"),
    (date(2024, 1, 30), OTHER_LISTING, "Netherlands", 6, "Completed"),
    (date(2024, 2, 13), ACCUSED_LISTING, "Australia", 2, "Completed"),
    (date(2024, 2, 20), ACCUSED_LISTING, "Saudi Arabia", 2, "Completed"),
    (date(2024, 2, 26), ACCUSED_LISTING, "United States", 4, "Completed"),
    (date(2024, 3, 1), OTHER_LISTING, "United States", 40, "Shipped"),
    (date(2024, 3, 4), OTHER_LISTING, "Mexico", 5, "Shipped"),
    (date(2024, 3, 7), ACCUSED_LISTING, "Canada", 1, "Shipped"),
    (date(2024, 3, 9), OTHER_LISTING, "Germany", 12, "Shipped"),
]
LISTINGS = {ACCUSED_LISTING: (ACCUSED_TITLE, ACCUSED_PRICE), OTHER_LISTING: (OTHER_TITLE, OTHER_PRICE)}

SEAL_RED = "#d3231f"
DEJAVU = "/usr/share/fonts/truetype/dejavu"

# ---------------------------------------------------------------------------------------------------------
# Fonts


@cache
def _font_file(pattern: str, fallback: str) -> tuple[str, int]:
    """The font file and face index fontconfig picks for `pattern`, or `fallback` without fontconfig."""
    try:
        found = subprocess.run(
            ["fc-match", "-f", "%{file}\t%{index}", pattern], capture_output=True, text=True, check=True
        ).stdout
        file, _, index = found.partition("\t")
        if Path(file).is_file():
            return file, int(index or 0)
    except (OSError, subprocess.CalledProcessError, ValueError):
        pass
    return fallback, 0


@cache
def font(size: int, bold: bool = False, serif: bool = False) -> ImageFont.FreeTypeFont:
    """Noto Sans or Serif CJK SC (or DejaVu) at `size` pixels, for drawing with Pillow."""
    family = "Serif" if serif else "Sans"
    fallback = f"{DEJAVU}/DejaVu{family}{'-Bold' if bold else ''}.ttf"
    file, index = _font_file(f"Noto {family} CJK SC" + (":bold" if bold else ""), fallback)
    return ImageFont.truetype(file, size, index=index)


# The PDFs embed Noto CJK faces cut down to the characters each document uses, declared under their own
# family names so that WeasyPrint takes them rather than the system's copies. WeasyPrint keeps glyph IDs
# when it subsets, and CJK glyph IDs run to 65,000, so the full system fonts would cost ~150 KB a face.
EMBEDDED_FACES = [  # (CSS family, CSS weight, fontconfig pattern, fallback file)
    ("Noto Sans CJK SC Subset", 400, "Noto Sans CJK SC", f"{DEJAVU}/DejaVuSans.ttf"),
    ("Noto Sans CJK SC Subset", 700, "Noto Sans CJK SC:bold", f"{DEJAVU}/DejaVuSans-Bold.ttf"),
    ("Noto Serif CJK SC Subset", 400, "Noto Serif CJK SC", f"{DEJAVU}/DejaVuSerif.ttf"),
    ("Noto Serif CJK SC Subset", 700, "Noto Serif CJK SC:bold", f"{DEJAVU}/DejaVuSerif-Bold.ttf"),
]
SANS = '"Noto Sans CJK SC Subset", "Noto Sans CJK SC", sans-serif'
SERIF = '"Noto Serif CJK SC Subset", "Noto Serif CJK SC", serif'


def font_faces_css(text: str) -> str:
    """@font-face rules with the EMBEDDED_FACES subset to the characters of `text`, as data URLs."""
    rules = []
    for family, weight, pattern, fallback in EMBEDDED_FACES:
        file, index = _font_file(pattern, fallback)
        font = TTFont(file, fontNumber=index, recalcTimestamp=False)
        options = subset.Options()
        options.layout_features = []
        options.drop_tables += ["GSUB", "GPOS", "vhea", "vmtx", "VORG"]
        options.hinting = False
        options.notdef_outline = True
        subsetter = subset.Subsetter(options)
        subsetter.populate(text=text)
        subsetter.subset(font)
        data = io.BytesIO()
        font.save(data)
        url = "data:font/otf;base64," + base64.b64encode(data.getvalue()).decode("ascii")
        rules.append(f'@font-face {{ font-family: "{family}"; font-weight: {weight}; src: url({url}); }}')
    return "\n".join(rules)


# ---------------------------------------------------------------------------------------------------------
# PDFs (WeasyPrint)


def html_document(title: str, author: str, created: str, css: str, body: str) -> str:
    """A complete HTML page with fixed PDF metadata (title, author, creation and modification dates)."""
    fonts = font_faces_css(html.unescape(title + css + body))
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{title}</title>
<meta name="author" content="{author}">
<meta name="dcterms.created" content="{created}">
<meta name="dcterms.modified" content="{created}">
<style>{fonts}
{css}</style></head>
<body>{body}</body></html>"""


def write_pdf(page: str, path: Path) -> None:
    """Render the HTML `page` to a one-page PDF at `path`."""
    document = HTML(string=page).render()
    if len(document.pages) != 1:
        raise RuntimeError(f"{path.name}: {len(document.pages)} pages, expected 1")
    document.write_pdf(path)


def seal_img(company_zh: str, bottom_zh: str = "", size_mm: int = 40) -> str:
    """A red round company seal as an <img>: the name along the top arc, a star, an optional word below.

    It is a picture, as on a scanned document, so its letters stay out of the PDF's text. The shape is
    drawn as an alpha mask over flat red, which keeps the embedded image small.
    """
    size = size_mm * 12  # about 300 dpi
    centre, ink = size / 2, 215  # ink: the seal's opacity
    mask = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(mask)
    draw.ellipse([size * 0.02, size * 0.02, size * 0.98, size * 0.98], outline=ink, width=round(size * 0.032))
    star = [(math.radians(36 * k), size * (0.13 if k % 2 == 0 else 0.052)) for k in range(10)]
    draw.polygon([(centre + r * math.sin(a), centre - r * math.cos(a)) for a, r in star], fill=ink)
    letter_font = font(round(size * 0.125), bold=True, serif=True)
    span = 250.0
    for i, char in enumerate(company_zh):
        angle = -span / 2 + i * span / (len(company_zh) - 1)  # degrees clockwise from the top
        tile = Image.new("L", (round(size * 0.16),) * 2, 0)
        ImageDraw.Draw(tile).text(
            (tile.width / 2, tile.height / 2), char, font=letter_font, fill=ink, anchor="mm"
        )
        tile = tile.rotate(-angle, resample=Image.Resampling.BICUBIC, expand=True)
        x = centre + size * 0.335 * math.sin(math.radians(angle)) - tile.width / 2
        y = centre - size * 0.335 * math.cos(math.radians(angle)) - tile.height / 2
        mask.paste(ink, (round(x), round(y)), tile)
    if bottom_zh:
        bottom_font = font(round(size * 0.085), serif=True)
        draw.text((centre, size * 0.76), bottom_zh, font=bottom_font, fill=ink, anchor="mm")
    seal = Image.new("RGB", (size, size), SEAL_RED)
    seal.putalpha(mask)
    data = io.BytesIO()
    seal.save(data, "PNG", optimize=True)
    url = "data:image/png;base64," + base64.b64encode(data.getvalue()).decode("ascii")
    return f'<img class="seal" src="{url}" style="width: {size_mm}mm; height: {size_mm}mm;">'


def signature_svg(width_mm: int = 38) -> str:
    """A handwritten-looking signature stroke."""
    return f"""<svg class="signature" viewBox="0 0 120 40" width="{width_mm}mm" height="{width_mm / 3:.1f}mm"
     xmlns="http://www.w3.org/2000/svg">
  <path d="M4 30 C10 8 18 4 20 14 S14 34 24 26 S36 6 40 18 S44 32 52 20 C58 10 62 12 60 22
           S70 30 78 16 C82 10 86 14 84 22 S96 26 104 12 M30 34 C50 30 80 31 116 27"
        fill="none" stroke="#1b2a6b" stroke-width="1.6" stroke-linecap="round" stroke-linejoin="round"/>
</svg>"""


LETTERHEAD_CSS = f"""
@page {{ size: A4; margin: 13mm 16mm 10mm; }}
body {{ font-family: {SANS}; font-size: 9pt; color: #222; line-height: 1.4; margin: 0; }}
.letterhead {{ display: flex; align-items: center; gap: 5mm; border-bottom: 2.2pt solid #1f4e79;
  padding-bottom: 3mm; }}
.logo {{ width: 15mm; height: 15mm; border-radius: 50%; background: #1f4e79; color: white;
  font: bold 13pt {SERIF}; text-align: center; line-height: 15mm; }}
.company-zh {{ font: bold 16pt {SERIF}; color: #1f4e79; letter-spacing: 1pt; }}
.company-en {{ font-size: 10pt; font-weight: bold; color: #1f4e79; }}
.company-contact {{ font-size: 7.5pt; color: #555; }}
h1 {{ text-align: center; font: bold 16pt {SERIF}; margin: 5mm 0 0; letter-spacing: 3pt; }}
h1 + .subtitle {{ text-align: center; font-weight: bold; letter-spacing: 2pt; margin-bottom: 4mm; }}
.zh {{ font-family: {SERIF}; }}
.muted {{ color: #666; }}
"""


def letterhead() -> str:
    """The supplier's letterhead."""
    return f"""<div class="letterhead">
  <div class="logo">恒泰</div>
  <div>
    <div class="company-zh">{SUPPLIER_ZH}</div>
    <div class="company-en">{SUPPLIER_EN.upper()}</div>
    <div class="company-contact">{SUPPLIER_ADDRESS_ZH} · {SUPPLIER_ADDRESS_EN}<br>
      Tel 电话 {SUPPLIER_PHONE} · Email 邮箱 {SUPPLIER_EMAIL}</div>
  </div>
</div>"""


def make_invoice(path: Path) -> None:
    """Commercial invoice HT-2024-0108 for 500 units of LM-300."""
    title = "Commercial invoice HT-2024-0108"
    quantity = 500
    unit_price = Decimal("38.50")
    subtotal = unit_price * quantity
    vat = (subtotal * Decimal("0.13")).quantize(Decimal("0.01"))
    total = subtotal + vat
    # The words below are written out for this total; keep them in step if the numbers change.
    assert total == Decimal("21752.50")
    words_en = "SAY RENMINBI TWENTY-ONE THOUSAND SEVEN HUNDRED FIFTY-TWO AND FIFTY FEN ONLY"
    words_zh = "人民币贰万壹仟柒佰伍拾贰元伍角整"
    css = (
        LETTERHEAD_CSS
        + """
table { border-collapse: collapse; width: 100%; }
.parties td { vertical-align: top; width: 50%; padding: 1.5mm 3mm; border: 0.6pt solid #999;
  font-size: 8.5pt; }
.label { font-size: 7.5pt; color: #1f4e79; font-weight: bold; text-transform: uppercase; }
.meta { margin: 3mm 0; }
.meta td { padding: 0.8mm 3mm; border: 0.6pt solid #999; font-size: 8.5pt; }
.meta td:nth-child(odd) { background: #eef3f8; width: 22%; }
.items { margin-top: 4mm; }
.items th { background: #1f4e79; color: white; font-size: 7.5pt; padding: 1.2mm; font-weight: bold;
  white-space: nowrap; }
.items td { border: 0.6pt solid #999; padding: 1.5mm 2mm; vertical-align: top; }
.num { text-align: right; white-space: nowrap; }
.totals td { border: 0.6pt solid #999; padding: 1.2mm 2mm; }
.totals .grand td { font-weight: bold; background: #eef3f8; }
.words { margin: 2mm 0 3mm; font-size: 8pt; }
.bottom { display: flex; gap: 8mm; margin-top: 2mm; }
.bottom > div { flex: 1; }
.box { border: 0.6pt solid #999; padding: 2mm 3mm; font-size: 8.5pt; }
.signature-block { position: relative; height: 38mm; }
.signature-block .signature { position: absolute; left: 4mm; top: 12mm; }
.signature-block .seal { position: absolute; left: 34mm; top: 2mm; }
.signature-block .line { position: absolute; top: 26mm; left: 0; right: 0; border-top: 0.6pt solid #333;
  padding-top: 1mm; font-size: 8pt; }
.footer { margin-top: 2mm; font-size: 7pt; color: #777; text-align: center; }
"""
    )
    body = f"""{letterhead()}
<h1>商业发票</h1><div class="subtitle">COMMERCIAL INVOICE</div>
<table class="parties"><tr>
  <td><div class="label">Seller 销货方</div>
    <b class="zh">{SUPPLIER_ZH}</b><br>{SUPPLIER_EN}<br>
    <span class="muted">{SUPPLIER_ADDRESS_ZH}<br>{SUPPLIER_ADDRESS_EN}</span></td>
  <td><div class="label">Buyer 购货方</div>
    <b class="zh">{MERCHANT_ZH}</b><br>{MERCHANT_EN}<br>
    <span class="muted">{MERCHANT_ADDRESS_ZH}<br>{MERCHANT_ADDRESS_EN}<br>
    Attn. 联系人: {CONTACT_EN} {CONTACT_ZH} · {MERCHANT_PHONE}</span></td>
</tr></table>
<table class="meta">
  <tr><td>Invoice No. 发票号</td><td><b>HT-2024-0108</b></td>
      <td>Date 日期</td><td><b>2024-01-08</b></td></tr>
  <tr><td>Contract No. 合同号</td><td>HT-LMH-20231220</td>
      <td>Currency 币种</td><td>CNY 人民币</td></tr>
  <tr><td>Delivery 交货</td><td>Delivered to buyer's warehouse, Shenzhen<br>送货至买方深圳仓库</td>
      <td>Payment 付款</td>
      <td>T/T, 30% deposit, balance before delivery<br>电汇，预付30%，发货前付清余款</td></tr>
</table>
<table class="items">
  <tr><th>No.<br>序号</th><th>Description of goods<br>品名及规格</th><th>Model<br>型号</th>
      <th>Qty<br>数量</th><th style="width: 9mm;">Unit<br>单位</th>
      <th>Unit price<br>单价 (CNY)</th><th>Amount<br>金额 (CNY)</th></tr>
  <tr><td>1</td>
      <td>LED aroma diffuser with 7-colour night light, 300 ml, white body with wood-grain base,
          with 24 V US-plug adapter and colour box<br>
          <span class="zh">300毫升七彩夜灯香薰加湿器，白色机身木纹底座，配24V美规电源适配器及彩盒</span></td>
      <td><b>{MODEL}</b></td><td class="num">{quantity}</td><td>pcs<br>台</td>
      <td class="num">{unit_price:,.2f}</td><td class="num">{subtotal:,.2f}</td></tr>
</table>
<table class="totals" style="width: 55%; margin-left: 45%;">
  <tr><td>Subtotal 小计</td><td class="num">{subtotal:,.2f}</td></tr>
  <tr><td>VAT 13% 增值税</td><td class="num">{vat:,.2f}</td></tr>
  <tr class="grand"><td>Total 合计 (CNY)</td><td class="num">¥ {total:,.2f}</td></tr>
</table>
<div class="words"><b>Amount in words 大写金额:</b> {words_en}<br><span class="zh">{words_zh}</span></div>
<div class="bottom">
  <div class="box"><div class="label">Packing 包装</div>
    25 cartons × 20 pcs, G.W. 8.6 kg / carton, 52 × 40 × 46 cm<br>
    <span class="zh">共25箱，每箱20台，毛重8.6千克/箱</span><br>
    <span class="muted">VAT special invoice (fapiao) issued separately. 增值税专用发票另行开具。</span></div>
  <div class="box"><div class="label">Bank details 收款账户</div>
    Beneficiary 户名: <span class="zh">{SUPPLIER_ZH}</span><br>
    Bank 开户行: Bank of China, Dongguan Chang'an Sub-branch<br>
    <span class="zh">中国银行东莞长安支行</span><br>
    Account No. 账号: <b>**** **** **** 4821</b></div>
</div>
<div class="bottom" style="margin-top: 4mm;">
  <div class="muted" style="font-size: 8pt;">Goods received in good order by the buyer on 2024-01-10.<br>
    买方已于2024年1月10日验收货物。</div>
  <div class="signature-block">{signature_svg()}{seal_img(SUPPLIER_ZH, "财务专用章", size_mm=34)}
    <div class="line">For and on behalf of 销货方盖章: {SUPPLIER_EN}<br>Authorised signature 授权签字</div>
  </div>
</div>
<div class="footer">{SUPPLIER_EN} · {SUPPLIER_PHONE} · {SUPPLIER_EMAIL} · Page 1 of 1</div>"""
    write_pdf(html_document(title, SUPPLIER_EN, "2024-01-08T10:00:00+08:00", css, body), path)


def make_authorisation(path: Path) -> None:
    """Letter of authorisation: Hengtai authorises Lumiere Home to sell LM-300 worldwide until 2025-12-31."""
    title = "Letter of authorisation HT-SQ-2023-015"
    css = (
        LETTERHEAD_CSS
        + f"body, .company-contact {{ font-family: {SERIF}; }}"
        + """
body { font-size: 10pt; }
.ref { display: flex; justify-content: space-between; font-size: 9pt; margin-top: 3mm; }
p { margin: 0 0 2.2mm; text-align: justify; }
ol { margin: 0 0 3mm; padding-left: 6mm; }
li { margin-bottom: 1.6mm; text-align: justify; }
h2 { font-size: 10.5pt; margin: 4mm 0 2mm; color: #1f4e79; }
.sign { position: relative; margin: 6mm 0 0 88mm; line-height: 1.6; }
.sign .seal { position: absolute; left: 30mm; top: -4mm; }
.sign .signature { vertical-align: middle; margin-left: 2mm; }
"""
    )
    body = f"""{letterhead()}
<h1>授 权 书</h1><div class="subtitle">LETTER OF AUTHORISATION</div>
<div class="ref"><span>编号 Ref.: HT-SQ-2023-015</span>
  <span>日期 Date: 2023年12月15日 / 15 December 2023</span></div>
<p style="margin-top: 4mm;">致 To: <b>{MERCHANT_ZH}</b> / <b>{MERCHANT_EN}</b></p>
<h2>中文</h2>
<ol>
  <li>我司{SUPPLIER_ZH}为{MODEL}型香薰机（{ACCUSED_TITLE_ZH}）的生产商，并为该产品外观设计专利
      （专利号：{PATENT_NUMBER}）的专利权人。</li>
  <li>我司特此授权{MERCHANT_ZH}在全球范围内（包括通过阿里巴巴国际站等线上平台）
      以其自有店铺名称销售上述{MODEL}型产品。本授权为非独家授权。</li>
  <li>授权期限：自2023年12月15日起至2025年12月31日止。</li>
  <li>被授权方不得将本授权转让或转授权给任何第三方。如需核实本授权，请与我司联系。</li>
</ol>
<h2>English</h2>
<ol>
  <li>We, {SUPPLIER_EN}, are the manufacturer of the aroma diffuser model {MODEL}
      (LED aroma diffuser with 7-colour night light, 300 ml) and the holder of Chinese design patent
      No. {PATENT_NUMBER} covering its design.</li>
  <li>We hereby authorise {MERCHANT_EN} to sell the {MODEL} worldwide, including through online
      marketplaces such as Alibaba.com, under its own store name. This authorisation is non-exclusive.</li>
  <li>This authorisation is valid from 15 December 2023 until 31 December 2025.</li>
  <li>The authorised party may not transfer or sub-license this authorisation to any third party.
      Please contact us if you wish to verify this letter.</li>
</ol>
<div class="sign">
  授权方（盖章）Authorising party (seal):<br><b>{SUPPLIER_ZH}</b><br>{SUPPLIER_EN}<br><br>
  法定代表人（签字）Legal representative (signature):<br>
  {signature_svg(36)}<span style="margin-left: 4mm;">{LEGAL_REP_ZH} {LEGAL_REP_EN}</span><br>
  日期 Date: 2023-12-15
  {seal_img(SUPPLIER_ZH, size_mm=42)}
</div>"""
    write_pdf(html_document(title, SUPPLIER_EN, "2023-12-15T09:00:00+08:00", css, body), path)


def make_design_certificate(path: Path) -> None:
    """A mock design-patent certificate (US Letter, landscape), marked as a specimen."""
    title = f"Design patent certificate {PATENT_NUMBER} (specimen)"
    css = f"""
@page {{ size: letter landscape; margin: 10mm 12mm 14mm;
  @bottom-center {{ content: "SPECIMEN – invented for the build-appeal example · "
      "样本：为 build-appeal 示例虚构";
    font: 8pt {SANS}; color: #b00; }} }}
body {{ font-family: {SERIF}; color: #222; margin: 0; }}
.frame {{ height: 186mm; box-sizing: border-box; border: 3pt double #9c7a2b; padding: 4mm;
  position: relative; }}
.inner {{ height: 100%; box-sizing: border-box; border: 0.8pt solid #9c7a2b; padding: 7mm 16mm;
  position: relative; }}
.watermark {{ position: absolute; top: 62mm; left: 30mm; font: bold 64pt {SANS}; color: #f2e3e3;
  transform: rotate(-18deg); letter-spacing: 8pt; }}
.number {{ text-align: right; font-size: 10pt; }}
h1 {{ text-align: center; font-size: 26pt; letter-spacing: 10pt; margin: 2mm 0 0; color: #8a1c1c; }}
.subtitle {{ text-align: center; font: 10pt {SANS}; letter-spacing: 3pt; color: #8a1c1c;
  margin-bottom: 6mm; }}
.columns {{ display: flex; gap: 12mm; position: relative; }}
table {{ border-collapse: collapse; font-size: 10.5pt; flex: 1.1; }}
td {{ padding: 1.6mm 0; vertical-align: top; }}
td:first-child {{ width: 46mm; }}
.en {{ display: block; font: 7pt {SANS}; color: #777; }}
.text {{ flex: 1; font-size: 10pt; line-height: 1.8; text-align: justify; }}
.text .en {{ font-size: 7.5pt; line-height: 1.4; margin-top: 2mm; }}
.office {{ position: absolute; right: 18mm; bottom: 9mm; text-align: center; font-size: 11pt; }}
.office .seal {{ position: absolute; left: -30mm; top: -12mm; }}
.notes {{ position: absolute; left: 16mm; bottom: 9mm; width: 100mm; font-size: 7pt; color: #555;
  line-height: 1.6; }}
"""
    rows = [
        ("外观设计名称", "Title of the design", f"香薰机（{MODEL}）"),
        ("设计人", "Designers", f"{LEGAL_REP_ZH}；何嘉欣"),
        ("专利号", "Patent number", PATENT_NUMBER),
        ("专利申请日", "Filing date", "2022年03月08日"),
        ("专利权人", "Patentee", SUPPLIER_ZH),
        ("地址", "Address", SUPPLIER_ADDRESS_ZH),
        ("授权公告日", "Date of grant announcement", "2022年06月30日"),
        ("授权公告号", "Grant publication number", "CN 307412345 S"),
    ]
    table = "".join(
        f'<tr><td>{zh}：<span class="en">{en}</span></td><td>{value}</td></tr>' for zh, en, value in rows
    )
    specimen_seal = f"""<svg class="seal" viewBox="0 0 100 100" width="34mm" height="34mm"
     xmlns="http://www.w3.org/2000/svg">
  <g fill="none" stroke="{SEAL_RED}" stroke-opacity="0.85">
    <circle cx="50" cy="50" r="46" stroke-width="3"/><circle cx="50" cy="50" r="40" stroke-width="1"/></g>
  <g fill="{SEAL_RED}" fill-opacity="0.85" text-anchor="middle" font-weight="bold">
    <text x="50" y="50" font-size="22" font-family="Noto Serif CJK SC Subset">样本</text>
    <text x="50" y="70" font-size="10" font-family="Noto Sans CJK SC Subset">SPECIMEN</text></g>
</svg>"""
    body = f"""<div class="frame"><div class="inner">
<div class="watermark">SPECIMEN</div>
<div class="number">证书号第7123456号</div>
<h1>外观设计专利证书</h1>
<div class="subtitle">CERTIFICATE OF DESIGN PATENT</div>
<div class="columns">
  <table>{table}</table>
  <div class="text">
    本外观设计经过本局依照中华人民共和国专利法进行初步审查，决定授予专利权，颁发外观设计专利证书
    并在专利登记簿上予以登记。专利权自授权公告之日起生效。专利权期限为十五年，自申请日起算。
    <span class="en">After preliminary examination under the Patent Law of the People's Republic of China,
    the office grants the patent right for this design, issues this certificate and records it in the
    patent register. The patent right takes effect on the date of the grant announcement and lasts
    fifteen years from the filing date.</span>
  </div>
</div>
<div class="notes">专利权人应当依照专利法及其实施细则规定缴纳年费。本专利的年费应当在每年03月08日前缴纳。
  未按照规定缴纳年费的，专利权自应当缴纳年费期满之日起终止。<br>
  专利证书记载专利权登记时的法律状况。专利权的转移、质押、无效、终止、恢复和专利权人的姓名或名称、
  国籍、地址变更等事项记载在专利登记簿上。</div>
<div class="office">{specimen_seal}国家知识产权局<br>
  <span style="font-size: 8pt;">China National Intellectual Property Administration</span><br>
  <span style="font-size: 9pt;">局长 Commissioner：（样本 specimen）</span></div>
</div></div>"""
    write_pdf(
        html_document(title, "build-appeal example (specimen)", "2022-06-30T09:00:00+08:00", css, body),
        path,
    )


# ---------------------------------------------------------------------------------------------------------
# Images (Pillow)


def vertical_gradient(
    size: tuple[int, int], top: tuple[int, int, int], bottom: tuple[int, int, int]
) -> Image.Image:
    """An RGB image fading from `top` to `bottom`."""
    mask = Image.linear_gradient("L").resize(size)
    return Image.composite(Image.new("RGB", size, bottom), Image.new("RGB", size, top), mask)


def cylinder_shading(
    size: tuple[int, int], light: tuple[int, int, int], dark: tuple[int, int, int], highlight_at: float = 0.35
) -> Image.Image:
    """An RGB image shaded like a lit cylinder: brightest at `highlight_at` of the width, dark at edges."""
    width, height = size
    shading = Image.new("RGB", size)
    draw = ImageDraw.Draw(shading)
    for x in range(width):
        t = x / max(width - 1, 1)
        distance = abs(t - highlight_at) / max(highlight_at, 1 - highlight_at)
        f = distance**1.6
        colour = tuple(round(light[i] + (dark[i] - light[i]) * f) for i in range(3))
        draw.line([(x, 0), (x, height)], fill=colour)
    return shading


def draw_diffuser(width: int, height: int, light: tuple[int, int, int] = (150, 110, 255)) -> Image.Image:
    """An RGBA picture of the LM-300: white cone with mist, a night-light ring, a wood-grain base."""
    picture = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    top, seam, bottom = int(height * 0.3), int(height * 0.74), int(height * 0.96)

    # Soft glow of the night light behind the ring (blurred on a transparent layer of the same colour).
    glow = Image.new("RGBA", (width, height), (*light, 0))
    ImageDraw.Draw(glow).ellipse(
        [width * 0.16, seam - height * 0.05, width * 0.84, seam + height * 0.04], fill=(*light, 170)
    )
    picture.alpha_composite(glow.filter(ImageFilter.GaussianBlur(width * 0.04)))

    # Wood-grain base.
    base = Image.new("L", (width, height), 0)
    ImageDraw.Draw(base).rounded_rectangle(
        [width * 0.12, seam, width * 0.88, bottom], radius=int(width * 0.05), fill=255
    )
    wood = cylinder_shading((width, height), (200, 150, 98), (112, 72, 40))
    grain = ImageDraw.Draw(wood)
    rng = random.Random(300)
    for _ in range(16):
        x = rng.uniform(width * 0.14, width * 0.86)
        points = [(x + rng.uniform(-4, 4) * width / 400, seam + (bottom - seam) * k / 4) for k in range(5)]
        grain.line(points, fill=(150, 104, 64), width=max(1, width // 300))
    picture.paste(wood, (0, 0), base)

    # White body, shaded like a cone, tinted by the light near the ring.
    body = Image.new("L", (width, height), 0)
    outline = []
    for y in range(top, seam + 1):
        t = (y - top) / (seam - top)
        outline.append((width / 2 - width * (0.07 + 0.31 * t**0.55), y))
    outline += [(width - x, y) for x, y in reversed(outline)]
    ImageDraw.Draw(body).polygon(outline, fill=255)
    shell = cylinder_shading((width, height), (252, 252, 250), (176, 178, 184))
    tint = Image.linear_gradient("L").resize((width, seam - top)).point(lambda v: max(0, v - 150))
    shell.paste(light, (0, top), tint)
    picture.paste(shell, (0, 0), body)

    details = ImageDraw.Draw(picture)
    details.rounded_rectangle(
        [width * 0.12, seam - height * 0.012, width * 0.88, seam + height * 0.014],
        radius=int(height * 0.01),
        fill=tuple(min(255, c + 70) for c in light),
    )
    details.ellipse(
        [width * 0.44, top - height * 0.012, width * 0.56, top + height * 0.012], fill=(90, 92, 96)
    )
    details.ellipse(
        [width * 0.47, seam - height * 0.1, width * 0.53, seam - height * 0.08], fill=(206, 208, 212)
    )

    # Mist rising from the opening.
    mist = Image.new("RGBA", (width, height), (255, 255, 255, 0))
    mist_draw = ImageDraw.Draw(mist)
    for i in range(6):
        cx = width / 2 + (-1) ** i * width * 0.012 * i
        cy = top - height * (0.025 + 0.035 * i)
        r = width * (0.035 + 0.012 * i)
        mist_draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=(255, 255, 255, 150 - 20 * i))
    picture.alpha_composite(mist.filter(ImageFilter.GaussianBlur(width * 0.02)))
    return picture


def wrap(text: str, text_font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    """Split `text` into lines no wider than `width` pixels, at spaces."""
    lines: list[str] = []
    for word in text.split():
        if lines and text_font.getlength(f"{lines[-1]} {word}") <= width:
            lines[-1] += f" {word}"
        else:
            lines.append(word)
    return lines


def make_listing_screenshot(path: Path) -> None:
    """A marketplace listing page of the accused listing, as a browser screenshot (1000 x 1400)."""
    width, height = 1000, 1400
    orange, grey, dark = (255, 106, 0), (242, 243, 245), (34, 34, 34)
    page = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(page)

    # Browser chrome: tab and address bar.
    draw.rectangle([0, 0, width, 84], fill=(222, 225, 230))
    draw.rounded_rectangle([12, 8, 330, 44], radius=8, fill="white")
    draw.text((28, 16), "LED Aroma Diffuser with 7 Col…", font=font(15), fill=dark)
    draw.rounded_rectangle([12, 48, width - 12, 78], radius=14, fill="white")
    draw.text(
        (32, 53), f"https://{STORE_HOST}/product/{ACCUSED_LISTING}.html", font=font(15), fill=(80, 80, 80)
    )

    # Site header.
    draw.rectangle([0, 84, width, 144], fill=orange)
    draw.text((24, 96), "Alibaba.com", font=font(28, bold=True), fill="white")
    draw.rounded_rectangle([230, 100, 760, 130], radius=15, fill="white")
    draw.text((248, 104), "aroma diffuser", font=font(15), fill=(150, 150, 150))
    draw.text((790, 103), "English · 中文    Sign in", font=font(16), fill="white")
    draw.text(
        (24, 156),
        "Home  ›  Home Appliances  ›  Humidifiers & Aroma Diffusers",
        font=font(14),
        fill=(110, 110, 110),
    )

    # Product gallery.
    draw.rectangle([24, 188, 484, 648], fill=grey)
    main_picture = draw_diffuser(340, 440)
    page.paste(main_picture, (84, 198), main_picture)
    lights = [(150, 110, 255), (70, 140, 255), (60, 200, 120), (255, 150, 60), (240, 80, 120)]
    for i, light in enumerate(lights):
        x = 24 + i * 94
        outline = orange if i == 0 else (220, 220, 220)
        draw.rectangle([x, 664, x + 84, 748], fill=grey, outline=outline, width=2)
        thumb = draw_diffuser(64, 80, light)
        page.paste(thumb, (x + 10, 666), thumb)

    # Title, price tiers, attributes.
    x0, y = 510, 188
    for line in wrap(ACCUSED_TITLE, font(26, bold=True), width - x0 - 24):
        draw.text((x0, y), line, font=font(26, bold=True), fill=dark)
        y += 36
    draw.text((x0, y + 2), ACCUSED_TITLE_ZH, font=font(17), fill=(120, 120, 120))
    sold = sum(quantity for _, listing, _, quantity, _ in ORDERS if listing == ACCUSED_LISTING)
    draw.text((x0, y + 32), f"No reviews yet  ·  {sold} sold", font=font(15), fill=(120, 120, 120))
    y += 70
    draw.rectangle([x0, y, width - 24, y + 92], fill=(255, 244, 236))
    tiers = [("1 - 49 pieces", "US$14.95"), ("50 - 199 pieces", "US$12.90"), ("≥ 200 pieces", "US$11.50")]
    for i, (pieces, price) in enumerate(tiers):
        tx = x0 + 14 + i * 156
        draw.text((tx, y + 12), pieces, font=font(14), fill=(100, 100, 100))
        draw.text((tx, y + 38), price, font=font(24, bold=True), fill=orange if i == 0 else dark)
    y += 110
    attributes = [
        ("Model", MODEL),
        ("Capacity", "300 ml"),
        ("Light", "7 colours, auto-cycle"),
        ("Colour", "White / wood grain"),
        ("Power", "DC 24 V, 12 W"),
        ("Min. order", "1 piece"),
        ("Lead time", "3 days (1 - 49 pieces)"),
    ]
    for key, value in attributes:
        draw.text((x0, y), key, font=font(16), fill=(120, 120, 120))
        draw.text((x0 + 130, y), value, font=font(16), fill=dark)
        y += 30
    y += 8
    draw.rounded_rectangle([x0, y, x0 + 200, y + 46], radius=23, fill=orange)
    draw.text((x0 + 52, y + 10), "Start order", font=font(18, bold=True), fill="white")
    draw.rounded_rectangle([x0 + 216, y, x0 + 440, y + 46], radius=23, outline=dark, width=2)
    draw.text((x0 + 250, y + 10), "Contact supplier", font=font(18, bold=True), fill=dark)

    # Supplier card.
    y = 776
    draw.rounded_rectangle([24, y, width - 24, y + 110], radius=10, outline=(225, 225, 225), width=2)
    draw.ellipse([44, y + 22, 110, y + 88], fill=(31, 78, 121))
    draw.text((58, y + 36), "LH", font=font(26, bold=True), fill="white")
    draw.text((130, y + 18), STORE_NAME, font=font(22, bold=True), fill=dark)
    draw.text((130, y + 52), f"{MERCHANT_EN}  ·  {MERCHANT_ZH}", font=font(16), fill=(90, 90, 90))
    draw.text(
        (130, y + 78),
        "CN  ·  5 yrs  ·  Verified supplier  ·  Response time ≤4h",
        font=font(14),
        fill=(120, 120, 120),
    )
    draw.rounded_rectangle([width - 190, y + 34, width - 48, y + 76], radius=21, outline=orange, width=2)
    draw.text((width - 162, y + 43), "Visit store", font=font(17), fill=orange)

    # Product details table.
    y = 910
    draw.text((24, y), "Product details", font=font(20, bold=True), fill=dark)
    draw.text((210, y + 3), "Company profile      Reviews", font=font(17), fill=(140, 140, 140))
    draw.line([(24, y + 36), (185, y + 36)], fill=orange, width=3)
    draw.line([(185, y + 36), (width - 24, y + 36)], fill=(225, 225, 225), width=1)
    details = [
        ("Listing ID", ACCUSED_LISTING),
        ("Brand name", "Lumiere Home"),
        ("Model number", MODEL),
        ("Place of origin", "Guangdong, China"),
        ("Type", "Ultrasonic aroma diffuser"),
        ("Material", "PP body, wood-grain ABS base"),
        ("Timer", "1 h / 3 h / 6 h / continuous"),
        ("Certification", "CE, FCC, RoHS"),
        ("Package", "Colour box, 20 pieces per carton"),
    ]
    y += 54
    for i, (key, value) in enumerate(details):
        row_y = y + i * 38
        draw.rectangle([24, row_y, 300, row_y + 38], fill=grey, outline=(228, 228, 228))
        draw.rectangle([300, row_y, width - 24, row_y + 38], fill="white", outline=(228, 228, 228))
        draw.text((38, row_y + 9), key, font=font(16), fill=(100, 100, 100))
        draw.text((316, row_y + 9), value, font=font(16), fill=dark)

    # Capture note added by the seller.
    draw.rectangle([0, height - 44, width, height], fill=(48, 48, 48))
    note = f"Screenshot 截图: 2024-03-15 10:24 (UTC+8) · {STORE_NAME} · listing {ACCUSED_LISTING}"
    draw.text((24, height - 34), note, font=font(15), fill="white")

    # A 256-colour palette with dithering keeps the file small and the gradients smooth.
    palette = page.quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    page.quantize(palette=palette, dither=Image.Dither.FLOYDSTEINBERG).save(path, optimize=True)


def make_product_photo(path: Path) -> None:
    """A 1200 x 900 product photo stored rotated, with EXIF Orientation 6 so viewers turn it upright."""
    width, height, table_y = 1200, 900, 560
    scene = vertical_gradient((width, height), (214, 206, 193), (240, 234, 224))
    scene.paste(vertical_gradient((width, height - table_y), (188, 150, 110), (140, 102, 70)), (0, table_y))
    grain = ImageDraw.Draw(scene)
    rng = random.Random(85)
    for _ in range(40):
        y = rng.uniform(table_y + 4, height)
        grain.line([(0, y), (width, y + rng.uniform(-12, 12))], fill=(128, 92, 62), width=1)

    shadows = Image.new("L", (width, height), 0)
    shadow_draw = ImageDraw.Draw(shadows)
    shadow_draw.ellipse([170, 660, 600, 740], fill=150)
    shadow_draw.polygon([(640, 720), (1000, 720), (1100, 690), (760, 690)], fill=150)
    scene.paste((60, 40, 25), (0, 0), shadows.filter(ImageFilter.GaussianBlur(18)))

    diffuser = draw_diffuser(420, 560)
    scene.paste(diffuser, (170, 170), diffuser)

    # The box: front, side and top faces, then its printing on the front.
    box = ImageDraw.Draw(scene)
    front = (640, 400, 1000, 720)
    box.polygon([(1000, 400), (1070, 360), (1070, 680), (1000, 720)], fill=(196, 200, 204))
    box.polygon([(640, 400), (710, 360), (1070, 360), (1000, 400)], fill=(250, 250, 250))
    scene.paste(cylinder_shading((360, 320), (246, 246, 244), (226, 227, 228), 0.2), front[:2])
    box.rectangle([640, 620, 1000, 720], fill=(31, 78, 121))
    box.text((670, 430), MODEL, font=font(64, bold=True), fill=(31, 78, 121))
    box.text((672, 512), "LED Aroma Diffuser · 300 ml", font=font(22), fill=(60, 60, 60))
    box.text((672, 546), "香薰加湿器 · 七彩夜灯", font=font(22), fill=(60, 60, 60))
    box.text((672, 648), "Lumiere Home", font=font(28, bold=True), fill="white")
    icon = draw_diffuser(48, 64)
    scene.paste(icon, (934, 428), icon)

    vignette = Image.radial_gradient("L").resize((width, height)).point(lambda v: max(0, v - 150) // 3)
    scene.paste((20, 16, 12), (0, 0), vignette)

    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: the stored pixels need a 90° clockwise turn to display upright.
    exif[0x0132] = "2024:03:15 14:02:11"  # DateTime
    stored = scene.transpose(Image.Transpose.ROTATE_90)  # 90° counter-clockwise, undone by orientation 6
    stored.save(path, "JPEG", quality=85, optimize=True, exif=exif.tobytes())


# ---------------------------------------------------------------------------------------------------------
# Spreadsheet (openpyxl) and text


def make_sales_records(path: Path) -> None:
    """An Alibaba.com-style order export; the accused listing's US rows add up to 14 units, US$209.30."""
    # units_sold and revenue of case.yaml's products are the US sales.
    for listing, units, revenue in ((ACCUSED_LISTING, 14, "209.30"), (OTHER_LISTING, 230, "4370.00")):
        us_units = sum(q for _, lid, country, q, _ in ORDERS if lid == listing and country == "United States")
        assert us_units == units and us_units * LISTINGS[listing][1] == Decimal(revenue), listing

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Orders"
    headers = [
        "Order ID",
        "Order date",
        "Listing ID",
        "Product",
        "Buyer country",
        "Quantity",
        "Unit price (USD)",
        "Amount (USD)",
        "Status",
    ]
    sheet.append(headers)
    rng = random.Random(2015)
    for ordered, listing, country, quantity, status in ORDERS:
        title, price = LISTINGS[listing]
        order_id = f"{ordered:%y%m%d}{rng.randrange(10**11, 10**12)}"
        amount = float(price * quantity)
        sheet.append([order_id, ordered, listing, title, country, quantity, float(price), amount, status])

    for cell in sheet[1]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="FF6A00")
        cell.alignment = Alignment(vertical="center")
    for row in sheet.iter_rows(min_row=2):
        row[1].number_format = "yyyy-mm-dd"
        row[6].number_format = row[7].number_format = "#,##0.00"
    for column, width in zip("ABCDEFGHI", [20, 12, 16, 50, 16, 10, 16, 14, 11], strict=True):
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions

    exported = datetime(2024, 3, 15, 10, 30)
    workbook.properties.creator = "Alibaba.com Seller Center"
    workbook.properties.lastModifiedBy = "Alibaba.com Seller Center"
    workbook.properties.title = f"Orders export, store {STORE_ID}"
    workbook.properties.created = workbook.properties.modified = exported

    # openpyxl's save() stamps the modification time and the zip entries with the current time, so write
    # with ExcelWriter (which keeps our properties) and re-pack the zip with a fixed entry time.
    packed = io.BytesIO()
    ExcelWriter(workbook, zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED)).save()
    with zipfile.ZipFile(packed) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            fixed = zipfile.ZipInfo(entry.filename, date_time=exported.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o600 << 16
            target.writestr(fixed, source.read(entry))


COUNTRIES_ZH = {
    "United States": "美国", "Canada": "加拿大", "United Kingdom": "英国", "Germany": "德国",
    "France": "法国", "Australia": "澳大利亚", "Netherlands": "荷兰", "Saudi Arabia": "沙特阿拉伯",
    "Mexico": "墨西哥",
}  # fmt: skip
STATUS_ZH = {"Completed": "交易完成", "Shipped": "已发货", "Refunded": "已退款"}
REFUNDED = (date(2024, 2, 2), ACCUSED_LISTING, "United States", 2, "Refunded")
"""An order refunded in full: in the raw export (orders_export.csv), not among the sales records."""


def make_orders_export(path: Path) -> None:
    """The store's raw order export as the seller centre writes it for Chinese sellers: a title line, then
    Chinese headers, UTF-8 with a BOM, CRLF, amounts with thousands separators; the same orders as
    sales_records.xlsx (same order IDs) plus one refunded order. case.yaml's `sales:` maps its columns."""
    ids = random.Random(2015)  # as make_sales_records draws them, so the order IDs match
    times = random.Random(1746)
    rows = []
    for ordered, listing, country, quantity, status in ORDERS:
        rows.append(
            (f"{ordered:%y%m%d}{ids.randrange(10**11, 10**12)}", ordered, listing, country, quantity, status)
        )
    ordered, listing, country, quantity, status = REFUNDED
    rows.append(
        (f"{ordered:%y%m%d}{times.randrange(10**11, 10**12)}", ordered, listing, country, quantity, status)
    )
    rows.sort(key=lambda row: row[1])
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([f"订单导出　店铺ID：{STORE_ID}　导出时间：2024-03-15 10:30"])
    writer.writerow(
        [
            "订单号",
            "下单时间",
            "商品ID",
            "商品名称",
            "收货国家",
            "数量",
            "单价",
            "实付金额",
            "币种",
            "订单状态",
        ]
    )
    for order_id, ordered, listing, country, quantity, status in rows:
        title, price = LISTINGS[listing]
        hour, minute, second = times.randrange(8, 23), times.randrange(60), times.randrange(60)
        stamp = f"{ordered:%Y-%m-%d} {hour:02d}:{minute:02d}:{second:02d}"
        writer.writerow([order_id, stamp, listing, title, COUNTRIES_ZH[country], quantity, f"{price:,.2f}",
                         f"{price * quantity:,.2f}", "USD", STATUS_ZH[status]])  # fmt: skip
    path.write_bytes(out.getvalue().encode("utf-8-sig"))


def make_freeze_notice(path: Path) -> None:
    """The platform's notice email: withdrawals restricted under the TRO, in English and Chinese."""
    notice = f"""\
From: Alibaba.com Intellectual Property Protection <ipp-notice@alibaba.example.com>
To: {CONTACT_EN} <{MERCHANT_EMAIL}>
Date: Thu, 14 Mar 2024 09:32:05 +0800
Subject: [Action notice] Account restriction under a US court order - Case No. {CASE_NUMBER} (N.D. Ill.)

Dear Seller,

Store: {STORE_NAME} (store ID: {STORE_ID})
Company: {MERCHANT_EN}

We are writing to inform you that Alibaba.com has received a Temporary Restraining Order ("TRO") issued
on March 11, 2024 by the United States District Court for the Northern District of Illinois in the case
{PLAINTIFF} v. The Partnerships and Unincorporated Associations Identified on Schedule "A",
Case No. {CASE_NUMBER}. Your account is listed as Defendant No. {DEFENDANT_NUMBER} on Schedule "A".

Pursuant to the TRO, the following functions of your account have been restricted with immediate effect:

  - Withdrawal of the account balance (amount restrained: {AMOUNT_FROZEN})
  - Publishing and editing of listings

Alibaba.com is not a party to this lawsuit and cannot give legal advice or decide the merits of the case.
The restriction will remain in place until we receive a further order of the court or written
instructions from the plaintiff's counsel. If you believe that your account was restrained in error,
or you wish to resolve the matter, please contact the plaintiff's counsel directly:

  {COUNSEL_FIRM}
  Attn: {COUNSEL_ATTORNEY}
  Email: {COUNSEL_EMAIL}

Please quote the case number and your store ID in all correspondence. You may also consult a lawyer
licensed in the United States.

Alibaba.com Intellectual Property Protection Team

--------------------------------------------------------------------------------------------------

尊敬的卖家：

店铺：{STORE_NAME}（店铺ID：{STORE_ID}）
公司：{MERCHANT_ZH}

阿里巴巴国际站已收到美国伊利诺伊州北区联邦地区法院于2024年3月11日在
{PLAINTIFF} 诉附表“A”所列合伙企业及非法人组织一案（案号：{CASE_NUMBER}）中
签发的临时限制令（TRO）。贵司账户被列为附表“A”中的第{DEFENDANT_NUMBER}号被告。

根据该临时限制令，贵司账户的以下功能已被限制，即时生效：

  - 账户余额提现（被限制金额：{AMOUNT_FROZEN}）
  - 商品发布及编辑

阿里巴巴国际站并非本案当事方，无法提供法律意见，也无法对案件作出判断。在收到法院的进一步命令或
原告律师的书面指示之前，上述限制将持续有效。如贵司认为账户被错误冻结，或希望解决此事，
请直接联系原告律师：

  {COUNSEL_FIRM}
  联系人：{COUNSEL_ATTORNEY}
  邮箱：{COUNSEL_EMAIL}

来往邮件中请注明案号及贵司店铺ID。贵司亦可咨询具有美国执业资格的律师。

阿里巴巴国际站知识产权保护团队
"""
    path.write_text(notice, encoding="utf-8", newline="\n")


# ---------------------------------------------------------------------------------------------------------

MAKERS: dict[str, Callable[[Path], None]] = {
    "invoice_hengtai_2024-01.pdf": make_invoice,
    "authorisation_hengtai.pdf": make_authorisation,
    "design_certificate_hengtai.pdf": make_design_certificate,
    "listing_screenshot.png": make_listing_screenshot,
    "product_photo.jpg": make_product_photo,
    "sales_records.xlsx": make_sales_records,
    "orders_export.csv": make_orders_export,
    "freeze_notice.txt": make_freeze_notice,
}


def main(argv: list[str] | None = None) -> None:
    """Write every evidence file into the folder given (default: cases/example/evidence)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("folder", nargs="?", type=Path, default=EVIDENCE_FOLDER)
    folder: Path = parser.parse_args(argv).folder
    folder.mkdir(parents=True, exist_ok=True)
    for name, make in MAKERS.items():
        make(folder / name)
        print(f"{(folder / name).stat().st_size:>9,} bytes  {folder / name}")


if __name__ == "__main__":
    main()
