"""Scratch folders a killed process left are removed, never one a running process holds (the whole story,
with a real build killed outright: test_limits.py::test_what_a_build_killed_outright_left_is_removed_by_the_
next_build)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from pipeline.leftovers import OWNER, Scratch, office_socket, sweep, sweep_staging
from tests.conftest import ROOT

PREFIX = "build-appeal-test-"


@pytest.fixture
def temporary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return tmp_path


def aged(folder: Path) -> Path:
    an_hour_ago = time.time() - 3600
    os.utime(folder, (an_hour_ago, an_hour_ago))
    return folder


def left_by_a_killed_process(temporary: Path) -> Path:
    made = subprocess.run(
        [sys.executable, "-c", f"from pipeline.leftovers import Scratch; print(Scratch({PREFIX!r}).path)"],
        cwd=ROOT,
        env={**os.environ, "TMPDIR": str(temporary)},
        capture_output=True,
        text=True,
        check=True,
    )
    return aged(Path(made.stdout.strip()))  # its process ended without removing it


def test_a_folder_whose_process_is_gone_is_removed_and_a_held_one_kept(temporary: Path) -> None:
    left = left_by_a_killed_process(temporary)
    (left / "profile").mkdir()
    aged(left)
    with Scratch(PREFIX) as held:
        aged(held)
        sweep(PREFIX)
        assert not left.exists() and held.is_dir()
    assert not held.exists()


def test_a_new_folder_or_one_without_a_lock_is_kept(temporary: Path) -> None:
    young = left_by_a_killed_process(temporary)
    os.utime(young)  # changed a moment ago: a folder being made has no lock for an instant
    unowned, elsewhere = temporary / f"{PREFIX}unowned", temporary / "elsewhere"
    for folder in (unowned, elsewhere):
        folder.mkdir()
        aged(folder)
    (elsewhere / OWNER).touch()
    link = temporary / f"{PREFIX}link"
    link.symlink_to(elsewhere)
    sweep(PREFIX)
    assert young.is_dir() and unowned.is_dir() and link.is_symlink() and elsewhere.is_dir()


def test_the_socket_of_a_session_whose_process_is_gone_is_removed(temporary: Path) -> None:
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True)
    dead, alive = int(gone.stdout), os.getpid()
    sockets = [temporary / f"OSL_PIPE_{os.getuid()}_build-appeal-{pid}-0123abcd" for pid in (dead, alive)]
    for socket_file in sockets:
        socket_file.touch()
    sweep(PREFIX)
    assert [socket_file.exists() for socket_file in sockets] == [False, True]


def test_only_the_staging_folders_of_that_output_are_removed(tmp_path: Path) -> None:
    names = [
        ".acme.building-abcd1234",  # left by a killed build of acme
        ".acme.building-abcd1234.building-wxyz6789",  # of a case named `acme.building-abcd1234`
        ".acme-2.building-abcd1234",
        "acme",
        ".acme.lock",
    ]
    for name in names:
        (tmp_path / name).mkdir()
    sweep_staging(tmp_path / "acme")
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(names[1:])


def a_socket_file(path: Path) -> Path:
    """A UNIX socket's file, as a process that bound it and ended leaves it."""
    import socket

    with socket.socket(socket.AF_UNIX) as bound:
        bound.bind(str(path))
    return path


def test_libreoffice_s_own_socket_goes_with_its_scratch_folder(temporary: Path) -> None:
    """LibreOffice makes a socket in /tmp for each profile (`OSL_PIPE_<uid>_SingleOfficeIPC_<md5>`) and
    never removes it: every session and every one-off conversion left one more (11,000 on this machine)."""
    left = left_by_a_killed_process(temporary)
    (left / "profile").mkdir()
    killed = a_socket_file(office_socket(left / "profile"))
    aged(left)
    with Scratch(PREFIX) as held:
        (held / "profile").mkdir()
        ours = a_socket_file(office_socket(held / "profile"))
        sweep(PREFIX)
        assert not killed.exists() and ours.exists()  # a running process's is kept
    assert not ours.exists()


def test_libreoffice_leaves_neither_its_socket_nor_its_temporary_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its socket is named as `office_socket` says (so it can be removed), and its temporary files (an
    `lu*.tmp` folder at every start) go in its scratch folder."""
    import docx

    from pipeline.convert import Job, office_to_pdf
    from pipeline.office_session import office_session

    monkeypatch.setenv("TMPDIR", str(tmp_path / "temporary"))
    monkeypatch.setattr(tempfile, "tempdir", None)
    (tmp_path / "temporary").mkdir()
    source = tmp_path / "letter.docx"
    document = docx.Document()
    document.add_paragraph("A letter")
    document.save(str(source))
    with office_session() as session:
        office_to_pdf([Job(source, tmp_path / "letter.pdf", "letter.docx")], timeout=120)
        assert session._scratch is not None  # (its folder, to name its socket)
        socket_file = office_socket(session._scratch.path / "profile")
        assert socket_file.is_socket()
    office_to_pdf([Job(source, tmp_path / "again.pdf", "letter.docx")], timeout=120)  # one-off
    assert not socket_file.exists()
    assert list((tmp_path / "temporary").iterdir()) == []
