"""Turn rendered documents into PDF: Word files through one headless LibreOffice, HTML through WeasyPrint.

LibreOffice runs once per build for every Word file (documents and office evidence alike), with a private
profile folder so it never collides with a LibreOffice the user has open, in its own process group so a
time-out kills it and every child; where an office session is open (a batch, a watch, or a single build
that started LibreOffice before it needed it), the session's LibreOffice converts instead
(`pipeline.office_session`). Either way it runs without a network where the system allows, with settings
that leave out the pictures a document links to (`office_session.new_profile`, `offline`). WeasyPrint
fetches nothing but files inside the template folders and the case folder: no network, no other `file://`.
"""

from __future__ import annotations

import logging
import re
import shutil
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import weasyprint
from weasyprint.urls import URLFetcher, URLFetcherResponse

from pipeline.errors import ConversionError, EnvironmentProblem
from pipeline.fonts import check_cjk_font as check_cjk_font  # re-exported: the build checks fonts first
from pipeline.leftovers import Scratch
from pipeline.limits import DEFAULT_TIMEOUT, time_limit
from pipeline.logs import captured_warnings
from pipeline.office_session import (
    OFFICE_SCRATCH,
    OfficeSession,
    current_session,
    did_not_finish,
    find_soffice,
    new_profile,
    office_environment,
    offline,
    wrote_no_pdf,
)
from pipeline.processes import Started

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    """One file for LibreOffice to convert, and where its PDF goes."""

    source: Path
    target: Path
    name: str
    """How messages name the file (`appeal_letter.docx`, `Exhibit 6 (evidence/sales.xlsx)`)."""


def office_to_pdf(jobs: Sequence[Job], *, timeout: float = DEFAULT_TIMEOUT) -> None:
    """Convert every job's source to PDF in one LibreOffice process (the office session's, if one is open);
    check each PDF exists, not empty."""
    with converting(jobs, timeout=timeout) as finish:
        finish()


@contextmanager
def converting(jobs: Sequence[Job], *, timeout: float = DEFAULT_TIMEOUT) -> Iterator[Callable[[], None]]:
    """Start `office_to_pdf` and hand back a function that waits for it to finish: the caller works on
    while LibreOffice converts (within `timeout` seconds of the start). However the block ends, LibreOffice
    is gone after it, unless an office session's (a batch's, a watch's, one started early by the command)
    converts: that one stays for the next conversion, unless the block failed meanwhile."""
    if not jobs:
        yield lambda: None
        return
    log.info("LibreOffice: converting %s", ", ".join(job.name for job in jobs))
    session = current_session()
    if session is not None and session.can_convert():
        with _in_session(session, jobs, timeout) as finish:
            yield finish
    else:
        with _one_off(jobs, timeout) as finish:
            yield finish


@contextmanager
def _in_session(session: OfficeSession, jobs: Sequence[Job], timeout: float) -> Iterator[Callable[[], None]]:
    """The session's LibreOffice converts the jobs while the caller works on; a session opened on
    speculation whose UNO bridge turns out missing leaves them to a one-off run."""
    handed = session.converting(jobs, timeout=timeout)

    def finish() -> None:
        try:
            handed()
        except EnvironmentProblem:
            if not session.optional:
                raise
            # Started early on speculation, but without its UNO bridge: a one-off LibreOffice converts.
            with _one_off(jobs, timeout) as one_off:
                one_off()

    try:
        yield finish
    except BaseException:  # the build failed while LibreOffice converted: its state is unknown
        session.stop()
        raise


@contextmanager
def _one_off(jobs: Sequence[Job], timeout: float) -> Iterator[Callable[[], None]]:
    """A LibreOffice of its own converts the jobs, in one run."""
    soffice = find_soffice()
    with Scratch(OFFICE_SCRATCH) as scratch_dir:
        inbox, outbox = scratch_dir / "in", scratch_dir / "out"
        inbox.mkdir()
        outbox.mkdir()
        # Unique plain names: LibreOffice names each PDF after its input, and dislikes odd characters.
        staged = []
        for index, job in enumerate(jobs):
            source = inbox / f"{index:04d}{job.source.suffix.lower()}"
            shutil.copyfile(job.source, source)
            staged.append(source)
        command = offline(
            [
                soffice,
                f"-env:UserInstallation={new_profile(scratch_dir / 'profile')}",
                "--headless",
                "--invisible",
                "--norestore",
                "--nolockcheck",
                "--nodefault",
                "--nologo",
                "--convert-to",
                "pdf",
                "--outdir",
                str(outbox),
                *map(str, staged),
            ]
        )

        def culprit() -> str:  # the file LibreOffice was on: the first without its PDF yet
            return _first_missing(jobs, staged, outbox)

        def too_slow() -> ConversionError:
            return did_not_finish(culprit(), timeout)

        with Started(
            command, env=office_environment(scratch_dir), timeout=timeout, too_slow=too_slow
        ) as running:

            def finish() -> None:
                returncode, stderr = running.wait()
                last = stderr.strip().splitlines()[-1] if stderr.strip() else ""  # what LibreOffice said
                if returncode != 0:
                    raise ConversionError(
                        f"{culprit()}: LibreOffice failed: {last or f'exit code {returncode}'}"
                    )
                for job, source in zip(jobs, staged, strict=True):
                    produced = outbox / f"{source.stem}.pdf"
                    if not produced.is_file() or produced.stat().st_size == 0:
                        raise wrote_no_pdf(job.name, last)
                    job.target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.move(produced, job.target)

            yield finish


def _first_missing(jobs: Sequence[Job], staged: list[Path], outbox: Path) -> str:
    for job, source in zip(jobs, staged, strict=True):
        if not (outbox / f"{source.stem}.pdf").exists():
            return job.name
    return jobs[-1].name


# --- WeasyPrint -----------------------------------------------------------------------------------------


class LocalFilesOnly(URLFetcher):
    """A WeasyPrint url_fetcher serving `data:` URLs and files below the allowed folders, nothing else.

    Every refused URL is kept in `refused`, so a build can report (and a test can check) what was asked for;
    every file served in `served`.
    """

    def __init__(self, allowed: Sequence[Path]) -> None:
        super().__init__(allowed_protocols=("file", "data"), allow_redirects=False)
        self.allowed = [folder.resolve() for folder in allowed]
        self.refused: list[str] = []
        self.served: list[Path] = []
        """The files served, in order: what a cached layout must check is unchanged before reuse."""

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        """Serve the URL if it is data or a file in an allowed folder; refuse (and note) anything else."""
        scheme = urllib.parse.urlsplit(url).scheme.lower()
        if scheme == "data":
            with urllib.request.urlopen(url) as response:  # data: URLs are decoded locally
                return URLFetcherResponse(url, body=response.read(), headers=response.headers)
        outside = "; save a copy in the case's templates/ folder and use its name"
        if scheme == "file":
            named = Path(urllib.request.url2pathname(urllib.parse.urlsplit(url).path))
            path = named.resolve()
            if any(path.is_relative_to(folder) for folder in self.allowed) and path.is_file():
                self.served.append(path)
                return URLFetcherResponse(url, body=path.read_bytes())
            if path != named and any(named.absolute().is_relative_to(folder) for folder in self.allowed):
                outside = f" ({named.name} is a link to {path}); copy the file in instead of linking to it"
        self.refused.append(url)
        raise ValueError(f"build-appeal fetches only files in the case and template folders{outside}")


@contextmanager
def _weasyprint_log(name: str) -> Iterator[None]:
    """Pass WeasyPrint's warnings on with the name of the document it was laying out; a file or address
    the fetcher refused is said in words, without WeasyPrint's error class."""
    with captured_warnings("weasyprint") as messages:
        yield
    for message in messages:
        refused = _REFUSED.search(message)
        if refused:
            what, url, why = refused.groups()
            log.warning("%s: the %s %s is left out: %s", name, what, url, why)
        else:
            log.warning("%s: WeasyPrint: %s", name, message)


_REFUSED = re.compile(
    r"Failed to load (\w+(?: \w+)?) at '?([^' ]+?)'?: ValueError: (build-appeal fetches .*)"
)


def html_document(
    html: str,
    *,
    base: Path,
    fetcher: LocalFilesOnly,
    name: str,
    font_config: Any = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> weasyprint.Document:
    """Lay out an HTML document with WeasyPrint, relative URLs resolving against `base`; documents laid out
    with one `font_config` can be written together with each font embedded once."""
    with _weasyprint_log(name), time_limit(timeout, lambda: _too_slow(name, timeout)):
        try:
            return weasyprint.HTML(
                string=html, base_url=base.resolve().as_uri() + "/", url_fetcher=fetcher, media_type="print"
            ).render(font_config=font_config)
        except Exception as error:  # WeasyPrint raises many kinds; all mean this document failed
            raise ConversionError(f"{name}: WeasyPrint could not lay out the document: {error}") from error


def _too_slow(name: str, timeout: float) -> ConversionError:
    return ConversionError(
        f"{name}: WeasyPrint did not finish within {timeout:g} s and was stopped; the document is too long "
        "(a template that repeats without end?), or raise the limit with --timeout"
    )


def write_pdf(
    document: weasyprint.Document, target: Path, *, name: str, timeout: float = DEFAULT_TIMEOUT
) -> None:
    """Write a laid-out document to `target`."""
    with _weasyprint_log(name), time_limit(timeout, lambda: _too_slow(name, timeout)):
        try:
            document.write_pdf(target)
        except Exception as error:
            raise ConversionError(f"{name}: WeasyPrint could not write the PDF: {error}") from error
    if not target.is_file() or target.stat().st_size == 0:
        raise ConversionError(f"{name}: WeasyPrint wrote no PDF")
