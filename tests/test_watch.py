"""Watch mode: a change to case.yaml, an evidence file or a template builds the case again through the cache;
a broken change reports its error and keeps watching, with the previous outputs kept."""

from __future__ import annotations

import gc
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from pypdf import PdfReader

from pipeline.build import BuildOptions
from pipeline.limits import Terminated
from pipeline.watch import _build, watch
from tests.conftest import ROOT, MakeCase, fill, group_alive, office_group
from tests.samples import text_pdf


def put(target: Path, content: str | bytes) -> None:
    """Replace a file in one step, as an editor saving it does (so the watch sees one change)."""
    scratch = target.parent.parent.parent / f"scratch-{target.name}"
    if isinstance(content, str):
        scratch.write_text(content, encoding="utf-8")
    else:
        scratch.write_bytes(content)
    os.replace(scratch, target)


def text(pdf: Path) -> str:
    return "".join(page.extract_text() for page in PdfReader(pdf).pages)


class Session:
    """The watch runs in the test's main thread (builds need its signal handlers); the edits run in a
    thread of their own, each waiting for the line that says the previous build ended."""

    def __init__(self) -> None:
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        self.stop = threading.Event()
        self.failure: BaseException | None = None

    def report(self, line: str) -> None:
        self.seen.append(line)
        self.lines.put(line)

    def wait_for(self, start: str, timeout: float = 120) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=1)
            except queue.Empty:
                continue
            if line.startswith(start):
                return line
        raise AssertionError(f"no line starting {start!r} within {timeout} s; saw {self.seen}")


def watched(case: Path, output: Path, session: Session, edit: Callable[[], None]) -> int:
    """Watch `case` while `edit`, in a thread, saves files and waits for the watch's lines; then stop it. The
    number of builds; whatever `edit` raised is raised here."""

    def editing() -> None:
        try:
            edit()
        except BaseException as failure:  # reported to the main thread
            session.failure = failure
        finally:
            session.stop.set()

    editor = threading.Thread(target=editing)
    editor.start()
    builds = watch(case, BuildOptions(output_root=output), session.report, stop=session.stop, debounce_ms=200)
    editor.join(timeout=60)
    if session.failure is not None:
        raise session.failure
    return builds


def test_watch_builds_again_after_each_change(make_case: MakeCase, tmp_path: Path) -> None:
    case = make_case()
    output = tmp_path / "out"
    session = Session()
    letter = output / "acme" / "appeal_letter.pdf"

    def edit() -> None:
        session.wait_for("watching")
        first = (output / "acme" / "bundle.pdf").read_bytes()

        # case.yaml: the letter follows, and only what the data feeds is made again.
        data = (case / "case.yaml").read_text(encoding="utf-8")
        put(case / "case.yaml", data.replace("Shenzhen", "Guangzhou"))
        session.wait_for("changed: case.yaml")
        built = session.wait_for("built ")
        assert "parts reused" in built, built
        pages = len(PdfReader(output / "acme" / "bundle.pdf").pages)
        assert f"/acme/bundle.pdf ({pages} pages) in " in built, built
        assert "Guangzhou" in text(letter)

        # An evidence file replaced under the same name.
        invoice = text_pdf(tmp_path / "invoice.pdf", ["WATCHED INVOICE"]).read_bytes()
        put(case / "evidence" / "invoice_hengtai_2024-01.pdf", invoice)
        session.wait_for("changed: evidence/invoice_hengtai_2024-01.pdf")
        session.wait_for("built ")
        assert "WATCHED INVOICE" in text(output / "acme" / "bundle.pdf")

        # A broken case.yaml: the error is reported, the outputs stay, the watch goes on.
        kept = (output / "acme" / "bundle.pdf").read_bytes()
        put(case / "case.yaml", "merchant: [unclosed\n")
        error = session.wait_for("error: ")
        assert "case.yaml" in error
        session.wait_for("build failed")
        assert (output / "acme" / "bundle.pdf").read_bytes() == kept != first

        # A template of the case's own, and the case fixed again.
        put(case / "case.yaml", data)
        session.wait_for("built ")
        templates = tmp_path / "templates"
        templates.mkdir()
        (templates / "cs_inquiry.txt").write_text("WATCHED TEMPLATE {{ case.number }}\n", "utf-8")
        os.replace(templates, case / "templates")
        session.wait_for("changed: templates")
        session.wait_for("built ")
        assert (output / "acme" / "cs_inquiry.txt").read_text(encoding="utf-8").startswith("WATCHED")

    assert watched(case, output, session, edit) >= 6


def test_a_watch_without_the_cache_builds_without_it(make_case: MakeCase, tmp_path: Path) -> None:
    """`--watch --no-cache` was taken, then ignored: every build went through the cache, so a damaged entry
    could not be got around while watching."""
    case, output, session = make_case(), tmp_path / "out", Session()

    def edit() -> None:
        try:
            session.wait_for("watching")
        finally:
            session.stop.set()

    editor = threading.Thread(target=edit)
    editor.start()
    watch(case, BuildOptions(output_root=output, cache=False), session.report, stop=session.stop)
    editor.join(timeout=60)
    assert session.seen[0].startswith("built "), session.seen
    assert not (output / ".cache").exists()


def test_a_watch_frees_each_build_s_garbage_before_the_next(make_case: MakeCase, tmp_path: Path) -> None:
    lines: list[str] = []
    gc.disable()  # only the watch's own collection may free them
    try:
        _build(make_case(), BuildOptions(output_root=tmp_path / "out"), lines.append)
        left = gc.collect()
    finally:
        gc.enable()
    assert lines[0].startswith("built ")
    assert left < 1000, f"{left} objects of the build were still waiting for the collector"


def test_a_watch_on_a_full_disk_says_so_and_goes_on(make_case: MakeCase, small_disk: Path) -> None:
    """Once space is freed, the next save builds: the watch must not end, nor blame the step that failed."""
    lines: list[str] = []
    fill(small_disk, leave=300_000)
    _build(make_case(), BuildOptions(output_root=small_disk / "out"), lines.append)
    assert lines[0].startswith(
        f"error: the disk is full (no space left while writing {small_disk / 'out'}"
    ), lines
    assert lines[1].startswith("build failed after ")


UNEXPECTED = (
    "error: the build failed unexpectedly (RuntimeError: a bug in the build); build the case once without "
    "--watch, with --debug, and report the output"
)


def test_an_unexpected_failure_is_said_and_the_watch_builds_again(
    make_case: MakeCase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug that breaks one build (no user error) used to end the watch with exit 70: someone editing
    their case lost it. It is said in one line, and the next save builds."""
    import pipeline.build

    real = pipeline.build.build
    calls = []

    def build_with_a_bug(
        case_folder: Path, options: BuildOptions | None = None
    ) -> pipeline.build.BuildResult:
        calls.append(case_folder)
        if len(calls) == 1:
            raise RuntimeError("a bug in the build")
        return real(case_folder, options)

    monkeypatch.setattr(pipeline.build, "build", build_with_a_bug)
    case, output = make_case(), tmp_path / "out"
    session = Session()

    def edit() -> None:
        assert session.wait_for("error: ") == UNEXPECTED
        failed = session.wait_for("build failed after ")  # (no earlier outputs: none to keep)
        assert failed.endswith("; nothing was written"), failed
        session.wait_for("watching")
        data = (case / "case.yaml").read_text(encoding="utf-8")
        put(case / "case.yaml", data.replace("Shenzhen", "Guangzhou"))
        session.wait_for("changed: case.yaml")
        session.wait_for("built ")

    assert watched(case, output, session, edit) == 2
    assert "Guangzhou" in text(output / "acme" / "appeal_letter.pdf")


@pytest.mark.parametrize("stop", [KeyboardInterrupt, Terminated], ids=["Ctrl-C", "SIGTERM"])
def test_a_stop_during_a_build_still_ends_the_watch(
    make_case: MakeCase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stop: type[BaseException]
) -> None:
    """Only failures are said and watched past: a stop reaches `watch`, which ends."""
    import pipeline.build

    def stopped(case_folder: Path, options: BuildOptions | None = None) -> None:
        raise stop

    monkeypatch.setattr(pipeline.build, "build", stopped)
    lines: list[str] = []
    with pytest.raises(stop):
        _build(make_case(), BuildOptions(output_root=tmp_path / "out"), lines.append)
    assert lines == []


def test_sigterm_right_after_a_rebuild_stops_the_watch(make_case: MakeCase, tmp_path: Path) -> None:
    """The watch collects each build's garbage as the build ends; a SIGTERM handled inside a finalizer run
    by that collection was dropped, and the watch went on watching."""
    case = make_case()
    (case / "templates").mkdir()
    log = tmp_path / "watch.log"
    command = [sys.executable, "-m", "pipeline", "-q", str(case), "-o", str(tmp_path / "out"), "--watch"]
    with log.open("w") as stderr:
        process = subprocess.Popen(command, cwd=ROOT, stderr=stderr)
    try:

        def wait_for(text: str, count: int = 1) -> None:
            deadline = time.monotonic() + 120
            while log.read_text().count(text) < count:
                assert process.poll() is None and time.monotonic() < deadline, log.read_text()
                time.sleep(0.05)

        wait_for("watching")
        office = office_group(process.pid)
        inquiry = (ROOT / "templates" / "cs_inquiry.html").read_text(encoding="utf-8")
        put(case / "templates" / "cs_inquiry.html", inquiry.replace("</h1>", " </h1>", 1))  # laid out again
        wait_for("built ", 2)
        process.terminate()  # as the rebuild's garbage is being collected
        assert process.wait(timeout=30) == 0
    finally:
        process.kill()
    assert log.read_text().rstrip().endswith("stopped watching")
    assert office is None or group_alive(office) == []


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["Ctrl-C", "SIGTERM"])
def test_a_watch_stopped_while_it_waits_says_so_in_plain_words(
    make_case: MakeCase, tmp_path: Path, stop: signal.Signals
) -> None:
    """Stopped between builds, the watch ends with its own line, not watchfiles' "KeyboardInterrupt caught,
    stopping watch" (Python's name for Ctrl-C means nothing to most users)."""
    log = tmp_path / "watch.log"
    command = [sys.executable, "-m", "pipeline", str(make_case()), "-o", str(tmp_path / "out"), "--watch"]
    with log.open("w") as stderr:
        process = subprocess.Popen(command, cwd=ROOT, stderr=stderr)
    try:
        deadline = time.monotonic() + 120
        while "watching" not in log.read_text():
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.05)
        process.send_signal(stop)
        assert process.wait(timeout=30) == 0
    finally:
        process.kill()
    lines = log.read_text().splitlines()
    assert lines[-1] == "stopped watching"
    assert "watching" in lines[-2], lines
