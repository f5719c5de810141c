"""Hostile evidence files, generated in the tests: damaged, huge, odd and lying files. Small on disk and quick
to make, so nothing large is committed. Generators of ordinary files are in `tests/samples.py`."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from PIL import Image
from pypdf import PdfReader, PdfWriter

from tests import samples


def many_pages_pdf(path: Path, pages: int) -> Path:
    """A PDF of `pages` pages: one page with text, repeated (the page's content is stored once)."""
    one = samples.text_pdf(path.with_suffix(".one.pdf"), ["Order record, one page of many"])
    page = PdfReader(one).pages[0]
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_page(page)
    with path.open("wb") as stream:
        writer.write(stream)
    one.unlink()
    return path


def password_pdf(path: Path, text: str = "Secret page") -> Path:
    """A PDF that opens only with the password `secret`."""
    plain = samples.text_pdf(path.with_suffix(".plain.pdf"), [text])
    samples.encrypted_pdf(plain, path, user="secret", owner="owner")
    plain.unlink()
    return path


def tall_screenshot(path: Path, width: int = 1000, height: int = 20000) -> Path:
    """A long-page screenshot: `height` px tall, with a dark band every 1000 px so the slices differ."""
    picture = Image.new("RGB", (width, height), "white")
    for top in range(0, height, 1000):
        picture.paste((30, 30, 30), (0, top, width, top + 20))
    picture.save(path, format="PNG", optimize=False, compress_level=1)
    return path


def cmyk_jpeg(path: Path, color: tuple[int, int, int, int] = (0, 255, 255, 0)) -> Path:
    """A CMYK JPEG (as printers' and Photoshop's exports are) of one colour: by default pure red."""
    Image.new("CMYK", (300, 200), color).save(path, format="JPEG", quality=95)
    return path


def animated_gif(path: Path, frames: int = 5) -> Path:
    images = [Image.new("P", (160, 120), index * 40) for index in range(frames)]
    images[0].save(path, format="GIF", save_all=True, append_images=images[1:], duration=100, loop=0)
    return path


def corrupt_jpeg_header(path: Path) -> Path:
    """A file that starts like a JPEG and then holds nothing a decoder can read."""
    path.write_bytes(b"\xff\xd8\xff\xe0" + bytes(range(256)) * 40)
    return path


def truncated_jpeg(path: Path) -> Path:
    """A JPEG cut off half way, as an interrupted download or copy leaves it."""
    data = samples.jpeg_bytes((600, 400))
    path.write_bytes(data[: len(data) // 2])
    return path


def junk_docx(path: Path) -> Path:
    """A `.docx` that is a zip archive, but of random junk rather than a Word document."""
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("junk.bin", bytes(range(256)) * 64)
        archive.writestr("readme.txt", "not a word document")
    return path


def png_bytes(size: tuple[int, int] = (400, 300), color: str = "seagreen") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    return buffer.getvalue()


def word_file(path: Path, text: str) -> Path:
    """A small Word document holding `text`."""
    import docx

    document = docx.Document()
    document.add_paragraph(text)
    document.save(str(path))
    return path
