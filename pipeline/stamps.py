"""Stamp the bundle's pages at the bottom: the exhibit label and page within it, the running page number,
and optionally a Bates number. The top of every page stays clear for the court's e-filing header.

Everything is placed in the part of the page a viewer or printer shows (the CropBox clipped to the
MediaBox). On a page too narrow for the three stamps side by side, they are stacked in two or three lines
(the band made taller) and, on a very narrow page, set smaller, never below `MIN_FONT_SIZE`.

Stamps are drawn straight into each page: a few text operators appended to its content, using one
embedded font subset that every page shares. The font comes from a one-page "carrier" that WeasyPrint
lays out with every character the stamps use, so the subset is embedded and its ToUnicode map makes the
stamps real, extractable text. The page's own content is left as it is (never decoded), only wrapped in
`q ... Q` so nothing it does to the graphics state reaches the stamps.
"""

from __future__ import annotations

import html
import io
import itertools
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from pypdf import PageObject, PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DecodedStreamObject, DictionaryObject, IndirectObject, NameObject

HEADER_BAND = 36.0
"""Points kept free at the top of an evidence page in a court bundle: CM/ECF prints its header across the
top of every page (`Case: ... Document #: ... Filed: ... Page 3 of 40`), half an inch is clear of it."""
STAMP_BAND = 36.0
"""Points kept free at the bottom of an evidence page for the stamps (half an inch), and a line more for
each line more the stamps take on a narrow page."""
FONT_SIZE = 8.0
BASELINE = 14.0
"""Points from the bottom edge of the page (of the part a viewer shows) to the stamps' lowest baseline."""
SIDE = 36.0
"""Points between a stamp and the side of the page (less on a page narrower than 12 times this)."""
MIN_FONT_SIZE = 6.0
"""The smallest size the stamps are set in on a very narrow page: still readable on paper."""
GAP = 12.0
"""Points at least between two stamps on one line."""
REGULAR, BOLD = "/BAStampR", "/BAStampB"

Box = tuple[float, float, float, float]
"""left, bottom, right, top, in the page's user space."""


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

    def width(self, text: str, size: float = FONT_SIZE) -> float:
        """How wide `text` is at `size` (the stamps' size unless given), in points."""
        return sum(self.widths.get(self.codes[char], 600.0) for char in text) * size / 1000


class Placed(NamedTuple):
    """One stamp where it is drawn: its font, text, size, the start of its baseline and its width (a tuple:
    one is made for each stamp of each of thousands of pages)."""

    font: StampFont
    name: str
    text: str
    size: float
    x: float
    y: float
    width: float


def visible_box(page: PageObject) -> Box:
    """The part of `page` a viewer or printer shows: its CropBox clipped to its MediaBox (the MediaBox
    when there is no CropBox, or when the two do not meet)."""
    media = _corners(page.mediabox)
    if "/CropBox" not in page:  # (most pages: pypdf would read the MediaBox a second time)
        return media
    crop = _corners(page.cropbox)
    left, bottom = max(media[0], crop[0]), max(media[1], crop[1])
    right, top = min(media[2], crop[2]), min(media[3], crop[3])
    return (left, bottom, right, top) if left < right and bottom < top else media


def crowded(page: PageObject, top: float = 0.0) -> bool:
    """Whether text on `page` lies in the band at its bottom kept for the stamps (`STAMP_BAND`), or in the
    `top` points at its top (a court's filing system prints its header there: `HEADER_BAND`): a Word
    template with small margins, a header or a footer puts it there. Read from the drawing's operators
    alone (where each text is shown, and its size): pypdf's text extraction would read the fonts too, 50 ms
    a page of a letter with Chinese fonts."""
    _, bottom, _, upper = visible_box(page)
    contents = page.get_contents()
    if contents is None:
        return False
    line = text = IDENTITY
    size = leading = 0.0
    for operands, operator, matrix in transformed(contents.operations):
        if operator == b"BT":
            line = text = IDENTITY
        elif operator == b"Tm":
            line = text = concatenated(operands, IDENTITY)
        elif operator in (b"Td", b"TD"):
            if operator == b"TD":
                leading = -float(operands[1])
            line = text = concatenated([1, 0, 0, 1, operands[0], operands[1]], line)
        elif operator in (b"T*", b"'", b'"'):
            line = text = concatenated([1, 0, 0, 1, 0, -leading], line)
        elif operator == b"TL":
            leading = float(operands[0])
        elif operator == b"Tf":
            size = float(operands[1])
        if operator in (b"Tj", b"TJ", b"'", b'"'):
            placed = concatenated(text, matrix)
            y, height = placed[5], size * (placed[2] ** 2 + placed[3] ** 2) ** 0.5
            if y < bottom + STAMP_BAND or (top > 0 and y + 0.8 * height > upper - top):
                return True
    return False


Matrix = tuple[float, float, float, float, float, float]
IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


def transformed(
    operations: Iterable[tuple[Any, bytes]], matrix: Matrix = IDENTITY
) -> Iterator[tuple[Any, bytes, Matrix]]:
    """Each operator of a drawing (pypdf's `operations`) but `q`, `Q` and `cm`, with the transformation in
    force where it runs, from `matrix` (the page's, or that of the form the drawing is)."""
    saved: list[Matrix] = []
    for operands, operator in operations:
        if operator == b"q":
            saved.append(matrix)
        elif operator == b"Q":
            matrix = saved.pop() if saved else matrix
        elif operator == b"cm":
            matrix = concatenated(operands, matrix)
        else:
            yield operands, operator, matrix


def concatenated(values: Sequence[Any], matrix: Matrix) -> Matrix:
    """The matrix `values` (a `cm`'s operands, a form's /Matrix) followed by `matrix`, as PDF concatenates
    them; `matrix` itself if `values` is no matrix."""
    if len(values) != 6:
        return matrix
    a, b, c, d, e, f = (float(value) for value in values)
    a2, b2, c2, d2, e2, f2 = matrix
    return (
        a * a2 + b * c2, a * b2 + b * d2,
        c * a2 + d * c2, c * b2 + d * d2,
        e * a2 + f * c2 + e2, e * b2 + f * d2 + f2,
    )  # fmt: skip


def _corners(box: Sequence[Any]) -> Box:
    x1, y1, x2, y2 = (float(value) for value in box)
    return min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2)


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

    def __init__(self, writer: PdfWriter, fonts: tuple[StampFont, StampFont], top: float = 0.0) -> None:
        """`top`: the points kept free at the top of a page made room on, besides the stamps' band at the
        bottom (a court's filing system prints its header there: `HEADER_BAND`)."""
        self.writer = writer
        self.top = top
        self.regular, self.bold = fonts
        self.references = {
            REGULAR: writer._add_object(self.regular.font.clone(writer)),
            BOLD: writer._add_object(self.bold.font.clone(writer)),
        }
        self.save = self._stream(b"q\n")
        self.shrinks: dict[tuple[float, ...], IndirectObject] = {}

    def stamp(self, page: PageObject, stamp: Stamp, make_room: bool = False) -> None:
        """Draw `stamp` over `page`; with `make_room`, first shrink the page's content towards the top so
        the bottom band is free (nothing at the edge is hidden, nothing outside the page is revealed; the
        page keeps its size and orientation)."""
        if page.rotation % 360:
            page.transfer_rotation_to_content()  # so the bottom is the bottom the reader sees
        box = visible_box(page)
        placed, band = self._layout(stamp, box)
        room = make_room and box[3] - box[1] > 2 * (band + self.top)
        before = self._shrink(box, band) if room else self.save
        contents = page.get(NameObject("/Contents"))
        parts = (
            list(contents) if isinstance(contents, ArrayObject) else [] if contents is None else [contents]
        )
        parts = [
            part if isinstance(part, IndirectObject) else self.writer._add_object(part) for part in parts
        ]
        page[NameObject("/Contents")] = ArrayObject([before, *parts, self._stream(drawing(placed))])
        resources = page.setdefault(NameObject("/Resources"), DictionaryObject()).get_object()
        fonts = resources.setdefault(NameObject("/Font"), DictionaryObject()).get_object()
        fonts.update({NameObject(name): reference for name, reference in self.references.items()})

    def _layout(self, stamp: Stamp, box: Box) -> tuple[list[Placed], float]:
        """Where each stamp goes in `box`, and the height of the band they take at its bottom.

        On one line if they fit: the exhibit at the left, the Bates number in the middle, the running number
        at the right. Otherwise the exhibit on a line above the other two, or each on its own line; on a
        page too narrow even for that, in a smaller size that fits (at least `MIN_FONT_SIZE`)."""
        left, right = box[0], box[2]
        side = min(SIDE, (right - left) / 12)
        start, end = left + side, right - side
        stamps = [  # each with where it goes on its line (0 at the left, 1/2 in the middle, 1 at the right)
            (font, name, text, where, font.width(text))  # and its width at FONT_SIZE, measured once
            for font, name, text, where in (
                (self.bold, BOLD, stamp.exhibit, 0.0),
                (self.regular, REGULAR, stamp.bates, 0.5),
                (self.regular, REGULAR, stamp.running, 1.0),
            )
            if text
        ]
        arrangements = [[stamps]]
        if len(stamps) == 3:
            arrangements.append([stamps[:1], stamps[1:]])
        arrangements.append([[one] for one in stamps])
        widest = max(width for *_, width in stamps)
        smaller = max(MIN_FONT_SIZE, min(FONT_SIZE, FONT_SIZE * (end - start) / widest))
        tries = [(FONT_SIZE, lines) for lines in arrangements] + [(smaller, arrangements[-1])]
        for size, lines in tries:
            leading, scale = size * 1.5, size / FONT_SIZE
            placed = [
                Placed(
                    font,
                    name,
                    text,
                    size,
                    start + (end - start - width * scale) * where,
                    box[1] + BASELINE + (len(lines) - 1 - row) * leading,
                    width * scale,
                )
                for row, line in enumerate(lines)
                for font, name, text, where, width in line
            ]
            if _fit(placed, start, end):
                break  # else the last try, the smallest, is taken as it is
        return placed, STAMP_BAND + (len(lines) - 1) * leading

    def _shrink(self, box: Box, band: float) -> IndirectObject:
        """Scale the page's content, centred across `box`, so `band` points are free at its bottom and
        `self.top` at its top, and clip it to `box` (scaled with it): what was outside the page stays
        hidden."""
        key = (*box, band)
        if key not in self.shrinks:
            left, bottom, right, top = box
            width, height = right - left, top - bottom
            scale = (height - band - self.top) / height
            dx = (1 - scale) * (left + width / 2)
            dy = (1 - scale) * top - self.top  # the content's top edge comes down by `self.top`
            self.shrinks[key] = self._stream(
                f"q {scale:.6f} 0 0 {scale:.6f} {dx:.4f} {dy:.4f} cm\n"
                f"{left:.4f} {bottom:.4f} {width:.4f} {height:.4f} re W n\n".encode()
            )
        return self.shrinks[key]

    def _stream(self, data: bytes) -> IndirectObject:
        stream = DecodedStreamObject()
        stream.set_data(data)
        return self.writer._add_object(stream.flate_encode() if len(data) > 60 else stream)


def _fit(placed: list[Placed], start: float, end: float) -> bool:
    """Whether every stamp is within `start`..`end` and those on one line are `GAP` apart."""
    if any(one.x < start - 0.01 or one.x + one.width > end + 0.01 for one in placed):
        return False
    return all(
        first.x + first.width + GAP <= second.x + 0.01
        for first, second in itertools.pairwise(placed)
        if first.y == second.y
    )


def drawing(placed: list[Placed]) -> bytes:
    """The content that draws `placed` over a page's own (closed first by its `Q`), each on white."""
    commands = ["Q", "q", "1 g"]  # close the page's own content; white behind the stamps
    for one in placed:
        below, high = one.size / 2, one.size * 13 / 8  # 4 and 13 points at the stamps' size
        commands.append(f"{one.x - 3:.2f} {one.y - below:.2f} {one.width + 6:.2f} {high:.2f} re f")
    commands.append("0 g")
    for one in placed:
        commands.append(
            f"BT {one.name} {one.size:g} Tf {one.x:.2f} {one.y:.2f} Td {one.font.show(one.text)} Tj ET"
        )
    commands.append("Q")
    return ("\n".join(commands) + "\n").encode("ascii")
