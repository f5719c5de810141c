"""The case model: what `case.yaml` may hold, validated with pydantic.

Every field carries a description: it documents the case format, and it is published as JSON Schema
(`build-appeal schema`, committed as `docs/case.schema.json`) so editors can autocomplete `case.yaml`.
"""

from __future__ import annotations

import datetime as dt
import re
import types
import typing
import unicodedata
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.functional_validators import AfterValidator, BeforeValidator
from pydantic_core import InitErrorDetails, PydanticCustomError


class Strict(BaseModel):
    """Base of every section: unknown keys are errors, strings are stripped of outer spaces, and no text
    holds control characters (they cannot be printed, and Word reads some as page or paragraph breaks)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    @field_validator("*", mode="after")
    @classmethod
    def _printable(cls, value: Any) -> Any:
        """Every other text field (addresses, codes); the text types check their own values."""
        for text in value if isinstance(value, list) else [value]:
            if isinstance(text, str):
                _printable_text(text)
        return value


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
"""Control characters other than tab and line feed (which a long text may hold)."""


_ESCAPED = {"\n": "\\n", "\t": "\\t", "\r": "\\r", "\a": "\\a", "\b": "\\b", "\f": "\\f", "\v": "\\v"}
"""What YAML makes of a \\ and a letter in double quotes, as in a Windows path ("evidence\\new.pdf")."""


def _no_escapes(value: Any) -> Any:
    """A path written with \\ in double quotes: YAML read `\\n` as a line break, `\\t` as a tab."""
    if isinstance(value, str) and any(character in value for character in _ESCAPED):
        typed = "".join(  # (any other character that cannot be printed as its code: one line, whatever)
            _ESCAPED.get(character) or (character if character.isprintable() else f"\\u{ord(character):04x}")
            for character in value
        )
        read = next(_ESCAPED[character] for character in value if character in _ESCAPED)
        kind = {"\\n": "a line break", "\\t": "a tab"}.get(read, "a control character")
        raise ValueError(
            f"“{typed}”: in double quotes a \\ starts an escape (YAML read {read} as {kind}); write paths "
            f"with /, as {typed.replace(chr(92), '/')}, or put them in single quotes (路径请用 /)"
        )
    return value


def _half_width(value: str) -> str:
    """Full-width digits, signs and spaces as ordinary ones (`＋８６　１３８…`, typed with a Chinese input
    method): the English documents print them as they are, wide."""
    return "".join(
        unicodedata.normalize("NFKC", character)
        if "\uff01" <= character <= "\uff5e" or character == "\u3000"
        else character
        for character in value
    )


def _one_line(value: str) -> str:
    if "\n" in value or "\r" in value:
        raise ValueError("must be a single line")
    return value


def _printable_text(value: str) -> str:
    if found := _CONTROL.search(value):
        raise ValueError(
            f"contains the control character U+{ord(found.group()):04X}, which cannot be printed; "
            "delete it (it often comes with text copied from a web page or a PDF)"
        )
    return value


NonEmpty = Annotated[str, Field(min_length=1)]
Line = Annotated[
    str, Field(min_length=1, max_length=1000), AfterValidator(_one_line), AfterValidator(_printable_text)
]
OptionalLine = Annotated[
    str, Field(max_length=1000), AfterValidator(_one_line), AfterValidator(_printable_text)
]
Paragraphs = Annotated[str, Field(max_length=20000), AfterValidator(_printable_text)]
FileName = Annotated[Line, BeforeValidator(_no_escapes)]
OptionalFileName = Annotated[OptionalLine, BeforeValidator(_no_escapes)]

_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")


def email_address(value: str) -> str:
    """`value` if it is an email address; ValueError saying so if not."""
    if not _EMAIL.match(value):
        raise ValueError(f"{value!r} is not an email address")
    return value


Email = Annotated[str, AfterValidator(email_address)]


def _web_address(value: str) -> str:
    if not re.match(r"^https?://[^\s<>\"']+$", value):
        raise ValueError(f"{value!r} is not a web address starting with http:// or https://")
    return value


WebAddress = Annotated[str, AfterValidator(_web_address)]


class Language(StrEnum):
    """The language of the generated documents."""

    EN = "en"
    ZH = "zh"
    BILINGUAL = "bilingual"


class Platform(StrEnum):
    """The marketplaces whose sellers are named in Schedule A cases."""

    ALIBABA = "Alibaba.com"
    ALIEXPRESS = "AliExpress"
    AMAZON = "Amazon"
    TEMU = "Temu"
    WALMART = "Walmart"
    DHGATE = "DHgate"
    EBAY = "eBay"
    SHEIN = "Shein"
    TIKTOK = "TikTok Shop"
    OTHER = "Other"

    @property
    def zh(self) -> str:
        """The name Chinese sellers know it by (阿里巴巴国际站), else its own."""
        return _PLATFORMS_ZH.get(self.value, self.value)


_PLATFORMS_ZH = {
    "Alibaba.com": "阿里巴巴国际站",
    "AliExpress": "速卖通",
    "Amazon": "亚马逊",
    "Walmart": "沃尔玛",
    "DHgate": "敦煌网",
    "eBay": "易贝",
    "Other": "平台",
}


_PLATFORM_ALIASES = {
    "阿里巴巴": "Alibaba.com",
    "阿里国际站": "Alibaba.com",
    "阿里巴巴国际": "Alibaba.com",
    "全球速卖通": "AliExpress",
    "亚马逊美国站": "Amazon",
    "美国亚马逊": "Amazon",
    "希音": "Shein",
    "tiktok": "TikTok Shop",
}
"""Other names sellers write for a platform, besides its own and its Chinese one (`_PLATFORMS_ZH`)."""


def platform_named(value: str) -> Platform | None:
    """The platform `value` names, in any spelling a user is likely to type (`alibaba`, `Alibaba.com`,
    `ALIEXPRESS`, `tiktok shop`, `阿里巴巴国际站`, `速卖通`...); None if none."""
    folded = _folded(value)
    for platform in Platform:
        name = _folded(platform.value)
        if name.removesuffix("com") in (folded, folded.removesuffix("com")):  # (`Amazon.com`, `alibaba`)
            return platform
    for alias, platform_name in [*((zh, en) for en, zh in _PLATFORMS_ZH.items()), *_PLATFORM_ALIASES.items()]:
        if folded == _folded(alias) and platform_name != Platform.OTHER:
            return Platform(platform_name)
    return None


def _folded(name: str) -> str:
    return re.sub(r"[\s._\-\u3000]", "", name).lower()


def _platform(value: object) -> object:
    return (platform_named(value) or value) if isinstance(value, str) else value


# --- Case numbers -------------------------------------------------------------------------------------

_DASHES = dict.fromkeys(map(ord, "‐‑‒–—―−﹣－"), "-")
_CASE_NUMBER = re.compile(
    r"^(?:(?P<division>\d{1,2})\s*:\s*)?(?P<year>\d{2})\s*-?\s*(?:cv|c|civ)\s*-?\s*(?P<serial>\d{1,5})$",
    re.IGNORECASE,
)


def normalize_case_number(raw: str) -> str:
    """Return a case number in the display form `1:YY-cv-NNNNN`.

    Accepts the forms seen on dockets and platform notices: `1:24-cv-02015`, `1:23−cv−01560` (Unicode minus
    signs), `23 C 2965`, `24 CV 607`, `25cv02937`.
    """
    text = unicodedata.normalize("NFKC", raw).translate(_DASHES).strip()
    match = _CASE_NUMBER.match(text)
    if not match:
        raise ValueError(
            f"{raw!r} is not a case number; write it as on the docket, e.g. 1:24-cv-02015 or 24 C 2015"
        )
    division = int(match["division"] or 1)
    return f"{division}:{match['year']}-cv-{int(match['serial']):05d}"


CaseNumber = Annotated[str, AfterValidator(normalize_case_number)]


# --- Sections -----------------------------------------------------------------------------------------


class Merchant(Strict):
    """The seller whose store was named in the case."""

    name_en: Line = Field(description="Legal name of the company in English, as on its business licence.")
    name_zh: OptionalLine = Field("", description="Legal name in Chinese (公司中文名称), if it has one.")
    store_name: Line = Field(description="The store's name on the platform, as listed in Schedule A.")
    platform: Annotated[Platform, BeforeValidator(_platform)] = Field(
        description="The marketplace: Alibaba.com, AliExpress, Amazon, Temu, Walmart, DHgate, eBay, Shein, "
        "TikTok Shop or Other."
    )
    store_id: OptionalLine = Field("", description="The store or seller ID on the platform.")
    store_url: WebAddress | None = Field(None, description="The store's web address.")
    contact_person: Line = Field(description="Who signs the letter and answers questions.")
    contact_title: OptionalLine = Field(
        "", description="The signatory's position, e.g. General Manager; in Chinese: declaration.title_zh."
    )
    contact_person_zh: OptionalLine = Field("", description="The signatory's name in Chinese.")
    email: Email = Field(description="Email address for replies.")
    phone: Annotated[Line, AfterValidator(_half_width)] = Field(
        description="Phone number with country code, e.g. +86 755 1234 5678."
    )
    address: Line = Field(description="Registered address in English.")
    address_zh: OptionalLine = Field("", description="Registered address in Chinese.")


class Counsel(Strict):
    """The plaintiff's law firm, as named in the platform's notice or the court papers."""

    firm: Line = Field(description="The law firm's name.")
    email: Email | None = Field(None, description="The firm's email address for this case.")
    attorney: OptionalLine = Field("", description="The attorney's name, if known.")


class IPKind(StrEnum):
    """The kind of intellectual-property right the plaintiff asserts."""

    TRADEMARK = "trademark"
    COPYRIGHT = "copyright"
    DESIGN_PATENT = "design patent"
    UTILITY_PATENT = "utility patent"


class IPRight(Strict):
    """One right asserted in the complaint."""

    kind: IPKind = Field(description="trademark, copyright, design patent or utility patent.")
    registration_number: Line = Field(description="The registration or patent number, e.g. 5,123,456.")
    mark: Line = Field(description="The word mark, the work's title or the design's title.")


class Money(Strict):
    """An amount of money with its currency."""

    amount: Decimal = Field(ge=0, max_digits=15, decimal_places=2, description="The amount, e.g. 12850.40.")
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] = Field(
        "USD", description="ISO 4217 currency code, e.g. USD or CNY."
    )


class CaseDetails(Strict):
    """The lawsuit, as far as the merchant knows it."""

    number: CaseNumber = Field(
        description="The case number in any common form (1:24-cv-02015, 24 C 2015, 24cv2015); shown as "
        "1:YY-cv-NNNNN."
    )
    court: Line = Field(
        description="The court, in full, as the platform's notice names it, e.g. United States District "
        "Court for the Northern District of Illinois."
    )
    plaintiff: Line = Field(description="The plaintiff, as in the caption.")
    counsel: Counsel = Field(description="The plaintiff's law firm.")
    tro_date: dt.date | None = Field(None, description="Date the TRO was entered (YYYY-MM-DD), if known.")
    tro_extended_date: dt.date | None = Field(
        None,
        description="Date the court extended the TRO (YYYY-MM-DD), if it did; the TRO then lasts a like "
        "period, 14 more days (FRCP 65(b)(2)). Needs tro_date.",
    )
    tro_extension_consented: bool = Field(
        False,
        description="Whether the defendants consented to the extension; without consent a TRO may last 28 "
        "days in all (FRCP 65(b)(2)).",
    )
    tro_extended_until: dt.date | None = Field(
        None,
        description="The day the extension order says the TRO now ends (YYYY-MM-DD), if it names one; else "
        "the end is counted as 28 days after entry.",
    )
    preliminary_injunction_hearing: dt.date | None = Field(
        None, description="Date of the preliminary-injunction hearing (YYYY-MM-DD), if one is set."
    )
    served_date: dt.date | None = Field(
        None,
        description="Date the merchant was served with the summons and complaint (YYYY-MM-DD), usually by "
        "e-mail under FRCP 4(f)(3); the answer is due 21 days later (FRCP 12(a)(1)(A)(i)).",
    )
    waiver_sent_date: dt.date | None = Field(
        None,
        description="Date the plaintiff sent a request to waive service (YYYY-MM-DD), if it did; with a "
        "timely waiver the answer is due 60 days later, 90 if sent abroad (FRCP 12(a)(1)(A)(ii)).",
    )
    waiver_sent_abroad: bool = Field(
        False, description="Whether the waiver request was sent outside the United States (90 days, not 60)."
    )
    notified_date: dt.date = Field(description="Date the merchant learned of the case (YYYY-MM-DD).")
    amount_frozen: Money | None = Field(None, description="The balance the platform froze.")
    restricted_functions: list[Line] = Field(
        default_factory=list, description="What the platform restricted: withdrawals, listings, ..."
    )
    restricted_functions_zh: list[Line] = Field(
        default_factory=list,
        description="The same in Chinese, item for item, e.g. [提现, 发布和编辑商品]; the Chinese documents "
        "show restricted_functions when left out.",
    )
    ip_rights: list[IPRight] = Field(
        default_factory=list, description="The rights asserted in the complaint."
    )
    defendant_number: int | None = Field(
        None, ge=1, description="The merchant's line (Doe number) in Schedule A, if known."
    )

    @field_validator("restricted_functions_zh")
    @classmethod
    def _item_for_item(cls, value: list[str], info: ValidationInfo) -> list[str]:
        """The Chinese documents print the i-th Chinese item for the i-th function: the two lists pair up."""
        if not value or "restricted_functions" not in info.data:  # (invalid itself: said already)
            return value
        functions = info.data["restricted_functions"]
        if len(value) != len(functions):
            raise ValueError(
                f"has {len(value)} item{'' if len(value) == 1 else 's'} and restricted_functions "
                f"{len(functions)}; give the Chinese of each function, in the same order "
                "(每项受限功能对应一项中文，顺序相同)"
            )
        return value

    @field_validator("tro_extended_date", "tro_extended_until")
    @classmethod
    def _after_the_tro(cls, value: dt.date | None, info: ValidationInfo) -> dt.date | None:
        if value is None or "tro_date" not in info.data:  # tro_date itself is invalid: said already
            return value
        entered = info.data["tro_date"]
        if entered is None:
            raise ValueError("needs tro_date, the date the TRO was entered")
        if value < entered:
            raise ValueError(f"{value} is before tro_date ({entered})")
        return value


EXCEL_ROUNDED = re.compile(r"\d(\.\d+)?[eE]\+?\d+")
"""A long ID as Excel shows it, and saves it once the file is saved (`1.60099E+12`): its last digits lost."""


class Product(Strict):
    """One of the merchant's listings."""

    listing_id: Line = Field(description="The listing or product ID on the platform.")
    title: Line = Field(description="The listing's title in English.")
    title_zh: OptionalLine = Field("", description="The listing's title in Chinese.")
    accused: bool = Field(True, description="Whether the listing is named in the case.")
    units_sold: int = Field(0, ge=0, description="Units sold to the United States through this listing.")
    revenue: Decimal = Field(
        Decimal(0), ge=0, max_digits=15, decimal_places=2, description="Revenue from those sales."
    )
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] = Field(
        "USD", description="Currency of `revenue`."
    )

    @field_validator("listing_id")
    @classmethod
    def _whole(cls, value: str) -> str:
        if EXCEL_ROUNDED.fullmatch(value):
            raise ValueError(
                f"“{value}” is a listing ID rounded by Excel, its last digits lost; copy the whole ID from "
                "the listing's page on the platform (商品ID被Excel截断，请从商品页面复制完整ID)"
            )
        return value


class Ground(StrEnum):
    """Standard grounds of an appeal; each adds a standard paragraph to the letter."""

    AUTHORISED_RESELLER = "authorised_reseller"
    OWN_BRAND = "own_brand"
    NOT_ACCUSED_PRODUCT = "not_accused_product"
    NO_US_SALES = "no_us_sales"
    LISTING_REMOVED = "listing_removed"
    FREEZE_EXCESSIVE = "freeze_excessive"


GROUNDS_ZH = {
    Ground.AUTHORISED_RESELLER: "授权经销",
    Ground.OWN_BRAND: "自有品牌",
    Ground.NOT_ACCUSED_PRODUCT: "非涉案商品",
    Ground.NO_US_SALES: "未向美国销售",
    Ground.LISTING_REMOVED: "链接已下架",
    Ground.FREEZE_EXCESSIVE: "冻结金额过高",
}
"""Each ground in Chinese, for the messages that name them to a seller who reads Chinese."""


class Position(Strict):
    """The merchant's grounds, in its own words."""

    grounds: list[Ground] = Field(
        default_factory=list,
        description="Standard grounds: authorised_reseller, own_brand, not_accused_product, no_us_sales, "
        "listing_removed, freeze_excessive.",
    )
    statement: Paragraphs = Field(
        description="The merchant's explanation in English; blank lines part paragraphs."
    )
    statement_zh: Paragraphs = Field("", description="The same in Chinese (商家陈述).")


class Request(Strict):
    """One thing the merchant asks for."""

    text: Line = Field(description="The request in English.")
    text_zh: OptionalLine = Field("", description="The request in Chinese.")


class EvidenceEntry(Strict):
    """One evidence file; the list's order is the exhibit order."""

    file: FileName = Field(
        description="Path of the file, relative to the case folder, e.g. evidence/invoice.pdf."
    )
    title: Line = Field(description="What the exhibit is, in English.")
    title_zh: OptionalLine = Field("", description="What the exhibit is, in Chinese.")
    date: dt.date | None = Field(None, description="The document's date (YYYY-MM-DD).")
    description: Paragraphs = Field("", description="What the exhibit shows, in English.")
    description_zh: Paragraphs = Field("", description="What the exhibit shows, in Chinese.")


DEFAULT_EXCLUDED_STATUSES = (
    "Refunded", "Cancelled", "Canceled", "Returned", "已退款", "退款成功", "已取消", "交易关闭", "已关闭"
)  # fmt: skip
"""Order statuses not counted as sales unless `sales.exclude_statuses` says otherwise."""


def _invalid(loc: tuple[str | int, ...], message: str, value: object) -> ValidationError:
    """An error at `loc` below the model being validated: a rule between fields, reported at the field."""
    detail = InitErrorDetails(type=PydanticCustomError("value_error", message), loc=loc, input=value)
    return ValidationError.from_exception_data("case.yaml", [detail])


class SalesColumns(Strict):
    """Which column of the sales export holds what: each header as the file writes it, in English or Chinese
    (case, spaces and full-width brackets do not matter)."""

    listing: Line = Field(
        description="The listing or product ID, as in products[].listing_id, e.g. 商品ID or Product ID."
    )
    quantity: Line = Field(description="The units of each order line, e.g. 数量 or Quantity.")
    amount: Line = Field(
        description="What the buyer paid for the order line, e.g. 实付金额 or Amount; thousands "
        "separators and currency signs (US$ 1,234.50, ¥88.00) are read."
    )
    currency: OptionalLine = Field(
        "",
        description="The currency of each line (USD, 美元, RMB, ...), e.g. 币种; leave it out and give "
        "sales.currency when the whole export is in one currency.",
    )
    status: OptionalLine = Field(
        "",
        description="The order status, e.g. 订单状态 or Order Status: lines whose status is one of "
        "sales.exclude_statuses are not counted.",
    )
    date: OptionalLine = Field(
        "", description="The order date, e.g. 下单时间 or Order Date; needed for sales.date_from and date_to."
    )
    country: OptionalLine = Field(
        "",
        description="The buyer's or shipping country, e.g. 收货国家 or Ship Country; needed for "
        "sales.countries.",
    )
    title: OptionalLine = Field(
        "", description="The product title, shown for accused listings that products does not list."
    )


class Sales(Strict):
    """The sales of the accused listings: from the platform's sales export, or from products."""

    file: OptionalFileName = Field(
        "",
        description="The sales export as the platform wrote it (CSV or XLSX), inside the case folder, e.g. "
        "evidence/sales.csv. Without it, units_sold and revenue of products are used.",
    )
    sheet: OptionalLine = Field(
        "", description="For an XLSX file: the sheet to read; the first one by default."
    )
    columns: SalesColumns | None = Field(None, description="Which column holds what; needed with file.")
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] | None = Field(
        None,
        description="The currency (ISO code, e.g. USD) of the amounts when the export has no currency "
        "column, or of the lines where that column is blank.",
    )
    exclude_statuses: list[Line] = Field(
        default_factory=lambda: list(DEFAULT_EXCLUDED_STATUSES),
        description="Order statuses not counted, as the export writes them (case does not matter); by "
        "default " + ", ".join(DEFAULT_EXCLUDED_STATUSES) + ". Needs columns.status.",
    )
    countries: list[Line] = Field(
        default_factory=list,
        description="Count only lines whose country (columns.country) is one of these, e.g. [United States] "
        "(US, USA and 美国 are the United States too); every line when left out.",
    )
    date_from: dt.date | None = Field(
        None, description="Count only orders on or after this day (YYYY-MM-DD); needs columns.date."
    )
    date_to: dt.date | None = Field(
        None, description="Count only orders on or before this day (YYYY-MM-DD); needs columns.date."
    )
    listings: list[Line] = Field(
        default_factory=list,
        description="The IDs of the accused listings; the products with accused: true when left out.",
    )

    @model_validator(mode="after")
    def _columns_for_every_rule(self) -> Sales:
        columns = self.columns
        if self.file and columns is None:
            message = (
                "needed with file: map at least listing, quantity and amount to the headers of the export"
            )
            raise _invalid(("columns",), message, None)
        if columns is not None and not self.file:
            raise _invalid(("file",), "columns are given but no file; name the sales export here", "")
        rules = {
            "exclude_statuses": (
                "status",
                "exclude_statuses" in self.model_fields_set and self.exclude_statuses,
            ),
            "countries": ("country", self.countries),
            "date_from": ("date", self.date_from),
            "date_to": ("date", self.date_to),
        }
        for field, (column, given) in rules.items():
            if given and not (columns and getattr(columns, column)):
                raise _invalid(
                    (field,), f"needs columns.{column}, the export's column of the order {column}", None
                )
        if self.date_from and self.date_to and self.date_to < self.date_from:
            raise _invalid(("date_to",), f"{self.date_to} is before date_from ({self.date_from})", None)
        seen: set[str] = set()
        for index, listing in enumerate(self.listings):
            if listing in seen:
                raise _invalid(("listings", index), f"{listing} is listed twice", listing)
            seen.add(listing)
        return self


class Declaration(Strict):
    """Who signs the declaration of the accused sales under 28 U.S.C. § 1746, and where: by default the
    merchant's contact person (merchant.contact_person, contact_title)."""

    name: OptionalLine = Field(
        "",
        description="The declarant's full name in English, as in the passport; merchant.contact_person when "
        "left out.",
    )
    name_zh: OptionalLine = Field(
        "", description="The declarant's name in Chinese; merchant.contact_person_zh when name is left out."
    )
    title: OptionalLine = Field(
        "",
        description="The declarant's position in the company, e.g. General Manager or Legal Representative; "
        "merchant.contact_title when left out.",
    )
    title_zh: OptionalLine = Field(
        "",
        description="The position in Chinese, e.g. 总经理; the Chinese letters sign with it too when the "
        "declarant is merchant.contact_person in that position.",
    )
    place: OptionalLine = Field(
        "",
        description='Where the declarant signs, as city and country, e.g. Shenzhen, China ("Executed on ... '
        'at ..."); needed with bundle.freeze_narrowing.',
    )
    place_zh: OptionalLine = Field("", description="The same in Chinese, e.g. 中国深圳.")
    date: dt.date | None = Field(
        None,
        description="The day the declarant signs (YYYY-MM-DD); letter_date, else the build date, when "
        "left out.",
    )
    translator: OptionalLine = Field(
        "",
        description="Who translated the declaration into Chinese, named in the certificate of translation "
        "of a bilingual declaration; a line to fill in by hand when left out.",
    )


class ExhibitLabels(StrEnum):
    """How exhibits are labelled."""

    NUMBERS = "numbers"
    LETTERS = "letters"


class Destination(StrEnum):
    """Where the bundle goes; each has its rules (docs/destinations.md)."""

    PLATFORM = "platform"
    COURT = "court"
    EMAIL = "email"


class BundleSettings(Strict):
    """How the bundle is put together."""

    exhibit_labels: ExhibitLabels = Field(
        ExhibitLabels.NUMBERS, description="numbers (Exhibit 1, 2, ...) or letters (Exhibit A, B, ...)."
    )
    bates_prefix: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{0,20}$")] = Field(
        "", description="If set, every page gets a Bates number: this prefix and a zero-padded number."
    )
    destination: Destination | None = Field(
        None,
        description="Where the bundle goes: platform, court or email; the build checks that place's rules "
        "(docs/destinations.md). `--for` overrides it. Unset: no size cap and no rule checked.",
    )
    platform_cap_mb: float = Field(
        10, gt=0, le=2000, description="platform: the largest bundle the platform takes, in MB."
    )
    court_cap_mb: float = Field(
        35,
        gt=0,
        le=2000,
        description="court: the largest file the court takes, in MB (35: N.D. Ill.'s upload portal); a "
        "larger exhibit is split into parts.",
    )
    freeze_narrowing: bool = Field(
        False,
        description="Also make the request to the plaintiff's counsel to narrow the asset freeze to the "
        "accused revenue (narrowing_request) and the declaration of the accused sales under 28 U.S.C. § 1746 "
        "(declaration), as files and in the bundle after the evidence index. Needs declaration.place.",
    )


RecipientName = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_-]{0,39}$")]


class NamedRecipient(Strict):
    """Someone the bundle is sent to, by a short name: `build-appeal send cases/acme --to lawyer`."""

    name: RecipientName = Field(
        description="The short name used with --to, e.g. counsel, platform, lawyer (letters, digits, - and "
        "_; case does not matter)."
    )
    email: Email = Field(description="The email address.")
    display_name: OptionalLine = Field(
        "", description="The name shown beside the address in the email, e.g. Harbor & Vance LLP."
    )


def _recipient_or_address(value: str) -> str:
    if "@" in value:
        return email_address(value)
    if not re.match(r"^[A-Za-z][A-Za-z0-9_-]{0,39}$", value):
        raise ValueError(f"{value!r} is neither an email address nor a recipient's name")
    return value


RecipientRef = Annotated[str, AfterValidator(_recipient_or_address)]


class SendSettings(Strict):
    """How `build-appeal send` emails the bundle; never the mail server or password (docs/sending.md)."""

    recipients: list[NamedRecipient] = Field(
        default_factory=list,
        description="People and teams the bundle may be sent to, by name. `counsel` needs no entry: it means "
        "case.counsel.email unless a recipient here is named counsel.",
    )
    to: list[RecipientRef] = Field(
        default_factory=list,
        description="Who receives the bundle when the command gives no --to: names (counsel, or one of "
        "`recipients`) or email addresses.",
    )
    cc: list[RecipientRef] = Field(
        default_factory=list,
        description="Who is copied when the command gives no --cc: names or email addresses, e.g. your own.",
    )
    attach_docx: bool = Field(
        False, description="Also attach the editable Word (.docx) files of the documents."
    )
    max_size_mb: float = Field(
        20,
        gt=0,
        le=1000,
        description="The largest message to send, in MB (1 MB = 1,000,000 bytes), counted after encoding: "
        "attachments grow by about a third in an email.",
    )

    @field_validator("recipients")
    @classmethod
    def _distinct_names(cls, recipients: list[NamedRecipient]) -> list[NamedRecipient]:
        seen: set[str] = set()
        for recipient in recipients:
            if recipient.name.lower() in seen:
                raise ValueError(f"the name {recipient.name!r} is used twice")
            seen.add(recipient.name.lower())
        return recipients

    @field_validator("to", "cc")
    @classmethod
    def _known_names(cls, values: list[str], info: ValidationInfo) -> list[str]:
        recipients = info.data.get("recipients") or []
        known = {"counsel", *(recipient.name.lower() for recipient in recipients)}
        for value in values:
            if "@" not in value and value.lower() not in known:
                raise ValueError(
                    f"{value!r} is not a recipient's name; add it under send.recipients or write an email "
                    "address"
                )
        return values


class CaseFile(Strict):
    """Everything in `case.yaml`."""

    language: Language = Field(Language.EN, description="en, zh or bilingual.")
    merchant: Merchant = Field(description="The seller whose store was named.")
    case: CaseDetails = Field(description="The lawsuit.")
    products: list[Product] = Field(default_factory=list, description="The merchant's listings at issue.")
    position: Position = Field(description="The merchant's grounds.")
    requests: list[Request] = Field(min_length=1, description="What the merchant asks for.")
    evidence: list[EvidenceEntry] = Field(
        default_factory=list, description="Evidence files in exhibit order."
    )
    sales: Sales = Field(
        default_factory=lambda: Sales(),
        description="The sales of the accused listings: the platform's sales export and how to read it.",
    )
    declaration: Declaration = Field(
        default_factory=lambda: Declaration(),
        description="Who signs the declaration of the accused sales under 28 U.S.C. § 1746, and where.",
    )
    bundle: BundleSettings = Field(
        default_factory=lambda: BundleSettings(), description="How the bundle is assembled."
    )
    letter_date: dt.date | None = Field(
        None, description="The date printed on the documents; the build date when left out."
    )
    send: SendSettings = Field(
        default_factory=lambda: SendSettings(),
        description="Who `build-appeal send` emails the bundle to, and how (docs/sending.md).",
    )

    @field_validator("evidence")
    @classmethod
    def _distinct_files(cls, entries: list[EvidenceEntry]) -> list[EvidenceEntry]:
        seen: set[str] = set()
        for entry in entries:
            if entry.file in seen:
                raise ValueError(f"{entry.file} is listed twice")
            seen.add(entry.file)
        return entries

    @field_validator("sales")
    @classmethod
    def _listings_without_export_are_products(cls, sales: Sales, info: ValidationInfo) -> Sales:
        if sales.file or "products" not in info.data:
            return sales
        known = {product.listing_id for product in info.data["products"]}
        for index, listing in enumerate(sales.listings):
            if listing not in known:
                raise _invalid(
                    ("listings", index),
                    f"{listing} is not in products; add it there with units_sold and revenue, or name the "
                    "sales export in sales.file",
                    listing,
                )
        return sales

    @field_validator("bundle")
    @classmethod
    def _narrowing_needs_a_declarant(cls, bundle: BundleSettings, info: ValidationInfo) -> BundleSettings:
        declaration, merchant = info.data.get("declaration"), info.data.get("merchant")
        if not bundle.freeze_narrowing or declaration is None or merchant is None:
            return bundle  # off, or the sections it needs are invalid: said already
        if not declaration.place:
            raise _invalid(
                ("freeze_narrowing",),
                "needs declaration.place, where the declaration will be signed, as city and country (e.g. "
                "Shenzhen, China)",
                True,
            )
        if not (declaration.title or (merchant.contact_title and not declaration.name)):
            raise _invalid(
                ("freeze_narrowing",),
                "needs declaration.title (or merchant.contact_title), the declarant's position in the "
                "company",
                True,
            )
        return bundle

    @field_validator("merchant")
    @classmethod
    def _chinese_needs_chinese_name(cls, merchant: Merchant, info: ValidationInfo) -> Merchant:
        """(`--lang` decides, when given: `pipeline.load.load_case` passes it in the context.)"""
        language = (info.context or {}).get("language") or info.data.get("language", Language.EN)
        if language != Language.EN and not merchant.name_zh:
            raise ValueError("name_zh (the Chinese name) is needed when language is zh or bilingual")
        return merchant


def model_in(annotation: Any) -> type[BaseModel] | None:
    """The model class inside a field's annotation (`Merchant`, `list[Product]`, `Money | None`), if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) in (list, typing.Union, types.UnionType, typing.Annotated):
        for argument in typing.get_args(annotation):
            found = model_in(argument)
            if found is not None:
                return found
    return None
