"""End to end through the real LibreOffice and WeasyPrint: the documents a seller would send."""

from __future__ import annotations

import gc
import json
import logging
import os
import shutil
import subprocess
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner
from pypdf import PdfReader, PdfWriter
from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

import pipeline.build
from pipeline.build import GENERATIONS, YOUNG_OBJECTS, BuildOptions, BuildResult, build
from pipeline.cli import main
from pipeline.context import Context
from pipeline.convert import check_cjk_font
from pipeline.errors import BuildAppealError, BundleError, EnvironmentProblem, EvidenceError, TemplateError
from pipeline.load import load_case
from pipeline.model import Language
from pipeline.render import Rendered, TemplateFile, Templates
from tests.conftest import (
    EXAMPLE,
    OUTPUTS,
    MakeCase,
    example_data,
    flat,
    group_alive,
    immutable,
    office_group,
    pdftotext,
    snapshot,
)

DOCUMENTS = ("appeal_letter", "cs_inquiry", "evidence_index")
HOSTILE = "Lumiere & Sons <b>Store</b> {{ 7*7 }} {% raw %}"


def pdf_text(path: Path) -> str:
    return pdftotext(path, "-layout")


def fonts(path: Path) -> list[list[str]]:
    listing = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    return [line.split() for line in listing.splitlines()[2:]]


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> BuildResult:
    return build(EXAMPLE, BuildOptions(output_root=tmp_path_factory.mktemp("out")))


def test_the_example_builds_every_output(example: BuildResult) -> None:
    names = sorted(path.name for path in example.output.iterdir())
    assert names == sorted(OUTPUTS)
    assert example.bundle == example.output / "bundle.pdf"
    assert example.pages == len(PdfReader(example.bundle).pages) > 20


@pytest.mark.parametrize("document", DOCUMENTS)
def test_every_document_holds_the_case_the_names_and_the_exhibits(
    example: BuildResult, document: str
) -> None:
    text = flat(pdf_text(example.output / f"{document}.pdf"))
    data = example_data()
    assert "1:24-cv-02015" in text
    assert flat(data["merchant"]["name_en"]) in text
    assert data["merchant"]["name_zh"] in text  # Chinese extracts as Chinese
    for entry in data["evidence"]:
        assert flat(entry["title"]) in text, entry["title"]


def test_the_inquiry_text_holds_the_case_and_names(example: BuildResult) -> None:
    text = (example.output / "cs_inquiry.txt").read_text(encoding="utf-8")
    assert "1:24-cv-02015" in text
    assert "Shenzhen Lumiere Home Technology Co., Ltd." in text
    assert "深圳市璐米尔家居科技有限公司" in text


@pytest.mark.parametrize("document", [*DOCUMENTS, "bundle"])
def test_every_font_is_embedded(example: BuildResult, document: str) -> None:
    listed = fonts(example.output / f"{document}.pdf")
    assert listed, "no fonts at all"
    for row in listed:
        emb = row[-5]
        assert emb == "yes", f"{row[0]} is not embedded in {document}.pdf"


def test_the_word_file_opens_and_holds_the_data(example: BuildResult) -> None:
    document = docx.Document(str(example.output / "appeal_letter.docx"))
    text = "\n".join(paragraph.text for paragraph in document.paragraphs)
    text += "\n".join(cell.text for table in document.tables for row in table.rows for cell in row.cells)
    assert "1:24-cv-02015" in text
    assert "深圳市璐米尔家居科技有限公司" in text
    assert "1600987654321" in text
    assert "{{" not in text and "{%" not in text


def test_the_case_folder_is_never_written(make_case: MakeCase, tmp_path: Path) -> None:
    folder = make_case()
    before = snapshot(folder)
    build(folder, BuildOptions(output_root=tmp_path / "out"))
    assert snapshot(folder) == before


def test_a_build_runs_the_garbage_collector_less_often_then_puts_it_back(
    make_case: MakeCase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = gc.get_threshold()
    during: list[tuple[int, int, int]] = []
    real = pipeline.build.load_case

    def load_case(folder: Path, language: Language | None = None) -> pipeline.build.Case:
        during.append(gc.get_threshold())  # the thresholds while the build runs
        return real(folder, language)

    monkeypatch.setattr(pipeline.build, "load_case", load_case)
    build(make_case(), BuildOptions(output_root=tmp_path / "out"))
    assert during == [(YOUNG_OBJECTS, *GENERATIONS)] != [before]
    assert gc.get_threshold() == before
    with pytest.raises(BuildAppealError):
        build(tmp_path / "no such case", BuildOptions(output_root=tmp_path / "out"))
    assert len(during) == 2
    assert gc.get_threshold() == before


def test_exhibits_are_made_while_libreoffice_converts_and_a_failure_meanwhile_stops_it(
    make_case: MakeCase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = make_case()  # the letter and the sales spreadsheet go through LibreOffice
    groups: list[int | None] = []
    real = pipeline.build.prepare_pdf
    fail = False

    def prepare_pdf(exhibit: pipeline.build.Exhibit, path: Path, target: Path) -> tuple[object, list[str]]:
        groups.append(office_group(os.getpid()))  # the LibreOffice running at this moment
        if fail:
            raise EvidenceError(f"{exhibit.label}: damaged")
        return real(exhibit, path, target)

    monkeypatch.setattr(pipeline.build, "prepare_pdf", prepare_pdf)
    options = BuildOptions(output_root=tmp_path / "out", cache=False)
    build(folder, options)
    assert len(groups) == 3 and None not in groups  # each PDF exhibit read while LibreOffice converted
    fail = True
    with pytest.raises(EvidenceError, match="damaged") as refused:
        build(folder, options)
    assert len(str(refused.value).splitlines()) == 3  # every PDF exhibit read: all their problems said
    assert len(groups) == 6 and groups[-1] is not None
    assert group_alive(groups[-1]) == []  # the failure stopped LibreOffice: none is left


def test_the_word_templates_are_merged_first_and_the_others_while_libreoffice_converts(
    make_case: MakeCase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """LibreOffice is the slowest step: it starts once the Word documents exist, not after every template
    has been merged."""
    running: dict[str, list[bool]] = {}
    real = Templates.render

    def render(self: Templates, template: TemplateFile, context: Context, out: Path) -> Rendered:
        running.setdefault(template.path.name, []).append(office_group(os.getpid()) is not None)
        return real(self, template, context, out)

    monkeypatch.setattr(Templates, "render", render)
    build(make_case(), BuildOptions(output_root=tmp_path / "out", cache=False))
    assert running["appeal_letter.docx"] == [False]
    for name in ("cs_inquiry.html", "cs_inquiry.txt"):
        assert running[name][0] is True, name


def test_typed_markup_comes_out_literally_everywhere(make_case: MakeCase, tmp_path: Path) -> None:
    data = example_data()
    data["merchant"]["store_name"] = HOSTILE
    data["position"]["statement"] = (
        f'We are {HOSTILE}.\n\n<script>alert(1)</script> <img src="file:///etc/passwd">'
    )
    result = build(make_case(data), BuildOptions(output_root=tmp_path / "out", language=Language.EN))
    for name in DOCUMENTS:
        assert flat(HOSTILE) in flat(pdf_text(result.output / f"{name}.pdf")), name
    letter = docx.Document(str(result.output / "appeal_letter.docx"))
    assert any(HOSTILE in paragraph.text for paragraph in letter.paragraphs)
    assert flat('<img src="file:///etc/passwd">') in flat(pdf_text(result.output / "appeal_letter.pdf"))
    assert HOSTILE in (result.output / "cs_inquiry.txt").read_text(encoding="utf-8")
    assert "49" not in flat(pdf_text(result.output / "cs_inquiry.pdf")).replace("1600987654321", "")


@pytest.mark.parametrize("language", [Language.EN, Language.ZH])
def test_one_language_documents(make_case: MakeCase, tmp_path: Path, language: Language) -> None:
    result = build(make_case(), BuildOptions(output_root=tmp_path / "out", language=language))
    letter = flat(pdf_text(result.output / "appeal_letter.pdf"))
    inquiry = flat(pdf_text(result.output / "cs_inquiry.pdf"))
    assert "1:24-cv-02015" in letter and "1:24-cv-02015" in inquiry
    if language == Language.EN:
        assert "Dear" in letter or "Sir" in letter or "Team" in letter
        assert "尊敬的" not in inquiry
    else:
        assert "尊敬的" in letter + inquiry or "您好" in letter + inquiry


def test_a_word_template_can_be_swapped_for_html(make_case: MakeCase, tmp_path: Path) -> None:
    folder = make_case()
    (folder / "templates").mkdir()
    (folder / "templates" / "appeal_letter.html").write_text(
        '{% extends "base.html" %}{% block body %}<h1>My own letter for {{ case.number }}</h1>'
        "<p>{{ merchant.name_en }} {{ merchant.name_zh }}</p>"
        "{% for e in exhibits %}<p>{{ e.label }}: {{ e.title }}</p>{% endfor %}{% endblock %}",
        encoding="utf-8",
    )
    result = build(folder, BuildOptions(output_root=tmp_path / "out"))
    assert "My own letter for 1:24-cv-02015" in pdf_text(result.output / "appeal_letter.pdf")
    assert not (result.output / "appeal_letter.docx").exists()
    assert flat("My own letter") in flat(pdf_text(result.bundle))


def test_an_html_template_can_be_swapped_for_word(make_case: MakeCase, tmp_path: Path) -> None:
    folder = make_case()
    (folder / "templates").mkdir()
    document = docx.Document()
    document.add_paragraph(
        "Inquiry about case {{ case.number }} from {{ merchant.name_en }} {{ merchant.name_zh }}"
    )
    document.save(str(folder / "templates" / "cs_inquiry.docx"))
    started: list[object] = []
    real_popen = subprocess.Popen

    def counting_popen(*args, **kwargs):  # type: ignore[no-untyped-def]
        started.append(" ".join(map(str, args[0])))  # (LibreOffice runs under `unshare` where it can)
        return real_popen(*args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(subprocess, "Popen", counting_popen)
        result = build(folder, BuildOptions(output_root=tmp_path / "out"))
    assert len([command for command in started if "soffice" in command]) == 1  # both .docx in one run
    assert "Inquiry about case 1:24-cv-02015" in pdf_text(result.output / "cs_inquiry.pdf")
    assert (result.output / "cs_inquiry.docx").is_file()


def test_a_failed_build_leaves_the_previous_outputs_untouched(make_case: MakeCase, tmp_path: Path) -> None:
    folder = make_case()
    out = tmp_path / "out"
    result = build(folder, BuildOptions(output_root=out))
    before = snapshot(result.output)
    (folder / "templates").mkdir()
    (folder / "templates" / "evidence_index.html").write_text("{{ no_such_variable }}", encoding="utf-8")
    with pytest.raises(TemplateError, match=r"evidence_index\.html:1: 'no_such_variable' is undefined"):
        build(folder, BuildOptions(output_root=out))
    assert snapshot(result.output) == before
    assert sorted(path.name for path in out.iterdir()) == [".acme.lock", ".cache", "acme"]  # no scratch


def test_a_file_that_cannot_be_replaced_leaves_the_previous_outputs_whole(
    make_case: MakeCase, tmp_path: Path
) -> None:
    """The files were moved in one by one: the new letter and bundle stayed beside the old manifest, the
    build "failed unexpectedly", and a watch said the previous outputs were kept."""
    folder = make_case()
    out = tmp_path / "out"
    result = build(folder, BuildOptions(output_root=out))
    before = snapshot(result.output)
    (folder / "templates").mkdir()
    inquiry = (EXAMPLE.parent.parent / "templates" / "cs_inquiry.html").read_text(encoding="utf-8")
    (folder / "templates" / "cs_inquiry.html").write_text(inquiry.replace("</h1>", " A</h1>", 1), "utf-8")
    refused = r"manifest\.json: cannot be replaced \(Operation not "
    # The manifest is moved in last, after every other file.
    with immutable(result.output / "manifest.json"), pytest.raises(BuildAppealError, match=refused):
        build(folder, BuildOptions(output_root=out))
    assert snapshot(result.output) == before
    assert sorted(path.name for path in out.iterdir()) == [".acme.lock", ".cache", "acme"]  # no scratch
    assert build(folder, BuildOptions(output_root=out)).pages  # and the next build goes through


def test_an_exhibit_whose_fonts_are_not_embedded_is_named(make_case: MakeCase, tmp_path: Path) -> None:
    """Courts ask for every font embedded; a PDF exhibit printed without its fonts (standard Helvetica, which
    a viewer replaces with a font of its own) went into the bundle unremarked."""
    folder = make_case()
    writer = PdfWriter()
    page = writer.add_blank_page(612, 792)
    font = DictionaryObject(
        {NameObject(key): NameObject(value) for key, value in (("/Type", "/Font"), ("/Subtype", "/Type1"))}
    )
    font[NameObject("/BaseFont")] = NameObject("/Helvetica")
    fonts = DictionaryObject({NameObject("/F1"): writer._add_object(font)})
    page[NameObject("/Resources")] = DictionaryObject({NameObject("/Font"): fonts})
    contents = DecodedStreamObject()
    contents.set_data(b"BT /F1 24 Tf 72 700 Td (Printed with a standard font) Tj ET")
    page[NameObject("/Contents")] = writer._add_object(contents)
    writer.write(folder / "evidence" / "invoice_hengtai_2024-01.pdf")
    result = build(folder, BuildOptions(output_root=tmp_path / "out"))
    assert (
        "Exhibit 1 (evidence/invoice_hengtai_2024-01.pdf): font Helvetica is not embedded; a court may "
        "refuse it: print the file to PDF again with fonts embedded"
    ) in result.warnings
    assert not [
        warning for warning in result.warnings if "not embedded" in warning and "Exhibit 1 " not in warning
    ]


def test_a_link_out_of_the_templates_folder_that_no_template_uses_is_not_read(
    make_case: MakeCase, tmp_path: Path
) -> None:
    """Every file of templates/ was hashed for the manifest, a link to a file elsewhere on the machine too:
    the build read it, and the manifest recorded its hash."""
    folder = make_case()
    secret = tmp_path / "secret.txt"
    secret.write_text("A secret of another program", encoding="utf-8")
    (folder / "templates").mkdir()
    (folder / "templates" / "notes.txt").symlink_to(secret)
    result = build(folder, BuildOptions(output_root=tmp_path / "out"))
    inputs = json.loads((result.output / "manifest.json").read_text(encoding="utf-8"))["inputs"]
    assert "templates/notes.txt" not in inputs and "default-templates/cs_inquiry.html" in inputs


def test_the_cli_prints_the_bundle_path_last(make_case: MakeCase, tmp_path: Path) -> None:
    folder = make_case()
    result = CliRunner().invoke(main, [str(folder), "-o", str(tmp_path / "out"), "--lang", "en"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[-1] == str(tmp_path / "out" / "acme" / "bundle.pdf")


def test_weasyprint_subsets_fonts_with_harfbuzz(
    make_case: MakeCase, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        build(make_case(), BuildOptions(output_root=tmp_path / "out"))
    assert not [record for record in caplog.records if "fontTools" in record.getMessage()]


def test_a_missing_chinese_font_is_named_before_rendering(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "fonts.conf"
    config.write_text(
        '<?xml version="1.0"?><fontconfig><dir>/nonexistent</dir></fontconfig>', encoding="utf-8"
    )
    monkeypatch.setenv("FONTCONFIG_FILE", str(config))
    with pytest.raises(EnvironmentProblem, match=r"apt-get install fonts-noto-cjk"):
        check_cjk_font()


def test_the_outputs_of_a_previous_template_are_removed(make_case: MakeCase, tmp_path: Path) -> None:
    folder = make_case()
    out = tmp_path / "out"
    build(folder, BuildOptions(output_root=out))
    assert (out / "acme" / "appeal_letter.docx").exists()
    (folder / "templates").mkdir()
    shutil.copy(
        EXAMPLE.parent.parent / "templates" / "evidence_index.html",
        folder / "templates" / "appeal_letter.html",
    )
    build(folder, BuildOptions(output_root=out))
    assert not (out / "acme" / "appeal_letter.docx").exists()


def test_a_case_folder_named_as_the_cache_is_refused(make_case: MakeCase, tmp_path: Path) -> None:
    """A case folder named `.cache` built into `output/.cache/`, among the cache's entries, which pruning
    removes (found by a probe of hostile input)."""
    folder = make_case(name=".cache", evidence=False)
    with pytest.raises(BundleError, match=r"a case folder cannot be named \.cache, the folder where builds"):
        build(folder, BuildOptions(output_root=tmp_path / "out"))
    assert not (tmp_path / "out").exists()


def test_a_build_without_a_letter_date_is_dated_the_user_s_day(
    make_case: MakeCase, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A seller in Beijing building at 7:30 a.m. on March 26 got documents dated March 25, the UTC day: the
    letter "of March 25" told of a notice received on March 26, and the sworn declaration was "Executed on
    March 25", the day before it was signed (a docketing clerk's). `check` and `status` took the local day."""
    import datetime as dt
    import types

    class BeijingMorning(dt.date):
        @classmethod
        def today(cls) -> BeijingMorning:
            return cls(2024, 3, 26)  # where the user is; in UTC it is still 23:30 on March 25

    data = example_data()
    del data["letter_date"]
    case = load_case(make_case(data))
    clock = types.SimpleNamespace(date=BeijingMorning, datetime=dt.datetime, UTC=dt.UTC)
    monkeypatch.setattr(pipeline.build, "dt", clock)
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    assert pipeline.build._build_time(case).date() == dt.date(2024, 3, 26)
