"""The case model: case numbers, platform names, and the checks pydantic does."""

from __future__ import annotations

import re

import pytest
from pydantic import ValidationError

from pipeline.model import CaseFile, Platform, normalize_case_number
from tests.conftest import example_data


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("1:24-cv-02015", "1:24-cv-02015"),
        ("1:23−cv−01560", "1:23-cv-01560"),  # Unicode minus signs, as copied from a docket PDF
        ("23 C 2965", "1:23-cv-02965"),
        ("24 CV 607", "1:24-cv-00607"),
        ("25cv02937", "1:25-cv-02937"),
        ("2:24-cv-15", "2:24-cv-00015"),
        (" 1:24–CV–2015 ", "1:24-cv-02015"),  # en dashes, upper case, spaces
    ],
)
def test_case_numbers_in_every_seen_form_are_normalised(raw: str, shown: str) -> None:
    assert normalize_case_number(raw) == shown


@pytest.mark.parametrize("raw", ["", "hello", "24-2015", "1:24-cr-02015", "1:24-cv-"])
def test_what_is_not_a_case_number_is_refused(raw: str) -> None:
    with pytest.raises(ValueError, match="is not a case number"):
        normalize_case_number(raw)


@pytest.mark.parametrize(
    ("typed", "platform"),
    [
        ("alibaba", Platform.ALIBABA),
        ("Alibaba.com", Platform.ALIBABA),
        ("ALIEXPRESS", Platform.ALIEXPRESS),
        ("amazon", Platform.AMAZON),
        ("Amazon.com", Platform.AMAZON),  # its usual spelling
        ("aliexpress.com", Platform.ALIEXPRESS),
        ("tiktok shop", Platform.TIKTOK),
        ("阿里巴巴国际站", Platform.ALIBABA),  # the platforms' Chinese names, as Chinese sellers write them
        ("阿里巴巴", Platform.ALIBABA),
        ("速卖通", Platform.ALIEXPRESS),
        ("全球速卖通", Platform.ALIEXPRESS),
        ("亚马逊", Platform.AMAZON),
        ("敦煌网", Platform.DHGATE),
    ],
)
def test_platform_names_are_accepted_as_users_type_them(typed: str, platform: Platform) -> None:
    data = example_data()
    data["merchant"]["platform"] = typed
    assert CaseFile.model_validate(data).merchant.platform == platform


def test_chinese_documents_need_the_chinese_name() -> None:
    data = example_data()
    data["merchant"]["name_zh"] = ""
    data["language"] = "zh"
    with pytest.raises(ValidationError, match=r"name_zh \(the Chinese name\) is needed"):
        CaseFile.model_validate(data)
    data["language"] = "en"
    assert CaseFile.model_validate(data).merchant.name_zh == ""


def test_an_evidence_file_listed_twice_is_refused() -> None:
    data = example_data()
    data["evidence"].append(dict(data["evidence"][0]))
    with pytest.raises(ValidationError, match="listed twice"):
        CaseFile.model_validate(data)


def test_one_line_fields_refuse_line_breaks() -> None:
    data = example_data()
    data["merchant"]["store_name"] = "Lumiere\nHome"
    with pytest.raises(ValidationError, match="single line"):
        CaseFile.model_validate(data)


def test_platform_is_not_a_chinese_platform_name() -> None:
    data = example_data()
    data["merchant"]["platform"] = "平台"  # ("platform": the Chinese name of Other is no platform's name)
    with pytest.raises(ValidationError, match="platform"):
        CaseFile.model_validate(data)


@pytest.mark.parametrize("rounded", ["1.600987654321E+12", "1.60099E+12", "1.6e12"])
def test_a_listing_id_rounded_by_excel_is_refused(rounded: str) -> None:
    data = example_data()
    data["products"][0]["listing_id"] = rounded
    with pytest.raises(ValidationError, match=f"“{re.escape(rounded)}” is a listing ID rounded by Excel"):
        CaseFile.model_validate(data)


def test_the_court_is_never_assumed() -> None:
    """A court left out is an error: the documents would name one as a fact."""
    data = example_data()
    del data["case"]["court"]
    with pytest.raises(ValidationError, match=r"case\.court\n  Field required"):
        CaseFile.model_validate(data)


@pytest.mark.parametrize(
    ("typed", "shown"), [("evidence\new.pdf", "evidence\\new.pdf"), ("e\vidence\t.pdf", "e\\vidence\\t.pdf")]
)
def test_a_windows_path_read_as_escapes_says_so(typed: str, shown: str) -> None:
    """`file: "evidence\\new.pdf"` (a Windows path in double quotes): YAML makes `\\n` a line break, and the
    message was "must be a single line", of a path the user saw no line break in."""
    data = example_data()
    data["evidence"][0]["file"] = typed
    with pytest.raises(
        ValidationError, match=f"“{re.escape(shown)}”: in double quotes a \\\\ starts an escape"
    ):
        CaseFile.model_validate(data)


def test_a_phone_number_typed_full_width_is_printed_half_width() -> None:
    """`phone: +86 １３８ ００１３ ８０００` (a Chinese input method) was printed so in the English letter."""
    data = example_data()
    data["merchant"]["phone"] = "＋８６　１３８ ００１３ ８０００"
    assert CaseFile.model_validate(data).merchant.phone == "+86 138 0013 8000"


def test_the_chinese_restricted_functions_pair_up_with_the_english_ones() -> None:
    data = example_data()
    data["case"]["restricted_functions_zh"] = ["提现"]
    with pytest.raises(ValidationError, match=r"has 1 item and restricted_functions 2; give the Chinese of"):
        CaseFile.model_validate(data)
    del data["case"]["restricted_functions_zh"]  # (optional: case.yaml files without it stay valid)
    assert CaseFile.model_validate(data).case.restricted_functions_zh == []
