"""A broken `case.yaml`: each is refused before any work starts, with one message naming the file, the line
and the field; the previous outputs and the case folder stay as they were. Only the BOM case builds."""

from __future__ import annotations

import time

import pytest
import yaml

from tests.conftest import EXAMPLE
from tests.hostile.conftest import Hostile, case_data

EXAMPLE_YAML = (EXAMPLE / "case.yaml").read_text(encoding="utf-8")


def example_with(*changes: tuple[str, str]) -> str:
    """The example's case.yaml, as typed (comments and all), with each (old, new) text replaced once."""
    text = EXAMPLE_YAML
    for old, new in changes:
        assert old in text, f"the example no longer holds {old!r}"
        text = text.replace(old, new, 1)
    return text


ALIASES = "anchors and aliases (&name, *name) are not allowed; write the value out"
CONTROL = "which cannot be printed; delete it (it often comes with text copied from a web page or a PDF)"
TOP_LEVEL = (
    "language, merchant, case, products, position, requests, evidence, sales, declaration, bundle, "
    "letter_date, send"
)


def test_text_that_is_not_yaml(hostile: Hostile) -> None:
    hostile.write(raw="merchant: [Lumiere Home\n  name_en: Lumiere\n")
    hostile.fails(
        "cases/acme/case.yaml:1: not valid YAML: expected ',' or ']', but got ':' (a “[” opened here is not "
        "closed; YAML saw the error on line 2)"
    )


def test_gbk_encoded_chinese_is_refused_with_a_hint(hostile: Hostile) -> None:
    hostile.write(raw=EXAMPLE_YAML.encode("gbk", errors="replace"))
    line = next(number for number, text in enumerate(EXAMPLE_YAML.splitlines(), 1) if not text.isascii())
    hostile.fails(
        f"cases/acme/case.yaml:{line}: the file is not UTF-8 text. It looks like GBK/GB18030 (Chinese "
        "Windows); save it as UTF-8 (记事本: 另存为 UTF-8)."
    )


def test_a_byte_order_mark_is_ignored(hostile: Hostile) -> None:
    data = case_data()
    data["merchant"]["store_name"] = "BOM Test Store"
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    hostile.write(raw=b"\xef\xbb\xbf" + text.encode("utf-8"))
    built = hostile.builds()
    assert "BOMTestStore" in built.text("cs_inquiry")


@pytest.mark.parametrize("text", ["", "\n\n  \n", "# only a comment\n", "---\n...\n"])
def test_an_empty_file(hostile: Hostile, text: str) -> None:
    hostile.write(raw=text)
    hostile.fails("cases/acme/case.yaml:1: the file is empty (language:, merchant:, case:, ...)")


def test_a_list_instead_of_a_mapping(hostile: Hostile) -> None:
    hostile.write(raw="- merchant: Lumiere\n- case: 1:24-cv-02015\n")
    hostile.fails(
        "cases/acme/case.yaml:1: the file is a list, not a mapping of sections (language:, merchant:, case:, "
        "...)"
    )


def test_a_single_value_instead_of_a_mapping(hostile: Hostile) -> None:
    hostile.write(raw="Lumiere Home, case 1:24-cv-02015\n")
    hostile.fails(
        "cases/acme/case.yaml:1: the file is a single value, not a mapping of sections (language:, "
        "merchant:, case:, ...)"
    )


def test_tabs_for_indentation(hostile: Hostile) -> None:
    hostile.write(raw=example_with(("\n  name_en:", "\n\tname_en:")))
    line = hostile.line("\tname_en:")
    hostile.fails(
        f"cases/acme/case.yaml:{line}: not valid YAML: found character '\\t' that cannot start any token "
        "(indent with spaces, not tabs)"
    )


def test_a_duplicate_key(hostile: Hostile) -> None:
    hostile.write(raw=example_with(("\n  store_name:", "\n  name_en: Lumiere Again\n  store_name:")))
    first = hostile.line("name_en:")
    second = hostile.line("name_en:", after=first)
    hostile.fails(
        f"cases/acme/case.yaml:{second}: merchant.name_en: duplicate key (first on line {first}); keep one"
    )


def test_billion_laughs_is_refused_at_once_without_expanding(hostile: Hostile) -> None:
    levels = ['lol0: &lol0 "lol"'] + [
        f"lol{level}: &lol{level} [{', '.join([f'*lol{level - 1}'] * 9)}]" for level in range(1, 10)
    ]
    hostile.write(raw="\n".join(levels) + "\n")
    started = time.monotonic()
    outcome = hostile.fails_with("cases/acme/case.yaml:1: merchant: required field is missing (The seller")
    assert time.monotonic() - started < 10
    lines = outcome.error.splitlines()
    for level in range(1, 10):
        assert (
            f"cases/acme/case.yaml:{level + 1}: lol{level}: unknown field; allowed here: {TOP_LEVEL}" in lines
        )
        for index in range(9):
            assert f"cases/acme/case.yaml:{level + 1}: lol{level}[{index}]: {ALIASES}" in lines
    assert len(lines) == 4 + 10 + 81  # four sections missing, ten unknown keys, 81 aliases: nothing expanded


def test_an_alias_in_a_field_gets_one_message(hostile: Hostile) -> None:
    hostile.write(
        raw=example_with(
            ("store_name: Lumiere", "store_name: &store Lumiere"),
            ('store_id: "lumierehome2019"', "store_id: *store"),
        )
    )
    hostile.fails(f"cases/acme/case.yaml:{hostile.line('*store')}: merchant.store_id: {ALIASES}")


def test_a_yaml_tag_is_not_executed(hostile: Hostile) -> None:
    marker = hostile.tmp_path / "executed"
    tag = f'!!python/object/apply:os.system ["touch {marker}"]'
    hostile.write(raw=example_with(("store_name: Lumiere Home Official Store", f"store_name: {tag}")))
    line = hostile.line("!!python")
    hostile.fails(f"cases/acme/case.yaml:{line}: merchant.store_name: Input should be a valid string")
    assert not marker.exists()


def test_a_10_mb_value_is_refused_by_size(hostile: Hostile) -> None:
    hostile.write(raw=example_with(("contact_title: General Manager", "contact_title: " + "A" * 10_000_000)))
    size = (hostile.folder / "case.yaml").stat().st_size
    hostile.fails(f"cases/acme/case.yaml: {size:,} bytes is too large for a case file (at most 2,097,152)")


def test_a_1_mb_statement_is_refused_by_its_field(hostile: Hostile) -> None:
    data = case_data()
    data["position"]["statement"] = "We are innocent. " * 60_000
    hostile.write(data)
    line = hostile.line("statement:")
    hostile.fails(
        f"cases/acme/case.yaml:{line}: position.statement: String should have at most 20000 characters"
    )


def test_values_of_the_wrong_type(hostile: Hostile) -> None:
    data = case_data()
    data["merchant"] = "Lumiere Home"
    data["case"]["defendant_number"] = "eighty-seven"
    data["products"][0]["units_sold"] = ["fourteen"]
    data["products"][0]["accused"] = "maybe"
    data["requests"] = "Release the funds"
    hostile.write(data)
    hostile.fails(
        "\n".join(
            [
                hostile.at(
                    "merchant:",
                    "merchant",
                    "this is a section of “name: value” lines, not a single value; you wrote “Lumiere Home”; "
                    "write it as cases/example/case.yaml does",
                ),
                hostile.at(
                    "defendant_number:",
                    "case.defendant_number",
                    "write a whole number in ordinary digits, e.g. 14 (请用半角数字); "
                    "you wrote “eighty-seven”",
                ),
                hostile.at(
                    "accused: maybe",
                    "products[0].accused",
                    "write the English word true (是) or false (否); you wrote “maybe”",
                ),
                hostile.at("units_sold:", "products[0].units_sold", "Input should be a valid integer"),
                hostile.at(
                    "requests:",
                    "requests",
                    "write a list in ordinary square brackets, e.g. [authorised_reseller, own_brand], or one "
                    "item a line, each starting with “- ” (列表用半角方括号 [ ]); "
                    "you wrote “Release the funds”",
                ),
            ]
        )
    )


def test_dates_that_are_not_dates(hostile: Hostile) -> None:
    data = case_data()
    data["case"]["tro_date"] = "last Tuesday"
    data["case"]["notified_date"] = "2024-02-30"
    data["letter_date"] = "18/03/2024"
    hostile.write(data)
    not_a_date = "write the date as YYYY-MM-DD, e.g. 2024-03-11 (日期格式 2024-03-11); you wrote"
    hostile.fails(
        "\n".join(
            [
                hostile.at("tro_date:", "case.tro_date", f"{not_a_date} “last Tuesday”"),
                hostile.at(
                    "notified_date:",
                    "case.notified_date",
                    "February 2024 has 29 days, so there is no day 30 (该月只有29天); you wrote “2024-02-30”",
                ),
                hostile.at("letter_date:", "letter_date", f"{not_a_date} “18/03/2024”"),
            ]
        )
    )


PLAIN_NUMBER = (
    "write the amount as a plain number, e.g. 1234.50, without a currency sign or thousands separators "
    "(金额只写数字); the currency goes in its own field"
)


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("-48630.25", "Input should be greater than or equal to 0"),
        ("$48,630.25", f"{PLAIN_NUMBER}; you wrote “$48,630.25”"),
        ("forty-eight thousand dollars", f"{PLAIN_NUMBER}; you wrote “forty-eight thousand dollars”"),
        (
            "48630.255",
            "write at most two decimal places, e.g. 12345.61 (最多两位小数); you wrote “48630.255”",
        ),
        ("NaN", "Input should be a finite number"),
    ],
)
def test_an_amount_that_is_negative_or_not_a_number(hostile: Hostile, amount: str, message: str) -> None:
    data = case_data()
    data["case"]["amount_frozen"]["amount"] = amount
    hostile.write(data)
    hostile.fails(f"cases/acme/case.yaml:{hostile.line('amount:')}: case.amount_frozen.amount: {message}")


def test_unknown_keys_get_a_suggestion(hostile: Hostile) -> None:
    data = case_data()
    data["merchant"]["emial"] = "chen@lumiere.example.cn"
    data["colour"] = "red"
    hostile.write(data)
    hostile.fails(
        hostile.at("emial:", "merchant.emial", "unknown field; did you mean 'email'?")
        + "\n"
        + hostile.at("colour:", "colour", f"unknown field; allowed here: {TOP_LEVEL}")
    )


def test_missing_required_sections(hostile: Hostile) -> None:
    data = case_data()
    del data["merchant"], data["requests"]
    del data["case"]["counsel"]
    hostile.write(data)
    hostile.fails(
        "cases/acme/case.yaml:1: merchant: required field is missing (The seller whose store was named)\n"
        "cases/acme/case.yaml:1: requests: required field is missing (What the merchant asks for)\n"
        f"cases/acme/case.yaml:{hostile.line('case:')}: case.counsel: required field is missing (The "
        "plaintiff's law firm)"
    )


def test_a_raw_control_character_is_named_by_its_line(hostile: Hostile) -> None:
    hostile.write(raw=example_with(("Lumiere Home Official Store", "Lumiere\x07Home")))
    line = hostile.line("Lumiere\x07Home")
    hostile.fails(f"cases/acme/case.yaml:{line}: the file holds the control character U+0007, {CONTROL}")


def test_an_escaped_control_character_is_refused_by_its_field(hostile: Hostile) -> None:
    hostile.write(raw=example_with(("Lumiere Home Official Store", '"Lumiere\\fHome"')))
    message = f"contains the control character U+000C, {CONTROL}"
    hostile.fails(hostile.at("Lumiere\\fHome", "merchant.store_name", message))


def test_a_control_character_in_a_list_item_names_the_item(hostile: Hostile) -> None:
    hostile.write(
        raw=example_with(("- Publishing and editing of listings", '- "Publishing\\aand editing of listings"'))
    )
    message = f"contains the control character U+0007, {CONTROL}"
    hostile.fails(hostile.at("Publishing", "case.restricted_functions[1]", message))


def test_a_chinese_document_without_a_chinese_name_points_at_the_merchant(hostile: Hostile) -> None:
    data = case_data(language="zh")
    del data["merchant"]["name_zh"]
    hostile.write(data)
    message = "name_zh (the Chinese name) is needed when language is zh or bilingual"
    hostile.fails(hostile.at("merchant:", "merchant", message))
