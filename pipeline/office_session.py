"""One LibreOffice kept running for many conversions: the office session of a batch.

`convert.office_to_pdf` starts a fresh LibreOffice for each build, unless an office session is open in the
process (`with office_session(): ...`, as a batch does, once per worker process): then it asks the session,
whose LibreOffice starts at the first conversion and runs until the session closes. Forty cases on two
workers start LibreOffice twice, not forty times.

The session runs `uno_bridge.py` with LibreOffice's Python in a process group of its own; the script starts
LibreOffice, with a private profile folder so it never collides with a LibreOffice the user has open, and
converts over UNO, one JSON line per file each way. The time limit covers one `office_to_pdf` call (the
start of LibreOffice included), as for a one-off run. A conversion past the limit, an interruption (Ctrl-C,
SIGTERM) or a crash kills the whole group, and the next conversion starts a new LibreOffice. Closing the
session kills the group too; should this process die without closing it, the script sees its input end and
kills the group itself.

One difference from one-off runs: LibreOffice numbers the Type 1 fonts it makes of OpenType (CFF) fonts, the
Chinese ones here, with a counter that runs for its whole life (`/UniqueID 4100001`, `4100002`...), so the
same document converted later in a session embeds them in other bytes; its text and pages are the same.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
import select
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from pipeline.errors import ConversionError, EnvironmentProblem

if TYPE_CHECKING:
    from pipeline.convert import Job

log = logging.getLogger(__name__)

BRIDGE = Path(__file__).with_name("uno_bridge.py")
SYSTEM_PYTHON = Path("/usr/bin/python3")
"""Debian's Python, which python3-uno gives LibreOffice's UNO bridge (build-appeal's own may be another)."""
NO_BRIDGE = (
    "LibreOffice's Python bridge is not installed; a batch keeps one LibreOffice running through it. "
    "Install it with `apt-get install python3-uno` (or run scripts/setup.sh)"
)

_current: OfficeSession | None = None


def find_soffice() -> str:
    """The LibreOffice program, or an EnvironmentProblem saying how to install it."""
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    raise EnvironmentProblem(
        "LibreOffice is not installed; it turns Word files into PDF. Install it with "
        "`apt-get install libreoffice-writer-nogui` (or run scripts/setup.sh)"
    )


def did_not_finish(name: str, timeout: float) -> ConversionError:
    """The error for a LibreOffice run stopped at its time limit while converting `name`."""
    return ConversionError(
        f"{name}: LibreOffice did not finish within {timeout:g} s and was stopped; open the file in "
        "Word or LibreOffice, save it again and retry, or raise the limit with --timeout"
    )


def wrote_no_pdf(name: str, detail: str) -> ConversionError:
    """The error for a file LibreOffice made no PDF of; `detail` is LibreOffice's own message, if any."""
    said = f": {detail}" if detail else ""
    return ConversionError(f"{name}: LibreOffice wrote no PDF{said}; is the file damaged?")


@contextmanager
def office_session() -> Iterator[OfficeSession]:
    """Keep one LibreOffice for every `office_to_pdf` of this process inside the block (a session already
    open is used as it is); LibreOffice is killed when the block ends, however it ends."""
    global _current
    if _current is not None:
        yield _current
        return
    session = _current = OfficeSession()
    try:
        yield session
    finally:
        _current = None
        session.stop()


def current_session() -> OfficeSession | None:
    """The office session open in this process, if any."""
    return _current


class _Stopped(Exception):
    """LibreOffice or the bridge stopped (crashed, killed, or could not start); the text says why."""


class OfficeSession:
    """A LibreOffice started on first use and kept for the next conversions, behind `uno_bridge.py`."""

    def __init__(self) -> None:
        self._process: subprocess.Popen[bytes] | None = None
        self._scratch: Path | None = None
        self._pipe = ""  # the name of the pipe LibreOffice listens on
        self._pending = b""  # what the bridge wrote past the last full line

    def convert(self, jobs: Sequence[Job], *, timeout: float) -> None:
        """Convert every job's source to PDF within `timeout` seconds in all; check each PDF exists, not
        empty. Raises ConversionError naming the file, as a one-off LibreOffice run does."""
        deadline = time.monotonic() + timeout
        for index, job in enumerate(jobs):
            try:
                answer, produced = self._convert(job, index, deadline)
            except TimeoutError as error:
                self.stop()
                raise did_not_finish(job.name, timeout) from error
            except _Stopped as error:
                self.stop()
                raise ConversionError(f"{job.name}: LibreOffice failed: {error}") from error
            except BaseException:  # interrupted (Ctrl-C, SIGTERM): LibreOffice's state is unknown
                self.stop()
                raise
            if not produced.is_file() or produced.stat().st_size == 0:
                raise wrote_no_pdf(job.name, str(answer.get("error", "")))
            job.target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(produced, job.target)

    def _convert(self, job: Job, index: int, deadline: float) -> tuple[dict[str, Any], Path]:
        """Have the bridge convert a copy of the job's file (LibreOffice dislikes odd characters in names);
        its answer, and where the PDF is."""
        started_before = self._process is not None
        if self._process is None:
            self._start(deadline)
        assert self._scratch is not None
        files = self._scratch / "files"
        shutil.rmtree(files, ignore_errors=True)  # the previous conversion's files
        files.mkdir()
        source = files / f"{index:04d}{job.source.suffix.lower()}"
        shutil.copyfile(job.source, source)
        produced = source.with_suffix(".pdf")
        try:
            return self._ask({"source": str(source), "target": str(produced)}, deadline), produced
        except _Stopped:
            if not started_before:
                raise
        # A LibreOffice that converted other files before may have died of its own: once more, in a new one.
        self.stop()
        return self._convert(job, index, deadline)

    def _start(self, deadline: float) -> None:
        """Start the bridge (which starts LibreOffice) in a new process group; wait until it is ready."""
        soffice = find_soffice()
        python = next((str(path) for path in _pythons(soffice) if os.access(path, os.X_OK)), None)
        if python is None:
            raise EnvironmentProblem(NO_BRIDGE)
        self._scratch = Path(tempfile.mkdtemp(prefix="build-appeal-lo-"))
        self._pipe = pipe = f"build-appeal-{os.getpid()}-{secrets.token_hex(8)}"
        env = {**os.environ, "SAL_USE_VCLPLUGIN": "svp", "HOME": os.environ.get("HOME", "/tmp")}
        log.debug("LibreOffice: starting a session in %s", self._scratch)
        with open(self._scratch / "office.log", "wb") as office_log:
            self._process = subprocess.Popen(
                [python, str(BRIDGE), soffice, (self._scratch / "profile").as_uri(), pipe],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=office_log,
                start_new_session=True,
                env=env,
            )
        self._pending = b""
        answer = self._read(deadline)
        if "unavailable" in answer:
            raise EnvironmentProblem(f"{NO_BRIDGE} ({answer['unavailable']})")

    def _ask(self, request: dict[str, str], deadline: float) -> dict[str, Any]:
        """Send one request and wait until `deadline` for its answer."""
        assert self._process is not None and self._process.stdin is not None
        try:
            self._process.stdin.write(json.dumps(request).encode() + b"\n")
            self._process.stdin.flush()
        except BrokenPipeError as error:
            raise _Stopped(self._last_words()) from error
        return self._read(deadline)

    def _read(self, deadline: float) -> dict[str, Any]:
        """The bridge's next answer; TimeoutError past `deadline`, _Stopped if the bridge ended first."""
        assert self._process is not None and self._process.stdout is not None
        stdout: IO[bytes] = self._process.stdout
        while b"\n" not in self._pending:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([stdout], [], [], left)[0]:
                raise TimeoutError
            chunk = os.read(stdout.fileno(), 65536)
            if not chunk:
                raise _Stopped(self._last_words())
            self._pending += chunk
        line, _, self._pending = self._pending.partition(b"\n")
        answer: dict[str, Any] = json.loads(line)
        if "crashed" in answer:
            raise _Stopped(answer["crashed"])
        return answer

    def _last_words(self) -> str:
        """The last line LibreOffice or the bridge wrote to the log, to say why it stopped."""
        assert self._scratch is not None
        lines = (self._scratch / "office.log").read_text("utf-8", "replace").strip().splitlines()
        return lines[-1] if lines else "it stopped unexpectedly"

    def stop(self) -> None:
        """Kill LibreOffice and the bridge (their whole process group) and remove the profile. The session
        stays usable: the next conversion starts them again."""
        process, scratch = self._process, self._scratch
        self._process = self._scratch = None
        if process is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=10)
            for stream in (process.stdin, process.stdout):
                if stream is not None:
                    with contextlib.suppress(OSError):
                        stream.close()
            for folder in ("/tmp", "/var/tmp"):  # the pipe's socket, which a killed LibreOffice leaves
                Path(folder, f"OSL_PIPE_{os.getuid()}_{self._pipe}").unlink(missing_ok=True)
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)


def _pythons(soffice: str) -> list[Path]:
    """Pythons that may have LibreOffice's UNO bridge: the one LibreOffice's own builds ship beside the
    program, then Debian's."""
    return [Path(os.path.realpath(soffice)).parent / "python", SYSTEM_PYTHON]
