"""The redaction check (FRCP 5.2(a)): each kind of number found, lookalikes and the example case not."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pypdf import PdfReader
from stdnum import luhn

from pipeline.build import BuildOptions, build
from pipeline.check import check_case
from pipeline.errors import BuildAppealError
from pipeline.load import load_case
from pipeline.model import CaseFile, Destination
from pipeline.redaction import Finding, Kind, find, mask, masked_data, scan_data, scan_pages
from tests.conftest import EXAMPLE, MakeCase, example_data


def luhn_complete(digits: str) -> str:
    """`digits` followed by the Luhn check digit."""
    total = 0
    for position, digit in enumerate(reversed(digits)):
        value = int(digit) * (2 if position % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return digits + str(-total % 10)


def cn_id(first17: str) -> str:
    """A Chinese resident ID number: 17 digits and the ISO 7064 MOD 11-2 check digit (GB 11643-1999)."""
    total = sum(int(digit) * (2 ** (17 - i) % 11) for i, digit in enumerate(first17))
    check = (12 - total % 11) % 11
    return first17 + ("X" if check == 10 else str(check))


UNIONPAY = luhn_complete("622202020011223344")  # 19 digits
UNIONPAY_GROUPED = " ".join(UNIONPAY[i : i + 4] for i in range(0, 19, 4))  # 6222 0202 0011 2233 44x
LISTING_ID = luhn_complete("160098765432")  # 13 digits, passes Luhn, no card starts with 1
SHENZHEN_ID = cn_id("44030519850314123")  # Nanshan District, Shenzhen, born 1985-03-14


def test_helpers_agree_with_published_numbers() -> None:
    assert luhn_complete("411111111111111") == "4111111111111111"
    assert cn_id("11010519491231002") == "11010519491231002X"  # the example of GB 11643-1999


FOUND = [
    # card and account numbers
    ("Paid with card 4111 1111 1111 1111 on 2024-01-08.", Kind.ACCOUNT, "**** **** **** 1111"),
    ("Card: 4111-1111-1111-1111", Kind.ACCOUNT, "****-****-****-1111"),
    ("4111111111111111", Kind.ACCOUNT, "************1111"),
    ("Mastercard 5555 5555 5555 4444 (test)", Kind.ACCOUNT, "**** **** **** 4444"),
    ("Mastercard 2223 0031 2200 3222", Kind.ACCOUNT, "**** **** **** 3222"),
    ("Amex 3782 822463 10005", Kind.ACCOUNT, "**** ****** *0005"),
    (f"银行卡{UNIONPAY}", Kind.ACCOUNT, "*" * 15 + UNIONPAY[-4:]),
    ("Account No.: 12345678", Kind.ACCOUNT, "****5678"),
    ("Bank account number 000123456789012", Kind.ACCOUNT, "***********9012"),
    ("A/C 9876-5432-10", Kind.ACCOUNT, "****-**32-10"),
    ("acct #98765432", Kind.ACCOUNT, "****5432"),
    ("账号：6222 0202 0011 2233 445", Kind.ACCOUNT, "**** **** **** ***3 445"),
    ("收款人帐号 44050110012300000123", Kind.ACCOUNT, "****************0123"),
    ("银行账户（人民币）：1234567890123", Kind.ACCOUNT, "*********0123"),
    ("卡号6217000010001234567", Kind.ACCOUNT, "***************4567"),
    ("账号：６２２２０２０２００１１２２３３", Kind.ACCOUNT, "************２２３３"),  # full-width digits
    ("账户：44050110012300000123", Kind.ACCOUNT, "****************0123"),
    ("账户号：12345678", Kind.ACCOUNT, "****5678"),
    ("收款账户号码 1234 5678 9012", Kind.ACCOUNT, "**** **** 9012"),
    ("银行账号：1234567890123", Kind.ACCOUNT, "*********0123"),
    ("账户（美元）：1234567890123", Kind.ACCOUNT, "*********0123"),
    ("卡号：6217000010001234567", Kind.ACCOUNT, "***************4567"),
    # a card number in an evidence file's name (the exhibit's cover sheet shows it)
    ("evidence/receipt_card_4111111111111111.pdf", Kind.ACCOUNT, "************1111"),
    ("evidence/receipt-card-4111111111111111.pdf", Kind.ACCOUNT, "************1111"),
    ("evidence/receipt-4111-1111-1111-1111.pdf", Kind.ACCOUNT, "****-****-****-1111"),
    ("evidence/4111111111111111.pdf", Kind.ACCOUNT, "************1111"),
    ("Paid with card-4111-1111-1111-1111.", Kind.ACCOUNT, "****-****-****-1111"),
    ("evidence/product_photo_card_6222021234567894.jpg", Kind.ACCOUNT, "************7894"),
    # a card after an order's or an invoice's label, but not its number: a receipt's words
    ("Order paid by Visa 4111 1111 1111 1111", Kind.ACCOUNT, "**** **** **** 1111"),
    ("Invoice paid with card 6222 0212 3456 7894", Kind.ACCOUNT, "**** **** **** 7894"),
    ("订单已用银行卡6222021234567894支付", Kind.ACCOUNT, "************7894"),
    ("订单已付款，付款卡 6212345678901234569", Kind.ACCOUNT, "***************4569"),
    # a card's number in its groups after an order's label, no card named: no order number is printed so
    ("Order paid 4111 1111 1111 1111", Kind.ACCOUNT, "**** **** **** 1111"),
    ("Order charged to 4111-1111-1111-1111", Kind.ACCOUNT, "****-****-****-1111"),
    ("订单付款 6222 0212 3456 7894", Kind.ACCOUNT, "**** **** **** 7894"),
    ("Transaction paid: 3782 822463 10005", Kind.ACCOUNT, "**** ****** *0005"),
    # groups apart by spaces that do not break a line (an emailed receipt), or by two (a PDF's text)
    ("Card number: 4111\u00a01111\u00a01111\u00a01111", Kind.ACCOUNT, "****\u00a0****\u00a0****\u00a01111"),
    ("Card number: 5555  5555  5555  4444", Kind.ACCOUNT, "****  ****  ****  4444"),
    ("Paid with 4111\u20071111\u20071111\u20071111", Kind.ACCOUNT, "****\u2007****\u2007****\u20071111"),
    ("Amex 3782  822463  10005", Kind.ACCOUNT, "****  ******  *0005"),
    # IBANs
    ("IBAN DE89 3704 0044 0532 0130 00", Kind.IBAN, "**** **** **** **** **30 00"),
    ("IBAN: DE89370400440532013000.", Kind.IBAN, "******************3000"),
    ("GB82 WEST 1234 5698 7654 32 BIC NWBKGB2L", Kind.IBAN, "**** **** **** **** **54 32"),
    # US social-security numbers
    ("SSN 123-45-6789", Kind.SSN, "***-**-6789"),
    ("Social security no. 123 45 6789", Kind.SSN, "*** ** 6789"),
    ("SSN: 123456789", Kind.SSN, "*****6789"),
    ("his number is 772-10-4821.", Kind.SSN, "***-**-4821"),
    # US taxpayer IDs: EIN, ITIN, or nine digits labelled as a tax ID
    ("EIN 12-3456789", Kind.TAX_ID, "**-***6789"),
    ("Taxpayer ID 98-7654321", Kind.TAX_ID, "**-***4321"),
    ("Tax ID (EIN): 12-3456789", Kind.TAX_ID, "**-***6789"),
    ("ITIN: 912-70-1234", Kind.TAX_ID, "***-**-1234"),
    ("Employer Identification Number 911144442", Kind.TAX_ID, "*****4442"),
    ("TIN 123-45-6789", Kind.TAX_ID, "***-**-6789"),  # an individual's TIN is the SSN
    ("美国税号（EIN）：98-7654321", Kind.TAX_ID, "**-***4321"),
    ("Federal employer identification number: 12-3456789.", Kind.TAX_ID, "**-***6789"),
    ("his number is 912-70-1234", Kind.TAX_ID, "***-**-1234"),
    # Chinese resident ID numbers
    ("身份证号码：11010519491231002X", Kind.CN_ID, "**************002X"),
    (f"ID {SHENZHEN_ID}", Kind.CN_ID, "*" * 14 + SHENZHEN_ID[-4:]),
    (
        f"ID {SHENZHEN_ID[:6]} {SHENZHEN_ID[6:14]} {SHENZHEN_ID[14:]}",
        Kind.CN_ID,
        f"****** ******** {SHENZHEN_ID[-4:]}",
    ),
    ("身份证 11010519491231002x", Kind.CN_ID, "**************002x"),
    # full birth dates
    ("Date of birth: 1985-03-14", Kind.BIRTH_DATE, "1985"),
    ("born on March 14, 1985 in Shenzhen", Kind.BIRTH_DATE, "1985"),
    ("Born 14 March 1985", Kind.BIRTH_DATE, "1985"),
    ("DOB 14/03/1985", Kind.BIRTH_DATE, "1985"),
    ("D.O.B.: 03/14/1985", Kind.BIRTH_DATE, "1985"),
    ("birthday: Mar. 14th, 1985", Kind.BIRTH_DATE, "1985"),
    ("出生日期：1985年3月14日", Kind.BIRTH_DATE, "1985年"),
    ("陈晓宇，男，1985年3月14日出生", Kind.BIRTH_DATE, "1985年"),
    ("生日 1985-3-14", Kind.BIRTH_DATE, "1985"),
    ("Date of birth: 03/14/85", Kind.BIRTH_DATE, "1985"),
    ("DOB 14.03.85", Kind.BIRTH_DATE, "1985"),
    ("born 3/14/05", Kind.BIRTH_DATE, "2005"),
]


@pytest.mark.parametrize(("text", "kind", "masked"), FOUND)
def test_each_pattern_is_found_and_masked(text: str, kind: Kind, masked: str) -> None:
    (finding,) = find(text)
    assert finding.kind is kind
    assert finding.text in text
    assert finding.masked == masked
    assert mask(text) == text.replace(finding.text, masked)
    assert find(mask(text)) == []


@pytest.mark.parametrize(("text", "kind", "masked"), FOUND)
def test_no_message_or_repr_shows_the_full_number(text: str, kind: Kind, masked: str) -> None:
    (finding,) = find(text)
    for shown in (finding.message, repr(finding), str(finding)):
        assert finding.text not in shown
        digits = re.sub(r"\D", "", finding.text)
        assert digits not in re.sub(r"\D", "", shown.replace(finding.masked, ""))


NOT_FOUND = [
    # invoice, order, listing and contract numbers
    "Invoice No. INV-2024-0117",
    "Invoice HT20240115001 of 2024-01-15",
    "发票编号HT-2024-0108，合同号 HT-LMH-20231220",
    "Order ID 230518184725972076, listing 1600987650077",
    f"Listing ID {LISTING_ID}",
    f"{LISTING_ID} LED Aroma Diffuser",
    "Order No. 4111 1111 1111 1111",
    "Order number: 4111-1111-1111-1111; 订单号：4111 1111 1111 1111; Transaction ID 4111 1111 1111 1111",
    "Order 4111 1111 1111 1111 shipped",
    "Order No. 4111  1111  1111  1111",
    "Qty  2  Price  30.00  Total  60.00  Year  2024  1111",
    # a table of figures as a PDF's text gives it, two spaces apart (one row in ten passes a card's checks)
    "Warehouse  Jan   Feb   Mar   Apr\nShenzhen   4439  2537  8993  1464\nDongguan   4024  6643  5756  2138",
    "订单号 4111111111111111",
    # order IDs of a card's form (a brand's prefix, the Luhn check) a few words after their label, or under
    # a table's header: an export of Taobao orders (found when labels reached a word only)
    "Order number is 4123456789012349",
    "Order confirmation number: 4123456789012349",
    "Tracking number China Post: 6212345678901234569",
    "订单号\n下单时间\n4002240315123456786 2024-03-15 10:22:01",
    "Order ID Buyer Total\n3011234567890120",
    "Tracking number 9400 1000 0000 0000 0000 00",
    "Amazon order 112-1234567-1234567",
    # dates without a birth keyword, and birth keywords without a birth date
    "Invoice date 1985-03-14",
    "Date: 14/03/1985; delivered March 14, 1985; 1985年3月14日",
    "The company was born in 2019; invoice dated 2024-01-08",
    "专利权自2022年06月30日生效",
    "born on 2099-01-01",
    "Date of birth: 1985-02-30",
    # phone numbers
    "Tel +86 755 8888 1234",
    "+86 769 8531 7788",
    "手机 13800138000",
    "Account manager, tel 13800138000",
    "(312) 555-0123",
    # case, patent, trademark numbers, hashes
    "Case No. 1:24-cv-02015 and 24 C 2015",
    "Defendant No. 87 on Schedule A; your account is restricted",
    "ZL 2022 3 0123456.7, CN 307412345 S, 证书号第7123456号",
    "U.S. Reg. No. 6,123,457 and Reg. No. 7123456",
    f"SHA-256 {hashlib.sha256(b'exhibit').hexdigest()}",
    f"SHA-256 {hashlib.sha256(b'4111111111111111').hexdigest().upper()}",
    # prices and postal codes
    "US$48,630.25 frozen; ¥ 21,752.50; $1234567890123.45",
    "Chicago, IL 60601-1234; Shenzhen 518040",
    # a masked number, a platform account ID, an account keyword before a date
    "Account No. 账号: **** **** **** 4821",
    "Account ID: 12345678901",
    "account frozen on 2024-03-14",
    # a company's registration and tax number (统一社会信用代码) is public; numbers labelled otherwise; no
    # EIN of a prefix never assigned; an account's balance
    "统一社会信用代码：91110000600037341L",
    "统一社会信用代码：564403001000000162",  # all digits, of a card brand's prefix, passing the Luhn check
    "Unified social credit code 564403001000000162",
    "Order No. 12-3456789, tel 12-3456789, invoice 912-70-1234",
    "EIN 07-1144442; 00-1234567",
    "Part no. 10-1234567 of the spare; see 27-3456781",  # the EIN form, no tax label
    "Tax ID 12345",
    "账户余额 12345678 元；账户状态：冻结",
    # evidence files' names
    "evidence/invoice_hengtai_2024-01.pdf",
    "evidence/invoice_HT20240115001.pdf",
    "evidence/order_4111111111111111.pdf",
    "evidence/order-4111111111111111.pdf",
    "evidence/INV-20240115-001.pdf, SKU-12345678, HT-20231220123",
    "evidence/scan_20240108.pdf",
    # dates with a two-digit year and no birth keyword
    "Invoice date 03/14/85; delivered 14.03.85",
    "Date of birth: 02/30/85",
    # invalid checksums
    "4111 1111 1111 1112",
    "IBAN DE88 3704 0044 0532 0130 00",
    "XX89 3704 0044 0532 0130 00",
    "身份证号码：110105194912310021",
    "身份证号码：" + cn_id("11010520990101001"),  # born in the future
    "身份证号码：" + cn_id("11010519491331001"),  # month 13
    "身份证号码：" + cn_id("99999919850314123"),  # no such place
    # social-security numbers never issued, and nine digits without a label
    "000-12-3456",
    "666-12-3456",
    "900-12-3456",
    "123-00-4567",
    "123-45-0000",
    "078-05-1120",
    "123456789",
]


@pytest.mark.parametrize("text", NOT_FOUND)
def test_lookalikes_are_not_found(text: str) -> None:
    assert [finding.masked for finding in find(text)] == []
    assert mask(text) == text


def test_a_column_of_order_ids_is_not_taken_for_card_numbers() -> None:
    """A Taobao export's 19-digit order IDs beginning with 4 have a Visa card's form, and one in ten passes
    the Luhn check: from its second row on, where the header is rows above, such an ID was a card number,
    and the court profile refused the export (found by a review of 9c5c77c). A column of them is IDs; a
    page of card numbers, each passing the check, is still cards."""
    ids = [f"40022403151234{row:04d}" for row in range(12)]
    ids = [
        number + luhn.calc_check_digit(number) if row in (4, 7) else number + "0"
        for row, number in enumerate(ids)
    ]
    assert sum(luhn.is_valid(number) for number in ids) < 6
    export = "订单号 下单时间 买家 商品 金额\n" + "\n".join(
        f"{number} 2024-03-15 10:22:01 买家{row} 香薰机 12.50" for row, number in enumerate(ids)
    )
    assert find(export) == []
    cards = "Cards on file:\n4111111111111111\n4012888888881881\n5555555555554444"
    assert [finding.masked[-4:] for finding in find(cards)] == ["1111", "1881", "4444"]
    assert [finding.masked[-4:] for finding in find(export + "\nPaid by Visa " + ids[4])] == [ids[4][-4:]]


def test_several_findings_in_one_text_in_order() -> None:
    text = "DOB: 1985-03-14. Card 4111 1111 1111 1111, IBAN DE89 3704 0044 0532 0130 00, SSN 123-45-6789."
    assert [finding.kind for finding in find(text)] == [Kind.BIRTH_DATE, Kind.ACCOUNT, Kind.IBAN, Kind.SSN]
    assert mask(text) == (
        "DOB: 1985. Card **** **** **** 1111, IBAN **** **** **** **** **30 00, SSN ***-**-6789."
    )


def test_a_chinese_id_is_not_also_a_card_or_birth_date() -> None:
    (finding,) = find(f"身份证 {SHENZHEN_ID}，出生")
    assert finding.kind is Kind.CN_ID


@pytest.mark.parametrize(
    ("row", "number"),
    [
        ("Card number 4111111111111111 2024-01-08 1600987650077", "4111111111111111"),
        ("Visa 4111 1111 1111 1111 12/26", "4111 1111 1111 1111"),
        (f"{UNIONPAY_GROUPED} 2024-01-08 RMB 300.00", UNIONPAY_GROUPED),
        ("SSN 123 45 6789 2024", "123 45 6789"),
    ],
)
def test_a_table_row_yields_the_number_in_it(row: str, number: str) -> None:
    (finding,) = find(row)
    assert finding.text == number


def test_three_numbers_of_a_table_row_are_no_social_security_number() -> None:
    assert find("Qty 120 15 1800 2024-01-08") == []


def test_messages_name_the_place_the_kind_and_the_rule() -> None:
    (card,) = scan_pages(["Card 4111 1111 1111 1111"], "Exhibit 3 (evidence/x.pdf)")
    assert card.message == (
        "Exhibit 3 (evidence/x.pdf), page 1: card or account number **** **** **** 1111 must show only its "
        "last four digits in a court filing (FRCP 5.2(a)(4))"
    )
    (birth,) = find("DOB 1985-03-14")
    assert birth.message == (
        "full birth date (year 1985) must show only the year of birth in a court filing (FRCP 5.2(a)(2))"
    )
    (ssn,) = find("SSN 123-45-6789")
    assert "social-security number ***-**-6789" in ssn.message
    assert "(FRCP 5.2(a)(1))" in ssn.message


def test_scan_pages_numbers_the_pages() -> None:
    pages = ["Invoice HT-2024-0108", "", "SSN 123-45-6789 and DOB 1985-03-14", "IBAN DE89370400440532013000"]
    found = scan_pages(pages, "Exhibit 3 (evidence/x.pdf)")
    assert [(finding.where, finding.kind) for finding in found] == [
        ("Exhibit 3 (evidence/x.pdf), page 3", Kind.SSN),
        ("Exhibit 3 (evidence/x.pdf), page 3", Kind.BIRTH_DATE),
        ("Exhibit 3 (evidence/x.pdf), page 4", Kind.IBAN),
    ]


def test_scan_data_gives_field_paths_of_a_dict() -> None:
    data = {
        "merchant": {"address": "Room 1508, acct 123456789012", "phone": "+86 755 8888 1234"},
        "evidence": [
            {"description": "invoice"},
            {},
            {"description": "DOB 1985-03-14", "date": dt.date.today()},
        ],
        "tags": ["x", "SSN 123-45-6789"],
    }
    assert [(finding.where, finding.kind) for finding in scan_data(data)] == [
        ("case.yaml: merchant.address", Kind.ACCOUNT),
        ("case.yaml: evidence[2].description", Kind.BIRTH_DATE),
        ("case.yaml: tags[1]", Kind.SSN),
    ]
    assert [finding.where for finding in scan_data(data["merchant"], "merchant")] == [
        "case.yaml: merchant.address"
    ]


def test_scan_data_gives_field_paths_of_the_case_model() -> None:
    raw = example_data()
    raw["evidence"][2]["description"] = "Paid from account 6222 0202 0011 2233 445."
    raw["merchant"]["address_zh"] = "法定代表人身份证 11010519491231002X"
    found = scan_data(CaseFile.model_validate(raw))
    assert [finding.message for finding in found] == [
        "case.yaml: merchant.address_zh: Chinese resident ID number **************002X must show only its "
        "last four characters in a court filing (FRCP 5.2(a))",
        "case.yaml: evidence[2].description: card or account number **** **** **** ***3 445 must show only "
        "its last four digits in a court filing (FRCP 5.2(a)(4))",
    ]


def test_a_card_number_in_an_evidence_file_name_is_found(make_case: MakeCase) -> None:
    # The exhibit's cover sheet shows the file's path; `--redact` leaves paths as they are (the file must
    # be found), so the number is still there in what the documents show.
    raw = example_data()
    raw["evidence"][0]["file"] = "evidence/receipt_card_4111111111111111.pdf"
    data = CaseFile.model_validate(raw)
    for shown in (data, masked_data(data)):
        (finding,) = scan_data(shown)
        assert finding.message == (
            "case.yaml: evidence[0].file: card or account number ************1111 must show only its last "
            "four digits in a court filing (FRCP 5.2(a)(4))"
        )
    # ... and the court check of `build-appeal check` names it, with a tax ID in a text exhibit.
    folder = make_case(raw)
    (folder / "evidence" / "invoice_hengtai_2024-01.pdf").rename(folder / raw["evidence"][0]["file"])
    (folder / "evidence" / "freeze_notice.txt").write_text("Payee: Hengtai LLC, Tax ID (EIN): 12-3456789\n")
    report = check_case(folder, Destination.COURT)
    found = [error for error in report.errors if "FRCP 5.2" in error]
    assert len(found) == 2
    assert re.search(r"case\.yaml:\d+: evidence\[0\]\.file: card or account number \*{12}1111 ", found[0])
    assert re.fullmatch(
        r"Exhibit \d+ \(evidence/freeze_notice\.txt\), page 1: taxpayer-identification number "
        r"\*\*-\*\*\*6789 must show only its last four digits in a court filing \(FRCP 5\.2\(a\)\(1\)\)",
        found[1],
    )


def test_a_redacted_court_build_refuses_a_card_number_left_in_a_file_name(
    make_case: MakeCase, tmp_path: Path
) -> None:
    """`--redact` masks the numbers typed in case.yaml, not the evidence files' names (the files must be
    found), and the court check left case.yaml out under --redact: the cover sheet printed the full number
    and the rule said "ok"."""
    raw = example_data()
    raw["evidence"][0]["file"] = "evidence/receipt_card_4111111111111111.pdf"
    folder = make_case(raw)
    (folder / "evidence" / "invoice_hengtai_2024-01.pdf").rename(folder / raw["evidence"][0]["file"])
    options = BuildOptions(output_root=tmp_path / "out", destination=Destination.COURT, redact=True)
    with pytest.raises(BuildAppealError, match=r"evidence\[0\]\.file: card or account number \*{12}1111 "):
        build(folder, options)


def test_finding_is_a_frozen_value() -> None:
    finding = Finding(Kind.SSN, "123-45-6789", "***-**-6789")
    with pytest.raises(AttributeError):
        finding.where = "x"  # type: ignore[misc]
    assert finding.message.startswith("social-security number ***-**-6789 ")


# --- The example case raises no alarm -----------------------------------------------------------------


def test_the_example_case_data_has_no_finding() -> None:
    assert scan_data(load_case(EXAMPLE).data) == []
    assert find((EXAMPLE / "case.yaml").read_text(encoding="utf-8")) == []


@pytest.mark.parametrize("pdf", sorted(EXAMPLE.glob("evidence/*.pdf")), ids=lambda path: path.name)
def test_the_example_pdfs_have_no_finding(pdf: Path) -> None:
    texts = [page.extract_text() for page in PdfReader(pdf).pages]
    assert "".join(texts).strip()  # the test reads real text
    assert scan_pages(texts, str(pdf)) == []


def test_the_example_text_and_spreadsheet_have_no_finding() -> None:
    assert find((EXAMPLE / "evidence" / "freeze_notice.txt").read_text(encoding="utf-8")) == []
    workbook = openpyxl.load_workbook(EXAMPLE / "evidence" / "sales_records.xlsx", read_only=True)
    rows = [
        " ".join("" if cell is None else str(cell) for cell in row)
        for sheet in workbook
        for row in sheet.iter_rows(values_only=True)
    ]
    assert len(rows) > 10
    assert find("\n".join(rows)) == []


# --- Any text -----------------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("0123456789 -/.:年月日号账户出生DOBSNEITacount4X"), max_size=80))
def test_masked_text_has_no_finding(text: str) -> None:
    masked = mask(text)
    assert find(masked) == []
    for finding in find(text):
        assert finding.text not in finding.message
