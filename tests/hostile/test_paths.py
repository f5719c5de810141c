"""Evidence paths: leaving the case folder (`../`, absolute, links pointing out) is refused with the entry
named; odd but honest names (Chinese, spaces, `#`, `%`, upper-case extensions) build; a file is taken for what
its content is, whatever its extension says."""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Callable
from pathlib import Path

import pytest

from pipeline.check import check_case
from pipeline.errors import EvidenceError
from pipeline.evidence import resolve_evidence, resolve_file
from pipeline.load import load_case
from tests import samples
from tests.conftest import flat
from tests.hostile import evidence as ev
from tests.hostile.conftest import FileMaker, Hostile, case_data, evidence

NOT_A_PDF = (
    "the file is named .pdf but is not a PDF (its content is not one); it may be damaged, or another kind "
    "of file renamed: open it in its program and save or export it again"
)


def pdf(text: str) -> Callable[[Path], object]:
    return lambda path: samples.text_pdf(path, [text])


def write_case(hostile: Hostile, files: dict[str, FileMaker], *entries: str) -> Path:
    data = case_data()
    data["evidence"] = evidence(*entries)
    return hostile.write(data, files=files)


def refused(hostile: Hostile, entry: str, message: str) -> None:
    hostile.fails(f"cases/acme/case.yaml:{hostile.line('- file:')}: evidence[0].file: {entry}: {message}")


@pytest.mark.parametrize(
    "entry", ["../outside.pdf", "evidence/../../outside.pdf", "evidence/..\\..\\outside.pdf"]
)
def test_a_path_that_climbs_out_of_the_case_folder(hostile: Hostile, entry: str) -> None:
    write_case(hostile, {}, entry)
    samples.text_pdf(hostile.folder.parent / "outside.pdf", ["Outside"])
    refused(hostile, entry, "the path leaves the case folder; copy the file into the case folder")


@pytest.mark.parametrize(
    "entry", ["/etc/passwd", "C:\\Users\\chen\\Desktop\\invoice.pdf", "\\\\server\\share\\x.pdf"]
)
def test_an_absolute_path(hostile: Hostile, entry: str) -> None:
    write_case(hostile, {}, entry)
    refused(hostile, entry, "an absolute path; give the path inside the case folder, e.g. evidence/x.pdf")


def test_a_link_to_a_file_outside(hostile: Hostile) -> None:
    outside = samples.text_pdf(hostile.tmp_path / "secret.pdf", ["Secret"])
    write_case(
        hostile, {"evidence/invoice.pdf": lambda path: path.symlink_to(outside)}, "evidence/invoice.pdf"
    )
    refused(
        hostile, "evidence/invoice.pdf", "a link to a file outside the case folder; copy the file in instead"
    )


def test_a_linked_folder_pointing_outside(hostile: Hostile) -> None:
    write_case(hostile, {"evidence/etc": lambda path: path.symlink_to("/etc")}, "evidence/etc/passwd")
    refused(
        hostile, "evidence/etc/passwd", "a link to a file outside the case folder; copy the file in instead"
    )


def test_a_linked_templates_folder_pointing_outside(hostile: Hostile) -> None:
    """Its templates, their includes and their pictures were all used, silently."""
    outside = hostile.tmp_path / "shared-templates"
    outside.mkdir()
    (outside / "cs_inquiry.html").write_text("<p>Another case's inquiry</p>", encoding="utf-8")
    write_case(hostile, {"templates": lambda path: path.symlink_to(outside)})
    hostile.fails(
        f"cases/acme/templates: a link to {outside}, outside the case folder; copy the templates into the "
        "case's own templates/ folder instead of linking to them"
    )


def test_a_folder_instead_of_a_file(hostile: Hostile) -> None:
    write_case(hostile, {"evidence/invoices/one.pdf": pdf("One")}, "evidence/invoices")
    refused(hostile, "evidence/invoices", "a folder, not a file")


def test_a_named_pipe_is_not_read(hostile: Hostile) -> None:
    write_case(hostile, {"evidence/stream.pdf": lambda path: os.mkfifo(path)}, "evidence/stream.pdf")
    refused(hostile, "evidence/stream.pdf", "not a regular file")


def test_every_bad_entry_is_named_at_once(hostile: Hostile) -> None:
    write_case(
        hostile, {"evidence/ok.pdf": pdf("Fine")}, "../a.pdf", "evidence/ok.pdf", "/b.pdf", "evidence/c.pdf"
    )
    lines = [hostile.line(f"file: {name}") for name in ("../a.pdf", "/b.pdf", "evidence/c.pdf")]
    hostile.fails(
        f"cases/acme/case.yaml:{lines[0]}: evidence[0].file: ../a.pdf: the path leaves the case folder; copy "
        "the file into the case folder\n"
        f"cases/acme/case.yaml:{lines[1]}: evidence[2].file: /b.pdf: an absolute path; give the path inside "
        "the case folder, e.g. evidence/x.pdf\n"
        f"cases/acme/case.yaml:{lines[2]}: evidence[3].file: evidence/c.pdf: no such file in acme/"
    )


@pytest.mark.parametrize(
    ("entry", "hint"),
    [
        ("evidence\\photo.JPG", "; did you mean evidence/photo.JPG?"),  # as Windows shows paths
        ("evidence/photo.jpg", "; did you mean evidence/photo.JPG?"),  # Linux tells capitals apart
        ("evidence\\other.jpg", "; write paths with / (evidence/photo.jpg), not \\"),
        # as a Chinese input method types it: half-width brackets, a full-width space, the folder left out
        ("evidence/发票(恒泰) 2024.jpg", "; did you mean evidence/发票（恒泰）　2024.JPG?"),
        ("发票（恒泰）　2024.JPG", "; did you mean evidence/发票（恒泰）　2024.JPG?"),
        ("scans/发票（恒泰）  2024.jpg", "; did you mean evidence/发票（恒泰）　2024.JPG?"),
        # Windows hides extensions, so the usual spelling is guessed; spaces around brackets come and go
        ("evidence/IMG_0001.jpg", "; did you mean evidence/IMG_0001.JPEG?"),
        ("evidence/scan.tif", "; did you mean evidence/scan.tiff?"),
        ("evidence/发票(恒泰)2024.jpeg", "; did you mean evidence/发票（恒泰）　2024.JPG?"),
        ("evidence/发票 （恒泰） 2024.jpg", "; did you mean evidence/发票（恒泰）　2024.JPG?"),
    ],
)
def test_a_name_not_found_says_what_was_probably_meant(hostile: Hostile, entry: str, hint: str) -> None:
    """A seller copying a path from Windows, or typing the extension in lower case, was told "no such
    file" of a file there in front of them."""
    image = lambda path: samples.image(path, format="JPEG")  # noqa: E731
    files: dict[str, FileMaker] = {
        "evidence/photo.JPG": image,
        "evidence/发票（恒泰）　2024.JPG": image,
        "evidence/IMG_0001.JPEG": image,
        "evidence/scan.tiff": lambda path: samples.image(path, format="TIFF"),
    }
    write_case(hostile, files, entry)
    refused(hostile, entry, f"no such file in acme/{hint}")


def test_a_name_stored_decomposed_is_found_by_its_composed_form(hostile: Hostile) -> None:
    """macOS stores `é` as `e` and an accent (NFD), while case.yaml has it as one character (NFC): the file
    was refused as "no such file ...; did you mean evidence/café 证书.pdf?", the same name to the eye."""
    composed = "evidence/Café 2024/café 证书.pdf"
    stored = unicodedata.normalize("NFD", composed)
    assert stored != composed
    write_case(hostile, {stored: pdf("Certificate stored decomposed")}, composed)
    built = hostile.builds()
    assert "Certificatestoreddecomposed" in built.exhibit_text(1)
    assert built.exhibits()[0]["file"] == composed
    assert not [line for line in built.warnings if "not listed" in line]
    assert check_case(hostile.folder).errors == []


UNLISTED_HINT = (
    "to add them, list them under evidence: in case.yaml (evidence/ 中有 {count} 个文件未列入 case.yaml 的 "
    "evidence:，不会放入证据包；如需加入，请在 evidence: 下列出)"
)


def test_the_files_of_evidence_not_listed_are_named_once(hostile: Hostile) -> None:
    """A photo copied into evidence/ and never listed in case.yaml was left out of the bundle without a
    word: an exhibit lost. What file browsers and editors leave there is no exhibit, nor is a link to a
    listed file (nor a file an entry names in other capitals: its entry's error says so)."""
    debris = [".DS_Store", "._photo.png", "Thumbs.db", "desktop.ini", "~$letter.docx", ".hidden/x.pdf"]
    forgotten = [f"evidence/photo {number}.png" for number in range(1, 5)]
    files: dict[str, FileMaker] = {
        "evidence/invoice.pdf": pdf("Listed"),
        "evidence/Scan.PDF": pdf("Listed in other capitals"),
        "evidence/link.pdf": lambda path: path.symlink_to("invoice.pdf"),
        "evidence/2024/发票.pdf": pdf("Forgotten in a folder"),
        "evidence/2024/合同.pdf": pdf("Forgotten too"),
        **{name: ev.png_bytes() for name in forgotten},
        **{f"evidence/{name}": b"debris" for name in debris},
        **{f"evidence/2024/{name}": b"debris" for name in debris},
    }
    write_case(hostile, files, "evidence/invoice.pdf", "./evidence/Scan.PDF")
    built = hostile.builds()
    warning = (
        f"{hostile.at('evidence:', 'evidence', '')}evidence/ holds 6 files not listed here, so not in the "
        "bundle: evidence/photo 1.png, evidence/photo 2.png, evidence/photo 3.png, evidence/photo 4.png, "
        f"evidence/2024/发票.pdf and 1 more; {UNLISTED_HINT.format(count=6)}"
    )
    assert [line for line in built.warnings if "not listed" in line] == [warning]
    assert check_case(hostile.folder).warnings == [warning]  # (in the folder the build ran in)


def test_one_file_named_twice_in_other_words_is_refused(hostile: Hostile) -> None:
    """`./evidence/x.pdf` beside `evidence/x.pdf` put the same invoice in the bundle as two exhibits."""
    write_case(hostile, {"evidence/x.pdf": pdf("Invoice")}, "evidence/x.pdf", "./evidence/x.pdf")
    line = hostile.line("file: ./evidence/x.pdf")
    hostile.fails(
        f"cases/acme/case.yaml:{line}: evidence[1].file: ./evidence/x.pdf: the same file as evidence/x.pdf; "
        "list each file once"
    )


def test_a_file_named_like_a_listed_one_is_named_and_windows_debris_is_not(
    hostile: Hostile, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A second photo spelt `.jpeg` beside the listed `photo.jpg`, and an invoice in other capitals beside
    the listed one, were passed over as the listed files misspelt (a reviewer's); the `:Zone.Identifier`
    files Windows leaves beside downloads copied into WSL, and ehthumbs.db, were named as evidence."""
    files: dict[str, FileMaker] = {
        "evidence/photo.jpg": ev.png_bytes(),
        "evidence/photo.jpeg": pdf("Another photo"),
        "evidence/invoice.pdf": pdf("Listed"),
        "evidence/Invoice.pdf": pdf("Another invoice"),
        "evidence/invoice.pdf:Zone.Identifier": b"[ZoneTransfer]\r\nZoneId=3\r\n",
        "evidence/ehthumbs.db": b"debris",
    }
    write_case(hostile, files, "evidence/photo.jpg", "evidence/invoice.pdf")
    monkeypatch.chdir(hostile.folder.parent.parent)  # (where the build runs)
    warning = (
        f"{hostile.at('evidence:', 'evidence', '')}evidence/ holds 2 files not listed here, so not in the "
        f"bundle: evidence/Invoice.pdf, evidence/photo.jpeg; {UNLISTED_HINT.format(count=2)}"
    )
    assert [line for line in check_case(hostile.folder).warnings if "not listed" in line] == [warning]


def test_one_file_copied_under_another_name_is_warned_of(hostile: Hostile) -> None:
    """`发票.pdf` and `发票 (1).pdf` (a second download of it) went into the bundle as two exhibits, without
    a word (found by a tester gathering a seller's evidence)."""
    invoice = pdf("Invoice")
    files = {"evidence/发票.pdf": invoice, "evidence/发票 (1).pdf": invoice, "evidence/x.pdf": pdf("Other")}
    write_case(hostile, files, "evidence/发票.pdf", "evidence/x.pdf", "evidence/发票 (1).pdf")
    built = hostile.builds()
    line = hostile.line("file: evidence/发票 (1).pdf")
    warning = (
        f"cases/acme/case.yaml:{line}: evidence[2].file: evidence/发票 (1).pdf holds the same content as "
        "evidence/发票.pdf (Exhibit 1), so the bundle shows it twice; list it once, or remove the copy "
        "(与 evidence/发票.pdf 内容完全相同，请只列一次)"
    )
    assert [line for line in built.warnings if "same content" in line] == [warning]
    assert [line for line in check_case(hostile.folder).warnings if "same content" in line] == [warning]


def test_a_file_that_cannot_be_read_is_named(hostile: Hostile, monkeypatch: pytest.MonkeyPatch) -> None:
    """It was "failed unexpectedly (PermissionError ...)", exit 70. (These tests run as root, who reads
    everything: the refusal is made to happen.)"""
    write_case(hostile, {"evidence/x.pdf": pdf("Invoice")}, "evidence/x.pdf")
    real_open = Path.open

    def refusing(path: Path, *args: object, **kwargs: object) -> object:
        if path.name == "x.pdf":
            raise PermissionError(13, "Permission denied")
        return real_open(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "open", refusing)
    with pytest.raises(EvidenceError) as raised:
        resolve_evidence(load_case(hostile.folder))
    assert str(raised.value).endswith(
        "evidence[0].file: evidence/x.pdf: the file cannot be read (Permission denied); check its permissions"
    )


def test_chinese_file_names(hostile: Hostile) -> None:
    names = ["evidence/发票 2024年1月.pdf", "evidence/聊天记录（客服）.txt", "evidence/销售记录.docx"]
    files: dict[str, FileMaker] = {
        names[0]: pdf("Invoice with a Chinese name"),
        names[1]: "客服聊天记录：商品已下架。",
        names[2]: lambda path: ev.word_file(path, "Sales records with a Chinese name"),
    }
    write_case(hostile, files, *names)
    built = hostile.builds()
    for number, (name, content) in enumerate(
        zip(
            names,
            ["InvoicewithaChinesename", "客服聊天记录：商品已下架。", "SalesrecordswithaChinesename"],
            strict=True,
        ),
        1,
    ):
        assert flat(name) in built.cover_text(number)
        assert content in built.exhibit_text(number)
    assert flat(Path(names[0]).name) in built.text("evidence_index")


def test_spaces_hashes_and_percent_signs(hostile: Hostile) -> None:
    names = [
        "evidence/invoice #3 (100% paid).pdf",
        "evidence/sales 50%off #2.docx",
        "evidence/note%20one.txt",
    ]
    files: dict[str, FileMaker] = {
        names[0]: pdf("Invoice number three"),
        names[1]: lambda path: ev.word_file(path, "Sales at half price"),
        names[2]: "A note with a percent-encoded name",
    }
    write_case(hostile, files, *names)
    built = hostile.builds()
    for number, (name, content) in enumerate(
        zip(names, ["Invoicenumberthree", "Salesathalfprice", "Anotewithapercent-encodedname"], strict=True),
        1,
    ):
        assert flat(name) in built.cover_text(number)
        assert content in built.exhibit_text(number)


def test_upper_case_extensions(hostile: Hostile) -> None:
    names = ["evidence/SCAN.PDF", "evidence/PHOTO.JPG", "evidence/NOTES.TXT", "evidence/LETTER.DOCX"]
    files: dict[str, FileMaker] = {
        names[0]: pdf("Scanned invoice"),
        names[1]: lambda path: samples.image(path, (400, 300), format="JPEG"),
        names[2]: "Notes in upper case",
        names[3]: lambda path: ev.word_file(path, "Letter in upper case"),
    }
    write_case(hostile, files, *names)
    built = hostile.builds()
    assert [flat(name) in built.cover_text(number) for number, name in enumerate(names, 1)] == [True] * 4
    assert "Scannedinvoice" in built.exhibit_text(1)
    assert len(built.images(2)) == 1
    assert "Notesinuppercase" in built.exhibit_text(3)
    assert "Letterinuppercase" in built.exhibit_text(4)
    assert not [line for line in built.warnings if "despite its name" in line]


def test_a_png_named_pdf_is_taken_as_the_image_it_is(hostile: Hostile) -> None:
    write_case(hostile, {"evidence/invoice.pdf": ev.png_bytes((400, 300))}, "evidence/invoice.pdf")
    built = hostile.builds()
    assert (
        "Exhibit 1 (evidence/invoice.pdf): the file is really an image despite its name; treated as such"
        in built.warnings
    )
    pictures = built.images(1)
    assert [picture.image.size for picture in pictures] == [(400, 300)]


def test_a_pdf_named_jpg_is_taken_as_the_pdf_it_is(hostile: Hostile) -> None:
    write_case(hostile, {"evidence/photo.jpg": pdf("Really a PDF")}, "evidence/photo.jpg")
    built = hostile.builds()
    assert "Exhibit 1 (evidence/photo.jpg): the file is really a PDF despite its name; treated as such" in (
        built.warnings
    )
    assert "ReallyaPDF" in built.exhibit_text(1)


def test_text_named_pdf_is_refused_by_its_content(hostile: Hostile) -> None:
    """It was told "not a kind of file build-appeal can put in a bundle; use PDF, ...": it is named .pdf."""
    write_case(hostile, {"evidence/invoice.pdf": "Not a PDF at all, just text."}, "evidence/invoice.pdf")
    hostile.fails(f"Exhibit 1 (evidence/invoice.pdf): {NOT_A_PDF}")


def test_a_file_of_evidence_is_found_before_a_big_folder_beside_it(tmp_path: Path) -> None:
    """The whole case folder is searched for a file named without its folder, 5,000 files at most: a
    downloads folder that sorts before evidence/ used them all, and the hint was lost."""
    case = tmp_path / "acme"
    (case / "evidence").mkdir(parents=True)
    (case / "evidence" / "product_photo.jpg").write_bytes(b"\xff\xd8 a photo")
    (case / "Downloads").mkdir()
    for number in range(5_100):
        (case / "Downloads" / f"{number}.txt").write_bytes(b"x")
    with pytest.raises(EvidenceError, match=r"did you mean evidence/product_photo\.jpg\?$"):
        resolve_file(case, "product_photo.jpg")
