"""Lay out the bundle: decide where every part starts, so the cover, the table of contents and the
evidence index print the right page numbers however long they grow.

The generated parts (cover, table of contents, HTML documents, exhibit cover sheets, text exhibits) are
WeasyPrint documents laid out in memory with one font configuration; they are written together as one PDF
(but for a clean build's evidence index, below), so each font is subset and embedded once per build, not
once per part. Each document's pages are then kept in the cache under the hash of its HTML: a rebuild lays
out only what changed.

The cover, the contents and the index print page numbers that depend on their own lengths, so they are laid
out until those settle (`Layout.settle`): a rebuild knows the lengths from the last build; a clean build
drafts them in a child process on the other core while this one lays out the exhibits' cover sheets
(`pipeline.draft`), and that process then lays out and writes the final index while this one lays out the
final cover and contents and writes the rest. Pages of more than one PDF (the index's, an earlier build's)
draw with one program per font (`pipeline.font_programs`).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import weasyprint
from pypdf import PageObject, PdfReader
from weasyprint.text.fonts import FontConfiguration

from pipeline.bundle import Bookmark, PageRun, Pages, Part, open_pdf, written
from pipeline.cache import Cache, convert_office, file_hashes
from pipeline.context import Context, Entry, Exhibit
from pipeline.convert import Job, LocalFilesOnly, html_document, write_pdf
from pipeline.errors import BundleError
from pipeline.exhibits import Kind
from pipeline.font_programs import cut_program, share_font_programs
from pipeline.model import Language
from pipeline.render import Engine, TemplateFile, Templates

if TYPE_CHECKING:
    from pipeline.draft import Draft

MAX_ROUNDS = 6
FIRST_GUESS = {"cover": 1, "toc": 1, "evidence_index": 1}
"""The lengths the first round assumes when nothing better is known."""
CSS_PX_TO_PT = 0.75


@dataclass(frozen=True)
class Laid:
    """A generated document's pages, laid out now by WeasyPrint (`document`) or taken from the cache
    (`cached`): all of them, or `count` from `first`. Written to PDF by `Layout.write_generated`."""

    key: str
    """The cache key: the rendered HTML and where its relative URLs point."""
    anchors: tuple[frozenset[str], ...]
    """The element ids on each page of the whole document (cover sheets are cut by them)."""
    document: weasyprint.Document | None = None
    cached: PdfReader | None = None
    """The PDF an earlier build wrote this document into, with other documents of that build..."""
    offset: int = 0
    """... from this page on (0-based)."""
    files: tuple[Path, ...] = ()
    """Files WeasyPrint read while laying the document out (images, fonts), recorded with the entry."""
    first: int = 0
    count: int | None = None

    def __len__(self) -> int:
        return len(self.anchors) - self.first if self.count is None else self.count

    def sizes(self) -> list[tuple[float, float]]:
        """Each page's width and height in points."""
        if self.cached is not None:
            return [_size(page) for page in self.written()]
        assert self.document is not None
        pages = self.document.pages[self.first : self.first + len(self)]
        return [(page.width * CSS_PX_TO_PT, page.height * CSS_PX_TO_PT) for page in pages]

    def written(self) -> Pages:
        """The pages in the PDF of an earlier build (a document taken from the cache)."""
        assert self.cached is not None
        return Pages(self.cached, self.offset + self.first, len(self))


AnyPages = Pages | Laid


BOOKMARKS = {
    "cover": ("Cover", "封面"),
    "toc": ("Table of contents", "目录"),
    "exhibits": ("Exhibits", "证据"),
}
"""The bookmarks of the bundle's own parts, in English and in Chinese."""


@dataclass
class Plan:
    """Where everything goes: the parts in order (generated ones still `Laid`), bookmarks, exhibit pages."""

    parts: list[Part]
    bookmarks: list[Bookmark]
    exhibits: list[Exhibit]
    documents: dict[str, int]
    """Index in `parts` of each document (appeal_letter, ...), for writing its own PDF."""
    counts: dict[str, int]
    """How many pages the cover, the table of contents and the index settled on (a hint for next time)."""


@dataclass(frozen=True)
class Round:
    """One round of `Layout.settle`: the cover, contents and index laid out, where everything was placed."""

    cover: Laid
    toc: Laid
    index: AnyPages
    placed: list[Exhibit]
    """The exhibits with their first and last bundle pages."""
    starts: dict[str, int]
    """The first page of each document (cover, toc, documents, evidence_index)."""
    counts: dict[str, int]
    """How long the cover, the contents and the index came out."""


@dataclass(frozen=True)
class FrontMatter:
    """What the cover, the contents and the index are laid out from, round after round."""

    context: Context
    index_template: TemplateFile
    titles: dict[str, tuple[str, str]]
    """Each document's title in English and Chinese, as the cover and the contents list it."""
    named: list[str]
    """The documents in bundle order after the cover and the contents, the evidence index among them."""


@dataclass(frozen=True)
class WrittenIndex:
    """The evidence index as the draft's process laid it out and wrote it (`Layout.written_index`)."""

    key: str
    anchors: tuple[frozenset[str], ...]
    path: Path
    """The PDF it was written to (kept in the cache, if there is one)."""


class Layout:
    """Lays out generated parts with WeasyPrint (or takes them from the cache) and settles the page
    numbers of the bundle."""

    def __init__(self, templates: Templates, fetcher: LocalFilesOnly, timeout: float, cache: Cache) -> None:
        self.templates = templates
        self.fetcher = fetcher
        self.timeout = timeout
        self.cache = cache
        self.font_config = FontConfiguration()
        self.passes: dict[str, PdfReader | None] = {}
        """The PDFs of generated pages of earlier builds that this build takes documents from."""
        self.written: dict[str, tuple[PdfReader, int]] = {}
        """Where this build wrote the documents it laid out: the PDF, and the document's first page in it."""

    def html(
        self,
        name: str,
        context: Context,
        work: Path,
        variables: dict[str, Any] | None = None,
        *,
        template: TemplateFile | None = None,
    ) -> Laid:
        """Render the template `name.html` with the context (plus `variables`) and lay it out, unless the
        cache has the same HTML laid out already."""
        template = template or self.templates.find(name, (Engine.HTML,))
        scoped = context.with_variables(variables or {})
        html = self.templates.render(template, scoped, work).path.read_text(encoding="utf-8")
        base = template.path.parent.resolve()
        key = self.cache.key("html", html, str(base))
        cached = self._cached(key)
        if cached is not None:
            return cached
        served = len(self.fetcher.served)
        document = html_document(
            html,
            base=base,
            fetcher=self.fetcher,
            name=template.path.name,
            font_config=self.font_config,
            timeout=self.timeout,
        )
        anchors = tuple(frozenset(page.anchors) for page in document.pages)
        return Laid(key, anchors, document=document, files=tuple(self.fetcher.served[served:]))

    def _cached(self, key: str) -> Laid | None:
        """The document as an earlier build laid it out: its pages in that build's PDF of generated
        pages (kept whole, so the pages and fonts are written once)."""
        meta = self.cache.recall(key)
        if meta is None:
            return None
        anchors = tuple(frozenset(names) for names in meta.get("anchors", []))
        reader = self._pass(str(meta.get("pass")))
        offset = int(meta.get("first", 0))
        if reader is None or len(reader.pages) < offset + len(anchors) or not anchors:
            return None  # a damaged or pruned entry: laid out again
        return Laid(key, anchors, cached=reader, offset=offset)

    def _pass(self, key: str) -> PdfReader | None:
        if key not in self.passes:
            entry = self.cache.get(key)
            try:
                self.passes[key] = PdfReader(entry.file) if entry is not None else None
            except Exception:
                self.passes[key] = None
        return self.passes[key]

    def settle(
        self,
        context: Context,
        work: Path,
        documents: dict[str, AnyPages],
        index_template: TemplateFile,
        exhibit_pages: list[AnyPages],
        covers: list[Laid],
        exhibit_kinds: list[Kind],
        titles: dict[str, tuple[str, str]],
        guess: dict[str, int] | None = None,
        after: dict[str, AnyPages] | None = None,
        draft: Draft | None = None,
    ) -> Plan:
        """Lay out the cover, the table of contents and the evidence index again and again until the page
        numbers they print no longer change what they are; then every number printed is right. `covers`
        are the exhibits' cover sheets (`exhibit_covers`). `guess` (the lengths an earlier build settled
        on, or a draft found) usually makes the first round the last; the `draft`'s process lays out that
        round's index meanwhile. `documents` come before the evidence index, `after` (the request to narrow
        the freeze and the declaration) after it."""
        after = after or {}
        sizes = {name: len(pages) for name, pages in [*documents.items(), *after.items()]}
        named = [*documents, "evidence_index", *after]
        exhibit_sizes = [len(cover) + len(pages) for cover, pages in zip(covers, exhibit_pages, strict=True)]
        counts = dict(FIRST_GUESS)
        if guess and set(guess) == set(counts) and all(isinstance(n, int) and n > 0 for n in guess.values()):
            counts = dict(guess)
        # What the first round writes while the draft's process lays out the index (most likely it is the
        # last round): in bundle order, as `write_generated` would write it.
        exhibits = [run for pair in zip(covers, exhibit_pages, strict=True) for run in pair]
        others = [*documents.values(), *after.values(), *exhibits]
        front = FrontMatter(context, index_template, titles, named)
        for _ in range(MAX_ROUNDS):
            laid = self._round(front, work, counts, sizes, exhibit_sizes, draft, others)
            draft = None  # a later round lays out its index here
            if laid.counts == counts:
                break
            counts = laid.counts
        else:  # pragma: no cover - page counts that never settle would need a pathological template
            raise BundleError(
                "the table of contents and the index kept changing length; check their templates"
            )

        starts = laid.starts
        chinese = context.lang == Language.ZH
        parts = [Part("Cover", laid.cover), Part("Table of contents", laid.toc)]
        parts += [Part(titles[name][0], pages) for name, pages in documents.items()]
        parts.append(Part(titles["evidence_index"][0], laid.index))
        parts += [Part(titles[name][0], pages) for name, pages in after.items()]
        positions = {name: 2 + offset for offset, name in enumerate(named)}
        children = []
        for exhibit, cover_pages, pages, kind in zip(
            laid.placed, covers, exhibit_pages, exhibit_kinds, strict=True
        ):
            assert exhibit.first_page is not None
            shown = (
                f"{exhibit.label_zh}：{exhibit.title_zh or exhibit.title}"
                if chinese
                else f"{exhibit.label}: {exhibit.title}"
            )
            children.append(Bookmark(shown, exhibit.first_page - 1))
            parts.append(Part(f"{exhibit.label} cover sheet", cover_pages, exhibit=exhibit))
            parts.append(
                Part(exhibit.label, pages, exhibit=exhibit, evidence=True, make_room=kind == Kind.PDF)
            )
        word = 1 if chinese else 0  # (a Chinese bundle's bookmarks are Chinese; a bilingual one's English)
        bookmarks = [Bookmark(BOOKMARKS[name][word], starts[name] - 1) for name in ("cover", "toc")]
        bookmarks += [Bookmark(titles[name][word], starts[name] - 1) for name in named]
        if laid.placed:
            assert laid.placed[0].first_page is not None
            exhibits_title = BOOKMARKS["exhibits"][word]
            bookmarks.append(Bookmark(exhibits_title, laid.placed[0].first_page - 1, tuple(children)))
        return Plan(parts, bookmarks, laid.placed, positions, counts)

    def _round(
        self,
        front: FrontMatter,
        work: Path,
        counts: dict[str, int],
        sizes: dict[str, int],
        exhibit_sizes: list[int],
        draft: Draft | None = None,
        others: Sequence[PageRun] = (),
    ) -> Round:
        """Place every part as if the cover, the contents and the index were `counts` pages long (the other
        documents `sizes`, each exhibit with its cover sheet `exhibit_sizes`), and lay those three out: the
        index in the `draft`'s process if there is one, while this one lays out the other two and writes
        them with the `others` this build laid out (`_write_fresh`)."""
        scoped, placed, starts = _placed(front, counts, sizes, exhibit_sizes)
        elsewhere = draft.index(counts, sizes, exhibit_sizes) if draft is not None else None
        cover = self.html("bundle_cover", scoped, work)
        toc = self.html("bundle_toc", scoped, work)
        if elsewhere is not None:
            self._write_fresh([cover, toc, *others], work)
        drafted = elsewhere() if elsewhere is not None else None
        # No draft, or it could not: laid out here.
        index = drafted if drafted is not None else self._index(front.index_template, scoped, work)
        laid = {"cover": len(cover), "toc": len(toc), "evidence_index": len(index)}
        return Round(cover, toc, index, placed, starts, laid)

    def first_round(
        self,
        front: FrontMatter,
        work: Path,
        sizes: dict[str, int],
        exhibit_sizes: list[int],
        parts: Sequence[str] = tuple(FIRST_GUESS),
    ) -> dict[str, int]:
        """How long the `parts` (of the cover, the contents and the index) come out laid out from the first
        guess (one page each): the draft's round (`pipeline.draft`), a guess for `settle`."""
        scoped, _, _ = _placed(front, dict(FIRST_GUESS), sizes, exhibit_sizes)
        lay_out = {
            "cover": lambda: self.html("bundle_cover", scoped, work),
            "toc": lambda: self.html("bundle_toc", scoped, work),
            "evidence_index": lambda: self._index(front.index_template, scoped, work),
        }
        return {part: len(lay_out[part]()) for part in parts}

    def written_index(
        self,
        front: FrontMatter,
        folder: Path,
        counts: dict[str, int],
        sizes: dict[str, int],
        exhibit_sizes: list[int],
    ) -> WrittenIndex | None:
        """The evidence index laid out as a round of `settle` with these numbers would lay it out, and
        written in a PDF of its own, kept in the cache (by the draft's process: `pipeline.draft`); None when
        the cache had it laid out already (the build's process finds it there as quickly)."""
        scoped, _, _ = _placed(front, counts, sizes, exhibit_sizes)
        index = self._index(front.index_template, scoped, folder)
        if not isinstance(index, Laid) or index.document is None:
            return None
        path, _ = self._write([index], folder)
        return WrittenIndex(index.key, index.anchors, path)

    def exhibit_covers(self, context: Context, work: Path) -> list[Laid]:
        """Every exhibit's cover sheet, laid out in one document and cut where each exhibit's id stands."""
        if not context.exhibits:
            return []
        laid = self.html("exhibit_cover", context, work)
        starts = []
        for exhibit in context.exhibits:
            anchor = f"exhibit-{exhibit.number}"
            page = next((i for i, names in enumerate(laid.anchors) if anchor in names), None)
            if page is None:
                raise BundleError(f'exhibit_cover.html: no element with id="{anchor}" for {exhibit.label}')
            starts.append(page)
        ends = [*starts[1:], len(laid.anchors)]
        return [
            dataclasses.replace(laid, first=first, count=end - first)
            for first, end in zip(starts, ends, strict=True)
        ]

    def _index(self, template: TemplateFile, context: Context, work: Path) -> AnyPages:
        """The evidence index with page numbers: HTML laid out here, Word through LibreOffice."""
        if template.engine == Engine.HTML:
            return self.html("evidence_index", context, work, template=template)
        rendered = self.templates.render(template, context, work)
        target = work / "evidence_index.pdf"
        convert_office([Job(rendered.path, target, template.path.name)], self.cache, timeout=self.timeout)
        return Pages(open_pdf(target, template.path.name))

    def write_generated(self, parts: list[Part], work: Path) -> list[Part]:
        """Write the documents laid out by this build into PDF (`_write_fresh`) and return the parts with
        real pages. Documents of several passes (an earlier build's, the index's) use one program per font
        (`share_font_programs`)."""
        self._write_fresh([part.pages for part in parts], work)
        resolved: list[Part] = []
        passes: list[PdfReader] = []
        for part in parts:
            pages = part.pages
            if isinstance(pages, Laid):
                if pages.cached is None:
                    reader, offset = self.written[pages.key]
                    pages = dataclasses.replace(pages, cached=reader, offset=offset)
                pages = pages.written()
                if not any(pages.reader is seen for seen in passes):
                    passes.append(pages.reader)
            resolved.append(dataclasses.replace(part, pages=pages))
        if len(passes) > 1:  # documents of several passes: one program per font still
            share_font_programs(passes, functools.partial(self._cut_program, work))
        return resolved

    def _cut_program(self, work: Path, origin: tuple[Any, ...], glyphs: list[int]) -> bytes | None:
        """`cut_program`, or the program an earlier build cut of the same font with the same glyphs: each
        rebuild after an edit would cut it again (the passes of the clean build draw different glyphs)."""
        key = self.cache.key("font program", repr(origin), " ".join(map(str, glyphs)))
        entry = self.cache.get(key, counted=False)
        if entry is not None:
            return entry.file.read_bytes()
        program = cut_program(origin, glyphs, self.fetcher.served)  # fonts loaded by @font-face among them
        if program is not None and self.cache.enabled:
            made = work / f"font-{key[:16]}.otf"
            made.write_bytes(program)
            self.cache.put(key, made)
        return program

    def _write_fresh(self, runs: Sequence[PageRun], work: Path) -> None:
        """Write the documents among `runs` that this build laid out and has not written yet together (each
        font subset once), keep each one's pages in the cache, and note where they are (`written`)."""
        fresh: dict[str, Laid] = {}
        for pages in runs:
            if isinstance(pages, Laid) and pages.document is not None and pages.key not in self.written:
                fresh.setdefault(pages.key, pages)
        if fresh:
            path, offsets = self._write(list(fresh.values()), work)
            reader = open_pdf(path, "the bundle's generated pages")
            self.written.update((key, (reader, offset)) for key, offset in offsets.items())

    def _write(self, documents: list[Laid], folder: Path) -> tuple[Path, dict[str, int]]:
        """Write the documents laid out by this build together into a PDF in `folder`, keep it in the
        cache, and record where each document's pages are in it; return the PDF kept and those places."""
        whole = [laid.document for laid in documents if laid.document is not None]
        combined = whole[0].copy([page for document in whole for page in document.pages])
        pass_key = self.cache.key("generated", *(laid.key for laid in documents))
        target = folder / f"generated-{pass_key[:16]}.pdf"
        write_pdf(combined, target, name="the bundle's generated pages", timeout=self.timeout)
        stored = self.cache.put(pass_key, target).file
        offsets, first = {}, 0
        for laid in documents:
            offsets[laid.key] = first
            self.cache.record(
                laid.key,
                {
                    "pass": pass_key,
                    "first": first,
                    "anchors": [sorted(names) for names in laid.anchors],
                    "files": file_hashes(list(laid.files)),
                },
            )
            first += len(laid.anchors)
        return stored, offsets


def _placed(
    front: FrontMatter, counts: dict[str, int], sizes: dict[str, int], exhibit_sizes: list[int]
) -> tuple[Context, list[Exhibit], dict[str, int]]:
    """Every part placed as if the cover, the contents and the index were `counts` pages long (the other
    documents `sizes`, each exhibit with its cover sheet `exhibit_sizes`): the context the three are laid
    out with, the exhibits with their first and last pages, the first page of each document."""
    context, titles, named = front.context, front.titles, front.named
    every = {**counts, **sizes}
    starts, page = {}, 1
    for name in ["cover", "toc", *named]:
        starts[name] = page
        page += every[name]
    placed = []
    for exhibit, size in zip(context.exhibits, exhibit_sizes, strict=True):
        placed.append(dataclasses.replace(exhibit, first_page=page, last_page=page + size - 1))
        page += size
    entries = [Entry(*titles[name], starts[name], starts[name] + every[name] - 1) for name in named]
    scoped = dataclasses.replace(context, exhibits=placed).with_variables(
        {"parts": entries, "total_pages": page - 1}
    )
    return scoped, placed, starts


def page_sizes(parts: list[Part]) -> list[tuple[float, float]]:
    """The size of every bundle page as the reader sees it (a page's /Rotate applied), in points."""
    sizes: list[tuple[float, float]] = []
    for part in parts:
        if isinstance(part.pages, Laid):
            sizes += part.pages.sizes()
            continue
        sizes += [_size(page) for page in written(part)]
    return sizes


def _size(page: PageObject) -> tuple[float, float]:
    width, height = float(page.mediabox.width), float(page.mediabox.height)
    return (height, width) if page.rotation % 180 else (width, height)
