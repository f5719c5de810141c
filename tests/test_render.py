"""Rendering: the template is found, data stays data, and errors name the template and line."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import docx
import pytest
from lxml import etree

from pipeline.context import Context
from pipeline.errors import TemplateError
from pipeline.limits import Terminated, TimeUp
from pipeline.load import load_case
from pipeline.model import Language
from pipeline.render import Engine, Templates
from pipeline.word import OLE2
from tests.conftest import ROOT, MakeCase, example_data

HOSTILE = "A & B <b>bold</b> {{ 7*7 }} {% if true %}x{% endif %}"


@pytest.fixture
def folders(tmp_path: Path) -> tuple[Path, Path]:
    case_templates, defaults = tmp_path / "case-templates", tmp_path / "defaults"
    case_templates.mkdir()
    defaults.mkdir()
    return case_templates, defaults


def context_for(folder: Path) -> Context:
    case = load_case(folder)
    return Context(case.data, [], dt.date(2024, 3, 18), Language.BILINGUAL)


def word_template(path: Path, *paragraphs: str) -> None:
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    document.save(str(path))


def hostile_case(make_case: MakeCase) -> Path:
    data = example_data()
    data["merchant"]["store_name"] = HOSTILE
    return make_case(data, evidence=False)


def test_the_case_template_wins_over_the_default(folders: tuple[Path, Path]) -> None:
    case_templates, defaults = folders
    (defaults / "cs_inquiry.html").write_text("default")
    (defaults / "appeal_letter.docx").write_bytes(b"")
    (case_templates / "appeal_letter.html").write_text("mine")
    templates = Templates(case_templates, defaults)
    assert templates.find("appeal_letter").path == case_templates / "appeal_letter.html"
    assert templates.find("cs_inquiry").path == defaults / "cs_inquiry.html"


def test_two_templates_for_one_document_in_one_folder_is_an_error(folders: tuple[Path, Path]) -> None:
    case_templates, defaults = folders
    (case_templates / "appeal_letter.html").write_text("a")
    (case_templates / "appeal_letter.docx").write_bytes(b"b")
    with pytest.raises(TemplateError, match=r"both appeal_letter\.docx and appeal_letter\.html exist"):
        Templates(case_templates, defaults).find("appeal_letter")


def test_html_and_text_print_data_literally(
    folders: tuple[Path, Path], make_case: MakeCase, tmp_path: Path
) -> None:
    case_templates, defaults = folders
    (defaults / "cs_inquiry.html").write_text("<p>{{ merchant.store_name }}</p>")
    (defaults / "cs_inquiry.txt").write_text("{{ merchant.store_name }}")
    templates = Templates(case_templates, defaults)
    context = context_for(hostile_case(make_case))
    html = templates.render(templates.find("cs_inquiry", (Engine.HTML,)), context, tmp_path).path.read_text()
    assert html == "<p>A &amp; B &lt;b&gt;bold&lt;/b&gt; {{ 7*7 }} {% if true %}x{% endif %}</p>"
    text = templates.render(templates.find("cs_inquiry", (Engine.TEXT,)), context, tmp_path).path.read_text()
    assert text == HOSTILE


def test_word_prints_data_literally(folders: tuple[Path, Path], make_case: MakeCase, tmp_path: Path) -> None:
    case_templates, defaults = folders
    word_template(defaults / "appeal_letter.docx", "Store: {{ merchant.store_name }}")
    templates = Templates(case_templates, defaults)
    rendered = templates.render(
        templates.find("appeal_letter"), context_for(hostile_case(make_case)), tmp_path
    )
    assert docx.Document(str(rendered.path)).paragraphs[0].text == f"Store: {HOSTILE}"


def test_an_undefined_variable_names_the_template_and_line(
    folders: tuple[Path, Path], make_case: MakeCase, tmp_path: Path
) -> None:
    case_templates, defaults = folders
    (case_templates / "cs_inquiry.html").write_text("<p>fine</p>\n<p>{{ merchant.nickname }}</p>\n")
    templates = Templates(case_templates, defaults)
    with pytest.raises(TemplateError) as caught:
        templates.render(templates.find("cs_inquiry"), context_for(make_case(evidence=False)), tmp_path)
    assert str(caught.value) == str(case_templates) + (
        "/cs_inquiry.html:2: `nickname` is not a field of `merchant` (docs/templates.md lists them)"
    )


def test_a_syntax_error_names_the_template_and_line(
    folders: tuple[Path, Path], make_case: MakeCase, tmp_path: Path
) -> None:
    case_templates, defaults = folders
    (case_templates / "cs_inquiry.html").write_text("<p>\n{% if en %}\n<p>{{ case.number }</p>\n")
    templates = Templates(case_templates, defaults)
    with pytest.raises(
        TemplateError, match=r"/case-templates/cs_inquiry.html:3: template syntax error: unexpected '}'"
    ):
        templates.render(templates.find("cs_inquiry"), context_for(make_case(evidence=False)), tmp_path)


def test_a_word_template_error_names_the_paragraph(
    folders: tuple[Path, Path], make_case: MakeCase, tmp_path: Path
) -> None:
    """A misspelt field is named with the field meant, and the object as the templates know it: it was
    "'pipeline.model.CaseDetails object' has no attribute 'numbr'"."""
    case_templates, defaults = folders
    word_template(
        case_templates / "appeal_letter.docx",
        "Dear team,",
        "We are {{ merchant.name_en }}.",
        "Our case is {{ case.numbr }}.",
    )
    templates = Templates(case_templates, defaults)
    with pytest.raises(TemplateError) as caught:
        templates.render(templates.find("appeal_letter"), context_for(make_case(evidence=False)), tmp_path)
    assert str(caught.value) == str(case_templates) + (
        '/appeal_letter.docx, paragraph 3 "Our case is {{ case.numbr }}.": error: `numbr` is not a field of '
        "`case`; did you mean `number`?"
    )


def test_a_word_tag_left_open_is_named_where_it_opens(
    folders: tuple[Path, Path], make_case: MakeCase, tmp_path: Path
) -> None:
    """`{{ merchant.phone }` made Jinja read on to the next `}}` and name a paragraph further down, with
    "unknown tag 'endif'"."""
    case_templates, defaults = folders
    word_template(
        case_templates / "appeal_letter.docx",
        "Dear team,",
        "Call us on {{ merchant.phone }.",
        "{% if en %}We are {{ merchant.name_en }}.{% endif %}",
    )
    templates = Templates(case_templates, defaults)
    with pytest.raises(TemplateError) as caught:
        templates.render(templates.find("appeal_letter"), context_for(make_case(evidence=False)), tmp_path)
    assert str(caught.value) == (
        f"{case_templates}/appeal_letter.docx, paragraph 2: the tag “{{{{ merchant.phone }}.” is not closed: "
        "its }} is missing"
    )


def test_a_damaged_word_template_is_named(
    folders: tuple[Path, Path], make_case: MakeCase, tmp_path: Path
) -> None:
    case_templates, defaults = folders
    (case_templates / "appeal_letter.docx").write_bytes(b"PK\x03\x04 junk")
    templates = Templates(case_templates, defaults)
    with pytest.raises(TemplateError, match=r"appeal_letter.docx: not a Word document docxtpl can read"):
        templates.render(templates.find("appeal_letter"), context_for(make_case(evidence=False)), tmp_path)


def test_templates_cannot_reach_python_internals(
    folders: tuple[Path, Path], make_case: MakeCase, tmp_path: Path
) -> None:
    case_templates, defaults = folders
    (case_templates / "cs_inquiry.html").write_text("{{ merchant.__class__.__init__.__globals__ }}")
    templates = Templates(case_templates, defaults)
    with pytest.raises(
        TemplateError,
        match=r"cs_inquiry\.html:1: access to attribute '__init__' of 'StrictUndefined' object is unsafe",
    ):
        templates.render(templates.find("cs_inquiry"), context_for(make_case(evidence=False)), tmp_path)


def test_a_tag_word_split_across_runs_is_named(
    folders: tuple[Path, Path], make_case: MakeCase, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    case_templates, defaults = folders
    document = docx.Document()
    document.add_paragraph("Dear team,")
    paragraph = document.add_paragraph("Case ")
    paragraph.add_run("{{ case.")
    paragraph.add_run("number }}").bold = True
    document.save(str(case_templates / "appeal_letter.docx"))
    templates = Templates(case_templates, defaults)
    with caplog.at_level("WARNING"):
        rendered = templates.render(
            templates.find("appeal_letter"), context_for(make_case(evidence=False)), tmp_path
        )
    assert docx.Document(str(rendered.path)).paragraphs[1].text == "Case 1:24-cv-02015"
    assert caplog.messages == [
        f"{case_templates}/appeal_letter.docx, paragraph 2: the tag {{{{ case.number }}}} is split across 2 "
        "pieces of Word formatting; it still works, but to be safe select the whole tag, cut it and type it "
        "again in one go"
    ]


FILTER_HELP = "docs/templates.md says what each filter takes"
FAILING = {  # an expression that fails as it runs -> what the message says of it (hostile/ runs them too)
    "division by zero": ("1/0", "division by zero (ZeroDivisionError)"),
    "text plus a number": ('"a" + 1', 'can only concatenate str (not "int") to str (TypeError)'),
    "date_en of text": (
        "merchant.name_en|date_en",
        "the filter date_en cannot take 'Shenzhen Lumiere Home Technology Co., Ltd.' (AttributeError: "
        f"'str' object has no attribute 'month'); {FILTER_HELP}",
    ),
    "money of text": (
        "case.number|money",
        "the filter money cannot take '1:24-cv-02015' (InvalidOperation: [<class "
        f"'decimal.ConversionSyntax'>]); {FILTER_HELP}",
    ),
    "a Jinja filter": (
        '"abc"|sum',
        f"the filter sum cannot take 'abc' (TypeError: unsupported operand type(s) for +: "
        f"'int' and 'str'); {FILTER_HELP}",
    ),
}


@pytest.mark.parametrize(
    ("expression", "message"),
    list(FAILING.values()),
    ids=list(FAILING),
)
@pytest.mark.parametrize("engine", [Engine.HTML, Engine.TEXT])
def test_an_expression_that_fails_names_the_template_and_line(
    folders: tuple[Path, Path],
    make_case: MakeCase,
    tmp_path: Path,
    expression: str,
    message: str,
    engine: Engine,
) -> None:
    """Whatever the template's expressions and filters raise is the template's problem (or its data's), not
    a crash of the tool."""
    case_templates, defaults = folders
    (case_templates / f"cs_inquiry{engine.value}").write_text(f"<p>fine</p>\n<p>{{{{ {expression} }}}}</p>\n")
    templates = Templates(case_templates, defaults)
    with pytest.raises(TemplateError) as caught:
        templates.render(
            templates.find("cs_inquiry", (engine,)), context_for(make_case(evidence=False)), tmp_path
        )
    assert str(caught.value) == f"{case_templates}/cs_inquiry{engine.value}:2: {message}"


def test_an_expression_that_fails_in_word_names_the_paragraph(
    folders: tuple[Path, Path], make_case: MakeCase, tmp_path: Path
) -> None:
    case_templates, defaults = folders
    word_template(
        case_templates / "appeal_letter.docx", "Dear team,", "Our revenue is {{ case.number|money }}."
    )
    templates = Templates(case_templates, defaults)
    with pytest.raises(TemplateError) as caught:
        templates.render(templates.find("appeal_letter"), context_for(make_case(evidence=False)), tmp_path)
    assert str(caught.value) == str(case_templates) + (
        '/appeal_letter.docx, paragraph 2 "Our revenue is {{ case.number|money }}.": error: the filter money '
        f"cannot take '1:24-cv-02015' (InvalidOperation: [<class 'decimal.ConversionSyntax'>]); {FILTER_HELP}"
    )


def test_a_word_template_cannot_include_another(
    folders: tuple[Path, Path], make_case: MakeCase, tmp_path: Path
) -> None:
    case_templates, defaults = folders
    (defaults / "cs_inquiry.html").write_text("<p>inquiry</p>")
    word_template(case_templates / "appeal_letter.docx", "Dear team,", '{% include "cs_inquiry.html" %}')
    templates = Templates(case_templates, defaults)
    with pytest.raises(TemplateError) as caught:
        templates.render(templates.find("appeal_letter"), context_for(make_case(evidence=False)), tmp_path)
    assert str(caught.value) == str(case_templates) + (
        '/appeal_letter.docx, paragraph 2 "{% include "cs_inquiry.html" %}": a Word template cannot include, '
        "import or extend another template ('cs_inquiry.html'); write the text into the document itself"
    )


@pytest.mark.parametrize("stop", [KeyboardInterrupt, Terminated, TimeUp, MemoryError])
@pytest.mark.parametrize("engine", [Engine.HTML, Engine.DOCX])
def test_a_stop_or_memory_running_out_in_a_template_is_no_template_error(
    folders: tuple[Path, Path], make_case: MakeCase, tmp_path: Path, stop: type[BaseException], engine: Engine
) -> None:
    """Ctrl-C, SIGTERM, the time limit's alarm and a full memory can land while a template runs: they stop
    the build as they do elsewhere (the alarm reaches the time limit), never blamed on the template."""
    case_templates, defaults = folders
    if engine == Engine.HTML:
        (case_templates / "appeal_letter.html").write_text("<p>{{ case.number|interrupted }}</p>")
    else:
        word_template(case_templates / "appeal_letter.docx", "{{ case.number|interrupted }}")

    def interrupted(value: object) -> str:
        raise stop

    templates = Templates(case_templates, defaults)
    for env in (templates.html_env, templates.docx_env):
        env.filters["interrupted"] = interrupted
    raised: type[BaseException] = TemplateError if stop is TimeUp else stop  # (the limit names the template)
    with pytest.raises(raised, match="rendering took longer than" if stop is TimeUp else None):
        templates.render(templates.find("appeal_letter"), context_for(make_case(evidence=False)), tmp_path)


W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def render_word(
    folders: tuple[Path, Path], make_case: MakeCase, tmp_path: Path, *paragraphs: str, xml: str = ""
) -> Path:
    """Render a Word template of `paragraphs` (and, with `xml`, one paragraph of raw WordprocessingML runs
    appended) as the case's appeal letter; return the rendered .docx."""
    case_templates, defaults = folders
    path = case_templates / "appeal_letter.docx"
    word_template(path, *paragraphs)
    if xml:
        document = docx.Document(str(path))
        paragraph = document.add_paragraph()
        for run in etree.fromstring(f'<w:p xmlns:w="{W_NS}">{xml}</w:p>'):
            paragraph._p.append(run)
        document.save(str(path))
    templates = Templates(case_templates, defaults)
    return templates.render(
        templates.find("appeal_letter"), context_for(make_case(evidence=False)), tmp_path
    ).path


def test_a_tag_missing_a_brace_is_refused_before_it_deletes_text(
    folders: tuple[Path, Path], make_case: MakeCase, tmp_path: Path
) -> None:
    """docxtpl read `{{ merchant.name_en }` on to the next `}}` and deleted the text in between, without an
    error."""
    with pytest.raises(TemplateError) as caught:
        render_word(
            folders, make_case, tmp_path, "{{ merchant.name_en }", "Shenzhen office", "{{ case.number }}"
        )
    assert str(caught.value) == (
        f"{folders[0]}/appeal_letter.docx, paragraph 1: the tag “{{{{ merchant.name_en }}” is not closed: "
        "its }} is missing"
    )


@pytest.mark.parametrize(
    ("typed", "tag", "fixed"),
    [
        ("案号：｛｛ case.number ｝｝。", "｛｛ case.number ｝｝", "{{ case.number }}"),
        ("案号：｛{ case.number }｝。", "｛{ case.number }｝", "{{ case.number }}"),
        ("｛% if zh %｝案号｛% endif %｝", "｛% if zh %｝", "{% if zh %}"),
        ("案号：{{ case.number ｝｝", "{{ case.number ｝｝", "{{ case.number }}"),
        ("案号：｛｛ ｃａｓｅ.number ｝｝", "｛｛ ｃａｓｅ.number ｝｝", "{{ case.number }}"),
    ],
    ids=["both", "outer", "block", "closing", "and a name"],
)
def test_a_tag_typed_with_full_width_braces_is_refused(
    folders: tuple[Path, Path], make_case: MakeCase, tmp_path: Path, typed: str, tag: str, fixed: str
) -> None:
    """A Chinese input method types `{` as `｛`: the letter printed `｛｛ case.number ｝｝`, without an
    error."""
    with pytest.raises(TemplateError) as caught:
        render_word(folders, make_case, tmp_path, "尊敬的先生/女士：", typed)
    assert str(caught.value) == (
        f"{folders[0]}/appeal_letter.docx, paragraph 2: the tag “{tag}” is typed with full-width braces "
        f"(全角), which make no tag; type them in English input mode (半角): “{fixed}”"
    )


@pytest.mark.parametrize(
    ("tag", "typed", "fixed"),
    [
        ("{{ ｃａｓｅ.number }}", "ｃａｓｅ", "{{ case.number }}"),
        ("{{ letter_date｜date_zh }}", "｜", "{{ letter_date|date_zh }}"),
        ("{{ case.tro_date|default（“无”） }}", "（ ）", "{{ case.tro_date|default(“无”) }}"),
        ('{{ case.amount_frozen|money("USD"，) }}', "，", '{{ case.amount_frozen|money("USD",) }}'),
        ("{%p if ｚｈ %}", "ｚｈ", "{%p if zh %}"),
        ("{{ case。number }}", "。", "{{ case.number }}"),
        ("{{ merchant.stores【0】 }}", "【 】", "{{ merchant.stores[0] }}"),
        ("{% if case.amount_frozen 《 100 %}", "《", "{% if case.amount_frozen < 100 %}"),
    ],
    ids=["a name", "a filter", "brackets", "a comma", "a paragraph tag", "a full stop", "square", "less"],
)
def test_full_width_characters_in_a_tag_are_refused(
    folders: tuple[Path, Path], make_case: MakeCase, tmp_path: Path, tag: str, typed: str, fixed: str
) -> None:
    """`ｃａｓｅ` was a variable of its own hiding `case` (Python reads names half-width), named in an error
    about another paragraph; `｜` gave "unexpected char '｜' at 10795", an offset into the XML."""
    with pytest.raises(TemplateError) as caught:
        render_word(folders, make_case, tmp_path, "案号：{{ case.number }}", tag)
    assert str(caught.value) == (
        f"{folders[0]}/appeal_letter.docx, paragraph 2: the tag “{tag}” has full-width (全角) characters "
        f"outside its quotes: {typed}; retype them in English input mode (半角): “{fixed}”"
    )


def test_chinese_punctuation_in_an_html_template_s_tag_says_what_to_type(
    folders: tuple[Path, Path], make_case: MakeCase, tmp_path: Path
) -> None:
    """`{{ case。number }}` gave Jinja's "unexpected char '。' at 31", an offset no editor shows."""
    case_templates, defaults = folders
    (case_templates / "cs_inquiry.html").write_text("<p>案号</p>\n<p>{{ case。number }}</p>\n", "utf-8")
    templates = Templates(case_templates, defaults)
    context = context_for(make_case(evidence=False))
    with pytest.raises(TemplateError) as caught:
        templates.render(templates.find("cs_inquiry"), context, tmp_path)
    assert str(caught.value) == (
        f"{case_templates}/cs_inquiry.html:2: template syntax error: “。” in a tag is a Chinese (全角) "
        "character; type it in English input mode (半角): “.”"
    )
    assert [str(error) for error in templates.parse_errors()] == [str(caught.value)]
    (case_templates / "cs_inquiry.html").write_text("<p>{{ ￥case.amount_frozen }}</p>\n", "utf-8")
    with pytest.raises(
        TemplateError, match=r"“￥” cannot be in a tag's code \(typed in Chinese input mode\?\)"
    ):
        templates.render(templates.find("cs_inquiry"), context, tmp_path)
    (case_templates / "cs_inquiry.html").write_text("<p>{{ case.tro_date|default(“无”) }}</p>\n", "utf-8")
    with pytest.raises(
        TemplateError, match=r"““” in a tag is a Chinese \(全角\) character; type it in English"
    ):
        templates.render(templates.find("cs_inquiry"), context, tmp_path)  # (`"` is meant: Word's are kept)


def test_full_width_characters_in_a_string_or_as_spaces_are_printed(
    folders: tuple[Path, Path], make_case: MakeCase, tmp_path: Path
) -> None:
    """A full-width space is a space to Jinja; in a string any character is text."""
    rendered = render_word(
        folders,
        make_case,
        tmp_path,
        "{{　case.number　}}",
        '{{ “（注：” ~ case.number ~ "）" }}{{ "｛｛" if zh else "" }}',
    )
    assert [p.text for p in docx.Document(str(rendered)).paragraphs] == [
        "1:24-cv-02015",
        "（注：1:24-cv-02015）｛｛",
    ]


def test_tracked_changes_are_accepted(
    folders: tuple[Path, Path], make_case: MakeCase, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """LibreOffice printed a tracked deletion struck through (its tag rendered) and an insertion underlined
    in colour; a deleted tag with a misspelt field failed the build."""
    deleted = '<w:del w:id="1" w:author="P" w:date="2024-03-18T00:00:00Z"><w:r><w:delText>{{ case.numbr }} '
    inserted = '<w:ins w:id="2" w:author="P" w:date="2024-03-18T00:00:00Z"><w:r><w:t>for {{ case.number'
    with caplog.at_level("WARNING"):
        rendered = render_word(
            folders,
            make_case,
            tmp_path,
            "Dear team,",
            xml=f"<w:r><w:t xml:space='preserve'>Appeal </w:t></w:r>{deleted}old</w:delText></w:r></w:del>"
            f"{inserted} }}}}</w:t></w:r></w:ins>",
        )
    body = docx.Document(str(rendered)).element.body
    assert [p.text for p in docx.Document(str(rendered)).paragraphs] == [
        "Dear team,",
        "Appeal for 1:24-cv-02015",
    ]
    assert not body.findall(f".//{{{W_NS}}}del") and not body.findall(f".//{{{W_NS}}}ins")
    assert caplog.messages == [
        f"{folders[0]}/appeal_letter.docx: tracked changes were accepted; accept or reject them in Word to "
        "choose"
    ]


def test_a_deleted_paragraph_mark_joins_the_paragraphs(
    folders: tuple[Path, Path], make_case: MakeCase, tmp_path: Path
) -> None:
    case_templates, defaults = folders
    path = case_templates / "appeal_letter.docx"
    word_template(path, "We are ", "{{ merchant.store_name }}.")
    document = docx.Document(str(path))
    mark = f'<w:rPr xmlns:w="{W_NS}"><w:del w:id="3" w:author="P" w:date="2024-03-18T00:00:00Z"/></w:rPr>'
    document.paragraphs[0]._p.get_or_add_pPr().append(etree.fromstring(mark))
    document.save(str(path))
    templates = Templates(case_templates, defaults)
    rendered = templates.render(
        templates.find("appeal_letter"), context_for(make_case(evidence=False)), tmp_path
    )
    assert [p.text for p in docx.Document(str(rendered.path)).paragraphs] == [
        "We are Lumiere Home Official Store."
    ]


def test_curly_quotes_inside_a_string_of_a_tag_are_kept(
    folders: tuple[Path, Path], make_case: MakeCase, tmp_path: Path
) -> None:
    """docxtpl straightened the “ ” of `"尊敬的“" ~ ... ~ "”团队"` and printed the tag's code; the curly
    quotes Word's AutoCorrect puts around a string still work as its quotes."""
    rendered = render_word(
        folders,
        make_case,
        tmp_path,
        '{% set dear = "尊敬的“" ~ merchant.platform.zh ~ "”团队：" %}{{ dear }}',
        '{{ “Dear Sir or Madam,” }} {{ ‘the seller’s store’ }} {{ "we’re" }}',
    )
    assert [p.text for p in docx.Document(str(rendered)).paragraphs] == [
        "尊敬的“阿里巴巴国际站”团队：",
        "Dear Sir or Madam, the seller’s store we’re",
    ]


@pytest.mark.parametrize(
    "name", ["appeal_letter.dotx", "appeal_letter.DOCX", "Appeal_Letter.docx", "appeal_letter.docm"]
)
def test_a_template_under_a_near_name_is_pointed_out(
    folders: tuple[Path, Path], caplog: pytest.LogCaptureFixture, name: str
) -> None:
    """The case's edited letter was silently passed over for the default."""
    case_templates, defaults = folders
    word_template(defaults / "appeal_letter.docx", "default")
    word_template(case_templates / name, "edited")
    with caplog.at_level("WARNING"):
        found = Templates(case_templates, defaults).find("appeal_letter")
    if (case_templates / "appeal_letter.docx").exists():  # a file system that ignores case uses it
        pytest.skip("the file system ignores case")
    assert found.path == defaults / "appeal_letter.docx"
    assert caplog.messages == [
        f"{case_templates}/{name}: this file is not used: a template must be named exactly "
        "appeal_letter.docx or appeal_letter.html (in Word: Save As, Word Document (.docx))"
    ]


def test_word_comments_are_removed(
    folders: tuple[Path, Path], make_case: MakeCase, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """LibreOffice (without its Writer dialogs, as on the build machine) crashed on any comment."""
    case_templates, defaults = folders
    path = case_templates / "appeal_letter.docx"
    document = docx.Document()
    paragraph = document.add_paragraph("Case {{ case.number }}")
    document.add_comment(paragraph.runs, text="check this", author="Para")
    document.save(str(path))
    templates = Templates(case_templates, defaults)
    with caplog.at_level("WARNING"):
        rendered = templates.render(
            templates.find("appeal_letter"), context_for(make_case(evidence=False)), tmp_path
        )
    with zipfile.ZipFile(rendered.path) as package:
        assert not [name for name in package.namelist() if "comments" in name]
        assert b"comment" not in package.read("word/document.xml")
    assert docx.Document(str(rendered.path)).paragraphs[0].text == "Case 1:24-cv-02015"
    assert caplog.messages == [
        f"{case_templates}/appeal_letter.docx: its Word comments were removed from the rendered "
        "appeal_letter.docx"
    ]


def test_a_filename_field_in_a_word_letter_prints_the_letter_s_name(
    folders: tuple[Path, Path], make_case: MakeCase, tmp_path: Path
) -> None:
    """A FILENAME field in a letter's footer printed the build's temporary copy (`/tmp/.../0000.docx`)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    case_templates, defaults = folders
    path = case_templates / "appeal_letter.docx"
    document = docx.Document()
    document.add_paragraph("Case {{ case.number }}")
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), r" FILENAME \p ")
    document.sections[0].footer.paragraphs[0]._p.append(field)
    document.save(str(path))
    templates = Templates(case_templates, defaults)
    rendered = templates.render(
        templates.find("appeal_letter"), context_for(make_case(evidence=False)), tmp_path
    )
    with zipfile.ZipFile(rendered.path) as package:
        footers = b"".join(
            package.read(name) for name in package.namelist() if name.startswith("word/footer")
        )
    assert b"FILENAME" not in footers
    assert docx.Document(str(rendered.path)).sections[0].footer.paragraphs[0].text == "appeal_letter.docx"


def test_a_paragraph_tag_beside_text_is_refused(
    folders: tuple[Path, Path], make_case: MakeCase, tmp_path: Path
) -> None:
    """docxtpl replaced the whole paragraph by the tag: `Name: ` was silently lost."""
    with pytest.raises(TemplateError) as caught:
        render_word(folders, make_case, tmp_path, "Dear team,", "Name: {%p if en %}", "x", "{%p endif %}")
    assert str(caught.value) == (
        f"{folders[0]}/appeal_letter.docx, paragraph 2: the tag “{{%p if en %}}” must stand alone in its "
        "paragraph, or the text beside it (“Name:”) is lost; press Enter before and after the tag"
    )


def products_table(path: Path, beside: str) -> None:
    """A Word template listing the products in a table: the `{%tr for %}` row holds `beside` too."""
    document = docx.Document()
    document.add_paragraph("Products:")
    table = document.add_table(rows=3, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "{%tr for p in products %}", beside
    table.cell(1, 0).text, table.cell(1, 1).text = "{{ p.title }}", "{{ p.units_sold }}"
    table.cell(2, 0).text = "{%tr endfor %}"
    document.save(str(path))


def test_a_table_row_tag_beside_text_is_refused(
    folders: tuple[Path, Path], make_case: MakeCase, tmp_path: Path
) -> None:
    """docxtpl replaces the whole row of a `{%tr %}` tag by the tag: `Units sold:` in the row's other cell
    was silently lost; a tag alone in its row renders as before."""
    case_templates, defaults = folders
    context = context_for(make_case(evidence=False))
    templates = Templates(case_templates, defaults)
    products_table(case_templates / "appeal_letter.docx", "Units sold:")
    with pytest.raises(TemplateError) as caught:
        templates.render(templates.find("appeal_letter"), context, tmp_path)
    assert str(caught.value) == (
        f"{case_templates}/appeal_letter.docx, paragraph 2: the tag “{{%tr for p in products %}}” must "
        "stand alone in its table row, or the text in that row (“Units sold:”) is lost; give the tag a row "
        "of its own"
    )
    products_table(case_templates / "appeal_letter.docx", "")
    rendered = templates.render(templates.find("appeal_letter"), context, tmp_path)
    assert len(docx.Document(str(rendered.path)).tables[0].rows) == len(context.data.products)


def test_errors_number_paragraphs_as_the_document_does(
    folders: tuple[Path, Path], make_case: MakeCase, tmp_path: Path
) -> None:
    """docxtpl removes the paragraphs of `{%p %}` tags before Jinja reads the document: errors after one
    named the paragraph before."""
    with pytest.raises(TemplateError) as caught:
        render_word(
            folders, make_case, tmp_path, "{%p if en %}", "We write.", "{%p endif %}", "Case {{ case.numbr }}"
        )
    assert str(caught.value).startswith(
        f'{folders[0]}/appeal_letter.docx, paragraph 4 "Case {{{{ case.numbr }}}}": error: '
    )


def test_a_block_left_open_is_named_where_it_opens(
    folders: tuple[Path, Path], make_case: MakeCase, tmp_path: Path
) -> None:
    """Jinja names the end of the document."""
    with pytest.raises(TemplateError) as caught:
        render_word(
            folders, make_case, tmp_path, "{%p if en %}", "Plaintiff: {% if en %}{{ case.plaintiff }}", "x",
            "{%p endif %}", "end",
        )  # fmt: skip
    assert str(caught.value) == (
        f"{folders[0]}/appeal_letter.docx, paragraph 2: the tag “{{% if en %}}” is never closed: add a "
        "{% endif %} where the part it governs ends"
    )


def test_an_error_in_a_header_names_the_header(
    folders: tuple[Path, Path], make_case: MakeCase, tmp_path: Path
) -> None:
    case_templates, defaults = folders
    document = docx.Document()
    document.add_paragraph("Dear team,")
    document.sections[0].header.paragraphs[0].text = "Case {{ case.numbr }}"
    document.save(str(case_templates / "appeal_letter.docx"))
    templates = Templates(case_templates, defaults)
    with pytest.raises(TemplateError) as caught:
        templates.render(templates.find("appeal_letter"), context_for(make_case(evidence=False)), tmp_path)
    assert str(caught.value).startswith(
        f'{case_templates}/appeal_letter.docx, header, paragraph 1 "Case {{{{ case.numbr }}}}": error: '
    )


UNREADABLE = {
    "damaged": (
        lambda whole: whole[: len(whole) // 2],
        "the file is damaged (not a complete .docx); save it again in Word, or copy it again",
    ),
    "an old .doc": (
        lambda whole: OLE2 + bytes(504) + "WordDocument".encode("utf-16-le"),
        "it is an old Word 97-2003 file (.doc); open it in Word and save it as Word Document (.docx)",
    ),
    "with a password": (
        lambda whole: OLE2 + bytes(504) + "EncryptionInfo".encode("utf-16-le"),
        "it is protected by a password; open it in Word and save it without a password",
    ),
}


@pytest.mark.parametrize(("make", "reason"), list(UNREADABLE.values()), ids=list(UNREADABLE))
def test_an_unreadable_word_template_says_why(
    folders: tuple[Path, Path], make_case: MakeCase, tmp_path: Path, make: Any, reason: str
) -> None:
    """All three said "Package not found at ..."."""
    case_templates, defaults = folders
    path = case_templates / "appeal_letter.docx"
    word_template(path, "Dear team,")
    path.write_bytes(make(path.read_bytes()))
    templates = Templates(case_templates, defaults)
    with pytest.raises(TemplateError) as caught:
        templates.render(templates.find("appeal_letter"), context_for(make_case(evidence=False)), tmp_path)
    assert str(caught.value) == f"{path}: not a Word document docxtpl can read: {reason}"


SECRET = "A secret of another program"


@pytest.mark.parametrize("how", ["a linked file", "a file in a linked folder", "the template itself"])
def test_a_template_that_is_a_link_out_of_its_folder_is_refused(
    folders: tuple[Path, Path], make_case: MakeCase, tmp_path: Path, how: str
) -> None:
    """`{% include "leak.txt" %}`, leak.txt a link to any file of the machine, printed that file."""
    case_templates, defaults = folders
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text(SECRET)
    (outside / "cs_inquiry.html").write_text("<p>{{ case.number }}</p>")
    (case_templates / "leak.txt").symlink_to(outside / "secret.txt")
    (case_templates / "sub").symlink_to(outside)
    if how == "the template itself":
        (case_templates / "cs_inquiry.html").symlink_to(outside / "cs_inquiry.html")
        linked, real = "cs_inquiry.html", outside / "cs_inquiry.html"
    else:
        linked = "leak.txt" if how == "a linked file" else "sub/secret.txt"
        (case_templates / "cs_inquiry.html").write_text(f'<p>{{% include "{linked}" %}}</p>')
        real = outside / "secret.txt"
    templates = Templates(case_templates, defaults)
    with pytest.raises(TemplateError) as caught:
        templates.render(templates.find("cs_inquiry"), context_for(make_case(evidence=False)), tmp_path)
    assert str(caught.value) == (
        f"{case_templates}/{linked}: a link to {real}, outside {case_templates}; copy the file itself into "
        "that folder instead of linking to it"
    )
    assert not (tmp_path / "cs_inquiry.html").exists()


def test_a_link_to_a_template_of_the_same_folder_is_used(
    folders: tuple[Path, Path], make_case: MakeCase, tmp_path: Path
) -> None:
    case_templates, defaults = folders
    (case_templates / "footer.txt").write_text("Case {{ case.number }}")
    (case_templates / "same.txt").symlink_to("footer.txt")
    (case_templates / "cs_inquiry.html").write_text('<p>{% include "same.txt" %}</p>')
    templates = Templates(case_templates, defaults)
    rendered = templates.render(
        templates.find("cs_inquiry"), context_for(make_case(evidence=False)), tmp_path
    )
    assert rendered.path.read_text() == "<p>Case 1:24-cv-02015</p>"


def test_a_templates_folder_linked_out_of_the_case_is_refused(
    folders: tuple[Path, Path], tmp_path: Path
) -> None:
    """Its templates, their includes and their pictures were all used, silently."""
    _, defaults = folders
    case, outside = tmp_path / "case", tmp_path / "elsewhere"
    (case / "shared").mkdir(parents=True)
    outside.mkdir()
    (case / "templates").symlink_to(outside)
    with pytest.raises(TemplateError) as caught:
        Templates(case / "templates", defaults)
    assert str(caught.value) == (
        f"{case}/templates: a link to {outside}, outside the case folder; copy the templates into the case's "
        "own templates/ folder instead of linking to them"
    )
    (case / "templates").unlink()
    (case / "templates").symlink_to("shared")  # a folder of the case itself: its own
    assert Templates(case / "templates", defaults).folders[0] == case / "templates"


RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def edit_package(path: Path, edits: dict[str, Any]) -> None:
    """Rewrite parts of the .docx at `path`: each name to the text its function makes of the old text (""
    for a part it lacks), or, for None, without that part."""
    with zipfile.ZipFile(path) as package:
        parts = {name: package.read(name) for name in package.namelist()}
    for name, edit in edits.items():
        if edit is None:
            del parts[name]
        else:
            parts[name] = edit(parts.get(name, b"").decode()).encode()
    with zipfile.ZipFile(path, "w") as package:
        for name, data in parts.items():
            package.writestr(name, data)


FIELDS = (
    '<w:r><w:fldChar w:fldCharType="begin"/></w:r>'
    '<w:r><w:instrText xml:space="preserve"> INCLUDEPICTURE "http://127.0.0.1:9/field.png" \\d '
    "</w:instrText></w:r>"
    '<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>Old picture</w:t></w:r>'
    '<w:r><w:fldChar w:fldCharType="end"/></w:r>'
    '<w:fldSimple w:instr=" INCLUDETEXT &quot;file:///etc/passwd&quot; ">'
    '<w:r><w:t xml:space="preserve"> and old text</w:t></w:r></w:fldSimple>'
    '<w:r><w:t xml:space="preserve">, page </w:t></w:r>'
    '<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText> PAGE </w:instrText></w:r>'
    '<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>1</w:t></w:r>'
    '<w:r><w:fldChar w:fldCharType="end"/></w:r>'
)
"""A picture and a text included from outside by fields, each with what Word last showed for it, and a
page number (a field that loads nothing)."""


def test_a_word_template_keeps_nothing_that_loads_from_outside(
    folders: tuple[Path, Path], make_case: MakeCase, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A picture linked (not inserted) to a web address made LibreOffice fetch it, one linked to a file
    printed that file, and the letter sent to the platform kept the links."""
    import io

    from PIL import Image

    case_templates, defaults = folders
    path = case_templates / "appeal_letter.docx"
    document = docx.Document()
    document.add_paragraph("Case {{ case.number }}")
    picture = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(picture, format="PNG")
    document.add_picture(picture)
    paragraph = document.add_paragraph()
    for run in etree.fromstring(f'<w:p xmlns:w="{W_NS}">{FIELDS}</w:p>'):
        paragraph._p.append(run)
    document.save(str(path))
    settings = (
        f'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{RELATIONSHIPS}/attachedTemplate" Target="file:///tmp/Normal.dotm" '
        'TargetMode="External"/></Relationships>'
    )
    edit_package(
        path,
        {
            "word/_rels/document.xml.rels": lambda rels: rels.replace(
                'Target="media/image1.png"', 'Target="http://127.0.0.1:9/tracker.png" TargetMode="External"'
            ).replace(
                "</Relationships>",
                f'<Relationship Id="rIdY" Type="{RELATIONSHIPS}/hyperlink" Target="https://example.com/" '
                'TargetMode="External"/></Relationships>',
            ),
            "word/document.xml": lambda xml: xml.replace("r:embed=", "r:link="),
            "word/media/image1.png": None,
            "word/_rels/settings.xml.rels": lambda _: settings,
            "word/settings.xml": lambda xml: re.sub(
                r"(<w:settings[^>]*>)", r'\1<w:attachedTemplate r:id="rId1"/>', xml
            ),
        },
    )
    templates = Templates(case_templates, defaults)
    with caplog.at_level("WARNING"):
        rendered = templates.render(
            templates.find("appeal_letter"), context_for(make_case(evidence=False)), tmp_path
        ).path
    with zipfile.ZipFile(rendered) as package:
        rels = {name: package.read(name).decode() for name in package.namelist() if name.endswith(".rels")}
        body = package.read("word/document.xml").decode()
        settings = package.read("word/settings.xml").decode()
    assert [name for name, xml in rels.items() if "tracker.png" in xml or "Normal.dotm" in xml] == []
    assert "<w:attachedTemplate" not in settings
    assert 'Target="https://example.com/" TargetMode="External"' in rels["word/_rels/document.xml.rels"]
    assert "r:link=" not in body and "INCLUDE" not in body and " PAGE " in body
    assert [p.text for p in docx.Document(str(rendered)).paragraphs] == [
        "Case 1:24-cv-02015",
        "",
        "Old picture and old text, page 1",
    ]
    shown = f"{case_templates}/appeal_letter.docx"
    left_out = "; put such a picture into the template itself (in Word: Insert, Pictures, This Device)"
    removed = (
        "was removed from the rendered appeal_letter.docx, as it loads a file or web address; put the "
        "picture or text itself into the template"
    )
    assert caplog.messages == [
        f"{shown}: left out what it links to outside itself (http://127.0.0.1:9/tracker.png){left_out}",
        f'{shown}: the field “INCLUDETEXT "file:///etc/passwd"” {removed}',
        f'{shown}: the field “INCLUDEPICTURE "http://127.0.0.1:9/field.png" \\d” {removed}',
        f"{shown}: left out what it links to outside itself (file:///tmp/Normal.dotm){left_out}",
    ]


RESTRICTIONS = (
    '<w:writeProtection w:recommended="1"/><w:trackRevisions/>'
    '<w:documentProtection w:edit="readOnly" w:enforcement="1" w:cryptProviderType="rsaAES" '
    'w:cryptAlgorithmSid="14" w:cryptSpinCount="100000" w:hash="aGFzaA==" w:salt="c2FsdA=="/>'
)
"""A template protected against editing (WPS: 审阅, 限制编辑), with a password to modify and Track Changes
on."""


@pytest.mark.parametrize(
    ("restrictions", "message"),
    [
        (RESTRICTIONS, "its editing restriction, password to modify and Track Changes were removed"),
        ('<w:trackRevisions w:val="false"/><w:documentProtection w:edit="readOnly"/>', None),
    ],
    ids=["in force", "not in force"],
)
def test_the_rendered_word_document_can_be_edited(
    folders: tuple[Path, Path],
    make_case: MakeCase,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    restrictions: str,
    message: str | None,
) -> None:
    """The editable letter opened read-only, asking for the template's password, and tracked every edit."""
    case_templates, defaults = folders
    path = case_templates / "appeal_letter.docx"
    word_template(path, "Case {{ case.number }}")
    edit_package(
        path, {"word/settings.xml": lambda xml: re.sub(r"(<w:settings[^>]*>)", rf"\1{restrictions}", xml)}
    )
    templates = Templates(case_templates, defaults)
    with caplog.at_level("WARNING"):
        rendered = templates.render(
            templates.find("appeal_letter"), context_for(make_case(evidence=False)), tmp_path
        ).path
    with zipfile.ZipFile(rendered) as package:
        settings = package.read("word/settings.xml").decode()
    assert "Protection" not in settings and "trackRevisions" not in settings
    assert docx.Document(str(rendered)).paragraphs[0].text == "Case 1:24-cv-02015"
    assert caplog.messages == (
        [f"{path}: {message} from the rendered appeal_letter.docx, which is for editing"] if message else []
    )


@pytest.mark.parametrize(
    ("name", "title"),
    [
        ("Wang O'Neil & <Zhang>", "Declaration of Wang O'Neil & <Zhang>, Case No. 1:24-cv-02015"),
        ("Wang " + "x" * 225, "Declaration of Wang " + "x" * 225 + ", Case No…"),
    ],
    ids=["markup", "230 characters"],
)
def test_word_document_properties_are_plain_text_cut_to_their_limit(
    make_case: MakeCase, tmp_path: Path, name: str, title: str
) -> None:
    """The declaration's title read "Declaration of Wang O&#39;Neil &amp; &lt;Zhang&gt;" (escaped for XML by
    docxtpl, then again by python-docx), and a long name failed the build ("exceeded 255 char limit for
    property", blaming the default template)."""
    data = example_data()
    data["bundle"] = {"freeze_narrowing": True}
    data["declaration"] |= {"name": name, "title": "General Manager"}
    folder = make_case(data, evidence=False)
    templates = Templates(folder / "templates")
    rendered = templates.render(templates.find("declaration"), context_for(folder), tmp_path).path
    assert docx.Document(str(rendered)).core_properties.title == title


def test_the_word_templates_are_what_their_scripts_make(tmp_path: Path) -> None:
    """templates/*.docx are made by scripts/make_templates.py (docs/templates.md); two fixes once made in
    the .docx files alone were lost whenever the script was run again. Compared by their text, which a new
    python-docx would not change."""
    subprocess.run([sys.executable, str(ROOT / "scripts" / "make_templates.py"), str(tmp_path)], check=True,
                   capture_output=True)  # fmt: skip
    for name in ("appeal_letter", "narrowing_request", "declaration"):
        made, committed = (_word_texts(folder / f"{name}.docx") for folder in (tmp_path, ROOT / "templates"))
        assert made == committed, name


def _word_texts(path: Path) -> list[str]:
    """The text of each run of a Word file's body, tables and template tags included."""
    with zipfile.ZipFile(path) as package:
        body = etree.fromstring(package.read("word/document.xml"))
    return [
        node.text or ""
        for node in body.iter("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}t")
    ]
