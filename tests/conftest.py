"""Shared fixtures: the example case, case folders made from a dict, and one built example."""

from __future__ import annotations

import contextlib
import copy
import os
import re
import shutil
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from pypdf import PdfReader

from pipeline import limits

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "cases" / "example"
NEVER_ENDS = "{% for i in range(100000) %}{% for j in range(100000) %}{{ i }}{% endfor %}{% endfor %}"
"""A template that renders for hours: each loop stays under the sandbox's limit on range()."""
OUTPUTS = frozenset(
    {"appeal_letter.docx", "appeal_letter.pdf", "bundle.pdf", "cs_inquiry.pdf", "cs_inquiry.txt",
     "evidence_index.pdf", "manifest.json"}
)  # fmt: skip
"""What a build of a case with the default templates writes into output/<case>/."""


def example_data() -> dict[str, Any]:
    """case.yaml of the example, as Python data (a fresh copy each time)."""
    return copy.deepcopy(yaml.safe_load((EXAMPLE / "case.yaml").read_text(encoding="utf-8")))


MakeCase = Callable[..., Path]


@pytest.fixture(autouse=True)
def _stops_as_they_were() -> Iterator[None]:
    """The command run in this process (CliRunner) sets how Ctrl-C, SIGTERM and SIGHUP stop it, and a stop
    is final in a process (`limits.stopped`): a test that stops a build here must not stop the tests after
    it."""
    handlers = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    hook = sys.unraisablehook
    yield
    for signum, handler in handlers.items():
        signal.signal(signum, handler)
    sys.unraisablehook = hook
    limits.stopped = None


@pytest.fixture
def make_case(tmp_path: Path) -> MakeCase:
    """Write a case folder from a dict (default: the example's data, with its evidence files copied)."""

    def make(data: dict[str, Any] | None = None, *, name: str = "acme", evidence: bool = True) -> Path:
        folder = tmp_path / "cases" / name
        folder.mkdir(parents=True)
        if evidence:
            shutil.copytree(EXAMPLE / "evidence", folder / "evidence")
        content = example_data() if data is None else data
        (folder / "case.yaml").write_text(
            yaml.safe_dump(content, allow_unicode=True, sort_keys=False), "utf-8"
        )
        return folder

    return make


def pdftotext(path: Path, *options: str) -> str:
    """The text of a PDF by poppler's pdftotext (`-layout`, `-raw`, `-f N`, ...)."""
    return subprocess.run(
        ["pdftotext", *options, str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def rasterized(pdf: Path, folder: Path, dpi: int = 40) -> list[bytes]:
    """Every page drawn by poppler at `dpi`, in grey."""
    folder.mkdir()
    subprocess.run(["pdftoppm", "-r", str(dpi), "-gray", str(pdf), str(folder / "page")], check=True)
    return [path.read_bytes() for path in sorted(folder.iterdir())]


def font_programs(pdf: Path) -> Counter[str]:
    """How many distinct programs each font name has in a PDF (evidence fonts count as much as ours)."""
    programs = set()
    for page in PdfReader(pdf).pages:
        for reference in page["/Resources"].get_object().get("/Font", {}).values():
            font = reference.get_object()
            cid = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            descriptor = cid.get("/FontDescriptor")
            for key in ("/FontFile", "/FontFile2", "/FontFile3") if descriptor is not None else ():
                if key in descriptor.get_object():
                    programs.add((str(font["/BaseFont"]), descriptor.get_object().raw_get(key).idnum))
    return Counter(name for name, _ in programs)


def outline(reader: PdfReader, items: list[Any] | None = None) -> list[Any]:
    """The bookmarks as (title, page) pairs, nested ones as (title, page, [children])."""
    result: list[Any] = []
    for item in reader.outline if items is None else items:
        if isinstance(item, list):
            title, page = result.pop()
            result.append((title, page, outline(reader, item)))
        else:
            result.append((item.title, reader.get_destination_page_number(item)))
    return result


def flat(text: str) -> str:
    """Text with all white space removed: pdftotext breaks lines wherever the layout wrapped them."""
    return "".join(text.split())


def docx_text(path: Path) -> str:
    """The text of a Word file: its paragraphs and its tables' cells."""
    import docx

    document = docx.Document(str(path))
    parts = [paragraph.text for paragraph in document.paragraphs]
    parts += [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join(parts)


Word = tuple[str, float, float, float, float]
"""A word on a page and its box: text, left, top, right, bottom, in points from the page's top left."""


def page_words(pdf: Path, page: int) -> list[Word]:
    """The words on a page (1-based) with their boxes, from the top left of its MediaBox (pdftotext -bbox)."""
    out = subprocess.run(
        ["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    pattern = r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>'
    return [
        (text, float(x1), float(y1), float(x2), float(y2))
        for x1, y1, x2, y2, text in re.findall(pattern, out)
    ]


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file below `folder` with its bytes, to prove a folder was not touched."""
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def processes() -> list[tuple[int, int, int, str]]:
    """Every process as (pid, parent pid, process group, command line); -ww so nothing is cut."""
    listing = subprocess.run(["ps", "-ww", "-eo", "pid=,ppid=,pgid=,args="], capture_output=True, text=True)
    rows = []
    for line in listing.stdout.splitlines():
        pid, ppid, pgid, args = [*line.split(None, 3), ""][:4]
        rows.append((int(pid), int(ppid), int(pgid), args))
    return rows


def office_group(parent: int) -> int | None:
    """The process group of the LibreOffice that process `parent` started, if one is running."""
    for _, ppid, pgid, args in processes():
        if ppid == parent and "office" in args and "build-appeal-lo-" in args:
            return pgid
    return None


def group_alive(pgid: int) -> list[str]:
    """The command lines still running in a process group (zombies, already dead, do not count)."""
    return [args for _, _, group, args in processes() if group == pgid and "<defunct>" not in args]


@contextlib.contextmanager
def disk_of_its_own(folder: Path, options: str) -> Iterator[Path]:
    """A tmpfs mounted on a new `folder` (`mount -o options`), unmounted after; the test is skipped where
    mounting is not allowed (not root, or a container that may not mount)."""
    folder.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a disk here: {mounted.stderr.decode().strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "--lazy", str(folder)], check=True)


@contextlib.contextmanager
def immutable(path: Path) -> Iterator[Path]:
    """`path` made immutable (`chattr +i`: not even root may change it), as a read-only file or folder is to
    a user; the test is skipped where the user or the file system may not."""
    made = subprocess.run(["chattr", "+i", str(path)], capture_output=True)
    if made.returncode != 0:
        pytest.skip(f"cannot make a file immutable here: {made.stderr.decode().strip()}")
    try:
        yield path
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A disk of its own, 16 MB, to fill up."""
    with disk_of_its_own(tmp_path / "disk", "size=16m") as disk:
        yield disk


def fill(disk: Path, leave: int) -> None:
    """Fill `disk` until `leave` bytes are free."""
    free = os.statvfs(disk)
    (disk / "filler").write_bytes(b"\0" * (free.f_bavail * free.f_frsize - leave))
