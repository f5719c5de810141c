"""A spreadsheet exhibit prints whole and readable: every cell's text, at a size a reader can read, each page
named after its sheet (`pipeline.office_copy._fit_sheet`, printed by LibreOffice for real)."""

from __future__ import annotations

import re
import struct
import zipfile
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest
from pypdf import PdfReader

from pipeline.check import check_case
from pipeline.context import Exhibit
from pipeline.errors import EvidenceError
from pipeline.limits import time_limit
from pipeline.office_copy import MAX_COLUMNS, READABLE_SIZE, printable_copy
from pipeline.stamps import HEADER_BAND, STAMP_BAND
from tests.conftest import MakeCase, example_data, flat, page_words, pdftotext

EXHIBIT = Exhibit(6, "6", "Sales export", "", None, "", "", "evidence/sales.xlsx", "0" * 64)
NAME = "Exhibit 6 (evidence/sales.xlsx)"
LISTING = "1600987654321"
TITLE = (
    "Wireless earbuds Bluetooth 5.3 with charging case, noise cancelling, 40h playtime, waterproof IPX7 "
    "sport headphones for running"
)
HEADERS = [f"COL{index:02d}_header_name" for index in range(1, 41)]
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE = "http://schemas.openxmlformats.org/package/2006/relationships"
TYPES = "application/vnd.openxmlformats-officedocument.spreadsheetml"


def excel_export(path: Path, sheets: dict[str, list[list[Any]]]) -> Path:
    """An .xlsx as Excel and the platforms write it: its text in the shared strings, Excel's default column
    widths, no print set-up; a float is written as a number with two decimals (`#,##0.00`)."""
    strings: list[str] = []
    parts: dict[str, str] = {}
    for number, rows in enumerate(sheets.values(), 1):
        cells = []
        for row_number, row in enumerate(rows, 1):
            written = []
            for column, value in enumerate(row):
                reference = f"{chr(65 + column) if column < 26 else 'A' + chr(65 + column - 26)}{row_number}"
                if isinstance(value, str):
                    strings.append(value)
                    written.append(f'<c r="{reference}" t="s"><v>{len(strings) - 1}</v></c>')
                elif value is not None:
                    style = ' s="1"' if isinstance(value, float) else ""
                    written.append(f'<c r="{reference}"{style}><v>{value}</v></c>')
            cells.append(f'<row r="{row_number}">{"".join(written)}</row>')
        parts[f"xl/worksheets/sheet{number}.xml"] = (
            f'<worksheet xmlns="{MAIN}"><sheetFormatPr defaultRowHeight="15"/>'
            f"<sheetData>{''.join(cells)}</sheetData>"
            '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
            "</worksheet>"
        )
    parts["xl/sharedStrings.xml"] = (
        f'<sst xmlns="{MAIN}" count="{len(strings)}">'
        + "".join(f'<si><t xml:space="preserve">{escape(text)}</t></si>' for text in strings)
        + "</sst>"
    )
    parts["xl/styles.xml"] = (
        f'<styleSheet xmlns="{MAIN}">'
        '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
        '<fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
        '<borders count="1"><border/></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
        '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
        '<xf numFmtId="4" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
        "</styleSheet>"
    )
    names = "".join(
        f'<sheet name="{escape(name)}" sheetId="{number}" r:id="rId{number}"/>'
        for number, name in enumerate(sheets, 1)
    )
    parts["xl/workbook.xml"] = (
        f'<workbook xmlns="{MAIN}" xmlns:r="{RELATIONSHIPS}"><sheets>{names}</sheets></workbook>'
    )
    targets = [
        (f"rId{number}", "worksheet", f"worksheets/sheet{number}.xml") for number in range(1, len(sheets) + 1)
    ]
    targets += [("rIdS", "sharedStrings", "sharedStrings.xml"), ("rIdT", "styles", "styles.xml")]
    parts["xl/_rels/workbook.xml.rels"] = (
        f'<Relationships xmlns="{PACKAGE}">'
        + "".join(
            f'<Relationship Id="{key}" Type="{RELATIONSHIPS}/{kind}" Target="{target}"/>'
            for key, kind, target in targets
        )
        + "</Relationships>"
    )
    parts["_rels/.rels"] = (
        f'<Relationships xmlns="{PACKAGE}"><Relationship Id="rId1" '
        f'Type="{RELATIONSHIPS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    )
    overrides = {
        "/xl/workbook.xml": f"{TYPES}.sheet.main+xml",
        "/xl/sharedStrings.xml": f"{TYPES}.sharedStrings+xml",
        "/xl/styles.xml": f"{TYPES}.styles+xml",
    }
    overrides.update(
        {
            f"/xl/worksheets/sheet{number}.xml": f"{TYPES}.worksheet+xml"
            for number in range(1, len(sheets) + 1)
        }
    )
    parts["[Content_Types].xml"] = (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        + "".join(f'<Override PartName="{name}" ContentType="{kind}"/>' for name, kind in overrides.items())
        + "</Types>"
    )
    with zipfile.ZipFile(path, "w") as package:
        for name, text in parts.items():
            package.writestr(name, '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + text)
    return path


def wide_workbook(path: Path) -> Path:
    """A first sheet that fits a page, then a 40-column sheet 60 rows long, by openpyxl (inline strings)."""
    import openpyxl

    workbook = openpyxl.Workbook()
    narrow = workbook.active
    assert narrow is not None
    narrow.title = "Narrow"
    narrow.append(HEADERS[:3])
    narrow.append(["value", "value", "value"])
    wide = workbook.create_sheet("Wide")
    wide.append(HEADERS)
    for row in range(60):
        wide.append([f"v{row}.{column}" for column in range(1, 41)])
    workbook.save(path)
    return path


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, list[str]]]:
    """The probe's spreadsheets, copied for printing and printed by LibreOffice: each one's PDF and the
    warnings of its copy (one LibreOffice run for them all)."""
    from pipeline.convert import Job, office_to_pdf

    folder = tmp_path_factory.mktemp("sheets")
    sources = {
        "orders": excel_export(
            folder / "orders.xlsx",
            {
                "Orders": [
                    ["订单号", "商品ID", "商品名称", "金额"],
                    *[[f"ORD-2024-{row:06d}", LISTING, TITLE, 12345678.25] for row in range(5)],
                    [None, int(LISTING), "耳机", 19.99],
                ]
            },
        ),
        "wide": wide_workbook(folder / "wide.xlsx"),
    }
    jobs, warnings = [], {}
    for name, source in sources.items():
        before = source.read_bytes()
        copy, warnings[name] = printable_copy(EXHIBIT, source, folder / f"copy-{name}.xlsx")
        assert source.read_bytes() == before  # the evidence itself is never changed
        jobs.append(Job(copy, folder / f"{name}.pdf", name))
    office_to_pdf(jobs, timeout=180)
    return {name: (folder / f"{name}.pdf", warnings[name]) for name in sources}


def test_a_listing_id_and_a_long_title_print_whole(printed: dict[str, tuple[Path, list[str]]]) -> None:
    """Excel's default widths cut the listing ID of every row to `16009876` and a long header to
    `COL01_hea`; a long number printed `1.6E+12`, an amount `12345678`."""
    pdf, warnings = printed["orders"]
    assert warnings == []
    text = flat(pdftotext(pdf, "-raw"))
    assert text.count(LISTING) == 6  # five as text, one a number
    assert "E+" not in text
    assert text.count("12,345,678.25") == 5
    assert text.count(flat(TITLE)) == 5  # wrapped in its column, every line printed
    assert "订单号商品ID商品名称金额" in flat(pdftotext(pdf, "-layout"))
    assert len(PdfReader(pdf).pages) == 1
    # The wrapped titles' rows are tall enough: no line of one row runs into the next row's.
    lines = [word for word in page_words(pdf, 1) if word[0] in ("Wireless", "sport", "ORD-2024-000001")]
    first_row_end = max(bottom for text, _, _, _, bottom in lines[:2])
    assert all(top >= first_row_end for text, _, top, _, _ in lines[2:])


def test_a_sheet_too_wide_for_one_page_prints_across_pages_at_a_readable_size(
    printed: dict[str, tuple[Path, list[str]]],
) -> None:
    """A 40-column sheet was squeezed onto one landscape page, its 11-point text printed 3 points high."""
    pdf, warnings = printed["wide"]
    assert warnings == [
        f'{NAME}: the sheet "Wide" is too wide to print readably on one page; it is printed 5 pages across; '
        "to print it on one page, add a copy of the file that keeps only the columns that matter"
    ]
    pages = len(PdfReader(pdf).pages)
    assert pages == 1 + 5 * 2  # the narrow sheet; the wide one 5 pages across and 2 down

    def width(page: int, header: str) -> float:
        return next(right - left for text, left, _, right, _ in page_words(pdf, page) if text == header)

    full_size = width(1, HEADERS[0])  # the narrow sheet prints at full size
    assert width(2, HEADERS[0]) >= READABLE_SIZE / 11 * full_size
    assert flat(pdftotext(pdf, "-raw")).count("v59.40") == 1  # every cell on some page
    headers = [
        header for page in range(2, pages + 1) for header, *_ in page_words(pdf, page) if header in HEADERS
    ]
    assert sorted(set(headers)) == HEADERS  # each whole


def test_each_page_of_a_sheet_repeats_its_first_row(printed: dict[str, tuple[Path, list[str]]]) -> None:
    """The pages below the first of a long sheet had no column names."""
    pdf, _ = printed["wide"]
    for page in range(2, len(PdfReader(pdf).pages) + 1):
        assert any(text in HEADERS for text, *_ in page_words(pdf, page)), page


def test_each_page_of_a_sheet_is_headed_with_the_sheet_s_name(
    printed: dict[str, tuple[Path, list[str]]],
) -> None:
    """Nothing told a reader which sheet a page came from. The name is at the top, below the band a court's
    filing system prints its header in (Excel's header margin, 0.3 inch, is in it); the bottom band stays
    the bundle's stamps'."""
    for name, first, then in (("orders", "Orders", "Orders"), ("wide", "Narrow", "Wide")):
        pdf, _ = printed[name]
        for page in range(1, len(PdfReader(pdf).pages) + 1):
            sheet = first if page == 1 else then
            words = sorted(page_words(pdf, page), key=lambda word: word[2])
            assert words[0][0] == sheet
            assert words[0][2] >= HEADER_BAND and words[0][4] < 612 / 4  # (a landscape page)
            assert max(bottom for *_, bottom in words) < 612 - STAMP_BAND


def test_a_copy_keeps_what_the_file_laid_out_itself(tmp_path: Path) -> None:
    """A hidden column stays hidden, a column already wide enough keeps its width, a header of the sheet's
    own stays, a range of columns keeps its style where one column of it is widened."""
    import openpyxl
    from openpyxl.styles import Alignment

    source = tmp_path / "laid-out.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append([LISTING, "secret " * 10, "short", "a long line of text that is much wider than the column"])
    sheet.column_dimensions["B"].hidden = True
    sheet.column_dimensions["C"].width = 30
    sheet["D1"].alignment = Alignment(wrap_text=True)  # laid out by its author: kept as it is
    sheet.oddHeader.left.text = "Seller's own header"
    workbook.save(source)
    copy, warnings = printable_copy(EXHIBIT, source, tmp_path / "copy.xlsx")
    assert warnings == []
    sheet = openpyxl.load_workbook(copy).active
    assert sheet is not None
    assert sheet.column_dimensions["A"].width >= len(LISTING) + 1
    assert sheet.column_dimensions["B"].hidden
    assert sheet.column_dimensions["C"].width == 30
    assert sheet.column_dimensions["D"].width == 13  # openpyxl's reading of Excel's default
    assert sheet.oddHeader.left.text == "Seller's own header"
    assert sheet.page_setup.fitToWidth == 1
    assert sheet.print_title_rows == "$1:$1"


def _sheet_xml(copy: Path) -> str:
    with zipfile.ZipFile(copy) as package:
        return package.read("xl/worksheets/sheet1.xml").decode()


def test_a_hostile_number_format_takes_no_time(tmp_path: Path) -> None:
    """`[$[$[$...` took the format's pattern time cubic in its length (1,600 characters: a second), and
    it was read again for every cell: a sales export so formatted hung the build (found by a probe
    attacking the new code). The limit guards the suite against a hang; the copy takes milliseconds."""

    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Listing", "Amount"])
    for row in range(2, 102):
        sheet.cell(row=row, column=1, value=1600987654321 + row).number_format = "[$" * 3000
    workbook.save(tmp_path / "sales.xlsx")
    with time_limit(20, lambda: EvidenceError("the format's pattern hangs")):
        copy, _ = printable_copy(EXHIBIT, tmp_path / "sales.xlsx", tmp_path / "copy.xlsx")
    assert "<sheetData>" in _sheet_xml(copy)


def test_cells_without_their_places_stop_at_the_last_column(tmp_path: Path) -> None:
    """A row of cells without `r` was counted on past column XFD (16,384): a million of them made a million
    columns, 2.7 GB and a 990-page bundle."""
    cells = "".join(f"<c><v>{1600987654321 + index}</v></c>" for index in range(20_000))
    sheet = f'<worksheet xmlns="{MAIN}"><sheetData><row r="1">{cells}</row></sheetData></worksheet>'
    source = excel_export(tmp_path / "sales.xlsx", {"Orders": [["x"]]})
    with zipfile.ZipFile(source) as package:
        parts = {name: package.read(name) for name in package.namelist()}
    parts["xl/worksheets/sheet1.xml"] = sheet.encode()
    with zipfile.ZipFile(source, "w") as package:
        for name, data in parts.items():
            package.writestr(name, data)
    copy, _ = printable_copy(EXHIBIT, source, tmp_path / "copy.xlsx")
    ends = [int(end) for end in re.findall(r'<col [^>]*max="(\d+)"', _sheet_xml(copy))]
    assert ends and max(ends) <= MAX_COLUMNS


def test_a_stray_cell_far_away_is_no_page_across(tmp_path: Path) -> None:
    """A "." in XFD1 beside a 9-column export was said to print "820 pages across": the empty columns
    between were counted, which LibreOffice does not print."""
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Order", "Listing", "Units", "Amount"])
    sheet.append(["A1", LISTING, 2, 29.9])
    sheet["XFD1"] = "."
    workbook.save(tmp_path / "sales.xlsx")
    _, warnings = printable_copy(EXHIBIT, tmp_path / "sales.xlsx", tmp_path / "copy.xlsx")
    assert warnings == []


def _ole(*streams: str) -> bytes:
    """An old binary (OLE2) office file's first bytes as Office writes them, enough to be told by: the
    header, and the directory's root entry and its streams (`Workbook`: Excel's; `WordDocument`: Word's)."""
    entries = b""
    for name, kind in (("Root Entry", 5), *((stream, 2) for stream in streams)):
        encoded = (name + "\0").encode("utf-16-le")
        entries += encoded.ljust(64, b"\0") + struct.pack("<HB", len(encoded), kind) + b"\0" * 61
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1".ljust(512, b"\0") + entries + b"\0" * 1024


OLD_EXCEL = (
    "an old Excel (.xls) file, whose sheets cannot be fitted to the page width: a wide sheet is printed a "
    "few columns a page; open it and save it as .xlsx (旧版Excel文件，请另存为 .xlsx)"
)


@pytest.mark.parametrize(
    ("name", "stream", "warned"),
    [
        ("销售记录.xls", "Workbook", True),
        ("orders.doc", "Workbook", True),
        ("letter.doc", "WordDocument", False),
        ("contract.doc", "WordDocument Workbook", False),  # a Word file holding a spreadsheet (a reviewer's)
        ("orders.xls", "Workbook WordDocument", True),  # ... and a workbook holding a Word document
    ],
)
def test_an_old_excel_workbook_is_told_to_be_saved_as_xlsx(
    tmp_path: Path, name: str, stream: str, warned: bool
) -> None:
    """Only .xlsx and OpenDocument sheets are fitted to the page width: a wide .xls was printed a few columns
    a page across many pages, without a word, where the same data as .xlsx fits one page. (Known by its
    name, or by its `Workbook` stream whatever its name: LibreOffice reads the content.)"""
    source = tmp_path / name
    source.write_bytes(_ole(*stream.split()))
    copy, warnings = printable_copy(EXHIBIT, source, tmp_path / "copy")
    assert copy == source
    assert warnings == ([f"{NAME}: {OLD_EXCEL}"] if warned else [])


def test_check_tells_an_old_excel_exhibit_to_be_saved_as_xlsx(make_case: MakeCase) -> None:
    data = example_data()
    index = next(number for number, entry in enumerate(data["evidence"]) if entry["file"].endswith(".xlsx"))
    data["evidence"][index]["file"] = "evidence/销售记录.xls"
    case = make_case(data)
    (case / "evidence" / "sales_records.xlsx").rename(case / "evidence" / "销售记录.xls")
    (case / "evidence" / "销售记录.xls").write_bytes(_ole("Workbook"))
    report = check_case(case)
    assert report.errors == []
    assert f"Exhibit {index + 1} (evidence/销售记录.xls): {OLD_EXCEL}" in report.warnings
