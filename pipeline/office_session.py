"""One LibreOffice kept running for many conversions: the office session of a batch or a watch.

`convert.office_to_pdf` starts a fresh LibreOffice for each build, unless an office session is open in the
process (`with office_session(): ...`, as a batch does, once per worker process): then it asks the session,
whose LibreOffice starts at the first conversion and runs until the session closes. Forty cases on two
workers start LibreOffice twice, not forty times. A session hands its files over and returns: LibreOffice
converts while the build goes on.

A single build opens an optional session and starts its LibreOffice at once (`warm_up`), before importing
the rest of the package, when the case's Word sources changed since the last bundle: LibreOffice is ready
by the time the Word documents are merged, instead of starting then (0.6 s of the example's build).

The session runs `uno_bridge.py` with LibreOffice's Python in a process group of its own; the script starts
LibreOffice, with a private profile folder so it never collides with a LibreOffice the user has open, and
converts over UNO, one JSON line per file each way. The time limit covers one `office_to_pdf` call (the
start of LibreOffice included), as for a one-off run. A conversion past the limit, an interruption (Ctrl-C,
SIGTERM) or a crash kills the whole group, and the next conversion starts a new LibreOffice. Closing the
session kills the group too; should this process die without closing it, the script sees its input end and
kills the group itself.

Whatever a document links to, LibreOffice fetches nothing (defence in depth: the evidence copies are cleaned
too): every profile it starts with, one-off or in a session, is made by `new_profile`, whose settings block
the pictures a document links to, on the web or in a file (`BlockUntrustedRefererLinks`: the `r:link` of a
Word file, the `xlink:href` of an OpenDocument one), and never update links or run macros; and LibreOffice
runs `offline`, in a network namespace of its own, where the system allows one. Two file reads no setting
stops in LibreOffice 7.4: a picture an RTF file's INCLUDEPICTURE field names, and one an SVG picture's
`<image>` names; only the cleaning of the copies keeps those out.

One difference from one-off runs: LibreOffice numbers the Type 1 fonts it makes of OpenType (CFF) fonts, the
Chinese ones here, with a counter that runs for its whole life (`/UniqueID 4100001`, `4100002`...), so the
same document converted later in a session embeds them in other bytes; its text and pages are the same.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
import secrets
import select
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from pipeline.errors import ConversionError, EnvironmentProblem
from pipeline.leftovers import Scratch
from pipeline.processes import kill_group

if TYPE_CHECKING:
    from pipeline.convert import Job

log = logging.getLogger(__name__)

BRIDGE = Path(__file__).with_name("uno_bridge.py")
OFFICE_SCRATCH = "build-appeal-lo-"
"""The name LibreOffice's scratch folders begin with, one-off or in a session (pipeline.leftovers)."""
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


PROFILE_SETTINGS = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" \
xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Common/Security/Scripting">\
<prop oor:name="BlockUntrustedRefererLinks" oor:op="fuse"><value>true</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Security/Scripting">\
<prop oor:name="MacroSecurityLevel" oor:op="fuse"><value>3</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Security/Scripting">\
<prop oor:name="DisableMacrosExecution" oor:op="fuse"><value>true</value></prop></item>
<item oor:path="/org.openoffice.Office.Writer/Content/Update">\
<prop oor:name="Link" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Content/Update">\
<prop oor:name="Link" oor:op="fuse"><value>1</value></prop></item>
</oor:items>
"""
"""The settings of every profile LibreOffice starts with: pictures linked from the web or from files are
left out (BlockUntrustedRefererLinks: a document's links are trusted only from trusted locations, and none
is set), macros never run (level 3, very high, and their execution disabled), and links are never updated
(Writer 0 and Calc 1 both mean never)."""


def new_profile(folder: Path) -> str:
    """Make a LibreOffice profile folder with `PROFILE_SETTINGS`; its URL, for `-env:UserInstallation`."""
    (folder / "user").mkdir(parents=True)
    (folder / "user" / "registrymodifications.xcu").write_text(PROFILE_SETTINGS, "utf-8")
    return folder.as_uri()


def offline(command: list[str]) -> list[str]:
    """`command` run without a network: in a network namespace of its own (a loopback, down, and nothing
    else), where the system allows one to be made; else as it is, the profile's settings only keeping
    LibreOffice from the web. The process keeps its id (unshare runs the command in its place), and the
    named pipe of a session, a socket in /tmp, is reached across namespaces."""
    return [*_unshare_network(), *command]


@functools.cache
def _unshare_network() -> tuple[str, ...]:
    """The `unshare` command that runs a program in a new network namespace: as root directly, else in a
    user namespace mapping the user to itself; () where neither is allowed (a container that forbids it)."""
    unshare = shutil.which("unshare")
    if unshare is not None:
        for flags in (("--net",), ("--map-current-user", "--net")):
            with contextlib.suppress(OSError, subprocess.SubprocessError):
                tried = subprocess.run([unshare, *flags, "true"], capture_output=True, timeout=10)
                if tried.returncode == 0:
                    return (unshare, *flags)
    log.debug("LibreOffice: no network namespace can be made here; its settings alone keep it offline")
    return ()


def office_environment(scratch: Path) -> dict[str, str]:
    """The environment LibreOffice runs in, one-off or in a session: headless drawing, a home folder, and
    its temporary files in its `scratch` folder, removed with it (it left an `lu*.tmp` folder in /tmp at
    every start)."""
    temporary = scratch / "tmp"
    temporary.mkdir(exist_ok=True)
    home = os.environ.get("HOME", "/tmp")
    return {**os.environ, "SAL_USE_VCLPLUGIN": "svp", "HOME": home, "TMPDIR": str(temporary)}


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
def office_session(*, optional: bool = False) -> Iterator[OfficeSession]:
    """Keep one LibreOffice for every `office_to_pdf` of this process inside the block (a session already
    open is used as it is); LibreOffice is killed when the block ends, however it ends. An `optional`
    session is one opened on speculation (`OfficeSession.warm_up`): where its LibreOffice cannot start or
    has no UNO bridge, conversions go to one-off LibreOffice runs as without a session."""
    global _current
    if _current is not None:
        yield _current
        return
    session = _current = OfficeSession(optional=optional)
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
    """A LibreOffice started on first use (or earlier, `warm_up`) and kept for the next conversions, behind
    `uno_bridge.py`."""

    def __init__(self, *, optional: bool = False) -> None:
        self.optional = optional
        self._process: subprocess.Popen[bytes] | None = None
        self._scratch: Scratch | None = None
        self._pipe = ""  # the name of the pipe LibreOffice listens on
        self._pending = b""  # what the bridge wrote past the last full line
        self._ready = False  # the bridge said LibreOffice answers
        self._used = False  # this LibreOffice has converted a file
        self._batches = 0  # conversions handed over, for the names of their files

    def warm_up(self) -> None:
        """Start LibreOffice now without waiting for it, so that it is ready by the first conversion: a
        single build starts it before importing the rest of itself and merging its templates. Quietly does
        nothing if LibreOffice cannot be started; the first conversion says why."""
        if self._process is not None:
            return
        try:
            self._spawn()
        except (EnvironmentProblem, OSError) as error:
            log.debug("LibreOffice: not started early (%s)", error)
            self.stop()

    def can_convert(self) -> bool:
        """Whether conversions should go to this session: always, unless it is optional and its LibreOffice
        could not start or has no UNO bridge (then a one-off LibreOffice converts)."""
        if not self.optional:
            return True
        if self._process is None:
            return False
        if not self._ready:
            try:
                self._wait_ready(time.monotonic())  # a look, no wait: the bridge may still be starting
            except TimeoutError:
                return True
            except (EnvironmentProblem, _Stopped) as error:
                log.debug("LibreOffice: the early start failed (%s); a one-off run converts", error)
                self.stop()
                return False
        return True

    def convert(self, jobs: Sequence[Job], *, timeout: float) -> None:
        """Convert every job's source to PDF within `timeout` seconds in all; check each PDF exists, not
        empty. Raises ConversionError naming the file, as a one-off LibreOffice run does."""
        self.converting(jobs, timeout=timeout)()

    def converting(self, jobs: Sequence[Job], *, timeout: float) -> Callable[[], None]:
        """Hand every job to LibreOffice and return at once; the function handed back waits (until
        `timeout` seconds from now) for the PDFs, puts each in place, and raises as `convert` does."""
        deadline = time.monotonic() + timeout
        reused = self._used  # a LibreOffice that converted before may have died since, of its own
        if self._process is None:
            self._spawn()
        assert self._scratch is not None
        self._batches += 1
        files = self._scratch.path / f"files-{self._batches}"
        files.mkdir()
        staged = []
        for index, job in enumerate(jobs):  # copies: LibreOffice dislikes odd characters in names
            source = files / f"{index:04d}{job.source.suffix.lower()}"
            shutil.copyfile(job.source, source)
            staged.append((source, source.with_suffix(".pdf")))
        self._used = True
        try:
            for source, produced in staged:  # the bridge queues them until LibreOffice answers
                self._send({"source": str(source), "target": str(produced)})
        except _Stopped:
            pass  # the bridge is gone: reading its answers says why

        def finish() -> None:
            for position, (job, (_, produced)) in enumerate(zip(jobs, staged, strict=True)):
                try:
                    if not self._ready:
                        self._wait_ready(deadline)
                    answer = self._read(deadline)
                except TimeoutError as error:
                    self.stop()
                    raise did_not_finish(job.name, timeout) from error
                except _Stopped as error:
                    self.stop()
                    if reused and position == 0:  # once more, in a new LibreOffice
                        self.convert(jobs, timeout=max(deadline - time.monotonic(), 0.1))
                        return
                    raise ConversionError(f"{job.name}: LibreOffice failed: {error}") from error
                except BaseException:  # interrupted (Ctrl-C, SIGTERM): LibreOffice's state is unknown
                    self.stop()
                    raise
                if not produced.is_file() or produced.stat().st_size == 0:
                    self._skip(len(jobs) - position - 1, deadline)
                    raise wrote_no_pdf(job.name, str(answer.get("error", "")))
                job.target.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(produced, job.target)
            shutil.rmtree(files, ignore_errors=True)

        return finish

    def _skip(self, answers: int, deadline: float) -> None:
        """Read the answers still due for a conversion that failed, so the next one reads its own; a
        LibreOffice that does not give them is stopped (the next conversion starts another)."""
        try:
            for _ in range(answers):
                self._read(deadline)
        except (TimeoutError, _Stopped):
            self.stop()

    def _spawn(self) -> None:
        """Start the bridge, which starts LibreOffice, in a new process group; do not wait for it."""
        soffice = find_soffice()
        python = next((str(path) for path in _pythons(soffice) if os.access(path, os.X_OK)), None)
        if python is None:
            raise EnvironmentProblem(NO_BRIDGE)
        self._scratch = scratch = Scratch(OFFICE_SCRATCH)
        self._pipe = pipe = f"build-appeal-{os.getpid()}-{secrets.token_hex(8)}"
        log.debug("LibreOffice: starting a session in %s", scratch.path)
        with open(scratch.path / "office.log", "wb") as office_log:
            self._process = subprocess.Popen(
                offline([python, str(BRIDGE), soffice, new_profile(scratch.path / "profile"), pipe]),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=office_log,
                start_new_session=True,
                env=office_environment(scratch.path),
            )
        self._pending = b""

    def _wait_ready(self, deadline: float) -> None:
        """Read the bridge's first line: LibreOffice answers, or the bridge cannot run (EnvironmentProblem);
        TimeoutError if it has not said yet by `deadline`."""
        answer = self._read(deadline)
        if "unavailable" in answer:
            raise EnvironmentProblem(f"{NO_BRIDGE} ({answer['unavailable']})")
        self._ready = True

    def _send(self, request: dict[str, str]) -> None:
        """Send one request (the bridge answers each in turn)."""
        assert self._process is not None and self._process.stdin is not None
        try:
            self._process.stdin.write(json.dumps(request).encode() + b"\n")
            self._process.stdin.flush()
        except BrokenPipeError as error:
            raise _Stopped(self._last_words()) from error

    def _read(self, deadline: float) -> dict[str, Any]:
        """The bridge's next answer; TimeoutError past `deadline`, _Stopped if the bridge ended first."""
        assert self._process is not None and self._process.stdout is not None
        stdout: IO[bytes] = self._process.stdout
        while b"\n" not in self._pending:
            left = max(deadline - time.monotonic(), 0)  # past the deadline: only what is there already
            if not select.select([stdout], [], [], left)[0]:
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
        lines = (self._scratch.path / "office.log").read_text("utf-8", "replace").strip().splitlines()
        return lines[-1] if lines else "it stopped unexpectedly"

    def stop(self) -> None:
        """Kill LibreOffice and the bridge (their whole process group) and remove the profile. The session
        stays usable: the next conversion starts them again."""
        process, scratch = self._process, self._scratch
        self._process = self._scratch = None
        self._ready = self._used = False
        if process is not None:
            kill_group(process)  # every member gone, a LibreOffice killed while it started included
            for stream in (process.stdin, process.stdout):
                if stream is not None:
                    with contextlib.suppress(OSError):
                        stream.close()
            for folder in ("/tmp", "/var/tmp"):  # the pipe's socket, which a killed LibreOffice leaves
                Path(folder, f"OSL_PIPE_{os.getuid()}_{self._pipe}").unlink(missing_ok=True)
        if scratch is not None:
            scratch.remove()


def _pythons(soffice: str) -> list[Path]:
    """Pythons that may have LibreOffice's UNO bridge: the one LibreOffice's own builds ship beside the
    program, then Debian's."""
    return [Path(os.path.realpath(soffice)).parent / "python", SYSTEM_PYTHON]
