"""Build many cases at once, the way a firm preparing bundles for dozens of sellers works: in parallel
(one worker process per core by default), going on when one case fails, and ending with a summary.

Each worker process (or the one process, with -j 1) keeps one LibreOffice for all its cases, in an office
session opened when the worker starts and closed when it ends: LibreOffice starts at most once per worker.

A batch stopped (Ctrl-C, SIGTERM, SIGHUP when its terminal is closed) stops its workers too: the cases they
were building are left unwritten, as a single build stopped is, and the batch reports the cases that were
done before it stopped.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import dataclasses
import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, as_completed, wait
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import NoReturn, TextIO

from pipeline import outputs
from pipeline.errors import user_error
from pipeline.limits import (
    STOP_KINDS,
    Terminated,
    collect_garbage,
    hide_discarded_stops,
    raise_if_stopped,
    signals_blocked,
    stop,
    stops_unmasked,
)
from pipeline.load import display_path
from pipeline.logs import captured_warnings
from pipeline.office_session import office_session
from pipeline.tables import lined_up, room_left

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
    def progress_line(self) -> str:
        """The line a log file gets as the case ends: `cases/acme: built, 25 pages, 1.3 MB, 4.1 s`."""
        if not self.ok:
            return f"{self.case}: FAILED after {self.seconds:.1f} s"
        return f"{self.case}: built, {self.pages} pages, {self.size / 1e6:.1f} MB, {self.seconds:.1f} s"

    @property
    def first_error_line(self) -> str:
        """The first line of the error, for the summary table; the first of the list when it only introduces
        one (`...the platform profile, so nothing was written:`, then the rules broken, one a line)."""
        lines = [line.strip() for line in self.error.splitlines() if line.strip()]
        if len(lines) > 1 and lines[0].endswith(":"):
            return lines[1].lstrip("-•* ")
        return lines[0] if lines else ""


_settled: tuple[tuple[str, int], ...] = ()
"""The lengths of the cover, the contents and the index this process's last case settled on: the next
case's first guess when it drafts none (`BuildOptions.guess`)."""
_building = False
"""Whether this process is building a case: a stop asked for meanwhile stops that build (`_stop_building`)."""
_stop_asked = 0
"""The signal that asked this process to stop building cases (SIGINT, SIGTERM, or SIGHUP: the terminal of a
-j 1 batch closed), 0 if none did."""
BATCH_GONE = signal.SIGUSR1
"""The signal the kernel sends a worker when its batch's process ends (`_told_when_orphaned`). Not SIGHUP:
closing the terminal sends that to every process of the batch, and the batch, which lives on, stops its
workers itself."""


def build_one(case_dir: Path, options: object) -> Outcome:
    """Build one case and describe the result; a user error becomes a failed outcome, not an exception."""
    from pipeline.build import BuildOptions, build

    global _settled, _building
    assert isinstance(options, BuildOptions)
    started = time.monotonic()
    with captured_warnings("pipeline") as warned:  # kept for the summary, which names the case
        try:
            outputs.publishing = False  # (the last case's, until `build` sets it back)
            # In this order: a stop asked for before the first line is seen by the second, one after stops
            # the build (`_stop_building`).
            _building = True
            if _stop_asked:
                _raise_stop()
            with stops_unmasked():
                result = build(case_dir, dataclasses.replace(options, guess=_settled))
            _settled = tuple(sorted(result.counts.items()))
        except Exception as error:  # a bug in one case must not stop the others
            actionable = user_error(error, options.output_root)
            if actionable is not None:
                failed = str(actionable)
            else:
                log.debug("unexpected failure building %s", case_dir, exc_info=True)
                failed = f"failed unexpectedly ({type(error).__name__}: {error}); run it alone with --debug"
        else:
            failed = ""
        finally:
            _building = False
            if _batch_gone:  # no one to hand the outcome to
                _end_worker()
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
    """Build every case with `jobs` worker processes; outcomes come back in the order of `case_dirs`, and
    each goes to `progress` as it ends (a batch stopped half way has given those that ended before)."""
    outcomes: dict[Path, Outcome] = {}

    def ended(case_dir: Path, outcome: Outcome) -> None:
        outcomes[case_dir] = outcome
        if progress is not None:
            progress(outcome)

    _run(case_dirs, options, jobs, ended)
    return [outcomes[case_dir] for case_dir in case_dirs]


def _run(case_dirs: list[Path], options: object, jobs: int, ended: Callable[[Path, Outcome], None]) -> None:
    if jobs <= 1 or len(case_dirs) == 1:  # one case at a time: each drafts on the other core
        with office_session(), _stopping_between_cases():
            for case_dir in case_dirs:
                ended(case_dir, build_one(case_dir, options))
        return
    # "spawn": workers start clean, without the parent's threads, signal handlers or open files. Every core
    # has a worker, so none drafts on another.
    options = dataclasses.replace(options, draft=False)  # type: ignore[type-var]
    context = multiprocessing.get_context("spawn")
    workers = min(jobs, len(case_dirs))
    _start_resource_tracker()
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_open_worker_session) as pool:
        futures: dict[Future[Outcome], Path] = {
            pool.submit(build_one, case_dir, options): case_dir for case_dir in case_dirs
        }
        told: set[Future[Outcome]] = set()
        try:
            for future in as_completed(futures):
                told.add(future)
                ended(futures[future], future.result())
                raise_if_stopped()  # (a Ctrl-C Python discarded while the batch waited)
        except BaseException:  # interrupted, or a worker died: begin no other case, stop those running
            for future in futures:
                future.cancel()  # those not begun yet (a worker may hold one already: it stops it at once)
            for worker in multiprocessing.active_children():  # the pool's workers (this process has no other)
                worker.terminate()
            # (Not `shutdown(cancel_futures=True)`: the futures it cancels are never "done" for `wait`.)
            wait([future for future in futures if not future.cancelled()])  # a second Ctrl-C stops the wait
            for future, case_dir in futures.items():  # one that ended as the batch stopped was written
                if future not in told and not future.cancelled() and future.exception() is None:
                    ended(case_dir, future.result())
            raise


def _start_resource_tracker() -> None:
    """Start multiprocessing's resource tracker (the process that frees the pool's semaphores) with SIGHUP
    blocked, so that it outlives its terminal being closed, as it does Ctrl-C and SIGTERM: killed by the
    SIGHUP the whole batch gets, it was started again and printed a traceback for each semaphore."""
    from multiprocessing import resource_tracker

    with signals_blocked(signal.SIGHUP):  # (a blocked signal stays blocked across exec; ours waits)
        resource_tracker.ensure_running()


def _open_worker_session() -> None:
    """Pool initializer: an office session for the worker's whole life, closed (LibreOffice killed) when
    the worker exits; if the worker is killed instead, LibreOffice's bridge kills it (`uno_bridge.py`).

    Ctrl-C at a terminal, and SIGHUP when the terminal is closed, reach every process of the batch at once;
    a worker leaves them to the batch, which stops its workers with SIGTERM (`_run`): one signal each,
    whichever way the batch was stopped."""
    global _worker_session
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _stop_building)
    signal.signal(BATCH_GONE, _stop_building)
    hide_discarded_stops()
    _told_when_orphaned()
    _worker_session = contextlib.ExitStack()
    _worker_session.enter_context(office_session())
    atexit.register(_close_worker_session)


_worker_session: contextlib.ExitStack | None = None
"""A worker's office session (`_open_worker_session`)."""
_batch_gone = False
"""Whether this worker's batch is gone (its process ended, killed with SIGKILL say): told by `BATCH_GONE`."""
_ending = False
"""Whether this worker is closing its office session to end: a signal then must not end it half way."""
PR_SET_PDEATHSIG = 1
"""prctl(2): the signal the kernel sends this process when the one that started it ends."""


def _told_when_orphaned() -> None:
    """Have the kernel send this worker `BATCH_GONE` when its batch's process ends, even killed with SIGKILL
    (Linux's parent-death signal): the worker then stops its case and ends, with its LibreOffice, instead of
    waiting for cases that will never come (`_stop_building`). A signal the batch never sends: SIGTERM is
    how the batch stops a worker it goes on waiting for."""
    with contextlib.suppress(OSError, AttributeError):  # not Linux: it waits to be ended by hand
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, BATCH_GONE)
    parent = multiprocessing.parent_process()
    if parent is not None and not parent.is_alive():  # the batch ended before the kernel was asked
        os.kill(os.getpid(), BATCH_GONE)


def _end_worker() -> NoReturn:
    """End a worker whose batch is gone, once its case has stopped: its LibreOffice killed (the pool's loop
    would wait for work forever)."""
    _close_worker_session()
    os._exit(128 + BATCH_GONE)


def _close_worker_session() -> None:
    """Close the worker's office session (LibreOffice killed, its scratch folder removed), as it ends."""
    global _ending
    _ending = True  # (the kernel's signals, one for each thread of a batch that ends, may still come)
    if _worker_session is not None:
        _worker_session.close()


@contextlib.contextmanager
def _stopping_between_cases() -> Iterator[None]:
    """While this process builds the cases one after another, Ctrl-C, SIGTERM and SIGHUP (the terminal
    closed; unless ignored, as under `nohup`) stop them as they stop a worker's (`_stop_building`); as
    before after."""
    global _stop_asked
    _stop_asked = 0
    if threading.current_thread() is not threading.main_thread():  # (no signal handler runs here)
        yield
        return
    stops = [signal.SIGINT, signal.SIGTERM]
    stops += [signal.SIGHUP] if signal.getsignal(signal.SIGHUP) != signal.SIG_IGN else []
    previous = {signum: signal.signal(signum, _stop_building) for signum in stops}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _stop_building(signum: int, frame: FrameType | None) -> None:
    """Ctrl-C, SIGTERM or SIGHUP while cases are built one after another (a worker's, or the batch's own
    with -j 1), or `BATCH_GONE` to a worker: the case being built stops there, as a single build
    stopped does (every clean-up runs, nothing of the case is written), unless its files are being moved
    into place already: then it ends, and counts as built. No case is begun after (a worker may have one
    waiting in its queue already). A worker ends when its batch shuts it down, or, if the batch is gone,
    once its case has stopped or at once. A stop asked for again while the first is carried out waits for
    it (it would cut the build's clean-up short: its scratch folder left behind)."""
    global _stop_asked, _batch_gone
    again = bool(_stop_asked)  # (the kernel tells a worker once for each thread of its batch that ends)
    _stop_asked = _stop_asked or (signal.SIGTERM if signum == BATCH_GONE else signum)
    _batch_gone = _batch_gone or signum == BATCH_GONE
    if _building and not outputs.publishing and not again:  # once: a second stop would cut the clean-up
        _raise_stop()
    if _batch_gone and not _building and not _ending:  # between cases, in a worker its batch left behind
        _end_worker()


def _raise_stop() -> None:
    stop(STOP_KINDS.get(_stop_asked, Terminated))


ERROR_WIDTH = 100
"""How much of a case's first error line the summary table shows (the whole message follows the table)."""


def _without_folder(error: str, case: str) -> str:
    """`case.yaml:9: ...` for `cases/acme/case.yaml:9: ...`: the table's first column names the folder,
    and in 80 columns the path would take all the error column has."""
    for folder in {case, display_path(Path(case))}:
        error = error.removeprefix(f"{folder.rstrip('/')}/")
    return error


def summary(outcomes: list[Outcome], terminal: TextIO | None = None) -> str:
    """A plain-text table (case, status, pages, size, time, first error line), then each case's whole
    error message and its warnings, then the count. The error column is cut to what the `terminal`
    (standard error) has left, else to `ERROR_WIDTH`."""
    rows = [["case", "status", "pages", "size", "time", "error"]]
    for outcome in outcomes:
        rows.append(
            [
                outcome.case,
                "ok" if outcome.ok else "FAILED",
                str(outcome.pages) if outcome.ok else "",
                f"{outcome.size / 1e6:.1f} MB" if outcome.ok else "",
                f"{outcome.seconds:.1f} s",
                _without_folder(outcome.first_error_line.removeprefix("error: "), outcome.case),
            ]
        )
    lines = lined_up(rows, room_left(rows, terminal) or ERROR_WIDTH)
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
