"""Damaged, huge and odd evidence files: each is repaired, placed on pages as said, or refused with a message
naming the exhibit and its file."""

from __future__ import annotations

import shutil
import struct
import subprocess
import zipfile
from collections.abc import Callable
from pathlib import Path

from PIL import Image
from pypdf import PdfReader, PdfWriter

from tests import samples
from tests.conftest import EXAMPLE
from tests.hostile import evidence as ev
from tests.hostile.conftest import FileMaker, Hostile, Outcome, case_data, evidence, pdf_text


def one_exhibit(hostile: Hostile, name: str, maker: FileMaker) -> Path:
    """A case whose only exhibit is `evidence/<name>`, written by `maker`."""
    data = case_data()
    data["evidence"] = evidence(f"evidence/{name}")
    return hostile.write(data, files={f"evidence/{name}": maker})


def damaged(kind: Callable[[Path, Path], Path], text: str) -> Callable[[Path], object]:
    """A maker of a PDF saying `text`, damaged by `kind` (samples.truncated_pdf, samples.broken_xref_pdf)."""
    return lambda path: kind(
        samples.text_pdf(path.parents[2] / "source.pdf", [text]), path
    )  # beside the case


def no_text_warning(label: str, pages: int) -> str:
    """The build's warning about an exhibit whose `pages` pages are all pictures."""
    numbers = [str(page) for page in range(1, pages + 1)]
    listed = ", ".join(numbers) if pages < 20 else f"{', '.join(numbers[:19])} and {pages - 19} more"
    which = f"pages {listed} have" if pages > 1 else "page 1 has"
    plural = "s" if pages > 1 else ""
    return f"{label}: {which} no searchable text (a scan or a picture); the exhibit has {pages} page{plural}"


def own_pages(built: Outcome, number: int = 1) -> int:
    exhibit = built.exhibits()[number - 1]
    return int(exhibit["last_page"] - exhibit["first_page"])


def test_a_file_of_zero_bytes(hostile: Hostile) -> None:
    one_exhibit(hostile, "invoice.pdf", b"")
    hostile.fails(
        hostile.at("- file:", "evidence[0].file", "evidence/invoice.pdf: the file is empty (0 bytes)")
    )


def test_a_truncated_pdf_is_repaired(hostile: Hostile) -> None:
    one_exhibit(hostile, "invoice.pdf", damaged(samples.truncated_pdf, "Truncated invoice text"))
    built = hostile.builds()
    assert built.warnings[0] == (
        "Exhibit 1 (evidence/invoice.pdf): the PDF was damaged and has been repaired (EOF marker not found); "
        "the file looks cut short, as an interrupted download leaves it, so pages may be missing or "
        "incomplete: download it again and compare it with the original"
    )
    assert "Truncatedinvoicetext" in built.exhibit_text()


def test_a_pdf_with_a_broken_cross_reference_table_is_repaired(hostile: Hostile) -> None:
    one_exhibit(hostile, "invoice.pdf", damaged(samples.broken_xref_pdf, "Broken xref invoice"))
    built = hostile.builds()
    assert built.warnings[0] == (
        "Exhibit 1 (evidence/invoice.pdf): the PDF was damaged and has been repaired (incorrect startxref "
        "pointer(2))"
    )
    assert "Brokenxrefinvoice" in built.exhibit_text()


def test_a_pdf_that_needs_a_password(hostile: Hostile) -> None:
    one_exhibit(hostile, "contract.pdf", ev.password_pdf)
    hostile.fails(
        "Exhibit 1 (evidence/contract.pdf): the PDF is protected by a password; open it, print it to a new "
        "PDF without a password and use that file"
    )


def test_a_pdf_of_two_thousand_pages(hostile: Hostile) -> None:
    def blank_pages(path: Path) -> None:
        writer = PdfWriter()
        for _ in range(2000):
            writer.add_blank_page(612, 792)
        with path.open("wb") as stream:
            writer.write(stream)

    one_exhibit(hostile, "orders.pdf", blank_pages)
    built = hostile.builds()
    total = len(PdfReader(built.bundle).pages)
    assert own_pages(built) == 2000
    assert total == built.exhibits()[0]["last_page"]
    last = "".join(pdf_text(built.bundle, first=total, last=total).split())
    assert f"Page{total}of{total}" in last and "Exhibit1,page2000of2000" in last
    assert built.warnings == [no_text_warning("Exhibit 1 (evidence/orders.pdf)", 2000)]


def test_a_png_decompression_bomb(hostile: Hostile) -> None:
    one_exhibit(hostile, "screenshot.png", samples.png_bomb)
    hostile.fails(
        "Exhibit 1 (evidence/screenshot.png): the image is 40000×40000 pixels (1600 megapixels), more than "
        "the 179 megapixels the build opens; save a smaller copy, at most 13377×13377"
    )


def test_a_one_pixel_image(hostile: Hostile) -> None:
    one_exhibit(hostile, "pixel.png", lambda path: samples.image(path, (1, 1), format="PNG"))
    built = hostile.builds()
    assert [picture.image.size for picture in built.images()] == [(1, 1)]
    assert own_pages(built) == 1


def test_a_20000_pixel_tall_screenshot_is_cut_into_page_high_slices(hostile: Hostile) -> None:
    """Split, not scaled: at 1000 px wide a page holds 1285 px of height (6.5 x 9 inches of usable page), so
    the screenshot becomes 16 pages, each at the full width, in order."""
    one_exhibit(hostile, "listing.png", ev.tall_screenshot)
    built = hostile.builds()
    sizes = [picture.image.size for picture in built.images()]
    assert sizes == [(1000, 1285)] * 15 + [(1000, 20000 - 15 * 1285)]
    assert own_pages(built) == 16
    assert built.warnings == [no_text_warning("Exhibit 1 (evidence/listing.png)", 16)]


def test_a_cmyk_jpeg_keeps_its_colours(hostile: Hostile) -> None:
    one_exhibit(hostile, "label.jpg", ev.cmyk_jpeg)
    built = hostile.builds()
    (picture,) = built.images()
    assert picture.image.mode == "CMYK" and picture.name.endswith(".jpg")  # embedded as it is
    page = built.exhibits()[0]["last_page"]
    rendered = built.output.parent / "page"
    subprocess.run(
        [
            "pdftoppm",
            "-f",
            str(page),
            "-l",
            str(page),
            "-r",
            "20",
            "-png",
            "-singlefile",
            str(built.bundle),
            str(rendered),
        ],
        check=True,
    )
    with Image.open(rendered.with_suffix(".png")) as image:
        red, green, blue = image.convert("RGB").getpixel((image.width // 2, image.height // 2))  # type: ignore[misc]
    rendered.with_suffix(".png").unlink()
    assert red > 200 and green < 80 and blue < 80, "the CMYK picture came out in the wrong colours"


def test_a_tiff_of_twenty_frames_gives_twenty_pages(hostile: Hostile) -> None:
    one_exhibit(hostile, "scan.tif", lambda path: samples.multi_frame(path, 20, "TIFF"))
    built = hostile.builds()
    assert own_pages(built) == 20
    assert [picture.image.size for picture in built.images()] == [(120, 90)] * 20


def test_an_animated_gif_gives_its_first_frame(hostile: Hostile) -> None:
    one_exhibit(hostile, "demo.gif", lambda path: samples.multi_frame(path, 5, "GIF"))
    built = hostile.builds()
    assert own_pages(built) == 1
    assert (
        "Exhibit 1 (evidence/demo.gif): an animated GIF; only its first frame is in the bundle"
        in built.warnings
    )


def test_a_corrupt_jpeg(hostile: Hostile) -> None:
    folder = one_exhibit(hostile, "photo.jpg", ev.corrupt_jpeg_header)
    hostile.fails(
        "Exhibit 1 (evidence/photo.jpg): the image cannot be read (cannot identify image file "
        f"'{folder.resolve() / 'evidence' / 'photo.jpg'}'); is it damaged?"
    )


def test_a_jpeg_cut_in_half(hostile: Hostile) -> None:
    one_exhibit(hostile, "photo.jpg", ev.truncated_jpeg)
    hostile.fails(
        "Exhibit 1 (evidence/photo.jpg): the image cannot be read (image file is truncated (2 bytes not "
        "processed)); is it damaged?"
    )


def test_an_iphone_heic_photo_is_told_how_to_send_it_as_jpeg(hostile: Hostile) -> None:
    """It was told "not a kind of file build-appeal can put in a bundle; use PDF, an image (JPG, ...)", of
    a photo the seller knows only as a photo. (An iPhone's photo copied off it keeps .HEIC; a HEIC file is
    known by its content too.)"""
    one_exhibit(hostile, "IMG_1234.HEIC", struct.pack(">I", 24) + b"ftypheic" + b"\0" * 4 + b"mif1" * 200)
    hostile.fails(
        "Exhibit 1 (evidence/IMG_1234.HEIC): an iPhone HEIC photo; send it as JPEG (on the iPhone: "
        "Settings > Camera > Formats > Most Compatible), or export it as JPEG (苹果HEIC照片：请在“设置 > "
        "相机 > 格式”中选择“兼容性最佳”，或将照片导出为JPEG)"
    )


def test_a_docx_that_is_a_zip_of_junk(hostile: Hostile) -> None:
    """Refused before LibreOffice sees it: what a zip of neither kind would make LibreOffice load cannot be
    checked."""
    one_exhibit(hostile, "contract.docx", ev.junk_docx)
    hostile.fails(
        "Exhibit 1 (evidence/contract.docx): the file is a zip archive, not a Word, Excel, PowerPoint or "
        "OpenDocument file; unzip it and add the files it holds as exhibits"
    )


def test_a_spreadsheet_that_unpacks_to_hundreds_of_megabytes_is_refused(hostile: Hostile) -> None:
    """The example's sales records with 250 MB of zeros added (the file 300 KB larger): the build unpacked it
    all into memory, 1.35 GB for 600 MB."""

    def bomb(path: Path) -> None:
        shutil.copyfile(EXAMPLE / "evidence" / "sales_records.xlsx", path)
        with (
            zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as package,
            package.open("xl/media/zeros.bin", "w", force_zip64=True) as stream,
        ):
            for _ in range(250):
                stream.write(bytes(1 << 20))

    one_exhibit(hostile, "sales_records.xlsx", bomb)
    hostile.fails(
        "Exhibit 1 (evidence/sales_records.xlsx): the file unpacks to more than 200 MB, more than "
        "build-appeal opens safely; is it damaged? Open it, save it again, or split it into smaller files"
    )
