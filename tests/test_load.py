"""Loading case.yaml: every problem at once, each with its line, field and a hint."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pipeline.errors import CaseDataError
from pipeline.load import load_case
from pipeline.model import CaseFile, Language
from tests.conftest import EXAMPLE, MakeCase


def write(tmp_path: Path, text: str | bytes) -> Path:
    folder = tmp_path / "acme"
    folder.mkdir()
    target = folder / "case.yaml"
    if isinstance(text, bytes):
        target.write_bytes(text)
    else:
        target.write_text(text, encoding="utf-8")
    return folder


def problems(folder: Path) -> list[str]:
    with pytest.raises(CaseDataError) as caught:
        load_case(folder)
    return [problem.split("case.yaml", 1)[1] for problem in caught.value.problems]


def example_text() -> str:
    return (EXAMPLE / "case.yaml").read_text(encoding="utf-8")


def test_the_example_loads_with_typed_values() -> None:
    case = load_case(EXAMPLE)
    assert case.data.case.number == "1:24-cv-02015"
    assert case.data.products[0].listing_id == "1600987654321"  # a long ID stays a string
    assert str(case.data.case.amount_frozen.amount) == "48630.25"  # type: ignore[union-attr]
    assert (
        case.lines[("merchant", "email")]
        == example_text().splitlines().index("  email: chen.xiaoyu@lumiere-home.example.cn") + 1
    )


def test_every_problem_is_reported_at_once_with_its_line(tmp_path: Path) -> None:
    text = example_text()
    lines = text.splitlines()
    email_line = lines.index("  email: chen.xiaoyu@lumiere-home.example.cn") + 1
    number_line = lines.index("  number: 1:24-cv-02015") + 1
    amount_line = lines.index("    amount: 48630.25") + 1
    tro_line = lines.index("  tro_date: 2024-03-11") + 1
    text = (
        text.replace("  email: chen", "  emial: chen")
        .replace("number: 1:24-cv-02015", "number: hello")
        .replace("amount: 48630.25", "amount: -5")
        .replace("tro_date: 2024-03-11", "tro_date: 2024-13-45")
    )
    found = problems(write(tmp_path, text))
    assert found == [  # (`email` missing is the misspelling: said once, as that)
        f":{email_line}: merchant.emial: unknown field; did you mean 'email'?",
        f":{number_line}: case.number: 'hello' is not a case number; write it as on the docket, e.g. "
        "1:24-cv-02015 or 24 C 2015",
        f":{tro_line}: case.tro_date: there is no month 13: the middle number is the month, 01 to 12 "
        "(月份为01-12); you wrote “2024-13-45”",
        f":{amount_line}: case.amount_frozen.amount: Input should be greater than or equal to 0",
    ]


def test_the_message_starts_with_the_path_as_typed(
    make_case: MakeCase, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = make_case()
    (folder / "case.yaml").write_text("language: fr\n", encoding="utf-8")
    monkeypatch.chdir(folder.parent.parent)
    with pytest.raises(CaseDataError) as caught:
        load_case(Path("cases/acme"))
    assert (
        caught.value.problems[0]
        == "cases/acme/case.yaml:1: language: Input should be 'en', 'zh' or 'bilingual'; you wrote “fr”"
    )


def test_an_unknown_section_suggests_the_allowed_ones(tmp_path: Path) -> None:
    found = problems(write(tmp_path, example_text() + "extras: 1\n"))
    assert found[-1].endswith("extras: unknown field; allowed here: " + ", ".join(CaseFile.model_fields))
    assert found[-1].split("allowed here: ")[1].startswith("language, merchant, case, products, position")


def test_missing_sections_are_named(tmp_path: Path) -> None:
    found = problems(write(tmp_path, "language: en\n"))
    assert found == [
        ":1: merchant: required field is missing (The seller whose store was named)",
        ":1: case: required field is missing (The lawsuit)",
        ":1: position: required field is missing (The merchant's grounds)",
        ":1: requests: required field is missing (What the merchant asks for)",
    ]  # (what each holds, from the model: the court, required, says what to write)


def test_duplicate_keys_are_refused(tmp_path: Path) -> None:
    found = problems(write(tmp_path, example_text() + "language: zh\n"))
    assert found[-1].endswith("language: duplicate key (first on line 7); keep one")


def test_aliases_are_refused_so_billion_laughs_cannot_blow_up(tmp_path: Path) -> None:
    laughs = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
        for i in range(8)
    )
    found = problems(write(tmp_path, laughs))
    assert ":2: b[0]: anchors and aliases (&name, *name) are not allowed; write the value out" in found


def test_not_yaml_names_the_line(tmp_path: Path) -> None:
    found = problems(write(tmp_path, "language: en\nmerchant: [unclosed\n"))
    assert found[0].startswith(":2: not valid YAML:") and "(a “[” opened here is not closed;" in found[0]


def test_tabs_get_a_hint(tmp_path: Path) -> None:
    found = problems(write(tmp_path, "merchant:\n\tname_en: x\n"))
    assert found[0].startswith(":2: not valid YAML:") and "indent with spaces, not tabs" in found[0]


def test_gbk_text_is_named_with_a_fix(tmp_path: Path) -> None:
    found = problems(write(tmp_path, example_text().encode("gb18030")))
    assert found[0].startswith(":11: the file is not UTF-8 text. It looks like GBK/GB18030")


@pytest.mark.parametrize(
    "raw",
    [
        example_text().encode("utf-16"),  # Notepad's "Unicode": with a byte order mark
        example_text().encode("utf-16-le"),
        example_text().encode("utf-16-be"),
        "language: en\n".encode("utf-16-le"),  # ASCII only: it decoded as UTF-8 with zeros
    ],
    ids=["with-bom", "little-endian", "big-endian", "ascii-only"],
)
def test_utf16_text_is_named_with_a_fix(tmp_path: Path, raw: bytes) -> None:
    """It was "not UTF-8 text" with no hint, on line 11 without a byte order mark (the first Chinese
    character), or "the control character U+0000" when all ASCII."""
    assert problems(write(tmp_path, raw)) == [
        ":1: the file is not UTF-8 text. It looks like UTF-16 (记事本: “Unicode”); save it as UTF-8 "
        "(记事本: 另存为 UTF-8)."
    ]


def test_a_byte_order_mark_is_fine(tmp_path: Path) -> None:
    folder = write(tmp_path, b"\xef\xbb\xbf" + example_text().encode("utf-8"))
    assert load_case(folder).data.merchant.name_zh == "深圳市璐米尔家居科技有限公司"


@pytest.mark.parametrize(
    ("text", "what"), [("", "empty"), ("- a\n- b\n", "a list"), ("hello\n", "a single value")]
)
def test_a_file_that_is_not_a_mapping_says_what_it_is(tmp_path: Path, text: str, what: str) -> None:
    assert problems(write(tmp_path, text))[0].startswith(f":1: the file is {what}")


def test_yaml_one_one_surprises_do_not_happen(tmp_path: Path) -> None:
    text = (
        example_text()
        .replace('store_id: "lumierehome2019"', "store_id: 0123")
        .replace('listing_id: "1600987654321"', "listing_id: 1600987654321")
    )
    case = load_case(write(tmp_path, text))
    assert case.data.merchant.store_id == "0123"
    assert case.data.products[0].listing_id == "1600987654321"


def test_a_huge_file_is_refused_before_parsing(tmp_path: Path) -> None:
    found = problems(write(tmp_path, "language: en\nx: " + "a" * (3 * 1024 * 1024) + "\n"))
    assert "is too large for a case file" in found[0]


def test_a_missing_folder_or_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(CaseDataError, match="no such case folder"):
        load_case(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(CaseDataError) as caught:
        load_case(tmp_path / "empty")
    assert caught.value.problems[0].endswith(
        "case.yaml: not found; copy cases/example/case.yaml and fill it in, or start one with "
        f"`build-appeal init {tmp_path / 'empty'}`"
    )


@pytest.mark.parametrize(
    ("name", "hint"),
    [
        (
            "case.yaml.txt",
            "rename it to case.yaml (改名为 case.yaml); Windows hides the ending “.txt” (to see it, in "
            "Explorer turn on View > File name extensions, 查看 > 文件扩展名)",
        ),
        ("case.yml", "rename it to case.yaml (改名为 case.yaml)"),
        ("Case.yaml", "rename it to case.yaml (改名为 case.yaml)"),
    ],
)
def test_a_case_file_by_another_name_is_named(tmp_path: Path, name: str, hint: str) -> None:
    """Notepad saves `case.yaml.txt` and Windows shows it as `case.yaml`: "not found" said nothing of it."""
    folder = tmp_path / "acme"
    folder.mkdir()
    (folder / name).write_text(example_text(), encoding="utf-8")
    assert problems(folder) == [f": not found, but {name} is there: {hint}"]


def line_with(text: str, needle: str) -> int:
    return next(number for number, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.mark.parametrize(
    ("old", "new", "hint"),
    [
        (  # typed on a Chinese keyboard: YAML marked the line after
            "  store_name: Lumiere",
            "  store_name：Lumiere",
            "could not find expected ':' (the line has a Chinese colon “：” after its name; use an ordinary "
            "colon :)",
        ),
        (
            "  store_name: Lumiere",
            "\u3000 store_name: Lumiere",
            "mapping values are not allowed here (the line is indented with a full-width space; use "
            "ordinary spaces)",
        ),
        (  # YAML marked the line after the blank line
            "  store_name: Lumiere Home Official Store\n",
            "  store_name： 小明家居\n\n",
            "could not find expected ':' (the line has a Chinese colon “：” after its name; use an ordinary "
            "colon :)",
        ),
        (  # the first name of its section
            "    firm: Harbor & Vance LLP",
            "    firm:某某律所",
            "mapping values are not allowed here (put a space after the colon (冒号后加空格): "
            "“firm: 某某律所”)",
        ),
        (
            "  store_name: Lumiere Home Official Store",
            "  store_name:小明家居",
            "could not find expected ':' (put a space after the colon (冒号后加空格): "
            "“store_name: 小明家居”)",
        ),
        (
            "  store_name: Lumiere Home Official Store",
            "  store_name:\u3000小明家居",
            "could not find expected ':' (after the colon is a full-width space; use an ordinary space "
            "(半角空格): “store_name: 小明家居”)",
        ),
    ],
)
def test_a_yaml_error_typed_on_a_chinese_keyboard_is_named_on_its_line(
    tmp_path: Path, old: str, new: str, hint: str
) -> None:
    """YAML's own message named the next line (or the next after a blank line) and nothing of the cause,
    which a seller cannot see: `：`, a full-width space and a missing space look like `: `."""
    text = example_text().replace(old, new, 1)
    line = line_with(text, new.split("\n")[0])
    assert problems(write(tmp_path, text)) == [f":{line}: not valid YAML: {hint}"]


def test_a_section_of_one_line_without_a_space_after_its_colon_says_so(tmp_path: Path) -> None:
    """YAML read `freeze_narrowing:true` as one text, and pydantic said only "Input should be a valid
    dictionary"."""
    text = example_text().replace(
        "# bundle:\n#   freeze_narrowing: true", "bundle:\n  freeze_narrowing:true", 1
    )
    assert problems(write(tmp_path, text)) == [
        f":{line_with(text, 'freeze_narrowing') - 1}: bundle: Input should be a valid dictionary or "
        "instance of BundleSettings; you wrote “freeze_narrowing:true”; put a space after the colon "
        "(冒号后加空格): “freeze_narrowing: true”"
    ]


def test_a_section_of_one_line_with_a_chinese_colon_says_so(tmp_path: Path) -> None:
    """`counsel:` over `firm：Harbor & Vance LLP` alone (typed in Chinese input mode, as a seller starting
    from `init`'s case.yaml would) got "this is a section of “name: value” lines, not a single value; write
    it as cases/example/case.yaml does", in English, and nothing of the colon (found by a probe preparing
    a seller's own appeal)."""
    text = example_text().replace(
        "    firm: Harbor & Vance LLP\n    email: schedulea@harborvance.example.com\n",
        "    firm：Harbor & Vance LLP\n",
        1,
    )
    text = re.sub(r"\n    attorney: .*", "", text, count=1)
    assert problems(write(tmp_path, text)) == [
        f":{line_with(text, '  counsel:')}: case.counsel: this is a section of “name: value” lines "
        "(应为“名称: 值”); you wrote “firm：Harbor & Vance LLP”: after “firm” is a Chinese colon “：”; "
        "type an ordinary colon and a space (英文冒号加空格): “firm: Harbor & Vance LLP”"
    ]


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "grounds: [authorised_reseller, freeze_excessive]",
            "grounds: [自有品牌, freeze_excessive]",
            "position.grounds[0]: write one of the grounds in English: authorised_reseller (授权经销), "
            "own_brand (自有品牌), not_accused_product (非涉案商品), no_us_sales (未向美国销售), "
            "listing_removed (链接已下架), freeze_excessive (冻结金额过高); for “自有品牌” write own_brand",
        ),
        (
            "grounds: [authorised_reseller, freeze_excessive]",
            "grounds: [自有品牌，冻结金额过高]",
            "position.grounds[0]: write one of the grounds in English: authorised_reseller (授权经销), "
            "own_brand (自有品牌), not_accused_product (非涉案商品), no_us_sales (未向美国销售), "
            "listing_removed (链接已下架), freeze_excessive (冻结金额过高); "
            "for “自有品牌，冻结金额过高” write own_brand, freeze_excessive; separate the items with an "
            "ordinary comma (, not ，)",
        ),
        (
            "grounds: [authorised_reseller, freeze_excessive]",
            "grounds: [自有品牌 冻结金额过高/授权经销]",
            "position.grounds[0]: write one of the grounds in English: authorised_reseller (授权经销), "
            "own_brand (自有品牌), not_accused_product (非涉案商品), no_us_sales (未向美国销售), "
            "listing_removed (链接已下架), freeze_excessive (冻结金额过高); "
            "for “自有品牌 冻结金额过高/授权经销” write own_brand, freeze_excessive, authorised_reseller",
        ),
        (
            "grounds: [authorised_reseller, freeze_excessive]",
            "grounds: [涉案]",  # not 非涉案商品 (not the accused product), which holds it
            "position.grounds[0]: write one of the grounds in English: authorised_reseller (授权经销), "
            "own_brand (自有品牌), not_accused_product (非涉案商品), no_us_sales (未向美国销售), "
            "listing_removed (链接已下架), freeze_excessive (冻结金额过高); you wrote “涉案”",
        ),
        (
            "grounds: [authorised_reseller, freeze_excessive]",
            "grounds: [authorised_reseller, freeze]",
            "position.grounds[1]: write one of the grounds in English: authorised_reseller (授权经销), "
            "own_brand (自有品牌), not_accused_product (非涉案商品), no_us_sales (未向美国销售), "
            "listing_removed (链接已下架), freeze_excessive (冻结金额过高); you wrote “freeze”",
        ),
        (
            "# bundle:\n#   freeze_narrowing: true",
            "bundle:\n  bates_prefix: 小明",
            "bundle.bates_prefix: write at most 20 English letters, digits, - or _, e.g. LUMIERE "
            "(只能用英文字母、数字、-或_，最多20个); you wrote “小明”",
        ),
    ],
)
def test_a_value_of_a_fixed_form_says_what_to_write_in_chinese_too(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    """pydantic's "Input should be 'authorised_reseller', 'own_brand', ..." and "String should match
    pattern '^[A-Za-z0-9_-]{0,20}$'" left a seller who reads little English guessing which ground 自有品牌 is
    (found by a probe preparing a seller's own appeal)."""
    text = example_text().replace(old, new, 1)
    assert problems(write(tmp_path, text)) == [f":{line_with(text, new.split(chr(10))[-1])}: {message}"]


@pytest.mark.parametrize(
    ("old", "new", "hint"),
    [
        (
            "title: Supplier invoice from Dongguan Hengtai for 500 aroma diffusers",
            "title: 发票: 2024年1月",
            "mapping values are not allowed here (the value holds a colon; put it in quotes (加引号): "
            '“title: "发票: 2024年1月"”)',
        ),
        (
            "file: evidence/invoice_hengtai_2024-01.pdf",
            'file: "evidence\\授权书（恒泰）.pdf"',
            "found unknown escape character '授' (in double quotes \\ starts an escape; write paths with / "
            "(evidence/授权书（恒泰）.pdf), or put them in single quotes)",
        ),
    ],
)
def test_a_value_yaml_cannot_read_gets_how_to_write_it(tmp_path: Path, old: str, new: str, hint: str) -> None:
    """YAML said "mapping values are not allowed here" of a colon in a title, and "unknown escape character"
    of a path copied from Windows, with nothing of quotes or of /."""
    text = example_text().replace(old, new, 1)
    assert problems(write(tmp_path, text)) == [f":{line_with(text, new)}: not valid YAML: {hint}"]


def test_a_quote_left_open_is_named_where_it_opens(tmp_path: Path) -> None:
    """YAML saw the error 34 lines further down, and said nothing of a quote."""
    text = example_text().replace('store_id: "lumierehome2019"', 'store_id: "lumierehome2019', 1)
    [problem] = problems(write(tmp_path, text))
    opened = line_with(text, "store_id:")
    lines = enumerate(text.splitlines(), 1)
    closed = next(number for number, line in lines if number > opened and '"' in line)  # (the next quote)
    assert problem.startswith(f":{opened}: not valid YAML: ")
    assert problem.endswith(f'(a quote “"” opened here is not closed; YAML saw the error on line {closed})')


def test_a_bracket_left_open_is_named_where_it_opens(tmp_path: Path) -> None:
    """YAML named the next line ("expected ',' or ']', but got ':'"), where nothing is wrong."""
    old = "plaintiff: Glowbright Brands, LLC"
    text = example_text().replace(old, "plaintiff: [Glowbright Brands, LLC", 1)
    [problem] = problems(write(tmp_path, text))
    opened = line_with(text, "plaintiff: [")
    assert problem == (
        f":{opened}: not valid YAML: expected ',' or ']', but got ':' (a “[” opened here is not closed; YAML "
        f"saw the error on line {opened + 1})"
    )


def test_values_as_a_seller_types_them_get_what_to_write_instead(tmp_path: Path) -> None:
    """pydantic's words ("Input should be a valid decimal", "invalid date separator, expected `-`") said
    neither what was wrong in what was typed nor what to write."""
    text = (
        example_text()
        .replace("tro_date: 2024-03-11", "tro_date: 2024年3月11日", 1)
        .replace("    amount: 48630.25", "    amount: ¥1,234.50", 1)
        .replace("    currency: USD", "    currency: 人民币", 1)
        .replace(
            "grounds: [authorised_reseller, freeze_excessive]", "grounds: [authorised_reseller，own_brand]"
        )
        .replace("    accused: true", "    accused: 是", 1)
    )
    found = problems(write(tmp_path, text))
    assert found == [
        f":{line_with(text, 'tro_date:')}: case.tro_date: write the date as YYYY-MM-DD, e.g. 2024-03-11 "
        "(日期格式 2024-03-11); you wrote “2024年3月11日”",
        f":{line_with(text, 'amount: ¥')}: case.amount_frozen.amount: write the amount as a plain number, "
        "e.g. 1234.50, without a currency sign or thousands separators (金额只写数字); the currency goes in "
        "its own field; you wrote “¥1,234.50”",
        f":{line_with(text, 'currency: 人民币')}: case.amount_frozen.currency: write a three-letter currency "
        "code such as USD or CNY (币种代码，如 CNY); you wrote “人民币”",
        f":{line_with(text, 'accused: 是')}: products[0].accused: write the English word true (是) or false "
        "(否); you wrote “是”",
        f":{line_with(text, 'grounds:')}: position.grounds[0]: write one of the grounds in English: "
        "authorised_reseller (授权经销), own_brand (自有品牌), not_accused_product (非涉案商品), "
        "no_us_sales (未向美国销售), listing_removed (链接已下架), freeze_excessive (冻结金额过高); "
        "you wrote “authorised_reseller，own_brand”; separate the items with an ordinary comma (, not ，)",
    ]


def test_a_date_written_as_asked_that_is_no_day_says_so(tmp_path: Path) -> None:
    """ "2026-02-30" was told to be written as YYYY-MM-DD, as it was."""
    text = (
        example_text()
        .replace("tro_date: 2024-03-11", "tro_date: 2026-02-30", 1)
        .replace("notified_date: 2024-03-14", "notified_date: 2024-13-01", 1)
    )
    found = problems(write(tmp_path, text))
    assert found == [
        f":{line_with(text, 'tro_date:')}: case.tro_date: February 2026 has 28 days, so there is no day 30 "
        "(该月只有28天); you wrote “2026-02-30”",
        f":{line_with(text, 'notified_date:')}: case.notified_date: there is no month 13: the middle number "
        "is the month, 01 to 12 (月份为01-12); you wrote “2024-13-01”",
    ]


def test_an_empty_value_is_not_given(tmp_path: Path) -> None:
    """docs/case-format.md: an empty value means "not given". An empty required field said "Input should
    be a valid string", and an empty `evidence:` (which may be left out) "Input should be a valid list"."""
    text = example_text()
    emptied = text[: text.index("\nevidence:")] + "\nevidence:\n"  # (its last section)
    case = load_case(write(tmp_path, emptied))
    assert case.data.evidence == []
    text = text.replace("  email: chen.xiaoyu@lumiere-home.example.cn", "  email:", 1)
    (tmp_path / "acme" / "case.yaml").write_text(text, encoding="utf-8")
    assert problems(tmp_path / "acme") == [
        f":{line_with(text, '  email:')}: merchant.email: is empty; write its value "
        "(Email address for replies)"
    ]


def test_an_evidence_entry_written_as_a_path_says_how_to_write_it(tmp_path: Path) -> None:
    """`- evidence/订单导出.csv` under `evidence:` said "Input should be a valid dictionary or instance of
    EvidenceEntry"."""
    text = example_text()
    text = text[: text.index("\nevidence:")] + "\nevidence:\n  - evidence/订单导出.csv\n"
    write(tmp_path, text)
    assert problems(tmp_path / "acme") == [
        f":{line_with(text, '  - evidence/')}: evidence[0]: an evidence entry is a section of “name: value” "
        "lines, not a single value; you wrote “evidence/订单导出.csv”; write it as cases/example/case.yaml "
        "does (“- file: evidence/invoice.pdf”, then “title: ...” below it)"
    ]


def test_the_language_asked_for_decides_what_is_needed(tmp_path: Path) -> None:
    """`build --lang en` of a bilingual case without name_zh was refused: "name_zh (the Chinese name) is
    needed when language is zh or bilingual", of a build with no Chinese in it (found by a probe)."""
    text = example_text().replace("  name_zh:", "  # name_zh:", 1)
    folder = write(tmp_path, text)
    with pytest.raises(CaseDataError, match=r"name_zh \(the Chinese name\) is needed"):
        load_case(folder)
    assert load_case(folder, Language.EN).data.merchant.name_zh == ""
    assert load_case(folder, Language.EN).in_language(Language.EN).data.language == Language.EN
    (tmp_path / "en").mkdir()
    english = write(tmp_path / "en", text.replace("language: bilingual", "language: en", 1))
    with pytest.raises(CaseDataError, match=r"name_zh \(the Chinese name\) is needed"):
        load_case(english, Language.ZH)
