"""Assemble the bundle: every part's pages in order, evidence pages made room for and stamped, nested
bookmarks, page labels that match the printed numbers, table-of-contents links, metadata, and nothing a
court's filing system refuses (no encryption, JavaScript, forms or attachments). Written reproducibly: the
same inputs give the same bytes.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from pypdf import PageObject, PdfReader, PdfWriter
from pypdf.annotations import Link
from pypdf.constants import PageLabelStyle
from pypdf.generic import ArrayObject, ByteStringObject, DictionaryObject, IndirectObject, NameObject

from pipeline.context import Exhibit
from pipeline.errors import BundleError
from pipeline.exhibits import unsafe_uri
from pipeline.stamps import Stamp, Stamper, stamp_fonts

log = logging.getLogger(__name__)

LINK_PREFIX = "bundle:page/"
"""Templates link to a bundle page as `bundle:page/N`; assembly turns such links into jumps to page N."""


@dataclass(frozen=True)
class Pages:
    """A run of pages taken from one PDF: all of it, or `count` pages from `first` (0-based)."""

    reader: PdfReader
    first: int = 0
    count: int | None = None

    def __len__(self) -> int:
        return len(self.reader.pages) - self.first if self.count is None else self.count

    def __iter__(self) -> Iterator[PageObject]:
        return (self.reader.pages[self.first + offset] for offset in range(len(self)))


class PageRun(Protocol):
    """Pages of a part: `Pages` of a PDF, or pages laid out but not yet written (`layout.Laid`)."""

    def __len__(self) -> int: ...


@dataclass(frozen=True)
class Part:
    """One part of the bundle: a document, an exhibit's cover sheet, or an exhibit's own pages."""

    title: str
    pages: PageRun
    exhibit: Exhibit | None = None
    evidence: bool = False
    """The exhibit's own pages (not its cover sheet): stamped `Exhibit k, page i of n`."""
    make_room: bool = False
    """Shrink the content to free the bottom band for stamps (pages we did not lay out ourselves)."""


@dataclass(frozen=True)
class Metadata:
    """What the bundle's document information says."""

    title: str
    author: str
    subject: str
    keywords: str
    created: dt.datetime
    file_id: bytes
    """16 bytes that identify the inputs (the PDF's /ID)."""


def open_pdf(path: Path, what: str) -> PdfReader:
    """A reader for a PDF the build made, with an error naming the part when it cannot be read."""
    try:
        return PdfReader(path)
    except Exception as error:
        raise BundleError(f"{what}: cannot read {path.name}: {error}") from error


def page_ranges(parts: list[Part]) -> list[tuple[int, int]]:
    """Each part's first and last page in the bundle, 1-based."""
    ranges, page = [], 1
    for part in parts:
        ranges.append((page, page + len(part.pages) - 1))
        page += len(part.pages)
    return ranges


def assemble(
    parts: list[Part],
    stamps: list[Stamp],
    target: Path,
    metadata: Metadata,
    bookmarks: list[Bookmark],
    *,
    top: float = 0.0,
) -> None:
    """Write the bundle: pages in order, each stamped (evidence made room for, `top` points free at the top
    as well: a court's), bookmarks, labels."""
    writer = PdfWriter()
    stamper = Stamper(writer, stamp_fonts(stamps), top)
    pages = [(part, page) for part in parts for page in written(part)]
    if len(stamps) != len(pages):  # pragma: no cover - the build makes one stamp per page
        raise BundleError(f"{len(stamps)} stamps for {len(pages)} bundle pages")
    ours: dict[int, str] = {}  # the pages this build laid out (and their part), whose links it made
    attaching: dict[str, None] = {}
    for index, ((part, page), stamp) in enumerate(zip(pages, stamps, strict=True)):
        added = writer.add_page(page)
        if _drop_attachments(added):
            attaching[part.title] = None
        stamper.stamp(added, stamp, make_room=part.make_room)
        if not part.evidence:
            ours[index] = part.title
    for title in attaching:
        log.warning(
            "%s: the files its template attaches were left out (court filing systems refuse them)", title
        )
    _add_bookmarks(writer, bookmarks)
    _link_pages(writer, ours)
    writer.set_page_label(0, len(writer.pages) - 1, style=PageLabelStyle.DECIMAL, start=1)
    _strip_catalog(writer)
    _set_metadata(writer, metadata)
    writer.compress_identical_objects(remove_duplicates=True, remove_unreferenced=True)
    with target.open("wb") as stream:
        writer.write(stream)


@dataclass(frozen=True)
class Bookmark:
    """A bookmark to a bundle page (0-based), with bookmarks nested under it."""

    title: str
    page: int
    children: tuple[Bookmark, ...] = ()


def _add_bookmarks(
    writer: PdfWriter, bookmarks: list[Bookmark], parent: IndirectObject | None = None
) -> None:
    for bookmark in bookmarks:
        item = writer.add_outline_item(title=bookmark.title, page_number=bookmark.page, parent=parent)
        _add_bookmarks(writer, list(bookmark.children), item)


def _link_pages(writer: PdfWriter, ours: dict[int, str]) -> None:
    """Turn `bundle:page/N` links (the table of contents, the evidence index) into jumps to page N, on the
    pages `ours` (those of the templates, by their part's title): an exhibit's links are the exhibit's,
    whatever they say (its own were cleaned when it was prepared). A template's link to anything but a web
    page, an email address or a telephone number (`javascript:`, `file:`: `exhibits.SAFE_SCHEMES`) is left
    out: court filing systems refuse them."""
    last = len(writer.pages)
    for index in sorted(ours):
        page = writer.pages[index]
        annotations = page.get("/Annots")
        if annotations is None:
            continue
        kept, jumps = ArrayObject(), []
        for reference in annotations.get_object():
            annotation = reference.get_object()
            if not _links_into_bundle(annotation):
                uri = _unsafe_link(annotation)
                if uri is None:
                    kept.append(reference)
                else:
                    log.warning(
                        "%s: its link to “%s” was left out (court filing systems refuse links that run a "
                        "script or open a file)",
                        ours[index],
                        uri[:60],
                    )
                continue
            uri = str(annotation["/A"].get_object()["/URI"])
            number = uri.removeprefix(LINK_PREFIX)
            if not number.isdigit():
                raise BundleError(f"a link on page {index + 1} points to {uri}, which names no page number")
            target = int(number)
            if not 1 <= target <= last:
                raise BundleError(
                    f"a link on page {index + 1} points to page {target}, past the end ({last})"
                )
            jumps.append((annotation["/Rect"], target - 1))
        page[NameObject("/Annots")] = kept
        for rect, target_index in jumps:
            link = Link(rect=rect, target_page_index=target_index, border=[0, 0, 0])  # no box drawn
            writer.add_annotation(page_number=index, annotation=link)


def _unsafe_link(annotation: DictionaryObject) -> str | None:
    """The web address of a link that runs a script or opens a file (`exhibits.unsafe_uri`); else None."""
    action = annotation.get("/A")
    uri = action.get_object().get("/URI") if action is not None else None
    return str(uri) if unsafe_uri(uri) else None


def _links_into_bundle(annotation: DictionaryObject) -> bool:
    action = annotation.get("/A")
    return action is not None and str(action.get_object().get("/URI", "")).startswith(LINK_PREFIX)


def _drop_attachments(page: PageObject) -> bool:
    """Remove the files attached to `page` (an HTML template's `<a rel="attachment">`; an exhibit's were
    removed when it was prepared): court filing systems refuse them, and the bundle promises none. Whether
    there were any."""
    annotations = page.get("/Annots")
    if annotations is None:
        return False
    annotations = annotations.get_object()
    kept = ArrayObject(item for item in annotations if item.get_object().get("/Subtype") != "/FileAttachment")
    if len(kept) == len(annotations):
        return False
    page[NameObject("/Annots")] = kept
    return True


def _strip_catalog(writer: PdfWriter) -> None:
    """Nothing a court's filing system refuses reaches the bundle's catalog."""
    root = writer.root_object
    for key in ("/AcroForm", "/OpenAction", "/AA", "/Names"):
        if key in root:
            del root[NameObject(key)]


def _set_metadata(writer: PdfWriter, metadata: Metadata) -> None:
    stamp = metadata.created.strftime("D:%Y%m%d%H%M%S+00'00'")
    writer.add_metadata(
        {
            "/Title": metadata.title,
            "/Author": metadata.author,
            "/Subject": metadata.subject,
            "/Keywords": metadata.keywords,
            "/Creator": "build-appeal",
            "/Producer": "build-appeal (pypdf)",
            "/CreationDate": stamp,
            "/ModDate": stamp,
        }
    )
    # A file ID from the inputs, not from the clock: the same inputs give the same bytes.
    writer._ID = ArrayObject([ByteStringObject(metadata.file_id), ByteStringObject(metadata.file_id)])


def write_pages(pages: Pages, target: Path) -> None:
    """Write a run of pages as a PDF of its own (a document's PDF beside the bundle); links to bundle pages
    lead nowhere there, so they are dropped, as are those that run a script or open a file."""
    writer = PdfWriter()
    for page in pages:
        added = writer.add_page(page)
        _drop_attachments(added)  # (said once, by `assemble`)
        annotations = added.get("/Annots")
        if annotations is not None:
            added[NameObject("/Annots")] = ArrayObject(
                reference
                for reference in annotations.get_object()
                if not _links_into_bundle(reference.get_object())
                and _unsafe_link(reference.get_object()) is None
            )
    with target.open("wb") as stream:
        writer.write(stream)


def read_ahead(runs: Iterable[Pages]) -> Iterator[None]:
    """Read, a page at a time, the objects `assemble` will copy from these pages: pypdf parses a PDF's
    objects when they are first asked for, and keeps them. A build does this while it would otherwise wait
    for the draft's process (`Draft.meanwhile`) rather than while it assembles. Yields after each page."""
    seen: set[tuple[int, int]] = set()
    for run in runs:
        try:
            pages = list(run)
        except Exception:  # pages pypdf cannot find: the assembly meets them as it would have
            continue
        for page in pages:
            pending: list[Any] = [page]
            try:
                while pending:
                    item = pending.pop()
                    if isinstance(item, IndirectObject):
                        if (id(item.pdf), item.idnum) in seen:
                            continue
                        seen.add((id(item.pdf), item.idnum))
                        item = item.get_object()
                    if isinstance(item, DictionaryObject):  # not up the page tree: it is read already
                        pending += [value for key, value in item.items() if key != "/Parent"]
                    elif isinstance(item, ArrayObject):
                        pending += item
            except Exception:  # an object pypdf cannot read: the assembly meets it as it would have
                pass
            yield


def written(part: Part) -> Pages:
    """The part's pages from a PDF; generated parts must have been written first."""
    if not isinstance(part.pages, Pages):  # pragma: no cover - the build writes generated pages first
        raise BundleError(f"{part.title}: its pages were laid out but never written")
    return part.pages


def page_has_text(page: PageObject) -> bool:
    """Whether a page shows text (a scan without OCR shows none): it draws text with a font, in its own
    content or in a form it uses. Reads the operators only; extracting the text would cost far more on a
    2,000-page bundle."""
    try:
        return _draws_text(page.get_contents(), page.get("/Resources"), depth=0)
    except Exception:  # a page pypdf cannot parse counts as having no text
        return False


def _draws_text(contents: Any, resources: Any, depth: int) -> bool:
    if contents is None or depth > 3:
        return False
    data = contents.get_data()
    resources = resources.get_object() if resources is not None else {}
    if re.search(rb"(T[jJ]|['\"])\s", data) and resources.get("/Font"):
        return True
    forms = resources.get("/XObject", {})
    for reference in forms.get_object().values() if forms else []:
        form = reference.get_object()
        if form.get("/Subtype") == "/Form" and _draws_text(form, form.get("/Resources"), depth + 1):
            return True
    return False
