"""What in a valid case.yaml is probably a mistake: warnings that `build` and `check` print, naming the line.

The model refuses what cannot be right; these may be right, and the letter would state them all the same:
dates out of order or out of their era (a TRO entered in 2204), Chinese where the English documents show
the text as it is, and a Chinese letter without its Chinese text (`pipeline.sales` warns of grounds
the accused sales contradict).
"""

from __future__ import annotations

import datetime as dt
import re

from pipeline.deadlines import TRO_DAYS, count_days
from pipeline.load import Case, Loc, strings_of
from pipeline.model import CaseFile, Language
from pipeline.render import read_in_english
from pipeline.sales import accused_keys
from pipeline.sales_export import text_key

CHINESE = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
LETTER, NARROWING = "letter", "narrowing"
"""The documents that show a field as it is: those in the case's language (the letter, the inquiry, the
index, the cover: English with `en` and `bilingual`, and the letter and the inquiry on Amazon), and the
request to narrow the freeze and the declaration (`bundle.freeze_narrowing`), English whatever the language
(`render.read_in_english`)."""
ENGLISH_ONLY: tuple[tuple[tuple[str, ...], str, tuple[str, ...]], ...] = (
    # fields the English documents show as they are, where their Chinese goes, and which documents show them
    (("merchant", "name_en"), "name_zh", (LETTER, NARROWING)),
    (("merchant", "contact_person"), "contact_person_zh", (LETTER, NARROWING)),
    (("merchant", "address"), "address_zh", (LETTER, NARROWING)),
    (("merchant", "contact_title"), "", (LETTER, NARROWING)),
    (("case", "court"), "", (LETTER, NARROWING)),
    (("case", "plaintiff"), "", (LETTER, NARROWING)),
    (("case", "counsel", "firm"), "", (LETTER, NARROWING)),
    (("products", "title"), "title_zh", (LETTER, NARROWING)),  # (NARROWING: the accused ones)
    (("position", "statement"), "statement_zh", (LETTER,)),
    (("requests", "text"), "text_zh", (LETTER,)),
    (("evidence", "title"), "title_zh", (LETTER,)),
    (("declaration", "name"), "name_zh", (NARROWING,)),
    (("declaration", "title"), "title_zh", (NARROWING,)),
    (("declaration", "place"), "place_zh", (NARROWING,)),
)


def doubts(case: Case, letter_date: dt.date) -> list[str]:
    """Every warning about the case's data, the letter dated `letter_date`; one a field."""
    chinese = _chinese_in_english(case)
    return [
        *_dates(case, letter_date),
        *chinese.values(),
        *_english_in_chinese(case, named=set(chinese)),
        *_curly_quotes(case),
    ]


def _dates(case: Case, letter_date: dt.date) -> list[str]:
    facts = case.data.case
    found = []
    filed = 2000 + int(facts.number.split(":")[1][:2])  # 1:24-cv-02015: filed in 2024
    named = {
        "tro_date": facts.tro_date,
        "notified_date": facts.notified_date,
        "served_date": facts.served_date,
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
    if facts.tro_date and facts.served_date and facts.served_date < facts.tro_date:  # (served as it allows)
        found.append(
            f"{case.where('case', 'served_date')}: {facts.served_date} is before the TRO was entered "
            f"({facts.tro_date}), which is what allows service by email"
        )
    return [f"{line}; check the date" for line in found + _extension(case)]


def _extension(case: Case) -> list[str]:
    """What contradicts itself in a TRO's extension (a docketing clerk found each printed without a word):
    one ordered after the TRO had ended, one ending before the first 14 days did; and the flags that say
    nothing without their dates."""
    facts, found = case.data.case, []
    if facts.tro_date is not None:
        ended = count_days(facts.tro_date, TRO_DAYS, closures=True).last_day
        ordered, until = facts.tro_extended_date, facts.tro_extended_until
        if ordered is not None and ordered > ended:
            found.append(
                f"{case.where('case', 'tro_extended_date')}: {ordered} is after the TRO had ended ({ended}, "
                "14 days after entry): an extension is ordered before it ends"
            )
        if until is not None and until < ended:
            found.append(
                f"{case.where('case', 'tro_extended_until')}: {until} is before the TRO would end anyway "
                f"({ended}, 14 days after entry)"
            )
    if facts.tro_extension_consented and facts.tro_extended_date is None and facts.tro_extended_until is None:
        found.append(
            f"{case.where('case', 'tro_extension_consented')}: says the TRO was extended with consent, but "
            "neither tro_extended_date nor tro_extended_until is given, so no extension is counted"
        )
    if facts.waiver_sent_abroad and facts.waiver_sent_date is None:
        found.append(
            f"{case.where('case', 'waiver_sent_abroad')}: there is no waiver_sent_date, so no answer date is "
            "counted from it"
        )
    return found


def _chinese_in_english(case: Case) -> dict[Loc, str]:
    """A warning for each field of ENGLISH_ONLY holding Chinese that a document built for the case shows in
    its English text (a list's items each), by the field's place: with `language: zh`, only those the
    request to narrow the freeze and the declaration show, when they are made."""
    data = case.data
    english = [LETTER] if data.language != Language.ZH or read_in_english("appeal_letter", data) else []
    english += [NARROWING] if data.bundle.freeze_narrowing else []
    shown = (  # (with `language: zh`, only these are in English: in both languages)
        "the English documents show"
        if LETTER in english
        else "the English text of the narrowing request and the declaration shows"
    )
    found = {}
    for path, chinese_field, documents in ENGLISH_ONLY:
        printed = [document for document in documents if document in english]
        if not printed:
            continue
        for loc, value in _values(data, path, accused_only=printed == [NARROWING]):
            if isinstance(value, str) and CHINESE.search(value):
                where = f"; the Chinese goes in {chinese_field}" if chinese_field else ""
                gloss = f"，中文填入 {chinese_field}" if chinese_field else ""
                found[loc] = (
                    f"{case.where(*loc)}: holds Chinese, which {shown} as it is; write it in English{where} "
                    f"(英文文件原样显示此栏，请用英文填写{gloss})"
                )
    return found


def _values(data: CaseFile, path: tuple[str, ...], accused_only: bool) -> list[tuple[Loc, object]]:
    """The value of the field at `path` with its place, or of each item's field in a list (`products[2]
    .title`): of the products, only the accused ones with `accused_only` (the request and the declaration
    show no other)."""
    section = getattr(data, path[0])
    if not isinstance(section, list):
        return [(path, _field(section, path[1:]))]
    items = list(enumerate(section))
    if accused_only and path[0] == "products":
        accused = accused_keys(data)
        items = [(index, item) for index, item in items if text_key(item.listing_id) in accused]
    return [((path[0], index, *path[1:]), _field(item, path[1:])) for index, item in items]


def _field(value: object, path: tuple[str, ...]) -> object:
    for part in path:
        value = getattr(value, part)
    return value


def _english_in_chinese(case: Case, named: set[Loc]) -> list[str]:
    """What a Chinese letter would show in English; not the fields `named` already (a bilingual letter's
    statement in Chinese is said to hold Chinese, not to lack its Chinese)."""
    data = case.data
    if data.language == Language.EN:
        return []
    found = []
    if data.position.statement and not data.position.statement_zh and ("position", "statement") not in named:
        found.append(
            f"{case.where('position', 'statement')}: there is no statement_zh: the Chinese letter shows the "
            "statement in English"
        )
    if data.case.restricted_functions and not data.case.restricted_functions_zh:
        found.append(
            f"{case.where('case', 'restricted_functions')}: there is no restricted_functions_zh: the Chinese "
            "documents show the restricted functions in English"
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
