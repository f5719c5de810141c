"""Time limits, interruption and concurrent builds: nothing partial is ever left behind."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result

import pipeline.outputs
from pipeline.build import fewer_collections
from pipeline.cli import main
from pipeline.context import Context
from pipeline.convert import LocalFilesOnly, html_document
from pipeline.errors import ConversionError, TemplateError
from pipeline.limits import Terminated, collect_garbage, stop_on_signals, stops_unmasked
from pipeline.load import load_case
from pipeline.model import Language
from pipeline.outputs import MANIFEST, publish
from pipeline.render import Templates
from tests.conftest import NEVER_ENDS, ROOT, MakeCase, fill, group_alive, office_group, snapshot

BUILD_APPEAL = str(Path(sys.executable).with_name("build-appeal"))


def never_ending_inquiry(make_case: MakeCase, timeout: float) -> tuple[Templates, Context]:
    folder = make_case(evidence=False)
    (folder / "templates").mkdir()
    (folder / "templates" / "cs_inquiry.html").write_text(NEVER_ENDS, "utf-8")
    templates = Templates(folder / "templates", timeout=timeout)
    return templates, Context(load_case(folder).data, [], dt.date(2024, 3, 18), Language.EN)


def test_a_template_that_never_ends_is_stopped(make_case: MakeCase, tmp_path: Path) -> None:
    templates, context = never_ending_inquiry(make_case, timeout=1)
    started = time.monotonic()
    with pytest.raises(
        TemplateError, match=r"cs_inquiry\.html: rendering took longer than 1 s and was stopped"
    ):
        templates.render(templates.find("cs_inquiry"), context, tmp_path)
    assert time.monotonic() - started < 5


def test_a_template_stopped_after_making_much_output_still_gives_the_templates_error(
    make_case: MakeCase, tmp_path: Path
) -> None:
    # Freeing millions of half-made strings takes longer than the alarm's repeat: the repeated alarm must
    # not escape the limit as a bare TimeUp (a traceback for the user). It did, with the garbage collector
    # set as a build sets it.
    templates, context = never_ending_inquiry(make_case, timeout=4)
    with fewer_collections(), pytest.raises(TemplateError, match=r"cs_inquiry\.html: rendering took longer"):
        templates.render(templates.find("cs_inquiry"), context, tmp_path)


def test_a_range_beyond_the_sandbox_limit_is_refused(make_case: MakeCase, tmp_path: Path) -> None:
    folder = make_case(evidence=False)
    (folder / "templates").mkdir()
    (folder / "templates" / "cs_inquiry.html").write_text("{% for i in range(10**9) %}x{% endfor %}", "utf-8")
    templates = Templates(folder / "templates")
    context = Context(load_case(folder).data, [], dt.date(2024, 3, 18), Language.EN)
    with pytest.raises(TemplateError, match=r"cs_inquiry\.html:1: Range too big"):
        templates.render(templates.find("cs_inquiry"), context, tmp_path)


def test_a_document_too_long_to_lay_out_is_stopped(tmp_path: Path) -> None:
    rows = "".join(f"<tr><td>{n}</td><td>row</td></tr>" for n in range(300_000))
    started = time.monotonic()
    with pytest.raises(
        ConversionError, match=r"^huge\.html: WeasyPrint did not finish within 1 s and was stopped"
    ):
        fetcher = LocalFilesOnly([tmp_path])
        html_document(f"<table>{rows}</table>", base=tmp_path, fetcher=fetcher, name="huge.html", timeout=1)
    assert time.monotonic() - started < 10


def _interruptible() -> None:
    """A job started in the background by a script inherits SIGINT ignored, and Python then installs no
    Ctrl-C handler (and under `nohup`, SIGHUP ignored); give the build the signals a user at a terminal
    would have."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGHUP, signal.SIG_DFL)


def start_build(folder: Path, output: Path, *options: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [BUILD_APPEAL, str(folder), "-o", str(output), *options],
        preexec_fn=_interruptible,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.parametrize("sent", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_an_interrupted_build_leaves_nothing_behind(
    make_case: MakeCase, tmp_path: Path, sent: signal.Signals
) -> None:
    """SIGHUP: the terminal closed (a paralegal closing the window); it used to kill the build on the spot,
    its scratch folders left behind."""
    folder = make_case()
    output = tmp_path / "out"
    first = subprocess.run(
        [BUILD_APPEAL, "-q", str(folder), "-o", str(output)], capture_output=True, text=True
    )
    assert first.returncode == 0, first.stderr
    before, case_before = snapshot(output / "acme"), snapshot(folder)
    process = start_build(folder, output, "--no-cache")  # else the letter's PDF comes from the cache
    deadline = time.monotonic() + 30
    group = None
    while group is None and time.monotonic() < deadline:  # interrupt while LibreOffice works
        group = office_group(process.pid)
        time.sleep(0.05)
    assert group is not None, "LibreOffice never started"
    process.send_signal(sent)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 128 + sent, err
    said = "interrupted" if sent == signal.SIGINT else f"stopped ({sent.name})"
    assert err.splitlines()[-1] == f"{said}; nothing was written" and "Traceback" not in err
    assert snapshot(output / "acme") == before and snapshot(folder) == case_before
    assert sorted(path.name for path in output.iterdir()) == [".acme.lock", ".cache", "acme"]  # no scratch
    assert group_alive(group) == []
    again = subprocess.run(
        [BUILD_APPEAL, "-q", str(folder), "-o", str(output)], capture_output=True, text=True
    )
    assert again.returncode == 0, again.stderr


HOLDS_A_SCRATCH_FOLDER = """
import sys
from pipeline.leftovers import Scratch
scratch = Scratch("build-appeal-lo-")
print(scratch.path, flush=True)
sys.stdin.read()
"""


def test_what_a_build_killed_outright_left_is_removed_by_the_next_build(
    make_case: MakeCase, tmp_path: Path
) -> None:
    """SIGKILL (or the system out of memory) runs no clean-up: the staging folder beside the outputs and
    LibreOffice's scratch folder stayed for good. The next build removes them, and no folder a running
    process holds."""
    folder, output, temporary = make_case(), tmp_path / "out", tmp_path / "tmp"
    temporary.mkdir()
    environment = {**os.environ, "TMPDIR": str(temporary)}
    killed = subprocess.Popen(
        [BUILD_APPEAL, "-q", "--no-cache", str(folder), "-o", str(output)],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline, group = time.monotonic() + 30, None
    while not (group and list(output.glob(".acme.building-*"))) and time.monotonic() < deadline:
        group = office_group(killed.pid)  # killed while LibreOffice works, with its files staged
        time.sleep(0.02)
    assert group is not None, "LibreOffice never started"
    killed.kill()
    killed.wait()
    while group_alive(group) and time.monotonic() < deadline + 10:  # its bridge ends LibreOffice
        time.sleep(0.1)
    staged, [office] = list(output.glob(".acme.building-*")), list(temporary.glob("build-appeal-lo-*"))
    assert len(staged) == 1
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDS_A_SCRATCH_FOLDER],
        cwd=ROOT,
        env=environment,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None
    held = Path(holder.stdout.readline().strip())
    an_hour_ago = time.time() - 3600
    for old in (office, held):
        os.utime(old, (an_hour_ago, an_hour_ago))
    again = subprocess.run(
        [BUILD_APPEAL, "-q", "--no-cache", str(folder), "-o", str(output)],
        env=environment,
        capture_output=True,
        text=True,
    )
    assert again.returncode == 0, again.stderr
    assert not list(output.glob(".acme.building-*"))
    assert list(temporary.glob("build-appeal-lo-*")) == [held]  # the killed build's gone, the held one kept
    holder.communicate("")
    for socket_folder in {temporary, Path("/tmp"), Path("/var/tmp")}:
        assert not list(socket_folder.glob(f"OSL_PIPE_*_build-appeal-{killed.pid}-*"))


def test_two_builds_of_one_case_at_once_both_succeed(make_case: MakeCase, tmp_path: Path) -> None:
    folder = make_case()
    output = tmp_path / "out"
    builds = [start_build(folder, output), start_build(folder, output)]
    results = [build.communicate(timeout=180) for build in builds]
    assert [build.returncode for build in builds] == [0, 0], [err for _, err in results]
    check = subprocess.run(
        ["qpdf", "--check", str(output / "acme" / "bundle.pdf")], capture_output=True, text=True
    )
    assert check.returncode == 0
    import json

    manifest = json.loads((output / "acme" / "manifest.json").read_text(encoding="utf-8"))
    import hashlib

    for name, digest in manifest["outputs"].items():
        assert hashlib.sha256((output / "acme" / name).read_bytes()).hexdigest() == digest
    assert ROOT.exists()


class StopsWhileCollected:
    """Garbage whose finalizer asks this process to stop, as SIGTERM arriving while a collection runs
    WeasyPrint's FontConfiguration.__del__ does; it goes on a moment after, so that a signal another
    thread received is handled while it runs."""

    def __init__(self) -> None:
        self.me = self  # a cycle: only the collector frees it

    def __del__(self) -> None:
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(0.05)
        str(self)  # a call: where Python runs the handlers of signals received meanwhile


@pytest.mark.parametrize("threads", [0, 1], ids=["alone", "with another thread"])
def test_a_stop_asked_for_while_garbage_is_collected_is_not_lost(threads: int) -> None:
    """With another thread (a watch's file watcher), the signal can reach that thread, and Python still
    runs the handler in the main one, in the finalizer: blocking it in the main thread is not enough."""
    stop_on_signals()  # (the test process's own handlers are put back after: `conftest._stops_as_they_were`)
    done = threading.Event()
    others = [threading.Thread(target=done.wait, daemon=True) for _ in range(threads)]
    for thread in others:
        thread.start()
    try:
        StopsWhileCollected()
        with pytest.raises(Terminated):  # handled in the finalizer, it would be printed and dropped
            collect_garbage()
    finally:
        done.set()


def test_a_stop_asked_for_while_the_files_are_moved_into_place_waits_until_all_are(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stopped half way, an output folder would hold the new bundle beside the old letter and manifest."""
    staged, output = tmp_path / "staged", tmp_path / "out"
    staged.mkdir()
    names = ["bundle.pdf", "appeal_letter.pdf", MANIFEST]
    for name in names:
        (staged / name).write_text(name, encoding="utf-8")
    real_replace = os.replace

    def replace(source: Path, target: Path) -> None:
        real_replace(source, target)
        os.kill(os.getpid(), signal.SIGTERM)  # after every file: the first would stop it there

    monkeypatch.setattr(pipeline.outputs.os, "replace", replace)
    stop_on_signals()
    with pytest.raises(Terminated):
        publish(staged, output, names)
    assert sorted(path.name for path in output.iterdir()) == sorted(names)


def test_a_build_stopped_while_its_files_are_moved_into_place_finishes_and_says_so(
    make_case: MakeCase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = make_case()
    output = tmp_path / "out"
    real_replace = os.replace

    def replace(source: Path, target: Path) -> None:
        real_replace(source, target)
        if Path(target).name == "bundle.pdf":  # the first of the outputs moved into place
            os.kill(os.getpid(), signal.SIGTERM)

    monkeypatch.setattr(pipeline.outputs.os, "replace", replace)
    result = _built_in_this_process(folder, output)
    assert result.exit_code == 143, result.output
    assert result.stderr.splitlines() == [
        "stopped (SIGTERM); the build had finished: its outputs are in place"
    ]
    manifest = json.loads((output / "acme" / MANIFEST).read_text(encoding="utf-8"))
    for name, digest in manifest["outputs"].items():  # every output in place, the manifest last
        assert hashlib.sha256((output / "acme" / name).read_bytes()).hexdigest() == digest


def test_a_build_stopped_just_before_its_files_are_moved_says_nothing_was_written(
    make_case: MakeCase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = make_case()
    output = tmp_path / "out"
    real_hold = pipeline.outputs.signals_held

    def signals_held() -> Any:  # the stop comes as the move is about to begin
        os.kill(os.getpid(), signal.SIGTERM)
        return real_hold()

    monkeypatch.setattr(pipeline.outputs, "signals_held", signals_held)
    result = _built_in_this_process(folder, output)
    assert result.exit_code == 143, result.output
    assert result.stderr.splitlines() == ["stopped (SIGTERM); nothing was written"]
    assert not (output / "acme").exists()


def _built_in_this_process(folder: Path, output: Path) -> Result:
    """`build-appeal -q FOLDER -o OUTPUT` run in this process (the test process's own handlers of Ctrl-C
    and SIGTERM are put back after it: `conftest._stops_as_they_were`)."""
    return CliRunner().invoke(main, ["-q", str(folder), "-o", str(output)])


DISCARDED_STOP = """
import os, signal, sys, time
import pipeline.build
from pipeline.cli import run

class StopsWhenFreed:
    def __del__(self):  # the stop is raised in here, where Python discards it ("Exception ignored in")
        os.kill(os.getpid(), signal.{signal})
        time.sleep(0.05)
        str(self)  # a call: where Python runs the handlers of signals received meanwhile

def stopping(function, marker=None):
    def stops(*args, **kwargs):
        if marker:
            print(marker, file=sys.stderr)
        if function.__name__ == {where!r} and not getattr(stopping, "done", False):
            stopping.done = True
            StopsWhenFreed()  # freed at once
        return function(*args, **kwargs)
    return stops

pipeline.build.check_cjk_font = stopping(pipeline.build.check_cjk_font)
pipeline.build._write_manifest = stopping(pipeline.build._write_manifest)
pipeline.build.assemble = stopping(pipeline.build.assemble, "(assembling)")
sys.argv = ["build-appeal", *sys.argv[1:]]
run()
"""


@pytest.mark.parametrize(
    ("sent", "where"),
    [
        (signal.SIGINT, "check_cjk_font"),
        (signal.SIGTERM, "check_cjk_font"),
        (signal.SIGINT, "_write_manifest"),
    ],
    ids=["Ctrl-C as the build begins", "SIGTERM as the build begins", "Ctrl-C as the files are listed"],
)
def test_a_stop_python_discards_in_a_finalizer_still_stops_the_build(
    make_case: MakeCase, tmp_path: Path, sent: signal.Signals, where: str
) -> None:
    """Python discards an exception raised in a finalizer or a weakref callback, and goes on: a Ctrl-C
    handled in the callback of an import's module lock let a build run to its end, write its outputs and
    exit 0, after printing a traceback."""
    folder, output = make_case(), tmp_path / "out"
    before = snapshot(folder)
    script = DISCARDED_STOP.format(signal=sent.name, where=where)
    done = subprocess.run(
        [sys.executable, "-c", script, str(folder), "-o", str(output)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    said = "interrupted" if sent == signal.SIGINT else "stopped (SIGTERM)"
    assert done.returncode == (130 if sent == signal.SIGINT else 143), done.stderr
    assert done.stderr.splitlines()[-1] == f"{said}; nothing was written", done.stderr
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr
    if where == "check_cjk_font":  # stopped at its next step, not carried on to the end
        assert "(assembling)" not in done.stderr
    assert not output.exists() or not (output / "acme").exists()
    assert snapshot(folder) == before


def test_a_stop_python_discards_stops_a_batch_built_case_after_case(
    make_case: MakeCase, tmp_path: Path
) -> None:
    """With -j 1 the batch's own handler stops its cases (`batch._stop_building`); a stop it raised where
    Python discards it stops the case all the same, and no other case begins."""
    folders, output = [make_case(name=name) for name in ("acme", "bolt")], tmp_path / "out"
    script = DISCARDED_STOP.format(signal="SIGINT", where="check_cjk_font")
    done = subprocess.run(
        [sys.executable, "-c", script, *map(str, folders), "-j", "1", "-o", str(output)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 130, done.stderr
    assert "interrupted after 0 of 2 cases" in done.stderr.splitlines()[-1], done.stderr
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr
    assert "(assembling)" not in done.stderr
    assert not (output / "acme").exists() and not (output / "bolt").exists()


STOP_AMID_A_ZIP_PART = """
import multiprocessing, os, signal, time, zipfile

real = zipfile._ZipWriteFile.__init__

def begin_part(self, archive, *args, **kwargs):  # the archive now waits for the part to be written
    name = str(archive.filename or "")
    if "building" in name and name.endswith(".xlsx"):  # the exhibit's copy for LibreOffice
        worker = multiprocessing.parent_process() is not None
        os.kill(os.getppid() if worker else os.getpid(), signal.SIGINT)  # Ctrl-C: a batch stops its workers
        time.sleep(30)
    real(self, archive, *args, **kwargs)

zipfile._ZipWriteFile.__init__ = begin_part
"""


@pytest.mark.parametrize("jobs", [None, "1", "2"], ids=["one case", "a batch, -j 1", "a batch, -j 2"])
def test_a_stop_amid_a_zip_part_is_no_damaged_exhibit(
    make_case: MakeCase, tmp_path: Path, jobs: str | None
) -> None:
    """Stopped as the copy of a spreadsheet for LibreOffice began a part, a build said the exhibit "could
    not be checked for links to other files (Can't close the ZIP file...)" and exited 1, and a batch listed
    the case as failed and printed the archive's traceback from its finalizer (CI, once): the archive,
    closed with the part left open, raised that error in the stop's place."""
    folders = [make_case(name=name) for name in (("acme",) if jobs is None else ("acme", "bolt"))]
    output = tmp_path / "out"
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "sitecustomize.py").write_text(STOP_AMID_A_ZIP_PART, "utf-8")  # (and the workers)
    done = subprocess.run(
        [BUILD_APPEAL, "-q", *map(str, folders), "-o", str(output), *(["-j", jobs] if jobs else [])],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(tmp_path / "site")},
    )
    assert done.returncode == 130, done.stderr
    last = done.stderr.splitlines()[-1]
    assert last == "interrupted; nothing was written" if jobs is None else "interrupted after 0 of 2" in last
    assert "Traceback" not in done.stderr and "FAILED" not in done.stderr and "checked" not in done.stderr
    assert not list(output.glob("[!.]*")) and not list(output.glob(".*.building-*"))


def test_an_answer_to_a_stop_is_not_taken_for_the_stop() -> None:
    """click answers Ctrl-C at a question (`init`, `send`'s password) with Abort, raised from None: the
    command then says "cancelled" and exits 1. The stop behind it was raised in its place, "interrupted",
    exit 130 (a reviewer's). An error a clean-up raised as the stop went through is the stop."""
    with pytest.raises(BaseException) as raised, stops_unmasked():  # (a KeyboardInterrupt would stop pytest)
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt:
            raise click.Abort from None
    assert raised.type is click.Abort
    with pytest.raises(Terminated), stops_unmasked():
        try:
            raise Terminated
        finally:
            raise ValueError("Can't close the ZIP file while there is an open writing handle on it")


def test_a_full_disk_is_said_plainly_and_the_earlier_outputs_stay(
    make_case: MakeCase, small_disk: Path
) -> None:
    """A build that fills the disk fails wherever it is writing; it blamed that step ("the image could not
    be put on a page") or said it failed unexpectedly and asked for a bug report."""
    folder, output = make_case(), small_disk / "out"
    first = subprocess.run(
        [BUILD_APPEAL, "-q", str(folder), "-o", str(output)], capture_output=True, text=True
    )
    assert first.returncode == 0, first.stderr
    before = snapshot(output / "acme")
    fill(small_disk, leave=300_000)
    again = subprocess.run(
        [BUILD_APPEAL, "-q", "--no-cache", str(folder), "-o", str(output)], capture_output=True, text=True
    )
    assert again.returncode == 1, again.stderr
    said = again.stderr.splitlines()[-1]
    assert said.startswith(f"error: the disk is full (no space left while writing {output}"), again.stderr
    assert said.endswith(
        f"Free some space and try again; {output / '.cache'} can be deleted (it only makes builds faster)"
    )
    assert "Traceback" not in again.stderr
    assert snapshot(output / "acme") == before
    assert not list(output.glob(".acme.building-*"))


def test_a_batch_on_a_full_disk_says_so_for_each_case(make_case: MakeCase, small_disk: Path) -> None:
    folders, output = [make_case(name=name) for name in ("acme", "bolt")], small_disk / "out"
    fill(small_disk, leave=300_000)
    done = subprocess.run(
        [BUILD_APPEAL, *map(str, folders), "-j", "2", "-o", str(output)], capture_output=True, text=True
    )
    assert done.returncode == 1, done.stderr
    # Each case's whole message, after the table: the output folder, or the file below it that was being
    # written when the disk filled (LibreOffice's PDF moved into the staging folder, say).
    where = re.escape(str(output))
    whole = rf"the disk is full \(no space left while writing {where}(/[^)]*)?\)\. Free some space"
    assert len(re.findall(whole, done.stderr)) == 2, done.stderr
    assert "unexpectedly" not in done.stderr


STOP_AS_PIKEPDF_LOADS = """
import enum, os, signal, sys
from pipeline.cli import run

real = enum.EnumType.__call__

def call(cls, value, *args, **kwargs):  # the first enum pikepdf's extension module makes for itself
    module = sys._getframe(1).f_globals.get("__name__")  # (called from C: the frame below is importlib's)
    loading = module == "importlib._bootstrap" and "pikepdf._core" in sys.modules
    if loading and not getattr(call, "done", False):
        call.done = True
        os.kill(os.getpid(), signal.SIGTERM)  # handled at the next call: inside pikepdf's set-up
    return real(cls, value, *args, **kwargs)

enum.EnumType.__call__ = call
sys.argv = ["build-appeal", *sys.argv[1:]]
run()
"""


def test_a_stop_as_pikepdf_loads_stops_the_build_instead_of_aborting_it(
    make_case: MakeCase, tmp_path: Path
) -> None:
    """pikepdf's extension module aborts the process when something raises while it sets itself up, and a
    stop's handler raises: a build (or a batch's worker, found by a flaky test) stopped then died with
    "Critical nanobind error", leaving its scratch folder and LibreOffice's behind."""
    folder, output = make_case(), tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-c", STOP_AS_PIKEPDF_LOADS, str(folder), "-o", str(output)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 143, done.stderr
    assert done.stderr.splitlines()[-1] == "stopped (SIGTERM); nothing was written", done.stderr
    assert "nanobind" not in done.stderr
    assert not list(output.glob(".acme.building-*"))


def test_sighup_ignored_as_by_nohup_stays_ignored() -> None:
    signal.signal(signal.SIGHUP, signal.SIG_IGN)  # (put back after: `conftest._stops_as_they_were`)
    stop_on_signals()
    assert signal.getsignal(signal.SIGHUP) == signal.SIG_IGN
