"""Check a case without building it: `build-appeal check CASE_DIR ...`.

Runs every check a build runs before it writes anything, in well under a second a case: case.yaml against
the model, `init` placeholders left, evidence files (there, inside the case folder, of a kind the build
takes), the sales export, every template (found and parsed: a syntax error names the template and line,
or the paragraph of a Word template), the fonts, the destination's rules that can be told before building
(OCR installed for a court, the evidence's size against the cap) and the redaction check of case.yaml and
the evidence's text. Nothing is laid out, converted or written.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.context import make_exhibits
from pipeline.errors import BuildAppealError
from pipeline.load import Case, display_path, load_case
from pipeline.model import Destination
from pipeline.render import TEXT_DOCUMENTS, Engine, Templates, documents_of

MB = 1_000_000


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


def check_case(folder: Path, destination: Destination | None = None) -> Report:
    """Every check of the case in `folder`; `destination` overrides case.yaml's `bundle.destination`."""
    started = time.monotonic()
    report = Report(display_path(folder))
    try:
        case = load_case(folder)
    except BuildAppealError as error:  # nothing else can be checked without the data
        report.errors.append(str(error))
        report.errors += _placeholder_lines(folder)
        report.seconds = time.monotonic() - started
        return report
    destination = destination or case.data.bundle.destination
    for check in (_placeholders, _evidence, _sales, _templates, _environment):
        try:
            check(case, destination, report)
        except BuildAppealError as error:
            report.errors.append(str(error))
    report.seconds = time.monotonic() - started
    return report


def _placeholders(case: Case, destination: Destination | None, report: Report) -> None:
    from pipeline.start import placeholder_problems

    report.errors += placeholder_problems(case)


def _placeholder_lines(folder: Path) -> list[str]:
    from pipeline.load import CASE_FILE
    from pipeline.start import placeholder_lines

    path = folder / CASE_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return []
    shown = display_path(path)
    return [
        f"{shown}:{line}: still the placeholder `init` wrote; write the real value"
        for line in placeholder_lines(text)
    ]


def _evidence(case: Case, destination: Destination | None, report: Report) -> None:
    from pipeline.evidence import resolve_evidence
    from pipeline.exhibits import Kind, classify, describe
    from pipeline.profiles import profile_for
    from pipeline.redaction import scan_data, scan_pages

    paths = resolve_evidence(case)
    exhibits = make_exhibits(case.data, case.folder)
    findings = scan_data(case.data)
    total = 0
    for exhibit, path in zip(exhibits, paths, strict=True):
        kind = classify(exhibit, path)
        total += path.stat().st_size
        if destination is None:  # the evidence's text is read for a destination's rules only
            continue
        texts = _texts(path, kind)
        findings += scan_pages(texts, describe(exhibit))
        if destination == Destination.COURT and kind in (Kind.PDF, Kind.IMAGE) and not all(texts):
            blank = [str(number) for number, text in enumerate(texts, 1) if not text] or ["1"]
            report.warnings.append(
                f"{describe(exhibit)}: page{'s' if len(blank) > 1 else ''} {', '.join(blank)} without "
                "searchable text will be OCRed (the court profile requires text on every page)"
            )
    messages = [finding.message for finding in findings]
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


def _texts(path: Path, kind: Any) -> list[str]:
    """The text of each page of a PDF exhibit, the whole text of a text exhibit; nothing for others."""
    from pipeline.exhibits import Kind

    if kind == Kind.PDF:
        from pypdf import PdfReader

        try:
            return [page.extract_text() or "" for page in PdfReader(path, strict=False).pages]
        except Exception:  # the build repairs what it can and says what it cannot
            return []
    if kind == Kind.TEXT:
        return [path.read_text(encoding="utf-8", errors="replace")]
    if kind == Kind.IMAGE:
        return [""]
    return []


def _sales(case: Case, destination: Destination | None, report: Report) -> None:
    """Read the sales export named in case.yaml, as the build will."""
    from pipeline.sales import accused_sales

    report.warnings += accused_sales(case)[1]


def _templates(case: Case, destination: Destination | None, report: Report) -> None:
    """Find every document's template and parse it, and every HTML and text template it may include."""
    templates = Templates(case.templates_folder)
    for name in documents_of(case.data):
        template = templates.find(name)
        if template.engine == Engine.DOCX:
            templates.check_docx(template)
    for name in TEXT_DOCUMENTS:
        templates.find(name, (Engine.TEXT,))
    templates.check_jinja()


def _environment(case: Case, destination: Destination | None, report: Report) -> None:
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
