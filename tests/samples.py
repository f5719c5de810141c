"""Evidence files made in the tests: PDFs with text, forms, scripts, attachments and passwords; images of
every kind; scans with no text layer; damaged files. Everything small and generated, so nothing large is
committed."""

from __future__ import annotations

import io
import os
import struct
import subprocess
import zlib
from pathlib import Path

import img2pdf
import pytest
import weasyprint
from PIL import Image, ImageDraw, ImageFont
from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    FloatObject,
    NameObject,
    NumberObject,
    TextStringObject,
)

A4 = (595.28, 841.89)
LETTER = (612.0, 792.0)


def text_pdf(path: Path, pages: list[str], size: tuple[float, float] = LETTER) -> Path:
    """A PDF whose page k says pages[k], at the given size in points."""
    body = "".join(f'<p style="break-after: page">{text}</p>' for text in pages)
    css = f"@page {{ size: {size[0]}pt {size[1]}pt; margin: 36pt }} p:last-child {{ break-after: auto }}"
    weasyprint.HTML(string=f"<style>{css}</style>{body}").write_pdf(path)
    return path


def rewrite(source: Path, target: Path, change: object) -> Path:
    """Copy a PDF through pypdf, letting `change(writer)` alter it on the way."""
    writer = PdfWriter(clone_from=PdfReader(source))
    change(writer)  # type: ignore[operator]
    with target.open("wb") as stream:
        writer.write(stream)
    return target


def encrypted_pdf(source: Path, target: Path, user: str, owner: str) -> Path:
    return rewrite(source, target, lambda writer: writer.encrypt(user_password=user, owner_password=owner))


def form_pdf(source: Path, target: Path, value: str = "FIELDVALUE") -> Path:
    """A PDF with one filled text field whose appearance shows `value`."""

    def add_field(writer: PdfWriter) -> None:
        font = writer._add_object(
            DictionaryObject(
                {
                    NameObject("/Type"): NameObject("/Font"),
                    NameObject("/Subtype"): NameObject("/Type1"),
                    NameObject("/BaseFont"): NameObject("/Helvetica"),
                }
            )
        )
        appearance = DecodedStreamObject()
        appearance.set_data(f"BT /Helv 12 Tf 2 6 Td ({value}) Tj ET".encode())
        appearance.update(
            {
                NameObject("/Type"): NameObject("/XObject"),
                NameObject("/Subtype"): NameObject("/Form"),
                NameObject("/BBox"): ArrayObject(
                    [FloatObject(0), FloatObject(0), FloatObject(200), FloatObject(24)]
                ),
                NameObject("/Resources"): DictionaryObject(
                    {NameObject("/Font"): DictionaryObject({NameObject("/Helv"): font})}
                ),
            }
        )
        widget = writer._add_object(
            DictionaryObject(
                {
                    NameObject("/Type"): NameObject("/Annot"),
                    NameObject("/Subtype"): NameObject("/Widget"),
                    NameObject("/FT"): NameObject("/Tx"),
                    NameObject("/T"): TextStringObject("name"),
                    NameObject("/V"): TextStringObject(value),
                    NameObject("/Rect"): ArrayObject(
                        [NumberObject(100), NumberObject(500), NumberObject(300), NumberObject(524)]
                    ),
                    NameObject("/AP"): DictionaryObject({NameObject("/N"): writer._add_object(appearance)}),
                }
            )
        )
        writer.pages[0][NameObject("/Annots")] = ArrayObject([widget])
        writer.root_object[NameObject("/AcroForm")] = DictionaryObject(
            {NameObject("/Fields"): ArrayObject([widget])}
        )

    return rewrite(source, target, add_field)


def javascript_pdf(source: Path, target: Path) -> Path:
    """A PDF that runs JavaScript when opened."""

    def add_script(writer: PdfWriter) -> None:
        action = DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Action"),
                NameObject("/S"): NameObject("/JavaScript"),
                NameObject("/JS"): TextStringObject("app.alert('hello');"),
            }
        )
        writer.root_object[NameObject("/OpenAction")] = writer._add_object(action)

    return rewrite(source, target, add_script)


def attachment_pdf(source: Path, target: Path) -> Path:
    return rewrite(source, target, lambda writer: writer.add_attachment("secret.txt", b"attached data"))


def classic(source: Path) -> bytes:
    """The PDF rewritten with a classic cross-reference table (as most scanners and printers write)."""
    buffer = io.BytesIO()
    PdfWriter(clone_from=PdfReader(source)).write(buffer)
    return buffer.getvalue()


def truncated_pdf(source: Path, target: Path) -> Path:
    """The PDF without its cross-reference table and trailer, as an interrupted download leaves it."""
    data = classic(source)
    target.write_bytes(data[: data.rindex(b"\nxref") + 1])
    return target


def broken_xref_pdf(source: Path, target: Path) -> Path:
    """The PDF with a `startxref` offset that points nowhere."""
    data = classic(source)
    head, _, _ = data.rpartition(b"startxref")
    target.write_bytes(head + b"startxref\n999999\n%%EOF\n")
    return target


def image(
    path: Path,
    size: tuple[int, int] = (400, 300),
    mode: str = "RGB",
    color: object = "steelblue",
    **save: object,
) -> Path:
    Image.new(mode, size, color).save(path, **save)  # type: ignore[arg-type]
    return path


def exif_rotated_jpeg(path: Path) -> Path:
    """A JPEG stored 400x200 that must be turned upright to 200x400 (EXIF orientation 6)."""
    picture = Image.new("RGB", (400, 200), "white")
    picture.paste((200, 0, 0), (0, 0, 200, 200))  # left half red: after turning, the top is red
    exif = Image.Exif()
    exif[0x0112] = 6
    picture.save(path, format="JPEG", exif=exif.tobytes(), quality=95)
    return path


def multi_frame(path: Path, frames: int, format: str) -> Path:
    images = [Image.new("RGB", (120, 90), (index * 10 % 256, 80, 160)) for index in range(frames)]
    images[0].save(path, format=format, save_all=True, append_images=images[1:])
    return path


def png_bomb(path: Path, width: int = 40000, height: int = 40000) -> Path:
    """A tiny PNG file whose header claims 1.6 billion pixels (Pillow's guard must refuse it)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = zlib.compress(b"\x00" * (width + 1) * 4)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")
    )
    return path


def jpeg_bytes(size: tuple[int, int] = (300, 200)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "orange").save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


ENGLISH = "Supplier invoice for the frozen store"
CHINESE = "这是营业执照和发票"
DPI = 300


def font_file(family: str, needed: str) -> tuple[str, int]:
    """The file (and the index in a collection) fontconfig picks for `family`; it must be `needed`."""
    found = subprocess.run(
        ["fc-match", "-f", "%{file}\n%{index}", family], capture_output=True, text=True, check=True
    ).stdout.split("\n")
    if needed not in found[0]:
        pytest.fail(f"no {family} font is installed (fontconfig offers {found[0]}); run scripts/setup.sh")
    return found[0], int(found[1] or 0)


def scan(path: Path, *, lines: int = 1) -> Path:
    """A "scanned" page, 6 x 2 inches at 300 dpi per pair of lines: an English sentence and a Chinese one
    drawn into a greyscale JPEG, put into a PDF by img2pdf, so the page shows no text, only the image."""
    latin, latin_index = font_file("DejaVu Sans", "DejaVu")
    cjk, cjk_index = font_file("Noto Sans CJK SC", "CJK")
    english = ImageFont.truetype(latin, 56, index=latin_index)
    chinese = ImageFont.truetype(cjk, 64, index=cjk_index)
    image = Image.new("L", (6 * DPI, 2 * DPI * lines), 255)
    draw = ImageDraw.Draw(image)
    for line in range(lines):
        draw.text((120, 2 * DPI * line + 150), ENGLISH, font=english, fill=0)
        draw.text((120, 2 * DPI * line + 350), CHINESE, font=chinese, fill=0)
    jpeg = io.BytesIO()
    image.save(jpeg, "JPEG", quality=90, dpi=(DPI, DPI))
    path.write_bytes(img2pdf.convert(jpeg.getvalue()))
    return path


def scan_pdf(path: Path, pages: int, size: tuple[int, int] = (1700, 2200)) -> Path:
    """A PDF of `pages` pages, each a different photo-like JPEG at 200 dpi (noise does not compress)."""
    images = []
    for index in range(pages):
        noise = Image.frombytes("L", (size[0] // 4, size[1] // 4), os.urandom(size[0] * size[1] // 16))
        picture = noise.resize(size).convert("RGB")
        path_jpeg = path.with_suffix(f".{index}.jpg")
        picture.save(path_jpeg, quality=90)
        images.append(str(path_jpeg))
    layout = img2pdf.get_layout_fun((img2pdf.in_to_pt(8.5), img2pdf.in_to_pt(11)))
    path.write_bytes(img2pdf.convert(images, layout_fun=layout))
    return path
