"""Read a platform's sales export (CSV or XLSX) into order lines, as `sales:` of case.yaml maps its columns.

Exports come as the platforms and Excel write them: headers in English or Chinese (商品ID, 数量, 实付金额,
币种, 订单状态) with title rows above them, UTF-8 with or without a BOM, GB18030 or UTF-16 text separated by
commas, tabs or semicolons, amounts with thousands separators and currency signs (`US$ 1,234.50`,
`¥88.00`), IDs kept from Excel as `="1600987654321"` or behind a tab. The header row is the row, among the
first 30, that holds the mapped column names. Only the lines of accused listings are read closely (a bad
value elsewhere does not matter), and every problem names the file, the row and the column. Amounts are
Decimal from the text, never float.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import io
import itertools
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from pipeline.errors import CaseDataError
from pipeline.load import Case, display_path
from pipeline.model import EXCEL_ROUNDED, Sales, SalesColumns

MAX_BYTES = 100 * 1024 * 1024
MAX_ROWS = 1_000_000
HEADER_ROWS = 30
"""The header row is looked for among this many rows at the top (platforms put titles and notes above it)."""
MAX_PROBLEMS = 20
DELIMITERS = (",", "\t", ";", "|")

Cell = Any
"""What a cell holds: text from a CSV file; text, a number, a date or None from an XLSX sheet."""

_US = {"us", "usa", "unitedstates", "unitedstatesofamerica", "美国", "美國", "america"}
_DOLLARS = {"USD", "HKD", "CAD", "AUD", "SGD", "NZD", "TWD", "MXN"}
_MARKERS = {
    "US$": {"USD"}, "$": _DOLLARS, "HK$": {"HKD"}, "C$": {"CAD"}, "CA$": {"CAD"}, "A$": {"AUD"},
    "AU$": {"AUD"}, "S$": {"SGD"}, "€": {"EUR"}, "£": {"GBP"}, "¥": {"CNY", "JPY"}, "CN¥": {"CNY"},
    "JP¥": {"JPY"}, "RMB": {"CNY"}, "元": {"CNY"}, "美元": {"USD"}, "人民币": {"CNY"}, "欧元": {"EUR"},
    "英镑": {"GBP"}, "港币": {"HKD"}, "港元": {"HKD"}, "日元": {"JPY"},
}  # fmt: skip
"""Currency signs and words an amount or a currency cell may carry, and the currencies each may mean."""
_CURRENCY_WORDS = {"$": "USD", "¥": "CNY", "元": "CNY"}
"""What an ambiguous sign means in a currency column of its own (exports for Chinese sellers)."""


@dataclass(frozen=True)
class Line:
    """One counted order line of an accused listing."""

    listing: str
    quantity: int
    amount: Decimal
    currency: str
    date: dt.date | None


@dataclass
class Export:
    """What the export holds for the case: the counted lines, and how many lines were left out and why."""

    sheet: str
    rows_read: int = 0
    counted: list[Line] = field(default_factory=list)
    left_out: dict[tuple[str, str], int] = field(default_factory=dict)
    """(reason in English, in Chinese) -> lines, in the order the reasons are applied."""
    listings_seen: list[str] = field(default_factory=list)
    titles: dict[str, str] = field(default_factory=dict)
    """Titles from `columns.title`, by `text_key` of the listing ID."""


def read_export(case: Case, path: Path, accused: list[str]) -> Export:
    """Read the export at `path` and sort its lines into counted and left out; raise CaseDataError listing
    every problem (a missing column, a bad value in a counted line) at once."""
    settings = case.data.sales
    assert settings.columns is not None  # the model requires columns with a file
    columns = _mapped(settings.columns)
    rows, sheet = _read_rows(case, path, columns)
    shown = display_path(path) + (f', sheet "{sheet}"' if sheet else "")
    header, positions = _find_header(case, shown, rows, columns)
    reader = _LineReader(settings, shown, columns, positions, {text_key(listing) for listing in accused})
    export = Export(sheet)
    for number, row in enumerate(rows[header + 1 :], header + 2):
        if all(_blank(cell) for cell in row):
            continue
        export.rows_read += 1
        reader.read(number, row, export)
    if reader.problems:
        more = reader.hidden
        raise CaseDataError(reader.problems + ([f"... and {more} more problems in {shown}"] if more else []))
    export.left_out = dict(sorted(export.left_out.items(), key=lambda item: reader.rank[item[0]]))
    return export


def _mapped(columns: SalesColumns) -> dict[str, str]:
    """The mapped columns: field name -> header as written in case.yaml."""
    return {name: header for name, header in columns.model_dump().items() if header}


# --- Reading the file ---------------------------------------------------------------------------------


def _read_rows(case: Case, path: Path, columns: dict[str, str]) -> tuple[list[list[Cell]], str]:
    """Every row of the file (of the sheet, for XLSX), and the sheet's name ("" for CSV)."""
    where = f"{case.where('sales', 'file')}: {display_path(path)}"
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise CaseDataError(
            [f"{where}: {size:,} bytes is too large for a sales export (at most {MAX_BYTES:,})"]
        )
    with path.open("rb") as stream:
        head = stream.read(8)
    if head.startswith(b"PK\x03\x04"):
        return _read_xlsx(case, path, where)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise CaseDataError([f"{where}: an old Excel (.xls) file; open it and save it as .xlsx or .csv"])
    if head.startswith(b"%PDF"):
        raise CaseDataError([f"{where}: a PDF, not a sales export; export the orders as CSV or XLSX"])
    return _read_csv(path.read_bytes(), where, columns), ""


def _read_xlsx(case: Case, path: Path, where: str) -> tuple[list[list[Cell]], str]:
    import openpyxl  # only for XLSX exports

    wanted = case.data.sales.sheet
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # zipfile, lxml, KeyError for a missing part: a damaged or foreign file
        raise CaseDataError([f"{where}: not an XLSX workbook that can be read ({error})"]) from error
    try:
        names = list(workbook.sheetnames)
        if wanted:
            name = next((n for n in names if n == wanted), None) or next(
                (n for n in names if text_key(n) == text_key(wanted)), None
            )
            if name is None:
                listed = ", ".join(f'"{n}"' for n in names)
                problem = f'no sheet "{wanted}" in {display_path(path)}; its sheets are {listed}'
                raise CaseDataError([f"{case.where('sales', 'sheet')}: {problem}"])
        elif not workbook.worksheets:
            raise CaseDataError([f"{where}: the workbook has no worksheet"])
        else:
            name = workbook.worksheets[0].title
        sheet = workbook[name]
        if hasattr(sheet, "reset_dimensions"):  # some exporters record a wrong size; read what is there
            sheet.reset_dimensions()
        rows = []
        for row in sheet.iter_rows(min_row=1, values_only=True):
            rows.append(list(row))
            if len(rows) > MAX_ROWS:
                raise CaseDataError([f"{where}: more than {MAX_ROWS:,} rows; export a shorter period"])
        return rows, name
    except CaseDataError:
        raise
    except Exception as error:
        raise CaseDataError([f"{where}: the workbook cannot be read ({error})"]) from error
    finally:
        workbook.close()


def _read_csv(raw: bytes, where: str, columns: dict[str, str]) -> list[list[Cell]]:
    """The rows of a CSV (or tab-separated) text export, in whichever encoding and separator it uses: the
    separator is the one with which the header row holds the most mapped columns."""
    text = _decode(raw, where)
    if "\x00" in text:
        raise CaseDataError(
            [f"{where}: not a text file (it holds NUL bytes); export the orders as CSV or XLSX"]
        )
    best, best_score = DELIMITERS[0], -1
    for delimiter in DELIMITERS:
        top = list(itertools.islice(_csv_rows(text, delimiter, where), HEADER_ROWS))
        score = max((len(_matches(row, columns)[0]) for row in top), default=0)
        if score > best_score:
            best, best_score = delimiter, score
    rows = []
    for row in _csv_rows(text, best, where):
        rows.append(row)
        if len(rows) > MAX_ROWS:
            raise CaseDataError([f"{where}: more than {MAX_ROWS:,} rows; export a shorter period"])
    return rows


def _csv_rows(text: str, delimiter: str, where: str) -> Any:
    try:
        yield from csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    except csv.Error as error:
        raise CaseDataError([f"{where}: not a CSV file that can be read ({error})"]) from error


def _decode(raw: bytes, where: str) -> str:
    """UTF-8 (a BOM dropped), UTF-16 with a BOM (Excel's "Unicode text"), else GB18030 (Chinese Windows)."""
    utf16 = raw.startswith((b"\xff\xfe", b"\xfe\xff"))
    encodings = ["utf-16"] if utf16 else ["utf-8-sig", "gb18030"]
    for encoding in encodings:
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise CaseDataError([f"{where}: not text in UTF-8, GB18030 or UTF-16; export the orders as CSV or XLSX"])


# --- The header row -----------------------------------------------------------------------------------


def _find_header(
    case: Case, shown: str, rows: list[list[Cell]], columns: dict[str, str]
) -> tuple[int, dict[str, int]]:
    """The header row (0-based) and the position of each mapped column in it; one problem per column
    that no row at the top has, listing the headers found."""
    best: tuple[int, dict[str, int], list[str]] | None = None
    for index, row in enumerate(rows[:HEADER_ROWS]):
        found, twice = _matches(row, columns)
        if best is None or len(found) > len(best[1]):
            best = (index, found, twice)
    if best is None:
        raise CaseDataError([f"{case.where('sales', 'file')}: {shown}: the file has no rows"])
    index, found, twice = best
    if twice:
        problem = "{}: {}, row {}: two columns are headed “{}”; rename one in the file"
        raise CaseDataError(
            [
                problem.format(case.where("sales", "columns", name), shown, index + 1, columns[name])
                for name in twice
            ]
        )
    missing = [name for name in columns if name not in found]
    if not missing:
        return index, found
    if not found:  # no row has any: show the fullest row at the top
        index = max(range(min(len(rows), HEADER_ROWS)), key=lambda i: sum(not _blank(c) for c in rows[i]))
    headers = [_text(cell) for cell in rows[index] if not _blank(cell)]
    listed = ", ".join(f"“{header}”" for header in headers[:40]) + (" ..." if len(headers) > 40 else "")
    problems = []
    for name in missing:
        close = difflib.get_close_matches(columns[name], headers, n=1, cutoff=0.5)
        hint = f"; did you mean “{close[0]}”?" if close else ""
        problems.append(
            f"{case.where('sales', 'columns', name)}: no column “{columns[name]}” in {shown}; the headers "
            f"found (row {index + 1}) are {listed or 'none'}{hint}"
        )
    raise CaseDataError(problems)


def _matches(row: list[Cell], columns: dict[str, str]) -> tuple[dict[str, int], list[str]]:
    """Which mapped columns the row heads (name -> position), and those it heads twice."""
    keys = [text_key(_text(cell)) if not _blank(cell) else "" for cell in row]
    found, twice = {}, []
    for name, header in columns.items():
        positions = [i for i, key in enumerate(keys) if key and key == text_key(header)]
        if positions:
            found[name] = positions[0]
            if len(positions) > 1:
                twice.append(name)
    return found, twice


# --- The lines ----------------------------------------------------------------------------------------


class _LineReader:
    """Sorts each line into counted or left out, collecting the problems of the lines that count."""

    def __init__(
        self,
        settings: Sales,
        shown: str,
        columns: dict[str, str],
        positions: dict[str, int],
        accused: set[str],
    ) -> None:
        self.settings = settings
        self.shown = shown
        self.columns = columns
        self.positions = positions
        self.accused = accused
        self.excluded = {text_key(status) for status in settings.exclude_statuses}
        self.problems: list[str] = []
        self.hidden = 0
        self.rank: dict[tuple[str, str], int] = {}
        self.seen: set[str] = set()
        names = [
            ("the United States", "美国") if same_country(c, "US") else (c, c) for c in settings.countries
        ]
        self.destination = (" or ".join(n[0] for n in names), "、".join(n[1] for n in names))

    def cell(self, row: list[Cell], name: str) -> Cell:
        position = self.positions.get(name)
        return row[position] if position is not None and position < len(row) else None

    def problem(self, number: int, name: str, message: str) -> None:
        if len(self.problems) >= MAX_PROBLEMS:
            self.hidden += 1
            return
        self.problems.append(
            f"{self.shown}, row {number}, column “{self.columns[name]}” (sales.columns.{name}): {message}"
        )

    def leave_out(self, export: Export, rank: int, reason: str, reason_zh: str) -> None:
        key = (reason, reason_zh)
        self.rank.setdefault(key, rank)
        export.left_out[key] = export.left_out.get(key, 0) + 1

    def read(self, number: int, row: list[Cell], export: Export) -> None:
        listing = listing_id(self.cell(row, "listing"))
        if EXCEL_ROUNDED.fullmatch(listing):
            hint = "export the file again, and do not open and save it in Excel first"
            self.problem(number, "listing", f"“{listing}” is a listing ID rounded by Excel; {hint}")
            return
        if not listing:
            return self.leave_out(
                export, 0, "without a listing ID (such as a totals line)", "无商品ID（如合计行）"
            )
        if listing not in self.seen:
            self.seen.add(listing)
            export.listings_seen.append(listing)
        key = text_key(listing)
        if key not in self.accused:
            return self.leave_out(export, 1, "of listings not accused", "非涉案链接")
        if "title" in self.positions and not _blank(self.cell(row, "title")):
            export.titles.setdefault(key, _text(self.cell(row, "title")))
        status = _text(self.cell(row, "status")).strip()
        if "status" in self.positions and text_key(status) in self.excluded:
            return self.leave_out(export, 2, f"with the status “{status}”", f"状态为“{status}”")
        date = self.date(number, row)
        start, end = self.settings.date_from, self.settings.date_to
        if date is not None and ((start and date < start) or (end and date > end)):
            return self.leave_out(export, 3, "dated outside the period", "日期不在统计期间内")
        countries = self.settings.countries
        country = _text(self.cell(row, "country")).strip()
        if countries and not any(same_country(country, wanted) for wanted in countries):
            return self.leave_out(
                export, 4, f"shipped outside {self.destination[0]}", f"发往{self.destination[1]}以外"
            )
        self.count(number, row, listing, date, export)
        return None

    def date(self, number: int, row: list[Cell]) -> dt.date | None:
        if "date" not in self.positions:
            return None
        value = self.cell(row, "date")
        if _blank(value):
            if self.settings.date_from or self.settings.date_to:
                self.problem(number, "date", "the date is blank")
            return None
        try:
            return parse_date(value)
        except ValueError as error:
            self.problem(number, "date", str(error))
            return None

    def count(self, number: int, row: list[Cell], listing: str, date: dt.date | None, export: Export) -> None:
        try:
            quantity = parse_quantity(self.cell(row, "quantity"))
        except ValueError as error:
            return self.problem(number, "quantity", str(error))
        try:
            amount, signs = parse_amount(self.cell(row, "amount"))
        except ValueError as error:
            return self.problem(number, "amount", str(error))
        currency = self.settings.currency
        if "currency" in self.positions and not _blank(self.cell(row, "currency")):
            try:
                currency = currency_code(self.cell(row, "currency"))
            except ValueError as error:
                return self.problem(number, "currency", str(error))
        if currency is None:
            if signs is None or len(signs) != 1:
                found = f"“{_text(self.cell(row, 'amount'))}”"
                hint = "add sales.currency (e.g. USD) or map columns.currency"
                return self.problem(number, "amount", f"{found} does not say its currency; {hint}")
            currency = next(iter(signs))
        elif signs is not None and currency not in signs:
            found = f"“{_text(self.cell(row, 'amount'))}”"
            return self.problem(number, "amount", f"{found} is not in {currency}, the line's currency")
        export.counted.append(Line(listing, quantity, amount, currency, date))
        return None


# --- Values -------------------------------------------------------------------------------------------


def text_key(text: str) -> str:
    """Text as compared: compatibility forms folded (full-width letters and brackets), case and outer and
    repeated spaces ignored."""
    return " ".join(unicodedata.normalize("NFKC", text).replace("\ufeff", "").split()).casefold()


def same_country(value: str, wanted: str) -> bool:
    """Whether a country cell names the wanted country: `US`, `USA`, `United States` and `美国` are one."""
    a, b = (re.sub(r"[\s.]", "", text_key(text)) for text in (value, wanted))
    return a == b or (a in _US and b in _US)


def _blank(cell: Cell) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _text(cell: Cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip()


def listing_id(cell: Cell) -> str:
    """A listing ID as the platform shows it: a number Excel stored is written out whole, and the marks
    that keep Excel from rounding IDs (`="..."`, a leading apostrophe or tab) are dropped."""
    if cell is None or isinstance(cell, bool):
        return ""
    if isinstance(cell, float):
        return str(int(cell)) if cell.is_integer() else repr(cell)
    text = str(cell).strip().lstrip("'").strip()
    if match := re.fullmatch(r'="(.*)"', text):
        text = match.group(1).strip()
    if re.fullmatch(r"\d+\.0+", text):
        text = text.split(".")[0]
    return text


def parse_quantity(cell: Cell) -> int:
    """Units: a whole number, as a number or as text (`1,200`, `3件`, `2 pcs`)."""
    if _blank(cell):
        raise ValueError("the quantity is blank")
    if isinstance(cell, bool):
        raise ValueError(f"{cell!r} is not a number of units")
    if isinstance(cell, int):
        return cell
    if isinstance(cell, float | Decimal):
        if Decimal(str(cell)) % 1 == 0:
            return int(cell)
        raise ValueError(f"{cell} is not a whole number of units")
    text = unicodedata.normalize("NFKC", str(cell)).strip()
    digits = re.sub(r"\s*(件|个|個|台|套|pcs?|pieces?|units?)\.?$", "", text, flags=re.IGNORECASE)
    digits = re.sub(r"[,\s'_]", "", digits)
    if not re.fullmatch(r"[-+]?\d+(\.0+)?", digits):
        raise ValueError(f"“{cell}” is not a whole number of units")
    return int(digits.split(".")[0])


def parse_amount(cell: Cell) -> tuple[Decimal, set[str] | None]:
    """An amount and the currencies its sign or word may mean (None when it carries none): `1234.5`,
    `US$ 1,234.50`, `¥88.00`, `88.00元`, `-12.00`, `(12.00)`, `1.234,50 €`. A number stored by Excel is
    taken to the cent."""
    if _blank(cell):
        raise ValueError("the amount is blank")
    if isinstance(cell, bool):
        raise ValueError(f"{cell!r} is not an amount")
    if isinstance(cell, int | Decimal):
        return Decimal(cell), None
    if isinstance(cell, float):  # a number Excel stored: to the cent, without the binary noise
        exact = Decimal(repr(cell))
        return exact.quantize(Decimal("0.01"), ROUND_HALF_UP) if _decimals(exact) > 2 else exact, None
    text = unicodedata.normalize("NFKC", str(cell)).strip().replace("−", "-")
    negative = text.startswith("(") and text.endswith(")")
    text = text.strip("()").strip()
    match = re.fullmatch(r"([^\d]*?)(\d[\d,.' ]*\d|\d)([^\d]*)", text)
    if not match:
        raise ValueError(f"“{cell}” is not an amount")
    before, number, after = match.groups()
    if "-" in before or after.strip().endswith("-"):
        negative = True
    marker = re.sub(r"[\s+\-]", "", before + after)
    if marker and marker not in _MARKERS and not re.fullmatch(r"[A-Z]{3}", marker):
        raise ValueError(f"“{cell}” is not an amount")
    signs = _MARKERS.get(marker, {marker}) if marker else None
    number = re.sub(r"[ ']", "", number)
    if re.fullmatch(r"\d{1,3}(,\d{3})+(\.\d+)?|\d+(\.\d+)?", number):  # 1,234.50
        number = number.replace(",", "")
    elif re.fullmatch(r"\d{1,3}(\.\d{3})+(,\d+)?|\d+,\d{1,2}", number):  # 1.234,50
        number = number.replace(".", "").replace(",", ".")
    else:
        raise ValueError(f"“{cell}” is not an amount")
    try:
        amount = Decimal(number)
    except InvalidOperation as error:
        raise ValueError(f"“{cell}” is not an amount") from error
    return (-amount if negative else amount), signs


def _decimals(number: Decimal) -> int:
    exponent = number.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def currency_code(cell: Cell) -> str:
    """An ISO currency code from a currency cell: `USD`, `usd`, `US$`, `美元`, `RMB`, `人民币`, `¥` (yuan)."""
    text = unicodedata.normalize("NFKC", str(cell)).strip()
    if text in _CURRENCY_WORDS:
        return _CURRENCY_WORDS[text]
    options = _MARKERS.get(text.upper(), _MARKERS.get(text))
    if options and len(options) == 1:
        return next(iter(options))
    if re.fullmatch(r"[A-Za-z]{3}", text):
        return text.upper()
    raise ValueError(f"“{cell}” is not a currency; write an ISO code such as USD or CNY")


_MONTH_FIRST = re.compile(r"([A-Za-z]{3,9})\.?\s+(\d{1,2}),?\s+(\d{4})")
_DAY_FIRST = re.compile(r"(\d{1,2})\s+([A-Za-z]{3,9})\.?,?\s+(\d{4})")


def parse_date(cell: Cell) -> dt.date:
    """An order date: a date Excel stored, or text such as `2024-03-01 10:22:01`, `2024/3/1`, `2024年3月1日`,
    `Mar 1, 2024`, `1 Mar 2024` or `03/01/2024` (month first, as US platforms write it, unless the first
    number is over 12)."""
    if isinstance(cell, dt.datetime):
        return cell.date()
    if isinstance(cell, dt.date):
        return cell
    text = unicodedata.normalize("NFKC", str(cell)).strip()
    try:
        if match := re.match(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})", text):
            year, month, day = map(int, match.groups())
            return dt.date(year, month, day)
        if match := re.match(r"(\d{1,2})/(\d{1,2})/(\d{4})\b", text):
            first, second, year = map(int, match.groups())
            month, day = (second, first) if first > 12 else (first, second)
            return dt.date(year, month, day)
        if match := _MONTH_FIRST.match(text):
            return dt.datetime.strptime(" ".join([match[1][:3], match[2], match[3]]), "%b %d %Y").date()
        if match := _DAY_FIRST.match(text):
            return dt.datetime.strptime(" ".join([match[2][:3], match[1], match[3]]), "%b %d %Y").date()
    except ValueError:
        pass
    raise ValueError(f"“{cell}” is not a date (write it as 2024-03-01)")
