"""Broken and runaway templates, in the case's own `templates/` folder: each stops the build with one message
naming the template and its line (HTML) or paragraph (Word); a Word tag split across runs still works and is
pointed out; a template that never ends is stopped by the time limit or Jinja's sandbox."""

from __future__ import annotations

from pathlib import Path

import docx
import pytest

from tests.conftest import ROOT, docx_text
from tests.hostile.conftest import Hostile, Listener
from tests.test_render import FAILING

BASE = '{% extends "base.html" %}\n{% block body %}\n'
END = "\n{% endblock %}\n"
UNDEFINED = "no such variable or field (docs/templates.md lists them)"


def with_template(hostile: Hostile, name: str, content: str | bytes) -> Path:
    """The small case with `templates/<name>` of its own."""
    return hostile.write(files={f"templates/{name}": content})


def word_template(path: Path, *paragraphs: list[tuple[str, dict[str, bool]]]) -> Path:
    """A .docx whose paragraphs are made of runs: (text, formatting such as {"bold": True})."""
    document = docx.Document()
    for runs in paragraphs:
        paragraph = document.add_paragraph()
        for text, formatting in runs:
            run = paragraph.add_run(text)
            for name, value in formatting.items():
                setattr(run, name, value)
    document.save(str(path))
    return path


def plain(text: str) -> list[tuple[str, dict[str, bool]]]:
    return [(text, {})]


def test_an_html_syntax_error(hostile: Hostile) -> None:
    with_template(hostile, "cs_inquiry.html", BASE + "<p>{{ case.number }</p>" + END)
    hostile.fails("cases/acme/templates/cs_inquiry.html:3: template syntax error: unexpected '}'")


def test_a_syntax_error_in_a_shared_piece_names_that_piece(hostile: Hostile) -> None:
    base = (ROOT / "templates" / "base.html").read_text(encoding="utf-8")
    with_template(
        hostile, "base.html", base.replace("{% block body %}{% endblock %}", "{% block body %}{% endblok %}")
    )
    line = next(number for number, text in enumerate(base.splitlines(), 1) if "{% block body %}" in text)
    hostile.fails(
        f"cases/acme/templates/base.html:{line}: template syntax error: Encountered unknown tag 'endblok'. "
        "Jinja was looking for the following tags: 'endblock'. The innermost block that needs to be closed "
        "is 'block'."
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "<p>{{ case.numbr }}</p>",
            "`numbr` is not a field of `case`; did you mean `number`?",
        ),
        ("<p>{{ seller.name }}</p>", f"'seller' is undefined: {UNDEFINED}"),
    ],
)
def test_an_undefined_variable_in_html(hostile: Hostile, body: str, message: str) -> None:
    with_template(hostile, "cs_inquiry.html", BASE + "<p>Case</p>\n" + body + END)
    hostile.fails(f"cases/acme/templates/cs_inquiry.html:4: {message}")


def test_an_undefined_variable_in_word(hostile: Hostile) -> None:
    hostile.write(
        files={
            "templates/appeal_letter.docx": lambda path: word_template(
                path, plain("Dear Sir or Madam,"), plain("We are {{ merchant.nmae }}.")
            )
        }
    )
    hostile.fails(
        'cases/acme/templates/appeal_letter.docx, paragraph 2 "We are {{ merchant.nmae }}.": error: '
        "`nmae` is not a field of `merchant` (docs/templates.md lists them)"
    )


HTML_FAILS = ["division by zero", "text plus a number", "date_en of text", "money of text"]


@pytest.mark.parametrize(
    ("expression", "message"),
    [FAILING[name] for name in HTML_FAILS],
    ids=HTML_FAILS,
)
def test_an_expression_that_fails_in_html(hostile: Hostile, expression: str, message: str) -> None:
    """Not "build-appeal failed unexpectedly" (exit 70): the template's line, as for an undefined name."""
    with_template(hostile, "cs_inquiry.html", BASE + "<p>Case</p>\n" + f"<p>{{{{ {expression} }}}}</p>" + END)
    hostile.fails(f"cases/acme/templates/cs_inquiry.html:4: {message}")


def test_an_expression_that_fails_in_word(hostile: Hostile) -> None:
    hostile.write(
        files={
            "templates/appeal_letter.docx": lambda path: word_template(
                path, plain("Dear Sir or Madam,"), plain("Our revenue is {{ 100 / 0 }}.")
            )
        }
    )
    hostile.fails(
        'cases/acme/templates/appeal_letter.docx, paragraph 2 "Our revenue is {{ 100 / 0 }}.": error: '
        "division by zero (ZeroDivisionError)"
    )


def test_a_word_template_that_includes_another(hostile: Hostile) -> None:
    hostile.write(
        files={
            "templates/appeal_letter.docx": lambda path: word_template(
                path, plain("Dear Sir or Madam,"), plain('{% include "cs_inquiry.html" %}')
            )
        }
    )
    hostile.fails(
        'cases/acme/templates/appeal_letter.docx, paragraph 2 "{% include "cs_inquiry.html" %}": a Word '
        "template cannot include, import or extend another template ('cs_inquiry.html'); write the text into "
        "the document itself"
    )


def test_a_broken_word_tag_names_its_paragraph(hostile: Hostile) -> None:
    hostile.write(
        files={
            "templates/appeal_letter.docx": lambda path: word_template(
                path,
                plain("Dear Sir or Madam,"),
                [("Case {{ case.", {}), ("number }", {"bold": True})],
                plain("Signed, {{ merchant.contact_person }}"),
            )
        }
    )
    hostile.fails(
        "cases/acme/templates/appeal_letter.docx, paragraph 2: the tag “{{ case.number }” is not closed: its "
        "}} is missing"
    )


def split_warning(paragraph: int, tag: str, runs: int) -> str:
    return (
        f"cases/acme/templates/appeal_letter.docx, paragraph {paragraph}: the tag {tag} is split across "
        f"{runs} pieces of Word formatting; it still works, but to be safe select the whole tag, cut it and "
        "type it again in one go"
    )


def test_a_word_tag_split_across_two_differently_formatted_runs(hostile: Hostile) -> None:
    hostile.write(
        files={
            "templates/appeal_letter.docx": lambda path: word_template(
                path,
                plain("Appeal"),
                [("Case No. ", {}), ("{{ case.", {}), ("number }}", {"bold": True}), (" is ours.", {})],
            )
        }
    )
    built = hostile.builds()
    assert built.warnings == [split_warning(2, "{{ case.number }}", 2)]
    assert "CaseNo.1:24-cv-02015isours." in built.text("appeal_letter")
    assert "Case No. 1:24-cv-02015 is ours." in docx_text(built.output / "appeal_letter.docx")


def test_word_tags_split_between_their_braces(hostile: Hostile) -> None:
    hostile.write(
        files={
            "templates/appeal_letter.docx": lambda path: word_template(
                path,
                [("{%p ", {}), ("if en %}", {"italic": True})],
                [("From ", {}), ("{", {}), ("{ merchant.name_en }", {"italic": True}), ("}", {})],
                [("{", {"bold": True}), ("%p endif %}", {})],
            )
        }
    )
    built = hostile.builds()
    assert built.warnings == [
        split_warning(1, "{%p if en %}", 2),
        split_warning(2, "{{ merchant.name_en }}", 3),
        split_warning(3, "{%p endif %}", 2),
    ]
    assert "FromShenzhenLumiereHomeTechnologyCo.,Ltd." in built.text("appeal_letter")
    assert "{" not in docx_text(built.output / "appeal_letter.docx")


def test_a_range_of_a_billion(hostile: Hostile) -> None:
    with_template(
        hostile, "cs_inquiry.html", BASE + "{% for i in range(10**9) %}<p>{{ i }}</p>{% endfor %}" + END
    )
    hostile.fails(
        "cases/acme/templates/cs_inquiry.html:3: Range too big. The sandbox blocks ranges larger than "
        "MAX_RANGE (100000)."
    )


@pytest.mark.parametrize(
    "loop",
    [
        '{% set items = [1] %}{% for x in items %}{{ items.append(x) or "" }}{% endfor %}',
        "{% for i in range(100000) %}{% for j in range(100000) %}{% for k in range(100000) %}{% endfor %}"
        "{% endfor %}{% endfor %}",
    ],
    ids=["a list that grows as it is read", "nested loops of 10^15 turns"],
)
def test_a_template_that_loops_forever_is_stopped_by_the_time_limit(hostile: Hostile, loop: str) -> None:
    with_template(hostile, "cs_inquiry.html", BASE + loop + END)
    hostile.fails(
        "cases/acme/templates/cs_inquiry.html: rendering took longer than 2 s and was stopped; does a loop "
        "in the template repeat without end?",
        "--timeout",
        "2",
        isolated=True,
    )


def test_a_word_template_that_loops_forever_is_stopped_by_the_time_limit(hostile: Hostile) -> None:
    hostile.write(
        files={
            "templates/appeal_letter.docx": lambda path: word_template(
                path,
                plain('{% set items = [1] %}{% for x in items %}{{ items.append(x) or "" }}{% endfor %}'),
            )
        }
    )
    hostile.fails(
        "cases/acme/templates/appeal_letter.docx: rendering took longer than 2 s and was stopped; does a "
        "loop in the template repeat without end?",
        "--timeout",
        "2",
        isolated=True,
    )


def test_a_huge_table_is_stopped_by_the_time_limit(hostile: Hostile) -> None:
    """The rows are made at once (a string repeated), so it is the layout, not Jinja, that overruns: 200,000
    rows take WeasyPrint minutes. (A million took Jinja itself past the 3 s on a loaded 2-core machine.)"""
    rows = '{{ ("<tr><td>row</td><td>of a table</td></tr>" * 200000)|safe }}'
    with_template(hostile, "cs_inquiry.html", BASE + f"<table>{rows}</table>" + END)
    hostile.fails(
        "cs_inquiry.html: WeasyPrint did not finish within 3 s and was stopped; the document is too long (a "
        "template that repeats without end?), or raise the limit with --timeout",
        "--timeout",
        "3",
        isolated=True,
    )


def test_a_macro_that_calls_itself_forever(hostile: Hostile) -> None:
    with_template(
        hostile, "cs_inquiry.html", "{% macro again(n) %}{{ again(n + 1) }}{% endmacro %}\n{{ again(0) }}\n"
    )
    hostile.fails(
        "cases/acme/templates/cs_inquiry.html:1: the template calls itself without end (a macro or include "
        "that never stops)"
    )


def test_a_template_cannot_include_a_file_by_absolute_path(hostile: Hostile) -> None:
    with_template(hostile, "cs_inquiry.html", '{% include "/etc/passwd" %}\n')
    hostile.fails(
        "cases/acme/templates/cs_inquiry.html:1: no template named '/etc/passwd' "
        "in the template folders; a template can include or extend only files in the case's templates/ "
        "folder or the default templates"
    )


def test_a_template_cannot_include_a_file_above_its_folder(hostile: Hostile) -> None:
    with_template(hostile, "cs_inquiry.html", '{% include "../../../../../../etc/passwd" %}\n')
    hostile.fails(
        "cases/acme/templates/cs_inquiry.html:1: no template named '../../../../../../etc/passwd' "
        "in the template folders; a template can include or extend only files in the case's templates/ "
        "folder or the default templates"
    )


def test_the_sandbox_refuses_python_internals(hostile: Hostile) -> None:
    with_template(hostile, "cs_inquiry.html", "{{ ''.__class__.__mro__[1].__subclasses__() }}\n")
    hostile.fails(
        "cases/acme/templates/cs_inquiry.html:1: access to attribute '__class__' of 'str' object is unsafe."
    )


def test_a_template_that_is_not_utf8(hostile: Hostile) -> None:
    with_template(hostile, "cs_inquiry.html", (BASE + "<p>案件信息</p>" + END).encode("gbk"))
    hostile.fails("cases/acme/templates/cs_inquiry.html: the template is not UTF-8 text; save it as UTF-8")


def test_a_word_template_that_is_not_a_word_file(hostile: Hostile) -> None:
    with_template(hostile, "appeal_letter.docx", b"PK\x03\x04 not really a zip")
    hostile.fails(
        "cases/acme/templates/appeal_letter.docx: not a Word document docxtpl can read: the file is damaged "
        "(not a complete .docx); save it again in Word, or copy it again"
    )


def test_two_templates_for_one_document(hostile: Hostile) -> None:
    hostile.write(
        files={
            "templates/appeal_letter.html": BASE + "<p>Letter</p>" + END,
            "templates/appeal_letter.docx": lambda path: word_template(path, plain("Letter")),
        }
    )
    hostile.fails(
        "cases/acme/templates: both appeal_letter.docx and appeal_letter.html exist; keep the one you want "
        "to use"
    )


def test_the_time_limit_survives_an_alarm_that_lands_where_exceptions_are_ignored() -> None:
    """Python ignores an exception raised in a gc callback or a `__del__` ("Exception ignored in ..."). A
    runaway template allocates a lot, so collections (and their callbacks) are frequent: the limit must keep
    firing until the work stops, not fire once. The loop here stops by itself after 20 s: the limit of 0.5 s
    must have stopped it long before (no bound on how long before: a busy machine delayed it past 2 s once,
    and a limit fired once and lost would not stop it at all)."""
    import gc
    import time

    from pipeline.errors import TemplateError
    from pipeline.limits import time_limit

    def slow_callback(phase: str, info: dict[str, int]) -> None:  # like hypothesis's gc_cumulative_time
        end = time.perf_counter() + 0.002
        while time.perf_counter() < end:
            pass

    gc.callbacks.append(slow_callback)
    started = time.monotonic()
    try:
        with (
            pytest.raises(TemplateError, match="stopped"),
            time_limit(0.5, lambda: TemplateError("stopped")),
        ):
            while time.monotonic() - started < 20:
                _ = [[] for _ in range(1000)]
    finally:
        gc.callbacks.remove(slow_callback)


def test_a_word_comment_in_the_template_builds(hostile: Hostile) -> None:
    """LibreOffice without its Writer dialogs (libreoffice-writer-nogui) crashed loading any comment."""

    def commented(path: Path) -> None:
        document = docx.Document()
        paragraph = document.add_paragraph("Case {{ case.number }}")
        document.add_comment(paragraph.runs, text="check the number", author="Para")
        document.save(str(path))

    hostile.write(files={"templates/appeal_letter.docx": commented})
    built = hostile.builds()
    assert built.warnings == [
        "cases/acme/templates/appeal_letter.docx: its Word comments were removed from the rendered "
        "appeal_letter.docx"
    ]
    assert "Case1:24-cv-02015" in built.text("appeal_letter")


@pytest.mark.parametrize("included", ["leak.txt", "sub/secret.txt"])
def test_a_template_cannot_include_a_file_through_a_link(hostile: Hostile, included: str) -> None:
    """A link in the case's templates/ folder (to a file, or to a folder) printed any file of the machine."""
    outside = hostile.tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("A secret of another program", encoding="utf-8")
    hostile.write(
        files={
            "templates/leak.txt": lambda path: path.symlink_to(outside / "secret.txt"),
            "templates/sub": lambda path: path.symlink_to(outside),
            "templates/cs_inquiry.html": BASE + f'<p>{{% include "{included}" %}}</p>' + END,
        }
    )
    hostile.fails(
        f"cases/acme/templates/{included}: a link to {outside / 'secret.txt'}, outside cases/acme/templates; "
        "copy the file itself into that folder instead of linking to it"
    )


def linked_pictures(path: Path, *targets: str, field: str = "") -> Path:
    """A Word template with a picture linked to each of `targets` (not inserted: Word's Insert and Link),
    and with `field`, an INCLUDEPICTURE field of that address showing the text "Old picture"."""
    import io
    import zipfile

    from tests.hostile.evidence import png_bytes

    document = docx.Document()
    document.add_paragraph("Case {{ case.number }}")
    for number, _ in enumerate(targets):
        document.add_picture(io.BytesIO(png_bytes((200 + number, 100))))
    if field:
        document.add_paragraph("FIELD")
    document.save(str(path))
    with zipfile.ZipFile(path) as package:
        parts = {
            name: package.read(name) for name in package.namelist() if not name.startswith("word/media/")
        }
    rels = parts["word/_rels/document.xml.rels"].decode()
    for number, target in enumerate(targets, 1):
        rels = rels.replace(f'Target="media/image{number}.png"', f'Target="{target}" TargetMode="External"')
    parts["word/_rels/document.xml.rels"] = rels.encode()
    body = parts["word/document.xml"].decode().replace("r:embed=", "r:link=")
    runs = (
        '<w:r><w:fldChar w:fldCharType="begin"/></w:r>'
        f'<w:r><w:instrText xml:space="preserve"> INCLUDEPICTURE "{field}" \\d </w:instrText></w:r>'
        '<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>Old picture</w:t></w:r>'
        '<w:r><w:fldChar w:fldCharType="end"/></w:r>'
    )
    parts["word/document.xml"] = body.replace("<w:r><w:t>FIELD</w:t></w:r>", runs).encode()
    with zipfile.ZipFile(path, "w") as package:
        for name, data in parts.items():
            package.writestr(name, data)
    return path


def test_a_word_template_loads_no_picture_from_outside(hostile: Hostile, listener: Listener) -> None:
    """A picture linked to a web address made LibreOffice fetch it; one linked to a file outside the case
    printed that file; the appeal_letter.docx sent to the platform kept the links."""
    from pypdf import PdfReader

    from tests.hostile.evidence import png_bytes

    private = hostile.tmp_path / "private.png"
    private.write_bytes(png_bytes((300, 200), "purple"))
    web = f"http://127.0.0.1:{listener.port}/x.png"
    hostile.write(
        files={
            "templates/appeal_letter.docx": lambda path: linked_pictures(
                path, web, private.as_uri(), field=f"http://127.0.0.1:{listener.port}/field.png"
            )
        }
    )
    built = hostile.builds()
    assert listener.seen == []
    shown = "cases/acme/templates/appeal_letter.docx"
    left_out = "; put such a picture into the template itself (in Word: Insert, Pictures, This Device)"
    assert built.warnings == [
        f"{shown}: left out what it links to outside itself ({web}){left_out}",
        f"{shown}: left out what it links to outside itself ({private.as_uri()}){left_out}",
        f'{shown}: the field “INCLUDEPICTURE "http://127.0.0.1:{listener.port}/field.png" \\d” was removed '
        "from the rendered appeal_letter.docx, as it loads a file or web address; put the picture or text "
        "itself into the template",
    ]
    assert [len(page.images) for page in PdfReader(built.output / "appeal_letter.pdf").pages] == [0]
    assert "Case1:24-cv-02015Oldpicture" in built.text("appeal_letter")
    letter = built.output / "appeal_letter.docx"
    assert [rel.target_ref for rel in docx.Document(str(letter)).part.rels.values() if rel.is_external] == []
