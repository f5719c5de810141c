"""Rendering: the template is found, data stays data, and errors name the template and line."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import docx
import pytest

from pipeline.context import Context
from pipeline.errors import TemplateError
from pipeline.limits import Terminated, TimeUp
from pipeline.load import load_case
from pipeline.model import Language
from pipeline.render import Engine, Templates
from tests.conftest import MakeCase, example_data

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
        "/cs_inquiry.html:2: 'pipeline.model.Merchant object' has no attribute 'nickname': "
        "no such variable or field (docs/templates.md lists them)"
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
        '/appeal_letter.docx, paragraph 3 "Our case is {{ case.numbr }}.": error: '
        "'pipeline.model.CaseDetails object' has no attribute 'numbr': no such variable or field "
        "(docs/templates.md lists them)"
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
    assert str(caught.value).startswith(
        f"{case_templates}/appeal_letter.docx, paragraph 2: the tag “{{{{ merchant.phone }}.” is not closed "
        "(its }} or %} is missing); Jinja said: "
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
