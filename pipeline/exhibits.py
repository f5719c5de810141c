"""Prepare the exhibits: every evidence file becomes clean PDF pages.

- PDF: kept as it is (vector text stays text); decrypted when the password is empty; read leniently and so
  repaired when damaged (a file cut short said so, with the pages likely incomplete); forms flattened,
  JavaScript, media and attachments dropped, with a warning; fonts it does not embed named in a warning
  (`font_warnings`).
- Images (JPEG, PNG, GIF, TIFF, WebP, BMP): one page each (every TIFF frame; the first of an animated
  GIF, WebP or PNG), fitted within the margins (of a landscape page when wider than tall), upright by their
  EXIF orientation, transparency on white; JPEG is embedded as it is (no quality lost), unless larger than
  a page can show by far (`LARGE_PIXELS`).
  A screenshot far taller than a page is cut into page-high slices at full width, so it stays readable,
  each cut in a gap between lines and each slice at the top of its page.
- Office files: converted by the build's one LibreOffice run (the build collects the jobs).
- Plain text, CSV and e-mail (.eml): read here, laid out as text pages by WeasyPrint (`text_exhibit.html`);
  mail labelled gb2312 or GBK read as GB18030, which Chinese mail programs write under those labels.

The kind is read from the file's first bytes, not trusted from its name.
"""

from __future__ import annotations

import csv
import email
import email.policy
import io
import logging
import math
import re
import struct
import zipfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath
from typing import Any

from pypdf import PageObject, PdfReader, PdfWriter
from pypdf.errors import FileNotDecryptedError, PyPdfError
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    NullObject,
    RectangleObject,
    StreamObject,
)

from pipeline.context import Exhibit
from pipeline.errors import EvidenceError
from pipeline.libraries import load_pikepdf
from pipeline.logs import captured_warnings

log = logging.getLogger(__name__)

POINTS_PER_INCH = 72
LETTER = (8.5 * POINTS_PER_INCH, 11 * POINTS_PER_INCH)
IMAGE_MARGIN = (1.0 * POINTS_PER_INCH, 0.75 * POINTS_PER_INCH)
"""Top/bottom and left/right margins around an image: the top stays clear for the court's e-filing
header, the bottom for the bundle's stamps."""

OFFICE_SUFFIXES = {".docx", ".doc", ".odt", ".rtf", ".xlsx", ".xls", ".ods", ".pptx", ".ppt", ".odp"}
TEXT_SUFFIXES = {".txt", ".csv", ".eml"}
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".jfif", ".png", ".gif", ".tif", ".tiff", ".webp", ".bmp"}
IMAGE_FORMATS = {"JPEG", "PNG", "GIF", "TIFF", "WEBP", "BMP", "MPO"}
UTF16_MARKS = (b"\xff\xfe", b"\xfe\xff")
"""How UTF-16 text begins (Windows Notepad's "Unicode"); other text with NUL bytes is not text."""
UNSAFE_ACTIONS = {
    "/JavaScript": "JavaScript",
    "/Launch": "actions",
    "/ImportData": "actions",
    "/SubmitForm": "actions",
    "/ResetForm": "actions",
    "/GoToE": "actions",
    "/GoToR": "actions",
    "/Rendition": "media",
    "/Sound": "media",
    "/Movie": "media",
    "/RichMediaExecute": "media",
}
"""The PDF action types (the /S of an action) court filing systems refuse, by the kind of warning they get:
scripts, actions that start a program, open another file or an attached one, or send or change form data,
and media. (A /Thread action opens another file when it names one: see `_unsafe_action`.)"""
SAFE_SCHEMES = frozenset({"http", "https", "mailto", "tel"})
"""The web addresses a link keeps (a /URI action's, a template's link): a web page, an email address, a
telephone number. Any other runs a script (`javascript:`), opens a file (`file:`, `\\\\server\\share`, a
relative path) or hands the address to a program the system chose (`ms-msdt:`, `smb:`): removed."""
MEDIA_ANNOTATIONS = frozenset({"/Screen", "/Sound", "/Movie", "/RichMedia", "/3D"})
"""Annotations that play audio or video or show a 3D model: removed from the page."""


class Kind(StrEnum):
    """What an evidence file is, by its content."""

    PDF = "pdf"
    IMAGE = "image"
    OFFICE = "office"
    TEXT = "text"


def describe(exhibit: Exhibit) -> str:
    """How messages name an exhibit: `Exhibit 3 (evidence/invoice.pdf)`."""
    return f"{exhibit.label} ({exhibit.file})"


def sniff(path: Path) -> Kind | None:
    """The kind of file by its first bytes (and, for zip and OLE containers, its extension)."""
    with path.open("rb") as stream:
        head = stream.read(2048)
    suffix = path.suffix.lower()
    if b"%PDF-" in head[:1024]:
        return Kind.PDF
    image_magic = (b"\x89PNG", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"II*\x00", b"MM\x00*", b"BM")
    if head.startswith(image_magic) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP"):
        return Kind.IMAGE
    if head.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0", b"{\\rtf")) and suffix in OFFICE_SUFFIXES:
        return Kind.OFFICE
    if suffix in TEXT_SUFFIXES and (b"\x00" not in head or head.startswith(UTF16_MARKS)):
        return Kind.TEXT
    return None


def classify(exhibit: Exhibit, source: Path) -> Kind:
    """The exhibit's kind, or an EvidenceError saying what is wrong and what is accepted."""
    kind = sniff(source)
    name = describe(exhibit)
    suffix = source.suffix.lower()
    promised = next((named for named, suffixes in SUFFIXES.items() if suffix in suffixes), None)
    refused = None if kind is not None else _refused_kind(exhibit, source)
    if refused:  # (an iPhone photo, a Chinese e-invoice, ...: what to send instead, whatever the name)
        raise EvidenceError(f"{name}: {refused}")
    if kind is None and promised not in (None, Kind.TEXT):  # `invoice.pdf` that is no PDF: damaged, renamed
        raise EvidenceError(
            f"{name}: the file is named {suffix} but is not {_a(promised)} (its content is not one); it may "
            "be damaged, or another kind of file renamed: open it in its program and save or export it again"
        )
    if kind is None:
        raise EvidenceError(
            f"{name}: not a kind of file build-appeal can put in a bundle; use PDF, an image (JPG, PNG, "
            "GIF, TIFF, WebP, BMP), an office file (Word, Excel, PowerPoint, OpenDocument, RTF), .txt, .csv "
            "or .eml"
        )
    if suffix not in SUFFIXES[kind]:
        log.warning("%s: the file is really %s despite its name; treated as such", name, _a(kind))
    return kind


SUFFIXES = {
    Kind.PDF: {".pdf"},
    Kind.IMAGE: IMAGE_SUFFIXES,
    Kind.OFFICE: OFFICE_SUFFIXES,
    Kind.TEXT: TEXT_SUFFIXES,
}
"""The names each kind of file goes by (a text's content shows no kind of its own)."""


HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs", b"mif1", b"msf1"}
"""The brands (of the `ftyp` box that begins the file) an iPhone's HEIC photo goes by."""
WPS_SAVE_AS = {".wps": ".docx", ".et": ".xlsx", ".dps": ".pptx"}
"""WPS Office's own formats, each with the Microsoft Office one WPS saves it as."""
LOCK_PROGRAMS = {".doc": "Word", ".docx": "Word", ".xls": "Excel", ".xlsx": "Excel", ".ppt": "PowerPoint"}
E_INVOICE = (
    "download the PDF version of the e-invoice (电子发票), or print it to PDF "
    "(请下载电子发票的PDF版本，或打印为PDF)"
)


def _refused_kind(exhibit: Exhibit, source: Path) -> str | None:
    """What a file of a kind sellers often have but no bundle takes is, and what to send instead; None for
    any other. (They were told only the kinds a bundle takes, which says nothing of what to do.)"""
    with source.open("rb") as stream:
        head = stream.read(64)
    suffix = source.suffix.lower()
    if source.name.startswith("~$"):  # (Word writes one beside a document it has open)
        program = LOCK_PROGRAMS.get(suffix, "PowerPoint" if suffix == ".pptx" else "Office")
        return (
            f"{program}'s temporary lock file, not the document: list {_locked_document(exhibit, source)} "
            f"instead ({program} 打开文件时生成的临时锁定文件，不是文件本身)"
        )
    if (head[4:8] == b"ftyp" and head[8:12] in HEIF_BRANDS) or suffix in (".heic", ".heif"):
        return (
            "an iPhone HEIC photo; send it as JPEG (on the iPhone: Settings > Camera > Formats > Most "
            "Compatible), or export it as JPEG (苹果HEIC照片：请在“设置 > 相机 > 格式”中选择“兼容性最佳”，"
            "或将照片导出为JPEG)"
        )
    if suffix == ".ofd" or (head.startswith(b"PK\x03\x04") and _holds(source, "OFD.xml")):
        return f"an OFD file, the Chinese e-invoice format, which no PDF reader opens; {E_INVOICE}"
    if suffix == ".xml":
        return f"XML data (an e-invoice's, say), not pages a reader can read; {E_INVOICE}"
    if suffix in WPS_SAVE_AS:
        target = WPS_SAVE_AS[suffix]
        return (
            f"a WPS Office file; open it in WPS and save it as {target} (File > Save As) "
            f"(请在WPS中“另存为” {target} 格式)"
        )
    return None


def _locked_document(exhibit: Exhibit, lock: Path) -> str:
    """The document an Office lock file stands beside, as case.yaml would name it: Word names the lock of
    `letter.docx` `~$letter.docx`, and that of `contract.docx` `~$ntract.docx` (two letters replaced)."""
    rest = lock.name[2:].casefold()
    beside = sorted(
        path.name
        for path in lock.parent.iterdir()
        if path.name.casefold().endswith(rest) and not path.name.startswith("~$") and path.is_file()
    )
    folder = PurePosixPath(exhibit.file.replace("\\", "/")).parent
    return (folder / (beside[0] if beside else lock.name[2:])).as_posix()


def _holds(archive: Path, name: str) -> bool:
    """Whether a zip archive holds a file of that name (False for one that cannot be read)."""
    try:
        with zipfile.ZipFile(archive) as opened:
            return name in opened.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return False


def _a(kind: Kind) -> str:
    return {Kind.PDF: "a PDF", Kind.IMAGE: "an image", Kind.OFFICE: "an office file", Kind.TEXT: "text"}[kind]


# --- PDF ------------------------------------------------------------------------------------------------


def prepare_pdf(exhibit: Exhibit, source: Path, target: Path) -> tuple[PdfReader, list[str]]:
    """The pages of a PDF exhibit, ready for the bundle: decrypted, repaired, forms flattened, scripts and
    attachments dropped. A PDF that needs none of that is read once and used as it is; any other is
    copied, changed, to `target`. Returns a reader of the pages to use, and the warnings, each naming
    the exhibit."""
    name = describe(exhibit)
    as_is = _usable_as_is(source)
    if as_is is not None:
        return as_is, []
    warnings: list[str] = []
    lost = 0
    with captured_warnings("pypdf") as repairs:
        try:
            writer, reader = _read_pdf(source, name)
        except _Unreadable as error:
            # pypdf gives up on files cut short (no trailer, no %%EOF); qpdf, through pikepdf, rebuilds them.
            repaired = target.with_suffix(".repaired.pdf")
            lost = _repair_with_qpdf(source, repaired, name, error)
            writer, reader = _read_pdf(repaired, name)
            repairs.append(str(error))
        sound: set[int] = set()
        incomplete = [
            number for number, page in enumerate(reader.pages, 1) if repairs and _incomplete(page, sound)
        ]
    if reader.is_encrypted:
        warnings.append(
            f"{name}: the PDF was locked against changes (it opens without a password); the copy in the "
            "bundle is unlocked"
        )
    if repairs:
        warnings.append(_repaired(name, repairs[0], _cut_short(source), incomplete, lost))
    warnings += _clean(writer, reader, name)
    try:
        with target.open("wb") as stream:
            writer.write(stream)
    except Exception as error:
        raise EvidenceError(
            f"{name}: the PDF could not be copied ({error}); scan or print it again"
        ) from error
    return PdfReader(target), warnings


def _usable_as_is(source: Path) -> PdfReader | None:
    """A reader of the PDF if it can be used unchanged: it reads without a single repair, is not
    encrypted, and holds no form, script, media or attachment, in its catalog or on a page."""
    with captured_warnings("pypdf") as repairs:
        try:
            reader = PdfReader(source, strict=False)
            if reader.is_encrypted or not reader.pages:
                return None
            catalog: Any = reader.trailer["/Root"].get_object()
            if any(key in catalog for key in ("/AcroForm", "/Names", "/OpenAction", "/AA")):
                return None
            for page in reader.pages:
                if "/AA" in page:
                    return None
                for reference in page.get("/Annots") or []:
                    annotation = reference.get_object()
                    if annotation.get("/Subtype") in ("/Widget", "/FileAttachment", *MEDIA_ANNOTATIONS):
                        return None
                    if "/AA" in annotation or _unsafe(annotation.get("/A")):
                        return None
        except Exception:  # whatever pypdf trips on is for the careful path to handle
            return None
    return None if repairs else reader


def _read_pdf(source: Path, name: str) -> tuple[PdfWriter, PdfReader]:
    try:
        reader = PdfReader(source, strict=False)
        if reader.is_encrypted:
            try:
                reader.decrypt("")
                _ = reader.pages[0]
            except (FileNotDecryptedError, PyPdfError, NotImplementedError) as error:
                raise EvidenceError(
                    f"{name}: the PDF is protected by a password; open it, print it to a new PDF without a "
                    "password and use that file"
                ) from error
        writer = PdfWriter()
        writer.append(reader, import_outline=False)
    except EvidenceError:
        raise
    except Exception as error:  # pypdf raises many kinds for a damaged file
        raise _Unreadable(str(error)) from error
    if not writer.pages:
        raise _Unreadable("no pages could be read")
    return writer, reader


class _Unreadable(Exception):
    """pypdf could not read the PDF even leniently."""


def _repair_with_qpdf(source: Path, target: Path, name: str, first: Exception) -> int:
    """Have qpdf rebuild the PDF into `target`; how many pages it left out, as it could not read them."""
    load_pikepdf()
    import pikepdf

    again = (  # (a file cut short is whole where it came from)
        "the file looks cut short, as an interrupted download leaves it: download it again and compare it "
        "with the original"
        if _cut_short(source)
        else "scan or print it again"
    )
    try:
        with pikepdf.open(source) as pdf:
            if not len(pdf.pages):
                raise EvidenceError(f"{name}: the PDF has no pages that can be read; {again}")
            lost = sum("Pages tree includes non-dictionary object" in note for note in pdf.get_warnings())
            pdf.save(target)
    except EvidenceError:
        raise
    except Exception as error:  # pikepdf.PdfError and friends: beyond repair
        raise EvidenceError(f"{name}: the PDF is damaged beyond repair ({first}); {again}") from error
    return lost


def _cut_short(source: Path) -> bool:
    """Whether the file lacks the %%EOF marker a PDF ends with: cut short, as an interrupted download or
    copy leaves it (what was after the cut is lost: whole pages, or what some pages draw)."""
    with source.open("rb") as stream:
        stream.seek(max(0, source.stat().st_size - 1024))
        return b"%%EOF" not in stream.read()


def _incomplete(page: PageObject, sound: set[int]) -> bool:
    """Whether a page of a repaired PDF lost some of what it draws: it has no content, or content that
    cannot be read; something its content or resources refer to could not be read; or its content uses a
    font or a picture missing from its resources (qpdf leaves out of a dictionary what it could not read).
    `sound`: the objects earlier pages were read whole with, not read again (the fonts and pictures pages
    share: a 2,000-page file took a minute when each page read them all); this page's are added to it."""
    try:
        pending: list[Any] = [page.get("/Contents"), page.get("/Resources")]
        seen: set[int] = set()
        while pending:
            item = pending.pop()
            if isinstance(item, IndirectObject):
                if item.idnum in seen or item.idnum in sound:
                    continue
                seen.add(item.idnum)
                item = item.get_object()
                if item is None or isinstance(item, NullObject):
                    return True
            if isinstance(item, StreamObject):
                item.get_data()  # (raises when the stream is cut off or damaged)
            if isinstance(item, DictionaryObject):
                pending += [value for key, value in item.items() if key != "/Parent"]
            elif isinstance(item, ArrayObject):
                pending += item
        contents = page.get_contents()
        if contents is None:
            return True
        resources: Any = page.get("/Resources")
        resources = resources.get_object() if resources is not None else DictionaryObject()
        fonts, pictures = (_keys(resources.get(key)) for key in ("/Font", "/XObject"))
        drawing = contents.get_data()  # (its operators found by pattern: pypdf's parser took 40 ms a page)
        lost = any(f"/{name.decode('latin-1')}" not in fonts for name in _FONT_SET.findall(drawing)) or any(
            f"/{name.decode('latin-1')}" not in pictures for name in _PICTURE_DRAWN.findall(drawing)
        )
    except Exception:  # whatever pypdf trips on in it
        return True
    if not lost:
        sound |= seen
    return lost


_NAME = rb"/([^\s/\[\]()<>{}%]+)"
_FONT_SET = re.compile(_NAME + rb"\s+[-+.\d]+\s+Tf\b")
"""A font chosen in a page's drawing (`/F1 12 Tf`): the name of one of its resources."""
_PICTURE_DRAWN = re.compile(_NAME + rb"\s+Do\b")
"""A picture or form drawn (`/Im0 Do`)."""


def _keys(dictionary: Any) -> set[str]:
    dictionary = dictionary.get_object() if dictionary is not None else None
    return set(dictionary) if isinstance(dictionary, DictionaryObject) else set()


def _repaired(name: str, reason: str, cut_short: bool, incomplete: list[int], lost: int) -> str:
    """The warning for a repaired PDF: what was damaged, and, for one cut short or missing parts, which
    pages are likely incomplete and that the file should be fetched again."""
    said = f"{name}: the PDF was damaged and has been repaired ({reason})"
    damage = []
    if lost:
        damage.append(f"{lost} page{'s are' if lost > 1 else ' is'} missing")
    if incomplete:
        listed = ", ".join(str(number) for number in incomplete[:10])
        if len(incomplete) > 10:
            listed += f" and {len(incomplete) - 10} more"
        plural = len(incomplete) > 1
        damage.append(f"page{'s' if plural else ''} {listed} {'are' if plural else 'is'} likely incomplete")
    if cut_short:
        return (
            f"{said}; the file looks cut short, as an interrupted download leaves it, so "
            f"{' and '.join(damage) or 'pages may be missing or incomplete'}: download it again and compare "
            "it with the original"
        )
    if damage:
        return f"{said}; {' and '.join(damage)}: get the file again and compare it with the original"
    return said


def _clean(writer: PdfWriter, reader: PdfReader, name: str) -> list[str]:
    """Flatten form fields into the page, drop JavaScript, media, actions and attachments; say what was done.

    The document-level ones (in the original's catalog) never reach the bundle, which takes only pages;
    they are looked for in the original so the warning can say they were dropped. A link keeps working when
    only the actions run after it (its /Next) are unsafe: those are left out of it."""
    found: set[str] = set()
    catalogs: list[Any] = [reader.trailer["/Root"].get_object(), writer.root_object]
    for root in catalogs:
        names = root.get("/Names")
        if names is not None:
            names = names.get_object()
            for key, what in (("/JavaScript", "JavaScript"), ("/EmbeddedFiles", "embedded attachments")):
                if key in names:
                    found.add(what)
        found |= _unsafe(root.get("/OpenAction")) | _unsafe_triggers(root)
    values = [_draw_missing_values(writer, page) for page in writer.pages]
    for key in ("/AcroForm", "/Names", "/OpenAction", "/AA"):
        if key in writer.root_object:
            del writer.root_object[NameObject(key)]
    notes: list[str] = []
    for page, drawn in zip(writer.pages, values, strict=True):
        found |= _unsafe_triggers(page)
        page.pop(NameObject("/AA"), None)  # a printed page has no use for actions run on events
        annotations = page.get("/Annots")
        if annotations is None:
            continue
        before = _squeezed_text(page) if any(drawn.values()) else ""
        kept, flattened = ArrayObject(), b""
        for reference in annotations.get_object():
            annotation = reference.get_object()
            subtype = annotation.get("/Subtype")
            action = annotation.get("/A")
            found |= _unsafe_triggers(annotation)
            annotation.pop(NameObject("/AA"), None)
            if subtype == "/Widget":
                found.add("form fields")
                found |= _unsafe(action)
                flattened += _flattened_widget(page, annotation)
            elif subtype == "/FileAttachment":
                found.add("embedded attachments")
            elif subtype in MEDIA_ANNOTATIONS:
                found |= {"media"} | _unsafe(action)
            elif _unsafe_action(action):
                found |= _unsafe(action)
            else:
                found |= _without_unsafe_next(action)
                kept.append(reference)
        page[NameObject("/Annots")] = kept
        if flattened:
            _draw_over(page, flattened)
        notes += _values_lost(page, drawn, before, name)
    messages = {
        "form fields": "form fields were flattened into the page (court filing systems refuse forms)",
        "JavaScript": "JavaScript was removed (court filing systems refuse it)",
        "embedded attachments": "embedded attachments were removed; add them as exhibits of their own",
        "media": "audio, video or 3D content was removed (court filing systems refuse it)",
        "actions": "links that start a program, open another file or an attached one, or send form data were "
        "removed (court filing systems refuse them)",
    }
    return [f"{name}: {messages[what]}" for what in sorted(found)] + notes


def _chain(action: Any) -> Iterator[DictionaryObject]:
    """Every action of an action chain: the action, then those run after it (its /Next: one action or an
    array of them), and theirs. Each is read when the one before it is done with, so a /Next changed
    meanwhile is followed as changed. A chain that loops back is followed once round."""
    seen: set[int] = set()
    pending = [action]
    while pending:
        item = pending.pop()
        if item is not None and hasattr(item, "get_object"):
            item = item.get_object()
        if isinstance(item, ArrayObject):
            pending += reversed(item)
        elif isinstance(item, DictionaryObject) and id(item) not in seen:
            seen.add(id(item))
            yield item
            pending.append(item.get("/Next"))


def _unsafe_action(action: Any) -> set[str]:
    """What is unsafe in this one action, not counting those run after it."""
    if action is not None and hasattr(action, "get_object"):
        action = action.get_object()
    if not isinstance(action, DictionaryObject):
        return set()
    kind = str(action.get("/S"))
    found = {UNSAFE_ACTIONS[kind]} if kind in UNSAFE_ACTIONS else set()
    if kind == "/Thread" and "/F" in action:  # an article in another file
        found.add("actions")
    if kind == "/URI" and (unsafe := unsafe_uri(action.get("/URI"))):  # `javascript:app.alert(1)`
        found.add(unsafe)
    if "/JS" in action:  # a /Rendition action may carry a script of its own
        found.add("JavaScript")
    return found


def unsafe_uri(uri: object) -> str | None:
    """The kind of warning a link's web address gets when it is none of `SAFE_SCHEMES` ("JavaScript" for a
    script, else "actions"), read as a viewer reads it (spaces and control characters inside
    `java script:` ignored); None for a safe one, for `www.example.com` (a web page without its scheme)
    and for an empty one (a link to nothing)."""
    if uri is None:
        return None
    if isinstance(uri, bytes):
        uri = uri.decode("latin-1")
    address = re.sub(r"[\x00-\x20\x7f]", "", str(uri)).lower()
    scheme, colon, _ = address.partition(":")
    if colon and re.fullmatch(r"[a-z][a-z0-9+.-]*", scheme):
        if scheme in SAFE_SCHEMES:
            return None
        return "JavaScript" if scheme in ("javascript", "vbscript") else "actions"
    return None if not address or address.startswith("www.") else "actions"


def _unsafe(action: Any) -> set[str]:
    """What is unsafe in an action chain: the kinds of its actions court filing systems refuse."""
    return {what for item in _chain(action) for what in _unsafe_action(item)}


def _unsafe_triggers(holder: Any) -> set[str]:
    """What is unsafe in the actions a catalog, a page or an annotation runs on events (its /AA: opening,
    closing, the mouse)."""
    triggers = holder.get("/AA")
    triggers = triggers.get_object() if triggers is not None else None
    actions = triggers.values() if isinstance(triggers, DictionaryObject) else []
    return {what for action in actions for what in _unsafe(action)}


def _without_unsafe_next(action: Any) -> set[str]:
    """Leave out of a chain whose first action is safe every unsafe action run after it, with those it runs
    in turn; what was unsafe in them."""
    found: set[str] = set()
    for item in _chain(action):
        following = item.get("/Next")
        if following is None:
            continue
        following = following.get_object()
        steps = list(following) if isinstance(following, ArrayObject) else [following]
        kept = ArrayObject(step for step in steps if not _unsafe_action(step))
        if len(kept) == len(steps):
            continue
        found |= {what for step in steps if _unsafe_action(step) for what in _unsafe(step)}
        if kept:
            item[NameObject("/Next")] = kept
        else:
            del item[NameObject("/Next")]
    return found


def _draw_missing_values(writer: PdfWriter, page: Any) -> dict[str, list[str] | None]:
    """Give each filled text or choice field on the page that has no appearance one drawn by pypdf from its
    value, so that flattening keeps the value (form fillers other than Adobe's often leave the drawing to
    the viewer, with /NeedAppearances). The values of such fields by field name, None where none could be
    drawn (a check box without an appearance, a field pypdf trips on)."""
    values: dict[str, list[str] | None] = {}
    for reference in page.get("/Annots") or []:
        annotation = reference.get_object()
        appearance = annotation.get("/AP")
        if (
            annotation.get("/Subtype") != "/Widget"
            or int(annotation.get("/F", 0)) & 2  # hidden: not shown, so not flattened
            or (appearance is not None and "/N" in appearance.get_object())
        ):
            continue
        field = annotation if "/T" in annotation else annotation.get("/Parent", annotation).get_object()
        value, kind = field.get("/V"), field.get("/FT", annotation.get("/FT"))
        if kind not in ("/Tx", "/Ch", "/Btn") or value in (None, "", "/Off") or value == ArrayObject():
            continue
        shown = [str(item) for item in value] if isinstance(value, ArrayObject) else [str(value)]
        values[str(field.get("/T", "(unnamed)"))] = shown if kind != "/Btn" else None  # (no text to draw)
    if not any(values.values()):
        return values
    acro_form = writer.root_object.setdefault(NameObject("/AcroForm"), DictionaryObject()).get_object()
    acro_form.setdefault(NameObject("/Fields"), ArrayObject())
    with captured_warnings("pypdf"):  # (it says which font it falls back to; the result is checked after)
        for field, drawn in values.items():
            if drawn is None:
                continue
            try:
                writer.update_page_form_field_values(
                    page, {field: drawn if len(drawn) > 1 else drawn[0]}, auto_regenerate=None
                )
            except Exception:  # pypdf raises many kinds for odd fields; the field is named in a warning
                values[field] = None
    return values


def _squeezed_text(page: Any) -> str:
    """The page's text without its white space; empty where pypdf trips on a font (nothing can be
    confirmed then)."""
    try:
        return "".join(page.extract_text().split())
    except Exception:
        return ""


def _values_lost(page: Any, values: dict[str, list[str] | None], before: str, name: str) -> list[str]:
    """A warning for each field value drawn by `_draw_missing_values` that is not whole in the page's text
    once flattened (letters the form's font lacks come out as ?), or that could not be drawn at all. A value
    the page printed already (`before`: its text without the fields; a company's name in its letterhead)
    must be there once more."""
    if not values:
        return []
    text = _squeezed_text(page)

    def drawn(shown: list[str]) -> bool:
        squeezed = ["".join(part.split()) for part in shown]
        return all(text.count(part) > before.count(part) for part in squeezed)

    lost = [field for field, shown in values.items() if shown is None or not drawn(shown)]
    return [
        f'{name}: form field "{field}" is filled in, but its value could not be put on the page, so it is '
        "missing from the bundle or shown wrong; open the file in a PDF reader, print it to a new PDF and "
        "use that file"
        for field in lost
    ]


def _flattened_widget(page: Any, annotation: DictionaryObject) -> bytes:
    """The drawing that puts a form field's appearance on the page, as a viewer shows it (`_draw_over`);
    nothing for a hidden field or one without an appearance."""
    if int(annotation.get("/F", 0)) & 2:  # hidden field
        return b""
    appearance = annotation.get("/AP")
    normal: Any = appearance.get_object().get("/N") if appearance is not None else None
    if normal is None:
        return b""
    normal = normal.get_object()
    if isinstance(normal, DictionaryObject) and "/BBox" not in normal:  # the on/off states of a check box
        state = annotation.get("/AS")
        if state not in normal:
            return b""
        normal = normal[state].get_object()
    rect = RectangleObject(annotation["/Rect"].get_object())  # type: ignore[arg-type]
    resources = page.setdefault(NameObject("/Resources"), DictionaryObject()).get_object()
    xobjects = resources.setdefault(NameObject("/XObject"), DictionaryObject()).get_object()
    label = f"/Fx{len(xobjects)}"
    while label in xobjects:
        label += "x"
    xobjects[NameObject(label)] = normal.indirect_reference or normal
    box = RectangleObject(normal.get("/BBox", [0, 0, rect.width, rect.height]))
    sx = float(rect.width) / float(box.width) if float(box.width) else 1.0
    sy = float(rect.height) / float(box.height) if float(box.height) else 1.0
    dx = float(rect.left) - float(box.left) * sx
    dy = float(rect.bottom) - float(box.bottom) * sy
    return f"q {sx:.4f} 0 0 {sy:.4f} {dx:.4f} {dy:.4f} cm {label} Do Q\n".encode()


def _draw_over(page: Any, drawing: bytes) -> None:
    """Add `drawing` over the page's content, in the page's own coordinates. The content is closed in
    `q ... Q` first: a page may leave its coordinates changed at its end (WeasyPrint's, and those of
    browsers' "Save as PDF", begin with a `1 0 0 -1 0 h cm` flipping them, never undone), and the fields'
    values were drawn upside down at the top of such a page."""
    contents = page.get_contents()
    combined = DecodedStreamObject()
    combined.set_data(b"q\n" + (contents.get_data() if contents is not None else b"") + b"\nQ\n" + drawing)
    page.replace_contents(combined)


def font_warnings(pages: Iterable[PageObject], name: str) -> list[str]:
    """A warning naming the fonts the pages use without carrying them (as `pdffonts` shows `emb no`): a
    viewer then draws the text in a font of its own, and courts ask for every font embedded. (The build
    asks once the bundle is written: its pages are read by then, and reading them costs most of the time.)"""
    missing: set[str] = set()
    for page in pages:
        try:
            _, unembedded = page._get_fonts()  # pypdf's walk: page, form XObjects, annotation appearances
        except Exception:  # a damaged resource dictionary: the fonts are not known, no warning then
            continue
        missing |= {str(font).removeprefix("/") for font in unembedded}
    if not missing:
        return []
    fonts = ", ".join(sorted(missing))
    if len(missing) == 1:
        return [
            f"{name}: font {fonts} is not embedded; a court may refuse it: print the file to PDF again with "
            "fonts embedded"
        ]
    return [
        f"{name}: fonts {fonts} are not embedded; a court may refuse them: print the file to PDF again with "
        "fonts embedded"
    ]


# --- Images -----------------------------------------------------------------------------------------------


IMAGE_PIXELS = 178_956_970
"""The most pixels of an image the build opens: Pillow's own limit, past which it takes an image for a
decompression bomb (a small file that unpacks to gigabytes)."""
LARGE_PIXELS = IMAGE_PIXELS // 2
"""The most pixels of a JPEG decoded at its full size (Pillow warns of a decompression bomb past them). One
larger (a 108- or 200-megapixel phone photo) is decoded at a half, a quarter or an eighth of its size by
Pillow's draft(), at a fraction of the cost, the least reduction that brings it to `DECODED_PIXELS`; so it is
re-encoded for its page, never embedded as it is."""
DECODED_PIXELS = 32_000_000
"""The most pixels a JPEG past `LARGE_PIXELS` is decoded to: more than a page shows (7 by 9 inches at 600 dpi
are 23 megapixels)."""
JPEG_PIXELS = 2 * IMAGE_PIXELS
"""The most pixels of a JPEG the build opens: twice `IMAGE_PIXELS`, as one that large is decoded at a
quarter of its size (see `LARGE_PIXELS`)."""
JPEG_FORMATS = frozenset({"JPEG", "MPO"})
UNREADABLE_IMAGE = (OSError, ValueError, SyntaxError, EOFError, TypeError, KeyError, IndexError, struct.error)
"""What Pillow raises for a damaged or cut-off image (a TIFF cut inside a page's header: TypeError, "Missing
dimensions")."""
ANIMATED = {"GIF": "GIF", "WEBP": "WebP image", "PNG": "PNG (APNG)"}
"""The kinds of image that may be animated, as the warning names them: only the first frame is shown."""


def prepare_image(exhibit: Exhibit, source: Path, target: Path) -> list[str]:
    """One page per image (per frame for TIFF), fitted inside the margins of a Letter page: a landscape one
    for an image wider than tall; a very tall one on pages of its own, each slice at the top of its page."""
    load_pikepdf()  # (img2pdf imports it)
    import img2pdf

    name = describe(exhibit)
    warnings: list[str] = []
    with _read_strictly(source, name) as image:
        if image.format in ANIMATED and getattr(image, "n_frames", 1) > 1:
            warnings.append(
                f"{name}: an animated {ANIMATED[image.format]}; only its first frame is in the bundle"
            )
        frames = _frames_shown(image)
        pages: list[tuple[bytes, bool, bool]] = []
        for index in range(frames):
            image.seek(index)
            _check_size(image, name)
            full = _reduce(image)
            if full is not None:
                warnings.append(
                    f"{name}: the photo is {_pixels(*full)}; the bundle holds it at "
                    f"{image.width}×{image.height}, more than its page shows"
                )
            pages += _image_pages(image, source if full is None and _embed_as_is(image, frames) else None)
    portrait, landscape = (
        img2pdf.get_layout_fun(pagesize=size, border=IMAGE_MARGIN, fit=img2pdf.FitMode.into)
        for size in (LETTER, LETTER[::-1])
    )
    turned = iter([wide for _, wide, _ in pages])

    def layout(width: int, height: int, dpi: Any) -> Any:  # img2pdf lays the pages out in order, once each
        return (landscape if next(turned) else portrait)(width, height, dpi)

    try:
        made = img2pdf.convert(
            [data for data, _, _ in pages], layout_fun=layout, rotation=img2pdf.Rotation.ifvalid
        )
        if any(top for _, _, top in pages):
            made = _to_the_top(made, [top for _, _, top in pages])
        target.write_bytes(made)
    except Exception as error:  # img2pdf raises its own kinds for odd images
        raise EvidenceError(f"{name}: the image could not be put on a page ({error})") from error
    return warnings


def check_image(exhibit: Exhibit, source: Path) -> None:
    """Refuse, as `prepare_image` does, an image too large to open, of a kind not taken (both from its header,
    before anything is decoded), or damaged or cut off (for `build-appeal check`). Each picture the bundle
    shows is read as quickly as that can be told: a JPEG decoded at an eighth of its size (which reads all
    of it), a PNG's chunks checked against their checksums, every page of a TIFF decoded (the first frame
    of an animated image, the one the bundle shows)."""
    name = describe(exhibit)
    with _read_strictly(source, name) as image:
        if image.format == "PNG" and getattr(image, "n_frames", 1) == 1:  # (an APNG: its first frame)
            image.verify()
            return
        for index in range(_frames_shown(image)):
            image.seek(index)
            _check_size(image, name)
            if image.format in JPEG_FORMATS:
                image.draft(image.mode, (-(-image.width // 8), -(-image.height // 8)))
            image.load()


@contextmanager
def _read_strictly(source: Path, name: str) -> Iterator[Any]:
    """The image (`_opened`), decoded strictly, whatever goes wrong said as the build says it: WeasyPrint
    tells Pillow, for the whole process, to accept cut-off images; evidence must not be."""
    from PIL import Image, ImageFile

    lenient, ImageFile.LOAD_TRUNCATED_IMAGES = ImageFile.LOAD_TRUNCATED_IMAGES, False
    try:
        with _opened(source, name) as image:
            yield image
    except Image.DecompressionBombError as error:  # (a frame larger than the first, say)
        raise EvidenceError(f"{name}: the image is too large to open; save a smaller copy") from error
    except EvidenceError:
        raise
    except UNREADABLE_IMAGE as error:
        raise EvidenceError(f"{name}: the image cannot be read ({error}); is it damaged?") from error
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = lenient


def _frames_shown(image: Any) -> int:
    """How many of the image's pictures the bundle shows: every page of a TIFF; the first frame of an
    animated one, and of a phone's MPO photo (its preview or depth map left out)."""
    return 1 if image.format in (*ANIMATED, "MPO") else getattr(image, "n_frames", 1)


@contextmanager
def _opened(source: Path, name: str) -> Iterator[Any]:
    """The image, its size checked against the build's limits (`_check_size`) before anything is decoded.
    Pillow's decompression-bomb guard is off while its header is read, as it would refuse a 200-megapixel
    photo before its size could be told, and on again for the rest."""
    from PIL import Image

    guard, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None
    try:
        image = Image.open(source)
    finally:
        Image.MAX_IMAGE_PIXELS = guard
    with image:
        if image.format not in IMAGE_FORMATS:
            raise EvidenceError(f"{name}: {image.format or 'these'} images are not supported")
        _check_size(image, name)
        yield image


def _check_size(image: Any, name: str) -> None:
    """Refuse an image of more pixels than the build opens, saying how large a copy it takes."""
    width, height = image.size
    limit = JPEG_PIXELS if image.format in JPEG_FORMATS else IMAGE_PIXELS
    if width * height > limit:
        scale = math.sqrt(limit / (width * height))
        smaller = f"{max(1, int(width * scale))}×{max(1, int(height * scale))}"
        raise EvidenceError(
            f"{name}: the image is {_pixels(width, height)}, more than the {limit / 1e6:.0f} megapixels the "
            f"build opens; save a smaller copy, at most {smaller}"
        )


def _pixels(width: int, height: int) -> str:
    return f"{width}×{height} pixels ({width * height / 1e6:.0f} megapixels)"


def _reduce(image: Any) -> tuple[int, int] | None:
    """Have a JPEG of more than `LARGE_PIXELS` decoded at a reduced scale (see there); its full size if so,
    else None."""
    width, height = image.size
    if image.format not in JPEG_FORMATS or width * height <= LARGE_PIXELS:
        return None
    scale = next((scale for scale in (2, 4) if -(-width // scale) * -(-height // scale) <= DECODED_PIXELS), 8)
    image.draft(image.mode, (width // scale, height // scale))
    return (width, height) if image.size != (width, height) else None


def _embed_as_is(image: Any, frames: int) -> bool:
    """A plain upright JPEG goes into the PDF byte for byte: no quality lost. It is decoded once all the
    same, so a damaged or cut-off file is refused instead of showing a broken picture."""
    image.load()
    orientation = image.getexif().get(0x0112, 1)
    return bool(
        image.format == "JPEG" and frames == 1 and orientation == 1 and image.mode in ("RGB", "L", "CMYK")
    )


def _image_pages(image: Any, original: Path | None) -> list[tuple[bytes, bool, bool]]:
    """The image as JPEG or PNG bytes, upright and opaque, each with whether it goes on a landscape page (an
    image wider than tall) and whether at the top of the page: a very tall one is cut into page-high slices
    (portrait, even the last, short one, so all show at one scale), each at the top of its page."""
    from PIL import Image, ImageOps

    if original is not None and not _too_tall(image.size):
        return [(original.read_bytes(), image.width > image.height, False)]
    upright = _eight_bit(ImageOps.exif_transpose(image.copy()))
    if upright.mode in ("RGBA", "LA", "P", "PA") or "transparency" in upright.info:
        rgba = upright.convert("RGBA")
        white = Image.new("RGB", rgba.size, "white")
        white.paste(rgba, mask=rgba.getchannel("A"))
        upright = white
    elif upright.mode not in ("RGB", "L", "CMYK", "1"):
        upright = upright.convert("RGB")
    slices = []
    wide = upright.width > upright.height  # (never so for one cut into slices)
    boxes = _slices(upright)
    for box in boxes:
        part = upright if box == (0, 0, *upright.size) else upright.crop(box)
        buffer = io.BytesIO()
        if image.format in JPEG_FORMATS and part.mode in ("RGB", "L", "CMYK"):
            part.save(buffer, format="JPEG", quality=95, subsampling=0)
        else:
            part.save(buffer, format="PNG")
        slices.append((buffer.getvalue(), wide, len(boxes) > 1))
    return slices


def _eight_bit(image: Any) -> Any:
    """A 16-bit (or 32-bit) grey image, as scanners write them, as 8-bit grey with its levels scaled down:
    Pillow's own conversion keeps the levels and clips all above 255 to white, and such a scan came out as
    a blank page."""
    if image.mode.startswith("I;16") or image.mode == "I":  # 0 to 65,535
        return image.convert("I").point(lambda level: level / 256).convert("L")
    if image.mode == "F":  # floating point: 0 to 1, or as the 16-bit ones
        scale = 255 if image.getextrema()[1] <= 1 else 1 / 256
        return image.point(lambda level: level * scale).convert("L")
    return image


def _usable() -> tuple[float, float]:
    return LETTER[0] - 2 * IMAGE_MARGIN[1], LETTER[1] - 2 * IMAGE_MARGIN[0]


def _too_tall(size: tuple[int, int]) -> bool:
    """Taller than two pages would be when fitted to the width: fitting it whole would make it unreadable."""
    width, height = size
    usable_width, usable_height = _usable()
    return height / width > 2 * usable_height / usable_width


GAP_SEARCH = 4
"""A slice of a tall image is cut at a gap found in the last 1/GAP_SEARCH of the page height."""
GAP_TOLERANCE = 16
"""How far the levels of a row may spread (JPEG noise) for it to be a gap: a row of one colour."""


def _slices(image: Any) -> list[tuple[int, int, int, int]]:
    """Page-high slices of a very tall image (full width), else the whole image. Each slice ends above a
    row of one colour near the page height (a gap between lines of text or chat bubbles: `GAP_SEARCH`), so
    that no line is cut in half; at the page height where there is none."""
    width, height = image.size
    if not _too_tall(image.size):
        return [(0, 0, width, height)]
    usable_width, usable_height = _usable()
    step = int(width * usable_height / usable_width)
    boxes = []
    top = 0
    while height - top > step:
        rows = range(top + step, top + step - step // GAP_SEARCH, -1)
        cut = next((row for row in rows if _one_colour(image.crop((0, row, width, row + 1)))), top + step)
        boxes.append((0, top, width, cut))
        top = cut
    return [*boxes, (0, top, width, height)]


def _one_colour(row: Any) -> bool:
    extrema = row.getextrema()
    bands = extrema if isinstance(extrema[0], tuple) else (extrema,)
    return all(high - low <= GAP_TOLERANCE for low, high in bands)


def _to_the_top(made: bytes, tops: list[bool]) -> bytes:
    """The PDF img2pdf made, with the image of each page marked in `tops` moved up to the top margin
    (img2pdf centres it: the short last slice of a tall screenshot floated in the middle of its page)."""
    import pikepdf

    with pikepdf.open(io.BytesIO(made)) as pdf:
        for page, top in zip(pdf.pages, tops, strict=True):
            if not top:
                continue
            drawing = []
            for instruction in pikepdf.parse_content_stream(page):
                operands: list[Any] = list(instruction.operands)
                operator = instruction.operator
                if str(operator) == "cm":  # width 0 0 height left bottom: the image's place
                    operands[5] = float(page.mediabox[3]) - IMAGE_MARGIN[0] - float(operands[3])
                drawing.append(pikepdf.ContentStreamInstruction(operands, operator))
            page.obj.Contents = pdf.make_stream(pikepdf.unparse_content_stream(drawing))
        buffer = io.BytesIO()
        pdf.save(buffer, deterministic_id=True)
    return buffer.getvalue()


# --- Text, CSV and e-mail -------------------------------------------------------------------------------


@dataclass(frozen=True)
class TextExhibit:
    """What `text_exhibit.html` shows: headers (for e-mail), a table (for CSV) or plain text."""

    headers: list[tuple[str, str]]
    table: list[list[str]]
    text: str
    attachments: list[str]


def read_text_exhibit(exhibit: Exhibit, source: Path) -> TextExhibit:
    """Read a .txt, .csv or .eml file for laying out as pages."""
    raw = source.read_bytes()
    suffix = source.suffix.lower()
    if suffix == ".eml":
        return _read_email(raw, describe(exhibit))
    text = _decode(raw, describe(exhibit))
    if suffix == ".csv":
        try:
            dialect: Any = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        return TextExhibit(
            headers=[], table=list(csv.reader(io.StringIO(text), dialect)), text="", attachments=[]
        )
    return TextExhibit(headers=[], table=[], text=text, attachments=[])


def _decode(raw: bytes, name: str) -> str:
    if raw.startswith(UTF16_MARKS):
        try:
            return raw.decode("utf-16")  # (the mark says which byte order, and is dropped)
        except UnicodeDecodeError:
            pass
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    log.warning("%s: the text is neither UTF-8 nor GBK; unreadable characters are shown as �", name)
    return raw.decode("utf-8", errors="replace")


def _read_email(raw: bytes, name: str) -> TextExhibit:
    message: Any = email.message_from_bytes(raw, policy=email.policy.default)
    headers = [
        (key, value) for key in ("From", "To", "Cc", "Date", "Subject") if (value := _header(message, key))
    ]
    body = message.get_body(preferencelist=("plain", "html"))
    text = ""
    if body is not None:
        text = _mail_text(body.get_payload(decode=True) or b"", body.get_content_charset())
        if body.get_content_type() == "text/html":
            text = _html_to_text(text)
    attachments = [_attachment_name(part) or "(unnamed)" for part in message.iter_attachments()]
    shown = [value for _, value in headers] + [text] + attachments
    if any("\N{REPLACEMENT CHARACTER}" in part for part in shown):
        log.warning(
            "%s: some characters of the e-mail could not be read and are shown as �; compare its pages with "
            "the mail as your mail program shows it, or print the mail to PDF there and use that file",
            name,
        )
    return TextExhibit(headers=headers, table=[], text=text, attachments=attachments)


GBK_LABELS = frozenset({"gb2312", "gbk", "x-gbk", "cp936", "windows-936", "euc-cn", "x-euc-cn", "csgb2312"})
"""Names of the Chinese character sets GB18030 contains. Chinese mail programs label mail gb2312 and write
characters only GBK has (喆 and 镕, of many names): each is read as GB18030, which holds them all."""
_GBK_LABEL = re.compile(
    r"(=\?|\*=\s*)(" + "|".join(map(re.escape, GBK_LABELS)) + r")(?=[*?'])", re.IGNORECASE
)
"""The character set of an encoded word (`=?gb2312?B?...?=`) or of an RFC 2231 parameter
(`filename*=gb2312''...`)."""


def _header(message: Any, key: str) -> str:
    """The text of a mail header (the first of that name), its GBK-family character sets read as GB18030,
    and raw 8-bit text (not encoded, as some mail programs write it) read as UTF-8, else as GB18030."""
    raw = next((value for name, value in message.raw_items() if name.lower() == key.lower()), None)
    return str(_parsed_header(key, raw)) if raw is not None else ""


def _parsed_header(key: str, raw: str) -> Any:
    if any("\udc80" <= char <= "\udcff" for char in raw):  # the bytes the parser could not read as ASCII
        raw = _decoded(raw.encode("ascii", "surrogateescape"), ("utf-8", "gb18030")) or raw
    return email.policy.default.header_fetch_parse(key, _GBK_LABEL.sub(r"\1gb18030", raw))


def _decoded(data: bytes, encodings: tuple[str, ...]) -> str | None:
    """The bytes read in the first of the encodings they are valid in; None if in none."""
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def _attachment_name(part: Any) -> str | None:
    """An attachment's file name, from Content-Disposition or else Content-Type, read as `_header` reads."""
    for key, parameter in (("Content-Disposition", "filename"), ("Content-Type", "name")):
        raw = next((value for name, value in part.raw_items() if name.lower() == key.lower()), None)
        if raw is None:
            continue
        try:
            found = _parsed_header(key, raw).params.get(parameter)
        except Exception:  # a header the parser trips on: the name as the email package reads it
            return part.get_filename()
        if found:
            return str(found)
    return None


def _mail_text(data: bytes, charset: str | None) -> str:
    """The text of a mail part: in its character set, GBK-family ones read as GB18030; a part that names
    none (or ASCII) but is not ASCII read as UTF-8, else as GB18030. Unreadable bytes become �."""
    if charset in (None, "us-ascii", "ascii"):
        return _decoded(data, ("utf-8", "gb18030")) or data.decode("utf-8", errors="replace")
    try:
        return data.decode("gb18030" if charset in GBK_LABELS else charset, errors="replace")
    except LookupError:  # a character set Python does not know
        return data.decode("utf-8", errors="replace")


class _TextOfHtml(HTMLParser):
    """The text of an HTML mail body: paragraphs kept, markup dropped; never rendered, so it stays data."""

    BREAKS = frozenset({"p", "br", "div", "tr", "li", "h1", "h2", "h3", "h4", "table"})

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        self.hidden += tag in ("script", "style", "head")
        if tag in self.BREAKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "head") and self.hidden:
            self.hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def _html_to_text(html: str) -> str:
    parser = _TextOfHtml()
    parser.feed(html)
    return "".join(parser.parts).strip()
