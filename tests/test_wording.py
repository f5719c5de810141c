"""The wording of the shipped templates, read from the built PDFs as their readers read them: a platform's
IP reviewer, the plaintiff's counsel, a court (each case found by a reviewer reading the bundles so)."""

from __future__ import annotations

import shutil
from typing import Any

import pytest
import yaml

from pipeline.build import BuildOptions, BuildResult, build
from tests.conftest import EXAMPLE, example_data, flat
from tests.conftest import pdftotext as pdf_text


def _built(factory: pytest.TempPathFactory, data: dict[str, Any]) -> BuildResult:
    """The example's evidence with `data` as case.yaml, built."""
    root = factory.mktemp("wording")
    folder = root / "cases" / "acme"
    shutil.copytree(EXAMPLE, folder)
    (folder / "case.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    return build(folder, BuildOptions(output_root=root / "out"))


@pytest.fixture(scope="module")
def chinese(tmp_path_factory: pytest.TempPathFactory) -> BuildResult:
    """The example in Chinese with the request to narrow the freeze and the declaration, whose figures come
    from `products` (no sales export)."""
    data = example_data()
    data["language"] = "zh"
    data["bundle"] = {"freeze_narrowing": True}
    del data["sales"]
    return _built(tmp_path_factory, data)


@pytest.fixture(scope="module")
def bilingual(tmp_path_factory: pytest.TempPathFactory) -> BuildResult:
    """The example in both languages, with the request and the declaration."""
    data = example_data()
    data["language"] = "bilingual"
    data["bundle"] = {"freeze_narrowing": True}
    return _built(tmp_path_factory, data)


def text_of(result: BuildResult, document: str) -> str:
    return pdf_text(result.output / f"{document}.pdf", "-layout")


def test_the_signatory_s_position_is_in_the_letter_s_language(
    chinese: BuildResult, bilingual: BuildResult
) -> None:
    """The Chinese letter was signed "General Manager" under a cover reading 陈晓宇，总经理: the position
    in Chinese is `declaration.title_zh` (the declarant is the contact person by default)."""
    letter = text_of(chinese, "appeal_letter")
    assert "General Manager" not in letter
    assert flat("本事项由我司总经理陈晓宇负责") in flat(letter)
    signature = letter[letter.index("敬礼") :]
    assert flat("Chen Xiaoyu 陈晓宇 总经理") in flat(signature)
    assert flat("陈晓宇，总经理") in flat(pdf_text(chinese.bundle, "-f", "1", "-l", "1"))
    assert flat("Chen Xiaoyu 陈晓宇，总经理") in flat(text_of(chinese, "cs_inquiry"))
    for document in ("appeal_letter", "narrowing_request"):  # (the request: in English too, to counsel)
        assert flat("General Manager 总经理") in flat(text_of(bilingual, document)), document
    assert flat("General Manager 总经理") in flat(text_of(chinese, "narrowing_request"))
