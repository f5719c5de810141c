"""Build one case: load -> check -> render -> convert -> prepare exhibits -> lay out -> assemble -> write.

`build()` reads as the sequence of stages; each stage lives in its own module.
"""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
import json
import logging
import os
import re
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from pipeline import __version__, outputs
from pipeline.bundle import (
    Metadata,
    Pages,
    Part,
    assemble,
    open_pdf,
    page_has_text,
    read_ahead,
    write_pages,
    written,
)
from pipeline.cache import FOLDER as CACHE_FOLDER
from pipeline.cache import Cache, converting_office
from pipeline.context import Context, Exhibit, make_exhibits, sha256_of
from pipeline.convert import Job, LocalFilesOnly, check_cjk_font
from pipeline.doubts import doubts
from pipeline.draft import drafting
from pipeline.errors import BundleError, EvidenceError
from pipeline.evidence import repeated, resolve_evidence, unlisted
from pipeline.exhibits import (
    Kind,
    classify,
    describe,
    font_warnings,
    prepare_image,
    prepare_pdf,
    read_text_exhibit,
)
from pipeline.layout import AnyPages, Layout, page_sizes
from pipeline.limits import DEFAULT_TIMEOUT, raise_if_stopped
from pipeline.load import CASE_FILE, Case, display_path, load_case
from pipeline.model import CaseFile, Destination, Language
from pipeline.ocr import check_ocr_installed
from pipeline.office_copy import printable_copy
from pipeline.outputs import MANIFEST, check_output_folder, locked, publish, staging
from pipeline.profiles import (
    Checked,
    Profile,
    Rule,
    as_sent_to,
    check,
    mostly_chinese,
    paper_warning,
    profile_for,
    relabelled,
    translation_warning,
)
from pipeline.redaction import masked_data, scan_data, scan_pages
from pipeline.render import (
    DOCUMENTS,
    TEXT_DOCUMENTS,
    Engine,
    Templates,
    default_templates_folder,
    documents_of,
    for_its_readers,
    not_a_template,
    outside,
)
from pipeline.sales import accused_sales, export_path
from pipeline.stamps import HEADER_BAND, Stamp, crowded
from pipeline.start import refuse_placeholders

log = logging.getLogger(__name__)

BUNDLE = "bundle.pdf"
EXHIBITS = "exhibits"
"""The folder of the court profile's exhibit files, beside the bundle."""
EMAIL_TEMPLATES = re.compile(r"^(default-)?templates/email\.(txt|html)$")
"""Inputs a bundle does not depend on: editing the email never makes the bundle out of date."""

TITLES = {
    "appeal_letter": ("Appeal letter", "申诉函"),
    "cs_inquiry": ("Request for case details", "案件信息查询函"),  # (its heading: it may go to counsel)
    "evidence_index": ("Evidence index", "证据目录"),
    "narrowing_request": ("Request to narrow the asset freeze", "缩小资产冻结范围的请求"),
    "declaration": ("Declaration under 28 U.S.C. § 1746", "声明书（28 U.S.C. § 1746）"),
}
CACHED_NAME = "\x00exhibit\x00"
"""Stands for the exhibit's name in warnings kept in the cache: the same file may be another exhibit next
time."""
MANY_SCANS = 10
"""Past this many exhibits with pages without text, one warning names them together."""
YOUNG_OBJECTS, GENERATIONS = 50_000, (20, 20)
"""The garbage collector's thresholds during a build (Python's defaults: 700, 10, 10)."""
PAGE_DEPENDENT = ("evidence_index",)
"""Documents that print bundle page numbers, so they are laid out again until the numbers settle."""


DEFAULT_OUTPUT = Path("output")
"""Where the cases' outputs go unless `-o` says otherwise: `output/<case>/`."""


@dataclass(frozen=True)
class BuildOptions:
    """How to build: where to write, in which language, how long converters may run."""

    output_root: Path = DEFAULT_OUTPUT
    language: Language | None = None
    """Overrides `language:` of case.yaml when set."""
    timeout: float = DEFAULT_TIMEOUT
    cache: bool = True
    """Reuse parts of earlier builds kept in `output_root/.cache/` (`--no-cache` turns it off)."""
    destination: Destination | None = None
    """Check this destination's rules (docs/destinations.md); overrides `bundle.destination`."""
    ocr: bool = False
    """Add a text layer to exhibit pages without text (always done for a court)."""
    compress: bool = False
    """Downsample images when the bundle is over the platform's or e-mail's cap."""
    redact: bool = False
    """Mask full account, card, ID numbers and birth dates in the generated documents."""
    draft: bool = True
    """Draft the contents' and the index's lengths on another core (`pipeline.draft`); off in a batch
    of several workers, which keeps every core busy already."""
    guess: tuple[tuple[str, int], ...] = ()
    """Lengths of the cover, the contents and the index to lay them out with first when no draft runs and
    the cache has none for this case: those another case settled on (a batch worker's last case: cases
    built from the same templates mostly settle alike). Only a guess: a wrong one costs a round."""


@dataclass(frozen=True)
class BuildResult:
    """What a build wrote, and what it warned about."""

    case: Case
    output: Path
    bundle: Path
    files: list[Path] = field(default_factory=list)
    exhibits: list[Exhibit] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    reused: int = 0
    """Parts taken from the cache (documents laid out, files converted, exhibits prepared)."""
    made: int = 0
    """Parts made afresh (and kept in the cache for next time)."""
    rules: list[Rule] = field(default_factory=list)
    """The destination's rules, each held (a build with a rule broken raises instead)."""
    pages: int = 0
    """How many pages the bundle has."""
    counts: dict[str, int] = field(default_factory=dict)
    """How many pages the cover, the table of contents and the index settled on."""


def build(case_folder: Path, options: BuildOptions | None = None) -> BuildResult:
    """Build the case in `case_folder` into `options.output_root/<case folder name>/`."""
    outputs.publishing = False
    with fewer_collections():
        return _build(case_folder, options or BuildOptions())


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Run the cyclic garbage collector less often while a build runs.

    A build makes millions of short-lived objects (WeasyPrint's boxes, pypdf's objects); with Python's
    default threshold the collector runs every 700 new objects and, as the heap grows, walks it again and
    again: a fifth of the time of a 2,000-page build. Collecting every 50,000 objects costs a few percent
    more memory (docs/performance.md).
    """
    before = gc.get_threshold()
    gc.set_threshold(YOUNG_OBJECTS, *GENERATIONS)
    try:
        yield
    finally:
        gc.set_threshold(*before)


def _build(case_folder: Path, options: BuildOptions) -> BuildResult:
    # 1. Load and check everything (case.yaml, evidence paths and kinds, the sales export, fonts) before any
    # work is done.
    case = load_case(case_folder, options.language)
    if case.name == CACHE_FOLDER:  # its outputs would go among the cache's entries, and be pruned with them
        raise BundleError(
            f"{case.folder}: a case folder cannot be named {CACHE_FOLDER}, the folder where builds keep "
            "their cache beside the cases' outputs; rename it"
        )
    refuse_placeholders(case)  # (`init` wrote them; `check` names them too)
    destination = options.destination or case.data.bundle.destination
    profile = profile_for(destination, case.data) if destination else None
    relabelling = relabelled(destination, case)
    case = as_sent_to(destination, case)  # (a court's exhibits are numbered)
    ocr = options.ocr or (profile is not None and profile.court)
    if ocr:
        check_ocr_installed()
    evidence = resolve_evidence(case)
    output = options.output_root / case.name
    check_output_folder(output, case.folder)
    check_cjk_font()
    created = _build_time(case)
    data = masked_data(case.data) if options.redact else case.data  # what the documents show
    exhibits = make_exhibits(data, case.folder, evidence)
    refused: list[tuple[int, EvidenceError]] = []  # what is wrong with the evidence: all said at once
    classes = [_classified(exhibit, path, refused) for exhibit, path in zip(exhibits, evidence, strict=True)]
    sales, warnings = accused_sales(case, exhibits)
    warnings = relabelling + unlisted(case) + repeated(case, exhibits) + warnings
    warnings += doubts(case.in_language(options.language), created.date())  # (dates out of order, ...)
    document_names = documents_of(case.data)
    cache = Cache(options.output_root / CACHE_FOLDER if options.cache else None)
    templates = Templates(case.templates_folder, timeout=options.timeout, cache=cache)
    layout = Layout(templates, LocalFilesOnly([case.folder, *templates.folders]), options.timeout, cache)
    language = options.language or case.data.language
    context = Context(data, exhibits, created.date(), language, sales=sales)

    # The draft's child process (`pipeline.draft`) lives until the page numbers are settled.
    with locked(output), staging(output) as staged, ExitStack() as draft_scope:
        work = staged / ".work"
        work.mkdir()
        # 2. Merge the data into the Word templates first, so LibreOffice can start on them; the others are
        # merged while it runs. The evidence index waits for page numbers.
        found = {name: templates.find(name) for name in document_names}
        merged = [name for name in found if name not in PAGE_DEPENDENT]
        word = {
            name: templates.render(found[name], for_its_readers(name, context), work)
            for name in merged
            if found[name].engine == Engine.DOCX
        }

        # 3. One LibreOffice run turns every Word document and every office exhibit into PDF; it runs while
        # the other templates are merged and the other exhibits, the HTML documents and the exhibits' cover
        # sheets are made.
        exhibit_pdfs = [work / f"exhibit-{exhibit.number}.pdf" for exhibit in exhibits]
        jobs = [Job(item.path, work / f"{name}.pdf", item.template.path.name) for name, item in word.items()]
        for exhibit, path, kind, pdf in zip(exhibits, evidence, classes, exhibit_pdfs, strict=True):
            if kind == Kind.OFFICE:
                try:
                    copy, notes = printable_copy(
                        exhibit, path, work / f"exhibit-{exhibit.number}{path.suffix.lower()}"
                    )
                except EvidenceError as error:
                    refused.append((exhibit.number, error))
                    continue
                jobs.append(Job(copy, pdf, describe(exhibit)))
                warnings += notes
        settled = f"settled page counts of {case.folder.resolve()}"
        with converting_office(jobs, cache, timeout=options.timeout) as converted:
            rendered = {
                name: word[name]
                if name in word
                else templates.render(found[name], for_its_readers(name, context), work)
                for name in merged
            }
            for name in TEXT_DOCUMENTS:
                templates.render(templates.find(name, (Engine.TEXT,)), for_its_readers(name, context), staged)
            # 4. Every other exhibit becomes PDF pages: PDFs cleaned, images placed, text laid out.
            made: list[AnyPages | None] = []
            for exhibit, path, kind, pdf in zip(exhibits, evidence, classes, exhibit_pdfs, strict=True):
                try:
                    if kind == Kind.PDF:  # read once: most PDFs need no change, and are used as they are
                        reader, notes = prepare_pdf(exhibit, path, pdf)
                        made.append(Pages(reader))
                        warnings += notes
                    elif kind == Kind.IMAGE:
                        pdf, notes = _prepare_image(exhibit, path, pdf, cache)
                        made.append(Pages(open_pdf(pdf, describe(exhibit))))
                        warnings += notes
                    elif kind == Kind.TEXT:
                        variables = {"exhibit": exhibit, "text_exhibit": read_text_exhibit(exhibit, path)}
                        made.append(layout.html("text_exhibit", context, work, variables))
                    else:
                        made.append(None)  # converted by LibreOffice (or of no kind taken: refused below)
                except EvidenceError as error:
                    refused.append((exhibit.number, error))
                    made.append(None)
            errors = [error for _, error in sorted(refused, key=lambda pair: pair[0])]
            if len(errors) == 1:
                raise errors[0]
            if errors:  # (the first's causes kept: a full disk is told as such)
                raise EvidenceError("\n".join(map(str, errors))) from errors[0]
            kinds = [kind for kind in classes if kind is not None]  # (every exhibit's, by now)
            # The cover, the contents and the index are laid out once on the other core meanwhile, for
            # their lengths (unless an earlier build left them): the first round of settling, off this core.
            # It starts before the HTML documents are laid out, so their lengths are estimates there.
            estimated = [1 + (len(pages) if pages is not None else 1) for pages in made]
            after = [name for name in rendered if name not in DOCUMENTS]
            hint = cache.hint(settled)
            draft = (
                None
                if hint or not options.draft
                else draft_scope.enter_context(
                    drafting(
                        layout,
                        context,
                        work,
                        found["evidence_index"],
                        TITLES,
                        dict.fromkeys(rendered, 1),
                        after,
                        estimated,
                    )
                )
            )
            if draft is not None:  # while this process waits for it, it reads what the assembly will copy
                draft.meanwhile(read_ahead(pages for pages in made if isinstance(pages, Pages)))
            laid = {
                name: layout.html(name, for_its_readers(name, context), work, template=item.template)
                for name, item in rendered.items()
                if item.template.engine == Engine.HTML
            }
            covers = layout.exhibit_covers(context, work)
            converted()
            guess = draft.lengths() if draft is not None else hint or dict(options.guess) or None
        raise_if_stopped()  # (a stop Python discarded: here, the build stops at its next step)
        exhibit_pages: list[AnyPages] = [
            pages if pages is not None else Pages(open_pdf(pdf, describe(exhibit)))
            for exhibit, pages, pdf in zip(exhibits, made, exhibit_pdfs, strict=True)
        ]
        if ocr:  # a searchable text layer on pages that have none (cached: OCR is slow)
            exhibit_pages = [
                _ocr(exhibit, kind, pages, cache, work, options.timeout, warnings)
                for exhibit, kind, pages in zip(exhibits, kinds, exhibit_pages, strict=True)
            ]
        documents: dict[str, AnyPages] = {
            name: laid[name] if name in laid else Pages(open_pdf(work / f"{name}.pdf", name))
            for name in rendered
        }

        # 5. Lay out the cover, the table of contents and the index until their page numbers settle; the
        # request to narrow the freeze and the declaration come after the index.
        plan = layout.settle(
            context,
            work,
            {name: pages for name, pages in documents.items() if name in DOCUMENTS},
            found["evidence_index"],
            exhibit_pages,
            covers,
            kinds,
            TITLES,
            guess,
            after={name: pages for name, pages in documents.items() if name not in DOCUMENTS},
            draft=draft,
        )
        draft_scope.close()
        cache.note(settled, plan.counts)
        raise_if_stopped()

        # 6. Stamp and assemble the bundle; the generated pages share one font subset per font.
        top = HEADER_BAND if profile is not None and profile.court else 0.0  # (CM/ECF's header goes there)
        for name in word:  # a Word template's own page set-up may put text where the stamps go
            converted_pages = documents[name]
            if word[name].template.path.parent == templates.folders[-1]:
                continue  # (the shipped templates keep both bands clear: 1 inch margins, no header or footer)
            if isinstance(converted_pages, Pages) and any(crowded(page, top) for page in converted_pages):
                index = plan.documents[name]
                plan.parts[index] = replace(plan.parts[index], make_room=True)
                warnings.append(_crowded_warning(word[name].template.path, top))
            if profile is not None and profile.court and isinstance(converted_pages, Pages):
                sizes = {
                    (float(page.mediabox.width), float(page.mediabox.height)) for page in converted_pages
                }
                warnings += paper_warning(word[name].template.path, sizes)
        stamps = _stamps(plan.parts, page_sizes(plan.parts), case.data.bundle.bates_prefix)
        parts = layout.write_generated(plan.parts, work)
        # The hashes taken as the build read the files (those the index prints): a 2,000-page case is not
        # read a second time for them.
        inputs = input_hashes(case, [exhibit.sha256 for exhibit in exhibits], sales.sha256)
        metadata = _metadata(case, created, inputs, context.lang)
        assemble(parts, stamps, staged / BUNDLE, metadata, plan.bookmarks, top=top)
        blank = _pages_without_text(parts)
        warnings += _scan_warnings(parts, blank)
        for part in parts:  # (read whole by now: asked before, it cost a 2,000-page case 0.25 s more)
            if part.evidence and part.exhibit:
                warnings += font_warnings(written(part), describe(part.exhibit))
        for name in document_names:
            write_pages(written(parts[plan.documents[name]]), staged / f"{name}.pdf")
            if found[name].engine == Engine.DOCX:
                (staged / f"{name}.docx").write_bytes((work / f"{name}.docx").read_bytes())
        checked = None
        if profile is not None:  # the destination's rules (the documents' sizes too), before anything moves
            checked = _check_destination(profile, case, parts, blank, plan.exhibits, kinds, staged, options)
            warnings += checked.warnings

        # 7. Record what went in and what came out, then move everything into place.
        names = [path.name for path in staged.iterdir() if path.is_file()]
        names += [f"{EXHIBITS}/{file.name}" for file in checked.files] if checked else []
        shown_as: dict[str, object] = {  # what changes the pages besides the input files
            "date": created.isoformat(),
            "language": context.lang,
            "destination": destination,
            "ocr": ocr,
            "redact": options.redact,
            "compress": options.compress,
        }
        _write_manifest(
            staged, case, inputs, content_key(inputs, shown_as), names, created, context.lang, plan.exhibits
        )
        files = publish(staged, output, [*names, MANIFEST])
    cache.prune()
    for warning in warnings:
        log.warning("%s", warning)
    rules = checked.rules if checked else []
    pages = sum(len(part.pages) for part in parts)
    return BuildResult(
        case,
        output,
        output / BUNDLE,
        files,
        plan.exhibits,
        warnings,
        cache.hits,
        cache.misses,
        rules,
        pages,
        plan.counts,
    )


def _ocr(
    exhibit: Exhibit,
    kind: Kind,
    pages: AnyPages,
    cache: Cache,
    work: Path,
    timeout: float,
    warnings: list[str],
) -> AnyPages:
    """The exhibit's pages with a text layer on those that had none (or were a scan beside a line of text),
    from the cache when it was done before (the key is the evidence file's hash: the same file gives the
    same pages)."""
    from pipeline.ocr import add_text_layer, pages_to_read

    if kind == Kind.TEXT or not isinstance(pages, Pages) or not pages_to_read(list(pages)):
        return pages
    name = describe(exhibit)
    key = cache.key("ocr", kind.value, exhibit.sha256)
    entry = cache.get(key)
    if entry is None:
        source, target = (
            work / f"exhibit-{exhibit.number}-scan.pdf",
            work / f"exhibit-{exhibit.number}-ocr.pdf",
        )
        write_pages(pages, source)
        done = add_text_layer(source, target, name=name, timeout=timeout)
        entry = cache.put(key, target, {"pages": done})
    done = entry.meta.get("pages", [])
    if done:
        shown = ", ".join(map(str, done))
        warnings.append(f"{name}: OCR added searchable text to page{'s' if len(done) > 1 else ''} {shown}")
    return Pages(open_pdf(entry.file, name))


def _check_destination(
    profile: Profile,
    case: Case,
    parts: list[Part],
    blank: dict[int, list[int]],
    exhibits: list[Exhibit],
    kinds: list[Kind],
    staged: Path,
    options: BuildOptions,
) -> Checked:
    """Check the destination's rules on the staged bundle; raise BundleError naming each rule broken."""
    kind_of = {exhibit.number: kind for exhibit, kind in zip(exhibits, kinds, strict=True)}
    unsearchable, pictures, chinese, findings = (
        [],
        [],
        [],
        # (with --redact, what masking leaves: the evidence files' names, which the cover sheets print)
        [
            found.message
            for found in scan_data(masked_data(case.data) if options.redact else case.data, where=case.at)
        ],
    )
    for part in parts:
        if not (part.evidence and part.exhibit):
            continue
        empty = blank.get(part.exhibit.number, [])
        if empty and kind_of[part.exhibit.number] == Kind.IMAGE:  # a photo may have no words at all
            pictures.append(describe(part.exhibit))
        elif empty:
            shown = ", ".join(map(str, empty))
            unsearchable.append(f"{describe(part.exhibit)}: page{'s' if len(empty) > 1 else ''} {shown}")
        texts = [page.extract_text() or "" for page in written(part)]
        findings += [found.message for found in scan_pages(texts, describe(part.exhibit))]
        if profile.court and mostly_chinese(texts):
            chinese.append(describe(part.exhibit))
    spans = [
        (exhibit.key, exhibit.title, exhibit.first_page or 0, exhibit.last_page or 0) for exhibit in exhibits
    ]
    checked = check(
        profile,
        staged / BUNDLE,
        spans,
        unsearchable,
        findings,
        compress=options.compress,
        exhibits_folder=staged / EXHIBITS,
        pictures=pictures,
    )
    checked.warnings.extend(translation_warning(chinese))
    if checked.failed:
        rules = "\n".join(f"  {rule}" for rule in checked.failed)
        raise BundleError(
            f"the bundle breaks the rules of the {profile.destination.value} profile, so nothing was "
            f"written:\n{rules}"
        )
    return checked


def _classified(exhibit: Exhibit, path: Path, refused: list[tuple[int, EvidenceError]]) -> Kind | None:
    """The exhibit's kind (`classify`); None, and the error noted in `refused`, for a file of no kind a
    bundle takes (the build reads the others, to say what is wrong with every file at once)."""
    try:
        return classify(exhibit, path)
    except EvidenceError as error:
        refused.append((exhibit.number, error))
        return None


def _prepare_image(exhibit: Exhibit, source: Path, target: Path, cache: Cache) -> tuple[Path, list[str]]:
    """An image exhibit put on pages, or taken so from the cache, and its warnings."""
    name = describe(exhibit)
    key = cache.key("image", exhibit.sha256)
    entry = cache.get(key)
    if entry is not None:  # the warnings were kept with the exhibit's name left out
        return entry.file, [note.replace(CACHED_NAME, name) for note in entry.meta.get("warnings", [])]
    warnings = prepare_image(exhibit, source, target)
    stored = cache.put(key, target, {"warnings": [note.replace(name, CACHED_NAME) for note in warnings]})
    return stored.file, warnings


def _stamps(parts: list[Part], sizes: list[tuple[float, float]], bates_prefix: str) -> list[Stamp]:
    """The stamp of every bundle page: running number, Bates number, and `Exhibit k, page i of n`."""
    total = len(sizes)
    stamps = []
    number = 0
    for part in parts:
        count = len(part.pages)
        for index in range(count):
            width, height = sizes[number]
            number += 1
            stamps.append(
                Stamp(
                    width=width,
                    height=height,
                    running=f"Page {number} of {total}",
                    exhibit=f"{part.exhibit.label}, page {index + 1} of {count}"
                    if part.evidence and part.exhibit
                    else "",
                    bates=f"{bates_prefix}{number:06d}" if bates_prefix else "",
                )
            )
    return stamps


def _crowded_warning(template: Path, top: float) -> str:
    """The warning for a Word document whose text ran into the stamps' band (or a court's header band)."""
    bands = "the bottom half inch, where the bundle's stamps go" + (
        ", or the top half inch, where the court's filing system prints its header" if top else ""
    )
    return (
        f"{display_path(template)}: its text runs into {bands}; its pages were shrunk in the bundle to "
        "make room. Give the template margins of at least 1 inch, and its header and footer at least "
        "0.6 inch from the edge (Word: Layout > Margins; WPS: 页面布局 > 页边距)"
    )


def _pages_without_text(parts: list[Part]) -> dict[int, list[int]]:
    """The pages (1-based) of each exhibit, by its number, that show no text: scans and pictures."""
    blank = {}
    for part in parts:
        if part.evidence and part.exhibit:
            pages = [index + 1 for index, page in enumerate(written(part)) if not page_has_text(page)]
            if pages:
                blank[part.exhibit.number] = pages
    return blank


def _scan_warnings(parts: list[Part], pages_without_text: dict[int, list[int]]) -> list[str]:
    """One warning per exhibit whose pages have no text (scans, photos): courts may want OCR. Past
    `MANY_SCANS` such exhibits (a case of scanned invoices), one warning for them all."""
    scans = []
    for part in parts:
        if not (part.evidence and part.exhibit) or not pages_without_text.get(part.exhibit.number):
            continue
        scans.append((part.exhibit, pages_without_text[part.exhibit.number], len(part.pages)))
    if len(scans) > MANY_SCANS:
        named = ", ".join(exhibit.label for exhibit, _, _ in scans[:MANY_SCANS])
        blank, total = sum(len(pages) for _, pages, _ in scans), sum(count for _, _, count in scans)
        return [
            f"{len(scans)} exhibits have pages without searchable text (scans or pictures), {blank:,} of "
            f"their {total:,} pages: {named} and {len(scans) - MANY_SCANS} more; --ocr adds a text layer"
        ]
    warnings = []
    for exhibit, numbers, count in scans:
        blank_pages = [str(number) for number in numbers]
        shown = ", ".join(blank_pages[:19]) + (
            f" and {len(blank_pages) - 19} more" if len(blank_pages) > 19 else ""
        )
        which = f"pages {shown} have" if len(blank_pages) > 1 else f"page {shown} has"
        warnings.append(
            f"{describe(exhibit)}: {which} no searchable text (a scan or a picture); "
            f"the exhibit has {count} page{'s' if count > 1 else ''}"
        )
    return warnings


def _build_time(case: Case) -> dt.datetime:
    """The time printed and recorded: SOURCE_DATE_EPOCH when set (reproducible builds), else the letter
    date from case.yaml, else today where the user is (a seller in Beijing building at 7 a.m. dated the
    documents the day before, the sworn declaration's "Executed on" too); always at midnight UTC so two
    builds on one day give the same bytes."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC)
    day = case.data.letter_date or dt.date.today()
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


def _metadata(case: Case, created: dt.datetime, inputs: dict[str, str], language: Language) -> Metadata:
    data = case.data
    identity = json.dumps([__version__, language.value, created.isoformat(), sorted(inputs.items())])
    return Metadata(
        title=f"{data.case.number} – appeal of {data.merchant.name_en}",
        author=data.merchant.name_en,
        subject=f"Case {data.case.number}, {data.case.plaintiff} v. Schedule A defendants",
        keywords=", ".join(
            filter(
                None, [data.case.number, data.merchant.store_name, data.merchant.platform.value, "Schedule A"]
            )
        ),
        created=created,
        file_id=hashlib.sha256(identity.encode()).digest()[:16],
    )


def input_hashes(case: Case, evidence: list[str], export: str) -> dict[str, str]:
    """SHA-256 of everything a build reads: case.yaml, the evidence files and the sales export (their
    hashes given: `evidence` in case.yaml's order, `export` or "" for none), and every template file (the
    case's own as `templates/<name>`, the defaults as `default-templates/<name>`) but what editors and file
    browsers leave there (`not_a_template`). A bundle whose manifest records other hashes is out of date.
    case.yaml's is `data_digest`: what it says, not how it is written."""
    inputs = {CASE_FILE: data_digest(case.data)}
    inputs |= {entry.file: digest for entry, digest in zip(case.data.evidence, evidence, strict=True)}
    if case.data.sales.file:
        inputs[case.data.sales.file] = export
    for label, folder in (
        ("templates", case.templates_folder),
        ("default-templates", default_templates_folder()),
    ):
        if folder.is_dir():
            for path in sorted(folder.iterdir()):
                # (a link out of the folder is refused if a template uses it, and not read otherwise)
                if path.is_file() and not not_a_template(path.name) and outside(path, folder) is None:
                    inputs[f"{label}/{path.name}"] = sha256_of(path)
    return inputs


def data_digest(data: CaseFile) -> str:
    """SHA-256 of what case.yaml says that the bundle shows: its data as read, so comments, blank lines and
    quoting do not count, without `send:` (the recipients, the size limit: only `send` reads them). Editing
    those leaves the bundle up to date, and counsel cannot receive the same pages twice through them."""
    return hashlib.sha256(data.model_dump_json(exclude={"send"}).encode()).hexdigest()


def current_input_hashes(case: Case) -> dict[str, str]:
    """`input_hashes` of the files as they are now."""
    export = export_path(case)
    evidence = [sha256_of(path) for path in resolve_evidence(case)]
    return input_hashes(case, evidence, sha256_of(export) if export is not None else "")


def content_key(inputs: dict[str, str], options: Mapping[str, object]) -> str:
    """SHA-256 of what a bundle's pages are made from: this version of the tool, the `inputs` but the email
    templates, and the `options` that change the pages (the date printed among them). Two builds with the
    same key show the same pages, even where their bytes differ (a batch's build and a single one, or one
    that reused the cache): `send` takes such bundles for one."""
    made_from = {key: digest for key, digest in inputs.items() if not EMAIL_TEMPLATES.match(key)}
    shown = {name: str(value) for name, value in options.items()}
    key = {"version": __version__, "inputs": made_from, "options": shown}
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()


def _write_manifest(
    staged: Path,
    case: Case,
    inputs: dict[str, str],
    content: str,
    names: list[str],
    created: dt.datetime,
    language: Language,
    exhibits: list[Exhibit],
) -> None:
    manifest = {
        "tool": "build-appeal",
        "version": __version__,
        "built": created.isoformat(),
        "case": case.data.case.number,
        "language": language.value,
        "inputs": inputs,
        "content": content,
        "outputs": {name: sha256_of(staged / name) for name in sorted(names)},
        "exhibits": [
            {
                "label": exhibit.label,
                "file": exhibit.file,
                "sha256": exhibit.sha256,
                "first_page": exhibit.first_page,
                "last_page": exhibit.last_page,
            }
            for exhibit in exhibits
        ],
    }
    (staged / MANIFEST).write_text(
        json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
