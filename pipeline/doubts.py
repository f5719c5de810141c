"""What in a valid case.yaml is probably a mistake: warnings that `build` and `check` print, naming the line.

The model refuses what cannot be right; these may be right, and the letter would state them all the same:
dates out of order or out of their era (a TRO entered in 2204), Chinese where the English documents show
the text as it is, and a Chinese letter without its Chinese text.
"""

from __future__ import annotations

import datetime as dt
import re

from pipeline.load import Case, strings_of
from pipeline.model import Language

CHINESE = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
ENGLISH_ONLY = (  # fields the English documents show as they are, each with where its Chinese goes
    (("merchant", "name_en"), "name_zh"),
    (("merchant", "contact_person"), "contact_person_zh"),
    (("merchant", "address"), "address_zh"),
    (("merchant", "contact_title"), ""),
    (("case", "counsel", "firm"), ""),
)


def doubts(case: Case, letter_date: dt.date) -> list[str]:
    """Every warning about the case's data, the letter dated `letter_date`."""
    return [
        *_dates(case, letter_date),
        *_chinese_in_english(case),
        *_english_in_chinese(case),
        *_curly_quotes(case),
    ]


def _dates(case: Case, letter_date: dt.date) -> list[str]:
    facts = case.data.case
    found = []
    filed = 2000 + int(facts.number.split(":")[1][:2])  # 1:24-cv-02015: filed in 2024
    named = {
        "tro_date": facts.tro_date,
        "notified_date": facts.notified_date,
        "preliminary_injunction_hearing": facts.preliminary_injunction_hearing,
    }
    for field, day in named.items():
        if day is None:
            continue
        if day.year < filed:
            found.append(f"{case.where('case', field)}: {day} is before the case was filed ({facts.number})")
        elif field != "preliminary_injunction_hearing" and day > letter_date:
            found.append(f"{case.where('case', field)}: {day} is after the letter's date, {letter_date}")
    if facts.tro_date and facts.notified_date < facts.tro_date:
        found.append(
            f"{case.where('case', 'notified_date')}: {facts.notified_date} is before the TRO was entered "
            f"({facts.tro_date})"
        )
    hearing = facts.preliminary_injunction_hearing
    if facts.tro_date and hearing and hearing < facts.tro_date:
        found.append(
            f"{case.where('case', 'preliminary_injunction_hearing')}: {hearing} is before the TRO was "
            f"entered ({facts.tro_date})"
        )
    return [f"{line}; check the date" for line in found]


def _chinese_in_english(case: Case) -> list[str]:
    if case.data.language == Language.ZH:
        return []
    found = []
    for path, chinese_field in ENGLISH_ONLY:
        value: object = case.data
        for part in path:
            value = getattr(value, part)
        if isinstance(value, str) and CHINESE.search(value):
            where = f"; the Chinese goes in {chinese_field}" if chinese_field else ""
            found.append(
                f"{case.where(*path)}: holds Chinese, which the English documents show as it is; write it "
                f"in English{where}"
            )
    return found


def _english_in_chinese(case: Case) -> list[str]:
    data = case.data
    if data.language == Language.EN:
        return []
    found = []
    if data.position.statement and not data.position.statement_zh:
        found.append(
            f"{case.where('position', 'statement')}: there is no statement_zh: the Chinese letter shows the "
            "statement in English"
        )
    if data.language == Language.ZH:
        untitled = [entry.file for entry in data.evidence if not entry.title_zh]
        if untitled:
            shown = ", ".join(untitled[:3]) + (f" and {len(untitled) - 3} more" if len(untitled) > 3 else "")
            have = f"{len(untitled)} exhibits have" if len(untitled) > 1 else "1 exhibit has"
            found.append(
                f"{case.where('evidence')}: {have} no title_zh ({shown}): the Chinese documents show their "
                "English titles"
            )
    return found


CURLY = {"“": "”", "‘": "’", "「": "」", "『": "』", "＂": "＂"}


def _curly_quotes(case: Case) -> list[str]:
    """Values typed between curly (or full-width) quotes: YAML takes only straight ones as quotes, so the
    letter printed `(ID “lumierehome2019”)`."""
    return [
        f"{case.at(path)}: written between {text[0]}{text[-1]}, which YAML keeps as part of the value; use "
        'straight quotes " " or none'
        for path, text in strings_of(case.data)
        if len(text) > 1 and CURLY.get(text[0]) == text[-1]
    ]
