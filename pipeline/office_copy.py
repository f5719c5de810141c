"""The copy of an office file that LibreOffice converts: nothing in it points outside the file.

A Word, Excel, PowerPoint or OpenDocument file (told by its content, whatever its name) is copied part by
part: relationships to web addresses or other files, OpenDocument `xlink:href`s, links in SVG pictures
and RTF fields that load another file are left out, with a warning; comment marks are dropped (LibreOffice's
session crashes on them); spreadsheets print one page wide. A file any part of which cannot be checked, or
that unpacks to more than `PACKAGE_LIMIT`, is refused: LibreOffice never gets an unchecked file. The
evidence itself is never changed.
"""

from __future__ import annotations

import gzip
import io
import posixpath
import re
import zipfile
import zlib
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from lxml import etree

from pipeline.context import Exhibit
from pipeline.errors import EvidenceError
from pipeline.exhibits import describe

_SHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_BEFORE_PAGE_SETUP = (
    "sheetData", "sheetCalcPr", "sheetProtection", "protectedRanges", "scenarios", "autoFilter", "sortState",
    "dataConsolidate", "customSheetViews", "mergeCells", "phoneticPr", "conditionalFormatting",
    "dataValidations", "hyperlinks", "printOptions", "pageMargins",
)  # fmt: skip


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
_EMPTY_SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>'


def printable_copy(exhibit: Exhibit, source: Path, target: Path) -> tuple[Path, list[str]]:
    """The office file LibreOffice should convert, and warnings.

    A copy in which nothing points outside the file: a picture, text or template linked from a web address
    or from another file would otherwise be fetched by LibreOffice (links to web pages in the text stay,
    they fetch nothing). The kind is read from the content, whatever the name: a Word, Excel or PowerPoint
    package (its relationships), an OpenDocument one (its `xlink:href`s), an SVG picture inside either, an
    RTF file (its INCLUDEPICTURE and INCLUDETEXT fields). Spreadsheets are also set to print one page wide,
    in landscape, so the columns of a sales export are not cut across pages. Everything else is copied
    byte for byte; the evidence itself is never changed. A package any part of which cannot be checked is
    refused, never converted unchecked. Old binary Word, Excel and PowerPoint files cannot be checked:
    converted as they are, with a warning when they hold such fields."""
    name = describe(exhibit)
    with source.open("rb") as stream:
        head = stream.read(8)
    if head.startswith(b"{\\rtf"):
        return _rtf_copy(name, source, target)
    if not head.startswith(b"PK"):  # an old binary (OLE2) file: Word 97-2003, Excel, PowerPoint
        return source, _binary_warnings(name, source)
    removed: list[str] = []
    notes: set[str] = set()
    try:
        with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as copy:
            if _package_kind(original) is None:
                raise EvidenceError(
                    f"{name}: the file is a zip archive, not a Word, Excel, PowerPoint or OpenDocument file; "
                    "unzip it and add the files it holds as exhibits"
                )
            _clean_package(original, copy, _Budget(name), removed, notes)
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
    depth: int = 0,
) -> None:  # fmt: skip
    """Copy every part of `original` into `copy`, each checked and cleaned; nested packages (a spreadsheet
    embedded in a Word file) alike."""
    budget.spend(original)
    kind = _package_kind(original)
    members = {item.filename for item in original.infolist()}
    for item in original.infolist():
        data = original.read(item)
        part = item.filename
        lower = part.lower()
        try:
            if lower.endswith(".rels"):
                data = _internal_only(original, part, data, members, removed)
            elif lower.endswith((".xml", ".vml")):
                data = _checked_xml(kind, part, data, removed, notes)
            elif _is_svg(data):
                data = _svg_without_links(part, data, removed, notes)
            elif data.startswith(b"PK\x03\x04") and depth < 3:
                data = _nested_package(data, budget, removed, notes, depth)
        except etree.XMLSyntaxError as error:
            raise _Unchecked(f"{part}: {error}") from error
        copy.writestr(item, data)


def _nested_package(data: bytes, budget: _Budget, removed: list[str], notes: set[str], depth: int) -> bytes:
    """An office package embedded in another, cleaned; another kind of zip as it is (LibreOffice does not
    open it)."""
    with zipfile.ZipFile(io.BytesIO(data)) as inner:
        if _package_kind(inner) is None:
            return data
        cleaned = io.BytesIO()
        with zipfile.ZipFile(cleaned, "w", zipfile.ZIP_DEFLATED) as copy:
            _clean_package(inner, copy, budget, removed, notes, depth + 1)
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


def _checked_xml(kind: str | None, part: str, data: bytes, removed: list[str], notes: set[str]) -> bytes:
    """An XML part of a package, parsed whole (so all of it is checked) and cleaned: OpenDocument links out
    dropped, Word comment marks dropped, sheets set to print one page wide. Unchanged, the bytes as they
    were; a document type naming an outside file (which the part's reader might fetch) is dropped."""
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
    if kind == "ooxml" and part.startswith("xl/worksheets/sheet"):
        return _fit_sheet(root)
    if kind == "ooxml" and WORD_STORY.fullmatch(part):
        dropped = without_comments(root)
        if dropped:
            notes.add("comments")
        changed |= dropped
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


def _rtf_copy(name: str, source: Path, target: Path) -> tuple[Path, list[str]]:
    """An RTF file without its fields that load a picture or text from another file or the web (the field's
    last result stays, as the file showed it)."""
    data = source.read_bytes()
    kept, removed, start = [], [], 0
    for begin, end in _rtf_field_instructions(data):
        instruction = _rtf_text(data[begin:end])
        if _RTF_INCLUDE.search(instruction):
            kept.append(data[start:begin])
            removed.append(" ".join(instruction.split()))
            start = end
    if not removed:
        return source, []
    target.write_bytes(b"".join(kept) + data[start:])
    return target, [
        f"{name}: left out what the file links to outside itself ({link}); put such a picture into the "
        "file, or add it as an exhibit of its own"
        for link in removed
    ]


def _rtf_field_instructions(data: bytes) -> list[tuple[int, int]]:
    """Where the outermost field instructions ({\\*\\fldinst ...} groups) of an RTF file begin and end."""
    spans: list[tuple[int, int]] = []
    groups: list[int] = []  # where each open group begins
    instruction: int | None = None  # the depth of the open instruction group
    index = 0
    while index < len(data):
        byte = data[index]
        if byte == 0x7B:  # {
            groups.append(index)
            index += 1
        elif byte == 0x7D:  # }
            if groups:
                begin = groups.pop()
                if instruction is not None and len(groups) < instruction:
                    spans.append((begin, index + 1))
                    instruction = None
            index += 1
        elif byte == 0x5C:  # \
            control = _RTF_CONTROL.match(data, index)
            if control is None:
                break
            word, number = control.group(1), control.group(2)
            index = control.end()
            if word == b"bin" and number:
                index += max(int(number), 0)  # raw bytes, braces among them
            elif word == b"fldinst" and instruction is None and groups:
                instruction = len(groups)
        else:
            index += 1
    if instruction is not None and groups:  # an instruction never closed: it runs to the end
        spans.append((groups[instruction - 1], len(data)))
    return spans


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
    from outside the file cannot be checked and left out here."""
    tail = b""
    with source.open("rb") as stream:
        while chunk := stream.read(1 << 20):
            if _OLE_INCLUDE.search(tail + chunk):
                return [
                    f"{name}: the file may load pictures or text from other files or the web, which "
                    "build-appeal cannot check in old Word files; open it in Word, save it as .docx and use "
                    "that file"
                ]
            tail = chunk[-64:]
    return []


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


def _fit_sheet(sheet: Any) -> bytes:
    def tag(name: str) -> str:
        return f"{{{_SHEET_NS}}}{name}"

    properties = sheet.find(tag("sheetPr"))
    if properties is None:
        properties = etree.Element(tag("sheetPr"))
        sheet.insert(0, properties)
    fit = properties.find(tag("pageSetUpPr"))
    if fit is None:
        fit = etree.SubElement(properties, tag("pageSetUpPr"))
    fit.set("fitToPage", "1")
    setup = sheet.find(tag("pageSetup"))
    if setup is None:
        setup = etree.Element(tag("pageSetup"))
        preceding = [child for child in sheet if etree.QName(child).localname in _BEFORE_PAGE_SETUP]
        anchor = preceding[-1] if preceding else None
        if anchor is None:
            sheet.append(setup)
        else:
            anchor.addnext(setup)
    setup.set("orientation", "landscape")
    setup.set("fitToWidth", "1")
    setup.set("fitToHeight", "0")
    return _serialized(sheet)
