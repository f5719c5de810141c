"""The pattern every hostile case follows, as one fixture (`hostile`):

1. A good build of a small case named `acme` is made once per session (`previous_build`) and copied into the
   test's output root, so the hostile build runs where earlier outputs already are.
2. The test writes its case folder (`hostile.write(...)`): the example's data, in English, with the evidence
   reduced to the hostile file(s), or a raw `case.yaml`.
3. `hostile.fails(message)` or `hostile.builds()` runs `build-appeal cases/acme -o out` through click's
   CliRunner and checks, on top of the exit code and the exact message or the bundle's content:
   - the case folder is byte for byte as it was;
   - no traceback is printed, and a failure prints one `error: ` message;
   - a failed build leaves the previous outputs byte for byte as they were; a good build replaces all of
     them, consistently with its manifest;
   - no scratch folder is left in the output root;
   - WeasyPrint's URL fetcher (`pipeline.convert.LocalFilesOnly.fetch`, spied on) served nothing but `data:`
     URLs and files of the case folder; what it was asked for is in `Outcome.fetched`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from pipeline.build import BuildOptions, build
from pipeline.cache import FOLDER
from pipeline.cli import main
from pipeline.convert import LocalFilesOnly
from pipeline.render import default_templates_folder
from tests import samples
from tests.conftest import OUTPUTS, example_data, flat, pdftotext, snapshot

CASE = "acme"
PROGRESS = ("building ", "LibreOffice: converting ", "built ")
"""Lines the CLI prints while it works; every other line on stderr is a warning or the error."""

FileMaker = bytes | str | Callable[[Path], object]
"""An evidence or template file: its bytes, its text (UTF-8), or a function that writes it at a path."""


FieldPath = tuple[str | int, ...]

MERCHANT_TEXT = ("name_en", "name_zh", "store_name", "store_id", "contact_person", "contact_title",
                 "contact_person_zh", "phone", "address", "address_zh")  # fmt: skip
TEXT_FIELDS: list[FieldPath] = [
    *[("merchant", name) for name in MERCHANT_TEXT],
    ("case", "court"),
    ("case", "plaintiff"),
    ("case", "counsel", "firm"),
    ("case", "counsel", "attorney"),
    ("case", "restricted_functions", 0),
    ("case", "ip_rights", 0, "registration_number"),
    ("case", "ip_rights", 0, "mark"),
    *[("products", 0, name) for name in ("listing_id", "title", "title_zh")],
    ("position", "statement"),
    ("position", "statement_zh"),
    ("requests", 0, "text"),
    ("requests", 0, "text_zh"),
    *[("evidence", 0, name) for name in ("title", "title_zh", "description", "description_zh")],
]
"""Every free-text field of case.yaml (each is printed by at least one document), as a path into the data."""


def put(data: dict[str, Any], path: FieldPath, value: object) -> dict[str, Any]:
    """`data` with `value` at `path`; sections it lacks (`bundle:`) are added."""
    target: Any = data
    for key in path[:-1]:
        target = target.setdefault(key, {}) if isinstance(target, dict) else target[key]
    target[path[-1]] = value
    return data


def dotted(path: FieldPath) -> str:
    """`products[0].title`, as messages name a field."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def case_data(*, language: str = "en") -> dict[str, Any]:
    """The example's case.yaml as data, in one language, without evidence (nor the sales export, which is
    an evidence file): the smallest good case."""
    data = example_data()
    data["language"] = language
    data["evidence"] = []
    del data["sales"]
    return data


def evidence(*files: str, title: str = "Hostile exhibit") -> list[dict[str, Any]]:
    """Evidence entries for `files` (paths inside the case folder), titled `title 1`, `title 2`..."""
    return [{"file": name, "title": f"{title} {number}"} for number, name in enumerate(files, 1)]


def pdf_text(path: Path, *, first: int | None = None, last: int | None = None) -> str:
    """The text of a PDF (or of its pages `first` to `last`) by pdftotext, in the order it was written, so
    the wrapped lines of one table cell stay together."""
    pages = ["-f", str(first)] if first is not None else []
    pages += ["-l", str(last)] if last is not None else []
    return pdftotext(path, "-raw", *pages)


@dataclass(frozen=True)
class PreviousBuild:
    """The good build every hostile build runs on top of: its output root and the bytes of its outputs."""

    root: Path
    files: dict[str, bytes]


@pytest.fixture(scope="session")
def previous_build(tmp_path_factory: pytest.TempPathFactory) -> PreviousBuild:
    folder = tmp_path_factory.mktemp("previous") / "cases" / CASE
    (folder / "evidence").mkdir(parents=True)
    samples.text_pdf(folder / "evidence" / "invoice.pdf", ["The previous build's invoice"])
    data = case_data()
    data["evidence"] = evidence("evidence/invoice.pdf", title="Previous invoice")
    (folder / "case.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    root = folder.parent.parent / "out"
    result = build(folder, BuildOptions(output_root=root))
    files = snapshot(result.output)
    assert set(files) == OUTPUTS
    return PreviousBuild(root, files)


@dataclass
class Outcome:
    """What one run of the command line did."""

    code: int
    stdout: str
    stderr: str
    output: Path
    fetched: list[str] = field(default_factory=list)
    """Every URL WeasyPrint asked the fetcher for, served or refused."""

    @property
    def errors(self) -> int:
        """How many error messages were printed (lines starting with `error: `)."""
        return sum(line.startswith("error: ") for line in self.stderr.splitlines())

    @property
    def error(self) -> str:
        """The message after `error: `, to the end of stderr, without the final newline."""
        start = (
            self.stderr.index("error: ")
            if self.stderr.startswith("error: ")
            else self.stderr.index("\nerror: ") + 1
        )
        return self.stderr[start + len("error: ") :].rstrip("\n")

    @property
    def warnings(self) -> list[str]:
        """Every line on stderr that is neither progress nor the error."""
        lines = []
        for line in self.stderr.splitlines():
            if line.startswith("error: "):
                break
            if not line.startswith(PROGRESS):
                lines.append(line)
        return lines

    @property
    def bundle(self) -> Path:
        return self.output / "bundle.pdf"

    def text(self, name: str = "bundle", **options: Any) -> str:
        """The text of an output PDF (`bundle`, `appeal_letter`, ...), white space removed."""
        return flat(pdf_text(self.output / f"{name}.pdf", **options))

    def exhibits(self) -> list[dict[str, Any]]:
        """The manifest's exhibits: label, file, sha256, first_page and last_page (the cover sheet's)."""
        manifest = json.loads((self.output / "manifest.json").read_text(encoding="utf-8"))
        return list(manifest["exhibits"])

    def exhibit_text(self, number: int = 1) -> str:
        """The text of exhibit `number`'s own pages (its cover sheet left out), white space and the bundle's
        stamps (`Exhibit 1, page 2 of 3`, `Page 12 of 20`) removed, so text running across pages reads on."""
        exhibit = self.exhibits()[number - 1]
        text = self.text(first=exhibit["first_page"] + 1, last=exhibit["last_page"])
        return re.sub(r"(Exhibit\w+,page\d+of\d+)?Page\d+of\d+", "", text)

    def images(self, number: int = 1) -> list[Any]:
        """The pictures on exhibit `number`'s own pages, as pypdf's ImageFile objects, page by page."""
        from pypdf import PdfReader

        exhibit = self.exhibits()[number - 1]
        pages = PdfReader(self.bundle).pages
        return [
            picture
            for index in range(exhibit["first_page"], exhibit["last_page"])
            for picture in pages[index].images
        ]

    def cover_text(self, number: int = 1) -> str:
        """The text of exhibit `number`'s cover sheet, white space removed."""
        first = self.exhibits()[number - 1]["first_page"]
        return self.text(first=first, last=first)


class Hostile:
    """Writes one hostile case folder and runs the command line on it; see the module's docstring."""

    def __init__(self, tmp_path: Path, previous: PreviousBuild, monkeypatch: pytest.MonkeyPatch) -> None:
        self.tmp_path = tmp_path
        self.previous = previous
        self.monkeypatch = monkeypatch
        self.folder = tmp_path / "cases" / CASE
        self.out = tmp_path / "out"

    @property
    def shown(self) -> str:
        """case.yaml as messages name it (the tests run in tmp_path)."""
        return f"cases/{CASE}/case.yaml"

    def write(
        self,
        data: dict[str, Any] | None = None,
        *,
        raw: bytes | str | None = None,
        files: dict[str, FileMaker] | None = None,
    ) -> Path:
        """The case folder: case.yaml from `data` (default: `case_data()`) or `raw`, plus `files`."""
        self.folder.mkdir(parents=True, exist_ok=True)
        target = self.folder / "case.yaml"
        if raw is not None:
            target.write_bytes(raw.encode() if isinstance(raw, str) else raw)
        else:
            content = case_data() if data is None else data
            target.write_text(yaml.safe_dump(content, allow_unicode=True, sort_keys=False), "utf-8")
        for name, maker in (files or {}).items():
            path = self.folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(maker, bytes):
                path.write_bytes(maker)
            elif isinstance(maker, str):
                path.write_text(maker, encoding="utf-8")
            else:
                maker(path)
        return self.folder

    def line(self, needle: str, after: int = 0) -> int:
        """The number of the first line of case.yaml (after line `after`) that contains `needle`."""
        lines = (self.folder / "case.yaml").read_bytes().decode("utf-8", errors="replace").splitlines()
        return next(number for number, line in enumerate(lines, 1) if number > after and needle in line)

    def at(self, needle: str, field: str, message: str) -> str:
        """A message about `field`, written on the first line of case.yaml holding `needle`."""
        return f"{self.shown}:{self.line(needle)}: {field}: {message}"

    def run(self, *args: str, isolated: bool = False) -> Outcome:
        """Run `build-appeal cases/acme -o out ARGS` over a copy of the previous build's output root: in this
        process through click's CliRunner, or `isolated` in a process of its own (see `_isolated`; the fetcher
        cannot be spied on there)."""
        shutil.copytree(self.previous.root, self.out, symlinks=True)
        fetched: list[str] = []
        served: list[str] = []
        real_fetch = LocalFilesOnly.fetch

        def spy(fetcher: LocalFilesOnly, url: str, headers: Any = None) -> Any:
            fetched.append(url)
            response = real_fetch(fetcher, url, headers)
            served.append(url)
            return response

        self.monkeypatch.setattr(LocalFilesOnly, "fetch", spy)
        self.monkeypatch.chdir(self.tmp_path)
        before = snapshot(self.folder)
        command = [f"cases/{CASE}", "-o", "out", *args]
        if isolated:
            code, stdout, stderr = _isolated(command, self.tmp_path)
        else:
            result = CliRunner().invoke(main, command)
            code, stdout, stderr = result.exit_code, result.stdout, result.stderr
        outcome = Outcome(code, stdout, stderr, self.out / CASE, fetched)
        assert "Traceback" not in outcome.stderr + outcome.stdout, outcome.stderr
        assert snapshot(self.folder) == before, "the case folder was changed"
        allowed = [folder.resolve().as_uri() + "/" for folder in (self.folder, default_templates_folder())]
        assert [url for url in served if not url.startswith(("data:", *allowed))] == [], "a file was read"
        leftovers = sorted(
            path.name for path in self.out.iterdir() if path.name not in (CASE, f".{CASE}.lock", FOLDER)
        )
        assert leftovers == [], "scratch folders were left behind"
        return outcome

    def fails(self, message: str, *args: str, code: int = 1, isolated: bool = False) -> Outcome:
        """Run; assert the exit code, that stderr ends in exactly `error: MESSAGE`, and that the previous
        build's outputs are intact."""
        outcome = self.run(*args, isolated=isolated)
        assert (outcome.code, outcome.errors) == (code, 1), outcome.stderr
        assert outcome.error == message
        assert outcome.stdout == ""
        assert snapshot(outcome.output) == self.previous.files, "the previous outputs were changed"
        return outcome

    def fails_with(self, prefix: str, *args: str) -> Outcome:
        """As `fails`, for messages that quote a library's wording: assert only their start."""
        outcome = self.run(*args)
        assert (outcome.code, outcome.errors) == (1, 1), outcome.stderr
        assert outcome.error.startswith(prefix), outcome.error
        assert outcome.stdout == ""
        assert snapshot(outcome.output) == self.previous.files, "the previous outputs were changed"
        return outcome

    def builds(self, *args: str) -> Outcome:
        """Run; assert success, the bundle's path printed last, and every output of this build (and only
        those) in place, each matching the manifest."""
        outcome = self.run(*args)
        assert outcome.code == 0, outcome.stderr
        assert outcome.stdout.splitlines()[-1] == f"out/{CASE}/bundle.pdf"
        names = {path.name for path in outcome.output.iterdir()}
        assert names == OUTPUTS
        manifest = json.loads((outcome.output / "manifest.json").read_text(encoding="utf-8"))
        for name, digest in manifest["outputs"].items():
            assert hashlib.sha256((outcome.output / name).read_bytes()).hexdigest() == digest, name
        assert outcome.bundle.read_bytes() != self.previous.files["bundle.pdf"]
        return outcome


ISOLATED_DEADLINE = 60.0
"""Seconds an isolated build may run before the test kills it: far beyond any --timeout the tests pass."""
ISOLATED_MEMORY = 4 * 1024**3
"""Bytes of address space an isolated build (and the LibreOffice it starts) may take."""


def _isolated(command: list[str], cwd: Path) -> tuple[int, str, str]:
    """Run the command line in a process of its own, for builds that could run away: a time limit that fails
    to fire must fail the test, not hang it or eat the machine's memory. The process gets at most
    ISOLATED_MEMORY and ISOLATED_DEADLINE; past that, its whole session is killed."""

    def limit_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (ISOLATED_MEMORY, ISOLATED_MEMORY))

    process = subprocess.Popen(
        [sys.executable, "-m", "pipeline", *command],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=limit_memory,
    )
    try:
        stdout, stderr = process.communicate(timeout=ISOLATED_DEADLINE)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        stdout, stderr = process.communicate()
        pytest.fail(f"the build was still running after {ISOLATED_DEADLINE:g} s and was killed:\n{stderr}")
    return process.returncode, stdout, stderr


@pytest.fixture
def hostile(tmp_path: Path, previous_build: PreviousBuild, monkeypatch: pytest.MonkeyPatch) -> Hostile:
    return Hostile(tmp_path, previous_build, monkeypatch)


@pytest.fixture(autouse=True)
def _restore_logging_and_signals() -> Iterator[None]:
    """The CLI points the root logger at click's captured stderr and installs a SIGTERM handler: undo both
    after each test, so later tests log to a live stream and pytest keeps its own SIGTERM behaviour."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    sigterm = signal.getsignal(signal.SIGTERM)
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    signal.signal(signal.SIGTERM, sigterm)


class Listener:
    """A TCP server on 127.0.0.1 that accepts, records and closes every connection: a build must open none."""

    def __init__(self) -> None:
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(16)
        self.server.settimeout(0.2)
        self.port: int = self.server.getsockname()[1]
        self.seen: list[tuple[str, int]] = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stopping.is_set():
            try:
                connection, address = self.server.accept()
            except OSError:
                continue
            self.seen.append(address)
            connection.close()

    def close(self) -> None:
        self.stopping.set()
        self.thread.join()
        self.server.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.close()
