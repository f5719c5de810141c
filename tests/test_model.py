"""The case model: case numbers, platform names, and the checks pydantic does."""

from __future__ import annotations

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
        ("tiktok shop", Platform.TIKTOK),
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
