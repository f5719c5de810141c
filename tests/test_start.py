"""`build-appeal init` and `build-appeal check`: a new case from options or answers at a terminal, its
placeholders refused until replaced, then checked and built end to end."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from pipeline import cli
from pipeline.cli import main
from pipeline.load import load_case
from tests.conftest import MakeCase, example_data
from tests.samples import text_pdf

OPTIONS = [
    "--lang", "en", "--platform", "amazon", "--merchant", "Acme Trading Co., Ltd.", "--store", "Acme: Home",
    "--contact", "Li Wei", "--email", "li.wei@acme.example.cn", "--phone", "+86 755 1234 5678",
    "--address", "1 Keji Road, Shenzhen, China", "--case-number", "24 CV 607",
    "--plaintiff", "Glowbright Brands, LLC", "--firm", "Harbor & Vance LLP",
]  # fmt: skip


def run(*args: str, input: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), input=input)
    return result.exit_code, result.stdout + result.stderr


def test_init_then_check_then_build(tmp_path: Path) -> None:
    case = tmp_path / "cases" / "acme"
    code, out = run("init", str(case), *OPTIONS)
    assert code == 0, out
    assert (case / "evidence").is_dir()
    data = load_case(case).data  # every option went in as typed (a colon in the store name stays text),
    # the platform spelled as case.yaml accepts it
    assert (data.merchant.store_name, data.merchant.platform.value, data.case.number) == (
        "Acme: Home",
        "Amazon",
        "1:24-cv-00607",
    )
    code, out = run("check", str(case))
    assert code == 1
    assert "case.yaml:" in out and "position.statement: still the placeholder `init` wrote" in out
    code, out = run(str(case), "-o", str(tmp_path / "out"))  # a build refuses it too: the letter said
    assert code == 1, out  # "Our position: TODO: say in a few sentences..."
    assert "position.statement: still the placeholder `init` wrote; write the real value" in out
    assert not (tmp_path / "out" / "acme").exists()

    text = (case / "case.yaml").read_text(encoding="utf-8")
    start = text.index("    TODO: say in a few sentences")
    end = text.index("\n  #", start)
    (case / "case.yaml").write_text(
        text[:start]
        + "    We buy the diffusers from their maker, who authorised us to sell them."
        + text[end:],
        encoding="utf-8",
    )
    text_pdf(case / "evidence" / "invoice.pdf", ["Invoice HT-2024-0108"])
    with (case / "case.yaml").open("a", encoding="utf-8") as stream:
        stream.write("\nbundle:\n  destination: platform\n")
    text = (case / "case.yaml").read_text(encoding="utf-8")
    (case / "case.yaml").write_text(
        text.replace(
            "evidence: []", "evidence:\n  - file: evidence/invoice.pdf\n    title: Supplier invoice", 1
        ),
        encoding="utf-8",
    )
    code, out = run("check", str(case))
    assert code == 0, out
    assert out.strip().endswith("s)") and ": ok" in out
    code, out = run(str(case), "-o", str(tmp_path / "out"))
    assert code == 0, out
    bundle = PdfReader(tmp_path / "out" / "acme" / "bundle.pdf")
    assert "Supplier invoice" in "".join(page.extract_text() for page in bundle.pages)


def test_init_leaves_a_todo_for_each_answer_not_given(tmp_path: Path) -> None:
    case = tmp_path / "new"
    code, out = run("init", str(case))
    assert code == 0, out
    code, out = run("check", str(case))
    assert code == 1
    for field in ("merchant.platform", "merchant.email", "case.number"):  # not valid as they stand
        assert field in out, field
    assert "case.yaml:11: still the placeholder `init` wrote" in out  # merchant.name_en, valid but a TODO


def test_init_asks_on_a_terminal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "_interactive", lambda: True)
    answers = ["zh", "amazone", "ali express", "Acme Trading Co., Ltd.", "阿克米贸易有限公司", "Acme Store",
               "Li Wei", "li.wei@acme.example.cn", "+86 755 1234 5678", "1 Keji Road, Shenzhen",
               "1:24-cv-02015", "Glowbright Brands, LLC", ""]  # fmt: skip
    code, out = run("init", str(tmp_path / "asked"), input="\n".join(answers) + "\n")
    assert code == 0, out
    text = (tmp_path / "asked" / "case.yaml").read_text(encoding="utf-8")
    assert "language: zh" in text and '"阿克米贸易有限公司"' in text and "platform: AliExpress" in text
    assert "Error: 'amazone' is not one of Alibaba.com, AliExpress, Amazon," in out  # and asked again
    assert 'firm: "TODO: ' in text  # Enter left the law firm to fill in later


def test_init_never_overwrites_a_case(make_case: MakeCase) -> None:
    case = make_case()
    before = (case / "case.yaml").read_bytes()
    code, out = run("init", str(case), *OPTIONS)
    assert code == 1 and "case.yaml already exists; init never overwrites a case" in out
    assert (case / "case.yaml").read_bytes() == before


def test_check_names_a_broken_template_line(make_case: MakeCase) -> None:
    case = make_case()
    (case / "templates").mkdir()
    (case / "templates" / "cs_inquiry.html").write_text("<p>\n{% if merchant %}\n</p>\n", encoding="utf-8")
    code, out = run("check", str(case))
    assert code == 1
    assert "templates/cs_inquiry.html:3: template syntax error: Unexpected end of template" in out


def test_check_reports_every_case_and_a_missing_evidence_file(make_case: MakeCase) -> None:
    good = make_case(name="good")
    bad = make_case(name="bad")
    (bad / "evidence" / "product_photo.jpg").unlink()
    code, out = run("check", str(good), str(bad))
    assert code == 1
    assert "evidence[4].file" in out and "product_photo.jpg" in out
    assert "good: ok" in out and "1 ok, 1 with errors" in out


def test_unredacted_numbers_fail_a_court_check_and_warn_otherwise(make_case: MakeCase) -> None:
    data = example_data()
    data["evidence"] = [{"file": "evidence/statement.pdf", "title": "Bank statement"}]
    case = make_case(data)
    text_pdf(case / "evidence" / "statement.pdf", ["Card 4111 1111 1111 1111 was charged", "SSN 123-45-6789"])
    code, out = run("check", str(case), "--for", "court")
    assert code == 1
    assert "Exhibit 1 (evidence/statement.pdf), page 1: card or account number" in out
    assert "page 2: social-security number" in out
    assert "4111 1111 1111 1111" not in out and "123-45-6789" not in out
    code, out = run("check", str(case), "--for", "platform")
    assert code == 0 and "warning: Exhibit 1 (evidence/statement.pdf), page 1" in out
