"""Markup, template syntax and links typed where data goes: in every string field of case.yaml, in the
content and the names of evidence files. All of it prints literally; nothing is fetched, no file is read and
no connection is opened (a spy on WeasyPrint's URL fetcher, and a listening socket that must see nobody)."""

from __future__ import annotations

import re
import zipfile
from email.message import EmailMessage
from pathlib import Path

import docx
from pypdf import PdfReader

from tests import samples
from tests.conftest import docx_text, flat
from tests.hostile import evidence as ev
from tests.hostile.conftest import TEXT_FIELDS, FileMaker, Hostile, Listener, case_data, evidence, put


def payload(tag: str, port: int) -> str:
    """Jinja, HTML, a local file, a web address and CSS url(): each does something unless printed as text."""
    return (
        f"[{tag}] {{{{ 7*7 }}}} {{% if true %}}IF{{% endif %}} <script>alert('{tag}')</script> "
        f'<img src="file:///etc/passwd"> <link rel=stylesheet href=http://127.0.0.1:{port}/{tag}.css> '
        f"<style>p {{ background: url(http://127.0.0.1:{port}/{tag}.png) }}</style>"
    )


def no_leaks(outcome_text: str) -> None:
    assert "root:x:0:0" not in outcome_text, "/etc/passwd was read into a document"


def test_every_text_field_prints_markup_and_template_syntax_literally(
    hostile: Hostile, listener: Listener
) -> None:
    data = case_data(language="bilingual")
    data["evidence"] = evidence("evidence/invoice.pdf")
    for path in TEXT_FIELDS:
        put(data, path, payload(".".join(map(str, path)), listener.port))
    data["merchant"]["store_url"] = f"http://127.0.0.1:{listener.port}/{{{{7*7}}}}{{%if%}}url(x)"
    data["merchant"]["email"] = "chen{{7*7}}{%if%}@lumiere.example.cn"
    data["case"]["counsel"]["email"] = "a{{7*7}}url(x)@harbor.example.com"
    hostile.write(data, files={"evidence/invoice.pdf": lambda path: samples.text_pdf(path, ["Invoice"])})
    built = hostile.builds()

    texts = {name: built.text(name) for name in ("appeal_letter", "cs_inquiry", "evidence_index")}
    word = flat(docx_text(built.output / "appeal_letter.docx"))
    plain = flat((built.output / "cs_inquiry.txt").read_text(encoding="utf-8"))
    for path in TEXT_FIELDS:
        printed = flat(payload(".".join(map(str, path)), listener.port))
        where = {name for name, text in texts.items() if printed in text}
        assert where, f"{path} is not printed whole anywhere"  # whole: `{{ 7*7 }}` is there, not 49
        assert ("appeal_letter" in where) == (printed in word), path  # the Word file says what its PDF says
        assert ("cs_inquiry" in where) == (printed in plain), path
    everything = "".join(texts.values()) + word + plain
    for literal in (
        "{{7*7}}url(x)",
        "chen{{7*7}}{%if%}@lumiere.example.cn",
        "a{{7*7}}url(x)@harbor.example.com",
    ):
        assert literal in everything, literal
    no_leaks(everything)
    assert built.fetched == []
    assert listener.seen == []


def test_evidence_contents_print_literally(hostile: Hostile, listener: Listener) -> None:
    attack = payload("content", listener.port)
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = (
        "supplier@hengtai.example.cn",
        "chen@lumiere.example.cn",
        attack,
    )
    mail.set_content(
        f"<html><head><link rel=stylesheet href=http://127.0.0.1:{listener.port}/m.css></head><body>"
        f'<p>Dear Chen,</p><img src="http://127.0.0.1:{listener.port}/track.gif"><img src="file:///etc/passwd">'
        f"<script>alert(1)</script><p>the authorisation is attached.</p></body></html>",
        subtype="html",
    )  # an HTML-only mail: its markup is dropped as text, never rendered
    mail.add_attachment(b"%PDF-1.4", maintype="application", subtype="pdf", filename="<b>{{7*7}}</b>.pdf")
    data = case_data()
    data["evidence"] = evidence("evidence/notes.txt", "evidence/orders.csv", "evidence/mail.eml")
    quoted = attack.replace('"', '""')
    files: dict[str, FileMaker] = {
        "evidence/notes.txt": attack + "\n",
        "evidence/orders.csv": f'order,note\n1001,"{quoted}"\n',
        "evidence/mail.eml": mail.as_bytes(),
    }
    hostile.write(data, files=files)
    built = hostile.builds()
    assert flat(attack) in built.exhibit_text(1)
    assert flat(attack) in built.exhibit_text(2)
    message = built.exhibit_text(3)
    assert flat(attack) in message and "<b>{{7*7}}</b>.pdf" in message
    assert "DearChen," in message and "alert(1)" not in message
    no_leaks(built.text())
    assert built.fetched == []
    assert listener.seen == []


def test_markup_in_a_file_name_prints_literally(hostile: Hostile, listener: Listener) -> None:
    name = f"evidence/<img src=http:⁄⁄127.0.0.1:{listener.port} onerror=alert(1)> {{{{7*7}}}}.pdf"
    data = case_data()
    data["evidence"] = evidence(name)
    hostile.write(data, files={name: lambda path: samples.text_pdf(path, ["Invoice"])})
    built = hostile.builds()
    assert flat(name) in built.cover_text()
    assert flat(Path(name).name) in built.text("evidence_index")
    assert built.fetched == [] and listener.seen == []


def test_a_templates_own_links_are_refused_except_its_folder(hostile: Hostile, listener: Listener) -> None:
    """The template is the user's, so it may show its own logo; it may not read other files (not even through
    a link in its folder) or go online."""
    port = listener.port
    template = (
        '{% extends "base.html" %}{% block body %}<h1>Inquiry {{ case.number }}</h1>'
        '<img src="logo.png"><img src="seal.png"><img src="file:///etc/passwd">'
        f'<img src="http://127.0.0.1:{port}/pixel.png"><link rel=stylesheet href="http://127.0.0.1:{port}/s.css">'
        f"<style>h1 {{ background: url(http://127.0.0.1:{port}/bg.png) }}</style>"
        '<p style="background: url(/etc/hostname)">done</p>{% endblock %}'
    )
    outside = samples.image(hostile.tmp_path / "private.png", (50, 50), format="PNG")
    hostile.write(
        files={
            "templates/cs_inquiry.html": template,
            "templates/logo.png": ev.png_bytes((120, 40)),
            "templates/seal.png": lambda path: path.symlink_to(outside),
        }
    )
    built = hostile.builds()
    templates = (hostile.folder / "templates").resolve()
    refused = [
        ("stylesheet", f"http://127.0.0.1:{port}/s.css"),
        ("image", (templates / "seal.png").as_uri()),
        ("image", "file:///etc/passwd"),
        ("image", f"http://127.0.0.1:{port}/pixel.png"),
        ("image", f"http://127.0.0.1:{port}/bg.png"),
        ("image", "file:///etc/hostname"),
    ]
    assert sorted(built.fetched) == sorted([(templates / "logo.png").as_uri(), *(url for _, url in refused)])
    why = {  # (said in words: it was WeasyPrint's "Failed to load image at ...: ValueError: ...")
        url: f" (seal.png is a link to {outside.resolve()}); copy the file in instead of linking to it"
        if url.endswith("seal.png")
        else "; save a copy in the case's templates/ folder and use its name"
        for _, url in refused
    }
    assert sorted(built.warnings) == sorted(
        f"cs_inquiry.html: the {kind} {url} is left out: build-appeal fetches only files in the case and "
        f"template folders{why[url]}"
        for kind, url in refused
    )
    assert listener.seen == []
    assert "Inquiry1:24-cv-02015" in built.text("cs_inquiry")
    assert len(PdfReader(built.output / "cs_inquiry.pdf").pages[0].images) == 1  # the logo, nothing else


def linked_picture_docx(path: Path, target: str) -> Path:
    """A Word file whose picture is not stored in it but linked: Word fetches it when it opens the file."""
    document = docx.Document()
    document.add_paragraph("Supply contract with the manufacturer's stamp")
    document.add_picture(
        str(samples.image(path.with_name("stamp.png"), (200, 100), color="red", format="PNG"))
    )
    path.with_name("stamp.png").unlink()
    document.save(str(path))
    with zipfile.ZipFile(path) as archive:
        parts = {item.filename: archive.read(item) for item in archive.infolist()}
    relations = parts["word/_rels/document.xml.rels"].decode()
    parts["word/_rels/document.xml.rels"] = re.sub(
        r'Target="media/[^"]+"', f'Target="{target}" TargetMode="External"', relations
    ).encode()
    parts["word/document.xml"] = parts["word/document.xml"].replace(b"r:embed=", b"r:link=")
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in parts.items():
            if not name.startswith("word/media/"):
                archive.writestr(name, content)
    return path


def left_out(target: str) -> str:
    return (
        f"Exhibit 1 (evidence/contract.docx): left out what the file links to outside itself ({target}); put "
        "such a picture into the file, or add it as an exhibit of its own"
    )


def test_a_word_exhibit_cannot_reach_the_network(hostile: Hostile, listener: Listener) -> None:
    data = case_data()
    data["evidence"] = evidence("evidence/contract.docx")
    url = f"http://127.0.0.1:{listener.port}/stamp.png"
    hostile.write(data, files={"evidence/contract.docx": lambda path: linked_picture_docx(path, url)})
    built = hostile.builds()
    assert left_out(url) in built.warnings
    assert "Supplycontract" in built.exhibit_text()
    assert listener.seen == []


def test_a_word_exhibit_cannot_read_files_outside_the_case(hostile: Hostile) -> None:
    outside = samples.image(hostile.tmp_path / "private.png", (200, 100), color="red", format="PNG")
    data = case_data()
    data["evidence"] = evidence("evidence/contract.docx")
    hostile.write(
        data, files={"evidence/contract.docx": lambda path: linked_picture_docx(path, outside.as_uri())}
    )
    built = hostile.builds()
    assert left_out(outside.as_uri()) in built.warnings
    assert "Supplycontract" in built.exhibit_text()
    assert built.images() == []
