"""Batch builds: several cases in parallel, a failed case does not stop the others, a summary at the end."""

from __future__ import annotations

import dataclasses
import gc
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

import pipeline.batch
from pipeline.batch import Outcome, build_one, summary
from pipeline.build import BuildOptions
from pipeline.cli import main
from pipeline.layout import FIRST_GUESS, Layout
from pipeline.limits import Terminated
from tests.conftest import MakeCase, example_data, processes
from tests.conftest import pdftotext as pdf_text


def test_a_batch_builds_in_parallel_and_reports_each_case(make_case: MakeCase, tmp_path: Path) -> None:
    good = [make_case(name=name) for name in ("alpha", "beta")]
    broken = example_data()
    broken["case"]["number"] = "not a number"
    bad = make_case(broken, name="gamma", evidence=False)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["-q", *map(str, [*good, bad]), "-o", str(out), "-j", "2"])
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [str(out / "alpha" / "bundle.pdf"), str(out / "beta" / "bundle.pdf")]
    for name in ("alpha", "beta"):
        assert len(PdfReader(out / name / "bundle.pdf").pages) > 20
    table = result.stderr[result.stderr.index("case ") :].splitlines()
    assert table[0].split() == ["case", "status", "pages", "size", "time", "error"]
    assert table[1].split()[:3] == [
        str(good[0]),
        "ok",
        str(len(PdfReader(out / "alpha" / "bundle.pdf").pages)),
    ]
    assert table[3].split()[:2] == [str(bad), "FAILED"]
    assert re.search(r"FAILED +[\d.]+ s +case\.yaml:\d+: case\.number", table[3])  # the folder: 1st column
    assert "case.number: 'not a number' is not a case number" in result.stderr
    assert table[-1] == "2 built, 1 failed"
    # The example's two pictures have no text: each case's warnings come under its name, never bare.
    for case in good:
        heading = table.index(f"{case}: 2 warnings")
        assert table[heading + 1].startswith("  Exhibit 4 (evidence/listing_screenshot.png): page 1 has no")
        assert table[heading + 2].startswith("  Exhibit 5 (evidence/product_photo.jpg): page 1 has no")
    assert not re.search(r"^Exhibit", result.stderr, re.MULTILINE)
    assert not (out / "gamma").exists()


@pytest.mark.parametrize("jobs", [1, 2])
def test_every_case_failing_gives_every_message(make_case: MakeCase, tmp_path: Path, jobs: int) -> None:
    folders = []
    for name in ("one", "two"):
        data = example_data()
        data["language"] = "fr"
        folders.append(make_case(data, name=name, evidence=False))
    result = CliRunner().invoke(
        main, ["-q", *map(str, folders), "-o", str(tmp_path / "out"), "-j", str(jobs)]
    )
    assert result.exit_code == 1 and result.stdout == ""
    whole = [line for line in result.stderr.splitlines() if line.startswith("  ")]  # below the table
    assert sum("language: Input should be 'en', 'zh' or 'bilingual'" in line for line in whole) == 2
    assert result.stderr.splitlines()[-1] == "0 built, 2 failed"
    assert "[1/2]" not in result.stderr  # -q: the summary alone


def test_a_batch_logged_to_a_file_says_each_case_as_it_ends(make_case: MakeCase, tmp_path: Path) -> None:
    """Outside a terminal the progress bar shows only its label: a batch logged to a file said
    "building 12 cases" and nothing else until all were done (found by a probe of a firm's batch)."""
    data = example_data()
    data["language"] = "fr"
    folders = [make_case(data, name=name, evidence=False) for name in ("one", "two")]
    result = CliRunner().invoke(main, [*map(str, folders), "-o", str(tmp_path / "out"), "-j", "1"])
    ended = [line.split(" FAILED after ")[0] for line in result.stderr.splitlines() if line.startswith("[")]
    assert ended == [f"[1/2] {folders[0]}:", f"[2/2] {folders[1]}:"]


@dataclass
class Offices:
    """The LibreOffices started below this process while it was watched."""

    profiles: set[str] = field(default_factory=set)
    """Each LibreOffice's private profile folder: one per start of LibreOffice. (soffice.bin restarts itself
    once after it creates a profile, so counting its process ids would count each start twice.)"""
    pids: set[int] = field(default_factory=set)
    """Every soffice.bin process seen."""

    def running(self) -> list[str]:
        """The soffice.bin processes seen that are still running."""
        return [args for pid, _, _, args in processes() if pid in self.pids and "<defunct>" not in args]


@contextmanager
def watching_libreoffice() -> Iterator[Offices]:
    """Poll the process table every 0.1 s (LibreOffice takes a second to start) for soffice.bin processes
    descending from this process, the batch's workers included."""
    offices, stop = Offices(), threading.Event()

    def watch() -> None:
        while not stop.is_set():
            table = processes()
            parents = {pid: ppid for pid, ppid, _, _ in table}
            for pid, _, _, args in table:
                # (a process that is exiting shows as "[soffice.bin]", without its arguments)
                profile = re.search(r"soffice\.bin .*-env:UserInstallation=(\S+)", args)
                if profile and _descends(pid, parents):
                    offices.pids.add(pid)
                    offices.profiles.add(profile[1])
            stop.wait(0.1)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        yield offices
    finally:
        stop.set()
        watcher.join()


def _descends(pid: int, parents: dict[int, int]) -> bool:
    while pid > 1:
        pid = parents.get(pid, 0)
        if pid == os.getpid():
            return True
    return False


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_batch_starts_libreoffice_once_per_worker(make_case: MakeCase, tmp_path: Path, jobs: int) -> None:
    folders = []
    for number, name in enumerate(("one", "two", "three"), 1):
        data = example_data()
        data["language"] = "en"
        data["merchant"]["store_name"] = f"Store number {number}"
        folders.append(make_case(data, name=name))
    out = tmp_path / "out"
    with watching_libreoffice() as offices:
        result = CliRunner().invoke(main, ["-q", *map(str, folders), "-o", str(out), "-j", str(jobs)])
    assert result.exit_code == 0, result.stderr
    assert 1 <= len(offices.profiles) <= jobs, offices.profiles
    for number, name in enumerate(("one", "two", "three"), 1):
        letter = pdf_text(out / name / "appeal_letter.pdf")  # the letter is a Word template: LibreOffice's
        assert "1:24-cv-02015" in letter and f"Store number {number}" in letter
        bundle = pdf_text(out / name / "bundle.pdf")
        assert f"Store number {number}" in bundle
        assert (
            "230518184725972076" in bundle
        )  # an order from evidence/sales_records.xlsx, through LibreOffice
    deadline = time.monotonic() + 10  # SIGKILL is sent; the kernel may take a moment to finish them off
    while offices.running() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert offices.running() == []
    for profile in offices.profiles:  # each LibreOffice's scratch folder is removed with it
        assert not Path(urllib.parse.urlsplit(profile).path).parent.exists()


def _interruptible() -> None:
    """Give the batch the SIGINT a user at a terminal has (a background job inherits it ignored)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


STOPS = {  # how a batch is stopped, the signal, and whether it goes to every process of the batch
    "SIGTERM to the command": (signal.SIGTERM, False),
    "Ctrl-C to every process": (signal.SIGINT, True),
    "its terminal closed": (signal.SIGHUP, True),  # (the kernel sends SIGHUP to every process of the job)
}


def _stopped(batch: subprocess.Popen[str], stop: str) -> tuple[str, str]:
    """Stop the batch command as `stop` says (SIGTERM to it; Ctrl-C at its terminal, or the terminal
    closed: SIGINT or SIGHUP to every process of its group); its output, once it exited with the code that
    stop gives, and said nothing else."""
    sent, to_every_process = STOPS[stop]
    if to_every_process:
        os.killpg(batch.pid, sent)
    else:
        batch.send_signal(sent)
    stdout, err = batch.communicate(timeout=120)
    assert batch.returncode == 128 + sent, err
    assert "Traceback" not in err and "resource_tracker" not in err, err
    return stdout, err


@pytest.mark.parametrize("stop", list(STOPS))
def test_an_interrupted_batch_leaves_no_libreoffice(make_case: MakeCase, tmp_path: Path, stop: str) -> None:
    folders = [make_case(name=name) for name in ("one", "two", "three")]
    command = [
        sys.executable,
        "-m",
        "pipeline",
        "-q",
        *map(str, folders),
        "-o",
        str(tmp_path / "out"),
        "-j",
        "2",
    ]
    with watching_libreoffice() as offices:
        batch = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
            preexec_fn=_interruptible,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while not offices.profiles and time.monotonic() < deadline:  # stop it while LibreOffice works
            time.sleep(0.05)
        assert offices.profiles, "LibreOffice never started"
        _stopped(batch, stop)
    deadline = time.monotonic() + 10
    while offices.running() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert offices.running() == []
    for profile in offices.profiles:
        assert not Path(urllib.parse.urlsplit(profile).path).parent.exists()


@pytest.mark.parametrize("jobs", [1, 2])
@pytest.mark.parametrize("stop", list(STOPS))
def test_a_stopped_batch_says_which_cases_it_built_and_writes_no_other(
    make_case: MakeCase, tmp_path: Path, stop: str, jobs: int
) -> None:
    """A paralegal who stops a batch of fifty must know which bundles are new: those that ended before the
    stop are reported as usual; a case being built is stopped there, as a single build is, and none other
    is begun (with -j 2 one waits in a worker's queue already). Closing the terminal (output sent to a log
    file, say) listed no case built, though one was (a worker took the SIGHUP for its batch's end; with
    -j 1 it stopped a case as its files were moved into place), and multiprocessing's resource tracker,
    killed by it too, printed tracebacks."""
    folders = [make_case(name=name) for name in ("one", "two", "three")]
    out = tmp_path / "out"
    command = [sys.executable, "-m", "pipeline", "-q", *map(str, folders), "-o", str(out), "-j", str(jobs)]
    batch = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
        preexec_fn=_interruptible,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while not any((out / name / "bundle.pdf").exists() for name in ("one", "two")):
        assert time.monotonic() < deadline and batch.poll() is None, "no case was built"
        time.sleep(0.02)
    stdout, err = _stopped(batch, stop)
    built = [folder for folder in folders if (out / folder.name / "bundle.pdf").exists()]
    assert 1 <= len(built) <= 2 and folders[2] not in built, err  # the third begins after the first ends
    sent, _ = STOPS[stop]
    how = "interrupted" if sent == signal.SIGINT else f"stopped ({sent.name})"
    assert f"{how} after {len(built)} of 3 cases; the other {3 - len(built)} were stopped or not begun" in err
    assert stdout.splitlines() == [str(out / folder.name / "bundle.pdf") for folder in built]
    for folder in folders:
        listed = [line for line in err.splitlines() if line.startswith(f"{folder} ")]
        assert [line.split()[1] for line in listed] == (["ok"] if folder in built else []), err
        if folder not in built:  # nothing of it: a first build leaves no output folder
            assert not (out / folder.name).exists()
    assert list(out.glob(".*.building-*")) == []  # every staging folder removed


def test_a_batch_whose_worker_is_killed_says_which_cases_it_built(
    make_case: MakeCase, tmp_path: Path
) -> None:
    """The system may kill a worker (out of memory, say): the batch stops the others, says which cases it
    built, and leaves no LibreOffice behind. The worker killed is the one building the third case, begun
    once one of the first two had ended."""
    with watching_libreoffice() as offices:
        batch, folders, out, worker = _at_the_third_case(make_case, tmp_path)
        os.kill(worker, signal.SIGKILL)
        stdout, err = batch.communicate(timeout=120)
        deadline = time.monotonic() + 10  # each LibreOffice's bridge sees its worker gone, and kills it
        while offices.running() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert offices.running() == []
    assert batch.returncode == 1, err
    listed = [folder for folder in folders if f"{folder}  ok" in err]  # the one that ended first, at least
    assert listed and folders[2] not in listed, err
    assert f"stopped: a worker process was killed (out of memory?) after {len(listed)} of 3 cases" in err
    assert stdout.splitlines() == [str(out / folder.name / "bundle.pdf") for folder in listed]
    assert all((out / folder.name / "bundle.pdf").exists() for folder in listed)
    assert not (out / "three").exists()


def test_the_workers_of_a_batch_killed_with_sigkill_stop_their_cases_and_end(
    make_case: MakeCase, tmp_path: Path
) -> None:
    """A batch's process killed outright (SIGKILL: no clean-up runs in it) leaves its workers without work
    or anyone to report to: the kernel tells each (Linux's parent-death signal), and each stops its case as
    a stopped build does, then ends, with its LibreOffice."""
    with watching_libreoffice() as offices:
        batch, _, out, _ = _at_the_third_case(make_case, tmp_path)  # one worker busy, maybe both
        workers = [pid for pid, ppid, _, args in processes() if ppid == batch.pid and "spawn_main" in args]
        assert len(workers) == 2
        batch.kill()
        batch.communicate(timeout=60)
        deadline = time.monotonic() + 30
        while (offices.running() or _alive(workers)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _alive(workers) == [] and offices.running() == []
    assert not (out / "three").exists()
    assert list(out.glob(".*.building-*")) == []  # each stopped case removed its scratch folder
    for profile in offices.profiles:  # each worker closed its LibreOffice session, scratch folder and all
        assert not Path(urllib.parse.urlsplit(profile).path).parent.exists()


def _alive(pids: list[int]) -> list[int]:
    """Those of `pids` still running (not reaped zombies: the workers' parent is gone, init reaps them)."""
    running = {pid for pid, _, _, args in processes() if "<defunct>" not in args}
    return [pid for pid in pids if pid in running]


def _at_the_third_case(
    make_case: MakeCase, tmp_path: Path
) -> tuple[subprocess.Popen[str], list[Path], Path, int]:
    """A batch of three cases on two workers, waited for until its third case begins (one of the first two
    has ended then): the batch, the case folders, the output folder, and the worker building the third."""
    folders = [make_case(name=name) for name in ("one", "two", "three")]
    out = tmp_path / "out"
    command = [sys.executable, "-m", "pipeline", "-q", *map(str, folders), "-o", str(out), "-j", "2"]
    batch = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while (worker := _holder(out / ".three.lock")) is None:  # each build holds its case's lock
        assert time.monotonic() < deadline and batch.poll() is None, "the third case never began"
        time.sleep(0.02)
    return batch, folders, out, worker


def _holder(lock: Path) -> int | None:
    """The process holding a flock on `lock` (from /proc/locks), if one does."""
    try:
        inode = lock.stat().st_ino
    except FileNotFoundError:
        return None
    for line in Path("/proc/locks").read_text().splitlines():
        fields = line.split()
        if "FLOCK" in fields and fields[-3].rsplit(":", 1)[-1] == str(inode):
            return int(fields[-4])
    return None


def test_a_worker_told_to_stop_ends_the_build_it_is_moving_into_place_and_begins_no_other(
    make_case: MakeCase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The SIGTERM a batch sends its workers when it is stopped (`_stop_building`), as it comes at each
    moment of a worker's case."""
    monkeypatch.setattr(pipeline.batch, "_stop_asked", 0)
    monkeypatch.setattr(pipeline.batch, "_building", True)
    monkeypatch.setattr(pipeline.batch.outputs, "publishing", False)
    with pytest.raises(Terminated):  # building: stopped there
        pipeline.batch._stop_building(signal.SIGTERM, None)
    pipeline.batch._stop_building(signal.SIGTERM, None)  # again, in its clean-up: that goes on
    monkeypatch.setattr(pipeline.batch, "_stop_asked", 0)
    monkeypatch.setattr(pipeline.batch.outputs, "publishing", True)
    pipeline.batch._stop_building(signal.SIGTERM, None)  # moving its files into place: it goes on
    monkeypatch.setattr(pipeline.batch, "_building", False)
    pipeline.batch._stop_building(signal.SIGTERM, None)  # between cases: nothing to stop
    assert pipeline.batch._stop_asked == signal.SIGTERM
    case = make_case()
    with pytest.raises(Terminated):  # the case it is handed next is not begun
        build_one(case, BuildOptions(output_root=tmp_path / "out"))
    assert not (tmp_path / "out").exists()


def test_a_worker_frees_each_case_s_garbage_before_the_next(make_case: MakeCase, tmp_path: Path) -> None:
    """A build leaves its objects in reference cycles; a worker that left them to Python's own collector
    grew by a case's worth each time (three 2,000-page cases: 0.5, 0.9, 1.2 GB)."""
    case = make_case()
    gc.disable()  # only the worker's own collection may free them
    try:
        assert build_one(case, BuildOptions(output_root=tmp_path / "out")).ok
        left = gc.collect()
    finally:
        gc.enable()
    assert left < 1000, f"{left} objects of the build were still waiting for the collector"


def test_the_summary_shows_the_first_rule_broken_not_the_line_that_introduces_them() -> None:
    """The error column read "the bundle breaks the rules of the platform profile, so nothing was written:"
    for every case a destination refused, whatever the rule."""
    error = (
        "the bundle breaks the rules of the platform profile, so nothing was written:\n"
        "  the bundle is 15.3 MB, 5.3 MB over the platform's 10 MB\n"
        "  Exhibit 2 (evidence/scan.pdf): page 1 has no searchable text"
    )
    refused = Outcome("cases/big", ok=False, seconds=1.0, error=error)
    assert refused.first_error_line == "the bundle is 15.3 MB, 5.3 MB over the platform's 10 MB"
    assert Outcome("cases/x", ok=False, error="case.yaml:7: bad\nmore").first_error_line == "case.yaml:7: bad"


def test_the_summary_table_lines_up() -> None:
    table = summary(
        [
            Outcome(
                "cases/a", ok=True, bundle=Path("out/a/bundle.pdf"), pages=27, size=1_200_000, seconds=7.4
            ),
            Outcome(
                "cases/longer-name", ok=False, seconds=0.1, error="cases/longer-name/case.yaml:7: bad\nmore"
            ),
            Outcome(
                "cases/c",
                ok=True,
                bundle=Path("out/c/bundle.pdf"),
                pages=3,
                size=90_000,
                seconds=2.0,
                warnings=("Exhibit 1 (evidence/scan.pdf): no text",),
            ),
            Outcome("cases/d", ok=False, seconds=0.2, error="error: cases/d/case.yaml:9: " + "x" * 120),
        ]
    )
    assert table.splitlines() == [
        "case               status  pages  size    time   error",
        "cases/a            ok      27     1.2 MB  7.4 s",
        "cases/longer-name  FAILED                 0.1 s  case.yaml:7: bad",  # (the folder: its 1st column)
        "cases/c            ok      3      0.1 MB  2.0 s",
        "cases/d            FAILED                 0.2 s  case.yaml:9: " + "x" * 86 + "…",
        "",
        "cases/longer-name:",
        "  cases/longer-name/case.yaml:7: bad",
        "  more",
        "",
        "cases/c: 1 warning",
        "  Exhibit 1 (evidence/scan.pdf): no text",
        "",
        "cases/d:",
        "  error: cases/d/case.yaml:9: " + "x" * 120,
        "2 built, 2 failed",
    ]


def test_a_worker_lays_out_a_case_s_front_matter_with_the_lengths_its_last_case_settled_on(
    make_case: MakeCase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker of a batch drafts nothing (every core has a worker), so a case's cover, contents and index
    would be laid out twice: once to learn their lengths, once with the right numbers. Cases built from the
    same templates mostly settle alike: the last case's lengths are the next one's first guess. A case
    that settles otherwise costs the round it cost before, and comes out the same."""
    rounds: list[dict[str, int]] = []
    real_round = Layout._round

    def round_(layout: Layout, *args: Any, **kwargs: Any) -> Any:
        rounds.append(dict(args[2]))  # the lengths the round starts from
        return real_round(layout, *args, **kwargs)

    monkeypatch.setattr(Layout, "_round", round_)
    monkeypatch.setattr(pipeline.batch, "_settled", ())  # a worker's first case
    options = BuildOptions(output_root=tmp_path / "out", draft=False, cache=False)
    assert build_one(make_case(name="alpha"), options).ok
    assert len(rounds) == 2 and rounds[0] == FIRST_GUESS
    settled = rounds[1]
    rounds.clear()
    assert build_one(make_case(name="beta"), options).ok
    assert rounds == [settled]  # one round, from alpha's lengths

    longer = example_data()
    for entry in longer["evidence"]:
        entry["description"] = "A long description of what this exhibit shows. " * 40
    gamma = make_case(longer, name="gamma")
    rounds.clear()
    guessed = build_one(gamma, options)
    assert rounds[0] == settled and len(rounds) >= 2  # beta's lengths were not gamma's: one more round
    monkeypatch.setattr(pipeline.batch, "_settled", ())
    alone = build_one(gamma, dataclasses.replace(options, output_root=tmp_path / "alone"))
    assert guessed.bundle is not None and alone.bundle is not None
    assert pdf_text(guessed.bundle) == pdf_text(alone.bundle)


def test_the_summary_fits_a_terminal_and_lines_up_chinese_names(tmp_path: Path) -> None:
    """Rows ran to 160 characters and wrapped in an 80-column terminal, the error cut at 100 whatever the
    width; a case folder named in Chinese pushed the columns after it out of line (a Chinese character
    takes two columns)."""
    import fcntl
    import os
    import pty
    import struct
    import termios

    from pipeline.tables import shown_width

    outcomes = [
        Outcome("cases/宁波明亮灯具", ok=True, bundle=Path("b.pdf"), pages=24, size=1_000_000, seconds=3.0),
        Outcome(
            "cases/c10", ok=False, seconds=0.1, error="cases/c10/case.yaml:35: case.tro_date: " + "x" * 150
        ),
    ]
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    with os.fdopen(follower, "w") as terminal:
        lines = summary(outcomes, terminal).splitlines()
    os.close(leader)
    assert max(shown_width(line) for line in lines[:3]) <= 80
    assert lines[2].endswith("…") and lines[2].startswith("cases/c10 ")
    ok_column = [
        shown_width(line[: line.index(word)])
        for line, word in zip(lines[:3], ("status", "ok", "FAILED"), strict=True)
    ]
    assert len(set(ok_column)) == 1, lines[:3]
