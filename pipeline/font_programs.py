"""One program per font in the generated pages, also when they come from more than one WeasyPrint pass.

A clean build writes the pages it lays out in two passes (the evidence index, laid out by the draft's
process, in one of its own: `pipeline.draft`), a build without a draft in one. A rebuild takes the
documents that did not change from an earlier build's passes and writes only the changed ones in a new
pass, whose fonts are subset again: without this module the bundle would carry two programs of each font
(two subsets of Noto CJK are 0.3 MB more in a 1.3 MB bundle).

WeasyPrint subsets with glyph ids kept (HarfBuzz's retain-gids), so a glyph has the same id in every subset
of a font, and its fonts are CID fonts whose ids are the glyph ids. A pass's font can therefore use another
pass's program of the same font if that program holds every glyph it draws, with the same widths. The font
is the same when the name WeasyPrint gave it, the kind of program and the font file it was cut from (its
`head` table's revision and dates, its `name` table's unique id, version and PostScript name) are the
same.

When no program holds every glyph the passes draw (the index's pages and the others', or an edit that
added characters the other pages do not show), the font is cut again from its file, with every glyph of
every pass (HarfBuzz, keeping glyph ids, as WeasyPrint does), and all of them draw with that program. The
file is one the templates loaded (with @font-face) or an installed font found through fontconfig by its
PostScript name, checked to be the same file. A font whose file cannot be found so keeps a program per
pass: never a missing glyph, at worst a font twice.
"""

from __future__ import annotations

import io
import logging
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pypdf import PdfReader
from pypdf.generic import DictionaryObject, IndirectObject, NameObject, NumberObject, StreamObject

log = logging.getLogger(__name__)

PROGRAMS = ("/FontFile2", "/FontFile3")
"""Where a font descriptor keeps an embedded TrueType or OpenType program (WeasyPrint writes these)."""
DROPPED_TABLES = (
    b"BASE",
    b"DSIG",
    b"EBDT",
    b"EBLC",
    b"EBSC",
    b"GPOS",
    b"GSUB",
    b"JSTF",
    b"LTSH",
    b"PCLT",
    b"SVG ",
)
"""The tables WeasyPrint leaves out of the programs it embeds (weasyprint/pdf/fonts.py)."""


@dataclass
class _Font:
    """A CID font of a pass, as far as sharing its program is concerned."""

    identity: tuple[str, str, str]
    """Its name (subset tag included: WeasyPrint derives it from the font, not from the glyphs), its
    CID font type and where its descriptor keeps the program."""
    widths: dict[int, float]
    """The width of every glyph it draws, by glyph id."""
    descriptor: DictionaryObject
    program: IndirectObject
    origin: tuple[Any, ...] | None = None
    """What identifies the font file the program was cut from; read when it is needed."""

    def holds(self, other: _Font) -> bool:
        """Whether this font's program can draw every glyph `other` draws, the same way."""
        if any(self.widths.get(glyph) != width for glyph, width in other.widths.items()):
            return False
        return self._origin() is not None and self._origin() == other._origin()

    def _origin(self) -> tuple[Any, ...] | None:
        if self.origin is None:
            program: Any = self.program.get_object()
            self.origin = _origin(program.get_data())
        return self.origin or None

    def draw_with(self, program: IndirectObject) -> None:
        self.descriptor[NameObject(self.identity[2])] = program
        self.program = program


Cut = Callable[[tuple[Any, ...], list[int]], bytes | None]
"""Cuts the program of a font (`_origin`) with the glyphs given: `cut_program`, or one that keeps them."""


def share_font_programs(passes: list[PdfReader], cut: Cut | None = None) -> int:
    """Point the fonts of `passes` (the PDFs of generated pages a bundle is made from) at one program per
    font: one that holds every glyph the others draw, or else one cut again from the font's file with
    them all (by `cut`, `cut_program` if None); the readers are changed in memory only. Returns how many
    programs are no longer used."""
    fonts: dict[tuple[str, str, str], list[_Font]] = {}
    for reader in passes:
        for font in _fonts(reader):
            fonts.setdefault(font.identity, []).append(font)
    let_go = 0
    for same in fonts.values():
        widest = max(same, key=lambda font: len(font.widths))
        apart = []
        for font in same:
            if font is widest or _same_object(font.program, widest.program):
                continue
            if widest.holds(font):
                font.draw_with(widest.program)
                let_go += 1
            else:
                apart.append(font)
        if apart:
            let_go += _cut_again(widest, apart, cut or cut_program)
    if let_go:
        log.debug("%d font programs left unused: their fonts draw with another pass's", let_go)
    return let_go


def _cut_again(widest: _Font, apart: list[_Font], cut: Cut) -> int:
    """Give `widest` a program cut from the font file with the glyphs of all the fonts of `apart` that were
    cut from the same file, and make those draw with it; return how many programs that leaves unused."""
    same = [font for font in apart if font._origin() is not None and font._origin() == widest._origin()]
    widths = dict(widest.widths)
    for font in same:
        if any(widths.setdefault(glyph, width) != width for glyph, width in font.widths.items()):
            return 0  # a glyph drawn with two widths: not the same font after all
    origin = widest._origin()
    program = cut(origin, sorted(widths)) if same and origin else None
    if program is None:
        return 0
    stream: Any = widest.program.get_object()
    _replace_data(stream, program, widest.identity[2])
    widest.widths, widest.origin = widths, None
    let_go = 0
    for font in same:
        if not _same_object(font.program, widest.program):
            let_go += 1
        font.draw_with(widest.program)
    return let_go


def cut_program(origin: tuple[Any, ...], glyphs: list[int], files: Sequence[Path] = ()) -> bytes | None:
    """A program of the font file of `origin` (`_origin` of a program cut from it), with `glyphs` at their
    ids; None when that file is not found, or the program made does not come out as one of the same font.
    The file is looked for among `files` (those the templates loaded with @font-face, say), then among the
    installed fonts."""
    source = _source(origin, files)
    if source is None:
        return None
    import uharfbuzz as hb

    wanted = hb.SubsetInput()
    wanted.glyph_set.update({0, *glyphs})
    wanted.flags = (
        hb.SubsetFlags.RETAIN_GIDS
        | hb.SubsetFlags.PASSTHROUGH_UNRECOGNIZED
        | hb.SubsetFlags.DESUBROUTINIZE
        | hb.SubsetFlags.NO_HINTING
        | hb.SubsetFlags.NOTDEF_OUTLINE
    )
    wanted.sets(hb.SubsetInputSets.DROP_TABLE_TAG).update(
        int.from_bytes(tag, "big") for tag in DROPPED_TABLES
    )
    try:
        path, index = source
        cut = hb.subset(hb.Face(hb.Blob.from_file_path(path), index), wanted)
        program = bytes(cut.blob.data) if cut is not None else b""
    except Exception:  # HarfBuzz could not read or cut it: the passes keep their programs
        return None
    if not program or _origin(program) != origin or cut.glyph_count <= max(glyphs, default=0):
        return None
    return program


def _source(origin: tuple[Any, ...] | None, files: Sequence[Path] = ()) -> tuple[Path, int] | None:
    """The font file (and face in it) a program of `origin` was cut from: one of `files`, or else the
    installed font of its PostScript name, whose `head` and `name` tables are those of the program."""
    name = origin[-1] if origin else ""
    if not name:
        return None
    loaded = [(path, 0) for path in files if path.suffix.lower() in (".ttf", ".otf")]
    found = next((face for face in loaded if _face_origin(*face) == origin), None)
    if found is not None:
        return found
    try:
        listing = subprocess.run(
            ["fc-list", "--format", "%{file}\t%{index}\n", f":postscriptname={name}"],
            capture_output=True,
            text=True,
            check=False,
            timeout=30,
        ).stdout
    except Exception:  # no fontconfig: nothing to cut from
        return None
    for line in listing.splitlines():
        file, _, index = line.partition("\t")
        face = (Path(file), int(index or 0))
        if _face_origin(*face) == origin:
            return face
    return None


def _face_origin(path: Path, index: int) -> tuple[Any, ...] | None:
    """`_identify` of a face of a font file; None if fontTools cannot read it."""
    from fontTools.ttLib import TTFont

    try:
        with TTFont(path, fontNumber=index, lazy=True) as face:
            return _identify(face)
    except Exception:  # a file fontTools cannot read is not the one
        return None


def _replace_data(stream: StreamObject, program: bytes, key: str) -> None:
    stream.set_data(program)
    if key == "/FontFile2":  # a TrueType program's length, as PDF asks
        stream[NameObject("/Length1")] = NumberObject(len(program))


def _fonts(reader: PdfReader) -> list[_Font]:
    """Every CID font with an embedded program that the pages of `reader` use, once each."""
    found: dict[int, _Font] = {}
    for page in reader.pages:
        resources = page.get("/Resources")
        fonts = resources.get_object().get("/Font") if resources is not None else None
        for reference in fonts.get_object().values() if fonts is not None else []:
            if not isinstance(reference, IndirectObject) or reference.idnum in found:
                continue
            font = reference.get_object()
            shared = _cid_font(font) if isinstance(font, DictionaryObject) else None
            if shared is not None:
                found[reference.idnum] = shared
    return list(found.values())


def _cid_font(font: DictionaryObject) -> _Font | None:
    descendants = font.get("/DescendantFonts")
    if font.get("/Subtype") != "/Type0" or not descendants:
        return None
    cid_font = descendants.get_object()[0].get_object()
    if cid_font.get("/CIDToGIDMap") != "/Identity" or "/FontDescriptor" not in cid_font:
        return None  # ids that are not glyph ids: nothing to share safely
    descriptor = cid_font["/FontDescriptor"].get_object()
    for key in PROGRAMS:
        program = descriptor.raw_get(key) if key in descriptor else None
        if isinstance(program, IndirectObject):
            identity = (str(font.get("/BaseFont")), str(cid_font.get("/Subtype")), key)
            return _Font(identity, _widths(cid_font.get("/W")), descriptor, program)
    return None


def _widths(array: Any) -> dict[int, float]:
    """A CID font's /W array as glyph id -> width: `c [w1 w2 ...]` and `c_first c_last w` runs."""
    widths: dict[int, float] = {}
    items = list(array.get_object()) if array is not None else []
    position = 0
    while position < len(items):
        first = int(items[position])
        following = items[position + 1].get_object()
        if isinstance(following, list):
            widths.update((first + offset, float(width)) for offset, width in enumerate(following))
            position += 2
        else:
            widths.update((glyph, float(items[position + 2])) for glyph in range(first, int(following) + 1))
            position += 3
    return widths


def _origin(program: bytes) -> tuple[Any, ...]:
    """What a subset keeps of the font file it was cut from: the `head` table's revision, creation and
    modification dates and units per em, and the `name` table's unique id, version and PostScript name
    (last: the file is found by it). Empty when the program cannot be read (then it is shared with
    nothing)."""
    from fontTools.ttLib import TTFont

    try:
        return _identify(TTFont(io.BytesIO(program), lazy=True))
    except Exception:  # a program fontTools cannot read is left alone
        return ()


def _identify(font: Any) -> tuple[Any, ...]:
    """`_origin` of a font read by fontTools (a program, or a face of an installed font file)."""
    head = font["head"]
    names = font.get("name")
    unique, version, postscript = (
        str(names.getDebugName(i) or "") if names is not None else "" for i in (3, 5, 6)
    )
    return (head.fontRevision, head.created, head.modified, head.unitsPerEm, unique, version, postscript)


def _same_object(one: IndirectObject, other: IndirectObject) -> bool:
    return one.pdf is other.pdf and one.idnum == other.idnum
