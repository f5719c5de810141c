"""Stamp the bundle's pages at the bottom: the exhibit label and page within it, the running page number,
and optionally a Bates number. The top of every page stays clear for the court's e-filing header.

Stamps are drawn straight into each page: a few text operators appended to its content, using one
embedded font subset that every page shares. The font comes from a one-page "carrier" that WeasyPrint
lays out with every character the stamps use, so the subset is embedded and its ToUnicode map makes the
stamps real, extractable text. The page's own content is left as it is (never decoded), only wrapped in
`q ... Q` so nothing it does to the graphics state reaches the stamps.
"""

from __future__ import annotations

import html
import io
import re
from dataclasses import dataclass
from typing import Any

from pypdf import PageObject, PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DecodedStreamObject, DictionaryObject, IndirectObject, NameObject

STAMP_BAND = 36.0
"""Points kept free at the bottom of an evidence page for the stamps (half an inch)."""
FONT_SIZE = 8.0
BASELINE = 14.0
"""Points from the bottom edge of the page to the stamps' baseline."""
SIDE = 36.0
REGULAR, BOLD = "/BAStampR", "/BAStampB"


@dataclass(frozen=True)
class Stamp:
    """What is printed at the bottom of one page of the bundle."""

    width: float
    height: float
    running: str
    exhibit: str = ""
    bates: str = ""


@dataclass(frozen=True)
class StampFont:
    """An embedded font subset with the codes and widths of the characters the stamps use."""

    font: Any
    codes: dict[str, int]
    widths: dict[int, float]

    def show(self, text: str) -> str:
        """The hex string that shows `text` with this font."""
        return "<" + "".join(f"{self.codes[char]:04x}" for char in text) + ">"

    def width(self, text: str) -> float:
        """How wide `text` is at the stamps' size, in points."""
        return sum(self.widths.get(self.codes[char], 600.0) for char in text) * FONT_SIZE / 1000


def stamp_fonts(stamps: list[Stamp]) -> tuple[StampFont, StampFont]:
    """The regular and bold fonts, subset to exactly the characters of `stamps`."""
    import weasyprint

    chars = sorted({char for stamp in stamps for char in stamp.running + stamp.exhibit + stamp.bates} - {" "})
    sample = html.escape("".join(chars)) + " " + html.escape("".join(chars))
    carrier = (
        f"<p style=\"font: {FONT_SIZE}pt 'DejaVu Sans'\">{sample}</p>"
        f"<p style=\"font: bold {FONT_SIZE}pt 'DejaVu Sans'\">{sample}</p>"
    )
    reader = PdfReader(io.BytesIO(weasyprint.HTML(string=carrier).write_pdf()))
    fonts: Any = reader.pages[0]["/Resources"]["/Font"]  # type: ignore[index]
    found = {}
    for reference in fonts.values():
        font = reference.get_object()
        found["bold" if "Bold" in str(font["/BaseFont"]) else "regular"] = _stamp_font(font)
    return found["regular"], found["bold"]


def _stamp_font(font: Any) -> StampFont:
    cmap = font["/ToUnicode"].get_object().get_data().decode("latin-1")
    codes: dict[str, int] = {}
    for block in re.findall(r"beginbfchar(.*?)endbfchar", cmap, re.S):
        for code, unicode in re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
            codes[chr(int(unicode, 16))] = int(code, 16)
    for block in re.findall(r"beginbfrange(.*?)endbfrange", cmap, re.S):
        for first, last, unicode in re.findall(
            r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block
        ):
            for offset in range(int(last, 16) - int(first, 16) + 1):
                codes[chr(int(unicode, 16) + offset)] = int(first, 16) + offset
    widths: dict[int, float] = {}
    entries = list(font["/DescendantFonts"][0].get_object().get("/W", []))
    index = 0
    while index + 1 < len(entries):
        first, following = int(entries[index]), entries[index + 1]
        if isinstance(following, list):
            widths.update({first + offset: float(width) for offset, width in enumerate(following)})
            index += 2
        else:
            widths.update(dict.fromkeys(range(first, int(following) + 1), float(entries[index + 2])))
            index += 3
    return StampFont(font, codes, widths)


class Stamper:
    """Draws stamps into the pages of one writer, with the two fonts added to it once."""

    def __init__(self, writer: PdfWriter, fonts: tuple[StampFont, StampFont]) -> None:
        self.writer = writer
        self.regular, self.bold = fonts
        self.references = {
            REGULAR: writer._add_object(self.regular.font.clone(writer)),
            BOLD: writer._add_object(self.bold.font.clone(writer)),
        }
        self.save = self._stream(b"q\n")
        self.shrinks: dict[tuple[float, ...], IndirectObject] = {}

    def stamp(self, page: PageObject, stamp: Stamp, make_room: bool = False) -> None:
        """Draw `stamp` over `page`; with `make_room`, first shrink the page's content towards the top so
        the bottom band is free (nothing at the edge is hidden; the page keeps its size and orientation)."""
        if page.rotation % 360:
            page.transfer_rotation_to_content()  # so the bottom is the bottom the reader sees
        box = page.mediabox
        left, bottom = float(box.left), float(box.bottom)
        width, height = float(box.width), float(box.height)
        before = (
            self._shrink(left, bottom, width, height) if make_room and height > 2 * STAMP_BAND else self.save
        )
        contents = page.get(NameObject("/Contents"))
        parts = (
            list(contents) if isinstance(contents, ArrayObject) else [] if contents is None else [contents]
        )
        parts = [
            part if isinstance(part, IndirectObject) else self.writer._add_object(part) for part in parts
        ]
        drawing = self._drawing(stamp, left, bottom, width)
        page[NameObject("/Contents")] = ArrayObject([before, *parts, self._stream(drawing)])
        resources = page.setdefault(NameObject("/Resources"), DictionaryObject()).get_object()
        fonts = resources.setdefault(NameObject("/Font"), DictionaryObject()).get_object()
        fonts.update({NameObject(name): reference for name, reference in self.references.items()})

    def _drawing(self, stamp: Stamp, left: float, bottom: float, width: float) -> bytes:
        y = bottom + BASELINE
        placed = []
        if stamp.exhibit:
            placed.append((self.bold, BOLD, stamp.exhibit, left + SIDE))
        if stamp.bates:
            placed.append(
                (self.regular, REGULAR, stamp.bates, left + (width - self.regular.width(stamp.bates)) / 2)
            )
        placed.append(
            (self.regular, REGULAR, stamp.running, left + width - SIDE - self.regular.width(stamp.running))
        )
        commands = ["Q", "q", "1 g"]  # close the page's own content; white behind the stamps
        for font, _, text, x in placed:
            commands.append(f"{x - 3:.2f} {y - 4:.2f} {font.width(text) + 6:.2f} {FONT_SIZE + 5:.2f} re f")
        commands.append("0 g")
        for font, name, text, x in placed:
            commands.append(f"BT {name} {FONT_SIZE:g} Tf {x:.2f} {y:.2f} Td {font.show(text)} Tj ET")
        commands.append("Q")
        return ("\n".join(commands) + "\n").encode("ascii")

    def _shrink(self, left: float, bottom: float, width: float, height: float) -> IndirectObject:
        key = (left, bottom, width, height)
        if key not in self.shrinks:
            scale = (height - STAMP_BAND) / height
            dx = left * (1 - scale) + (1 - scale) * width / 2
            dy = bottom * (1 - scale) + (1 - scale) * height
            self.shrinks[key] = self._stream(f"q {scale:.6f} 0 0 {scale:.6f} {dx:.4f} {dy:.4f} cm\n".encode())
        return self.shrinks[key]

    def _stream(self, data: bytes) -> IndirectObject:
        stream = DecodedStreamObject()
        stream.set_data(data)
        return self.writer._add_object(stream.flate_encode() if len(data) > 60 else stream)
