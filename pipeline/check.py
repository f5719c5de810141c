"""Check a case without building it: `build-appeal check CASE_DIR ...`.

Runs every check a build runs before it writes anything, in a second or two a case (most of it reading the
evidence), and reports every problem found, not only the first: case.yaml against the model, `init`
placeholders left, evidence files (there, inside the case folder, of a kind the build takes; each PDF
opened as the build opens it, so one protected by a password or damaged beyond repair is an error, and one
the build repairs a warning; each image read, so one of more pixels than the build opens, or damaged, is an
error; each office file's copy for LibreOffice made, so one that cannot be checked is an error), the sales
export, every template the build renders, rendered with the case's data as the build renders it (a syntax
error, an unknown variable, a missing include or an expression that fails names the template and line, or
the paragraph of a Word template), the fonts, the destination's rules that can be told before building (OCR
installed for a court, the evidence's size against the cap) and the redaction check of case.yaml and the
evidence's text.

Nothing is laid out or converted, and nothing is written beside the case: the templates are rendered, and
the PDFs that need it copied, into a temporary folder that is removed. The bundle's cover, its table of
contents and the evidence index print page numbers a build knows only after layout; a check renders them
with placeholder numbers (each document one page, each exhibit its cover sheet and one page) and each
document's name for its title.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from pipeline.context import Context, Entry, Exhibit, make_exhibits, unread_exhibits
from pipeline.doubts import doubts
from pipeline.errors import BuildAppealError, CaseDataError, EvidenceError, TemplateError
from pipeline.load import Case, display_path, load_case
from pipeline.model import Destination, Language
from pipeline.render import TEXT_DOCUMENTS, Engine, Templates, documents_of, for_its_readers

if TYPE_CHECKING:
    from pipeline.exhibits import Kind, TextExhibit
    from pipeline.sales import AccusedSales

MB = 1_000_000
T = TypeVar("T")


@dataclass
class Report:
    """What checking one case found."""

    case: str
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.errors

    def add(self, error: BuildAppealError) -> None:
        """The error's problems, each one error: case.yaml's are listed one a line (`CaseDataError`), as
        are the evidence entries' (counted one each: "2 errors", not "1 error" above two lines)."""
        if isinstance(error, CaseDataError):
            self.errors += error.problems
        elif isinstance(error, EvidenceError) and all(".yaml:" in line for line in str(error).splitlines()):
            self.errors += str(error).splitlines()
        else:
            self.errors.append(str(error))


@dataclass
class Evidence:
    """What the evidence check read, for the templates: the exhibits, and the text exhibits' contents by
    exhibit number (`text_exhibit.html` lays them out)."""

    exhibits: list[Exhibit]
    texts: dict[int, TextExhibit] = field(default_factory=dict)


def check_case(
    folder: Path, destination: Destination | None = None, language: Language | None = None
) -> Report:
    """Every check of the case in `folder`; `destination` overrides case.yaml's `bundle.destination`, and
    `language` its `language` (as `--lang` does the build's)."""
    started = time.monotonic()
    report = Report(display_path(folder))
    try:
        case = load_case(folder, language).in_language(language)
    except BuildAppealError as error:  # nothing else can be checked without the data
        report.add(error)  # (with the `init` placeholders left, when case.yaml does not validate)
        report.seconds = time.monotonic() - started
        return report
    destination = destination or case.data.bundle.destination
    report.warnings += _relabelled(destination, case)
    if destination == Destination.COURT:
        report.warnings += _paper(case)
    case = _as_sent_to(destination, case)
    _reported(report, _placeholders, case, report)
    report.warnings += doubts(case, case.data.letter_date or dt.date.today())
    evidence = _reported(report, _evidence, case, destination, report)
    evidence = evidence or Evidence(unread_exhibits(case.data))  # (the templates are rendered all the same)
    sales = _reported(report, _sales, case, evidence, report)
    _reported(report, _templates, case, evidence, sales, report)
    _reported(report, _environment, destination)
    report.seconds = time.monotonic() - started
    return report


def _as_sent_to(destination: Destination | None, case: Case) -> Case:
    from pipeline.profiles import as_sent_to  # (pypdf: only when a destination is named)

    return as_sent_to(destination, case) if destination else case


def _relabelled(destination: Destination | None, case: Case) -> list[str]:
    from pipeline.profiles import relabelled  # (pypdf: only when a destination is named)

    return relabelled(destination, case) if destination else []


def _paper(case: Case) -> list[str]:
    """A court's Letter paper, for the case's own Word templates of its documents (as the build warns)."""
    import docx

    from pipeline.profiles import paper_warning

    warnings = []
    for name in documents_of(case.data):
        path = case.templates_folder / f"{name}.docx"
        if not path.is_file():
            continue
        try:
            sections = docx.Document(str(path)).sections
        except Exception:  # (a template docxtpl cannot read: the check of the templates says so)
            continue
        sizes = {
            (section.page_width / 12700, section.page_height / 12700)  # EMU, in points
            for section in sections
            if section.page_width and section.page_height
        }
        warnings += paper_warning(path, sizes)
    return warnings


def _reported(report: Report, check: Callable[..., T], *args: Any) -> T | None:
    """`check(*args)`, its error added to the report (and None returned) if it raises one."""
    try:
        return check(*args)
    except BuildAppealError as error:
        report.add(error)
        return None


def _placeholders(case: Case, report: Report) -> None:
    from pipeline.start import placeholder_problems

    report.errors += placeholder_problems(case)


def _evidence(case: Case, destination: Destination | None, report: Report) -> Evidence:
    """Every evidence file as the build takes it, each problem reported: inside the case folder, of a kind
    the build takes, and a PDF opened as the build opens it (decrypted, repaired, cleaned: in a copy, in a
    temporary folder)."""
    from pipeline.evidence import entry_paths, repeated, unlisted
    from pipeline.exhibits import Kind, classify, describe
    from pipeline.profiles import mostly_chinese, profile_for, translation_warning
    from pipeline.redaction import scan_data, scan_pages

    paths, problems = entry_paths(case)  # (a file missing, say: the others are read all the same)
    report.errors += problems
    report.warnings += unlisted(case)
    evidence = Evidence(
        make_exhibits(case.data, case.folder, [path for path in paths if path is not None])
        if not problems
        else unread_exhibits(case.data)
    )
    report.warnings += repeated(case, evidence.exhibits) if not problems else []
    findings = scan_data(case.data, where=case.at) if destination else []  # (as a build: for a destination)
    chinese: list[str] = []  # the exhibits that read in Chinese, for a court
    total = 0
    with tempfile.TemporaryDirectory(prefix="build-appeal-check-") as scratch:
        for exhibit, path in zip(evidence.exhibits, paths, strict=True):
            if path is None:
                continue
            total += path.stat().st_size
            try:
                kind = classify(exhibit, path)
                texts = _read(exhibit, path, kind, Path(scratch), evidence, report, destination is not None)
            except EvidenceError as error:
                report.errors.append(str(error))
                continue
            if destination is None:  # the evidence's text is read for a destination's rules only
                continue
            findings += scan_pages(texts, describe(exhibit))
            if destination == Destination.COURT and mostly_chinese(texts):
                chinese.append(describe(exhibit))
            if destination == Destination.COURT and kind in (Kind.PDF, Kind.IMAGE) and not all(texts):
                blank = [str(number) for number, text in enumerate(texts, 1) if not text] or ["1"]
                report.warnings.append(
                    f"{describe(exhibit)}: page{'s' if len(blank) > 1 else ''} {', '.join(blank)} without "
                    "searchable text will be OCRed (the court profile requires text on every page)"
                )
    messages = [finding.message for finding in findings]
    report.warnings += translation_warning(chinese)
    if destination == Destination.COURT:
        report.errors += messages
    else:
        report.warnings += messages
    if destination in (Destination.PLATFORM, Destination.EMAIL):
        profile = profile_for(destination, case.data)
        if total > profile.cap:
            report.warnings.append(
                f"the evidence alone is {total / MB:.1f} MB, more than the {profile.cap_text} the "
                f"{destination.value} profile allows: build with --compress to downsample its images"
            )
    return evidence


def _read(
    exhibit: Exhibit,
    path: Path,
    kind: Kind,
    scratch: Path,
    evidence: Evidence,
    report: Report,
    texts: bool,
) -> list[str]:
    """Read the exhibit as the build does, short of making its pages: a PDF opened (its warnings reported),
    a text exhibit's content kept for the templates, an image read (its size against the build's limits
    first), an office file's copy for LibreOffice made (a damaged or oversized package refused). With
    `texts`, the text of each page of a PDF exhibit, the whole text of a text exhibit, an empty page for an
    image; nothing for others."""
    from pipeline.exhibits import Kind, check_image, describe, font_warnings, prepare_pdf, read_text_exhibit
    from pipeline.office_copy import printable_copy

    if kind == Kind.PDF:
        reader, notes = prepare_pdf(exhibit, path, scratch / f"exhibit-{exhibit.number}.pdf")
        report.warnings += notes + font_warnings(reader.pages, describe(exhibit))
        try:
            return [page.extract_text() or "" for page in reader.pages] if texts else []
        except Exception:  # the text is for the redaction check and OCR's warning: none, then
            return []
    if kind == Kind.TEXT:
        read = evidence.texts[exhibit.number] = read_text_exhibit(exhibit, path)
        shown = [
            *(value for _, value in read.headers),
            *(cell for row in read.table for cell in row),
            read.text,
        ]
        return ["\n".join(shown)] if texts else []
    if kind == Kind.IMAGE:
        check_image(exhibit, path)
        return [""]
    if kind == Kind.OFFICE:
        _, notes = printable_copy(exhibit, path, scratch / f"exhibit-{exhibit.number}{path.suffix.lower()}")
        report.warnings += notes
    return []


def _sales(case: Case, evidence: Evidence, report: Report) -> AccusedSales:
    """Read the sales export named in case.yaml, as the build will."""
    from pipeline.sales import accused_sales

    sales, warnings = accused_sales(case, evidence.exhibits)
    report.warnings += warnings
    return sales


def _templates(case: Case, evidence: Evidence, sales: AccusedSales | None, report: Report) -> None:
    """Render every template the build renders, with the variables the build gives it, into a temporary
    folder; then parse every other HTML and text template of the folders (those only included, the
    email's). Each template's error is reported once."""
    data = case.data
    letter_date = data.letter_date or dt.date.today()
    context = Context(data, evidence.exhibits, letter_date, data.language, sales=sales)
    numbered = _with_page_numbers(context, documents_of(data))
    templates = Templates(case.templates_folder)
    problems: list[TemplateError] = []
    with tempfile.TemporaryDirectory(prefix="build-appeal-check-") as scratch:

        def render(name: str, engines: tuple[Engine, ...], scoped: Context) -> None:
            try:
                templates.render(templates.find(name, engines), scoped, Path(scratch))
            except TemplateError as error:
                problems.append(error)

        for name in documents_of(data):
            scoped = numbered if name == "evidence_index" else for_its_readers(name, context)
            render(name, (Engine.DOCX, Engine.HTML), scoped)
        for name in TEXT_DOCUMENTS:
            render(name, (Engine.TEXT,), for_its_readers(name, context))
        if evidence.exhibits:
            render("exhibit_cover", (Engine.HTML,), context)
        for exhibit in evidence.exhibits:
            if exhibit.number in evidence.texts:
                variables = {"exhibit": exhibit, "text_exhibit": evidence.texts[exhibit.number]}
                render("text_exhibit", (Engine.HTML,), context.with_variables(variables))
        render("bundle_cover", (Engine.HTML,), numbered)
        render("bundle_toc", (Engine.HTML,), numbered)
    problems += templates.parse_errors()
    for problem in problems:
        if str(problem) not in report.errors:
            report.errors.append(str(problem))


def _with_page_numbers(context: Context, documents: tuple[str, ...]) -> Context:
    """The context of the cover, the contents and the index, with placeholder page numbers: after the
    cover and the contents, each document one page, each exhibit two (its cover sheet and one page)."""
    page = 3
    parts = []
    for name in documents:
        parts.append(Entry(name, name, page, page))
        page += 1
    exhibits = []
    for exhibit in context.exhibits:
        exhibits.append(dataclasses.replace(exhibit, first_page=page, last_page=page + 1))
        page += 2
    numbered = dataclasses.replace(context, exhibits=exhibits)
    return numbered.with_variables({"parts": parts, "total_pages": page - 1})


def _environment(destination: Destination | None) -> None:
    from pipeline.fonts import check_cjk_font

    check_cjk_font()
    if destination == Destination.COURT:
        from pipeline.ocr import check_ocr_installed

        check_ocr_installed()


def summary(reports: list[Report]) -> str:
    """Each case's errors and warnings, then one line per case, then the count."""
    lines: list[str] = []
    for report in reports:
        for error in report.errors:
            lines += [
                f"error: {line}" if index == 0 else f"  {line}"
                for index, line in enumerate(error.splitlines())
            ]
        lines += [f"warning: {warning}" for warning in report.warnings]
        state = "ok" if report.ok else f"{len(report.errors)} error{'s' if len(report.errors) > 1 else ''}"
        extra = (
            f", {len(report.warnings)} warning{'s' if len(report.warnings) > 1 else ''}"
            if report.warnings
            else ""
        )
        lines.append(f"{report.case}: {state}{extra} ({report.seconds:.2f} s)")
    failed = sum(not report.ok for report in reports)
    if len(reports) > 1:
        lines.append(f"{len(reports) - failed} ok, {failed} with errors")
    return "\n".join(lines)
