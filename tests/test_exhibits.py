"""Evidence of every kind becomes clean exhibit pages; what cannot is refused with the exhibit named."""

from __future__ import annotations

import base64
import io
import logging
import re
import struct
import subprocess
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from PIL import Image
from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    BooleanObject,
    DecodedStreamObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    NumberObject,
    PdfObject,
    TextStringObject,
)

from pipeline.build import BuildOptions, build
from pipeline.check import check_case
from pipeline.context import Exhibit
from pipeline.errors import EvidenceError
from pipeline.exhibits import (
    Kind,
    check_image,
    classify,
    font_warnings,
    prepare_image,
    prepare_pdf,
    read_text_exhibit,
)
from pipeline.office_copy import printable_copy
from tests import samples
from tests.conftest import EXAMPLE

EXHIBIT = Exhibit(3, "3", "Invoice", "", None, "", "", "evidence/file", "0" * 64)
NAME = "Exhibit 3 (evidence/file)"
RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


@pytest.fixture
def plain(tmp_path: Path) -> Path:
    return samples.text_pdf(tmp_path / "plain.pdf", ["First page text", "Second page text"])


HELVETICA = (
    f"{NAME}: font Helvetica is not embedded; a court may refuse it: print the file to PDF again with fonts "
    "embedded"
)


def prepared(source: Path, tmp_path: Path) -> tuple[PdfReader, list[str]]:
    """The exhibit as the build prepares it, with the warnings the build gives of it (those of its fonts
    once the bundle is written)."""
    reader, warnings = prepare_pdf(EXHIBIT, source, tmp_path / "out.pdf")
    return reader, warnings + font_warnings(reader.pages, NAME)


def pdf_dict(**entries: object) -> DictionaryObject:
    """A PDF dictionary from keyword entries: names for strings that start with /, else text."""

    def value(item: object) -> PdfObject:
        if isinstance(item, PdfObject):
            return item
        if isinstance(item, str):
            return NameObject(item) if item.startswith("/") else TextStringObject(item)
        if isinstance(item, list):
            return ArrayObject(value(part) for part in item)
        if isinstance(item, bool):
            return BooleanObject(item)
        if isinstance(item, int):
            return NumberObject(item)
        raise TypeError(item)

    return DictionaryObject({NameObject(f"/{key}"): value(item) for key, item in entries.items()})


def names_in(reader: PdfReader) -> set[str]:
    """Every key and name anywhere in the PDF's objects, reached from its trailer."""
    seen: set[int] = set()
    found: set[str] = set()
    pending: list[object] = [reader.trailer]
    while pending:
        item = pending.pop()
        if isinstance(item, IndirectObject):
            if item.idnum in seen:
                continue
            seen.add(item.idnum)
            item = item.get_object()
        if isinstance(item, DictionaryObject):
            found |= set(item.keys())
            pending += item.values()
        elif isinstance(item, ArrayObject):
            pending += item
        elif isinstance(item, NameObject):
            found.add(str(item))
    return found


def hostile_actions_pdf(source: Path, target: Path) -> Path:
    """Links whose actions run a script or a program after doing their job (/Next), a video player (a
    /Screen annotation) whose /Rendition action carries a script, and a sound that plays on the page."""
    script = pdf_dict(S="/JavaScript", JS="app.launchURL('http://127.0.0.1:9/');")
    launch = pdf_dict(S="/Launch", F="calc.exe")

    def add(writer: PdfWriter) -> None:
        top = [writer.pages[0].indirect_reference, "/Fit"]
        links = [
            pdf_dict(S="/URI", URI="https://example.com/", Next=script),
            pdf_dict(S="/GoTo", D=top, Next=[pdf_dict(S="/URI", URI="https://example.org/"), launch]),
        ]
        annotations = [
            pdf_dict(Type="/Annot", Subtype="/Link", Rect=[72, 700 - 30 * n, 300, 720 - 30 * n], A=action)
            for n, action in enumerate(links)
        ]
        annotations.append(
            pdf_dict(
                Type="/Annot",
                Subtype="/Screen",
                Rect=[72, 400, 300, 600],
                A=pdf_dict(S="/Rendition", OP=0, JS="this.media.openPlayer();"),
            )
        )
        annotations.append(pdf_dict(Type="/Annot", Subtype="/Sound", Rect=[72, 300, 92, 320]))  # plays itself
        page = writer.pages[0]
        page[NameObject("/Annots")] = ArrayObject(writer._add_object(item) for item in annotations)
        page[NameObject("/AA")] = pdf_dict(O=pdf_dict(S="/Sound", Sound="/None"))

    return samples.rewrite(source, target, add)


def test_scripts_programs_and_media_in_action_chains_are_removed(plain: Path, tmp_path: Path) -> None:
    """A link's /Next ran JavaScript, a /Screen annotation played media with a script: both reached the
    bundle, without a warning, as the file was judged clean by its first actions alone."""
    reader, warnings = prepared(hostile_actions_pdf(plain, tmp_path / "actions.pdf"), tmp_path)
    assert not {"/JS", "/JavaScript", "/Launch", "/Rendition", "/Sound", "/Screen", "/AA"} & names_in(reader)
    links = [annotation.get_object()["/A"].get_object() for annotation in reader.pages[0]["/Annots"]]
    assert links[0] == pdf_dict(S="/URI", URI="https://example.com/")  # still a working link
    assert links[1]["/S"] == "/GoTo" and links[1]["/D"][0] == reader.pages[0].indirect_reference
    assert links[1]["/Next"] == [pdf_dict(S="/URI", URI="https://example.org/")]  # the program left out
    assert warnings == [
        f"{NAME}: JavaScript was removed (court filing systems refuse it)",
        f"{NAME}: links that start a program, open another file or an attached one, or send form data were "
        "removed (court filing systems refuse them)",
        f"{NAME}: audio, video or 3D content was removed (court filing systems refuse it)",
    ]


def test_a_script_run_after_a_link_is_removed_from_a_pdf_clean_otherwise(plain: Path, tmp_path: Path) -> None:
    """Such a PDF was judged usable as it is, by its link's first action."""
    script = pdf_dict(S="/JavaScript", JS="app.alert('hello');")
    action = pdf_dict(S="/URI", URI="https://example.com/", Next=[script])

    def add(writer: PdfWriter) -> None:
        link = pdf_dict(Type="/Annot", Subtype="/Link", Rect=[72, 700, 300, 720], A=action)
        writer.pages[0][NameObject("/Annots")] = ArrayObject([writer._add_object(link)])

    reader, warnings = prepared(samples.rewrite(plain, tmp_path / "link.pdf", add), tmp_path)
    assert reader.pages[0]["/Annots"][0].get_object()["/A"] == pdf_dict(S="/URI", URI="https://example.com/")
    assert warnings == [f"{NAME}: JavaScript was removed (court filing systems refuse it)"]


def test_a_link_that_runs_a_script_or_opens_a_file_is_removed(plain: Path, tmp_path: Path) -> None:
    """A link whose web address is `javascript:app.alert(1)` reached the bundle, without a warning: only
    the action's type (a /URI, a web address) was looked at (found by a probe of hostile evidence). So did
    one to `file:///etc/passwd`, a Windows share, `ms-msdt:` (which runs a program). Links to a web page
    or an email address stay."""
    addresses = [
        "javascript:app.alert(1)",
        " Java\tScript :void(0)",
        "file:///etc/passwd",
        "\\\\attacker\\share\\evil.pdf",
        "ms-msdt:/id PCWDiagnostic",
        "smb://attacker/x.exe",
        "https://example.com/",
        "mailto:ip@example.com",
        "www.example.com",
    ]

    def add(writer: PdfWriter) -> None:
        links = [
            pdf_dict(Type="/Annot", Subtype="/Link", Rect=[72, 700 - 30 * i, 300, 720 - 30 * i], A=action)
            for i, action in enumerate(pdf_dict(S="/URI", URI=address) for address in addresses)
        ]
        writer.pages[0][NameObject("/Annots")] = ArrayObject(writer._add_object(link) for link in links)

    reader, warnings = prepared(samples.rewrite(plain, tmp_path / "links.pdf", add), tmp_path)
    kept = [annotation.get_object()["/A"]["/URI"] for annotation in reader.pages[0]["/Annots"]]
    assert kept == ["https://example.com/", "mailto:ip@example.com", "www.example.com"]
    assert warnings == [
        f"{NAME}: JavaScript was removed (court filing systems refuse it)",
        f"{NAME}: links that start a program, open another file or an attached one, or send form data were "
        "removed (court filing systems refuse them)",
    ]


def form_without_appearances(source: Path, target: Path, fields: dict[str, object]) -> Path:
    """A PDF with filled fields that have no appearance of their own, as form fillers other than Adobe's
    leave them (/NeedAppearances asks the viewer to draw the values): a text field for a text value, a
    check box for a name."""

    def add(writer: PdfWriter) -> None:
        widgets = ArrayObject()
        for row, (name, value) in enumerate(fields.items()):
            kind = "/Btn" if isinstance(value, str) and value.startswith("/") else "/Tx"
            widget = pdf_dict(
                Type="/Annot",
                Subtype="/Widget",
                FT=kind,
                T=name,
                V=value,
                DA=TextStringObject("/Helv 12 Tf 0 g"),
                Rect=[100, 600 - 40 * row, 400, 624 - 40 * row],
            )
            widgets.append(writer._add_object(widget))
        writer.pages[0][NameObject("/Annots")] = widgets
        writer.root_object[NameObject("/AcroForm")] = pdf_dict(Fields=widgets, NeedAppearances=True)

    return samples.rewrite(source, target, add)


def test_a_filled_field_without_an_appearance_keeps_its_value(plain: Path, tmp_path: Path) -> None:
    """The value of a field with no appearance stream was lost in flattening, under a warning that said the
    fields were flattened into the page."""
    form = form_without_appearances(plain, tmp_path / "form.pdf", {"name": "Filled value"})
    reader, warnings = prepared(form, tmp_path)
    assert "/AcroForm" not in reader.trailer["/Root"] and "/Widget" not in names_in(reader)
    assert "Filled value" in reader.pages[0].extract_text()
    printed = subprocess.run(
        ["pdftotext", str(tmp_path / "out.pdf"), "-"], capture_output=True, text=True, check=True
    )
    assert "Filled value" in printed.stdout
    assert warnings == [
        f"{NAME}: form fields were flattened into the page (court filing systems refuse forms)",
        HELVETICA,  # pypdf draws the value in the form's font, Helvetica
    ]


def test_a_field_value_that_cannot_be_drawn_is_named(plain: Path, tmp_path: Path) -> None:
    """A check box has no text to draw, and Helvetica has no Chinese letters: those values are not in the
    bundle (or come out as ?), and the warning says which field."""
    fields: dict[str, object] = {"agree": "/Yes", "buyer": "张三", "name": "Filled value"}
    reader, warnings = prepared(form_without_appearances(plain, tmp_path / "form.pdf", fields), tmp_path)
    assert "Filled value" in reader.pages[0].extract_text()
    lost = (
        '{}: form field "{}" is filled in, but its value could not be put on the page, so it is missing from '
        "the bundle or shown wrong; open the file in a PDF reader, print it to a new PDF and use that file"
    )
    assert warnings == [
        f"{NAME}: form fields were flattened into the page (court filing systems refuse forms)",
        lost.format(NAME, "agree"),
        lost.format(NAME, "buyer"),
        HELVETICA,
    ]


def letterhead(tmp_path: Path, text: str) -> Path:
    """A one-page letter as WeasyPrint (and browsers' "Save as PDF") write pages: its content flips the
    coordinates at its start and never flips them back."""
    from weasyprint import HTML

    source = tmp_path / "letterhead.pdf"
    HTML(string=f"<p style='font-family: Noto Sans CJK SC'>{text}</p>").write_pdf(source)
    assert re.match(rb"\s*1 0 0 -1 0 [\d.]+ cm", PdfReader(source).pages[0].get_contents().get_data())
    return source


def words_at(pdf: Path, word: str) -> list[tuple[float, float]]:
    """Where `word` is printed on the first page: the left and the top of each, in points from the page's
    top left (as pdftotext -bbox gives them)."""
    boxes = subprocess.run(
        ["pdftotext", "-bbox", "-l", "1", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    pattern = rf'<word xMin="([\d.]+)" yMin="([\d.]+)"[^>]*>{re.escape(word)}</word>'
    return [(float(x), float(y)) for x, y in re.findall(pattern, boxes)]


def test_a_field_on_a_page_that_leaves_its_coordinates_flipped_is_drawn_in_its_place(tmp_path: Path) -> None:
    """The values were drawn after the page's content, in the coordinates it left: upside down at the top
    of the page, over the letterhead, not in their fields at the foot."""
    source = letterhead(tmp_path, "Lumiere Home Ltd")
    form = form_without_appearances(source, tmp_path / "form.pdf", {"signed": "Signatory"})
    reader, warnings = prepared(form, tmp_path)
    height = float(reader.pages[0].mediabox.height)
    [(left, top)] = words_at(tmp_path / "out.pdf", "Signatory")
    assert 95 < left < 110 and height - 624 - 5 < top < height - 600  # in the field: Rect [100 600 400 624]
    assert warnings == [
        f"{NAME}: form fields were flattened into the page (court filing systems refuse forms)",
        HELVETICA,
    ]


def test_a_value_the_page_prints_already_but_drawn_as_question_marks_is_named(tmp_path: Path) -> None:
    """The company's name the letter prints is no proof that its field's value was drawn: Helvetica has no
    Chinese letters, the value came out as ??????????? and no warning said so."""
    source = letterhead(tmp_path, "东莞市恒泰电器有限公司")
    fields: dict[str, object] = {"授权方": "东莞市恒泰电器有限公司", "by": "Lumiere"}
    reader, warnings = prepared(form_without_appearances(source, tmp_path / "form.pdf", fields), tmp_path)
    assert "Lumiere" in reader.pages[0].extract_text()
    assert warnings == [
        f"{NAME}: form fields were flattened into the page (court filing systems refuse forms)",
        f'{NAME}: form field "授权方" is filled in, but its value could not be put on the page, so it is '
        "missing from the bundle or shown wrong; open the file in a PDF reader, print it to a new PDF and "
        "use that file",
        HELVETICA,
    ]


def test_a_font_that_is_not_embedded_is_named(tmp_path: Path) -> None:
    """A page drawn in standard Helvetica that the file does not carry went into the bundle unremarked."""
    writer = PdfWriter()
    page = writer.add_blank_page(612, 792)
    font = pdf_dict(Type="/Font", Subtype="/Type1", BaseFont="/Helvetica")
    page[NameObject("/Resources")] = pdf_dict(Font=pdf_dict(F1=writer._add_object(font)))
    contents = DecodedStreamObject()
    contents.set_data(b"BT /F1 24 Tf 72 700 Td (Printed with a standard font) Tj ET")
    page[NameObject("/Contents")] = writer._add_object(contents)
    source = tmp_path / "helvetica.pdf"
    writer.write(source)
    listed = subprocess.run(["pdffonts", str(source)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"^Helvetica .* no +no ", listed, re.M)  # emb no (and sub no)
    reader, warnings = prepared(source, tmp_path)
    assert reader.pages[0].extract_text() == "Printed with a standard font"
    assert warnings == [HELVETICA]


def test_a_pdf_is_kept_as_text(plain: Path, tmp_path: Path) -> None:
    reader, warnings = prepared(plain, tmp_path)
    assert [page.extract_text() for page in reader.pages] == ["First page text", "Second page text"]
    assert warnings == []


def test_an_empty_password_pdf_is_decrypted(plain: Path, tmp_path: Path) -> None:
    reader, warnings = prepared(
        samples.encrypted_pdf(plain, tmp_path / "e.pdf", user="", owner="own"), tmp_path
    )
    assert not reader.is_encrypted
    assert reader.pages[1].extract_text() == "Second page text"
    assert warnings == [
        f"{NAME}: the PDF was locked against changes (it opens without a password); the copy in the bundle "
        "is unlocked"
    ]


def test_a_pdf_needing_a_password_is_refused(plain: Path, tmp_path: Path) -> None:
    locked = samples.encrypted_pdf(plain, tmp_path / "locked.pdf", user="secret", owner="own")
    with pytest.raises(
        EvidenceError, match=rf"^{re.escape(NAME)}: the PDF is protected by a password; open it, print it"
    ):
        prepare_pdf(EXHIBIT, locked, tmp_path / "out.pdf")


def test_a_form_is_flattened_into_the_page(plain: Path, tmp_path: Path) -> None:
    reader, warnings = prepared(samples.form_pdf(plain, tmp_path / "form.pdf"), tmp_path)
    page = reader.pages[0]
    assert "/AcroForm" not in reader.trailer["/Root"]
    assert not [a for a in page.get("/Annots", []) if a.get_object().get("/Subtype") == "/Widget"]
    assert "FIELDVALUE" in page.extract_text()  # the field's value is still printed
    assert warnings == [
        f"{NAME}: form fields were flattened into the page (court filing systems refuse forms)",
        HELVETICA,  # the sample's field is drawn in Helvetica, not embedded
    ]


def test_javascript_is_dropped(plain: Path, tmp_path: Path) -> None:
    reader, warnings = prepared(samples.javascript_pdf(plain, tmp_path / "js.pdf"), tmp_path)
    assert "/OpenAction" not in reader.trailer["/Root"]
    assert warnings == [f"{NAME}: JavaScript was removed (court filing systems refuse it)"]


def test_attachments_are_dropped(plain: Path, tmp_path: Path) -> None:
    reader, warnings = prepared(samples.attachment_pdf(plain, tmp_path / "att.pdf"), tmp_path)
    assert reader.attachments == {}
    assert warnings == [f"{NAME}: embedded attachments were removed; add them as exhibits of their own"]


@pytest.mark.parametrize("damage", [samples.truncated_pdf, samples.broken_xref_pdf])
def test_a_damaged_pdf_is_repaired(plain: Path, tmp_path: Path, damage: object) -> None:
    reader, warnings = prepared(damage(plain, tmp_path / "damaged.pdf"), tmp_path)  # type: ignore[operator]
    assert [page.extract_text() for page in reader.pages] == ["First page text", "Second page text"]
    assert len(warnings) == 1 and warnings[0].startswith(
        f"{NAME}: the PDF was damaged and has been repaired ("
    )


@pytest.mark.parametrize(
    ("where", "said"),
    [
        ("inside the content of page 2", "page 2 is likely incomplete"),
        ("inside page 2", "1 page is missing"),
        ("after every page", "pages may be missing or incomplete"),
    ],
)
def test_a_pdf_cut_short_says_which_pages_are_likely_incomplete(
    plain: Path, tmp_path: Path, where: str, said: str
) -> None:
    """An interrupted download: page 2 came out drawing nothing, or was left out, with only "the PDF was
    damaged and has been repaired (EOF marker not found)"."""
    whole = samples.classic(plain)
    second = PdfReader(io.BytesIO(whole)).pages[1]
    content = second["/Contents"].indirect_reference
    page = second.indirect_reference
    assert content is not None and page is not None
    offsets = {
        number: whole.index(f"\n{number} 0 obj".encode()) + 1 for number in (content.idnum, page.idnum)
    }
    cut = {
        "inside the content of page 2": offsets[content.idnum] + 40,
        "inside page 2": offsets[page.idnum] + 20,
        "after every page": whole.rindex(b"\nxref") + 1,
    }[where]
    source = tmp_path / "download.pdf"
    source.write_bytes(whole[:cut])
    reader, warnings = prepared(source, tmp_path)
    assert len(reader.pages) == (1 if said == "1 page is missing" else 2)
    assert warnings == [
        f"{NAME}: the PDF was damaged and has been repaired (EOF marker not found); the file looks cut "
        f"short, as an interrupted download leaves it, so {said}: download it again and compare it with the "
        "original"
    ]


def test_a_pdf_beyond_repair_is_named(tmp_path: Path) -> None:
    junk = tmp_path / "junk.pdf"
    junk.write_bytes(b"%PDF-1.7\n" + b"garbage " * 100)
    with pytest.raises(
        EvidenceError, match=rf"^{re.escape(NAME)}: the PDF (is damaged beyond repair|has no pages)"
    ):
        prepare_pdf(EXHIBIT, junk, tmp_path / "out.pdf")


def test_a_pdf_cut_short_beyond_repair_is_told_to_be_downloaded_again(tmp_path: Path) -> None:
    """The example's invoice cut at two thirds (an interrupted download) was refused with "scan or print it
    again", when a copy of the whole file is what is needed (found by a probe checking the fixes)."""
    whole = (EXAMPLE / "evidence" / "invoice_hengtai_2024-01.pdf").read_bytes()
    cut = tmp_path / "cut.pdf"
    cut.write_bytes(whole[: len(whole) * 2 // 3])
    with pytest.raises(EvidenceError) as refused:
        prepare_pdf(EXHIBIT, cut, tmp_path / "out.pdf")
    assert str(refused.value).endswith(
        "the file looks cut short, as an interrupted download leaves it: download it again and compare it "
        "with the original"
    )


def image_pages(source: Path, tmp_path: Path) -> tuple[PdfReader, list[str]]:
    target = tmp_path / "image.pdf"
    warnings = prepare_image(EXHIBIT, source, target)
    return PdfReader(target), warnings


def test_a_jpeg_is_embedded_byte_for_byte(tmp_path: Path) -> None:
    source = tmp_path / "photo.jpg"
    source.write_bytes(samples.jpeg_bytes())
    reader, warnings = image_pages(source, tmp_path)
    assert len(reader.pages) == 1 and warnings == []
    assert reader.pages[0].images[0].data == source.read_bytes()  # no quality lost
    assert [float(v) for v in reader.pages[0].mediabox[2:]] == [792, 612]  # wider than tall: landscape


def test_exif_orientation_is_applied(tmp_path: Path) -> None:
    reader, _ = image_pages(samples.exif_rotated_jpeg(tmp_path / "turned.jpg"), tmp_path)
    page = reader.pages[0]
    picture = page.images[0].image
    assert picture is not None
    assert picture.size == (200, 400)  # upright: taller than wide
    red, green, _ = picture.convert("RGB").getpixel((100, 20))  # type: ignore[misc]
    assert red > 150 and green < 80  # the red half is now on top
    assert page.rotation == 0


def test_transparency_is_flattened_on_white(tmp_path: Path) -> None:
    source = samples.image(tmp_path / "clear.png", mode="RGBA", color=(0, 0, 0, 0))
    reader, _ = image_pages(source, tmp_path)
    picture = reader.pages[0].images[0].image
    assert picture is not None and picture.mode == "RGB"
    assert picture.getpixel((5, 5)) == (255, 255, 255)


@pytest.mark.parametrize(("name", "mode"), [("scan.png", "I;16"), ("scan.tif", "I;16"), ("scan.tif", "F")])
def test_a_16_bit_grey_scan_keeps_its_levels(tmp_path: Path, name: str, mode: str) -> None:
    """Scanners write 16-bit grey; Pillow's conversion clipped every level above 255 to white, and the scan
    came out as a blank page without a word."""
    levels = [0, 8_000, 30_000, 65_535] if mode == "I;16" else [0.0, 0.125, 0.5, 1.0]
    scan = Image.new(mode, (4, 1))
    scan.putdata(levels)
    scan.resize((400, 100), Image.Resampling.NEAREST).save(tmp_path / name)
    reader, _ = image_pages(tmp_path / name, tmp_path)
    picture = reader.pages[0].images[0].image
    assert picture is not None and picture.mode == "L"
    shown = [picture.getpixel((50 + 100 * band, 50)) for band in range(4)]
    expected = [0, 31, 117, 255] if mode == "I;16" else [0, 31, 127, 255]
    assert all(abs(level - want) <= 1 for level, want in zip(shown, expected, strict=True)), shown


@pytest.mark.parametrize(
    ("name", "kind", "animated"),
    [
        ("scan.tif", "TIFF", None),
        ("clip.gif", "GIF", "GIF"),
        ("clip.webp", "WEBP", "WebP image"),  # (each frame was a page, without a word)
        ("clip.png", "PNG", "PNG (APNG)"),
    ],
)
def test_every_tiff_frame_is_a_page_and_an_animation_shows_its_first(
    tmp_path: Path, name: str, kind: str, animated: str | None
) -> None:
    reader, warnings = image_pages(samples.multi_frame(tmp_path / name, 3, kind), tmp_path)
    if animated is None:
        assert len(reader.pages) == 3 and warnings == []
    else:
        assert len(reader.pages) == 1
        assert warnings == [f"{NAME}: an animated {animated}; only its first frame is in the bundle"]


def test_a_phone_photo_with_a_preview_is_one_page(tmp_path: Path) -> None:
    """Phones save photos as MPO, a JPEG followed by a preview or a depth map, which Pillow reads as more
    frames: each was a page of its own."""
    photo, preview = Image.new("RGB", (800, 600), "red"), Image.new("RGB", (160, 120), "blue")
    photo.save(tmp_path / "photo.jpg", format="MPO", save_all=True, append_images=[preview])
    reader, warnings = image_pages(tmp_path / "photo.jpg", tmp_path)
    assert len(reader.pages) == 1 and warnings == []
    assert [image.image.size for image in reader.pages[0].images] == [(800, 600)]


@pytest.mark.parametrize(
    ("name", "options"),
    [
        ("a.webp", {"format": "WEBP"}),
        ("a.bmp", {"format": "BMP"}),
        ("a.png", {"format": "PNG"}),
        ("cmyk.jpg", {"format": "JPEG"}),
    ],
)
def test_other_image_kinds_give_one_page(tmp_path: Path, name: str, options: dict[str, str]) -> None:
    mode = "CMYK" if name.startswith("cmyk") else "RGB"
    reader, warnings = image_pages(
        samples.image(tmp_path / name, mode=mode, color="red", **options), tmp_path
    )
    assert len(reader.pages) == 1 and warnings == []


def flat_jpeg(path: Path, width: int, height: int) -> Path:
    """A valid grey JPEG of any size, of one level, small on disk (a 200-megapixel one is 0.8 MB) and made at
    once: every 8x8 block is two bits, "no change" and "end of block", of one-code Huffman tables."""

    def segment(marker: bytes, data: bytes) -> bytes:
        return marker + struct.pack(">H", len(data) + 2) + data

    def one_code(table: int) -> bytes:  # one code of one bit, for symbol 0
        return bytes([table, 1] + [0] * 15 + [0])

    blocks = -(-width // 8) * -(-height // 8)
    path.write_bytes(
        b"\xff\xd8"
        + segment(b"\xff\xdb", b"\x00" + b"\x01" * 64)
        + segment(b"\xff\xc0", struct.pack(">BHHB", 8, height, width, 1) + b"\x01\x11\x00")
        + segment(b"\xff\xc4", one_code(0x00) + one_code(0x10))
        + segment(b"\xff\xda", b"\x01\x01\x00\x00\x3f\x00")
        + b"\x00" * -(-blocks // 4)
        + b"\xff\xd9"
    )
    return path


def test_a_200_megapixel_phone_photo_is_put_on_its_page(tmp_path: Path) -> None:
    """16320 x 12240, as Samsung's and Xiaomi's 200 MP modes take them: refused as "too large to open
    safely ... could be decompression bomb DOS attack". Decoded at a quarter of its size, still more than a
    page shows."""
    reader, warnings = image_pages(flat_jpeg(tmp_path / "photo.jpg", 16320, 12240), tmp_path)
    (page,) = reader.pages
    assert [float(v) for v in page.mediabox[2:]] == [792, 612]
    picture = page.images[0].image
    assert picture is not None and picture.size == (4080, 3060) and picture.getextrema() == (128, 128)
    assert warnings == [
        f"{NAME}: the photo is 16320×12240 pixels (200 megapixels); the bundle holds it at 4080×3060, more "
        "than its page shows"
    ]
    assert Image.MAX_IMAGE_PIXELS == 89_478_485  # Pillow's guard as it was


@pytest.mark.parametrize(
    ("make", "said"),
    [
        (
            lambda path: samples.png_bomb(path.with_suffix(".png")),
            "40000×40000 pixels (1600 megapixels), more than the 179 megapixels the build opens; save a "
            "smaller copy, at most 13377×13377",
        ),
        (
            lambda path: flat_jpeg(path.with_suffix(".jpg"), 30000, 20000),
            "30000×20000 pixels (600 megapixels), more than the 358 megapixels the build opens; save a "
            "smaller copy, at most 23170×15446",
        ),
    ],
)
def test_an_image_of_too_many_pixels_is_refused_saying_how_large_a_copy_is_taken(
    tmp_path: Path, make: Callable[[Path], Path], said: str
) -> None:
    """It said "too large to open safely; resize it (Image size (1600000000 pixels) exceeds limit of
    178956970 pixels, could be decompression bomb DOS attack.)": how large, and how small to make it?"""
    with pytest.raises(EvidenceError) as refused:
        prepare_image(EXHIBIT, make(tmp_path / "bomb"), tmp_path / "out.pdf")
    assert str(refused.value) == f"{NAME}: the image is {said}"
    assert Image.MAX_IMAGE_PIXELS == 89_478_485  # the guard stays on


def test_check_refuses_an_image_the_build_refuses_and_takes_a_200_megapixel_photo(
    make_case: Callable[..., Path],
) -> None:
    """`build-appeal check` said ok of a case whose build then refused the screenshot."""
    folder = make_case()
    samples.png_bomb(folder / "evidence" / "listing_screenshot.png")
    flat_jpeg(folder / "evidence" / "product_photo.jpg", 16320, 12240)
    report = check_case(folder)
    found = [error for error in report.errors if "evidence/" in error]
    assert len(found) == 1 and re.fullmatch(
        r"Exhibit \d+ \(evidence/listing_screenshot\.png\): the image is 40000×40000 pixels "
        r"\(1600 megapixels\), more than the 179 megapixels the build opens; save a smaller copy, at most "
        r"13377×13377",
        found[0],
    )


def test_a_very_tall_screenshot_is_cut_into_readable_pages(tmp_path: Path) -> None:
    reader, _ = image_pages(samples.image(tmp_path / "tall.png", size=(800, 20000), format="PNG"), tmp_path)
    assert len(reader.pages) == 20  # 20000 px at 800 px wide: page-high slices of 1028 px (7 in by 9 in)
    widths = {picture.image.size[0] for page in reader.pages for picture in page.images if picture.image}
    assert widths == {800}  # full width on every page: nothing scaled down to unreadable


def test_a_long_chat_screenshot_is_cut_between_lines_each_slice_at_the_top_of_its_page(
    tmp_path: Path,
) -> None:
    """A WeChat long screenshot was cut every 1028 px, through lines of text, and its last, short slice
    floated in the middle of its page."""
    chat = Image.new("RGB", (800, 6000), (237, 237, 237))
    for top in range(10, 6000, 50):  # a line of "text" 30 px high every 50 px: no row of it of one colour
        for left in range(40, 760, 14):
            chat.paste((20, 20, 20), (left, top, left + 7, top + 30))
    chat.save(tmp_path / "chat.png")
    reader, _ = image_pages(tmp_path / "chat.png", tmp_path)
    slices = [page.images[0].image for page in reader.pages]
    assert all(part is not None and part.width == 800 for part in slices)
    assert sum(part.height for part in slices if part) == 6000
    assert all(part.height <= 1028 for part in slices if part)  # page-high at most: all at one scale
    for part in slices:
        assert part is not None
        for row in (0, part.height - 1):  # each cut in a gap between lines
            assert part.crop((0, row, 800, row + 1)).getextrema() == ((237, 237),) * 3
    for page in reader.pages:
        contents = page.get_contents()
        assert contents is not None
        _, _, _, height, _, bottom = next(
            operands for operands, operator in contents.operations if operator == b"cm"
        )
        assert float(bottom) + float(height) == pytest.approx(792 - 72)  # at the top margin


def test_a_corrupt_image_is_named(tmp_path: Path) -> None:
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(samples.jpeg_bytes()[:200])
    with pytest.raises(
        EvidenceError, match=rf"^{re.escape(NAME)}: the image cannot be read \(.*\); is it damaged\?"
    ):
        prepare_image(EXHIBIT, broken, tmp_path / "out.pdf")


def test_a_1x1_image_is_a_page(tmp_path: Path) -> None:
    reader, _ = image_pages(samples.image(tmp_path / "dot.png", size=(1, 1), format="PNG"), tmp_path)
    assert len(reader.pages) == 1


def test_the_kind_comes_from_the_content(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    liar = samples.image(tmp_path / "scan.pdf", format="PNG")
    with caplog.at_level(logging.WARNING):
        assert classify(EXHIBIT, liar) == Kind.IMAGE
    assert f"{NAME}: the file is really an image despite its name; treated as such" in caplog.messages
    upper = samples.image(tmp_path / "PHOTO.JPG", format="JPEG")
    assert classify(EXHIBIT, upper) == Kind.IMAGE


def test_an_unknown_kind_is_refused(tmp_path: Path) -> None:
    odd = tmp_path / "video.mp4"
    odd.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 100)
    with pytest.raises(
        EvidenceError, match=rf"^{re.escape(NAME)}: not a kind of file build-appeal can put in a bundle"
    ):
        classify(EXHIBIT, odd)


HEIC = struct.pack(">I", 24) + b"ftypheic" + b"\0" * 4 + b"mif1heic" + b"\0" * 200
OLE = b"\xd0\xcf\x11\xe0" + b"\0" * 100
AS_JPEG = (
    "an iPhone HEIC photo; send it as JPEG (on the iPhone: Settings > Camera > Formats > Most Compatible), "
    "or export it as JPEG (苹果HEIC照片：请在“设置 > 相机 > 格式”中选择“兼容性最佳”，或将照片导出为JPEG)"
)
E_INVOICE = (
    "download the PDF version of the e-invoice (电子发票), or print it to PDF "
    "(请下载电子发票的PDF版本，或打印为PDF)"
)
OFD = f"an OFD file, the Chinese e-invoice format, which no PDF reader opens; {E_INVOICE}"
WPS = "a WPS Office file; open it in WPS and save it as {0} (File > Save As) (请在WPS中“另存为” {0} 格式)"
LOCK = (
    "Word's temporary lock file, not the document: list evidence/{} instead "
    "(Word 打开文件时生成的临时锁定文件，不是文件本身)"
)


def _ofd() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("OFD.xml", '<?xml version="1.0"?><ofd:OFD xmlns:ofd="http://www.ofdspec.org/2016"/>')
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("IMG_1234.HEIC", HEIC, AS_JPEG),
        ("IMG_1234.jpg", HEIC, AS_JPEG),  # (known by its content, whatever its name)
        ("IMG_1234", HEIC, AS_JPEG),
        ("电子发票.ofd", _ofd(), OFD),
        ("电子发票.zip", _ofd(), OFD),
        ("电子发票.xml", b'<?xml version="1.0"?><EInvoice/>', f"XML data (an e-invoice's, say), not pages a "
         f"reader can read; {E_INVOICE}"),
        ("授权书.wps", OLE, WPS.format(".docx")),
        ("报表.et", OLE, WPS.format(".xlsx")),
        ("~$letter.docx", b"\x05chen" + b"\0" * 150, LOCK.format("letter.docx")),
        # (Word replaced two letters of a longer name)
        ("~$ntract.docx", b"\x05chen" + b"\0" * 150, LOCK.format("Contract.docx")),
    ],
)  # fmt: skip
def test_a_common_kind_no_bundle_takes_is_told_what_to_send_instead(
    tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    """An iPhone's HEIC photo, a Chinese e-invoice (OFD or XML), a WPS Office file and Word's lock file were
    each told only "not a kind of file build-appeal can put in a bundle; use PDF, an image, ...", in
    English: nothing said what to do."""
    (tmp_path / "Contract.docx").write_bytes(b"PK\x03\x04")
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(EvidenceError) as raised:
        classify(EXHIBIT, path)
    assert str(raised.value) == f"{NAME}: {message}"


def test_text_csv_and_email_are_read_as_data(tmp_path: Path) -> None:
    text = tmp_path / "notice.txt"
    notice = "平台通知：您的账户因美国法院临时限制令已被冻结。<b>not bold</b>\n"
    text.write_bytes(notice.encode("gb18030"))
    assert read_text_exhibit(EXHIBIT, text).text == notice
    for order in ("utf-16-le", "utf-16-be"):  # Notepad's "Unicode": it was "not a kind of file ... use .txt"
        text.write_bytes(("\ufeff" + notice).encode(order))
        assert classify(EXHIBIT, text) == Kind.TEXT
        assert read_text_exhibit(EXHIBIT, text).text == notice
    table = tmp_path / "orders.csv"
    table.write_text("Order;Qty\nA-1;3\n", encoding="utf-8")
    assert read_text_exhibit(EXHIBIT, table).table == [["Order", "Qty"], ["A-1", "3"]]
    mail = tmp_path / "notice.eml"
    mail.write_bytes(
        b"From: ipp@platform.example.com\r\nTo: seller@example.cn\r\n"
        b"Subject: =?utf-8?b?5Ya757uT6YCa55+l?=\r\n"
        b"Date: Thu, 14 Mar 2024 10:00:00 +0800\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        b"<p>Your account is restricted.</p><script>evil()</script>"
    )
    email = read_text_exhibit(EXHIBIT, mail)
    assert dict(email.headers)["Subject"] == "冻结通知"
    assert email.text == "Your account is restricted."


def gbk_words(text: str) -> str:
    return base64.b64encode(text.encode("gb18030")).decode()


def test_a_mail_labelled_gb2312_keeps_the_characters_only_gbk_has(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Chinese mail programs label mail gb2312 and write 喆 and 镕 (GBK only): the subject came out as
    "王�矗褐扉F基路店铺冻结通知", without a word."""
    subject, body = "王喆：朱镕基路店铺冻结通知", "您好，王喆：\n朱镕基路店铺的资金已冻结。\n"
    quoted = "".join(f"%{byte:02X}" for byte in "喆.pdf".encode("gb18030"))
    mail = tmp_path / "notice.eml"
    mail.write_bytes(
        (
            f"From: =?gb2312?B?{gbk_words('王喆')}?= <wz@example.cn>\r\n"
            f"To: =?GBK?B?{gbk_words('朱镕')}?= <zr@example.cn>\r\n"
            f"Subject: =?gb2312?B?{gbk_words(subject)}?=\r\n"
            'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n'
            "--b\r\nContent-Type: text/plain; charset=gb2312\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            f"{gbk_words(body)}\r\n"
            f'--b\r\nContent-Type: application/pdf; name="=?gb2312?B?{gbk_words("镕基.pdf")}?="\r\n'
            "Content-Disposition: attachment\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n"
            "--b\r\nContent-Type: application/pdf\r\n"
            f"Content-Disposition: attachment; filename*=gb2312''{quoted}\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n--b--\r\n"
        ).encode()
    )
    with caplog.at_level(logging.WARNING):
        read = read_text_exhibit(EXHIBIT, mail)
    assert read.headers == [
        ("From", "王喆 <wz@example.cn>"),
        ("To", "朱镕 <zr@example.cn>"),
        ("Subject", subject),
    ]
    assert read.text == body
    assert read.attachments == ["镕基.pdf", "喆.pdf"]
    assert caplog.messages == []


def test_characters_a_mail_cannot_show_are_said_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    mail = tmp_path / "notice.eml"
    mail.write_bytes(
        b"Subject: =?utf-8?B?" + base64.b64encode(b"\xff\xfe notice") + b"?=\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n\r\nfrozen \xff\xfe\r\n"
    )
    with caplog.at_level(logging.WARNING):
        read = read_text_exhibit(EXHIBIT, mail)
    assert (
        "\N{REPLACEMENT CHARACTER}" in read.text
        and "\N{REPLACEMENT CHARACTER}" in dict(read.headers)["Subject"]
    )
    assert caplog.messages == [
        f"{NAME}: some characters of the e-mail could not be read and are shown as �; compare its pages with "
        "the mail as your mail program shows it, or print the mail to PDF there and use that file"
    ]


def test_a_spreadsheet_copy_prints_one_page_wide(tmp_path: Path) -> None:
    """As long as its text stays readable (tests/test_office_sheets.py: a wider one spills across pages)."""
    import openpyxl

    source = tmp_path / "sales.xlsx"
    workbook = openpyxl.Workbook()
    workbook.active.append([f"Column {index}" for index in range(12)])  # type: ignore[union-attr]
    workbook.save(source)
    before = source.read_bytes()
    copy, warnings = printable_copy(EXHIBIT, source, tmp_path / "copy.xlsx")
    assert warnings == []
    sheet = openpyxl.load_workbook(copy).active
    assert sheet.page_setup.fitToWidth == 1 and sheet.sheet_properties.pageSetUpPr.fitToPage  # type: ignore[union-attr]
    assert source.read_bytes() == before  # the evidence itself is never changed


def test_an_office_file_keeps_nothing_that_points_outside_it(tmp_path: Path) -> None:
    import zipfile

    import docx

    source = tmp_path / "letter.docx"
    document = docx.Document()
    document.add_paragraph("A supplier letter")
    document.save(str(source))
    with zipfile.ZipFile(source, "a") as package:  # a picture linked from the web, and a web link in the text
        rels = package.read("word/_rels/document.xml.rels").decode()
    rels = rels.replace(
        "</Relationships>",
        f'<Relationship Id="rIdX" Type="{RELATIONSHIPS}/image" '
        'Target="http://127.0.0.1:9/tracker.png" TargetMode="External"/>'
        f'<Relationship Id="rIdY" Type="{RELATIONSHIPS}/hyperlink" '
        'Target="https://example.com/" TargetMode="External"/></Relationships>',
    )
    linked = tmp_path / "linked.docx"
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(linked, "w") as copy:
        for item in original.infolist():
            data = rels.encode() if item.filename == "word/_rels/document.xml.rels" else original.read(item)
            copy.writestr(item, data)
    result, warnings = printable_copy(EXHIBIT, linked, tmp_path / "copy.docx")
    with zipfile.ZipFile(result) as package:
        kept = package.read("word/_rels/document.xml.rels").decode()
    assert "tracker.png" not in kept and "https://example.com/" in kept
    assert warnings == [
        f"{NAME}: left out what the file links to outside itself (http://127.0.0.1:9/tracker.png); put such "
        "a picture into the file, or add it as an exhibit of its own"
    ]


def test_a_cut_off_jpeg_is_refused_not_shown_broken(tmp_path: Path) -> None:
    whole = samples.jpeg_bytes((400, 300))
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(EvidenceError, match=rf"^{re.escape(NAME)}: the image cannot be read"):
        prepare_image(EXHIBIT, cut, tmp_path / "out.pdf")


def test_a_wide_image_goes_on_a_landscape_page(tmp_path: Path) -> None:
    """A 6000 x 400 screenshot was drawn 7 inches wide on a portrait page: 0.47 inches high."""
    reader, _ = image_pages(samples.image(tmp_path / "wide.png", size=(6000, 400), format="PNG"), tmp_path)
    page = reader.pages[0]
    assert [float(v) for v in page.mediabox[2:]] == [792, 612]
    contents = page.get_contents()
    assert contents is not None
    placed = [operands for operands, operator in contents.operations if operator == b"cm"]
    assert round(float(placed[0][0])) == 792 - 2 * 54  # the full width within the side margins: 9.5 in
    tall, _ = image_pages(samples.image(tmp_path / "tall.png", size=(800, 20000), format="PNG"), tmp_path)
    sizes = {(float(slice.mediabox.width), float(slice.mediabox.height)) for slice in tall.pages}
    assert sizes == {(612, 792)}  # every slice portrait, the last, short one too: all at one scale


def test_a_word_file_with_comments_converts_in_the_build_s_libreoffice(tmp_path: Path) -> None:
    """LibreOffice's session crashed on a commented .docx ("Binary URP bridge disposed"), so a supplier's
    letter with a reviewer's note failed the build."""
    import docx

    from pipeline.convert import Job, office_to_pdf
    from pipeline.office_session import office_session

    source = tmp_path / "letter.docx"
    document = docx.Document()
    paragraph = document.add_paragraph("A supplier letter with a reviewer's note")
    document.add_comment(paragraph.runs, text="Check this date", author="Paralegal")
    document.save(str(source))
    before = source.read_bytes()
    copy, warnings = printable_copy(EXHIBIT, source, tmp_path / "copy.docx")
    assert warnings == [
        f"{NAME}: its Word comments are not in the bundle (LibreOffice cannot print them here); if they "
        "matter, print the file to PDF from Word with its comments and add that PDF"
    ]
    with office_session():
        office_to_pdf([Job(copy, tmp_path / "letter.pdf", "letter.docx")], timeout=120)
    assert (
        "A supplier letter with a reviewer's note"
        in PdfReader(tmp_path / "letter.pdf").pages[0].extract_text()
    )
    assert source.read_bytes() == before  # the evidence itself is never changed


def test_a_header_or_field_printing_the_file_s_name_prints_the_evidence_s_name(tmp_path: Path) -> None:
    """A sheet's header `&Z&F`, a Word FILENAME field (simple or complex, with `\\p`) and an OpenDocument
    file-name field printed LibreOffice's temporary copy: `file:///tmp/build-appeal-lo-.../0002.xlsx` on
    every page of a sales export, `0002.xlsx` for `&F`."""
    import dataclasses

    import docx
    import openpyxl
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    from pipeline.convert import Job, office_to_pdf

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Orders"
    sheet.append(["Order", "Amount"])
    sheet.oddHeader.center.text = "&Z&F"
    sheet.oddFooter.left.text = "File &F, sheet &A, R&&D"
    workbook.save(tmp_path / "sales.xlsx")

    document = docx.Document()
    document.add_paragraph("Invoice HT-2024-0108")
    header = document.sections[0].header.paragraphs[0]._p
    simple = OxmlElement("w:fldSimple")
    simple.set(qn("w:instr"), r" FILENAME \p ")
    simple.append(_word_run(t=r"C:\Users\li\old.docx"))
    header.append(simple)
    footer = document.sections[0].footer.paragraphs[0]._p
    for kind, text in [("fldChar", "begin"), ("instrText", " FILENAME "), ("instrText", r"\p "),
                       ("fldChar", "separate"), ("t", "old.docx"), ("fldChar", "end"), ("t", " | page "),
                       ("fldChar", "begin"), ("instrText", " PAGE "), ("fldChar", "separate"), ("t", "1"),
                       ("fldChar", "end")]:  # fmt: skip
        footer.append(_word_run(**{kind: text}))
    document.add_page_break()  # (page 1 has a header of its own, page 2 the others)
    document.add_paragraph("Terms of payment")
    document.sections[0].different_first_page_header_footer = True
    first = document.sections[0].first_page_header  # one inside an IF's code; one over two paragraphs
    nested, spanning, spanned = first.paragraphs[0]._p, first.add_paragraph()._p, first.add_paragraph()._p
    for paragraph, kind, text in [
        (nested, "t", "In IF: "), (nested, "fldChar", "begin"), (nested, "instrText", ' IF 1 = 1 "'),
        (nested, "fldChar", "begin"), (nested, "instrText", " FILENAME "), (nested, "fldChar", "separate"),
        (nested, "t", "old.docx"), (nested, "fldChar", "end"), (nested, "instrText", '" "no" '),
        (nested, "fldChar", "separate"), (nested, "t", "old.docx"), (nested, "fldChar", "end"),
        (spanning, "t", "Over two: "), (spanning, "fldChar", "begin"), (spanning, "instrText", " FILENAME "),
        (spanned, "fldChar", "separate"), (spanned, "t", "old.docx"), (spanned, "fldChar", "end"),
    ]:  # fmt: skip
        paragraph.append(_word_run(**{kind: text}))
    document.save(str(tmp_path / "invoice.docx"))
    (tmp_path / "note.rtf").write_bytes(
        rb"{\rtf1\ansi{\fonttbl{\f0 Times;}}{\header\pard Saved as {\field{\*\fldinst FILENAME \\p}"
        rb"{\fldrslt C:\\Users\\li\\old.rtf}}.\par}\pard Supplier note\par}"
    )

    opendocument(
        tmp_path / "letter.odt",
        '<text:p>Saved as <text:file-name text:display="full">x</text:file-name>.</text:p>',
    )

    names = {
        "sales.xlsx": "销售 & Q1.xlsx",
        "invoice.docx": "invoice_ht.docx",
        "letter.odt": "letter.odt",
        "note.rtf": "供货说明.rtf",
    }
    jobs = []
    for index, (source, name) in enumerate(names.items()):
        exhibit = dataclasses.replace(EXHIBIT, file=f"evidence/{name}")
        copy, warnings = printable_copy(
            exhibit, tmp_path / source, tmp_path / f"exhibit-{index}{Path(source).suffix}"
        )
        assert warnings == []
        jobs.append(Job(copy, tmp_path / f"{source}.pdf", name))
    office_to_pdf(jobs, timeout=120)
    printed = {
        source: " ".join(
            " ".join(page.extract_text() for page in PdfReader(tmp_path / f"{source}.pdf").pages).split()
        )
        for source in names
    }
    assert "销售 & Q1.xlsx" in printed["sales.xlsx"]
    assert "File 销售 & Q1.xlsx, sheet Orders, R&D" in printed["sales.xlsx"]
    assert "invoice_ht.docx" in printed["invoice.docx"]
    assert "In IF: invoice_ht.docx Over two: invoice_ht.docx" in printed["invoice.docx"]
    assert printed["invoice.docx"].count("invoice_ht.docx") == 4 and "| page 2" in printed["invoice.docx"]
    assert "Saved as letter.odt." in printed["letter.odt"]
    assert "Saved as 供货说明.rtf." in printed["note.rtf"] and "Supplier note" in printed["note.rtf"]
    for text in printed.values():
        assert not re.search(r"build-appeal|exhibit-\d|/tmp|file:|old\.docx|Users", text), text


def _word_run(**content: str) -> object:
    """A Word run holding one element: `t="text"`, `instrText="..."` or `fldChar="begin"`."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    ((kind, value),) = content.items()
    run = OxmlElement("w:r")
    element = OxmlElement(f"w:{kind}")
    if kind == "fldChar":
        element.set(qn("w:fldCharType"), value)
    else:
        element.text = value
        element.set(qn("xml:space"), "preserve")
    run.append(element)
    return run


# --- Office files: nothing outside the file is loaded ----------------------------------------------------

IMAGE_TYPE = f"{RELATIONSHIPS}/image"
HYPERLINK_TYPE = f"{RELATIONSHIPS}/hyperlink"
LEFT_OUT = (
    "{}: left out what the file links to outside itself ({}); put such a picture into the file, or add it as "
    "an exhibit of its own"
)


def linked_picture_docx(
    path: Path, target: str, mode: str | None = "External", kind: str = IMAGE_TYPE
) -> Path:
    """A Word file whose one picture is linked, not embedded: LibreOffice loads it from `target` (the
    relationship's TargetMode `mode`, its Type `kind`)."""
    import zipfile

    import docx

    picture = samples.image(path.with_suffix(".png"), size=(40, 20), format="PNG")
    document = docx.Document()
    document.add_paragraph("A supplier letter with a linked picture")
    document.add_picture(str(picture))
    document.save(str(path))
    with zipfile.ZipFile(path) as package:
        parts = {item.filename: package.read(item) for item in package.infolist()}
    rels = parts["word/_rels/document.xml.rels"].decode()
    mark = f' TargetMode="{mode}"' if mode is not None else ""
    linked = f'Type="{kind}" Target="{target}"{mark}'
    rels = re.sub(r'Type="[^"]*/image" Target="media/[^"]+"', lambda _: linked, rels)
    parts["word/_rels/document.xml.rels"] = rels.encode()
    parts["word/document.xml"] = parts["word/document.xml"].replace(b"r:embed=", b"r:link=")
    with zipfile.ZipFile(path, "w") as package:
        for name, data in parts.items():
            if not name.startswith("word/media/"):
                package.writestr(name, data)
    return path


def with_members(source: Path, target: Path, members: dict[str, bytes]) -> Path:
    """A copy of the package `source` with `members` added or replaced."""
    import zipfile

    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w") as copy:
        for item in original.infolist():
            if item.filename not in members:
                copy.writestr(item, original.read(item))
        for name, data in members.items():
            copy.writestr(name, data)
    return target


def member(package: Path, name: str) -> str:
    import zipfile

    with zipfile.ZipFile(package) as archive:
        return archive.read(name).decode()


def test_an_office_file_whose_parts_cannot_all_be_checked_is_refused(tmp_path: Path) -> None:
    """One part that was not XML made the clean-up give up and hand LibreOffice the original file, which
    then loaded the linked picture from the web."""
    linked = linked_picture_docx(tmp_path / "letter.docx", "http://127.0.0.1:9/x.png")
    for part in ("zz/_rels/junk.rels", "word/junk.xml"):
        hostile = with_members(linked, tmp_path / "hostile.docx", {part: b"not xml at all"})
        with pytest.raises(
            EvidenceError,
            match=rf"^{re.escape(NAME)}: the file could not be checked for links to other files "
            rf"\({part}: .*\); open it in its program, save it again and use that file$",
        ):
            printable_copy(EXHIBIT, hostile, tmp_path / "copy.docx")


@pytest.mark.parametrize(
    ("target", "mode", "kind"),
    [
        ("http://127.0.0.1:9/x.png", "external", IMAGE_TYPE),
        ("http://127.0.0.1:9/x.png", " External", IMAGE_TYPE),
        ("http://127.0.0.1:9/x.png", None, IMAGE_TYPE),
        ("file:///etc/hostname", "Internal", IMAGE_TYPE),
        ("\\\\server\\share\\x.png", None, IMAGE_TYPE),
        ("C:\\Users\\x.png", None, IMAGE_TYPE),
        ("../../../../etc/x.png", None, IMAGE_TYPE),
        ("/tmp/x.png", None, IMAGE_TYPE),
        ("http://127.0.0.1:9/x.png", "External", HYPERLINK_TYPE),  # a "hyperlink" a picture loads
    ],
)
def test_a_link_out_of_the_file_is_left_out_however_it_is_written(
    tmp_path: Path, target: str, mode: str | None, kind: str
) -> None:
    """TargetMode="external" (or " External") was not seen as external, a target outside the file was kept
    unless so marked, and a picture loading a hyperlink's address was kept as a hyperlink: LibreOffice
    loaded each."""
    linked = linked_picture_docx(tmp_path / "letter.docx", target, mode, kind)
    copy, warnings = printable_copy(EXHIBIT, linked, tmp_path / "copy.docx")
    assert target not in member(copy, "word/_rels/document.xml.rels")
    assert warnings == [LEFT_OUT.format(NAME, target)]


def test_a_hyperlink_in_the_text_and_a_picture_inside_the_file_stay(tmp_path: Path) -> None:
    import docx

    source = tmp_path / "letter.docx"
    document = docx.Document()
    document.add_picture(str(samples.image(tmp_path / "p.png", size=(40, 20), format="PNG")))
    document.save(str(source))
    rels = member(source, "word/_rels/document.xml.rels").replace(
        "</Relationships>",
        f'<Relationship Id="rIdY" Type="{HYPERLINK_TYPE}" Target="https://example.com/" '
        'TargetMode="External"/></Relationships>',
    )
    text = member(source, "word/document.xml").replace(
        "<w:body>", '<w:body><w:p><w:hyperlink r:id="rIdY"><w:r><w:t>shop</w:t></w:r></w:hyperlink></w:p>'
    )
    hostile = with_members(
        source,
        tmp_path / "h.docx",
        {"word/_rels/document.xml.rels": rels.encode(), "word/document.xml": text.encode()},
    )
    copy, warnings = printable_copy(EXHIBIT, hostile, tmp_path / "copy.docx")
    kept = member(copy, "word/_rels/document.xml.rels")
    assert "https://example.com/" in kept and 'Target="media/image1.png"' in kept
    assert warnings == []


class Listener:
    """A web server on 127.0.0.1 that records every request it gets."""

    def __init__(self) -> None:
        import http.server
        import threading

        requests: list[str] = []
        self.requests = requests

        class Handler(http.server.BaseHTTPRequestHandler):
            def handle_one_request(self) -> None:
                self.raw_requestline = self.rfile.readline(65537)
                requests.append(self.raw_requestline.decode("latin-1").strip())
                self.close_connection = True

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_a_word_file_under_another_name_is_cleaned_and_libreoffice_fetches_nothing(tmp_path: Path) -> None:
    """A .docx renamed contract.doc, c2.odt or c3.rtf was converted as it was: LibreOffice read it as the
    Word file it is and loaded its linked pictures from the web."""
    from pipeline.convert import Job, office_to_pdf
    from pipeline.office_session import office_session

    listener = Listener()
    try:
        jobs, warned = [], []
        for index, (name, mode, kind) in enumerate(
            [
                ("contract.doc", "External", IMAGE_TYPE),
                ("c2.odt", " external", IMAGE_TYPE),
                ("c3.rtf", "External", HYPERLINK_TYPE),
            ]
        ):
            url = f"{listener.url}/picture-{index}.png"
            source = linked_picture_docx(tmp_path / f"source-{index}.docx", url, mode, kind).rename(
                tmp_path / name
            )
            assert classify(EXHIBIT, source) == Kind.OFFICE
            copy, warnings = printable_copy(EXHIBIT, source, tmp_path / f"exhibit-{index}{source.suffix}")
            assert copy != source and url not in member(copy, "word/_rels/document.xml.rels")
            warned += warnings
            jobs.append(Job(copy, tmp_path / f"{index}.pdf", name))
        with office_session():
            office_to_pdf(jobs, timeout=120)
    finally:
        listener.close()
    assert listener.requests == []
    assert warned == [LEFT_OUT.format(NAME, f"{listener.url}/picture-{index}.png") for index in range(3)]
    for index in range(3):
        assert (
            "A supplier letter with a linked picture"
            in PdfReader(tmp_path / f"{index}.pdf").pages[0].extract_text()
        )


def opendocument(path: Path, body: str, extra: dict[str, bytes] | None = None) -> Path:
    """An OpenDocument text whose body is `body` (its mimetype first and stored, as the format asks)."""
    import zipfile

    namespaces = " ".join(
        f'xmlns:{prefix}="{uri}"'
        for prefix, uri in {
            "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
            "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
            "draw": "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0",
            "svg": "urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0",
            "xlink": "http://www.w3.org/1999/xlink",
        }.items()
    )
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {namespaces} office:version="1.2">'
        f"<office:body><office:text>{body}</office:text></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
        'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" '
        'manifest:media-type="application/vnd.oasis.opendocument.text"/><manifest:file-entry '
        'manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>'
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.text")
        package.writestr("META-INF/manifest.xml", manifest)
        package.writestr("content.xml", content)
        for name, data in (extra or {}).items():
            package.writestr(name, data)
    return path


def test_an_opendocument_file_loads_nothing_from_outside(tmp_path: Path) -> None:
    """A picture linked from the web (LibreOffice fetched it) or from another file, and a section whose
    text is another file, were converted as they were."""
    frame = '<draw:frame svg:width="5cm" svg:height="3cm"><draw:image xlink:href="{}"/></draw:frame>'
    body = (
        "<text:p>ODT evidence</text:p>"
        f"<text:p>{frame.format('http://127.0.0.1:9/odt.png')}{frame.format('file:///tmp/private.png')}"
        f"{frame.format('../outside.png')}{frame.format('Pictures/inside.png')}</text:p>"
        '<text:section text:name="S1"><text:section-source xlink:href="/etc/hostname"/></text:section>'
        '<text:p><text:a xlink:href="https://example.com/">the shop</text:a></text:p>'
    )
    source = opendocument(tmp_path / "c2.odt", body)
    copy, warnings = printable_copy(EXHIBIT, source, tmp_path / "copy.odt")
    content = member(copy, "content.xml")
    outside = ["http://127.0.0.1:9/odt.png", "file:///tmp/private.png", "../outside.png", "/etc/hostname"]
    assert not [link for link in outside if link in content]
    assert "Pictures/inside.png" in content and 'xlink:href="https://example.com/"' in content
    assert warnings == [LEFT_OUT.format(NAME, link) for link in outside]
    import zipfile

    with zipfile.ZipFile(copy) as package:
        first = package.infolist()[0]
    assert (first.filename, first.compress_type) == ("mimetype", zipfile.ZIP_STORED)


SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="40" '
    'height="20"><rect width="40" height="20" fill="red"/>'
    '<image xlink:href="{}" width="40" height="20"/></svg>'
)


def test_an_svg_picture_inside_an_office_file_loads_nothing_from_outside(tmp_path: Path) -> None:
    """An SVG picture in a .docx (named .svg, or .png) drew a picture of another file on the disk."""
    import docx

    source = tmp_path / "letter.docx"
    document = docx.Document()
    document.add_picture(str(samples.image(tmp_path / "p.png", size=(40, 20), format="PNG")))
    document.save(str(source))
    hostile = with_members(
        source,
        tmp_path / "svg.docx",
        {
            "word/media/image1.png": SVG.format("file:///tmp/private.png").encode(),
            "word/media/image2.svg": SVG.format("http://127.0.0.1:9/s.png").encode(),
            "word/media/image3.svg": SVG.format("#inside").encode(),
            "word/media/image4.svg": b"<svg not even xml",
        },
    )
    copy, warnings = printable_copy(EXHIBIT, hostile, tmp_path / "copy.docx")
    first, second = member(copy, "word/media/image1.png"), member(copy, "word/media/image2.svg")
    assert "private.png" not in first and "<rect" in first and "127.0.0.1" not in second
    assert 'xlink:href="#inside"' in member(copy, "word/media/image3.svg")
    assert member(copy, "word/media/image4.svg").startswith("<svg")
    assert warnings == [
        LEFT_OUT.format(NAME, "file:///tmp/private.png"),
        LEFT_OUT.format(NAME, "http://127.0.0.1:9/s.png"),
        f"{NAME}: a picture in the file (word/media/image4.svg) could not be read and is left out; put the "
        "picture into the file again as PNG or JPEG",
    ]


def test_a_zip_bomb_is_refused_before_it_is_unpacked(tmp_path: Path) -> None:
    """A spreadsheet of 300 KB holding 300 MB of zeros was unpacked whole into memory (1.35 GB for 600 MB)."""
    import tracemalloc
    import zipfile

    import openpyxl

    source = tmp_path / "sales.xlsx"
    openpyxl.Workbook().save(source)
    with (
        zipfile.ZipFile(source, "a", zipfile.ZIP_DEFLATED) as package,
        package.open("xl/media/zeros.bin", "w", force_zip64=True) as stream,
    ):
        for _ in range(300):
            stream.write(bytes(1 << 20))
    assert source.stat().st_size < 1_000_000
    tracemalloc.start()
    try:
        with pytest.raises(
            EvidenceError,
            match=rf"^{re.escape(NAME)}: the file unpacks to more than 200 MB, more than build-appeal opens "
            r"safely; is it damaged\? Open it, save it again, or split it into smaller files$",
        ):
            printable_copy(EXHIBIT, source, tmp_path / "copy.xlsx")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20_000_000


def test_an_rtf_field_that_loads_another_file_is_left_out(tmp_path: Path) -> None:
    """An INCLUDEPICTURE or INCLUDETEXT field of an RTF file names a picture or text LibreOffice may load
    from the web or the disk; the field's last result stays, and every other field."""
    source = tmp_path / "letter.rtf"
    source.write_bytes(
        b"{\\rtf1\\ansi{\\fonttbl{\\f0 Times;}}RTF evidence.\\par\n"
        b'{\\field{\\*\\fldinst INCLUDEPICTURE "http://127.0.0.1:9/p.png" \\\\d}{\\fldrslt shown}}\\par\n'
        b'{\\field{\\*\\fldinst {INCLUDE}{\\\'54EXT "/etc/hostname"}}{\\fldrslt old text}}\\par\n'
        b"{\\field{\\*\\fldinst PAGE}{\\fldrslt 1}}\\par\n"
        b"{\\pict\\pngblip\\bin4 {{{{}\\par}"
    )
    copy, warnings = printable_copy(EXHIBIT, source, tmp_path / "copy.rtf")
    kept = copy.read_bytes()
    assert b"INCLUDE" not in kept and b"127.0.0.1" not in kept and b"hostname" not in kept
    assert b"{\\fldrslt shown}" in kept and b"{\\fldrslt old text}" in kept and b"fldinst PAGE" in kept
    assert kept.endswith(b"{\\pict\\pngblip\\bin4 {{{{}\\par}")  # braces of a picture's bytes are bytes
    assert warnings == [
        LEFT_OUT.format(NAME, 'INCLUDEPICTURE "http://127.0.0.1:9/p.png" \\d'),
        LEFT_OUT.format(NAME, 'INCLUDETEXT "/etc/hostname"'),
    ]
    plain = tmp_path / "plain.rtf"
    plain.write_bytes(b"{\\rtf1\\ansi Plain.\\par}")
    assert printable_copy(EXHIBIT, plain, tmp_path / "copy2.rtf") == (plain, [])


def test_an_old_word_file_that_may_load_other_files_is_said_to_be_unchecked(tmp_path: Path) -> None:
    source = tmp_path / "contract.doc"
    source.write_bytes(
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600) + "INCLUDEPICTURE".encode("utf-16-le")
    )
    assert printable_copy(EXHIBIT, source, tmp_path / "copy.doc") == (
        source,
        [
            f"{NAME}: the file may load pictures or text from other files or the web, which build-appeal "
            "cannot check in old Word files; open it in Word, save it as .docx and use that file"
        ],
    )
    source.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600))
    assert printable_copy(EXHIBIT, source, tmp_path / "copy.doc") == (source, [])


def test_a_link_that_opens_another_pdf_file_is_removed(plain: Path, tmp_path: Path) -> None:
    """/GoToR (a page of another PDF file) and /Thread naming another file survived into the bundle."""

    def add(writer: PdfWriter) -> None:
        actions = [
            pdf_dict(S="/GoToR", F="../other.pdf", D=[0, "/Fit"]),
            pdf_dict(S="/Thread", F="other.pdf", D=0),
            pdf_dict(S="/URI", URI="https://example.com/"),
        ]
        writer.pages[0][NameObject("/Annots")] = ArrayObject(
            writer._add_object(
                pdf_dict(Type="/Annot", Subtype="/Link", Rect=[72, 700 - 30 * n, 300, 720 - 30 * n], A=action)
            )
            for n, action in enumerate(actions)
        )

    reader, warnings = prepared(samples.rewrite(plain, tmp_path / "remote.pdf", add), tmp_path)
    assert not {"/GoToR", "/Thread"} & names_in(reader)
    assert [annotation.get_object()["/A"]["/S"] for annotation in reader.pages[0]["/Annots"]] == ["/URI"]
    assert warnings == [
        f"{NAME}: links that start a program, open another file or an attached one, or send form data were "
        "removed (court filing systems refuse them)"
    ]


def damaged_evidence(folder: Path, more: dict[str, bytes]) -> Path:
    """The example case in `folder` with its photo cut in half, a Word file whose parts are not XML
    (`letter.docx`, Exhibit 8) and the files `more`, in that order, as exhibits after it."""
    evidence = folder / "evidence"
    photo = (evidence / "product_photo.jpg").read_bytes()
    (evidence / "product_photo.jpg").write_bytes(photo[: len(photo) // 2])
    with zipfile.ZipFile(evidence / "letter.docx", "w") as junk:
        junk.writestr("[Content_Types].xml", "<not xml")
        junk.writestr("word/document.xml", "<w:document")
    for name, content in more.items():
        (evidence / name).write_bytes(content)
    data = yaml.safe_load((folder / "case.yaml").read_text(encoding="utf-8"))
    for name in ["letter.docx", *more]:
        data["evidence"].append({"file": f"evidence/{name}", "title": name})
    (folder / "case.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    return folder


def test_check_finds_every_evidence_problem_a_build_would_refuse_at_once(
    make_case: Callable[..., Path],
) -> None:
    """`check` said nothing of a cut-off JPEG and of a Word file whose parts are not XML, which the build
    then refused; and with an empty file among the evidence it said only that, the other files unread
    (found by a probe of hostile input)."""
    errors = check_case(damaged_evidence(make_case(), {"empty.pdf": b""})).errors
    assert len(errors) == 3, errors
    assert errors[0].endswith("evidence[8].file: evidence/empty.pdf: the file is empty (0 bytes)")
    assert errors[1].startswith(
        "Exhibit 5 (evidence/product_photo.jpg): the image cannot be read (image file is truncated"
    )
    assert errors[2].startswith(
        "Exhibit 8 (evidence/letter.docx): the file could not be checked for links to other files"
    )


def test_a_build_names_every_evidence_file_it_refuses_at_once(
    make_case: Callable[..., Path], tmp_path: Path
) -> None:
    """A build stopped at the first file it could not take: three damaged files took three runs to find
    (found by a probe of hostile input), and a file named .pdf that was none was told to "use PDF"."""
    more = {"cut.pdf": b"%PDF-1.4 not really a PDF", "renamed.pdf": b"\x00\x01 saved from some other program"}
    folder = damaged_evidence(make_case(), more)
    with pytest.raises(EvidenceError) as refused:
        build(folder, BuildOptions(output_root=tmp_path / "out"))
    said = str(refused.value).splitlines()
    assert [line.split(":")[0] for line in said] == [
        "Exhibit 5 (evidence/product_photo.jpg)",
        "Exhibit 8 (evidence/letter.docx)",
        "Exhibit 9 (evidence/cut.pdf)",
        "Exhibit 10 (evidence/renamed.pdf)",
    ]
    assert said[3] == (
        "Exhibit 10 (evidence/renamed.pdf): the file is named .pdf but is not a PDF (its content is not "
        "one); it may be damaged, or another kind of file renamed: open it in its program and save or export "
        "it again"
    )
    assert not (tmp_path / "out" / folder.name).exists()


@pytest.mark.filterwarnings("ignore:Corrupt EXIF data")  # (Pillow's, of the cut TIFF: it is refused)
@pytest.mark.parametrize("suffix", [".tif", ".png"])
def test_an_image_cut_short_is_refused_by_check_and_build_alike(tmp_path: Path, suffix: str) -> None:
    """A three-page TIFF cut short in its last page passed `check`, which decoded its first page only, and
    failed the build "unexpectedly" (Pillow's TypeError, "Missing dimensions"); a PNG cut in half (found by
    reviewers of `check`'s reading of images)."""
    pages = [Image.new("RGB", (800, 600), (80 * index, 0, 0)) for index in range(3)]
    whole = tmp_path / f"whole{suffix}"
    if suffix == ".tif":
        pages[0].save(whole, save_all=True, append_images=pages[1:], compression="tiff_deflate")
    else:
        Image.effect_noise((800, 600), 60).save(whole)
    cut = tmp_path / f"cut{suffix}"
    cut.write_bytes(whole.read_bytes()[: int(whole.stat().st_size * (0.8 if suffix == ".tif" else 0.5))])
    check_image(EXHIBIT, whole)
    for attempt in (
        lambda: check_image(EXHIBIT, cut),
        lambda: prepare_image(EXHIBIT, cut, tmp_path / "o.pdf"),
    ):
        with pytest.raises(EvidenceError, match=rf"^{re.escape(NAME)}: the image cannot be read \("):
            attempt()
