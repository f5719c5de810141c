"""Warnings about what in a valid case.yaml is probably a mistake: the letter would state it all the same."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from pipeline.build import BuildOptions, build
from pipeline.doubts import doubts
from pipeline.load import load_case
from pipeline.sales import accused_sales
from tests.conftest import MakeCase, example_data

LETTER = dt.date(2024, 3, 18)


def english(warning: str) -> str:
    """A warning without its Chinese gloss at the end."""
    return warning.split(" (英文文件", 1)[0]


def line(case_yaml: str, needle: str) -> int:
    return next(number for number, text in enumerate(case_yaml.splitlines(), 1) if needle in text)


def test_the_example_raises_no_doubt(make_case: MakeCase) -> None:
    assert doubts(load_case(make_case(evidence=False)), LETTER) == []


def test_dates_out_of_their_era_or_order(make_case: MakeCase) -> None:
    """Found by probing: a TRO entered in 2204, or before the case was filed, built without a word."""
    data = example_data()
    data["case"]["tro_date"] = "2204-03-11"  # a slip of the finger
    data["case"]["notified_date"] = "2023-03-14"  # before the case number's year (1:24-cv-02015)
    folder = make_case(data, evidence=False)
    text = (folder / "case.yaml").read_text(encoding="utf-8")
    shown = f"{folder / 'case.yaml'}"
    tro, notified = line(text, "tro_date:"), line(text, "notified_date:")
    hearing, served = line(text, "preliminary_injunction_hearing:"), line(text, "served_date:")
    assert doubts(load_case(folder), LETTER) == [
        f"{shown}:{tro}: case.tro_date: 2204-03-11 is after the letter's date, 2024-03-18; check the date",
        f"{shown}:{notified}: case.notified_date: 2023-03-14 is before the case was filed (1:24-cv-02015); "
        "check the date",
        f"{shown}:{notified}: case.notified_date: 2023-03-14 is before the TRO was entered (2204-03-11); "
        "check the date",
        f"{shown}:{hearing}: case.preliminary_injunction_hearing: 2024-03-22 is before the TRO was entered "
        "(2204-03-11); check the date",
        f"{shown}:{served}: case.served_date: 2024-03-15 is before the TRO was entered (2204-03-11), which "
        "is what allows service by email; check the date",
    ]


def test_an_extension_that_contradicts_the_tro_and_flags_without_their_dates(make_case: MakeCase) -> None:
    """A docketing clerk's: an extension ordered after the TRO had ended, one ending before its first 14
    days did, service after the letter's date, and consent or a waiver sent abroad without the dates they
    qualify printed without a word (the last two silently counted nothing)."""
    data = example_data()
    data["case"].update(
        tro_extended_date="2024-03-27",  # the TRO of March 11 ended on March 25
        tro_extended_until="2024-03-20",
        tro_extension_consented=True,
        served_date="2024-03-20",  # after the letter of March 18
        waiver_sent_abroad=True,
    )
    folder = make_case(data, evidence=False)
    text = (folder / "case.yaml").read_text(encoding="utf-8")
    shown = f"{folder / 'case.yaml'}"
    at = {field: line(text, f"{field}:") for field in data["case"]}
    assert doubts(load_case(folder), LETTER) == [
        f"{shown}:{at['served_date']}: case.served_date: 2024-03-20 is after the letter's date, 2024-03-18; "
        "check the date",
        f"{shown}:{at['tro_extended_date']}: case.tro_extended_date: 2024-03-27 is after the TRO had ended "
        "(2024-03-25, 14 days after entry): an extension is ordered before it ends; check the date",
        f"{shown}:{at['tro_extended_until']}: case.tro_extended_until: 2024-03-20 is before the TRO would "
        "end anyway (2024-03-25, 14 days after entry); check the date",
        f"{shown}:{at['waiver_sent_abroad']}: case.waiver_sent_abroad: there is no waiver_sent_date, so no "
        "answer date is counted from it; check the date",
    ]
    del data["case"]["tro_extended_date"], data["case"]["tro_extended_until"]
    data["case"].update(served_date="2024-03-15", waiver_sent_abroad=False)
    folder = make_case(data, name="consent", evidence=False)
    text = (folder / "case.yaml").read_text(encoding="utf-8")
    assert doubts(load_case(folder), LETTER) == [
        f"{folder / 'case.yaml'}:{line(text, 'tro_extension_consented:')}: case.tro_extension_consented: "
        "says the TRO was extended with consent, but neither tro_extended_date nor tro_extended_until is "
        "given, so no extension is counted; check the date"
    ]


def test_chinese_in_an_english_field_and_english_in_a_chinese_letter(make_case: MakeCase) -> None:
    """The English letter read "深圳市璐米尔家居科技有限公司 (深圳市璐米尔家居科技有限公司) is a company...";
    a Chinese letter without statement_zh showed the English statement under 我司意见."""
    data = example_data()
    data["merchant"]["name_en"] = "深圳市璐米尔家居科技有限公司"
    data["position"]["statement_zh"] = ""
    folder = make_case(data, evidence=False)
    warnings = doubts(load_case(folder), LETTER)
    assert warnings[0].endswith("(英文文件原样显示此栏，请用英文填写，中文填入 name_zh)")  # (for its reader)
    found = [english(warning).split(": ", 2)[1:] for warning in warnings]
    assert found == [
        ["merchant.name_en", "holds Chinese, which the English documents show as it is; write it in English; "
         "the Chinese goes in name_zh"],
        ["position.statement", "there is no statement_zh: the Chinese letter shows the statement in English"],
    ]  # fmt: skip
    data["language"] = "zh"  # a Chinese letter shows an English name as it is: no doubt there
    for entry in data["evidence"]:
        entry.pop("title_zh", None)
    del data["case"]["restricted_functions_zh"]
    found = [warning.split(": ", 2)[1:] for warning in doubts(load_case(make_case(data, name="zh")), LETTER)]
    assert [field for field, _ in found] == ["position.statement", "case.restricted_functions", "evidence"]
    assert found[1][1] == (
        "there is no restricted_functions_zh: the Chinese documents show the restricted functions in English"
    )
    assert found[2][1].startswith(f"{len(data['evidence'])} exhibits have no title_zh (evidence/")


def test_chinese_in_a_field_the_request_and_the_declaration_show_in_english(make_case: MakeCase) -> None:
    """Found by probing as a Chinese seller: with `language: zh` and freeze_narrowing, the declaration read
    "I, 王小明, declare... I am the 总经理 of ... in the 美国伊利诺伊州北区联邦地区法院... Executed
    at 中国深圳", and nothing warned. They are English whatever the language; the letter, Chinese, shows
    none of these."""
    data = example_data()
    data["language"] = "zh"
    data["bundle"] = {"freeze_narrowing": True}
    data["merchant"]["name_en"] = "深圳市小明贸易有限公司"
    data["case"]["court"] = "美国伊利诺伊州北区联邦地区法院"
    data["declaration"] |= {"name": "王小明", "title": "总经理", "place": "中国深圳"}
    for product in data["products"]:  # the first is accused: the request and the declaration show it
        product["title"] = product["title_zh"]
    data["evidence"][2]["title"] = data["evidence"][2]["title_zh"]  # shown by the letter alone
    data["requests"][0]["text"] = data["requests"][0]["text_zh"]
    folder = make_case(data, evidence=False)
    found = [english(warning).split(": ", 2)[1:] for warning in doubts(load_case(folder), LETTER)]
    said = "holds Chinese, which the English text of the narrowing request and the declaration shows as it is"
    assert found == [
        ["merchant.name_en", f"{said}; write it in English; the Chinese goes in name_zh"],
        ["case.court", f"{said}; write it in English"],
        ["products[0].title", f"{said}; write it in English; the Chinese goes in title_zh"],
        ["declaration.name", f"{said}; write it in English; the Chinese goes in name_zh"],
        ["declaration.title", f"{said}; write it in English; the Chinese goes in title_zh"],
        ["declaration.place", f"{said}; write it in English; the Chinese goes in place_zh"],
    ]
    text = (folder / "case.yaml").read_text(encoding="utf-8")
    assert doubts(load_case(folder), LETTER)[3].startswith(
        f"{folder / 'case.yaml'}:{line(text, 'name: 王小明')}:"
    )
    data["bundle"] = {}  # no request, no declaration: every document is Chinese
    assert doubts(load_case(make_case(data, name="letter only", evidence=False)), LETTER) == []
    data["merchant"]["platform"] = "Amazon"  # its letter and inquiry, to counsel, are bilingual
    amazon = doubts(load_case(make_case(data, name="amazon")), LETTER)
    assert [warning.split(": ", 2)[1] for warning in amazon] == [
        "merchant.name_en",
        "case.court",
        "products[0].title",
        "products[1].title",
        "requests[0].text",
        "evidence[2].title",
    ]


def test_chinese_in_each_field_an_english_letter_shows(make_case: MakeCase) -> None:
    """An English letter shows the court, the plaintiff, every product's title, the statement, the requests
    and the exhibits' titles as they are; the declarant's only with the declaration. One warning a field:
    a bilingual letter's statement in Chinese is not also said to lack statement_zh."""
    data = example_data()  # bilingual
    data["case"]["plaintiff"] = "光明品牌有限责任公司"
    data["products"][1]["title"] = data["products"][1]["title_zh"]  # not accused: the letter shows it
    data["evidence"][2]["title"] = data["evidence"][2]["title_zh"]
    data["requests"][1]["text"] = data["requests"][1]["text_zh"]
    data["position"]["statement"], data["position"]["statement_zh"] = data["position"]["statement_zh"], ""
    data["declaration"]["place"] = "中国深圳"  # no declaration is made
    found = [
        english(warning).split(": ", 2)[1:]
        for warning in doubts(load_case(make_case(data, evidence=False)), LETTER)
    ]
    said = "holds Chinese, which the English documents show as it is; write it in English"
    assert found == [
        ["case.plaintiff", said],
        ["products[1].title", f"{said}; the Chinese goes in title_zh"],
        ["position.statement", f"{said}; the Chinese goes in statement_zh"],
        ["requests[1].text", f"{said}; the Chinese goes in text_zh"],
        ["evidence[2].title", f"{said}; the Chinese goes in title_zh"],
    ]
    data["bundle"] = {"freeze_narrowing": True}
    found = [
        warning.split(": ", 2)[1]
        for warning in doubts(load_case(make_case(data, name="b", evidence=False)), LETTER)
    ]
    assert found[-1] == "declaration.place"


def test_a_build_says_its_doubts(make_case: MakeCase, tmp_path: Path) -> None:
    data = example_data()
    data["case"]["tro_date"] = "2204-03-11"
    result = build(make_case(data), BuildOptions(output_root=tmp_path / "out"))
    assert any(
        "case.tro_date: 2204-03-11 is after the letter's date" in warning for warning in result.warnings
    )


def test_a_value_between_curly_quotes(make_case: MakeCase) -> None:
    """`store_id: “lumierehome2019”`, typed in a word processor: the letter printed the quotes."""
    data = example_data()
    data["merchant"]["store_id"] = "“lumierehome2019”"
    data["merchant"]["address_zh"] = "「广东省深圳市」"
    found = [warning.split(": ", 2)[1:] for warning in doubts(load_case(make_case(data)), LETTER)]
    kept = 'which YAML keeps as part of the value; use straight quotes " " or none'
    assert found == [
        ["merchant.store_id", f"written between “”, {kept}"],
        ["merchant.address_zh", f"written between 「」, {kept}"],
    ]


def sales_warnings(make_case: MakeCase, data: dict[str, Any], name: str) -> list[str]:
    """The fields the accused sales' warnings name for `data`, its figures taken from the products."""
    data.pop("sales", None)
    case = load_case(make_case(data, name=name, evidence=False))
    return [warning.split(": ", 2)[1] for warning in accused_sales(case)[1]]


def test_grounds_the_accused_sales_contradict_are_named(make_case: MakeCase) -> None:
    """Found by reading the letter as counsel would: "We have made no sales of the products at issue to the
    United States" beside a table of the accused listing's one sale; "The freeze exceeds the accused sales"
    with no amount frozen. Neither was warned about; `check` said ok."""
    data = example_data()
    data["position"]["grounds"] = ["no_us_sales", "freeze_excessive"]
    assert sales_warnings(make_case, data, "no sales") == ["position.grounds"]  # (the example sold some)
    data["case"].pop("amount_frozen")
    assert sales_warnings(make_case, data, "no amount") == ["position.grounds", "position.grounds"]
    data = example_data()
    data["case"]["amount_frozen"]["amount"] = "10.00"  # less than the accused sales: said once
    assert sales_warnings(make_case, data, "small freeze") == ["position.grounds"]
    data = example_data()
    for product in data["products"]:
        product["units_sold"], product["revenue"] = 0, 0
    data["position"]["grounds"] = ["no_us_sales", "freeze_excessive"]
    assert sales_warnings(make_case, data, "none sold") == []


def test_revenue_taken_as_dollars_beside_a_freeze_in_yuan_is_named(make_case: MakeCase) -> None:
    """A seller wrote `revenue: 209.30元`, was told to write the number alone, and the letter then printed
    "US$209.30" beside "CN¥12,345.60 frozen": a product's currency is USD when left out."""
    data = example_data()
    data["case"]["amount_frozen"] = {"amount": "12345.60", "currency": "CNY"}
    data["position"]["grounds"] = []  # (freeze_excessive would be told the currencies differ)
    for product in data["products"]:
        product.pop("currency", None)
    sold = [
        f"products[{index}].revenue" for index, product in enumerate(data["products"]) if product["revenue"]
    ]
    assert sales_warnings(make_case, data, "yuan") == sold and sold
    for product in data["products"]:
        product["currency"] = "USD"  # said so: no doubt
    assert sales_warnings(make_case, data, "dollars said") == []
