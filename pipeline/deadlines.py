"""Deadlines: the dates a frozen seller must not miss, computed from case.yaml, each with the rule behind it.

From the dates in `case:` (TRO entered and extended, preliminary-injunction hearing, service, waiver request)
this module computes when the TRO ends, when the answer is due and how many days are left, for the bundle's
cover, the letter (`key_dates`) and `build-appeal status`, which lists every case's next deadline.

Counting follows FRCP 6(a)(1): the day of the event is not counted, every later day is, and a last day that
falls on a Saturday, Sunday or legal holiday moves to the next day that is none of these. Legal holidays are
the federal ones (FRCP 6(a)(6)(A)-(B)): the days set by statute, including the weekday observed when one
falls on a weekend, and days the President closed federal offices, from the maintained `holidays` library
(its US public and government calendars). State holidays (FRCP 6(a)(6)(C)) are not counted, which can
only make a date earlier than the rule's. Nothing here is legal advice: the court's orders and docket decide.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import holidays

from pipeline.context import date_en, date_zh, money
from pipeline.errors import CaseDataError
from pipeline.model import CaseDetails, Money
from pipeline.tables import cut, lined_up, shown_width

TRO_DAYS = 14  # FRCP 65(b)(2): "not to exceed 14 days", extendable "for a like period"
ANSWER_DAYS_AFTER_SERVICE = 21  # FRCP 12(a)(1)(A)(i)
ANSWER_DAYS_AFTER_WAIVER = 60  # FRCP 12(a)(1)(A)(ii)
ANSWER_DAYS_AFTER_WAIVER_ABROAD = 90  # FRCP 12(a)(1)(A)(ii)
H_D_MICHIGAN = "Seventh Circuit: H-D Michigan, 694 F.3d 827"

NOT_LEGAL_ADVICE = "Computed from the dates in case.yaml; not legal advice: check the docket."


class DeadlineKind(StrEnum):
    """What a computed date is."""

    TRO_EXPIRES = "tro_expires"
    PI_HEARING = "preliminary_injunction_hearing"
    ANSWER_AFTER_SERVICE = "answer_after_service"
    ANSWER_AFTER_WAIVER = "answer_after_waiver"


@dataclass(frozen=True)
class Deadline:
    """One date that matters, with the rule it comes from and how it was counted."""

    kind: DeadlineKind
    name: str
    name_zh: str
    date: dt.date
    rule: str
    """The rule cited, e.g. `FRCP 12(a)(1)(A)(i)`; `FRCP 6(a)(1)(C)` is added when the last day moved."""
    basis: str
    """How the date was found, in English: `21 days after service on March 15, 2024`."""
    basis_zh: str
    warning: str = ""
    """Set when the date breaks a limit (the TRO past 28 days in the Seventh Circuit)."""
    warning_zh: str = ""


@dataclass(frozen=True, kw_only=True)
class KeyDate(Deadline):
    """A deadline as seen on one day: what templates get as `key_dates`."""

    days_left: int
    """Days from that day to the date: 0 on the day itself, negative once it has passed."""

    @classmethod
    def of(cls, deadline: Deadline, today: dt.date) -> KeyDate:
        """The deadline with its days left as of `today`."""
        return cls(**asdict(deadline), days_left=(deadline.date - today).days)


# --- Counting (FRCP 6(a)) ------------------------------------------------------------------------------


@functools.cache
def _federal_holidays() -> holidays.HolidayBase:
    """The legal holidays of FRCP 6(a)(6)(A), as observed (one on a Saturday the Friday before)."""
    return holidays.country_holidays("US", categories=(holidays.PUBLIC,))


@functools.cache
def _closures() -> holidays.HolidayBase:
    """The days federal offices close by the President's order besides the holidays (Christmas Eve 2024,
    a national day of mourning). Whether FRCP 6(a)(6)(B), "any day declared a holiday by the President",
    takes such a day in is not settled, so each date is counted the careful way for the seller: an answer
    is not moved past one (it was, 5 days later than a careful count gives: a docketing clerk's), and says
    so (`_closure`); a TRO's end is (the freeze may last until then)."""
    return holidays.country_holidays("US", categories=(holidays.GOVERNMENT,))


def _closed_by_order(day: dt.date) -> list[str]:
    """The names of the closure by the President's order on `day` that is no legal holiday, if one is."""
    return [] if _federal_holidays().get(day) else _closures().get_list(day)


def closed_because(day: dt.date, closures: bool = False) -> str:
    """Why `day` cannot be a last day (`a Saturday`, `a federal holiday (Memorial Day)`; with `closures`, a
    day federal offices are closed by the President's order), or `""`."""
    if day.weekday() >= 5:
        return "a Saturday" if day.weekday() == 5 else "a Sunday"
    names = _federal_holidays().get_list(day)
    if names:
        return f"a federal holiday ({names[0]})"
    ordered = _closed_by_order(day) if closures else []
    return f"a day federal offices are closed by the President's order ({ordered[0]})" if ordered else ""


HOLIDAYS_ZH = {
    "New Year's Day": "元旦",
    "Birthday of Martin Luther King, Jr.": "马丁·路德·金纪念日",
    "Martin Luther King Jr. Day": "马丁·路德·金纪念日",
    "Washington's Birthday": "华盛顿诞辰纪念日（总统日）",
    "Memorial Day": "阵亡将士纪念日",
    "Juneteenth National Independence Day": "六月节（奴隶解放纪念日）",
    "Independence Day": "独立日",
    "Labor Day": "劳动节",
    "Columbus Day": "哥伦布日",
    "Veterans Day": "退伍军人节",
    "Thanksgiving Day": "感恩节",
    "Christmas Eve": "平安夜",
    "Christmas Day": "圣诞节",
    "Day After Christmas": "圣诞节翌日",
    "National Day of Mourning for former President Jimmy Carter": "吉米·卡特前总统国葬日",
}
"""The federal holidays' names in Chinese; a day off given for one that falls on a weekend is 补假
(`Independence Day (observed)`). A name not here (a day of mourning yet to come) is shown in English."""


def _holiday_zh(name: str) -> str:
    observed = name.endswith(" (observed)")
    chinese = HOLIDAYS_ZH.get(name.removesuffix(" (observed)"))
    if chinese is None:
        return name
    return f"{chinese}补假" if observed else chinese


def _closed_because_zh(day: dt.date) -> str:
    if day.weekday() >= 5:
        return "周六" if day.weekday() == 5 else "周日"
    names = _federal_holidays().get_list(day)
    if names:
        return f"美国联邦法定假日（{_holiday_zh(names[0])}）"
    return f"美国联邦机构依总统令停止办公之日（{_holiday_zh(_closed_by_order(day)[0])}）"


@dataclass(frozen=True)
class Count:
    """The last day of a period under FRCP 6(a)(1), and the day the count reached before moving."""

    last_day: dt.date
    counted_to: dt.date
    closures: bool = False
    """Whether days closed by the President's order moved the last day too."""

    @property
    def moved(self) -> bool:
        """Whether the count ended on a weekend or holiday and the last day moved on."""
        return self.last_day != self.counted_to


def count_days(start: dt.date, days: int, closures: bool = False) -> Count:
    """FRCP 6(a)(1): `days` days after `start`; a Saturday, Sunday or legal holiday moves to the next day,
    and with `closures` a day federal offices are closed by the President's order too (`_closures`)."""
    counted_to = start + dt.timedelta(days=days)
    last_day = counted_to
    while closed_because(last_day, closures):
        last_day += dt.timedelta(days=1)
    return Count(last_day, counted_to, closures)


def _closure(count: Count) -> tuple[str, str]:
    """The warning for a last day on which federal offices are closed by the President's order, not moved
    for it (`_closures`), in English and Chinese; empty for any other."""
    names = [] if count.closures else _closed_by_order(count.last_day)
    if not names:
        return "", ""
    return (
        f"Federal offices are closed on {date_en(count.last_day)} by the President's order ({names[0]}); "
        "this date is not moved for it, as whether such a day counts as a legal holiday (FRCP 6(a)(6)(B)) is "
        "unsettled",
        f"{date_zh(count.last_day)}美国联邦机构依总统令停止办公（{_holiday_zh(names[0])}）；是否按法定假日顺延"
        "尚无定论（FRCP 6(a)(6)(B)），此日期未顺延",
    )


def _moved(count: Count) -> tuple[str, str]:
    """The sentence saying why a last day moved, in English and Chinese: the day the count reached, and each
    holiday it moved past after that (a Sunday, then Labor Day); empty when it did not move."""
    if not count.moved:
        return "", ""
    passed = [
        count.counted_to + dt.timedelta(days=n) for n in range((count.last_day - count.counted_to).days)
    ]
    skipped = passed[:1] + [day for day in passed[1:] if day.weekday() < 5]  # (a weekend goes without saying)
    english = " and ".join(f"{date_en(day)} is {closed_because(day, count.closures)}" for day in skipped)
    chinese = "、".join(f"{date_zh(day)}为{_closed_because_zh(day)}" for day in skipped)
    return (
        f"; {english}, so the last day moves to {date_en(count.last_day)}",
        f"；{chinese}，顺延至{date_zh(count.last_day)}",
    )


def _rule(rule: str, count: Count) -> str:
    return f"{rule}, FRCP 6(a)(1)(C)" if count.moved else rule


# --- Which court ---------------------------------------------------------------------------------------

_SEVENTH_CIRCUIT_NAMES = re.compile(
    r"illinois|indiana|wisconsin|seventh circuit|7th cir|\b(?:ill|ind|wisc?)\b", re.IGNORECASE
)
_SEVENTH_CIRCUIT_CODES = re.compile(r"\b[NCSEW]\.?\s?D\.?\s?(?:IL|IN|WI)\b|\b(?:IL|IN|WI)[NCSEW]D\b")


def in_seventh_circuit(court: str) -> bool:
    """Whether `case.court` names a district court of the Seventh Circuit: N.D., C.D. or S.D. Illinois,
    N.D. or S.D. Indiana, E.D. or W.D. Wisconsin (by name, `N.D. Ill.` or a code such as `ILND`)."""
    return bool(_SEVENTH_CIRCUIT_NAMES.search(court) or _SEVENTH_CIRCUIT_CODES.search(court))


# --- The deadlines -------------------------------------------------------------------------------------


ANSWERS = (DeadlineKind.ANSWER_AFTER_SERVICE, DeadlineKind.ANSWER_AFTER_WAIVER)


def deadlines(case: CaseDetails) -> list[Deadline]:
    """Every date that can be computed from the case's dates, earliest first; of two on one day the answer
    first, the one the seller must act on (`status` showed "TRO expires" as the next date, the answer due
    that day behind it)."""
    found = [*tro_expiry(case), *hearing(case), *answer_due(case)]
    return sorted(found, key=lambda deadline: (deadline.date, deadline.kind not in ANSWERS))


def tro_expiry(case: CaseDetails) -> list[Deadline]:
    """When the TRO ends: 14 days after entry (FRCP 65(b)(2)), or later when extended (`extended_tro`)."""
    if case.tro_date is None:
        return []
    if case.tro_extended_date is not None or case.tro_extended_until is not None:
        return [extended_tro(case, case.tro_date)]
    count = count_days(case.tro_date, TRO_DAYS, closures=True)
    moved, moved_zh = _moved(count)
    return [
        Deadline(
            DeadlineKind.TRO_EXPIRES,
            "TRO expires",
            "临时限制令到期",
            count.last_day,
            _rule("FRCP 65(b)(2)", count),
            f"14 days after entry on {date_en(case.tro_date)}{moved}",
            f"{date_zh(case.tro_date)}作出后14日{moved_zh}",
        )
    ]


def extended_tro(case: CaseDetails, entered: dt.date) -> Deadline:
    """When an extended TRO ends: the day the extension order names, else a like period after the first 14
    days, 28 days after entry (FRCP 65(b)(2)); with a warning past that in the Seventh Circuit without
    consent (H-D Michigan, 694 F.3d 827)."""
    on = case.tro_extended_date
    extended, extended_zh = (f" (extended on {date_en(on)})", f"（于{date_zh(on)}延期）") if on else ("", "")
    limit = count_days(entered, 2 * TRO_DAYS, closures=True)
    if case.tro_extended_until is not None:
        end, rule = case.tro_extended_until, "FRCP 65(b)(2)"
        basis = f"the day named by the order extending it{extended}"
        basis_zh = f"延期令确定的日期{extended_zh}"
    else:
        moved, moved_zh = _moved(limit)
        end, rule = limit.last_day, _rule("FRCP 65(b)(2)", limit)
        basis = f"14 days after entry on {date_en(entered)} and a like period of 14 more{extended}{moved}"
        basis_zh = f"{date_zh(entered)}作出后14日，另延长同等期间14日{extended_zh}{moved_zh}"
    warning, warning_zh = "", ""
    if end > limit.last_day and not case.tro_extension_consented and in_seventh_circuit(case.court):
        days = (end - entered).days
        warning = (
            f"The TRO would last {days} days without the defendants' consent, past the 28-day limit "
            f"({date_en(limit.last_day)}; FRCP 65(b)(2); {H_D_MICHIGAN})"
        )
        warning_zh = (
            f"未经被告同意，临时限制令将持续{days}日，超过28日上限（{date_zh(limit.last_day)}；"
            f"FRCP 65(b)(2)；{H_D_MICHIGAN}）"
        )
    return Deadline(
        DeadlineKind.TRO_EXPIRES,
        "TRO expires (extended)",
        "临时限制令到期（已延期）",
        end,
        rule,
        basis,
        basis_zh,
        warning,
        warning_zh,
    )


def hearing(case: CaseDetails) -> list[Deadline]:
    """The preliminary-injunction hearing, on the day the court set (FRCP 65(a))."""
    if case.preliminary_injunction_hearing is None:
        return []
    return [
        Deadline(
            DeadlineKind.PI_HEARING,
            "Preliminary-injunction hearing",
            "初步禁令听证",
            case.preliminary_injunction_hearing,
            "FRCP 65(a)",
            "the day set by the court",
            "法院确定的日期",
        )
    ]


def answer_due(case: CaseDetails) -> list[Deadline]:
    """The answer: 21 days after service (FRCP 12(a)(1)(A)(i)); with a timely waiver, 60 days after the
    request was sent, 90 if it was sent abroad (FRCP 12(a)(1)(A)(ii))."""
    due = []
    if case.served_date is not None:
        count = count_days(case.served_date, ANSWER_DAYS_AFTER_SERVICE)
        moved, moved_zh = _moved(count)
        due.append(
            Deadline(
                DeadlineKind.ANSWER_AFTER_SERVICE,
                "Answer due",
                "答辩期限",
                count.last_day,
                _rule("FRCP 12(a)(1)(A)(i)", count),
                f"21 days after service on {date_en(case.served_date)}{moved}",
                f"{date_zh(case.served_date)}送达后21日{moved_zh}",
                *_closure(count),
            )
        )
    if case.waiver_sent_date is not None:
        days = ANSWER_DAYS_AFTER_WAIVER_ABROAD if case.waiver_sent_abroad else ANSWER_DAYS_AFTER_WAIVER
        count = count_days(case.waiver_sent_date, days)
        moved, moved_zh = _moved(count)
        abroad, abroad_zh = (" abroad", "向境外") if case.waiver_sent_abroad else ("", "")
        due.append(
            Deadline(
                DeadlineKind.ANSWER_AFTER_WAIVER,
                "Answer due if service is waived",
                "答辩期限（如被告签回放弃送达）",
                count.last_day,
                _rule("FRCP 12(a)(1)(A)(ii)", count),
                f"{days} days after the waiver request was sent{abroad} on "
                f"{date_en(case.waiver_sent_date)}{moved}",
                f"{date_zh(case.waiver_sent_date)}{abroad_zh}发出放弃送达请求后{days}日{moved_zh}",
                *_closure(count),
            )
        )
    return due


def key_dates(case: CaseDetails, today: dt.date) -> list[KeyDate]:
    """The deadlines with their days left as of `today` (the letter date): the templates' `key_dates`."""
    return [KeyDate.of(deadline, today) for deadline in deadlines(case)]


def next_deadline(dates: list[KeyDate]) -> KeyDate | None:
    """The first date not yet passed; when all have passed, the last of them; None when there are none."""
    ahead = [date for date in dates if date.days_left >= 0]
    if ahead:
        return ahead[0]
    return dates[-1] if dates else None


# --- The status of many cases (`build-appeal status`) ---------------------------------------------------


@dataclass(frozen=True)
class CaseStatus:
    """One case's row in `build-appeal status`: its facts and deadlines, or why case.yaml is invalid."""

    folder: Path
    number: str = ""
    plaintiff: str = ""
    platform: str = ""
    dates: list[KeyDate] = field(default_factory=list)
    amount_frozen: Money | None = None
    accused_revenue: Money | None = None
    error: str = ""

    @property
    def next(self) -> KeyDate | None:
        """The deadline to watch (see `next_deadline`)."""
        return next_deadline(self.dates)


def case_folders(root: Path) -> list[Path]:
    """Every folder directly under `root` that has a case.yaml, by name."""
    found = sorted(path for path in root.glob("*/case.yaml") if path.is_file()) if root.is_dir() else []
    if not found:
        raise CaseDataError([f"{root}: no folder here has a case.yaml; name the cases: status cases/acme"])
    return [path.parent for path in found]


def case_status(folder: Path, today: dt.date) -> CaseStatus:
    """Load one case and compute its deadlines as of `today`; an invalid case.yaml gives its first error."""
    from pipeline.errors import BuildAppealError
    from pipeline.load import load_case
    from pipeline.sales import accused_sales

    try:
        case = load_case(folder)
        sales = accused_sales(case)[0]  # from the sales export when case.yaml names one, as the documents
    except CaseDataError as error:
        return CaseStatus(folder, error=error.problems[0] if error.problems else str(error))
    except BuildAppealError as error:
        return CaseStatus(folder, error=str(error).splitlines()[0])
    data = case.data
    total = sales.total if sales.rows else None  # no accused listing named: not known, rather than 0
    return CaseStatus(
        folder,
        number=data.case.number,
        plaintiff=data.case.plaintiff,
        platform=data.merchant.platform.value,
        dates=key_dates(data.case, today),
        amount_frozen=data.case.amount_frozen,
        accused_revenue=Money(amount=total.amount, currency=total.currency) if total else None,
    )


def case_statuses(folders: list[Path], today: dt.date) -> list[CaseStatus]:
    """Every case's status, nearest deadline first; cases whose dates have all passed next (the most recent
    first), then cases without deadlines and invalid ones."""

    def order(status: CaseStatus) -> tuple[int, int, str]:
        coming = status.next
        if coming is None:
            return (2, 0, str(status.folder))
        if coming.days_left < 0:
            return (1, -coming.days_left, str(status.folder))
        return (0, coming.days_left, str(status.folder))

    return sorted((case_status(folder, today) for folder in folders), key=order)


def status_table(statuses: list[CaseStatus], today: dt.date, width: int | None = None) -> str:
    """A plain-text table of the cases, then any warnings, the count and the not-legal-advice note. On a
    terminal `width` columns wide that the table's rows do not fit (nine columns take about 160), each case
    takes three lines instead."""
    header = ["case", "number", "plaintiff", "platform", "next deadline", "date", "days left", "frozen"]
    rows = [[*header, "accused revenue"]]
    invalid: list[str] = []
    notes: list[str] = []
    for status in statuses:
        if status.error:
            invalid.append(f"{status.folder}  invalid: {status.error}")
            continue
        coming = status.next
        rows.append(
            [
                str(status.folder),
                status.number,
                cut(status.plaintiff, 32),
                status.platform,
                f"{coming.name} ({coming.rule})" if coming else "-",
                coming.date.isoformat() if coming else "",
                _days(coming),
                money(status.amount_frozen) if status.amount_frozen else "-",
                money(status.accused_revenue) if status.accused_revenue else "-",
            ]
        )
        notes += [f"{status.folder}: warning: {date.warning}" for date in status.dates if date.warning]
    lines = lined_up(rows)
    if width is not None and max((shown_width(line) for line in lines), default=0) > width:
        lines = [cut(line, width) for row in rows[1:] for line in _as_block(row)]
    count = f"{len(statuses)} case{'' if len(statuses) == 1 else 's'}"
    if invalid:
        count += f", {len(invalid)} invalid"
    return "\n".join(
        [*lines, *invalid, *notes, f"{count}; days left as of {today.isoformat()}.", NOT_LEGAL_ADVICE]
    )


def _as_block(row: list[str]) -> list[str]:
    """A row of the status table as three lines, for a narrow terminal: the case, its next deadline, and
    the money."""
    folder, number, plaintiff, platform, coming, date, days, frozen, revenue = row
    said = {"": "", "passed": ", passed", "0": ", today", "1": ", 1 day left"}
    left = said.get(days, f", {days} days left")
    return [
        f"{folder}  {number}  {plaintiff}  {platform}",
        f"  next: {coming}" + (f", {date}{left}" if date else ""),
        f"  frozen: {frozen}; accused revenue: {revenue}",
    ]


def _days(date: KeyDate | None) -> str:
    if date is None:
        return ""
    return str(date.days_left) if date.days_left >= 0 else "passed"


def status_json(statuses: list[CaseStatus], today: dt.date) -> dict[str, Any]:
    """The same for scripts: every case with all its deadlines, amounts as exact decimal strings."""
    return {
        "today": today.isoformat(),
        "note": NOT_LEGAL_ADVICE,
        "cases": [_case_json(status) for status in statuses],
    }


def _case_json(status: CaseStatus) -> dict[str, Any]:
    def amount(value: Money | None) -> dict[str, str] | None:
        return None if value is None else {"amount": f"{value.amount:.2f}", "currency": value.currency}

    def date_json(date: KeyDate | None) -> dict[str, Any] | None:
        return None if date is None else {**asdict(date), "date": date.date.isoformat()}

    return {
        "folder": str(status.folder),
        "number": status.number or None,
        "plaintiff": status.plaintiff or None,
        "platform": status.platform or None,
        "next_deadline": date_json(status.next),
        "deadlines": [date_json(date) for date in status.dates],
        "amount_frozen": amount(status.amount_frozen),
        "accused_revenue": amount(status.accused_revenue),
        "error": status.error or None,
    }
