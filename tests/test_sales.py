"""Freeze narrowing: the accused sales read from a platform's export (CSV or XLSX) or from products, their
totals set against the amount frozen, the errors for a bad export, and the request to narrow the freeze
and the § 1746 declaration built end to end through LibreOffice."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import re
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import yaml
from pypdf import PdfReader

from pipeline.build import BuildOptions, BuildResult, build
from pipeline.context import Context, Money, make_exhibits, money
from pipeline.errors import CaseDataError
from pipeline.load import load_case
from pipeline.model import CaseFile, Language
from pipeline.render import Templates
from pipeline.sales import AccusedSales, SalesRow, accused_sales, as_counted, from_products
from pipeline.sales_export import listing_id, parse_amount, parse_date, parse_quantity
from tests.conftest import EXAMPLE, OUTPUTS, MakeCase, docx_text, example_data, flat
from tests.conftest import pdftotext as pdf_text

ACCUSED, OTHER = "1600987654321", "1600987650077"
PERJURY = (
    "I declare under penalty of perjury under the laws of the United States of America that the foregoing "
    "is true and correct."
)
HEADERS = ["订单号", "下单时间", "商品ID", "商品名称", "数量", "实付金额", "币种", "订单状态"]
COLUMNS = {
    "listing": "商品ID",
    "quantity": "数量",
    "amount": "实付金额",
    "currency": "币种",
    "status": "订单状态",
    "date": "下单时间",
}


def sales_case(make_case: MakeCase, file: str, *, frozen: dict[str, str] | None = None, **sales: Any) -> Path:
    """The example case with `sales:` naming `file` (to be written into its evidence folder by the test)."""
    data = example_data()
    data["sales"] = {"file": file, "columns": dict(COLUMNS), **sales}
    if frozen is not None:
        data["case"]["amount_frozen"] = frozen
    return make_case(data)


def csv_export(path: Path, *, encoding: str = "utf-8-sig", delimiter: str = ",") -> Path:
    """A seller-centre CSV: a title line, Chinese headers, a BOM, thousands separators and currency signs;
    two accused orders, a refunded one, one of a listing not accused, and a totals line."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(["订单导出　2024-03-15"])
    writer.writerow(HEADERS)
    accused = f'="{ACCUSED}"'  # as Excel keeps a long ID from being rounded
    writer.writerow(
        ["240105001", "2024-01-05 10:22:01", accused, "香薰机", "2", "US$ 1,234.50", "USD", "交易完成"]
    )
    writer.writerow(["240120002", "2024/1/20", ACCUSED, "香薰机", "1,000", "2,000.00", "美元", "已发货"])
    writer.writerow(["240201003", "2024年2月1日", ACCUSED, "香薰机", "3", "30.00", "USD", "已退款"])
    writer.writerow(["240202004", "2024-02-02", OTHER, "加湿器", "5", "$50.00", "USD", "交易完成"])
    writer.writerow(["", "", "", "合计", "1,010", "3,314.50", "", ""])
    path.write_bytes(out.getvalue().encode(encoding))
    return path


def xlsx_export(path: Path) -> Path:
    """An XLSX export in yuan: a title row above the header, IDs and amounts stored as numbers, an amount as
    text with a yuan sign, a refunded order, and an order of a listing not accused."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "订单"
    sheet.append(["店铺订单报表（人民币）"])
    sheet.append(HEADERS)
    sheet.append(
        ["A1", dt.datetime(2024, 1, 5, 9, 30), int(ACCUSED), "香薰机", 2, 88.0, "人民币", "交易完成"]
    )
    sheet.append(["A2", dt.datetime(2024, 1, 6), int(ACCUSED), "香薰机", 10, "¥1,288.00", "CNY", "已发货"])
    sheet.append(["A3", dt.datetime(2024, 1, 7), int(ACCUSED), "香薰机", 1, 44.0, "CNY", "已退款"])
    sheet.append(["B1", dt.datetime(2024, 1, 8), float(OTHER), "加湿器", 4, 400.1 + 0.2, "CNY", "交易完成"])
    workbook.save(path)
    return path


def read(folder: Path) -> tuple[AccusedSales, list[str]]:
    case = load_case(folder)
    return accused_sales(case)


def claims(warnings: list[str]) -> list[str]:
    """The warnings about the letter's claim that the freeze exceeds the accused sales."""
    return [warning for warning in warnings if "freeze_excessive" in warning]


def line_of(folder: Path, text: str) -> int:
    lines = (folder / "case.yaml").read_text(encoding="utf-8").splitlines()
    return next(number for number, line in enumerate(lines, 1) if text in line)


# --- Totals -------------------------------------------------------------------------------------------


def test_totals_from_a_csv_export(make_case: MakeCase, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = sales_case(make_case, "evidence/sales.csv")
    csv_export(folder / "evidence" / "sales.csv")
    monkeypatch.chdir(folder.parent.parent)
    sales, warnings = read(folder)
    assert [(row.listing_id, row.orders, row.units, row.amount) for row in sales.rows] == [
        (ACCUSED, 2, 1002, Money(Decimal("3234.50"), "USD"))
    ]
    assert sales.totals == [Money(Decimal("3234.50"), "USD")] and sales.units == 1002
    assert (sales.rows_read, sales.rows_counted, sales.rows_left_out) == (5, 2, 3)
    assert sales.source == (
        "evidence/sales.csv, 5 order lines: 2 counted; not counted: 1 without a listing ID (such as a "
        "totals line), 1 of listings not accused, 1 with the status “已退款”"
    )
    assert sales.first_order == dt.date(2024, 1, 5) and sales.last_order == dt.date(2024, 1, 20)
    assert warnings == [
        f"cases/acme/case.yaml:{line_of(folder, ACCUSED)}: products[0]: {ACCUSED} has 14 units, US$209.30 in "
        "case.yaml but 1002 units, US$3,234.50 in cases/acme/evidence/sales.csv; the documents use the "
        "export's figures"
    ]


def test_a_gb18030_tab_separated_export_reads_the_same(
    make_case: MakeCase, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = sales_case(make_case, "evidence/sales.txt")
    csv_export(folder / "evidence" / "sales.txt", encoding="gb18030", delimiter="\t")
    monkeypatch.chdir(folder.parent.parent)
    sales, warnings = read(folder)
    assert sales.totals == [Money(Decimal("3234.50"), "USD")] and sales.units == 1002
    assert warnings == [
        f"cases/acme/case.yaml:{line_of(folder, ACCUSED)}: products[0]: {ACCUSED} has 14 units, US$209.30 in "
        "case.yaml but 1002 units, US$3,234.50 in cases/acme/evidence/sales.txt; the documents use the "
        "export's figures"
    ]


def test_totals_from_an_xlsx_export(make_case: MakeCase) -> None:
    folder = sales_case(make_case, "evidence/orders.xlsx", frozen={"amount": "50000.00", "currency": "CNY"})
    xlsx_export(folder / "evidence" / "orders.xlsx")
    sales, _ = read(folder)
    assert sales.sheet == "订单"
    assert [(row.listing_id, row.units, row.amount) for row in sales.rows] == [
        (ACCUSED, 12, Money(Decimal("1376.00"), "CNY"))
    ]
    assert sales.total == Money(Decimal("1376.00"), "CNY")
    assert [(item.reason, item.count) for item in sales.left_out] == [
        ("of listings not accused", 1),
        ("with the status “已退款”", 1),
    ]
    assert sales.comparable and sales.excess == Money(Decimal("48624.00"), "CNY")
    assert sales.source.startswith('evidence/orders.xlsx (sheet "订单"), 4 order lines: 2 counted')


def test_listings_countries_and_period_narrow_what_counts(make_case: MakeCase) -> None:
    folder = sales_case(
        make_case,
        "evidence/sales.csv",
        listings=[ACCUSED, OTHER],
        date_from="2024-01-10",
        date_to="2024-02-28",
    )
    csv_export(folder / "evidence" / "sales.csv")
    sales, _ = read(folder)
    assert [(row.listing_id, row.units, row.amount.amount) for row in sales.rows] == [
        (ACCUSED, 1000, Decimal("2000.00")),
        (OTHER, 5, Decimal("50.00")),
    ]
    assert ("dated outside the period", 1) in [(item.reason, item.count) for item in sales.left_out]
    assert (sales.period_start, sales.period_end) == (dt.date(2024, 1, 10), dt.date(2024, 2, 28))


def test_the_example_export_gives_the_figures_of_its_products() -> None:
    sales, warnings = accused_sales(load_case(EXAMPLE))
    assert sales.total == Money(Decimal("209.30"), "USD") and sales.units == 14 and warnings == []
    assert sales.destination == "the United States"
    assert "6 shipped outside the United States" in sales.source


# --- Against the amount frozen ------------------------------------------------------------------------


def test_the_excess_frozen_is_the_frozen_amount_less_the_accused_revenue(make_case: MakeCase) -> None:
    folder = sales_case(make_case, "evidence/sales.csv")
    csv_export(folder / "evidence" / "sales.csv")
    sales, warnings = read(folder)
    assert sales.frozen == Money(Decimal("48630.25"), "USD")
    assert sales.comparable and sales.excess == Money(Decimal("45395.75"), "USD")
    assert not claims(warnings)  # the letter's `freeze_excessive` holds


def test_a_freeze_smaller_than_the_revenue_leaves_no_excess(make_case: MakeCase) -> None:
    folder = sales_case(make_case, "evidence/sales.csv", frozen={"amount": "1000", "currency": "USD"})
    csv_export(folder / "evidence" / "sales.csv")
    sales, warnings = read(folder)
    assert sales.comparable and sales.excess == Money(Decimal("0"), "USD")
    grounds = line_of(folder, "grounds:")  # the example claims `freeze_excessive`: the figures say no
    assert claims(warnings) == [
        f"{folder / 'case.yaml'}:{grounds}: position.grounds: freeze_excessive: the letter says the freeze "
        "exceeds the accused sales, but US$1,000.00 frozen is not more than US$3,234.50 of accused revenue"
    ]


def test_other_currencies_are_not_compared_nor_added(make_case: MakeCase) -> None:
    folder = sales_case(make_case, "evidence/orders.xlsx")  # frozen in USD, sold in yuan
    xlsx_export(folder / "evidence" / "orders.xlsx")
    sales, warnings = read(folder)
    assert not sales.comparable and sales.excess is None
    # the letter sets them side by side:
    assert [warning.split(": ", 2)[2] for warning in claims(warnings)] == [
        "freeze_excessive: the letter says the freeze exceeds the accused sales, and shows US$48,630.25 "
        f"frozen beside {money(sales.totals[0])} of accused revenue, in different currencies and not "
        "converted: make sure the amount frozen is the larger"
    ]

    data = example_data()
    del data["sales"]
    data["products"][1]["accused"] = True
    data["products"][1]["currency"] = "EUR"
    sales, _ = read(make_case(data, name="mixed", evidence=False))
    assert sales.mixed and sales.total is None and not sales.comparable
    assert sales.totals == [Money(Decimal("209.30"), "USD"), Money(Decimal("4370.00"), "EUR")]


def test_without_an_export_the_products_are_the_source(make_case: MakeCase) -> None:
    data = example_data()
    del data["sales"]
    sales, warnings = read(make_case(data, evidence=False))
    assert not sales.from_export and warnings == []
    assert sales.total == Money(Decimal("209.30"), "USD") and sales.units == 14
    assert sales.source == "the company's own records of the accused listings' units sold and revenue"


GIVE_FIGURES = (
    "give units_sold and revenue, its sales to the United States (0 if it sold none there){} "
    "(请填写对美销量与销售额，未售出填0)"
)


def test_figures_case_yaml_leaves_out_are_warned_of_where_the_letter_prints_them(
    make_case: MakeCase, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A listing without units_sold or revenue was printed as selling 0 units for US$0.00 (their defaults),
    in the letter's table and in its sentence on the accused sales, as if the seller had said so."""
    data = example_data()
    del data["sales"], data["products"][0]["units_sold"], data["products"][0]["revenue"]
    del data["products"][1]["revenue"]
    folder = make_case(data, evidence=False)
    monkeypatch.chdir(folder.parent.parent)
    sales, warnings = read(folder)
    assert sales.units == 0  # (as before: the figures are still case.yaml's)
    first, second = (line_with_after(folder, listing, "listing_id") for listing in (ACCUSED, OTHER))
    advice = GIVE_FIGURES.format(", or name the platform's sales export in sales.file")
    assert warnings == [
        f"cases/acme/case.yaml:{first}: products[0]: {ACCUSED} has no units_sold and no revenue: the letter "
        f"prints 0 units and US$0.00 for it, as if it sold none; {advice}",
        f"cases/acme/case.yaml:{second}: products[1]: {OTHER} has no revenue: the letter prints 0 units and "
        f"US$0.00 for it, as if it sold none; {GIVE_FIGURES.format('')}",  # (an export counts accused ones)
    ]


def test_with_an_export_only_the_figures_of_listings_not_accused_are_missed(
    make_case: MakeCase, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The export gives the accused listings' figures; the letter's table prints the others' as given."""
    data = example_data()
    for product in data["products"]:
        del product["units_sold"], product["revenue"]
    folder = make_case(data)
    monkeypatch.chdir(folder.parent.parent)
    sales, warnings = read(folder)
    assert sales.from_export and sales.units > 0
    second = line_with_after(folder, OTHER, "listing_id")
    assert [warning for warning in warnings if "has no" in warning] == [
        f"cases/acme/case.yaml:{second}: products[1]: {OTHER} has no units_sold and no revenue: the letter "
        f"prints 0 units and US$0.00 for it, as if it sold none; {GIVE_FIGURES.format('')}"
    ]


def test_the_declaration_never_swears_to_figures_case_yaml_leaves_out(
    make_case: MakeCase, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the request to narrow the freeze, the declaration swore "the accused listing sold 0 units for
    US$0.00" under penalty of perjury, and the request asked to release the freeze as nothing was sold,
    for a listing whose figures case.yaml did not give."""
    data = example_data()
    del data["sales"], data["products"][0]["units_sold"]
    data["bundle"] = {"freeze_narrowing": True}
    folder = make_case(data)
    monkeypatch.chdir(folder.parent.parent)
    first = line_with_after(folder, ACCUSED, "listing_id")
    with pytest.raises(CaseDataError) as raised:
        read(folder)
    assert raised.value.problems == [
        f"cases/acme/case.yaml:{first}: products[0]: {ACCUSED} has no units_sold, yet the declaration would "
        "swear it sold 0 units for US$0.00 to the United States; "
        + GIVE_FIGURES.format(", or name the platform's sales export in sales.file")
    ]


# --- Errors -------------------------------------------------------------------------------------------


def test_a_missing_column_names_it_and_lists_the_headers_found(
    make_case: MakeCase, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = sales_case(make_case, "evidence/sales.csv")
    csv_export(folder / "evidence" / "sales.csv")
    text = (folder / "case.yaml").read_text(encoding="utf-8").replace("amount: 实付金额", "amount: 支付金额")
    (folder / "case.yaml").write_text(text, encoding="utf-8")
    monkeypatch.chdir(folder.parent.parent)
    with pytest.raises(CaseDataError) as raised:
        read(folder)
    assert raised.value.problems == [
        f"cases/acme/case.yaml:{line_of(folder, '支付金额')}: sales.columns.amount: no column “支付金额” in "
        "cases/acme/evidence/sales.csv; the headers found (row 2) are “订单号”, “下单时间”, “商品ID”, "
        "“商品名称”, “数量”, “实付金额”, “币种”, “订单状态”; did you mean “实付金额”?"
    ]


def test_a_missing_export_names_the_field(make_case: MakeCase, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = sales_case(make_case, "evidence/nowhere.csv")
    monkeypatch.chdir(folder.parent.parent)
    with pytest.raises(CaseDataError) as raised:
        read(folder)
    assert str(raised.value) == (
        f"cases/acme/case.yaml:{line_of(folder, 'nowhere.csv')}: sales.file: evidence/nowhere.csv: no such "
        "file in acme/"
    )


def test_a_bad_value_in_a_counted_line_names_the_row_and_column(
    make_case: MakeCase, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = sales_case(make_case, "evidence/sales.csv")
    path = csv_export(folder / "evidence" / "sales.csv")
    path.write_bytes(path.read_bytes().replace(b"1,000", b"lots", 1))
    monkeypatch.chdir(folder.parent.parent)
    with pytest.raises(CaseDataError) as raised:
        read(folder)
    assert raised.value.problems == [
        "cases/acme/evidence/sales.csv, row 4, column “数量” (sales.columns.quantity): “lots” is not a whole "
        "number of units"
    ]


def test_not_a_spreadsheet_and_a_missing_sheet_are_refused(
    make_case: MakeCase, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = sales_case(make_case, "evidence/orders.xlsx", sheet="Orders")
    xlsx_export(folder / "evidence" / "orders.xlsx")
    monkeypatch.chdir(folder.parent.parent)
    with pytest.raises(CaseDataError, match=r'sales.sheet: no sheet "Orders" in .*; its sheets are "订单"'):
        read(folder)
    (folder / "evidence" / "orders.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    with pytest.raises(
        CaseDataError, match=r"sales.file: cases/acme/evidence/orders.xlsx: not an XLSX workbook"
    ):
        read(folder)


@pytest.mark.parametrize(
    ("sales", "message"),
    [
        ({"file": "evidence/sales.csv"}, "sales.columns: needed with file"),
        (
            {"columns": {"listing": "a", "quantity": "b", "amount": "c"}},
            "sales.file: columns are given but no file",
        ),
        ({"countries": ["United States"]}, "sales.countries: needs columns.country"),
        ({"listings": ["42"]}, "sales.listings[0]: 42 is not in products"),
    ],
)
def test_the_sales_section_is_checked_with_case_yaml(
    make_case: MakeCase, sales: dict[str, Any], message: str
) -> None:
    data = example_data()
    data["sales"] = sales
    with pytest.raises(CaseDataError, match=rf"case.yaml:\d+: {re.escape(message)}"):
        load_case(make_case(data, evidence=False))


def test_the_documents_need_where_the_declaration_is_signed(make_case: MakeCase) -> None:
    data = example_data()
    data["bundle"] = {"freeze_narrowing": True}
    del data["declaration"]["place"]
    with pytest.raises(CaseDataError, match=r"bundle.freeze_narrowing: needs declaration.place"):
        load_case(make_case(data, evidence=False))


def test_no_accused_listing_in_the_export_is_a_warning(make_case: MakeCase) -> None:
    folder = sales_case(make_case, "evidence/sales.csv", listings=["9999"])
    csv_export(folder / "evidence" / "sales.csv")
    sales, warnings = read(folder)
    assert [(row.listing_id, row.units, row.amount) for row in sales.rows] == [
        ("9999", 0, Money(Decimal(0), "USD"))
    ]
    assert "none of the accused listings (9999) appears in the column “商品ID”" in warnings[0]


# --- Values -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "amount", "signs"),
    [
        ("US$ 1,234.50", "1234.50", {"USD"}),
        ("¥88.00", "88.00", {"CNY", "JPY"}),
        ("￥1,288.00", "1288.00", {"CNY", "JPY"}),
        ("88.00元", "88.00", {"CNY"}),
        ("1.234,50 €", "1234.50", {"EUR"}),
        ("(12.00)", "-12.00", None),
        ("-1,000", "-1000", None),
        ("USD 12", "12", {"USD"}),
        (29.900000000000002, "29.90", None),
        (14.95, "14.95", None),
    ],
)
def test_amounts_as_platforms_write_them(cell: object, amount: str, signs: set[str] | None) -> None:
    assert parse_amount(cell) == (Decimal(amount), signs)


@pytest.mark.parametrize("cell", ["", "abc", "12.34.56,7", "1,23,4"])
def test_what_is_not_an_amount(cell: str) -> None:
    with pytest.raises(ValueError):
        parse_amount(cell)


def test_quantities_dates_and_ids() -> None:
    assert [parse_quantity(v) for v in ("1,200", "3件", "2 pcs", 4, 5.0)] == [1200, 3, 2, 4, 5]
    with pytest.raises(ValueError, match="not a whole number"):
        parse_quantity(2.5)
    assert {parse_date(v) for v in ("2024-03-01 10:22:01", "2024/3/1", "2024年3月1日", "Mar 1, 2024",
                                    "1 March 2024", "03/01/2024", dt.datetime(2024, 3, 1, 9))} == {
        dt.date(2024, 3, 1)
    }  # fmt: skip
    assert parse_date("13/03/2024") == dt.date(2024, 3, 13)
    assert [listing_id(v) for v in ('="1600987654321"', "\t1600987654321", 1600987654321.0, "'0123")] == [
        ACCUSED,
        ACCUSED,
        ACCUSED,
        "0123",
    ]


# --- The templates, rendered (fast: no conversion) ----------------------------------------------------


def render_texts(folder: Path, language: Language, work: Path) -> dict[str, str]:
    """The text of the request and the declaration rendered from the default Word templates."""
    case = load_case(folder)
    exhibits = make_exhibits(case.data, folder)
    sales, _ = accused_sales(case, exhibits)
    context = Context(case.data, exhibits, dt.date(2024, 3, 18), language, sales=sales)
    templates = Templates(folder / "templates")
    return {
        name: docx_text(templates.render(templates.find(name), context, work).path)
        for name in ("narrowing_request", "declaration")
    }


def _no_frozen(data: dict[str, Any]) -> None:
    del data["case"]["amount_frozen"]


def _products_in_two_currencies(data: dict[str, Any]) -> None:
    del data["sales"]
    data["products"][1].update(accused=True, currency="EUR")


def _nothing_accused(data: dict[str, Any]) -> None:
    del data["sales"]
    for product in data["products"]:
        product["accused"] = False


def _no_sales(data: dict[str, Any]) -> None:
    data["sales"]["countries"] = ["Japan"]


def _frozen_in_yuan(data: dict[str, Any]) -> None:
    data["case"]["amount_frozen"] = {"amount": "340000", "currency": "CNY"}


@pytest.mark.parametrize("language", list(Language))
@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (_no_frozen, "US$209.30"),
        (_products_in_two_currencies, "€4,370.00"),
        (_nothing_accused, "No listing of our store has been identified to us as accused"),
        (_no_sales, "made no sales to Japan"),
        (_frozen_in_yuan, "not converted or compared"),
    ],
)
def test_every_case_of_the_figures_renders_in_every_language(
    make_case: MakeCase, tmp_path: Path, language: Language, change: Any, expected: str
) -> None:
    data = example_data()
    change(data)
    texts = render_texts(make_case(data), language, tmp_path)
    assert PERJURY in texts["declaration"]
    if language != Language.ZH:
        assert expected in texts["narrowing_request"] + texts["declaration"]
    assert ("Certificate of Translation" in texts["declaration"]) == (language == Language.BILINGUAL)


def test_case_data_in_the_new_templates_is_only_text(make_case: MakeCase, tmp_path: Path) -> None:
    hostile = "A & B <b>{{ 7*7 }}</b> {% if true %}x{% endif %}"
    data = example_data()
    data["declaration"].update(name=hostile, place=f"{hostile}, China")
    data["merchant"]["store_name"] = hostile
    data["evidence"].append({"file": "evidence/orders_export.csv", "title": "The order export"})
    texts = render_texts(make_case(data), Language.EN, tmp_path)
    for text in texts.values():
        assert hostile in text and "49" not in text
    assert f"Executed on March 18, 2024 at {hostile}, China." in texts["declaration"]
    assert "“orders_export.csv”, a copy of which is Exhibit 8" in texts["declaration"]
    assert "(Exhibit 8)" in texts["narrowing_request"]


# --- The documents, end to end ------------------------------------------------------------------------

NARROWING = {"narrowing_request.docx", "narrowing_request.pdf", "declaration.docx", "declaration.pdf"}


@pytest.fixture(scope="module")
def bilingual(tmp_path_factory: pytest.TempPathFactory) -> BuildResult:
    return _build_once(tmp_path_factory, "bilingual")


@pytest.fixture(scope="module")
def english(tmp_path_factory: pytest.TempPathFactory) -> BuildResult:
    return _build_once(tmp_path_factory, "en")


def _build_once(factory: pytest.TempPathFactory, language: str) -> BuildResult:
    """The example with the setting on, in `language`, built once for the module."""
    root = factory.mktemp(language)
    folder = root / "cases" / "acme"
    shutil.copytree(EXAMPLE, folder)
    data = example_data()
    data["language"] = language
    data["bundle"] = {"freeze_narrowing": True}
    (folder / "case.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    return build(folder, BuildOptions(output_root=root / "out"))


def test_the_setting_adds_both_documents_to_the_outputs(bilingual: BuildResult) -> None:
    assert {path.name for path in bilingual.output.iterdir()} == OUTPUTS | NARROWING


def test_both_documents_are_in_the_bundle_after_the_index_with_bookmarks_and_toc_entries(
    bilingual: BuildResult,
) -> None:
    reader = PdfReader(bilingual.bundle)
    marks = [
        (item.title, reader.get_destination_page_number(item) + 1)
        for item in reader.outline
        if not isinstance(item, list)
    ]
    titles = [title for title, _ in marks]
    assert titles == [
        "Cover",
        "Table of contents",
        "Appeal letter",
        "Request for case details",
        "Evidence index",
        "Request to narrow the asset freeze",
        "Declaration under 28 U.S.C. § 1746",
        "Exhibits",
    ]
    pages = dict(marks)
    request, declaration, exhibits = (pages[t] for t in titles[5:])
    toc = subprocess.run(
        ["pdftotext", "-layout", "-f", "2", "-l", "2", str(bilingual.bundle), "-"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert f"Request to narrow the asset freeze {request} {request}–{declaration - 1}" in " ".join(
        toc.split()
    )
    assert f"Declaration under 28 U.S.C. § 1746 {declaration} {declaration}–{exhibits - 1}" in " ".join(
        toc.split()
    )
    bundle_pages = subprocess.run(
        ["pdftotext", "-f", str(declaration), "-l", str(declaration), str(bilingual.bundle), "-"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert "DECLARATION OF CHEN XIAOYU" in bundle_pages
    assert bilingual.exhibits[0].first_page == exhibits


def test_the_declaration_states_the_facts_and_the_exact_1746_sentence(bilingual: BuildResult) -> None:
    text = flat(pdf_text(bilingual.output / "declaration.pdf"))
    assert flat(PERJURY) in text
    assert flat("Executed on March 18, 2024 at Shenzhen, China.") in text
    assert "DECLARATIONOFCHENXIAOYU" in text and "ChenXiaoyu陈晓宇" in text
    assert flat("I am the General Manager of Shenzhen Lumiere Home Technology Co., Ltd.") in text
    assert ACCUSED in text and OTHER not in text
    assert flat("sold 14 units to the United States for US$209.30") in text
    assert flat("exported from Alibaba.com as the file “orders_export.csv”") in text
    assert flat("1 with the status “已退款”") in text
    assert flat("US$48,630.25") in text and flat("US$48,420.95 more than") in text
    assert "legal advice" not in text


def test_the_bilingual_declaration_carries_a_certificate_of_translation(
    bilingual: BuildResult, english: BuildResult
) -> None:
    both = flat(pdf_text(bilingual.output / "declaration.pdf"))
    assert (
        "CertificateofTranslation" in both and flat("certify that I am fluent in English and Chinese") in both
    )
    assert both.count(flat(PERJURY)) == 2  # the declarant's and the translator's
    only = flat(pdf_text(english.output / "declaration.pdf"))
    assert flat(PERJURY) in only and "Translation" not in only and "陈晓宇" not in only


def test_the_request_cites_the_figures_their_source_and_the_declaration(english: BuildResult) -> None:
    text = flat(pdf_text(english.output / "narrowing_request.pdf"))
    assert flat("Dear Counsel:") in text and flat("Harbor & Vance LLP") in text
    assert flat("narrow the asset freeze on our store to US$209.30") in text
    assert flat("the remaining US$48,420.95 is released") in text
    assert flat("Source of the figures: evidence/orders_export.csv, 26 order lines: 5 counted") in text
    assert flat("Enclosure: Declaration of Chen Xiaoyu under 28 U.S.C. § 1746") in text
    assert flat("not legal advice") in text


def test_a_chinese_case_writes_the_request_and_the_declaration_in_english_too(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """They go to the plaintiff's American counsel and an American court; a Chinese case wrote them in
    Chinese alone (found by auditing the bundle as counsel would). They are bilingual now, the declaration
    with its certificate of translation; the seller's own documents stay Chinese."""
    chinese = _build_once(tmp_path_factory, "zh")
    declaration = flat(pdf_text(chinese.output / "declaration.pdf"))
    assert flat(PERJURY) in declaration and "CertificateofTranslation" in declaration
    assert "陈晓宇" in declaration  # the Chinese after each paragraph
    request = flat(pdf_text(chinese.output / "narrowing_request.pdf"))
    assert flat("Re: Request to narrow the asset freeze to the accused revenue") in request
    letter = pdf_text(chinese.output / "appeal_letter.pdf")
    assert "Dear" not in letter and "尊敬" in letter


def test_the_request_and_its_declaration_warn_about_what_undoes_them(make_case: MakeCase) -> None:
    """Found by auditing the bundle as counsel would: the declaration swore to the totals of an export no
    exhibit holds, and a request asked to narrow a US$150 freeze to US$209.30."""
    data = example_data()
    data["bundle"] = {"freeze_narrowing": True}
    del data["sales"]
    data["case"]["amount_frozen"] = {"amount": "150.00", "currency": "USD"}
    folder = make_case(data, evidence=False)
    _, warnings = read(folder)
    [narrowing] = [warning for warning in warnings if "bundle.freeze_narrowing" in warning]
    assert narrowing.endswith(
        "bundle.freeze_narrowing: the request asks to narrow the freeze to the accused revenue, US$209.30, "
        "which is not less than the US$150.00 frozen"
    )
    data = example_data()
    data["sales"] = {"file": "evidence/sales.csv", "columns": dict(COLUMNS)}
    data["bundle"] = {"freeze_narrowing": True}
    folder = make_case(data, name="export")
    csv_export(folder / "evidence" / "sales.csv")
    _, warnings = read(folder)
    assert any(
        "sales.file: evidence/sales.csv is not among the exhibits, yet the request and the declaration rest "
        "on it" in warning
        for warning in warnings
    )
    data["evidence"].append({"file": "evidence/sales.csv", "title": "The order export"})
    (folder / "case.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    case = load_case(folder)
    _, warnings = accused_sales(case, make_exhibits(case.data, folder))  # as the build reads it
    assert not [warning for warning in warnings if "not among the exhibits" in warning]


def test_the_wording_of_the_default_word_templates(make_case: MakeCase, tmp_path: Path) -> None:
    """Found by auditing the bundle as counsel would: the letter's "Enclosures: ...; Exhibit 1 to 7", and
    the Chinese declaration's "链接及其的销售情况" when the figures have no period or destination."""
    data = example_data()
    del data["sales"]  # (the figures from products)
    folder = make_case(data)
    case = load_case(folder)
    context = Context(case.data, make_exhibits(case.data, folder), dt.date(2024, 3, 18), Language.BILINGUAL)
    templates = Templates(folder / "templates")
    letter = docx_text(templates.render(templates.find("appeal_letter"), context, tmp_path).path)
    assert "Enclosures: request for case details; evidence index; Exhibits 1 to 7" in letter
    assert "The listings concerned and their sales to the United States:" in letter  # ("Our listings ...")
    request = docx_text(templates.render(templates.find("narrowing_request"), context, tmp_path).path)
    assert "1. The sales of the accused listing / " in request  # one listing: not "listings"
    every_country = dataclasses.replace(from_products(case.data), file="evidence/sales.csv")  # (no period,
    context = dataclasses.replace(context, sales=every_country)  # no destination: an export of every country)
    declaration = docx_text(templates.render(templates.find("declaration"), context, tmp_path).path)
    assert "及其的" not in declaration and "链接及其" in declaration


def test_the_letter_encloses_the_request_and_the_declaration_it_is_sent_with(
    make_case: MakeCase, tmp_path: Path
) -> None:
    """The letter's enclosures named the index and the exhibits, not the request to narrow the freeze and
    the declaration that the bundle carries after it (found by a probe reading the bundle as counsel)."""
    data = example_data()
    folder = make_case(data)
    case = load_case(folder)
    templates = Templates(folder / "templates")
    context = Context(case.data, make_exhibits(case.data, folder), dt.date(2024, 3, 18), Language.BILINGUAL)
    without = docx_text(templates.render(templates.find("appeal_letter"), context, tmp_path).path)
    assert "Enclosures: request for case details; evidence index; Exhibits 1 to 7\n" in without
    assert "缩小资产冻结" not in without
    data["bundle"] = {"freeze_narrowing": True}
    case = load_case(make_case(data, name="narrowing"))
    context = dataclasses.replace(context, data=case.data)
    letter = docx_text(templates.render(templates.find("appeal_letter"), context, tmp_path).path)
    assert (
        "Enclosures: request for case details; evidence index; request to narrow the asset freeze; "
        "declaration under 28 U.S.C. § 1746; Exhibits 1 to 7\n附件：案件信息查询函；证据目录；"
        "缩小资产冻结范围的请求；声明书（28 U.S.C. § 1746）；证据1至证据7"
    ) in letter


def test_the_letters_enclosures_are_what_the_bundle_holds_in_its_order(
    bilingual: BuildResult, make_case: MakeCase, tmp_path: Path
) -> None:
    """The letter's enclosures left out the request for case details, which the bundle carries right after
    it, and named the exhibits before the request and the declaration that come before them (found by a
    reviewer reading the bundle as a platform's IP reviewer). Without exhibits the line was left out."""
    text = flat(pdf_text(bilingual.output / "appeal_letter.pdf"))
    english = (
        "Enclosures: request for case details; evidence index; request to narrow the asset freeze; "
        "declaration under 28 U.S.C. § 1746; Exhibits 1 to 7"
    )
    assert flat(english) in text
    chinese = "附件：案件信息查询函；证据目录；缩小资产冻结范围的请求；声明书（28 U.S.C. § 1746）；证据1至"
    assert flat(chinese) in text
    data = example_data()
    data["language"] = "zh"
    del data["sales"], data["evidence"]
    result = build(make_case(data, evidence=False), BuildOptions(output_root=tmp_path / "out"))
    text = flat(pdf_text(result.output / "appeal_letter.pdf"))
    assert flat("附件：案件信息查询函；证据目录") in text and "证据1" not in text


def test_amounts_name_their_currency_beyond_doubt() -> None:
    """A yuan amount printed as "¥350,000.00" in an English letter to a US court reads as yen (found by
    auditing the bundle as counsel would); JP¥ and US$ were already plain."""
    assert money(Money(Decimal("350000"), "CNY")) == "CN¥350,000.00"
    assert money(Money(Decimal("350000"), "JPY")) == "JP¥350,000.00"
    assert money(Decimal("209.3"), "USD") == "US$209.30"
    assert money(Decimal("12"), "AUD") == "AUD 12.00"
    assert money(Decimal("-12"), "USD") == "-US$12.00"  # a refund line
    assert money(Decimal("-0.004"), "USD") == "US$0.00"  # (no debt: not -US$0.00)
    assert money(Decimal("NaN"), "USD") == "US$NaN"  # (an odd cell of an export: printed, not a crash)


def english_context(folder: Path) -> Context:
    """The English documents' context of the case in `folder`, with its sales as the build reads them."""
    case = load_case(folder)
    exhibits = make_exhibits(case.data, folder)
    sales, _ = accused_sales(case, exhibits)
    return Context(case.data, exhibits, dt.date(2024, 3, 18), Language.EN, sales=sales)


def test_the_letters_table_of_listings_shows_the_figures_its_totals_count(
    make_case: MakeCase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a sales export, the letter's table of listings printed case.yaml's 14 units and US$209.30 above
    the sentence that counts the export's 1002 units and US$3,234.50, as the declaration does (found by a
    probe preparing a seller's own appeal). The accused listing's row has the export's figures now; the
    listing not accused keeps case.yaml's."""
    folder = sales_case(make_case, "evidence/sales.csv")
    csv_export(folder / "evidence" / "sales.csv")
    monkeypatch.chdir(folder.parent.parent)
    context = english_context(folder)
    templates = Templates(folder / "templates")
    letter = docx_text(templates.render(templates.find("appeal_letter"), context, tmp_path).path)
    rows = letter.split("\n")
    accused = rows.index(ACCUSED)
    assert rows[accused + 2 : accused + 5] == ["Yes", "1002", "US$3,234.50"]
    other = rows.index(OTHER)
    assert rows[other + 2 : other + 5] == ["No", "230", "US$4,370.00"]
    assert "sold 1002 units to the United States, for US$3,234.50" in letter  # (the sentence beneath)


def test_a_listing_sold_in_two_currencies_shows_both_amounts() -> None:
    data = CaseFile.model_validate(example_data())
    sales = dataclasses.replace(
        from_products(data),
        file="evidence/sales.csv",
        rows=[
            SalesRow(ACCUSED, "", "", 3, Money(Decimal("10.00"), "USD")),
            SalesRow(ACCUSED, "", "", 1, Money(Decimal("5.00"), "EUR")),
        ],
    )
    accused, other = as_counted(data, sales)
    assert (accused.units_sold, money(accused.revenue, accused.currency)) == (4, "US$10.00 + €5.00")
    assert other == data.products[1] and not other.accused


def test_the_declaration_counts_one_order_line_in_the_singular(
    make_case: MakeCase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sworn declaration read "Of its 4 order lines, 1 are counted above" (found by a probe preparing a
    seller's own appeal)."""
    folder = sales_case(make_case, "evidence/sales.csv")
    lines = [",".join(HEADERS), f"1,2024-01-05,{ACCUSED},香薰机,2,30.00,USD,交易完成"]
    (folder / "evidence" / "sales.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.chdir(folder.parent.parent)
    context = english_context(folder)
    one = context.sales
    assert one is not None
    templates = Templates(folder / "templates")

    def declaration(sales: AccusedSales) -> str:
        scoped = dataclasses.replace(context, sales=sales)
        return docx_text(templates.render(templates.find("declaration"), scoped, tmp_path).path)

    assert "Of its 1 order line, 1 is counted above." in declaration(one)
    two = dataclasses.replace(one, rows_read=4, rows_counted=1)
    assert "Of its 4 order lines, 1 is counted above." in declaration(two)
    three = dataclasses.replace(one, rows_read=4, rows_counted=3)
    assert "Of its 4 order lines, 3 are counted above." in declaration(three)


def test_the_listings_sales_listings_names_are_the_accused_ones_in_every_document(
    make_case: MakeCase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With `sales.listings`, the totals counted a listing the letter's table showed as not accused, with
    case.yaml's figures, and one the table did not show at all; the letter then said "our accused listing
    sold ..." of two (found by a reviewer of the table's figures)."""
    data = example_data()
    data["sales"] = {"file": "evidence/sales.csv", "columns": {**COLUMNS, "title": "商品名称"}}
    data["sales"]["listings"] = [ACCUSED, OTHER]
    data["products"] = data["products"][:1]  # OTHER is named by sales.listings alone
    folder = make_case(data)
    csv_export(folder / "evidence" / "sales.csv")
    monkeypatch.chdir(folder.parent.parent)
    context = english_context(folder)
    variables = context.variables()
    assert [product.listing_id for product in variables["accused_products"]] == [ACCUSED, OTHER]
    templates = Templates(folder / "templates")
    rows = docx_text(templates.render(templates.find("appeal_letter"), context, tmp_path).path).split("\n")
    assert rows[rows.index(ACCUSED) + 2 : rows.index(ACCUSED) + 5] == ["Yes", "1002", "US$3,234.50"]
    assert rows[rows.index(OTHER) + 1 : rows.index(OTHER) + 5] == ["加湿器", "Yes", "5", "US$50.00"]
    assert "our listings named in the case sold 1007 units to the United States, for US$3,284.50" in " ".join(
        rows
    )


def test_a_product_whose_accused_flag_sales_listings_overrules_is_warned_of(
    make_case: MakeCase, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`sales.listings` naming the listing marked `accused: false` and not the one marked `accused: true`
    turned the letter's table around without a word (found by a reviewer of the table's figures)."""
    data = example_data()
    data["sales"]["listings"] = [OTHER]
    folder = make_case(data)
    monkeypatch.chdir(folder.parent.parent)
    _, warnings = read(folder)
    first, second = (line_with_after(folder, listing, "accused:") for listing in (ACCUSED, OTHER))
    assert [warning for warning in warnings if "sales.listings" in warning] == [
        f"cases/acme/case.yaml:{first}: products[0].accused: {ACCUSED} has accused: true, but sales.listings "
        "does not name it, so the documents count it as not accused; make the two agree "
        "(涉案链接以 sales.listings 为准)",
        f"cases/acme/case.yaml:{second}: products[1].accused: {OTHER} has accused: false, but sales.listings "
        "names it, so the documents count it as accused; make the two agree (涉案链接以 sales.listings 为准)",
    ]


def line_with_after(folder: Path, first: str, then: str) -> int:
    """The number of the first line holding `then` after the first holding `first` in case.yaml."""
    lines = (folder / "case.yaml").read_text(encoding="utf-8").splitlines()
    start = next(number for number, line in enumerate(lines) if first in line)
    return next(number for number, line in enumerate(lines[start:], start + 1) if then in line)
