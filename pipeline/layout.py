"""Lay out the bundle: decide where every part starts, so the cover, the table of contents and the
evidence index print the right page numbers however long they grow.

The generated parts (cover, table of contents, HTML documents, exhibit cover sheets, text exhibits and
the stamps) are WeasyPrint documents laid out in memory with one font configuration; they are written
together as one PDF at the end, so each font is subset and embedded once per build, not once per part.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import weasyprint
from weasyprint.text.fonts import FontConfiguration

from pipeline.bundle import Bookmark, Pages, Part, open_pdf, written
from pipeline.context import Context, Exhibit
from pipeline.convert import Job, LocalFilesOnly, html_document, office_to_pdf, write_pdf
from pipeline.errors import BundleError
from pipeline.exhibits import Kind
from pipeline.render import Engine, TemplateFile, Templates

MAX_ROUNDS = 6
CSS_PX_TO_PT = 0.75


@dataclass(frozen=True)
class Laid:
    """Pages of a WeasyPrint document laid out but not yet written: all of them, or `count` from `first`."""

    key: str
    document: weasyprint.Document
    first: int = 0
    count: int | None = None

    def __len__(self) -> int:
        return len(self.document.pages) - self.first if self.count is None else self.count

    def sizes(self) -> list[tuple[float, float]]:
        """Each page's width and height in points."""
        pages = self.document.pages[self.first : self.first + len(self)]
        return [(page.width * CSS_PX_TO_PT, page.height * CSS_PX_TO_PT) for page in pages]


AnyPages = Pages | Laid


@dataclass(frozen=True)
class Entry:
    """A document as the cover and the table of contents list it."""

    title: str
    title_zh: str
    first: int
    last: int


@dataclass
class Plan:
    """Where everything goes: the parts in order (generated ones still `Laid`), bookmarks, exhibit pages."""

    parts: list[Part]
    bookmarks: list[Bookmark]
    exhibits: list[Exhibit]
    documents: dict[str, int]
    """Index in `parts` of each document (appeal_letter, ...), for writing its own PDF."""


class Layout:
    """Lays out generated parts with WeasyPrint and settles the page numbers of the bundle."""

    def __init__(self, templates: Templates, fetcher: LocalFilesOnly, timeout: float) -> None:
        self.templates = templates
        self.fetcher = fetcher
        self.timeout = timeout
        self.font_config = FontConfiguration()
        self.laid: dict[str, Laid] = {}

    def html(
        self,
        name: str,
        context: Context,
        work: Path,
        variables: dict[str, Any] | None = None,
        *,
        key: str | None = None,
        template: TemplateFile | None = None,
    ) -> Laid:
        """Render the template `name.html` with the context (plus `variables`) and lay it out."""
        template = template or self.templates.find(name, (Engine.HTML,))
        key = key or name
        scoped = dataclasses.replace(context, extra={**context.extra, **(variables or {})})
        rendered = self.templates.render(template, scoped, work)
        document = html_document(
            rendered.path.read_text(encoding="utf-8"),
            base=template.path.parent,
            fetcher=self.fetcher,
            name=template.path.name,
            font_config=self.font_config,
            timeout=self.timeout,
        )
        laid = Laid(key, document)
        self.laid[key] = laid
        return laid

    def settle(
        self,
        context: Context,
        work: Path,
        documents: dict[str, AnyPages],
        index_template: TemplateFile,
        exhibit_pages: list[AnyPages],
        exhibit_kinds: list[Kind],
        timeout: float,
        titles: dict[str, tuple[str, str]],
    ) -> Plan:
        """Lay out the cover, the table of contents and the evidence index again and again until the page
        numbers they print no longer change what they are; then every number printed is right."""
        exhibits = context.exhibits
        covers = self._exhibit_covers(context, work)
        counts = {"cover": 1, "toc": 1, "evidence_index": 1}
        for _ in range(MAX_ROUNDS):
            order = ["cover", "toc", *documents, "evidence_index"]
            sizes = {**counts, **{name: len(pages) for name, pages in documents.items()}}
            starts, page = {}, 1
            for name in order:
                starts[name] = page
                page += sizes[name]
            placed = []
            for exhibit, cover, pages in zip(exhibits, covers, exhibit_pages, strict=True):
                placed.append(
                    dataclasses.replace(
                        exhibit, first_page=page, last_page=page + len(cover) + len(pages) - 1
                    )
                )
                page += len(cover) + len(pages)
            total = page - 1
            entries = [
                Entry(*titles[name], starts[name], starts[name] + sizes[name] - 1)
                for name in [*documents, "evidence_index"]
            ]
            scoped = dataclasses.replace(
                context, exhibits=placed, extra={**context.extra, "parts": entries, "total_pages": total}
            )
            cover = self.html("bundle_cover", scoped, work)
            toc = self.html("bundle_toc", scoped, work)
            index = self._index(index_template, scoped, work, timeout)
            laid_counts = {"cover": len(cover), "toc": len(toc), "evidence_index": len(index)}
            if laid_counts == counts:
                break
            counts = laid_counts
        else:  # pragma: no cover - page counts that never settle would need a pathological template
            raise BundleError(
                "the table of contents and the index kept changing length; check their templates"
            )

        parts = [Part("Cover", cover), Part("Table of contents", toc)]
        parts += [Part(titles[name][0], pages) for name, pages in documents.items()]
        parts.append(Part(titles["evidence_index"][0], index))
        positions = {name: 2 + offset for offset, name in enumerate([*documents, "evidence_index"])}
        children = []
        for exhibit, cover_pages, pages, kind in zip(
            placed, covers, exhibit_pages, exhibit_kinds, strict=True
        ):
            assert exhibit.first_page is not None
            children.append(Bookmark(f"{exhibit.label}: {exhibit.title}", exhibit.first_page - 1))
            parts.append(Part(f"{exhibit.label} cover sheet", cover_pages, exhibit=exhibit))
            parts.append(
                Part(exhibit.label, pages, exhibit=exhibit, evidence=True, make_room=kind == Kind.PDF)
            )
        bookmarks = [
            Bookmark(part.title, starts[name] - 1) for name, part in (("cover", parts[0]), ("toc", parts[1]))
        ]
        bookmarks += [Bookmark(titles[name][0], starts[name] - 1) for name in [*documents, "evidence_index"]]
        if placed:
            assert placed[0].first_page is not None
            bookmarks.append(Bookmark("Exhibits", placed[0].first_page - 1, tuple(children)))
        return Plan(parts, bookmarks, placed, positions)

    def _exhibit_covers(self, context: Context, work: Path) -> list[Laid]:
        """Every exhibit's cover sheet, laid out in one document and cut where each exhibit's id stands."""
        if not context.exhibits:
            return []
        laid = self.html("exhibit_cover", context, work)
        starts = []
        for exhibit in context.exhibits:
            anchor = f"exhibit-{exhibit.number}"
            page = next((i for i, p in enumerate(laid.document.pages) if anchor in p.anchors), None)
            if page is None:
                raise BundleError(f'{laid.key}.html: no element with id="{anchor}" for {exhibit.label}')
            starts.append(page)
        ends = [*starts[1:], len(laid.document.pages)]
        return [
            Laid(laid.key, laid.document, first, end - first) for first, end in zip(starts, ends, strict=True)
        ]

    def _index(self, template: TemplateFile, context: Context, work: Path, timeout: float) -> AnyPages:
        """The evidence index with page numbers: HTML laid out here, Word through LibreOffice."""
        if template.engine == Engine.HTML:
            return self.html("evidence_index", context, work, template=template)
        rendered = self.templates.render(template, context, work)
        target = work / "evidence_index.pdf"
        office_to_pdf([Job(rendered.path, target, template.path.name)], timeout=timeout)
        return Pages(open_pdf(target, template.path.name))

    def write_generated(self, parts: list[Part], target: Path) -> list[Part]:
        """Write every laid-out document into one PDF; return the parts with real pages."""
        wanted = {
            id(part.pages.document): part.pages.document for part in parts if isinstance(part.pages, Laid)
        }
        documents = list(wanted.values())
        offsets, page = {}, 0
        for document in documents:
            offsets[id(document)] = page
            page += len(document.pages)
        combined = documents[0].copy([p for document in documents for p in document.pages])
        write_pdf(combined, target, name="the bundle's generated pages", timeout=self.timeout)
        reader = open_pdf(target, "generated pages")
        resolved = []
        for part in parts:
            pages = part.pages
            if isinstance(pages, Laid):
                pages = Pages(reader, offsets[id(pages.document)] + pages.first, len(pages))
            resolved.append(dataclasses.replace(part, pages=pages))
        return resolved


def page_sizes(parts: list[Part]) -> list[tuple[float, float]]:
    """The size of every bundle page as the reader sees it (a page's /Rotate applied), in points."""
    sizes: list[tuple[float, float]] = []
    for part in parts:
        if isinstance(part.pages, Laid):
            sizes += part.pages.sizes()
            continue
        for page in written(part):
            width, height = float(page.mediabox.width), float(page.mediabox.height)
            sizes.append((height, width) if page.rotation % 180 else (width, height))
    return sizes
