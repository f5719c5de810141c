"""Time limits for work that runs inside this process (Jinja rendering, WeasyPrint layout), and turning
Ctrl-C and SIGTERM into an orderly stop.

LibreOffice runs in a process of its own and is killed by `convert.office_to_pdf` when it overruns; the
work here cannot be killed from outside without losing the clean-up, so a timer interrupts it instead: an
interval timer delivers SIGALRM, whose handler raises `TimeUp` (a BaseException, so no library code that
catches `Exception` can swallow it), and the limit turns it into the caller's error naming the document.
"""

from __future__ import annotations

import gc
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import _GeneratorContextManager, contextmanager
from types import FrameType
from typing import NoReturn

from pipeline.errors import BuildAppealError

DEFAULT_TIMEOUT = 180.0
"""Seconds one LibreOffice run, one template or one WeasyPrint document may take before it is stopped."""


REPEAT = 0.2
"""Seconds between the alarms after the first, until the limited work has stopped."""


class TimeUp(BaseException):
    """Raised inside the work when its time limit passes."""


class Terminated(BaseException):
    """Raised in the main thread when the process receives SIGTERM, so clean-up code runs as for Ctrl-C."""

    signum = signal.SIGTERM


class HungUp(Terminated):
    """Raised instead when the process receives SIGHUP: its terminal was closed."""

    signum = signal.SIGHUP


@contextmanager
def time_limit(seconds: float, error: Callable[[], BuildAppealError]) -> Iterator[None]:
    """Run the block for at most `seconds`; past that, raise `error()`.

    Only the main thread can receive signals; elsewhere (a thread pool) the block runs without a limit."""
    if seconds <= 0 or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum: int, frame: FrameType | None) -> None:
        if frame is not None and frame.f_code in _STOPPING:
            return  # an earlier alarm's TimeUp has reached this limit, which is stopping the work now
        raise TimeUp

    previous = signal.signal(signal.SIGALRM, expire)
    # Python drops an exception raised in a gc callback or a __del__ ("Exception ignored in ..."), so an
    # alarm landing there would let runaway work go on. The alarm repeats, so the next one stops it; and gc
    # callbacks (profilers', test tools') are set aside meanwhile, since work that allocates a lot spends
    # most of its time in them.
    callbacks = gc.callbacks[:]
    gc.callbacks.clear()
    outer = signal.setitimer(signal.ITIMER_REAL, seconds, REPEAT)
    try:
        yield
    except TimeUp as time_up:
        _silence_alarm()  # the next alarm must not interrupt the raising of the caller's error
        raise error() from time_up
    finally:
        _silence_alarm()
        gc.callbacks[:] = callbacks + [callback for callback in gc.callbacks if callback not in callbacks]
        signal.signal(signal.SIGALRM, previous)
        if outer[0]:  # an enclosing limit keeps running (what is left of it, at least a moment)
            signal.setitimer(signal.ITIMER_REAL, max(outer[0] - seconds, 0.001))
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGALRM})


_STOPPING = {_GeneratorContextManager.__exit__.__code__, time_limit.__wrapped__.__code__}  # type: ignore[attr-defined]
"""The code that hands a TimeUp to the limit. The work can take longer than `REPEAT` to give way (freeing
a template's half-made output of millions of strings, say): an alarm landing here would raise a second
TimeUp past the limit, escaping it."""


def _silence_alarm() -> None:
    """Stop the repeating alarm, and drop one already on its way. (A slow machine can take longer than
    `REPEAT` to unwind the work, and an alarm landing in the clean-up would escape it.) The signal stays
    blocked until the limit has put everything back."""
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
    signal.setitimer(signal.ITIMER_REAL, 0)
    signal.sigtimedwait({signal.SIGALRM}, 0)


stopped: type[KeyboardInterrupt | Terminated] | None = None
"""The stop (KeyboardInterrupt for Ctrl-C, Terminated for SIGTERM) a signal asked of this process, once its
handler has raised it; a stop is final.

Python discards an exception raised inside a finalizer, a weakref callback or a gc callback ("Exception
ignored in ..."), and goes on: a Ctrl-C handled there (once, in the callback of an import's module lock) let
a build run to its end and write its outputs. `raise_if_stopped` raises the stop again where the work goes
on to its next step, and before anything is moved into place."""


STOP_KINDS: dict[int, type[KeyboardInterrupt | Terminated]] = {
    signal.SIGINT: KeyboardInterrupt,
    signal.SIGTERM: Terminated,
    signal.SIGHUP: HungUp,
}
"""What each stop signal raises: Ctrl-C, SIGTERM, and SIGHUP (the terminal closed)."""


def stop_on_signals() -> None:
    """Make Ctrl-C, SIGTERM and SIGHUP (the terminal closed) stop the program (KeyboardInterrupt,
    `Terminated`, `HungUp`) so that every `finally` and context manager runs: scratch folders are removed
    and LibreOffice is killed. A stop that Python discards is raised again at the next step (`stopped`),
    without the traceback Python prints for it. SIGHUP ignored (`nohup`) stays ignored."""

    def terminate(signum: int, frame: FrameType | None) -> None:
        stop(STOP_KINDS[signum])

    for signum in STOP_KINDS:
        if signum != signal.SIGHUP or signal.getsignal(signum) == signal.SIG_DFL:
            signal.signal(signum, terminate)
    hide_discarded_stops()


def stop(kind: type[KeyboardInterrupt | Terminated]) -> NoReturn:
    """Raise the stop `kind`, and keep it for `raise_if_stopped` (from a signal handler)."""
    global stopped
    stopped = kind
    raise kind


def raise_if_stopped() -> None:
    """Raise the stop a signal asked for, if one did: where work goes on to its next step."""
    if stopped is not None:
        raise stopped


@contextmanager
def stops_unmasked() -> Iterator[None]:
    """Raise a stop (Ctrl-C, SIGTERM, SIGHUP) in place of an error the block raised as the stop went
    through a clean-up: Ctrl-C inside a zip archive's writing of a part left the part open, and closing the
    archive then raised "Can't close the ZIP file" in the stop's place, which a build reported as a damaged
    exhibit and a batch as a case that failed."""
    try:
        yield
    except Exception as error:
        stop = _stop_behind(error)
        if stop is None:
            raise
        raise stop from None


def _stop_behind(error: BaseException) -> BaseException | None:
    """The stop that was going through when `error` (or an error it came from) was raised, if one was."""
    seen: set[int] = set()
    cause: BaseException | None = error
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, (KeyboardInterrupt, Terminated)):
            return cause
        seen.add(id(cause))
        cause = cause.__cause__ or (None if cause.__suppress_context__ else cause.__context__)
    return None


STOPS = (KeyboardInterrupt, Terminated, TimeUp)
"""What a signal raises in this process: the stops, and a time limit's alarm."""


def hide_discarded_stops() -> None:
    """Print no traceback for a stop or an alarm that Python discards: each is raised again
    (`raise_if_stopped`, the alarm's repeat), and its traceback would only alarm the user. Once stopped,
    none at all: what the stop left half done (a zip archive with a part left open) fails in its finalizer
    as it is freed, and that is no news to the user who stopped it."""
    sys.unraisablehook = _unraisable


def _unraisable(unraisable: sys.UnraisableHookArgs) -> None:
    if stopped is not None or (unraisable.exc_type is not None and issubclass(unraisable.exc_type, STOPS)):
        return
    sys.__unraisablehook__(unraisable)


def collect_garbage() -> None:
    """Free what a build left in reference cycles, with Ctrl-C and SIGTERM held back meanwhile
    (`signals_held`): collecting runs finalizers (WeasyPrint's `FontConfiguration.__del__`, say), and a
    signal handled inside one raises where Python discards the exception, so a watch asked to stop went on
    watching. Held back, the signal is handled once the collection is done."""
    with signals_held():
        gc.collect()


@contextmanager
def signals_blocked(*signums: int) -> Iterator[None]:
    """Block `signums` in this thread while the block runs: one that comes meanwhile is delivered after. A
    process started meanwhile starts with them blocked, and keeps them so unless it unblocks them."""
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, signums)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


@contextmanager
def signals_held() -> Iterator[None]:
    """Hold Ctrl-C, SIGTERM and SIGHUP back while the block runs, and raise them after it: for work that
    must not stop half done (moving a build's files into place), where a raised signal would be lost, or
    where it would abort the process (`libraries.load_pikepdf`).

    Python runs its signal handlers in the main thread whichever thread the signal reached, so blocking the
    signals in this thread is not enough where others run (a watch's file watcher is a thread of its own):
    meanwhile the handlers only note the signals, and those noted are raised again after. In another thread
    no handler runs, and the block runs as it is."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    noted: list[int] = []

    def note(signum: int, frame: FrameType | None) -> None:
        noted.append(signum)

    stops = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    held = [signum for signum in stops if signal.getsignal(signum) is not None]
    previous = {signum: signal.signal(signum, note) for signum in held}  # (None: a handler set in C, kept)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        for again in dict.fromkeys(noted):  # each once, in the order they came
            signal.raise_signal(again)
