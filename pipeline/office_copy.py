"""The copy of an office file that LibreOffice converts: nothing in it points outside the file.

A Word, Excel, PowerPoint or OpenDocument file (told by its content, whatever its name) is copied part by
part: relationships to web addresses or other files, OpenDocument `xlink:href`s, links in SVG pictures
and RTF fields that load another file are left out, with a warning; comment marks are dropped (LibreOffice's
session crashes on them); spreadsheets print every cell's whole text, as few pages wide as a readable size
allows, each page headed with its sheet's name. A file any part of which cannot be checked, or that unpacks
to more than `PACKAGE_LIMIT`, is refused: LibreOffice never gets an unchecked file. The evidence itself is
never changed.
"""

from __future__ import annotations

import bisect
import functools
import gzip
import io
import math
import posixpath
import re
import zipfile
import zlib
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import unquote

from lxml import etree

from pipeline.context import Exhibit
from pipeline.errors import EvidenceError
from pipeline.exhibits import describe
from pipeline.stamps import HEADER_BAND, MIN_FONT_SIZE, STAMP_BAND

_SHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_BEFORE_PAGE_SETUP = (
    "sheetData", "sheetCalcPr", "sheetProtection", "protectedRanges", "scenarios", "autoFilter", "sortState",
    "dataConsolidate", "customSheetViews", "mergeCells", "phoneticPr", "conditionalFormatting",
    "dataValidations", "hyperlinks", "printOptions", "pageMargins",
)  # fmt: skip
_BEFORE_COLS = ("sheetPr", "dimension", "sheetViews", "sheetFormatPr")
_BEFORE_DEFINED_NAMES = (
    "fileVersion", "fileSharing", "workbookPr", "workbookProtection", "bookViews", "sheets", "functionGroups",
    "externalReferences",
)  # fmt: skip
_OFFICE_DOCUMENT = "/relationships/officeDocument"
_C, _V, _T, _IS = (f"{{{_SHEET_NS}}}{name}" for name in ("c", "v", "t", "is"))
_RELATIONSHIPS_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
MAX_COLUMNS = 16384
"""The columns a sheet has (A to XFD): a row of cells without their places is not counted past it."""
WIDEST_COLUMN = 50.0
"""The widest a column is made for its text, in Excel's unit (the width of a digit): half a landscape page
at full size. A longer text wraps within it, on as many lines as it needs."""
READABLE_SIZE = MIN_FONT_SIZE
"""The smallest a sheet's text is printed to fit it on fewer pages across, in points: 6, the smallest the
stamps are set in, still readable on paper (11-point text at 55%). A 40-column export squeezed onto one
page came out at 3 points; a sheet that cannot fit at this size is printed as many pages across as it
needs. (The example's 9-column sales export prints on one page at 59%, 6.5 points.)"""
_DIGIT_EM = 0.64
"""A digit's width, in ems of the sheet's default font, as LibreOffice prints it: Calibri's stand-in here
is DejaVu Sans (0.64; Calibri's own is 0.51)."""
_PAPER_LONG_SIDE = {1: 11.0, 3: 17.0, 5: 14.0, 8: 16.54, 9: 11.69, 11: 8.27}
"""The long side, in inches, of the paper sizes of a sheet's `paperSize` (Letter, the default, tabloid,
Legal, A3, A4, A5)."""
_BUILT_IN_FORMATS = {
    1: "0", 2: "0.00", 3: "#,##0", 4: "#,##0.00", 9: "0%", 10: "0.00%", 11: "0.00E+00", 12: "# ?/?",
    13: "# ??/??", 14: "mm-dd-yy", 15: "d-mmm-yy", 16: "d-mmm", 17: "mmm-yy", 18: "h:mm AM/PM",
    19: "h:mm:ss AM/PM", 20: "h:mm", 21: "h:mm:ss", 22: "m/d/yy h:mm", 37: "#,##0 ;(#,##0)",
    38: "#,##0 ;(#,##0)", 39: "#,##0.00;(#,##0.00)", 40: "#,##0.00;(#,##0.00)", 45: "mm:ss",
    46: "[h]:mm:ss", 47: "mmss.0", 48: "##0.0E+0", 49: "@",
}  # fmt: skip
"""The number formats Excel numbers without writing them down (`numFmtId`), as `styles.xml` would."""
_WIDE_CHARACTER = re.compile(
    "[\u1100-\u115f\u2e80-\u303e\u3041-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60"
    "\uffe0-\uffe6\U0001f300-\U0001faff\U00020000-\U0003fffd]"
)
"""Chinese, Japanese and Korean characters, full-width forms and emoji: two digits wide."""
_LETTERS = str.maketrans(
    {
        **{letter: "A" for letter in "ABCDEFGHIJKLNOPQRSTUVXYZ@%"},
        **{letter: "a" for letter in "abcdefghijklnopqrstuvxyz"},
        **{"M": "W", "m": "w"},
    }
)
"""Each ASCII letter as its class: a capital ("A", "W" for M and W) or a small letter ("a", "w")."""
_FORMAT_CODES = re.compile(r'"([^"]*)"|\[\$([^-\]]*)(?:-[^\]]*)?\]|\[[^\]]*\]|\\(.)|_.|\*.')
"""What a number format shows other than itself: its quoted text and escaped characters (kept), its
currency (`[$€-407]`, kept), its colours and conditions (`[Red]`) and padding (`_)`, `*-`) (left out)."""
_COLUMN = re.compile("[A-Za-z]{1,3}")
_CELL_REFERENCE = re.compile(r"\$?([A-Za-z]{1,3})\$?(\d+)")


PACKAGE_LIMIT = 200 * 1024 * 1024
"""The most an office file may hold once unpacked. A zip bomb of a few hundred KB unpacks to gigabytes; its
size is read from the zip's directory and refused before anything is unpacked (Python's zip reader never
unpacks more than the directory says)."""
HYPERLINK = "/relationships/hyperlink"
"""How the type of a relationship to a web page (a link in the text, which loads nothing) ends."""
_HYPERLINK_ELEMENTS = frozenset({"hyperlink", "hlinkClick", "hlinkHover", "hlinkMouseOver"})
"""The elements of Word, Excel and PowerPoint parts that name a hyperlink's relationship."""
_XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
_FORM_IMAGE = "{urn:oasis:names:tc:opendocument:xmlns:form:1.0}image-data"
_ODF_TYPES = ("application/vnd.oasis.opendocument.", "application/vnd.sun.xml.")
_URL_OR_DRIVE = re.compile(r"\s*(?:[a-z][a-z0-9+.-]*:|[/\\])", re.I)
"""A link target that names a URL (http:, file:, smb:...), a drive (C:), a share or an absolute path."""
_RTF_CONTROL = re.compile(rb"\\(?:([a-zA-Z]{1,32})(-?\d{1,10})? ?|'([0-9a-fA-F]{2})|(.))", re.S)
FETCHING_FIELDS = ("INCLUDEPICTURE", "INCLUDETEXT", "INCLUDE", "IMPORT", "LINK", "DDE", "DDEAUTO")
"""The field instructions of Word and RTF that load a picture or text from another file or the web."""
_RTF_INCLUDE = re.compile(rf"\b(?:{'|'.join(FETCHING_FIELDS)})\b", re.I)
_OLE_INCLUDE = re.compile(
    b"|".join(
        word.encode() + b"|" + b"\x00".join(bytes([letter]) for letter in word.encode())
        for word in ("INCLUDEPICTURE", "INCLUDETEXT")
    ),
    re.I,
)
"""Those instructions in an old binary Word file, as 8-bit or as UTF-16 text."""


def _ole_streams(*names: str) -> re.Pattern[bytes]:
    """The directory entry of an old binary (OLE2) office file's stream of one of those names: the name in
    UTF-16 with its terminator, padded to 64 bytes, its length in bytes, and the type of a stream."""
    return re.compile(
        b"|".join(
            re.escape((name + "\0").encode("utf-16-le").ljust(64, b"\0") + bytes([2 * len(name) + 2, 0, 2]))
            for name in names
        )
    )


_OLE_WORKBOOK = _ole_streams("Workbook", "Book")
"""An old binary Excel file's sheets (`Book` before Excel 97)."""
_OLE_DOCUMENT = _ole_streams("WordDocument", "PowerPoint Document")
"""An old Word or PowerPoint file's text: a Word file holding a spreadsheet has its `Workbook` too (in the
embedded object's storage), and is no spreadsheet."""
_EMPTY_SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>'


def printable_copy(exhibit: Exhibit, source: Path, target: Path) -> tuple[Path, list[str]]:
    """The office file LibreOffice should convert, and warnings.

    A copy in which nothing points outside the file: a picture, text or template linked from a web address
    or from another file would otherwise be fetched by LibreOffice (links to web pages in the text stay,
    they fetch nothing). The kind is read from the content, whatever the name: a Word, Excel or PowerPoint
    package (its relationships), an OpenDocument one (its `xlink:href`s), an SVG picture inside either, an
    RTF file (its INCLUDEPICTURE and INCLUDETEXT fields). Spreadsheets are also set to print in landscape,
    every cell's whole text, one page wide unless that would print it too small to read (then a warning
    names the sheet), each page headed with its sheet's name (`_fit_sheet`). Everything else is copied byte
    for byte; the evidence itself is never changed. A package any part of which cannot be checked is
    refused, never converted unchecked. Old binary Word, Excel and PowerPoint files cannot be checked:
    converted as they are, with a warning when they hold such fields."""
    name = describe(exhibit)
    with source.open("rb") as stream:
        head = stream.read(8)
    if head.startswith(b"{\\rtf"):
        return _rtf_copy(name, source, target, Path(exhibit.file).name)
    if not head.startswith(b"PK"):  # an old binary (OLE2) file: Word 97-2003, Excel, PowerPoint
        return source, _binary_warnings(name, source)
    removed: list[str] = []
    notes: set[str] = set()
    wide: list[tuple[str, int]] = []
    try:
        with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as copy:
            if _package_kind(original) is None:
                raise EvidenceError(
                    f"{name}: the file is a zip archive, not a Word, Excel, PowerPoint or OpenDocument file; "
                    "unzip it and add the files it holds as exhibits"
                )
            wide = _clean_package(original, copy, _Budget(name), removed, notes, Path(exhibit.file).name)
    except EvidenceError:
        raise
    except _Unchecked as error:
        raise EvidenceError(
            f"{name}: the file could not be checked for links to other files ({error}); open it in its "
            "program, save it again and use that file"
        ) from error
    except (zipfile.BadZipFile, zipfile.LargeZipFile, RuntimeError, NotImplementedError, ValueError,
            EOFError, OSError, zlib.error) as error:  # fmt: skip
        raise EvidenceError(
            f"{name}: the file could not be checked for links to other files ({error}); open it in its "
            "program, save it again and use that file"
        ) from error
    warnings = [
        f"{name}: left out what the file links to outside itself ({link}); put such a picture into the "
        "file, or add it as an exhibit of its own"
        for link in removed
    ]
    if "comments" in notes:
        warnings.append(
            f"{name}: its Word comments are not in the bundle (LibreOffice cannot print them here); if they "
            "matter, print the file to PDF from Word with its comments and add that PDF"
        )
    warnings += sorted(
        f"{name}: a picture in the file ({part}) could not be read and is left out; put the picture into the "
        "file again as PNG or JPEG"
        for part in notes - {"comments"}
    )
    warnings += [
        f'{name}: the sheet "{sheet}" is too wide to print readably on one page; it is printed {pages} pages '
        "across; to print it on one page, add a copy of the file that keeps only the columns that matter"
        for sheet, pages in wide
    ]
    return target, warnings


class _Unchecked(Exception):
    """A part of an office package could not be checked: its name and why."""


class _Budget:
    """What the packages of one file (the file and those embedded in it) may still unpack to."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.left = PACKAGE_LIMIT

    def spend(self, package: zipfile.ZipFile) -> None:
        size = sum(item.file_size for item in package.infolist())
        self.left -= size
        if self.left < 0:
            raise EvidenceError(
                f"{self.name}: the file unpacks to more than {PACKAGE_LIMIT // 2**20} MB, more than "
                "build-appeal opens safely; is it damaged? Open it, save it again, or split it into smaller "
                "files"
            )


def _package_kind(package: zipfile.ZipFile) -> str | None:
    """ "ooxml" for a Word, Excel or PowerPoint package, "odf" for an OpenDocument one, else None."""
    names = {name.lower(): name for name in package.namelist()}
    if "[content_types].xml" in names:
        return "ooxml"
    if "mimetype" in names:
        with package.open(names["mimetype"]) as stream:
            if stream.read(100).strip().decode("ascii", "replace").startswith(_ODF_TYPES):
                return "odf"
    return None


def _clean_package(
    original: zipfile.ZipFile, copy: zipfile.ZipFile, budget: _Budget, removed: list[str], notes: set[str],
    file_name: str, depth: int = 0,
) -> list[tuple[str, int]]:  # fmt: skip
    """Copy every part of `original` into `copy`, each checked and cleaned; nested packages (a spreadsheet
    embedded in a Word file) alike. The sheets printed more than one page across, and how many pages.
    `file_name` is the evidence file's name, which headers and fields that print the file's name show."""
    budget.spend(original)
    kind = _package_kind(original)
    members = {item.filename for item in original.infolist()}
    workbook = _Workbook(original, members) if kind == "ooxml" else _Workbook()
    held: list[tuple[zipfile.ZipInfo, bytes]] = []
    for item in original.infolist():
        data = original.read(item)
        part = item.filename
        lower = part.lower()
        try:
            if lower.endswith(".rels"):
                data = _internal_only(original, part, data, members, removed)
            elif lower.endswith((".xml", ".vml")):
                data = _checked_xml(kind, part, data, removed, notes, workbook, file_name)
            elif _is_svg(data):
                data = _svg_without_links(part, data, removed, notes)
            elif data.startswith(b"PK\x03\x04") and depth < 3:
                data = _nested_package(data, budget, removed, notes, file_name, depth)
        except etree.XMLSyntaxError as error:
            raise _Unchecked(f"{part}: {error}") from error
        if part in (workbook.part, workbook.styles):  # written once every sheet is laid out
            held.append((item, data))
        else:
            copy.writestr(item, data)
    for item, data in held:
        copy.writestr(item, workbook.finished(item.filename, data))
    return workbook.wide


def _nested_package(
    data: bytes, budget: _Budget, removed: list[str], notes: set[str], file_name: str, depth: int
) -> bytes:
    """An office package embedded in another, cleaned; another kind of zip as it is (LibreOffice does not
    open it)."""
    with zipfile.ZipFile(io.BytesIO(data)) as inner:
        if _package_kind(inner) is None:
            return data
        cleaned = io.BytesIO()
        with zipfile.ZipFile(cleaned, "w", zipfile.ZIP_DEFLATED) as copy:
            _clean_package(inner, copy, budget, removed, notes, file_name, depth + 1)  # (a picture: no pages)
    return cleaned.getvalue()


def _parse(data: bytes) -> Any:
    """An XML part as a tree: no entity of its document type expanded, nothing fetched, a too large or
    too deep document refused (lxml's limits)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    tree = etree.ElementTree(etree.fromstring(data, parser))
    if tree.docinfo.internalDTD is not None:
        raise etree.XMLSyntaxError("a document type with declarations of its own", None, 0, 0, None)
    return tree


def _serialized(root: Any) -> bytes:
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True))


def _checked_xml(
    kind: str | None, part: str, data: bytes, removed: list[str], notes: set[str], workbook: _Workbook,
    file_name: str,
) -> bytes:  # fmt: skip
    """An XML part of a package, parsed whole (so all of it is checked) and cleaned: OpenDocument links out
    dropped, Word comment marks dropped, sheets set to print whole (`_fit_sheet`), the file's name printed
    where a header or a field prints the name or path of the file (`file_names_shown`). Unchanged, the bytes
    as they were; a document type naming an outside file (which the part's reader might fetch) is dropped."""
    tree = _parse(data)
    root = tree.getroot()
    changed = bool(tree.docinfo.doctype)
    for element in root.iter("{*}*"):
        for attribute in (_XLINK_HREF, _FORM_IMAGE):
            link = element.get(attribute)
            if link is not None and etree.QName(element).localname != "a" and _outside(link):
                removed.append(link)
                del element.attrib[attribute]
                changed = True
    if kind == "ooxml" and (part in workbook.sheets or part.startswith("xl/worksheets/sheet")):
        return _fit_sheet(root, part, workbook, file_name)
    if kind == "ooxml" and WORD_STORY.fullmatch(part):
        dropped = without_comments(root)
        if dropped:
            notes.add("comments")
        changed |= dropped
    changed |= file_names_shown(root, file_name)
    return _serialized(root) if changed else data


def _outside(link: str) -> bool:
    """Whether a link (an OpenDocument or SVG one) names something outside the file: a URL, a drive, a
    share or an absolute path, or a path up out of the package. A place in the file (#...) and a picture
    written into the link (data:) are inside."""
    target = unquote(link).strip()
    if target.startswith("#") or target.lower().startswith("data:"):
        return False
    return bool(_URL_OR_DRIVE.match(target)) or ".." in re.split(r"[/\\]", target)


def _is_svg(data: bytes) -> bool:
    """Whether a part is an SVG picture, whatever its name (LibreOffice reads pictures by their content)."""
    head = data[:4096]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        head = head.decode("utf-16", "ignore").encode()
    elif head.startswith(b"\x1f\x8b"):  # .svgz
        return True
    return b"<svg" in head.lower()


def _svg_without_links(part: str, data: bytes, removed: list[str], notes: set[str]) -> bytes:
    """An SVG picture without what it loads from outside the file (an <image>, a <use> of another file,
    a style sheet it imports). One that cannot be read is replaced by an empty picture."""
    try:
        if data.startswith(b"\x1f\x8b"):
            with gzip.GzipFile(fileobj=io.BytesIO(data)) as packed:
                data = packed.read(PACKAGE_LIMIT + 1)
            if len(data) > PACKAGE_LIMIT:
                raise ValueError("too large")
        root = _parse(data).getroot()
    except (etree.XMLSyntaxError, OSError, EOFError, ValueError):
        notes.add(part)
        return _EMPTY_SVG
    for element in list(root.iter("{*}*")):
        for attribute, link in list(element.attrib.items()):
            if etree.QName(attribute).localname == "href" and _outside(link):
                removed.append(link)
                del element.attrib[attribute]
        if etree.QName(element).localname == "style" and "@import" in "".join(element.itertext()).lower():
            removed.append("a style sheet")
            element.getparent().remove(element)
    return _serialized(root)


def _internal_only(
    package: zipfile.ZipFile, part: str, data: bytes, members: set[str], removed: list[str]
) -> bytes:
    """A relationships part without the relationships that make an office program load something from
    outside the file: those marked external (however the mark is written) and those whose target is a URL,
    a drive, a share, or a path up out of the package. An external hyperlink stays, unless something other
    than a hyperlink uses it (LibreOffice loads a picture from a hyperlink's address when a picture names
    it)."""
    relationships = _parse(data).getroot()
    owner = _owner_of(part)
    used: set[str] | None = None
    for relationship in list(relationships):
        target = str(relationship.get("Target", ""))
        if not _external(relationship, posixpath.dirname(owner), members):
            continue
        if str(relationship.get("Type", "")).endswith(HYPERLINK):
            if used is None:
                used = _used_otherwise(package, owner) if owner in members else set()
            if relationship.get("Id") not in used:
                continue
        removed.append(target)
        relationships.remove(relationship)
    return _serialized(relationships)


def _owner_of(rels: str) -> str:
    """The part a relationships part belongs to: `word/_rels/document.xml.rels` -> `word/document.xml`."""
    folder, name = posixpath.split(rels)
    return posixpath.join(posixpath.dirname(folder), name.removesuffix(".rels"))


def _used_otherwise(package: zipfile.ZipFile, owner: str) -> set[str]:
    """Every attribute value of a part but those of its hyperlinks: the relationships it uses for anything
    but a hyperlink are among them."""
    root = _parse(package.read(owner)).getroot()
    return {
        value
        for element in root.iter("{*}*")
        if etree.QName(element).localname not in _HYPERLINK_ELEMENTS
        for value in element.attrib.values()
    }


def _external(relationship: Any, folder: str, members: set[str]) -> bool:
    mode = str(relationship.get("TargetMode", "")).strip().lower()
    if mode not in ("", "internal"):
        return True
    target = unquote(str(relationship.get("Target", ""))).strip().replace("\\", "/")
    if target.startswith("/") and not target.startswith("//"):  # a part named from the package's root
        return target.lstrip("/") not in members
    if _URL_OR_DRIVE.match(target):
        return True
    path = posixpath.normpath(posixpath.join(folder, target))
    return path == ".." or path.startswith("../")


def _rtf_copy(name: str, source: Path, target: Path, file_name: str) -> tuple[Path, list[str]]:
    """An RTF file without its fields that load a picture or text from another file or the web (the field's
    last result stays, as the file showed it), its FILENAME fields the evidence's `file_name` as text."""
    data = source.read_bytes()
    kept, removed, start, named = [], [], 0, False
    groups = _rtf_groups(data)
    for begin, end in groups.outermost_instructions():
        instruction = _rtf_text(data[begin:end])
        if _RTF_INCLUDE.search(instruction):
            kept.append(data[start:begin])
            removed.append(" ".join(instruction.split()))
            start = end
        elif _FILE_NAME_FIELD.match(instruction) and begin in groups.parents:
            field = groups.parents[begin]  # the {\field ...} group holding the instruction
            if field >= start:
                kept.append(data[start:field] + _rtf_escaped(file_name))
                start, named = groups.end(field), True
    if not removed and not named:
        return source, []
    target.write_bytes(b"".join(kept) + data[start:])
    return target, [
        f"{name}: left out what the file links to outside itself ({link}); put such a picture into the "
        "file, or add it as an exhibit of its own"
        for link in removed
    ]


class _RtfGroups(NamedTuple):
    """The groups of an RTF file, each by where it begins."""

    ends: dict[int, int]
    """Where each group ends (one never closed runs to the end of the file)."""
    parents: dict[int, int]
    """The group holding each group."""
    instructions: list[int]
    """The field instructions (`{\\*\\fldinst ...}` groups), outermost or not."""
    size: int

    def end(self, group: int) -> int:
        return self.ends.get(group, self.size)

    def outermost_instructions(self) -> list[tuple[int, int]]:
        """Where the field instructions inside no other instruction begin and end."""
        nested = set(self.instructions)
        spans = []
        for begin in self.instructions:
            holder = self.parents.get(begin)
            while holder is not None and holder not in nested:
                holder = self.parents.get(holder)
            if holder is None:
                spans.append((begin, self.end(begin)))
        return spans


def _rtf_groups(data: bytes) -> _RtfGroups:
    """The groups of an RTF file, read once: `{` and `}` outside escapes and `\\bin` data."""
    groups = _RtfGroups({}, {}, [], len(data))
    open_groups: list[int] = []  # where each open group begins
    index = 0
    while index < len(data):
        byte = data[index]
        if byte == 0x7B:  # {
            if open_groups:
                groups.parents[index] = open_groups[-1]
            open_groups.append(index)
            index += 1
        elif byte == 0x7D:  # }
            if open_groups:
                groups.ends[open_groups.pop()] = index + 1
            index += 1
        elif byte == 0x5C:  # \
            control = _RTF_CONTROL.match(data, index)
            if control is None:
                break
            word, number = control.group(1), control.group(2)
            index = control.end()
            if word == b"bin" and number:
                index += max(int(number), 0)  # raw bytes, braces among them
            elif word == b"fldinst" and open_groups and open_groups[-1] not in groups.instructions[-1:]:
                groups.instructions.append(open_groups[-1])
        else:
            index += 1
    return groups


def _rtf_escaped(text: str) -> bytes:
    """`text` as RTF text: `\\`, `{`, `}` escaped, other than ASCII as `\\uN?`."""
    escaped = []
    for char in text:
        if char in "\\{}":
            escaped.append("\\" + char)
        elif " " <= char <= "~":
            escaped.append(char)
        else:
            escaped.extend(f"\\u{unit - 65536 if unit > 32767 else unit}?" for unit in _utf16_units(char))
    return "".join(escaped).encode("ascii")


def _utf16_units(char: str) -> list[int]:
    data = char.encode("utf-16-be")
    return [int.from_bytes(data[index : index + 2], "big") for index in range(0, len(data), 2)]


def _rtf_text(group: bytes) -> str:
    """The text of an RTF group, control words left out, escaped characters as the characters."""
    text: list[str] = []
    index = 0
    while index < len(group):
        control = _RTF_CONTROL.match(group, index)
        if control is None:
            if group[index] not in b"{}\r\n":
                text.append(chr(group[index]))
            index += 1
            continue
        word, number, escaped, symbol = control.groups()
        index = control.end()
        if escaped:
            text.append(bytes.fromhex(escaped.decode()).decode("latin-1"))
        elif symbol and symbol != b"*":  # (\* marks a destination; it is no text)
            text.append(symbol.decode("latin-1"))
        elif word == b"u" and number:
            text.append(chr(int(number) % 65536))
            if index < len(group) and group[index] not in b"\\{}":
                index += 1  # the character shown by readers that do not know \u
        elif word == b"bin" and number:
            index += max(int(number), 0)
    return "".join(text)


def _binary_warnings(name: str, source: Path) -> list[str]:
    """A warning for an old binary Word file holding INCLUDEPICTURE or INCLUDETEXT fields: what they load
    from outside the file cannot be checked and left out here. And one for an old binary Excel workbook
    (by its name or its `Workbook` stream): its sheets cannot be fitted to the page width (`_fit_sheet`
    reads only .xlsx and OpenDocument), so a wide one was printed a few columns a page, page after page,
    without a word, where the same data as .xlsx fits one page."""
    includes, workbook, document = False, source.suffix.lower() == ".xls", False
    tail = b""
    with source.open("rb") as stream:
        while chunk := stream.read(1 << 20):
            includes = includes or bool(_OLE_INCLUDE.search(tail + chunk))
            workbook = workbook or bool(_OLE_WORKBOOK.search(tail + chunk))
            document = document or bool(_OLE_DOCUMENT.search(tail + chunk))
            tail = chunk[-80:]
    warnings = []
    if includes:
        warnings.append(
            f"{name}: the file may load pictures or text from other files or the web, which build-appeal "
            "cannot check in old Word files; open it in Word, save it as .docx and use that file"
        )
    if workbook and (not document or source.suffix.lower() == ".xls"):
        warnings.append(
            f"{name}: an old Excel (.xls) file, whose sheets cannot be fitted to the page width: a wide "
            "sheet is printed a few columns a page; open it and save it as .xlsx "
            "(旧版Excel文件，请另存为 .xlsx)"
        )
    return warnings


WORD_STORY = re.compile(r"word/(?:document|header\d*|footer\d*|footnotes|endnotes)\.xml")
"""The parts of a .docx that hold text, and so comment marks."""
_COMMENT_MARKS = ("commentRangeStart", "commentRangeEnd", "commentReference")
WORD_MAIN = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def without_comments(root: Any) -> bool:
    """Take a Word part's comment marks out (the comments themselves stay in their own part, which nothing
    then points to); whether it had any. LibreOffice's own session crashes on a commented
    document ("Binary URP bridge disposed"): the -nogui packages ship no window for comments, and its PDF
    export leaves them out anyway."""
    marks = list(root.iter(*[f"{WORD_MAIN}{name}" for name in _COMMENT_MARKS]))
    for mark in marks:
        parent = mark.getparent()
        if mark.tag == f"{WORD_MAIN}commentReference" and parent.tag == f"{WORD_MAIN}r":
            mark, parent = parent, parent.getparent()
        parent.remove(mark)
    return bool(marks)


_ODF_FILE_NAME = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}file-name"
_FILE_NAME_FIELD = re.compile(r"\s*FILENAME\b", re.I)


def file_names_shown(root: Any, file_name: str) -> bool:
    """Put `file_name` as text where a Word part's FILENAME fields and an OpenDocument part's file-name
    fields stand; whether there were any. LibreOffice fills such a field with the name (or, with `\\p`,
    the path) of the file it converts: a copy in a temporary folder, which is no name of the evidence's
    (`/tmp/build-appeal-lo-x1y2/files-1/0003.docx` printed in an invoice's header)."""
    found = False
    for field in list(root.iter(_ODF_FILE_NAME)):
        _replace_with_text(field, file_name)
        found = True
    for field in list(root.iter(f"{WORD_MAIN}fldSimple")):
        if _FILE_NAME_FIELD.match(field.get(f"{WORD_MAIN}instr", "")):
            first = field.find(f"{WORD_MAIN}r")
            field.addprevious(_word_run(file_name, None if first is None else first.find(f"{WORD_MAIN}rPr")))
            field.getparent().remove(field)
            found = True
    for runs, in_code in _file_name_fields(root):
        properties = runs[0].find(f"{WORD_MAIN}rPr")
        for shown in _quoted_field(file_name, properties) if in_code else [_word_run(file_name, properties)]:
            runs[0].addprevious(shown)
        for run in runs:
            run.getparent().remove(run)
        found = True
    return found


def _file_name_fields(root: Any) -> list[tuple[list[Any], bool]]:
    """The runs, from its beginning to its end, of each FILENAME field Word wrote as a complex field
    (`fldChar` begin, `instrText`, separate, the shown text, end) in the part, across paragraphs too; one
    inside another field (`IF ... "{ FILENAME }"`) as well, and whether it is in that field's code."""
    fields: list[tuple[list[Any], bool]] = []
    open_fields: list[tuple[list[Any], list[str], list[bool]]] = []  # runs, instruction, [separated]
    for run in list(root.iter(f"{WORD_MAIN}r")):
        character = run.find(f"{WORD_MAIN}fldChar")
        kind = None if character is None else character.get(f"{WORD_MAIN}fldCharType")
        if kind == "begin":
            open_fields.append(([], [], [False]))
        for runs, _, _ in open_fields:
            runs.append(run)
        for text in run.iterfind(f"{WORD_MAIN}instrText"):
            if open_fields:
                open_fields[-1][1].append(text.text or "")
        if kind == "separate" and open_fields:
            open_fields[-1][2][0] = True
        if kind == "end" and open_fields:
            runs, instruction, _ = open_fields.pop()
            if _FILE_NAME_FIELD.match("".join(instruction)):
                fields.append((runs, bool(open_fields) and not open_fields[-1][2][0]))
                for outer, _, _ in open_fields:  # (the outer field's runs lose these)
                    outer[:] = [each for each in outer if each not in runs]
    return fields


def _quoted_field(text: str, properties: Any) -> list[Any]:
    """The runs of a field `QUOTE "text"` showing `text`: in another field's code (`IF ... "{ FILENAME }"`)
    LibreOffice shows what a field there shows, and plain text there not at all."""
    quoted = text.replace('"', "'")
    runs = [_word_run("", properties, "begin"), _word_run(f' QUOTE "{quoted}" ', properties, "instrText")]
    return [
        *runs,
        _word_run("", properties, "separate"),
        _word_run(text, properties),
        _word_run("", properties, "end"),
    ]


def _word_run(text: str, properties: Any, kind: str = "t") -> Any:
    """A run showing `text` (`kind` t), a field's code (instrText), or a field's mark (begin, separate or
    end, a `fldChar`)."""
    run = etree.Element(f"{WORD_MAIN}r")
    if properties is not None:
        run.append(_copied(properties))
    if kind in ("begin", "separate", "end"):
        etree.SubElement(run, f"{WORD_MAIN}fldChar").set(f"{WORD_MAIN}fldCharType", kind)
        return run
    shown = etree.SubElement(run, f"{WORD_MAIN}{kind}")
    shown.text = text
    shown.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    return run


def _replace_with_text(element: Any, text: str) -> None:
    """Take `element` out of its parent, `text` in its place (the element's own text and children go)."""
    parent = element.getparent()
    following = text + (element.tail or "")
    previous = element.getprevious()
    if previous is not None:
        previous.tail = (previous.tail or "") + following
    else:
        parent.text = (parent.text or "") + following
    parent.remove(element)


def _tag(name: str) -> str:
    return f"{{{_SHEET_NS}}}{name}"


def _number(text: str | None, default: float) -> float:
    """An attribute's number; `default` for none, or for one that is no finite number."""
    try:
        value = float(text) if text is not None else default
    except ValueError:
        return default
    return value if math.isfinite(value) else default


def _index(text: str | None, default: int) -> int:
    """An attribute's whole number (a row's, a style's); `default` for none, or for one that is not one."""
    try:
        return int(text) if text is not None else default
    except ValueError:
        return default


class _Workbook:
    """What the sheets of an Excel package are laid out with: the widths of its shared strings, its cell
    styles, its sheets' names; and what their layout adds to its workbook part (the first row repeated on
    each page of a sheet printed several pages across) and to its styles (a cell style that wraps its text).
    Empty for another kind of package."""

    def __init__(self, package: zipfile.ZipFile | None = None, members: set[str] | None = None) -> None:
        self.part: str | None = None
        self.styles: str | None = None
        self.sheets: dict[str, tuple[int, str]] = {}
        """Each sheet's part, with its place among the sheets and its name."""
        self.strings: list[_Width] = []
        """Each shared string's width (`_text_width`)."""
        self.font_size = 11.0
        self.wide: list[tuple[str, int]] = []
        """The sheets printed more than one page across, and on how many pages."""
        self._titles: dict[int, str] = {}
        self._cell_styles: list[Any] = []
        self._fonts: list[tuple[float, bool]] = []
        self._formats: dict[int, str] = dict(_BUILT_IN_FORMATS)
        self._wrapping: dict[int, int] = {}
        self._added: list[Any] = []
        if package is not None and members is not None:
            self._read(package, members)

    def _read(self, package: zipfile.ZipFile, members: set[str]) -> None:
        main = next(
            (
                path
                for kind, path in _related(package, members, "").values()
                if kind.endswith(_OFFICE_DOCUMENT)
            ),
            None,
        )
        related = _related(package, members, main) if main in members else {}
        parts = {key: path for key, (kind, path) in related.items() if kind.endswith("/worksheet")}
        if main is None or not parts:
            return  # not a workbook
        self.part = main
        for index, sheet in enumerate(_parsed_part(package, main).iterfind(f"{_tag('sheets')}/*")):
            path = parts.get(str(sheet.get(f"{{{_RELATIONSHIPS_NS}}}id", "")))
            if path is not None:
                self.sheets[path] = (index, str(sheet.get("name", "")))
        for kind, path in related.values():
            if kind.endswith("/sharedStrings") and path in members:
                strings = _parsed_part(package, path)
                self.strings = [_text_width(_text(item)) for item in strings.iterfind(_tag("si"))]
            elif kind.endswith("/styles") and path in members:
                self.styles = path
                self._read_styles(_parsed_part(package, path))

    def _read_styles(self, styles: Any) -> None:
        for font in styles.iterfind(f"{_tag('fonts')}/{_tag('font')}"):
            size = font.find(_tag("sz"))
            bold = font.find(_tag("b"))
            self._fonts.append((
                _number(size.get("val") if size is not None else None, 11.0),
                bold is not None and bold.get("val", "1").lower() not in ("0", "false"),
            ))  # fmt: skip
        if self._fonts:
            self.font_size = min(max(self._fonts[0][0], 1.0), 409.0)
        for number_format in styles.iterfind(f"{_tag('numFmts')}/{_tag('numFmt')}"):
            self._formats[_index(number_format.get("numFmtId"), -1)] = str(
                number_format.get("formatCode", "")
            )
        self._cell_styles = list(styles.iterfind(f"{_tag('cellXfs')}/{_tag('xf')}"))

    def _style(self, style: int) -> Any:
        return self._cell_styles[style] if 0 <= style < len(self._cell_styles) else None

    def font(self, style: int) -> tuple[float, float]:
        """A cell style's font size, and how much wider than a digit of the default font its digits print."""
        xf = self._style(style)
        font = _index(xf.get("fontId"), 0) if xf is not None else 0
        size, bold = self._fonts[font] if 0 <= font < len(self._fonts) else (self.font_size, False)
        size = min(max(size, 1.0), 409.0)
        return size, size / self.font_size * (1.1 if bold else 1.0)

    def number_format(self, style: int) -> str:
        xf = self._style(style)
        return self._formats.get(_index(xf.get("numFmtId"), 0), "General") if xf is not None else "General"

    def alignment(self, style: int) -> str:
        """How a cell style lays out a text too wide for its column: "wrap"ped, "fit" (shrunk to fit or
        turned), or "" (cut at the next cell that is not empty)."""
        xf = self._style(style)
        alignment = xf.find(_tag("alignment")) if xf is not None else None
        if alignment is None:
            return ""
        if alignment.get("wrapText", "0").lower() not in ("0", "false"):
            return "wrap"
        if alignment.get("shrinkToFit", "0").lower() not in ("0", "false"):
            return "fit"
        return "fit" if _index(alignment.get("textRotation"), 0) != 0 else ""

    def wrapping(self, style: int) -> int | None:
        """A cell style like `style` that wraps its text (added to the styles), or None where the package
        has no styles to add one to."""
        if not self._cell_styles:
            return None
        style = style if 0 <= style < len(self._cell_styles) else 0
        if style not in self._wrapping:
            xf = _copied(self._cell_styles[style])
            alignment = xf.find(_tag("alignment"))
            if alignment is None:
                alignment = etree.Element(_tag("alignment"))
                xf.insert(0, alignment)
            alignment.set("wrapText", "1")
            xf.set("applyAlignment", "1")
            self._wrapping[style] = len(self._cell_styles) + len(self._added)
            self._added.append(xf)
        return self._wrapping[style]

    def name(self, part: str) -> str:
        return self.sheets[part][1] if part in self.sheets else posixpath.basename(part)

    def repeat_first_row(self, part: str) -> None:
        """Print a sheet's first row atop each of its pages (its print titles)."""
        if part in self.sheets:
            index, name = self.sheets[part]
            self._titles[index] = "'" + name.replace("'", "''") + "'!$1:$1"

    def finished(self, part: str, data: bytes) -> bytes:
        """The workbook part or the styles part with what the sheets' layout adds to it."""
        root = _parse(data).getroot()
        if part == self.styles and self._added:
            styles = root.find(_tag("cellXfs"))
            styles.extend(self._added)
            styles.set("count", str(len(styles)))
            return _serialized(root)
        if part == self.part and self._titles:
            names = root.find(_tag("definedNames"))
            if names is None:
                names = etree.Element(_tag("definedNames"))
                preceding = [child for child in root if etree.QName(child).localname in _BEFORE_DEFINED_NAMES]
                if preceding:
                    preceding[-1].addnext(names)
                else:
                    root.insert(0, names)
            taken = {
                _index(name.get("localSheetId"), -1)
                for name in names
                if name.get("name", "").lower() == "_xlnm.print_titles"
            }
            for index, titles in sorted(self._titles.items()):
                if index not in taken:
                    etree.SubElement(names, _tag("definedName"), name="_xlnm.Print_Titles").text = titles
                    names[-1].set("localSheetId", str(index))
            return _serialized(root)
        return data


def _copied(element: Any) -> Any:
    return etree.fromstring(etree.tostring(element))


def _parsed_part(package: zipfile.ZipFile, part: str) -> Any:
    """A part of a package, parsed (`_parse`); one that is not XML cannot be checked."""
    try:
        return _parse(package.read(part)).getroot()
    except etree.XMLSyntaxError as error:
        raise _Unchecked(f"{part}: {error}") from error


def _related(package: zipfile.ZipFile, members: set[str], owner: str) -> dict[str, tuple[str, str]]:
    """The parts a part (`""`: the package) names in its relationships: each relationship's id, its type
    and the part's name in the package."""
    folder, name = posixpath.split(owner)
    rels = posixpath.join(folder, "_rels", f"{name}.rels")
    if rels not in members:
        return {}
    found = {}
    for relationship in _parsed_part(package, rels):
        if str(relationship.get("TargetMode", "")).strip().lower() not in ("", "internal"):
            continue
        target = unquote(str(relationship.get("Target", ""))).strip().replace("\\", "/")
        path = (
            target.lstrip("/")
            if target.startswith("/")
            else posixpath.normpath(posixpath.join(folder, target))
        )
        found[str(relationship.get("Id", ""))] = (str(relationship.get("Type", "")), path)
    return found


def _text(element: Any) -> str:
    """The text of a shared or an inline string (`si`, `is`): its runs', without their phonetic guides."""
    if len(element) == 1 and element[0].tag == _T:
        return str(element[0].text or "")
    return "".join(
        text.text or "" for text in element.iter(_T) if etree.QName(text.getparent()).localname != "rPh"
    )


class _Width(NamedTuple):
    """How wide a cell's value prints, in digits of its font, about."""

    widest: float
    """Its widest line."""
    total: float
    """Its lines' widths together."""
    lines: int
    text: bool
    """Whether it is text (which may wrap; a number never does)."""


def _text_width(text: str) -> _Width:
    """How wide a text prints, in digits: a Chinese character two, a capital 1.2 (M and W 1.8), a small
    letter 0.9 (m and w 1.5), a space a half, another character one. (A digit's width is Excel's unit; the
    widths are those of Calibri, DejaVu Sans and Liberation Sans, rounded up.)"""
    lines = text.replace("\r\n", "\n").split("\n") if "\n" in text else [text]
    widths = []
    for line in lines:
        letters = line.translate(_LETTERS)
        widths.append(
            len(line)
            + 0.2 * letters.count("A")
            + 0.8 * letters.count("W")
            - 0.1 * letters.count("a")
            + 0.5 * letters.count("w")
            - 0.5 * line.count(" ")
            + (0 if line.isascii() else len(_WIDE_CHARACTER.findall(line)))
        )
    return _Width(max(widths), sum(widths), len(widths), True)


def _number_width(value: str, code: str) -> float:
    """How wide a number prints in a number format (Excel's `code`), in digits, about."""
    number = _number(value, 0.0)
    general = len(f"{number:.15g}")
    shown = _format_shown(code)
    if shown.strip().lower() in ("", "general", "@"):
        return general
    if re.search(r"[yYdDhHsS]|[mM]", shown) and not re.search(r"[0#?]", shown):  # a date or a time
        return len(shown) + (6 if re.search("mmmm|dddd", shown, re.I) else 0)  # (September, Wednesday)
    decimals = re.search(r"\.([0#?]+)", shown)
    places = len(decimals.group(1)) + 1 if decimals else 0
    digits = min(len(f"{abs(number) * (100 if '%' in shown else 1):.0f}"), 30)
    separators = (digits - 1) // 3 if "," in shown else 0
    signs = len(re.sub(r"[0#?.,]", "", shown)) + (number < 0)
    return max(general, digits + separators + places + signs)


@functools.lru_cache(maxsize=256)
def _format_shown(code: str) -> str:
    """What a number format's first section shows besides the number (its text, its currency), read once
    a format: a sheet has a few formats and may have a million numbers."""
    return _FORMAT_CODES.sub(lambda found: "".join(part or "" for part in found.groups()), code.split(";")[0])


def _cell_width(cell: Any, number_format: str, workbook: _Workbook) -> _Width | None:
    """How wide a cell's value prints; None for an empty cell."""
    kind = cell.get("t", "n")
    value = None
    for child in cell:  # (faster than `find`)
        if child.tag == _V:
            value = child.text
        elif child.tag == _IS and kind == "inlineStr":
            return _text_width(_text(child))
    if value is None or kind == "inlineStr":
        return None
    if kind == "s":
        index = _index(value, -1)
        return workbook.strings[index] if 0 <= index < len(workbook.strings) else None
    if kind in ("str", "e"):
        return _text_width(value)
    width = 6.0 if kind == "b" else _number_width(value, number_format)
    return _Width(width, width, 1, False)


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters.upper():
        number = number * 26 + ord(letter) - ord("A") + 1
    return number


class _Columns:
    """A sheet's columns (its `cols`): their widths, in Excel's unit, and which are hidden."""

    def __init__(self, sheet: Any) -> None:
        self.sheet = sheet
        formats = sheet.find(_tag("sheetFormatPr"))
        base = _number(formats.get("baseColWidth") if formats is not None else None, 8.0)
        self.default = _number(formats.get("defaultColWidth") if formats is not None else None, base + 0.71)
        self._read()

    def _read(self) -> None:
        self.ranges = sorted(
            (
                (_index(column.get("min"), 0), _index(column.get("max"), 0), column)
                for column in self.sheet.iterfind(f"{_tag('cols')}/{_tag('col')}")
            ),
            key=lambda item: item[0],
        )
        self.starts = [low for low, _, _ in self.ranges]

    def _find(self, column: int) -> Any:
        place = bisect.bisect_right(self.starts, column) - 1
        if place >= 0 and self.ranges[place][1] >= column:
            return self.ranges[place][2]
        return None

    def width(self, column: int) -> float:
        """The column's width; 0 for a hidden one."""
        element = self._find(column)
        if element is None:
            return self.default
        if element.get("hidden", "0").lower() not in ("0", "false"):
            return 0.0
        return max(_number(element.get("width"), self.default), 0.0)

    def widen(self, widths: dict[int, float]) -> None:
        """Set the widths of some columns (each kept as it was otherwise: its style, its outline level)."""
        if not widths:
            return
        columns = self.sheet.find(_tag("cols"))
        if columns is None:
            columns = etree.Element(_tag("cols"))
            preceding = [child for child in self.sheet if etree.QName(child).localname in _BEFORE_COLS]
            if preceding:
                preceding[-1].addnext(columns)
            else:
                self.sheet.insert(0, columns)
        targets = sorted(widths)
        pieces: list[Any] = []
        left = set(targets)

        def piece(element: Any, low: int, high: int, width: float | None = None) -> None:
            element = _copied(element)
            element.set("min", str(low))
            element.set("max", str(high))
            if width is not None:
                element.set("width", f"{width:.2f}")
                element.set("customWidth", "1")
            pieces.append(element)

        for low, high, element in self.ranges:
            start = low
            for column in targets[bisect.bisect_left(targets, low) : bisect.bisect_right(targets, high)]:
                if column not in left:
                    continue  # (in an earlier range: ranges should not overlap)
                if start < column:
                    piece(element, start, column - 1)
                piece(element, column, column, widths[column])
                left.discard(column)
                start = column + 1
            if start <= high:
                piece(element, start, high)
        for column in left:
            piece(etree.Element(_tag("col")), column, column, widths[column])
        for child in list(columns):
            columns.remove(child)
        columns.extend(sorted(pieces, key=lambda element: _index(element.get("min"), 0)))
        self._read()


def _merged_corners(sheet: Any) -> set[tuple[int, int]]:
    """The first cells (row, column) of the sheet's merged cells that span more than one column: their text
    spreads over them all."""
    corners = set()
    for merged in sheet.iterfind(f"{_tag('mergeCells')}/{_tag('mergeCell')}"):
        first, _, last = str(merged.get("ref", "")).partition(":")
        start, end = _CELL_REFERENCE.fullmatch(first), _CELL_REFERENCE.fullmatch(last)
        if start and end and start.group(1).upper() != end.group(1).upper():
            corners.add((int(start.group(2)), _column_number(start.group(1))))
    return corners


def _fit_sheet(sheet: Any, part: str, workbook: _Workbook, file_name: str) -> bytes:
    """A sheet set to print every cell's whole text, in landscape, each page headed with its sheet's name.

    A column narrower than its longest text or number is widened to it, up to `WIDEST_COLUMN`, past which
    the text wraps (a number never does), its row made as tall as the lines need: a platform's export comes
    with Excel's default widths, which cut a listing ID (`1600987654321` printed `16009876`) and print a
    long number as `1.6E+12`. The sheet then prints one page wide, unless that takes it below
    `READABLE_SIZE`: then as many pages across as it needs at that size, and `workbook.wide` says so. A
    first row of text (the columns' names) is printed atop every page. Where the sheet's own headers and
    footers print the file's path or name (`&Z`, `&F`), they print `file_name`."""
    corners = _merged_corners(sheet)
    columns = _Columns(sheet)
    needed: dict[int, float] = {}
    wrapped: list[tuple[Any, int, _Width, float, float]] = []  # each wrapped text's row, column, width, font
    filled: set[int] = set()  # the columns that show something
    number = 0
    heading = False  # whether the first row holds text: the columns' names, most likely
    numbers: dict[str, int] = {}  # each column's letters, and its number
    styles: dict[str | None, tuple[int, str, float, float, str]] = {}  # each cell style, and its look
    for row in sheet.iterfind(f"{_tag('sheetData')}/{_tag('row')}"):
        number = _index(row.get("r"), number + 1)
        column = 0
        for cell in row.iterfind(_C):
            letters = str(cell.get("r", "")).rstrip("0123456789")
            if letters not in numbers:
                numbers[letters] = _column_number(letters) if _COLUMN.fullmatch(letters) else 0
            column = numbers[letters] or column + 1
            if column > MAX_COLUMNS:  # (cells without their place counted on past the last column)
                break
            key = cell.get("s")
            if key not in styles:
                style = _index(key, 0)
                styles[key] = (
                    style,
                    workbook.alignment(style),
                    *workbook.font(style),
                    workbook.number_format(style),
                )
            style, alignment, size, factor, number_format = styles[key]
            width = _cell_width(cell, number_format, workbook)
            if width is None:
                continue
            filled.add(column)
            heading |= number == 1 and width.text
            if (number, column) in corners or alignment == "fit":
                continue
            if alignment == "wrap":  # laid out by the file's author: only the row's height is checked
                wrapped.append((row, column, width, size, factor))
                continue
            digits = width.widest * factor + 1  # (and a digit for the cell's margins)
            if width.text and (digits > WIDEST_COLUMN or width.lines > 1):
                wrapping = workbook.wrapping(style)
                if wrapping is not None:
                    cell.set("s", str(wrapping))
                    wrapped.append((row, column, width, size, factor))
                    digits = min(digits, WIDEST_COLUMN)
            needed[column] = max(needed.get(column, 0.0), min(digits, 255.0))
    columns.widen({column: width for column, width in needed.items() if 0 < columns.width(column) < width})
    _heighten(wrapped, columns)
    setup = _page_setup(sheet)
    # Only columns that show something count: LibreOffice prints no page of empty columns (a stray cell in
    # column XFD is a page of its own, not 800 pages of the columns before it).
    pages = _pages_across([columns.width(column) for column in sorted(filled)], sheet, setup, workbook)
    setup.set("orientation", "landscape")
    setup.set("fitToWidth", str(pages))
    setup.set("fitToHeight", "0")
    if pages > 1:
        workbook.wide.append((workbook.name(part), pages))
    if heading:
        workbook.repeat_first_row(part)
    _name_in_header(sheet, setup)
    _file_name_in_headers(sheet, file_name)
    return _serialized(sheet)


def _heighten(wrapped: list[tuple[Any, int, _Width, float, float]], columns: _Columns) -> None:
    """Make each row with wrapped text as tall as its lines need (LibreOffice keeps a row's height from the
    file, and the lines past it are cut). A line is 1.45 times its font's size (the Chinese font's; the
    others' are less), which leaves room for the words that wrap early."""
    heights: dict[Any, float] = {}
    for row, column, width, size, factor in wrapped:
        room = max(columns.width(column) - 1, 1.0)
        lines = width.lines
        if width.widest * factor > room:
            lines += math.ceil(width.total * factor / room) - 1
        heights[row] = max(heights.get(row, 0.0), lines * 1.45 * size + 3)
    for row, height in heights.items():
        if height > _number(row.get("ht"), 15.0):
            row.set("ht", f"{height:.2f}")
            row.set("customHeight", "1")


def _page_setup(sheet: Any) -> Any:
    """The sheet's `pageSetup`, made if need be, with its `fitToPage` on (so its `fitToWidth` counts)."""
    properties = sheet.find(_tag("sheetPr"))
    if properties is None:
        properties = etree.Element(_tag("sheetPr"))
        sheet.insert(0, properties)
    fit = properties.find(_tag("pageSetUpPr"))
    if fit is None:
        fit = etree.SubElement(properties, _tag("pageSetUpPr"))
    fit.set("fitToPage", "1")
    setup = sheet.find(_tag("pageSetup"))
    if setup is None:
        setup = etree.Element(_tag("pageSetup"))
        preceding = [child for child in sheet if etree.QName(child).localname in _BEFORE_PAGE_SETUP]
        anchor = preceding[-1] if preceding else None
        if anchor is None:
            sheet.append(setup)
        else:
            anchor.addnext(setup)
    return setup


def _pages_across(widths: list[float], sheet: Any, setup: Any, workbook: _Workbook) -> int:
    """How many landscape pages across the columns of these widths need with the sheet's text at
    `READABLE_SIZE`: one, if they fit on one at that size or larger (LibreOffice then scales them to fit)."""
    margins = sheet.find(_tag("pageMargins"))
    left, right = (
        (_number(margins.get(side), 0.7) for side in ("left", "right")) if margins is not None else (0.7, 0.7)
    )
    paper = _PAPER_LONG_SIDE.get(_index(setup.get("paperSize"), 1), 11.0)
    digit = _DIGIT_EM * workbook.font_size / 72  # inches
    scale = min(READABLE_SIZE / workbook.font_size, 1.0)
    room = max(paper - left - right, 1.0) / digit / scale  # digits on a page at that scale
    pages, used = 1, 0.0
    for width in widths:
        if used + width > room and used > 0:
            pages, used = pages + 1, 0.0
        used += width
    return pages


_HEADER_FOOTERS = ("oddHeader", "oddFooter", "evenHeader", "evenFooter", "firstHeader", "firstFooter")
_PATH_OR_NAME_CODE = re.compile("&([&ZF])")


def _file_name_in_headers(sheet: Any, file_name: str) -> None:
    """Where the sheet's headers and footers print the file's path (`&Z`, nothing now) or name (`&F`),
    `file_name` instead: else LibreOffice prints those of the temporary copy it converts."""
    shown = file_name.replace("&", "&&")
    codes = {"&": "&&", "Z": "", "F": shown}
    header_footer = sheet.find(_tag("headerFooter"))
    for name in _HEADER_FOOTERS if header_footer is not None else ():
        element = header_footer.find(_tag(name))
        if element is not None and element.text:
            element.text = _PATH_OR_NAME_CODE.sub(lambda code: codes[code.group(1)], element.text)


def _name_in_header(sheet: Any, setup: Any) -> None:
    """Head each printed page with the sheet's name (`&A`), unless the sheet has a header of its own; below
    the band at the top a court's filing system prints its header in (`HEADER_BAND`), the sheet's text
    below it, and the band at the bottom clear for the bundle's stamps (`STAMP_BAND`)."""
    header_footer = sheet.find(_tag("headerFooter"))
    if header_footer is None:
        header_footer = etree.Element(_tag("headerFooter"))
        setup.addnext(header_footer)
    header = header_footer.find(_tag("oddHeader"))
    if header is None:
        header = etree.Element(_tag("oddHeader"))
        header_footer.insert(0, header)
    if not (header.text or "").strip():
        header.text = "&C&A"
    margins = sheet.find(_tag("pageMargins"))
    if margins is None:  # (Excel's margins, in inches)
        margins = etree.Element(_tag("pageMargins"), left="0.7", right="0.7", top="0.75", bottom="0.75")
        setup.addprevious(margins)
    header_margin = max(_number(margins.get("header"), 0.3), HEADER_BAND / 72 + 0.1)
    margins.set("header", f"{header_margin:g}")
    margins.set("top", f"{max(_number(margins.get('top'), 0.75), header_margin + 0.4):g}")
    margins.set("bottom", f"{max(_number(margins.get('bottom'), 0.75), STAMP_BAND / 72 + 0.1):g}")
    margins.set("footer", margins.get("footer", "0.3"))
