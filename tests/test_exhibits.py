"""Evidence of every kind becomes clean exhibit pages; what cannot is refused with the exhibit named."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader

from pipeline.context import Exhibit
from pipeline.errors import EvidenceError
from pipeline.exhibits import (
    Kind,
    classify,
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


def prepared(source: Path, tmp_path: Path) -> tuple[PdfReader, list[str]]:
    return prepare_pdf(EXHIBIT, source, tmp_path / "out.pdf")


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
        f"{NAME}: form fields were flattened into the page (court filing systems refuse forms)"
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
    assert [float(v) for v in reader.pages[0].mediabox[2:]] == [612, 792]


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
