"""Evidence of every kind becomes clean exhibit pages; what cannot is refused with the exhibit named."""

from __future__ import annotations

import logging
import re
import subprocess
from pathlib import Path

import pytest
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

from pipeline.context import Exhibit
from pipeline.errors import EvidenceError
from pipeline.exhibits import (
    Kind,
    classify,
    font_warnings,
    prepare_image,
    prepare_pdf,
    printable_copy,
    read_text_exhibit,
)
from tests import samples

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
        f"{NAME}: links that start a program, open an attached file or send form data were removed (court "
        "filing systems refuse them)",
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


def test_a_pdf_beyond_repair_is_named(tmp_path: Path) -> None:
    junk = tmp_path / "junk.pdf"
    junk.write_bytes(b"%PDF-1.7\n" + b"garbage " * 100)
    with pytest.raises(
        EvidenceError, match=rf"^{re.escape(NAME)}: the PDF (is damaged beyond repair|has no pages)"
    ):
        prepare_pdf(EXHIBIT, junk, tmp_path / "out.pdf")


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


@pytest.mark.parametrize(("name", "kind"), [("scan.tif", "TIFF"), ("clip.gif", "GIF")])
def test_every_tiff_frame_is_a_page_and_a_gif_shows_its_first(tmp_path: Path, name: str, kind: str) -> None:
    reader, warnings = image_pages(samples.multi_frame(tmp_path / name, 3, kind), tmp_path)
    if kind == "TIFF":
        assert len(reader.pages) == 3 and warnings == []
    else:
        assert len(reader.pages) == 1
        assert warnings == [f"{NAME}: an animated GIF; only its first frame is in the bundle"]


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


def test_a_decompression_bomb_is_refused(tmp_path: Path) -> None:
    with pytest.raises(
        EvidenceError, match=rf"^{re.escape(NAME)}: the image is too large to open safely; resize it"
    ):
        prepare_image(EXHIBIT, samples.png_bomb(tmp_path / "bomb.png"), tmp_path / "out.pdf")
    assert Image.MAX_IMAGE_PIXELS is not None  # the guard stays on


def test_a_very_tall_screenshot_is_cut_into_readable_pages(tmp_path: Path) -> None:
    reader, _ = image_pages(samples.image(tmp_path / "tall.png", size=(800, 20000), format="PNG"), tmp_path)
    assert len(reader.pages) == 20  # 20000 px at 800 px wide: page-high slices of 1028 px (7 in by 9 in)
    widths = {picture.image.size[0] for page in reader.pages for picture in page.images if picture.image}
    assert widths == {800}  # full width on every page: nothing scaled down to unreadable


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


def test_a_spreadsheet_copy_prints_one_page_wide(tmp_path: Path) -> None:
    import openpyxl

    source = tmp_path / "sales.xlsx"
    workbook = openpyxl.Workbook()
    workbook.active.append([f"Column {index}" for index in range(30)])  # type: ignore[union-attr]
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
