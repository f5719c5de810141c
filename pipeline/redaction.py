"""Find the numbers a court filing must not show in full (FRCP 5.2(a)), and mask them.

FRCP 5.2(a) lets a filing show only the last four digits of a financial-account number or a
social-security number, and only the year of a birth date. A seller's evidence often holds such numbers (a
bank statement, a payment receipt, an ID card scan with OCR), so the case data and the exhibits' text are
scanned for:

- card and account numbers: a card number of a real card brand's prefix and length passing the Luhn
  check, or any 8-20 digit number labelled as an account or card number (`Account No.`, `账号`, `账户`,
  `卡号`);
- IBANs (ISO 13616: the country's length and the mod-97 check);
- US social-security numbers (`AAA-GG-SSSS`, or nine digits labelled `SSN`), never-issued ones excepted;
- US taxpayer-identification numbers: an EIN (`NN-NNNNNNN` with a prefix the IRS assigns) labelled as a
  tax ID (`EIN`, `TIN`, `Tax ID`; unlabelled, that form is as likely a part number), an ITIN (`9NN-NN-NNNN`
  in its groups), or nine digits labelled so. A Chinese unified social credit code (统一社会信用代码, a
  company's public registration and tax number) is not one;
- Chinese resident ID numbers (GB 11643-1999: a real birth date and place, the MOD 11-2 check digit);
- full birth dates: a date next to a birth keyword (`born`, `DOB`, `出生日期`), its year written in full or
  in two digits (`03/14/85`); a date alone is not one.

The checks are python-stdnum's. Each detector is narrow on purpose: an alarm on every invoice number, order
ID or phone number would teach users to ignore the check. A number is never taken from inside a longer one,
a code like `INV-2024-0117`, a price or a phone number, and a number labelled as something else (an order,
a listing, a phone: `Order No. 4111...`) is not taken for a card number, unless a card is named nearer it
(`Order paid by Visa 4111...`), or it is written in a card's groups after words that say what was done, not
what the number is (`Order paid 4111 1111 1111 1111`, where `Order No. 4111 1111 1111 1111` is an order's).
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any, TypeVar

from pydantic import BaseModel
from stdnum import iban, luhn
from stdnum.cn import ric
from stdnum.us import ein, itin, ssn

from pipeline.load import strings_of


class Kind(StrEnum):
    """What a finding is."""

    ACCOUNT = "card or account number"
    IBAN = "IBAN"
    SSN = "social-security number"
    TAX_ID = "taxpayer-identification number"
    CN_ID = "Chinese resident ID number"
    BIRTH_DATE = "birth date"


_RULES = {
    Kind.ACCOUNT: ("must show only its last four digits", "FRCP 5.2(a)(4)"),
    Kind.IBAN: ("must show only its last four characters", "FRCP 5.2(a)(4)"),
    Kind.SSN: ("must show only its last four digits", "FRCP 5.2(a)(1)"),
    Kind.TAX_ID: ("must show only its last four digits", "FRCP 5.2(a)(1)"),
    Kind.CN_ID: ("must show only its last four characters", "FRCP 5.2(a)"),
    Kind.BIRTH_DATE: ("must show only the year of birth", "FRCP 5.2(a)(2)"),
}


@dataclass(frozen=True)
class Finding:
    """A number or date found in a text that a court filing may show only in part."""

    kind: Kind
    text: str = field(repr=False)
    """The text as found; never print or log it (the message and the repr show `masked`)."""
    masked: str
    """The text with all but its last four digits (or letters) replaced by `*`, separators kept; for a birth
    date, its year alone (`1985`, `1985年`)."""
    where: str = ""
    """Where it was found, filled by the caller: `case.yaml: merchant.address`, `Exhibit 3
    (evidence/x.pdf), page 2`."""

    @property
    def message(self) -> str:
        """One line for a warning or an error; it never holds the full number."""
        rule, citation = _RULES[self.kind]
        place = f"{self.where}: " if self.where else ""
        if self.kind is Kind.BIRTH_DATE:
            shown = f"full birth date (year {self.masked})"
        else:
            shown = f"{self.kind} {self.masked}"
        return f"{place}{shown} {rule} in a court filing ({citation})"


def find(text: str) -> list[Finding]:
    """Every card or account number, IBAN, SSN, taxpayer ID, Chinese resident ID number and full birth
    date in `text`, in the order they appear."""
    return [finding for _, _, finding in _spans(text)]


def mask(text: str) -> str:
    """`text` with every finding replaced by its masked form (for documents built with `--redact`)."""
    for start, end, finding in reversed(_spans(text)):
        text = text[:start] + finding.masked + text[end:]
    return text


M = TypeVar("M", bound=BaseModel)


def masked_data(data: M) -> M:
    """A copy of a pydantic model (the case) with every finding in its strings masked, except in fields
    named `file` (paths to files must stay as they are): what `--redact` renders the documents from."""

    def walk(value: Any, key: str | None) -> Any:
        if isinstance(value, str):
            return value if key == "file" else mask(value)
        if isinstance(value, dict):
            return {name: walk(item, str(name)) for name, item in value.items()}
        if isinstance(value, list):
            return [walk(item, None) for item in value]
        return value

    return type(data).model_validate(walk(data.model_dump(exclude_unset=True), None))


def scan_data(data: Any, prefix: str = "", where: Callable[[str], str] | None = None) -> list[Finding]:
    """The findings in every string of `data` (a pydantic model such as the loaded case, a dict, a list),
    each `where` naming its field: `case.yaml: evidence[2].description`, or as `where` names the field's
    dotted path (`Case.at`: with its line)."""
    named = where or (lambda path: f"case.yaml: {path}" if path else "case.yaml")
    return [
        replace(finding, where=named(path))
        for path, text in strings_of(data, prefix)
        for finding in find(text)
    ]


def scan_pages(texts: list[str], where: str) -> list[Finding]:
    """The findings in the text of each page of a document, `where` naming the page:
    `Exhibit 3 (evidence/x.pdf), page 2`."""
    return [
        replace(finding, where=f"{where}, page {number}")
        for number, text in enumerate(texts, start=1)
        for finding in find(text)
    ]


# --- Finding the spans --------------------------------------------------------------------------------

_ASCII = {0xFF10 + i: ord("0") + i for i in range(10)}
_ASCII |= {0xFF21 + i: ord("A") + i for i in range(26)} | {0xFF41 + i: ord("a") + i for i in range(26)}
_ASCII |= {0x3000: ord(" "), 0xFF0D: ord("-"), 0xFF0F: ord("/"), 0xFF0E: ord(".")}
_ASCII |= {space: ord(" ") for space in (0xA0, 0x202F, *range(0x2000, 0x200B))}
_ASCII |= {0x2010: ord("-"), 0x2011: ord("-")}
"""Full-width digits, letters and separators (common in Chinese text) to ASCII, one character for one; so
are the spaces and hyphens that do not break a line (`4111 1111 ...` with non-breaking spaces, as an
emailed receipt writes it)."""


Span = tuple[int, int, Kind]
"""Where a finding starts and ends in a text, and its kind."""


def _spans(text: str) -> list[tuple[int, int, Finding]]:
    """The findings with their place in `text`; where two overlap, the more specific kind wins (an ID
    number is not also taken for a card number)."""
    plain = text.translate(_ASCII)
    taken: list[tuple[int, int, Finding]] = []
    for detector in (_ibans, _chinese_ids, _numbers, _birth_dates):
        for start, end, kind in detector(plain):
            if all(end <= other_start or start >= other_end for other_start, other_end, _ in taken):
                found = text[start:end]
                taken.append((start, end, Finding(kind, found, _masked(kind, found))))
    return sorted(taken, key=lambda span: span[0])


def _masked(kind: Kind, text: str) -> str:
    """A birth date's year (the only four digits in it: `1985`, `1985年`; `03/14/85` gives `1985`), or
    the text with only its last four digits or letters shown."""
    if kind is Kind.BIRTH_DATE:
        year = re.search(r"[0-9０-９]{4}", text)
        if year is None:  # a two-digit year, the date's last two characters
            return str(_full_year(text[-2:].translate(_ASCII)))
        return year.group() + ("年" if "年" in text else "")
    return _keep_last_four(text)


def _keep_last_four(text: str) -> str:
    """`DE89 3704 0044 0532 0130 00` -> `**** **** **** **** **30 00`: separators stay, so the reader
    still sees what kind of number it was."""
    count = sum(character.isalnum() for character in text)
    result, seen = [], 0
    for character in text:
        if character.isalnum():
            seen += 1
            result.append(character if seen > count - 4 else "*")
        else:
            result.append(character)
    return "".join(result)


_IBAN = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]){11,30}")


def _ibans(text: str) -> Iterator[Span]:
    for match in _IBAN.finditer(text):
        # The pattern may run into the next word (`... 0130 00 BIC ...`): take the longest valid start.
        places = [i for i in range(match.start(), match.end()) if text[i] != " "]
        for count in range(len(places), 14, -1):
            end = places[count - 1] + 1
            if (end == len(text) or not text[end].isalnum()) and iban.is_valid(text[match.start() : end]):
                yield match.start(), end, Kind.IBAN
                break


_CN_ID = re.compile(r"(?<![0-9A-Za-z])[0-9]{6} ?[0-9]{8} ?[0-9]{3}[0-9Xx](?![0-9A-Za-z])")


def _chinese_ids(text: str) -> Iterator[Span]:
    for match in _CN_ID.finditer(text):
        number = match.group().replace(" ", "").upper()
        if ric.is_valid(number) and dt.date(1900, 1, 1) <= ric.get_birth_date(number) <= dt.date.today():
            yield match.start(), match.end(), Kind.CN_ID


_SEPARATOR = r"(?: {1,2}|-)"
"""Between the groups of a number: a hyphen, or a space (two where a PDF's text spaces its words so: then a
card's only where a card is named, `_number`)."""
_CARD_AHEAD = (
    rf"(?=(?:[0-9]{{13,19}}|[0-9]{{4}}(?:({_SEPARATOR})[0-9]{{4}}){{2,3}}(?:\1[0-9]{{1,4}})?)(?![0-9A-Za-z]))"
)
_RUN = re.compile(
    r"(?<![0-9A-Za-z+$¥€£*])(?<![0-9A-Za-z][.,])(?<![0-9][-/])"
    rf"(?:(?<![A-Za-z][-/])|{_CARD_AHEAD})"
    rf"(?<![0-9] )(?<![0-9]  )[0-9]++(?:{_SEPARATOR}[0-9]++)*+(?![0-9A-Za-z])"
)
"""A whole number, digits with spaces or hyphens between groups: not a part of a longer number or
code (`INV-2024-0117`, `1:24-cv-02015`), of a price (`$1234.56`) or of a phone number (`+86 ...`). After a
word and a hyphen or a slash, only a number of a card's form counts (13 to 19 digits, or groups of four):
a file name joins its words so as often as with `_` (`receipt-card-4111-1111-1111-1111.pdf`), and a path
puts its folder before it (`evidence/4111111111111111.pdf`)."""
_GLUED = re.compile(r"[-./,][0-9A-Za-z]")
"""After a number, what makes its last part belong to what follows: `... 1111 12/26`, `19,250.00`."""
_EXTENSION = re.compile(r"\.[A-Za-z][A-Za-z0-9]{1,4}(?![0-9A-Za-z])")
"""A file name's extension, which ends the number before it (`receipt_card_4111111111111111.pdf`)."""

_CARD_FORM = re.compile(
    r"[0-9]{13,19}"  # bare
    rf"|[0-9]{{4}}(?:({_SEPARATOR})[0-9]{{4}}){{2,3}}(?:\1[0-9]{{1,4}})?"  # 4111 1111 1111 1111
    rf"|[0-9]{{4}}({_SEPARATOR})[0-9]{{6}}\2[0-9]{{4,5}}"  # 3782 822463 10005 (American Express, Diners Club)
)
_ACCOUNT_FORM = re.compile(r"[0-9]{3,}(?:[ -][0-9]{3,})*(?:[ -][0-9]{1,2})?")
_SSN_FORM = re.compile(r"[0-9]{3}([ -])[0-9]{2}\1[0-9]{4}")
_EIN_FORM = re.compile(r"[0-9]{2}[ -][0-9]{7}")
_CARD_BRANDS = (
    (re.compile(r"4"), {13, 16, 19}),  # Visa
    (re.compile(r"5[1-5]|2(?:22[1-9]|2[3-9]|[3-6]|7[01]|720)"), {16}),  # Mastercard
    (re.compile(r"3[47]"), {15}),  # American Express
    (re.compile(r"3(?:0[0-5]|[689])"), {14, 16, 19}),  # Diners Club
    (re.compile(r"35(?:2[89]|[3-8])"), {16, 17, 18, 19}),  # JCB
    (re.compile(r"6|5[06-9]"), {16, 17, 18, 19}),  # Discover, UnionPay, Maestro
)
"""Issuer prefixes and lengths of card numbers: other numbers of 13-19 digits (listing IDs, order numbers)
pass the Luhn check one time in ten, so the check alone would raise false alarms."""

_LABEL = re.compile(
    r"(?P<account>\b(?:accounts?|acct|a/c)\b|\bcard *(?:number|no\b|#)|账号|帐号|账户号码?|帐户号码?"
    r"|银行账户|银行帐户|卡号|(?:账户|帐户)(?=\s*(?:[（(][^）)]{0,10}[）)])?\s*[:：#]?\s*\Z))"
    r"|(?P<ssn>\bssn\b|\bsocial[ -]security\b|社会安全号)"
    r"|(?P<tax>\b(?:e\.?i\.?n|fein|itin|tin|tax(?:payer)?[ -]?id(?:entification)?"
    r"|employer[ -]id(?:entification)?)\b|美国税号)"
    r"|(?P<other>\b(?:order|invoice|tracking|listing|product|item|sku|asin|transaction|ref|reference|id"
    r"|tel|telephone|phone|mobile|fax|contract|patent|registration|uscc|credit code|business licen[cs]e)\b"
    r"|订单|运单|单号|发票|商品|电话|手机|传真|合同|专利|证书|编号|信用代码|营业执照)"
    r"|(?P<card>\b(?:card|visa|mastercard|amex|unionpay)\b|银行卡|信用卡|借记卡|储蓄卡|银联|付款卡|收款卡)",
    re.IGNORECASE | re.ASCII,
)
"""What a number is labelled as: the nearest label before it counts (`Account ID` is no bank account).
A bare `账户` (account) labels only the number right after it (`账户：`, `账户（人民币）：`), not one further
on (`账户余额`, the account's balance). A company's registration number (统一社会信用代码) is public. A
card's name (`card`, `Visa`, `银行卡`) labels what follows as a card, which a card's number must still be."""


_NAMES_THE_NUMBER = re.compile(
    r"(?:[\s:：#.,，(（)）]|\b(?:no|nos|num|number|is|id)\b|号|编号|号码|码)*", re.IGNORECASE | re.ASCII
)
"""What stands between a label and its number when the label names the number (`Order No.: `, `订单号：`)."""


def _label(text: str, start: int) -> tuple[str | None, bool]:
    """The label right before `start` (at most three words before it, and no other number between):
    `account`, `ssn`, `tax`, `card`, `other` or None; and whether words other than a number's name stand
    between them (`Order paid 4111...`, not `Order No. 4111...`). `_` separates words, as in a file name. The
    nearest wins: `Order paid by Visa 4111...` is a card's number, `Order number is 4111...` an order's,
    and so is a number under a table's header of order IDs (`订单号 下单时间` above it)."""
    before = re.split(r"[0-9]", text[max(0, start - 40) : start])[-1].replace("_", " ")
    labels = list(_LABEL.finditer(before))
    if not labels:
        return None, False
    between = before[labels[-1].end() :]
    if len(between.split()) > 3:
        return None, False
    return labels[-1].lastgroup, not _NAMES_THE_NUMBER.fullmatch(between)


def _numbers(text: str) -> Iterator[Span]:
    """Card, account, social-security and taxpayer-identification numbers."""
    ids = _id_lengths(text)
    for match in _RUN.finditer(text):
        number = match.group()
        if _GLUED.match(text, match.end()) and not _EXTENSION.match(text, match.end()):
            number = number.rpartition(" ")[0]
        if number:
            yield from _parts(text, match.start(), number, ids)


_BARE = re.compile(r"(?<![0-9])[0-9]{13,19}(?![0-9])")


def _id_lengths(text: str) -> frozenset[int]:
    """The lengths of the bare 13-19 digit numbers of which `text` has a column of IDs: three or more of
    one length, fewer than half of them passing the Luhn check. An order export lists its order IDs so
    (a Taobao ID of 19 digits beginning with 4 looks like a Visa card's number, and one in ten passes the
    check), where its header is rows above; a page of card numbers passes it every time."""
    found: dict[int, list[bool]] = {}
    for match in _BARE.finditer(text):
        found.setdefault(len(match.group()), []).append(luhn.is_valid(match.group()))
    return frozenset(
        length for length, valid in found.items() if len(valid) >= 3 and sum(valid) * 2 < len(valid)
    )


def _parts(text: str, start: int, number: str, ids: frozenset[int] = frozenset()) -> Iterator[Span]:
    """The number if it is one; else, from left to right, the longest runs of up to five of its
    space-separated parts that are one (a table row puts several numbers on one line). A bare number of a
    length `ids` holds is an ID of a column of them (`_id_lengths`)."""
    if found := _number(text, start, number, whole=True, ids=ids):
        yield found
        return
    parts = number.split(" ")
    offsets = list(itertools.accumulate((len(part) + 1 for part in parts), initial=start))
    first = 0
    while len(parts) > 1 and first < len(parts):
        for last in range(min(len(parts), first + 5), first, -1):
            candidate = " ".join(parts[first:last])
            if 8 <= sum(c.isdigit() for c in candidate) <= 20 and (
                found := _number(text, offsets[first], candidate, whole=False, ids=ids)
            ):
                yield found
                first = last
                break
        else:
            first += 1


def _number(
    text: str, start: int, number: str, whole: bool, ids: frozenset[int] = frozenset()
) -> Span | None:
    """What `number` (at `start` in `text`) is, if anything; an SSN or ITIN written with spaces
    (`123 45 6789`) must be the whole run, not three numbers of a table row. A bare number of a length `ids`
    holds is an ID of a column of them (`_id_lengths`), not a card's number, unless a card is named."""
    digits = re.sub(r"[^0-9]", "", number)
    label, described = _label(text, start)
    end = start + len(number)
    ssn_form = bool(_SSN_FORM.fullmatch(number) and (whole or " " not in number or label == "ssn"))
    if label != "other" and _is_tax_id(number, digits, label, ssn_form):
        return start, end, Kind.TAX_ID
    if ((ssn_form and label != "other") or (label == "ssn" and number.isdigit())) and ssn.is_valid(digits):
        return start, end, Kind.SSN
    if label == "account" and 8 <= len(digits) <= 20 and _ACCOUNT_FORM.fullmatch(number):
        return start, end, Kind.ACCOUNT
    column = number.isdigit() and len(number) in ids and label != "card"
    # In a card's groups after what was done with it (`Order paid 4111 1111 ...`): no order or tracking
    # number is printed so.
    paid = label == "other" and described and not number.isdigit()
    # Groups two spaces apart are a card's only where one is named: a PDF's table of figures comes out so,
    # and one row in ten of four 4-digit figures passes a card's checks.
    spread = "  " in number and label not in ("card", "account")
    if (label != "other" or paid) and not column and not spread and _CARD_FORM.fullmatch(number):
        return (start, end, Kind.ACCOUNT) if _is_card(digits) else None
    return None


def _is_tax_id(number: str, digits: str, label: str | None, ssn_form: bool) -> bool:
    """Whether the number is a US taxpayer ID: an EIN (`12-3456789`, of a prefix the IRS assigns) or an ITIN
    (`912-70-1234`); labelled as a tax ID (`EIN`, `TIN`, `Tax ID`), also an SSN (an individual's taxpayer
    ID), and nine digits without separators that are any of them."""
    if _EIN_FORM.fullmatch(number):  # labelled: `12-3456789` alone is as likely a part or a file number
        return label == "tax" and ein.is_valid(digits)
    if ssn_form:
        return itin.is_valid(digits) or (label == "tax" and ssn.is_valid(digits))
    return (
        label == "tax"
        and number.isdigit()
        and len(digits) == 9
        and any(kind.is_valid(digits) for kind in (ein, itin, ssn))
    )


def _is_card(digits: str) -> bool:
    """Whether the digits are a card number: a card brand's prefix and length, and the Luhn check."""
    brand = any(prefix.match(digits) and len(digits) in lengths for prefix, lengths in _CARD_BRANDS)
    return brand and luhn.is_valid(digits)


_MONTH = (
    r"(?P<month>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DAY = r"(?P<day>[0-9]{1,2})(?:st|nd|rd|th)?"
_DATES = tuple(
    re.compile(rf"(?<![0-9A-Za-z]){pattern}(?![0-9A-Za-z])", re.IGNORECASE | re.ASCII)
    for pattern in (
        r"(?P<year>[0-9]{4})([-/.])(?P<month_number>[0-9]{1,2})\2(?P<day>[0-9]{1,2})",
        r"(?P<day>[0-9]{1,2})([-/.])(?P<month_number>[0-9]{1,2})\2(?P<year>[0-9]{4})",
        r"(?P<day>[0-9]{1,2})([-/.])(?P<month_number>[0-9]{1,2})\2(?P<year>[0-9]{2})",  # 03/14/85
        rf"{_MONTH} {_DAY},? (?P<year>[0-9]{{4}})",
        rf"{_DAY} (?:of )?{_MONTH},? (?P<year>[0-9]{{4}})",
        r"(?P<year>[0-9]{4}) *年 *(?P<month_number>[0-9]{1,2}) *月 *(?P<day>[0-9]{1,2}) *日",
    )
)
_BIRTH_BEFORE = re.compile(
    r"(?:\b(?:born|birth(?:day|date)?|d\.?o\.?b)\b\.?|出生日期|出生|生日)[^0-9.;!?。；！？]{0,30}\Z",
    re.IGNORECASE | re.ASCII,
)
_BIRTH_AFTER = re.compile(r" ?(?:出生|生(?![效产成活]))")
"""`1985年3月14日出生`, `1985年3月14日生` (but not `...日生效`, takes effect)."""


def _birth_dates(text: str) -> Iterator[Span]:
    """Real dates with a birth keyword just before them (`Date of birth: `), or `出生` just after."""
    for pattern in _DATES:
        for match in pattern.finditer(text):
            before = _BIRTH_BEFORE.search(text, max(0, match.start() - 40), match.start())
            if (before or _BIRTH_AFTER.match(text, match.end())) and _real_date(match):
                yield match.start(), match.end(), Kind.BIRTH_DATE


def _real_date(match: re.Match[str]) -> bool:
    """Whether a date match is a real day from 1900 to today; `03/14/1985` (US) and `14/03/1985` both are."""
    year, day = int(match["year"]), int(match["day"])
    if len(match["year"]) == 2:
        year = _full_year(match["year"])
    if "month" in match.re.groupindex:
        readings = [(_month_number(match["month"]), day)]
    else:
        readings = [(int(match["month_number"]), day)]
        if match.start("day") < match.start("year"):
            readings.append((day, int(match["month_number"])))
    for month, day_of_month in readings:
        try:
            if dt.date(1900, 1, 1) <= dt.date(year, month, day_of_month) <= dt.date.today():
                return True
        except ValueError:
            pass
    return False


def _full_year(two_digits: str) -> int:
    """The year of a birth date written with two digits: the last one so written that is not in the future
    (`85` -> 1985, `05` -> 2005)."""
    year = 2000 + int(two_digits)
    return year if year <= dt.date.today().year else year - 100


def _month_number(name: str) -> int:
    return ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"].index(
        name[:3].lower()
    ) + 1
