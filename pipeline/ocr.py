"""Give scanned exhibit pages a searchable text layer (`--ocr`; automatic for a court bundle).

N.D. Ill. wants text-searchable PDFs, and CM/ECF takes scans that have been through OCR. The pages read
(`pages_to_read`) are those that show no text (`bundle.page_has_text`, the test behind the bundle's "no
searchable text" warning), and the scans that do show a little: an image over most of the page beside a
line of real text (a scanning app's `Scanned with OfficeScan`, a stamp added later) and no OCR layer yet.
Tesseract reads them, through OCRmyPDF, in English and simplified Chinese; the words found are laid over the
page as invisible text, so it can be searched and copied while it looks exactly as before: the page image is
not re-encoded, deskewed or cleaned (`--output-type pdf -O0`, not PDF/A, which re-encodes the images), and
the other pages are left alone (only the pages to read are named, `--pages`). On a scan with a line of text,
OCRmyPDF's `--redo-ocr` reads the image with the text's place blanked, so the line is not found twice and
stays as it was (it rasterises such a page at 400 dpi at least: about a second more a page than the scan's
own resolution). Without such a page `--skip-text` stays, the mode every scan went through before.

OCRmyPDF runs as a program of its own (`python -m ocrmypdf`) rather than through its Python API, in a new
process group, as LibreOffice does in `convert`: a time-out or an interruption kills the group, which is
OCRmyPDF, its worker processes and every Tesseract they started, at once. Its API cannot be stopped like
that: it would have to be interrupted from inside this process (the SIGALRM of `limits.time_limit`), which
leaves its workers and their Tesseracts running; and it is not safe to call from several threads. The
pages are rasterised by pypdfium2 (a Python package), so Ghostscript is not needed.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pypdf import PageObject, PdfReader
from pypdf.generic import ContentStream

from pipeline.bundle import page_has_text
from pipeline.errors import ConversionError, EnvironmentProblem
from pipeline.libraries import load_pikepdf
from pipeline.processes import run_in_group
from pipeline.stamps import IDENTITY, Matrix, concatenated, transformed

log = logging.getLogger(__name__)

LANGUAGES = ("eng", "chi_sim")
"""Tesseract's language data used by default: English and simplified Chinese."""

SETUP_HINT = "or run scripts/setup.sh"


def add_text_layer(
    source: Path,
    target: Path,
    *,
    name: str,
    languages: tuple[str, ...] = LANGUAGES,
    timeout: float,
) -> list[int]:
    """Write to `target` a copy of the PDF `source` in which every page to read (`pages_to_read`: without
    text, or a scan beside a line of text) has an invisible text layer of the words Tesseract reads on it;
    other pages, and every page's look, stay as they were.

    Returns the numbers (from 1) of the pages that were read by OCR. `name` names the exhibit in errors
    (`Exhibit 3 (evidence/scan.pdf)`); OCR taking longer than `timeout` seconds is stopped, with a
    ConversionError, as is any failure of OCRmyPDF or Tesseract."""
    pages, with_text = _pages_to_read(source, name)
    if not pages:
        shutil.copyfile(source, target)
        return []
    log.info("%s: OCR of page(s) %s", name, ", ".join(map(str, pages)))
    # OCRmyPDF's working folder goes beside the target, not in /tmp: it is removed here even when the
    # run is killed (OCRmyPDF, killed, cannot remove its own).
    with tempfile.TemporaryDirectory(prefix=".ocr-", dir=target.parent) as scratch:
        work = Path(scratch)
        output = work / "output.pdf"
        command = [
            sys.executable, "-P", "-m", "ocrmypdf",  # -P: not a folder `ocrmypdf` in the working folder
            # A scan with a line of text: its image is read, the text kept (and blanked in what is read).
            "--redo-ocr" if with_text else "--skip-text",
            "--pages", ",".join(map(str, pages)),   # the other pages are not rasterised
            "--output-type", "pdf",         # not PDF/A: that re-encodes the images (through Ghostscript)
            "--optimize", "0",              # the images stay byte for byte as they were
            "--rasterizer", "pypdfium",     # no Ghostscript
            "--fast-web-view", "1000000",   # no linearising: the bundle takes the pages only
            "--language", "+".join(languages),
            "--jobs", str(_cores()),
            "--quiet",
            "--", str(source), str(output),
        ]  # fmt: skip
        # One thread per Tesseract (OCRmyPDF gives it more when a PDF has fewer pages than cores): the
        # pages are spread over the cores already (--jobs), and Tesseract's OpenMP threads spin rather than
        # work when the cores are busy, as in a batch (a dense page: 3 s with one thread, 8 to 25 s with
        # two, while other programs kept both cores busy).
        env = {**os.environ, "TMPDIR": str(work), "OMP_THREAD_LIMIT": "1"}
        returncode, stderr = _run_killable(command, env, timeout, name)
        if returncode != 0 or not output.is_file():
            raise _failure(name, returncode, stderr, languages)
        for line in stderr.splitlines():
            log.debug("%s: OCRmyPDF: %s", name, line)
        _steady_names(output, target, pages)
    return pages


def _steady_names(output: Path, target: Path, pages: list[int]) -> None:
    """Save OCRmyPDF's output to `target` with its text layers named `/OCRText` instead of a random name
    (`/OCR-8iNjjwJSdLAPDUUF2hVDow`), which would make every build's pages differ in their bytes."""
    load_pikepdf()  # here: only OCR needs it, and it takes a while to import
    import pikepdf

    with pikepdf.open(output) as pdf:
        for number in pages:
            page: Any = pdf.pages[number - 1].obj
            xobjects: Any = page.get("/Resources", {}).get("/XObject", {})
            for random_name in [str(key) for key in xobjects if str(key).startswith("/OCR-")]:
                steady, suffix = "/OCRText", 1
                while steady in xobjects:
                    steady, suffix = f"/OCRText{suffix}", suffix + 1
                xobjects[steady] = xobjects[random_name]
                del xobjects[random_name]
                contents = page.get("/Contents")
                streams = list(contents) if isinstance(contents, pikepdf.Array) else [contents]
                for stream in streams:
                    data = stream.read_bytes()
                    if random_name.encode() in data:
                        stream.write(data.replace(random_name.encode(), steady.encode()))
        pdf.save(target, deterministic_id=True)


def missing_languages(languages: Sequence[str] = LANGUAGES) -> list[str]:
    """The languages among `languages` that Tesseract has no data for (all of them if Tesseract is not
    installed), from `tesseract --list-langs`."""
    tesseract = shutil.which("tesseract")
    if tesseract is None:
        return list(languages)
    try:
        listed = subprocess.run(
            [tesseract, "--list-langs"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return list(languages)
    # The first line is a heading ('List of available languages in "/usr/share/...tessdata/" (3):').
    installed = {line.strip() for line in listed.stdout.splitlines()[1:]}
    return [language for language in languages if language not in installed]


def check_ocr_installed(languages: Sequence[str] = LANGUAGES) -> None:
    """Fail early, saying what to install, when OCRmyPDF, Tesseract or its data for `languages` is
    missing."""
    problem = _installation_problem(languages)
    if problem is not None:
        raise EnvironmentProblem(problem)


def _installation_problem(languages: Sequence[str]) -> str | None:
    if importlib.util.find_spec("ocrmypdf") is None:
        return (
            "OCRmyPDF is not installed; it adds the searchable text to scanned pages. Install it with "
            f"`{Path(sys.executable).parent / 'pip'} install ocrmypdf` ({SETUP_HINT})"
        )
    if shutil.which("tesseract") is None:
        packages = " ".join(["tesseract-ocr", *map(apt_package, languages)])
        return (
            "Tesseract is not installed; it reads the text of scanned pages. Install it with "
            f"`apt-get install {packages}` ({SETUP_HINT})"
        )
    missing = missing_languages(languages)
    if missing:
        return (
            f"Tesseract has no data for the language(s) {', '.join(missing)}, so it cannot read them on "
            f"scanned pages. Install it with `apt-get install {' '.join(map(apt_package, missing))}` "
            f"({SETUP_HINT})"
        )
    return None


def apt_package(language: str) -> str:
    """Debian's package of Tesseract's data for a language: `chi_sim` -> `tesseract-ocr-chi-sim`."""
    return "tesseract-ocr-" + language.lower().replace("_", "-")


def pages_to_read(pages: Sequence[PageObject]) -> list[int]:
    """The numbers (from 1) of the pages OCR should read: those that show no text, and the scans that show a
    little (`is_scan_with_text`)."""
    return [
        number
        for number, page in enumerate(pages, start=1)
        if not page_has_text(page) or is_scan_with_text(page)
    ]


SCAN_COVER = 0.5
"""The share of a page that images must cover, beside some text, for the page to be taken for a scan."""
SCAN_DPI = 100
"""The least resolution of such images: below it OCR reads little, and a logo or a stamp is no scan."""


def is_scan_with_text(page: PageObject) -> bool:
    """Whether a page that draws text is a scan all the same: images of at least `SCAN_DPI` cover at least
    half of it (`SCAN_COVER`) and none of its text is invisible (an OCR layer, which a scan read before
    has). One footer line, `Scanned with OfficeScan`, makes `page_has_text` true of a page whose words are
    in its image. The content's operators (10-25 ms a page) are read only when the page holds images of
    enough pixels, else it costs a tenth of a millisecond; a page pypdf cannot parse counts as no scan."""
    try:
        box = page.cropbox
        area = float(box.width) * float(box.height)  # in square points
        resources = page.get("/Resources")
        if area <= 0 or _pixels(resources, depth=0) < SCAN_COVER * area * (SCAN_DPI / 72) ** 2:
            return False
        drawn = _Drawn()
        _walk(page.get_contents(), resources, IDENTITY, drawn, depth=0)
    except Exception:  # a damaged page: the bundle's own checks meet it
        return False
    return not drawn.invisible_text and drawn.image_area >= SCAN_COVER * area


@dataclass
class _Drawn:
    """What a page's content draws, as far as telling a scan goes."""

    image_area: float = 0.0
    """The area of the page (in square points) its images cover, added up."""
    invisible_text: bool = False
    """Whether it draws invisible text (`3 Tr`), as an OCR layer does."""


def _pixels(resources: Any, depth: int) -> int:
    """The pixels of the images in `resources`, and in those of the forms there, added up."""
    resources = resources.get_object() if resources is not None else {}
    xobjects = resources.get("/XObject")
    total = 0
    for reference in xobjects.get_object().values() if xobjects is not None else []:
        xobject = reference.get_object()
        if xobject.get("/Subtype") == "/Image":
            total += int(xobject.get("/Width", 0)) * int(xobject.get("/Height", 0))
        elif xobject.get("/Subtype") == "/Form" and depth < 3:
            total += _pixels(xobject.get("/Resources"), depth + 1)
    return total


def _walk(contents: Any, resources: Any, matrix: Matrix, drawn: _Drawn, depth: int) -> None:
    """Note in `drawn` what a content stream draws, and the forms it draws; `matrix` maps its space onto
    the page's."""
    if contents is None or depth > 3:
        return
    resources = resources.get_object() if resources is not None else {}
    xobjects = resources.get("/XObject")
    xobjects = xobjects.get_object() if xobjects is not None else {}
    operations = contents if isinstance(contents, ContentStream) else ContentStream(contents, None)
    for operands, operator, current in transformed(operations.operations, matrix):
        if operator == b"Tr" and operands and operands[0] == 3:
            drawn.invisible_text = True
        elif operator == b"Do" and operands and operands[0] in xobjects:
            xobject = xobjects[operands[0]].get_object()
            if xobject.get("/Subtype") == "/Image":
                a, b, c, d, _, _ = current
                drawn.image_area += abs(a * d - b * c)  # (an image is drawn on the unit square)
            elif xobject.get("/Subtype") == "/Form":
                inner = concatenated(xobject.get("/Matrix", IDENTITY), current)
                _walk(xobject, xobject.get("/Resources", resources), inner, drawn, depth + 1)


def _pages_to_read(source: Path, name: str) -> tuple[list[int], bool]:
    """`pages_to_read` of the PDF `source`, and whether any of them has text (a scan beside a line of
    text)."""
    try:
        reader = PdfReader(source, strict=False)
        if reader.is_encrypted:
            raise ConversionError(_encrypted(name))
        pages = pages_to_read(reader.pages)
        return pages, any(page_has_text(reader.pages[number - 1]) for number in pages)
    except ConversionError:
        raise
    except Exception as error:  # pypdf raises many kinds for a damaged file
        raise ConversionError(
            f"{name}: the PDF cannot be read for OCR ({error}); scan or print it again"
        ) from error


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _run_killable(command: list[str], env: dict[str, str], timeout: float, name: str) -> tuple[int, str]:
    """Run OCRmyPDF in a process group of its own, killed whole (its workers and every Tesseract) however
    the run ends. Returns its exit code and what it wrote to stderr."""
    return run_in_group(
        command,
        env=env,
        timeout=timeout,
        too_slow=lambda: ConversionError(
            f"{name}: OCR did not finish within {timeout:g} s and was stopped; raise the limit with "
            "--timeout, or build without --ocr"
        ),
    )


# OCRmyPDF's exit codes (ocrmypdf.exceptions.ExitCode) that call for a message of their own.
_INPUT_FILE, _MISSING_DEPENDENCY, _CHILD_PROCESS_ERROR, _ENCRYPTED_PDF = 2, 3, 7, 8


def _failure(name: str, returncode: int, stderr: str, languages: Sequence[str]) -> ConversionError:
    """One line saying why OCR failed and what to do, keeping OCRmyPDF's own last word."""
    problem = _installation_problem(languages)
    if problem is not None:  # whatever OCRmyPDF said, this is what to fix first
        return ConversionError(f"{name}: cannot add a text layer: {problem}")
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    said = lines[-1] if lines else ""
    if returncode < 0:
        said = f"it was stopped by signal {-returncode}" + (f"; {said}" if said else "")
    elif not said:
        said = f"exit code {returncode}" if returncode else "it wrote no PDF"
    if returncode == _ENCRYPTED_PDF:
        return ConversionError(_encrypted(name))
    if returncode == _INPUT_FILE:
        return ConversionError(f"{name}: OCRmyPDF cannot read the PDF ({said}); scan or print it again")
    if returncode == _MISSING_DEPENDENCY:
        return ConversionError(f"{name}: OCR is missing a program ({said}); run scripts/setup.sh")
    if returncode == _CHILD_PROCESS_ERROR:
        return ConversionError(
            f"{name}: Tesseract failed ({said}); scan the page again or build without --ocr"
        )
    return ConversionError(f"{name}: OCR failed ({said})")


def _encrypted(name: str) -> str:
    return (
        f"{name}: the PDF is protected by a password, so no text layer can be added; open it, print it to "
        "a new PDF without a password and use that file"
    )
