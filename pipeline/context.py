"""What a template sees: the case data plus the few derived values every document needs.

The context is built once per build from the validated case and the exhibits; every template engine
(docxtpl, Jinja2 for HTML and text) receives the same variables and filters, listed in docs/templates.md.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline import __version__
from pipeline.model import CaseFile, EvidenceEntry, ExhibitLabels, Language

if TYPE_CHECKING:
    from pipeline.sales import AccusedSales

CURRENCY_SYMBOLS = {"USD": "US$", "CNY": "CN¥", "EUR": "€", "GBP": "£", "HKD": "HK$", "JPY": "JP¥"}


@dataclass(frozen=True)
class Exhibit:
    """One evidence entry as the documents cite it."""

    number: int
    key: str
    title: str
    title_zh: str
    date: dt.date | None
    description: str
    description_zh: str
    file: str
    sha256: str
    first_page: int | None = None
    last_page: int | None = None

    @property
    def label(self) -> str:
        """`Exhibit 1` or `Exhibit A`."""
        return f"Exhibit {self.key}"

    @property
    def label_zh(self) -> str:
        """`证据1` or `证据A`."""
        return f"证据{self.key}"

    @property
    def file_name(self) -> str:
        """The evidence file's name without its folder."""
        return Path(self.file).name

    @property
    def pages(self) -> str:
        """The exhibit's page range in the bundle, e.g. `12-15`, or empty before the bundle is laid out."""
        if self.first_page is None or self.last_page is None:
            return ""
        if self.first_page == self.last_page:
            return str(self.first_page)
        return f"{self.first_page}\u2013{self.last_page}"


@dataclass(frozen=True)
class Declarant:
    """Who signs the declaration of the accused sales, and where and when (`declaration:` of case.yaml, with
    the merchant's contact person and the letter date as defaults)."""

    name: str
    name_zh: str
    title: str
    title_zh: str
    place: str
    place_zh: str
    date: dt.date
    translator: str


def declarant(data: CaseFile, letter_date: dt.date) -> Declarant:
    """The declarant: `declaration:` of case.yaml, falling back on merchant.contact_person and its title."""
    given, merchant = data.declaration, data.merchant
    return Declarant(
        name=given.name or merchant.contact_person,
        name_zh=given.name_zh if given.name else given.name_zh or merchant.contact_person_zh,
        title=given.title or ("" if given.name else merchant.contact_title),
        title_zh=given.title_zh,
        place=given.place,
        place_zh=given.place_zh,
        date=given.date or letter_date,
        translator=given.translator,
    )


def contact_title_zh(data: CaseFile) -> str:
    """The position of the merchant's contact person, who signs the letters, in Chinese:
    `declaration.title_zh` when the declarant is that person in that position (as by default), else `""`.
    case.yaml gives the Chinese position there only; a Chinese letter signed "General Manager" under a
    cover reading 总经理 read as two people."""
    given, merchant = data.declaration, data.merchant
    same_person = given.name in ("", merchant.contact_person)
    same_position = given.title in ("", merchant.contact_title)
    return given.title_zh if same_person and same_position else ""


_DISTRICT_COURT = re.compile(
    r"^(?:the\s+)?(?:united\s+states|u\.\s?s\.|us)\s+district\s+court\b[\s,:\-–—(]*(?:(?:for|of)\s+)?"
    r"(?:the\s+)?",
    re.IGNORECASE,
)
_DISTRICT = re.compile(
    r"^(?:(?:northern|southern|eastern|western|central|middle)\s+)?district\s+of\s+\S", re.IGNORECASE
)
_DIVISIONS_ND_ILL = {1: "EASTERN DIVISION", 3: "WESTERN DIVISION"}
"""N.D. Ill.'s divisions by the office number that leads its case numbers (1: Chicago, 3: Rockford)."""


def court_caption(court: str, number: str) -> list[str]:
    """The court's name as a caption sets it, one line each: `UNITED STATES DISTRICT COURT`, the district
    (`NORTHERN DISTRICT OF ILLINOIS`) and, in N.D. Ill., the division (`EASTERN DIVISION` for a case
    numbered 1:...) or the division `case.court` names; a name in another form is one line, as written.
    One line of the whole name broke it at the width of the page ("... NORTHERN DISTRICT OF / ILLINOIS")."""
    found = _DISTRICT_COURT.match(court)
    rest = court[found.end() :] if found else court
    if not found and not _DISTRICT.match(rest):
        return [court.upper()]
    rest = rest.strip()
    if rest.endswith(")") and rest.count(")") > rest.count("("):  # `... District Court (N.D. Ill.)`
        rest = rest.removesuffix(")")
    parts = re.split(r"\s*[,–—]\s*|\s+-\s+|\s*\(", rest, maxsplit=1)  # `..., Eastern Division`, `(...)`
    district, division = parts[0].strip(), parts[1].strip() if len(parts) > 1 else ""
    if division.count(")") > division.count("("):  # (its bracket opened the division)
        division = division.removesuffix(")").strip()
    lines = ["UNITED STATES DISTRICT COURT", *([district.upper()] if district else [])]
    if division:
        return [*lines, division.upper()]
    if " ".join(district.lower().split()) == "northern district of illinois":
        office = int(number.split(":", 1)[0])
        lines += [_DIVISIONS_ND_ILL[office]] if office in _DIVISIONS_ND_ILL else []
    return lines


@dataclass(frozen=True)
class Context:
    """The variables of every template; `variables()` gives them to the engines."""

    data: CaseFile
    exhibits: list[Exhibit]
    letter_date: dt.date
    lang: Language
    extra: dict[str, Any] = field(default_factory=dict)
    sales: AccusedSales | None = None
    """The accused sales as read from the sales export (pipeline/sales.py); None: from products."""

    def fingerprint(self) -> str:
        """Everything the variables are made from, as text: two contexts with the same fingerprint give
        every template the same values (a rendered document can then be reused)."""
        extra = sorted((name, repr(value)) for name, value in self.extra.items())
        made_of = (self.data.model_dump_json(), self.exhibits, self.letter_date, self.lang.value, extra)
        return repr((*made_of, self.sales))

    def with_variables(self, variables: dict[str, Any]) -> Context:
        """The same context with more variables for the templates (`parts`, `exhibit`...)."""
        return dataclasses.replace(self, extra={**self.extra, **variables})

    def variables(self) -> dict[str, Any]:
        """The mapping handed to Jinja2 and docxtpl."""
        from pipeline.deadlines import key_dates  # here, not above: both use this module's filters
        from pipeline.sales import as_counted, from_products

        data = self.data
        sales = self.sales or from_products(data)
        products = as_counted(data, sales)
        return {
            "lang": self.lang.value,
            "en": self.lang in (Language.EN, Language.BILINGUAL),
            "zh": self.lang in (Language.ZH, Language.BILINGUAL),
            "bilingual": self.lang == Language.BILINGUAL,
            "merchant": data.merchant,
            "case": data.case,
            "products": products,
            "accused_products": [product for product in products if product.accused],
            "accused_units": sales.units,
            "accused_revenue": sales.total if sales.rows else None,
            "sales": sales,
            "declaration": declarant(data, self.letter_date),
            "contact_title_zh": contact_title_zh(data),
            "court_caption": court_caption(data.case.court, data.case.number),
            "position": data.position,
            "grounds": [ground.value for ground in data.position.grounds],
            "requests": data.requests,
            "bundle": data.bundle,
            "exhibits": self.exhibits,
            "letter_date": self.letter_date,
            "key_dates": key_dates(data.case, self.letter_date),
            "tool_version": __version__,
            **self.extra,
        }


@dataclass(frozen=True)
class Entry:
    """A document as the cover and the table of contents list it (`parts` of those templates)."""

    title: str
    title_zh: str
    first: int
    last: int


@dataclass(frozen=True)
class Money:
    """An amount with its currency, for templates (`{{ accused_revenue|money }}`)."""

    amount: Decimal
    currency: str


def exhibit_key(index: int, labels: ExhibitLabels) -> str:
    """The exhibit's number or letter: 0 -> `1` or `A`; 26 -> `27` or `AA`."""
    if labels == ExhibitLabels.NUMBERS:
        return str(index + 1)
    key = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        key = chr(ord("A") + remainder) + key
    return key


def make_exhibits(data: CaseFile, case_folder: Path, files: list[Path] | None = None) -> list[Exhibit]:
    """The exhibits in order, with the SHA-256 of each file as supplied: of `files`, the entries' files as
    `resolve_evidence` found them, when given (a name case.yaml writes composed may be stored decomposed)."""
    paths = files if files is not None else [case_folder / entry.file for entry in data.evidence]
    return [
        _exhibit(index, entry, data.bundle.exhibit_labels, sha256_of(path))
        for index, (entry, path) in enumerate(zip(data.evidence, paths, strict=True))
    ]


def unread_exhibits(data: CaseFile) -> list[Exhibit]:
    """The exhibits as the build numbers them, without their files' SHA-256 (`check` renders the templates
    with them when an evidence file cannot be read)."""
    return [
        _exhibit(index, entry, data.bundle.exhibit_labels, "") for index, entry in enumerate(data.evidence)
    ]


def _exhibit(index: int, entry: EvidenceEntry, labels: ExhibitLabels, sha256: str) -> Exhibit:
    return Exhibit(
        number=index + 1,
        key=exhibit_key(index, labels),
        title=entry.title,
        title_zh=entry.title_zh,
        date=entry.date,
        description=entry.description,
        description_zh=entry.description_zh,
        file=entry.file,
        sha256=sha256,
    )


def sha256_of(path: Path) -> str:
    """Hex SHA-256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --- Filters, shared by every engine -------------------------------------------------------------------

_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def date_en(value: dt.date | None) -> str:
    """`March 11, 2024`; empty for no date."""
    if value is None:
        return ""
    return f"{_MONTHS[value.month - 1]} {value.day}, {value.year}"


def date_zh(value: dt.date | None) -> str:
    """`2024年3月11日`; empty for no date."""
    if value is None:
        return ""
    return f"{value.year}年{value.month}月{value.day}日"


def money(value: Any, currency: str | None = None) -> str:
    """`US$48,630.25` from a Money-like object (`amount`, `currency`) or an amount and a currency;
    `US$10.00 + €5.00` from a list of Money-like objects (a revenue in several currencies); `-US$12.00`
    for a negative amount (a refund line of a sales export), the sign before the currency, as written."""
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return " + ".join(money(item) for item in value)
    if hasattr(value, "amount"):
        amount, currency = value.amount, value.currency
    else:
        amount = value
    code = currency or "USD"
    symbol = CURRENCY_SYMBOLS.get(code, f"{code} ")
    cents = Decimal(amount).quantize(Decimal("0.01"))  # (-0.004 is no debt: US$0.00, not -US$0.00)
    return f"{'-' if not cents.is_nan() and cents < 0 else ''}{symbol}{abs(cents):,.2f}"


def paragraphs(text: str | None) -> list[str]:
    """Split text on blank lines; lines inside a paragraph are joined (with a space in English text)."""
    if not text:
        return []
    result = []
    for block in re.split(r"\n\s*\n", text.strip()):
        lines = [line.strip() for line in block.splitlines() if line.strip()]
        joined = ""
        for line in lines:
            joined += line if not joined or _is_cjk(joined[-1]) or _is_cjk(line[0]) else " " + line
        result.append(joined)
    return result


def _is_cjk(char: str) -> bool:
    return "\u2e80" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff" or "\uff00" <= char <= "\uffef"


FILTERS = {"date_en": date_en, "date_zh": date_zh, "money": money, "paragraphs": paragraphs}
