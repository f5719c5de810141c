"""Build many cases at once, the way a firm preparing bundles for dozens of sellers works: in parallel
(one worker process per core by default), going on when one case fails, and ending with a summary.

Each worker process (or the one process, with -j 1) keeps one LibreOffice for all its cases, in an office
session opened when the worker starts and closed when it ends: LibreOffice starts at most once per worker.
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import logging
import multiprocessing
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import BuildAppealError
from pipeline.limits import collect_garbage
from pipeline.logs import captured_warnings
from pipeline.office_session import office_session

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    """How one case's build ended."""

    case: str
    ok: bool
    bundle: Path | None = None
    pages: int = 0
    size: int = 0
    seconds: float = 0.0
    error: str = ""
    warnings: tuple[str, ...] = ()
    """What the build warned about (a scan without text, a card number on a page): said with the case's
    name in the summary, since a line from one of fifty cases means nothing without it."""

    @property
    def first_error_line(self) -> str:
        """The first line of the error, for the summary table."""
        return self.error.splitlines()[0] if self.error else ""


_settled: tuple[tuple[str, int], ...] = ()
"""The lengths of the cover, the contents and the index this process's last case settled on: the next
case's first guess when it drafts none (`BuildOptions.guess`)."""


def build_one(case_dir: Path, options: object) -> Outcome:
    """Build one case and describe the result; a user error becomes a failed outcome, not an exception."""
    from pipeline.build import BuildOptions, build

    global _settled
    assert isinstance(options, BuildOptions)
    started = time.monotonic()
    with captured_warnings("pipeline") as warned:  # kept for the summary, which names the case
        try:
            result = build(case_dir, dataclasses.replace(options, guess=_settled))
            _settled = tuple(sorted(result.counts.items()))
        except BuildAppealError as error:
            failed = str(error)
        except Exception as error:  # a bug in one case must not stop the others
            log.debug("unexpected failure building %s", case_dir, exc_info=True)
            failed = f"failed unexpectedly ({type(error).__name__}: {error}); run it alone with --debug"
        else:
            failed = ""
    seconds, warnings = time.monotonic() - started, tuple(warned)
    collect_garbage()  # the build's (in cycles: WeasyPrint's boxes, pypdf's objects), before the next case
    if failed:
        return Outcome(str(case_dir), ok=False, seconds=seconds, error=failed, warnings=warnings)
    return Outcome(
        str(case_dir),
        ok=True,
        bundle=result.bundle,
        pages=result.pages,
        size=result.bundle.stat().st_size,
        seconds=seconds,
        warnings=warnings,
    )


def build_many(
    case_dirs: list[Path], options: object, *, jobs: int, progress: Callable[[Outcome], None] | None = None
) -> list[Outcome]:
    """Build every case with `jobs` worker processes; outcomes come back in the order of `case_dirs`."""
    outcomes: dict[Path, Outcome] = {}
    for case_dir, outcome in _run(case_dirs, options, jobs):
        outcomes[case_dir] = outcome
        if progress is not None:
            progress(outcome)
    return [outcomes[case_dir] for case_dir in case_dirs]


def _run(case_dirs: list[Path], options: object, jobs: int) -> Iterator[tuple[Path, Outcome]]:
    if jobs <= 1 or len(case_dirs) == 1:  # one case at a time: each drafts on the other core
        with office_session():
            for case_dir in case_dirs:
                yield case_dir, build_one(case_dir, options)
        return
    # "spawn": workers start clean, without the parent's threads, signal handlers or open files. Every core
    # has a worker, so none drafts on another.
    options = dataclasses.replace(options, draft=False)  # type: ignore[type-var]
    context = multiprocessing.get_context("spawn")
    workers = min(jobs, len(case_dirs))
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_open_worker_session) as pool:
        futures: dict[Future[Outcome], Path] = {
            pool.submit(build_one, case_dir, options): case_dir for case_dir in case_dirs
        }
        try:
            for future in as_completed(futures):
                yield futures[future], future.result()
        except BaseException:  # interrupted, or a worker died: start no other case
            pool.shutdown(wait=False, cancel_futures=True)
            raise


def _open_worker_session() -> None:
    """Pool initializer: an office session for the worker's whole life, closed (LibreOffice killed) when
    the worker exits; if the worker is killed instead, LibreOffice's bridge kills it (`uno_bridge.py`)."""
    session = contextlib.ExitStack()
    session.enter_context(office_session())
    atexit.register(session.close)


def summary(outcomes: list[Outcome]) -> str:
    """A plain-text table (case, status, pages, size, time, first error line), then each case's whole
    error message and its warnings, then the count."""
    rows = [("case", "status", "pages", "size", "time", "error")]
    for outcome in outcomes:
        rows.append(
            (
                outcome.case,
                "ok" if outcome.ok else "FAILED",
                str(outcome.pages) if outcome.ok else "",
                f"{outcome.size / 1e6:.1f} MB" if outcome.ok else "",
                f"{outcome.seconds:.1f} s",
                outcome.first_error_line.removeprefix("error: ")[:100],
            )
        )
    widths = [max(len(row[column]) for row in rows) for column in range(5)]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row[:5], widths, strict=True)) + "  " + row[5]
             for row in rows]  # fmt: skip
    failures = [outcome for outcome in outcomes if not outcome.ok]
    for outcome in outcomes:
        if not outcome.ok:  # the whole message, which the table cuts short
            lines += ["", f"{outcome.case}:", *(f"  {line}" for line in outcome.error.splitlines())]
        if outcome.warnings:
            count = len(outcome.warnings)
            lines += ["", f"{outcome.case}: {count} warning{'s' if count > 1 else ''}"]
            lines += [f"  {line}" for warning in outcome.warnings for line in warning.splitlines()]
    lines.append(f"{len(outcomes) - len(failures)} built, {len(failures)} failed")
    return "\n".join(line.rstrip() for line in lines)
