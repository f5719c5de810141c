"""Deadlines computed from case.yaml (FRCP 65(b)(2), 12(a), 6(a)), `build-appeal status`, and the key dates
on the bundle's cover and in the letter."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
from pathlib import Path
from typing import Any

import docx
import pytest
from click.testing import CliRunner

from pipeline.build import BuildOptions, BuildResult, build
from pipeline.cli import main
from pipeline.context import Context
from pipeline.deadlines import (
    NOT_LEGAL_ADVICE,
    CaseStatus,
    DeadlineKind,
    _closed_because_zh,
    closed_because,
    count_days,
    deadlines,
    in_seventh_circuit,
    key_dates,
    next_deadline,
    status_table,
)
from pipeline.errors import CaseDataError
from pipeline.load import load_case
from pipeline.model import CaseDetails, CaseFile, Language
from tests.conftest import EXAMPLE, MakeCase, example_data

D = dt.date
H_D_MICHIGAN = "Seventh Circuit: H-D Michigan, 694 F.3d 827"
SDNY = "United States District Court for the Southern District of New York"


def case(**dates: Any) -> CaseDetails:
    """The example's case section with only the given dates (others left out)."""
    data = example_data()["case"]
    for name in ("tro_date", "served_date", "preliminary_injunction_hearing"):
        data.pop(name, None)
    return CaseDetails.model_validate({**data, **dates})


def only(case_details: CaseDetails) -> Any:
    found = deadlines(case_details)
    assert len(found) == 1, found
    return found[0]


# --- Counting (FRCP 6(a)(1)) ----------------------------------------------------------------------------


def test_a_tro_lasts_14_days_from_entry() -> None:
    expiry = only(case(tro_date="2024-03-11"))
    assert (expiry.kind, expiry.date, expiry.rule) == (
        DeadlineKind.TRO_EXPIRES,
        D(2024, 3, 25),
        "FRCP 65(b)(2)",
    )
    assert expiry.basis == "14 days after entry on March 11, 2024"
    assert expiry.warning == ""


def test_a_last_day_on_a_saturday_moves_to_monday() -> None:
    expiry = only(case(tro_date="2024-03-09"))  # day 14: Saturday, March 23
    assert expiry.date == D(2024, 3, 25)
    assert expiry.rule == "FRCP 65(b)(2), FRCP 6(a)(1)(C)"
    assert "March 23, 2024 is a Saturday, so the last day moves to March 25, 2024" in expiry.basis
    assert "2024年3月23日为周六，顺延至2024年3月25日" in expiry.basis_zh


def test_a_last_day_moved_past_a_sunday_and_a_holiday_names_both() -> None:
    """It named the Sunday only, and moved the day to Tuesday without a word of Labor Day."""
    expiry = only(case(tro_date="2024-08-18"))  # day 14: Sunday, September 1; Monday is Labor Day
    assert expiry.date == D(2024, 9, 3)
    assert expiry.basis.endswith(
        "September 1, 2024 is a Sunday and September 2, 2024 is a federal holiday (Labor Day), so the last "
        "day moves to September 3, 2024"
    )
    assert (
        "2024年9月1日为周日、2024年9月2日为美国联邦法定假日（劳动节），顺延至2024年9月3日" in expiry.basis_zh
    )


@pytest.mark.parametrize(
    ("entered", "expires", "holiday"),
    [
        ("2024-06-20", D(2024, 7, 5), "Independence Day"),  # day 14: Thursday, July 4
        ("2024-05-13", D(2024, 5, 28), "Memorial Day"),  # day 14: Monday, May 27
    ],
)
def test_a_last_day_on_a_federal_holiday_moves_to_the_next_day(
    entered: str, expires: dt.date, holiday: str
) -> None:
    expiry = only(case(tro_date=entered))
    assert expiry.date == expires
    assert f"a federal holiday ({holiday})" in expiry.basis
    assert expiry.rule.endswith("FRCP 6(a)(1)(C)")


def test_an_observed_holiday_counts_and_the_weekend_after_it_too() -> None:
    # July 4, 2026 is a Saturday, observed on Friday, July 3: served June 12, day 21 is that Friday.
    answer = only(case(served_date="2026-06-12"))
    assert answer.date == D(2026, 7, 6)
    assert "Independence Day (observed)" in answer.basis
    assert "美国联邦法定假日（独立日补假）" in answer.basis_zh


def test_every_federal_holiday_has_its_chinese_name() -> None:
    """The Chinese letter said "7月4日为美国联邦法定假日（Independence Day）" (found by a probe reading it as
    the seller): every name the holidays package gives, observed days too, from 2020 to 2035."""
    days = (D(2020, 1, 1) + dt.timedelta(days=n) for n in range(16 * 366))
    names = {_closed_because_zh(day) for day in days if day.weekday() < 5 and closed_because(day)}
    assert len(names) > 10 and not [name for name in names if re.search("[A-Za-z]", name)]


def test_a_day_the_president_closed_federal_offices_is_counted_the_careful_way() -> None:
    """Christmas Eve 2024 and 2025 and December 26, 2025 (offices closed by executive order) moved an answer
    due on December 24, 2025 to December 29: 5 days later than a careful count gives, where whether such
    a day is "declared a holiday by the President" (FRCP 6(a)(6)(B)) is not settled (a docketing clerk's).
    An answer printed late costs the seller its defence: it is not moved, with a warning; a TRO's end is
    (the freeze may last until then)."""
    assert count_days(D(2024, 12, 3), 21).last_day == D(2024, 12, 24)
    answer = only(case(served_date="2025-12-03"))
    assert (answer.date, answer.basis) == (D(2025, 12, 24), "21 days after service on December 3, 2025")
    assert answer.warning == (
        "Federal offices are closed on December 24, 2025 by the President's order (Christmas Eve); this date "
        "is not moved for it, as whether such a day counts as a legal holiday (FRCP 6(a)(6)(B)) is unsettled"
    )
    closed = "2025年12月24日美国联邦机构依总统令停止办公（平安夜）"
    assert answer.warning_zh == f"{closed}；是否按法定假日顺延尚无定论（FRCP 6(a)(6)(B)），此日期未顺延"
    assert only(case(served_date="2025-12-02")).warning == ""  # (December 23)
    expiry = only(case(tro_date="2025-12-10"))
    assert expiry.date == D(2025, 12, 29) and expiry.warning == ""
    assert expiry.basis.endswith(
        "December 24, 2025 is a day federal offices are closed by the President's order (Christmas Eve) and "
        "December 25, 2025 is a federal holiday (Christmas Day) and December 26, 2025 is a day federal "
        "offices are closed by the President's order (Day After Christmas), so the last day moves to "
        "December 29, 2025"
    )


def test_an_ordinary_weekday_does_not_move() -> None:
    count = count_days(D(2024, 3, 15), 21)
    assert (count.last_day, count.moved) == (D(2024, 4, 5), False)


# --- The TRO and its extension --------------------------------------------------------------------------


def test_an_extension_adds_a_like_period() -> None:
    expiry = only(case(tro_date="2024-03-11", tro_extended_date="2024-03-22"))
    assert (expiry.name, expiry.date) == ("TRO expires (extended)", D(2024, 4, 8))  # 28 days after entry
    assert "a like period of 14 more (extended on March 22, 2024)" in expiry.basis
    assert expiry.warning == ""


def test_an_extension_to_a_named_day_within_28_days_warns_of_nothing() -> None:
    expiry = only(
        case(tro_date="2024-03-11", tro_extended_date="2024-03-22", tro_extended_until="2024-04-05")
    )
    assert (expiry.date, expiry.warning) == (D(2024, 4, 5), "")


def test_past_28_days_without_consent_warns_in_the_seventh_circuit() -> None:
    expiry = only(
        case(tro_date="2024-03-11", tro_extended_date="2024-03-22", tro_extended_until="2024-04-22")
    )
    assert expiry.date == D(2024, 4, 22)
    assert "would last 42 days without the defendants' consent, past the 28-day limit" in expiry.warning
    assert H_D_MICHIGAN in expiry.warning
    assert H_D_MICHIGAN in expiry.warning_zh


@pytest.mark.parametrize(
    "changes",
    [{"court": SDNY}, {"tro_extension_consented": "true"}],
    ids=["outside the Seventh Circuit", "with consent"],
)
def test_past_28_days_warns_only_without_consent_in_the_seventh_circuit(changes: dict[str, str]) -> None:
    dates = {"tro_date": "2024-03-11", "tro_extended_date": "2024-03-22", "tro_extended_until": "2024-04-22"}
    expiry = only(case(**dates, **changes))
    assert (expiry.date, expiry.warning, expiry.warning_zh) == (D(2024, 4, 22), "", "")


@pytest.mark.parametrize(
    ("court", "seventh"),
    [
        ("United States District Court for the Northern District of Illinois", True),
        ("U.S. District Court, Central District of Illinois", True),
        ("S.D. Ill.", True),
        ("N.D. Ind.", True),
        ("Southern District of Indiana", True),
        ("E.D. Wis.", True),
        ("Western District of Wisconsin", True),
        ("ILND", True),
        (SDNY, False),
        ("S.D.N.Y.", False),
        ("Eastern District of Michigan", False),
        ("W.D. Wash.", False),
        ("District of Columbia", False),
    ],
)
def test_the_seventh_circuit_is_told_from_the_court(court: str, seventh: bool) -> None:
    assert in_seventh_circuit(court) is seventh


@pytest.mark.parametrize(
    ("dates", "message"),
    [
        (
            {"tro_extended_date": "2024-03-22"},
            "case.tro_extended_date: needs tro_date, the date the TRO was entered",
        ),
        (
            {"tro_date": "2024-03-11", "tro_extended_until": "2024-03-01"},
            "case.tro_extended_until: 2024-03-01 is before tro_date (2024-03-11)",
        ),
    ],
)
def test_an_extension_needs_an_entry_before_it(
    make_case: MakeCase, dates: dict[str, str], message: str
) -> None:
    data = example_data()
    data["case"].pop("tro_date")
    data["case"].update(dates)
    with pytest.raises(CaseDataError) as raised:
        load_case(make_case(data))
    (problem,) = raised.value.problems
    assert problem.endswith(message)


# --- Service and waiver (FRCP 12(a)(1)(A)) --------------------------------------------------------------


def test_the_answer_is_due_21_days_after_service() -> None:
    answer = only(case(served_date="2024-03-15"))
    assert (answer.kind, answer.date, answer.rule) == (
        DeadlineKind.ANSWER_AFTER_SERVICE,
        D(2024, 4, 5),
        "FRCP 12(a)(1)(A)(i)",
    )
    assert answer.basis == "21 days after service on March 15, 2024"


@pytest.mark.parametrize(("abroad", "due"), [("false", D(2024, 4, 29)), ("true", D(2024, 5, 29))])
def test_the_answer_is_due_60_days_after_a_waiver_request_or_90_if_sent_abroad(
    abroad: str, due: dt.date
) -> None:
    answer = only(case(waiver_sent_date="2024-02-29", waiver_sent_abroad=abroad))
    assert (answer.kind, answer.date, answer.rule) == (
        DeadlineKind.ANSWER_AFTER_WAIVER,
        due,
        "FRCP 12(a)(1)(A)(ii)",
    )
    assert answer.basis.startswith(
        f"{60 if abroad == 'false' else 90} days after the waiver request was sent"
    )
    assert ("abroad" in answer.basis) is (abroad == "true")
    # A request sent is no waiver: "(service waived)" beside the answer due after service read as a fact,
    # and the seller could take the later date (a docketing clerk's).
    assert answer.name == "Answer due if service is waived"
    assert answer.name_zh == "答辩期限（如被告签回放弃送达）"


def test_of_two_dates_on_one_day_the_answer_comes_first() -> None:
    """`status` showed "TRO expires" as the next date, hiding the answer due that same day (a docketing
    clerk's): the answer is what the seller must act on."""
    found = deadlines(case(tro_date="2024-02-15", served_date="2024-02-08"))
    assert [(deadline.kind, deadline.date) for deadline in found] == [
        (DeadlineKind.ANSWER_AFTER_SERVICE, D(2024, 2, 29)),
        (DeadlineKind.TRO_EXPIRES, D(2024, 2, 29)),
    ]


# --- Days left ------------------------------------------------------------------------------------------


def test_days_left_and_the_next_deadline() -> None:
    details = case(
        tro_date="2024-03-11", served_date="2024-03-15", preliminary_injunction_hearing="2024-03-22"
    )
    dates = key_dates(details, D(2024, 3, 22))
    assert [(date.name, date.days_left) for date in dates] == [
        ("Preliminary-injunction hearing", 0),
        ("TRO expires", 3),
        ("Answer due", 14),
    ]
    assert next_deadline(dates) == dates[0]
    later = key_dates(details, D(2024, 3, 26))
    assert next_deadline(later) == later[2]
    passed = key_dates(details, D(2024, 5, 1))
    assert next_deadline(passed) == passed[-1] and passed[-1].days_left == -26
    assert next_deadline([]) is None


def test_templates_get_the_key_dates_as_of_the_letter_date() -> None:
    data = CaseFile.model_validate(example_data())
    variables = Context(data, [], D(2024, 3, 18), Language.EN).variables()
    assert [(d.name, d.date, d.days_left, d.rule) for d in variables["key_dates"]] == [
        ("Preliminary-injunction hearing", D(2024, 3, 22), 4, "FRCP 65(a)"),
        ("TRO expires", D(2024, 3, 25), 7, "FRCP 65(b)(2)"),
        ("Answer due", D(2024, 4, 5), 18, "FRCP 12(a)(1)(A)(i)"),
    ]
    assert {"name_zh", "warning"} <= set(vars(variables["key_dates"][0]))


# --- build-appeal status --------------------------------------------------------------------------------


def case_data(**dates: Any) -> dict[str, Any]:
    data = example_data()
    for name in ("tro_date", "served_date", "preliminary_injunction_hearing"):
        data["case"].pop(name)
    data["case"].update(dates)
    return data


@pytest.fixture
def four_cases(make_case: MakeCase) -> list[Path]:
    """Hearing in 10 days, TRO ending in 3 days, no dates, and an invalid case.yaml; today is 2024-03-18."""
    hearing = case_data(preliminary_injunction_hearing="2024-03-28")
    hearing["case"]["number"] = "24 C 100"
    hearing["merchant"]["platform"] = "amazon"
    hearing["products"] = []
    tro = case_data(tro_date="2024-03-07")
    none = case_data()
    invalid = case_data(served_date="soon")
    return [
        make_case(hearing, name="hearing"),
        make_case(tro, name="tro"),
        make_case(none, name="none"),
        make_case(invalid, name="invalid"),
    ]


def status(*args: str) -> Any:
    return CliRunner().invoke(main, ["status", *args, "--today", "2024-03-18"])


def cells(line: str) -> list[str]:
    """A table row's cells: columns are parted by two spaces or more."""
    return re.split(r" {2,}", line.strip())


def test_status_lists_the_nearest_deadline_first(four_cases: list[Path]) -> None:
    result = status(*map(str, four_cases))
    assert result.exit_code == 1, result.output
    lines = result.stdout.splitlines()
    assert cells(lines[0]) == [
        "case", "number", "plaintiff", "platform", "next deadline", "date", "days left", "frozen",
        "accused revenue",
    ]  # fmt: skip
    tro, hearing, none, invalid = (cells(line) for line in lines[1:5])
    assert tro == [
        str(four_cases[1]),
        "1:24-cv-02015",
        "Glowbright Brands, LLC",
        "Alibaba.com",
        "TRO expires (FRCP 65(b)(2))",
        "2024-03-21",
        "3",
        "US$48,630.25",
        "US$209.30",
    ]
    assert hearing == [
        str(four_cases[0]),
        "1:24-cv-00100",
        "Glowbright Brands, LLC",
        "Amazon",
        "Preliminary-injunction hearing (FRCP 65(a))",
        "2024-03-28",
        "10",
        "US$48,630.25",
        "-",  # no accused listings
    ]
    assert none[4:] == ["-", "US$48,630.25", "US$209.30"]
    assert invalid[0] == str(four_cases[3])
    assert (
        invalid[1].startswith("invalid: ") and "case.served_date: write the date as YYYY-MM-DD" in invalid[1]
    )
    assert lines[5:] == ["4 cases, 1 invalid; days left as of 2024-03-18.", NOT_LEGAL_ADVICE]


def test_status_json_gives_every_deadline(four_cases: list[Path]) -> None:
    result = status(*map(str, four_cases[:3]), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["today"] == "2024-03-18" and "not legal advice" in report["note"]
    first = report["cases"][0]
    assert first["folder"] == str(four_cases[1])
    assert (first["number"], first["plaintiff"], first["platform"]) == (
        "1:24-cv-02015",
        "Glowbright Brands, LLC",
        "Alibaba.com",
    )
    assert first["amount_frozen"] == {"amount": "48630.25", "currency": "USD"}
    assert first["accused_revenue"] == {"amount": "209.30", "currency": "USD"}
    assert first["error"] is None
    assert first["next_deadline"] == {
        "kind": "tro_expires",
        "name": "TRO expires",
        "name_zh": "临时限制令到期",
        "date": "2024-03-21",
        "rule": "FRCP 65(b)(2)",
        "basis": "14 days after entry on March 7, 2024",
        "basis_zh": "2024年3月7日作出后14日",
        "warning": "",
        "warning_zh": "",
        "days_left": 3,
    }
    assert first["deadlines"] == [first["next_deadline"]]
    assert [case["next_deadline"] for case in report["cases"][1:]][1] is None
    assert report["cases"][1]["accused_revenue"] is None


def test_status_json_reports_an_invalid_case(four_cases: list[Path]) -> None:
    result = status(str(four_cases[3]), "--json")
    assert result.exit_code == 1
    (row,) = json.loads(result.stdout)["cases"]
    assert "case.served_date: write the date as YYYY-MM-DD" in row["error"]
    assert (row["number"], row["next_deadline"], row["deadlines"]) == (None, None, [])


def test_status_reads_every_case_under_cases_by_default(
    four_cases: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(four_cases[0].parent.parent)
    (four_cases[0].parent / "notes").mkdir()  # a folder without case.yaml is not a case
    result = status()
    assert result.exit_code == 1
    assert [line.split()[0] for line in result.stdout.splitlines()[1:5]] == [
        "cases/tro",
        "cases/hearing",
        "cases/none",
        "cases/invalid",
    ]


def test_status_without_cases_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = status()
    assert result.exit_code == 1
    assert (
        result.stderr == "error: cases: no folder here has a case.yaml; name the cases: status cases/acme\n"
    )


def test_status_warns_of_a_tro_past_28_days(make_case: MakeCase) -> None:
    data = case_data(tro_date="2024-03-11", tro_extended_date="2024-03-22", tro_extended_until="2024-04-22")
    result = status(str(make_case(data)))
    assert result.exit_code == 0
    assert "acme: warning: The TRO would last 42 days" in result.stdout
    assert H_D_MICHIGAN in result.stdout


# --- The bundle's cover and the letter (one real build) -------------------------------------------------


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> BuildResult:
    return build(EXAMPLE, BuildOptions(output_root=tmp_path_factory.mktemp("out")))


def test_the_cover_and_the_letter_show_the_key_dates(example: BuildResult) -> None:
    cover = subprocess.run(
        ["pdftotext", "-f", "1", "-l", "1", str(example.bundle), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    flat = "".join(cover.split())
    for text in (
        "Key dates, as of March 18, 2024",
        "关键日期（截至2024年3月18日）：据法院命令的日期推算",  # (it said 据case.yaml计算, to a court)
        "counted from the dates of the court's orders; not legal advice: check the docket",
        "March 22, 2024",
        "Preliminary-injunction hearing",
        "4 days",
        "FRCP 65(a)",
        "March 25, 2024",
        "TRO expires",
        "7 days",
        "FRCP 65(b)(2)",
        "14 days after entry on March 11, 2024",
        "April 5, 2024",
        "答辩期限",
        "18天",
        "FRCP 12(a)(1)(A)(i)",
    ):
        assert "".join(text.split()) in flat, text
    letter = docx.Document(str(example.output / "appeal_letter.docx"))
    text = "\n".join(paragraph.text for paragraph in letter.paragraphs)
    assert (
        "March 25, 2024: TRO expires (in 7 days; FRCP 65(b)(2): 14 days after entry on March 11, 2024)."
        in text
    )
    assert "2024年4月5日：答辩期限（还有18天；FRCP 12(a)(1)(A)(i)：2024年3月15日送达后21日）。" in text
    assert "{%" not in text and "{{" not in text


def test_status_takes_the_accused_revenue_from_the_sales_export(make_case: MakeCase) -> None:
    """The export named in case.yaml wins over the figures typed under products, as in the documents."""
    data = example_data()
    data["products"][0]["revenue"] = "999.00"  # typed wrongly; the export (evidence/orders_export.csv) says
    result = status("--json", str(make_case(data)))
    assert result.exit_code == 0, result.output
    [case] = json.loads(result.stdout)["cases"]
    assert case["accused_revenue"] == {"amount": "209.30", "currency": "USD"}


def test_the_status_table_lines_up_chinese_folder_names() -> None:
    """A Chinese character takes two columns of a terminal: counted as one, the columns after a Chinese
    folder name were pushed out of line."""
    from pipeline.tables import shown_width

    statuses = [
        CaseStatus(Path("cases/宁波明亮灯具"), "1:24-cv-02015", "Glowbright Brands, LLC", "Alibaba.com"),
        CaseStatus(Path("cases/c03"), "1:24-cv-02016", "Other Plaintiff", "Amazon"),
    ]
    lines = status_table(statuses, dt.date(2024, 3, 18)).splitlines()
    columns = {
        shown_width(line[: line.index(cell)])
        for line, cell in zip(lines[:3], ("number", "1:24", "1:24"), strict=True)
    }
    assert len(columns) == 1, lines[:3]


def test_a_narrow_terminal_gets_each_case_on_three_lines() -> None:
    """The table's nine columns take about 160: in an 80-column terminal every row wrapped."""
    statuses = [
        CaseStatus(Path("cases/c03"), "1:24-cv-02015", "Glowbright Brands, LLC", "Alibaba.com"),
        CaseStatus(Path("cases/宁波明亮灯具"), "1:24-cv-02016", "Other Plaintiff", "Amazon"),
    ]
    today = dt.date(2024, 3, 18)
    assert status_table(statuses, today, 200).splitlines()[0].startswith("case ")  # wide enough: the table
    lines = status_table(statuses, today, 40).splitlines()
    assert lines[:6] == [
        "cases/c03  1:24-cv-02015  Glowbright Br…",  # 40 columns, as the terminal
        "  next: -",
        "  frozen: -; accused revenue: -",
        "cases/宁波明亮灯具  1:24-cv-02016  Othe…",  # (a Chinese character takes two)
        "  next: -",
        "  frozen: -; accused revenue: -",
    ]
