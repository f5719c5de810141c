"""Build one case: load -> check -> render -> convert -> assemble -> write outputs.

`build()` reads as the sequence of stages; each stage lives in its own module.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from pipeline import __version__
from pipeline.bundle import Metadata, Part, join
from pipeline.context import Context, make_exhibits, sha256_of
from pipeline.convert import (
    DEFAULT_TIMEOUT,
    Job,
    LocalFilesOnly,
    check_cjk_font,
    html_document,
    office_to_pdf,
)
from pipeline.convert import write_pdf as write_html_pdf
from pipeline.evidence import resolve_evidence
from pipeline.load import CASE_FILE, Case, load_case
from pipeline.model import Language
from pipeline.outputs import MANIFEST, check_output_folder, locked, publish, staging
from pipeline.render import DOCUMENTS, TEXT_DOCUMENTS, Engine, Rendered, Templates, default_templates_folder

log = logging.getLogger(__name__)

BUNDLE = "bundle.pdf"

TITLES = {
    "appeal_letter": "Appeal letter",
    "cs_inquiry": "Customer-service inquiry",
    "evidence_index": "Evidence index",
}


@dataclass(frozen=True)
class BuildOptions:
    """How to build: where to write, in which language, how long converters may run."""

    output_root: Path = Path("output")
    language: Language | None = None
    """Overrides `language:` of case.yaml when set."""
    timeout: float = DEFAULT_TIMEOUT


@dataclass(frozen=True)
class BuildResult:
    """What a build wrote."""

    case: Case
    output: Path
    bundle: Path
    files: list[Path] = field(default_factory=list)


def build(case_folder: Path, options: BuildOptions | None = None) -> BuildResult:
    """Build the case in `case_folder` into `options.output_root/<case folder name>/`."""
    options = options or BuildOptions()
    # 1. Load and validate case.yaml, and check every evidence file, before any work is done.
    case = load_case(case_folder)
    evidence = resolve_evidence(case)
    output = options.output_root / case.name
    check_output_folder(output, case.folder)
    check_cjk_font()
    language = options.language or case.data.language
    created = _build_time(case)

    with locked(output), staging(output) as staged:
        work = staged / ".work"
        work.mkdir()
        # 2. Merge the data into every document's template.
        templates = Templates(case.templates_folder)
        context = Context(case.data, make_exhibits(case.data, case.folder), created.date(), language)
        rendered = [templates.render(templates.find(name), context, work) for name in DOCUMENTS]
        for name in TEXT_DOCUMENTS:
            templates.render(templates.find(name, (Engine.TEXT,)), context, staged)

        # 3. Turn them into PDF: Word files through one LibreOffice run, HTML through WeasyPrint.
        pdfs = _to_pdf(rendered, staged, templates, case, options)

        # 4. Join the documents into one PDF with bookmarks.
        bundle = staged / BUNDLE
        join(
            [
                Part(TITLES.get(r.template.document, r.template.document), pdfs[r.template.document])
                for r in rendered
            ],
            bundle,
            _metadata(case, created),
        )

        # 5. Record what went in and what came out, then move everything into place.
        names = [path.name for path in staged.iterdir() if path.is_file()]
        _write_manifest(staged, case, evidence, names, created)
        files = publish(staged, output, [*names, MANIFEST])
    log.info("built %s", output)
    return BuildResult(case=case, output=output, bundle=output / BUNDLE, files=files)


def _to_pdf(
    rendered: list[Rendered], staged: Path, templates: Templates, case: Case, options: BuildOptions
) -> dict[str, Path]:
    pdfs: dict[str, Path] = {}
    jobs = []
    for item in rendered:
        target = staged / f"{item.template.document}.pdf"
        if item.template.engine == Engine.DOCX:
            final_docx = staged / item.path.name
            final_docx.write_bytes(item.path.read_bytes())
            jobs.append(Job(item.path, target, item.template.path.name))
        pdfs[item.template.document] = target
    office_to_pdf(jobs, timeout=options.timeout)
    fetcher = LocalFilesOnly([case.folder, *templates.folders])
    for item in rendered:
        if item.template.engine == Engine.HTML:
            name = item.template.path.name
            document = html_document(
                item.path.read_text(encoding="utf-8"),
                base=item.template.path.parent,
                fetcher=fetcher,
                name=name,
            )
            write_html_pdf(document, pdfs[item.template.document], name=name)
    return pdfs


def _build_time(case: Case) -> dt.datetime:
    """The time printed and recorded: SOURCE_DATE_EPOCH when set (reproducible builds), else the letter
    date from case.yaml, else today; always at midnight UTC so two builds on one day give the same bytes."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC)
    day = case.data.letter_date or dt.datetime.now(tz=dt.UTC).date()
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


def _metadata(case: Case, created: dt.datetime) -> Metadata:
    data = case.data
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
    )


def input_hashes(case: Case, evidence: list[Path]) -> dict[str, str]:
    """SHA-256 of everything a build reads: case.yaml, the evidence files, and every template file (the
    case's own as `templates/<name>`, the defaults as `default-templates/<name>`). A bundle whose manifest
    records other hashes is out of date."""
    inputs = {CASE_FILE: sha256_of(case.folder / CASE_FILE)}
    for entry, path in zip(case.data.evidence, evidence, strict=True):
        inputs[entry.file] = sha256_of(path)
    for label, folder in (
        ("templates", case.templates_folder),
        ("default-templates", default_templates_folder()),
    ):
        if folder.is_dir():
            for path in sorted(folder.iterdir()):
                if path.is_file():
                    inputs[f"{label}/{path.name}"] = sha256_of(path)
    return inputs


def _write_manifest(
    staged: Path, case: Case, evidence: list[Path], names: list[str], created: dt.datetime
) -> None:
    inputs = input_hashes(case, evidence)
    manifest = {
        "tool": "build-appeal",
        "version": __version__,
        "built": created.isoformat(),
        "case": case.data.case.number,
        "inputs": inputs,
        "outputs": {name: sha256_of(staged / name) for name in sorted(names)},
    }
    (staged / MANIFEST).write_text(
        json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
