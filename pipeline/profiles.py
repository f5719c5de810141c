"""Destination profiles: the rules of the place a bundle goes, checked before anything is written.

- platform: one bundle no larger than the platform takes (`bundle.platform_cap_mb`, 10 MB by default: no
  official limit was found, and 5-10 MB is safe). Over it, images are downsampled only with `--compress`,
  never silently; else the build stops and says by how much.
- court: exhibits numbered 1, 2, 3 (judges who refuse letters); besides the bundle, each exhibit as a file
  of its own named `N_Neutral description.pdf`; no file over the court's cap (`bundle.court_cap_mb`, 35 MB
  by default, N.D. Ill.'s upload portal), an exhibit over it split into parts ("Exhibit 4, Part 1 of 3");
  every exhibit page searchable (OCR runs for this profile); no full account number, SSN, ID number or
  birth date (FRCP 5.2(a)).
- email: the bundle no larger than the send command takes (`send.max_size_mb`, 20 MB by default).

Each rule comes back as a `Rule` that held or not; the build prints them, and stops on one that did not.
"""

from __future__ import annotations

import dataclasses
import io
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pypdf import PageObject, PdfReader, PdfWriter

from pipeline.errors import BundleError
from pipeline.libraries import load_pikepdf
from pipeline.load import Case
from pipeline.model import CaseFile, Destination, ExhibitLabels

MB = 1_000_000
NAME_LIMIT = 200
"""The longest exhibit file name a court's system takes, `.pdf` included."""

IMAGE_DPI = 150
"""What `--compress` brings images down to: still sharp for print and for reading on a screen."""
JPEG_QUALITY = 70


@dataclass(frozen=True)
class Rule:
    """One rule of a profile, and whether the build kept it."""

    text: str
    held: bool
    detail: str = ""

    def __str__(self) -> str:
        return f"{'ok  ' if self.held else 'FAIL'} {self.text}{f': {self.detail}' if self.detail else ''}"


@dataclass(frozen=True)
class Profile:
    """The rules of one destination, with its cap in bytes."""

    destination: Destination
    cap: int

    @property
    def court(self) -> bool:
        return self.destination == Destination.COURT

    @property
    def cap_text(self) -> str:
        return f"{self.cap / MB:g} MB"


def profile_for(destination: Destination, data: CaseFile, email_cap_mb: float | None = None) -> Profile:
    """The profile of `destination`, with the caps case.yaml sets."""
    caps = {
        Destination.PLATFORM: data.bundle.platform_cap_mb,
        Destination.COURT: data.bundle.court_cap_mb,
        Destination.EMAIL: email_cap_mb or data.send.max_size_mb,
    }
    return Profile(destination, int(caps[destination] * MB))


def as_sent_to(destination: Destination | None, case: Case) -> Case:
    """The case as a bundle for `destination` shows it: a court's with its exhibits numbered (some judges
    refuse letters), whatever `bundle.exhibit_labels` says."""
    if destination is None or not profile_for(destination, case.data).court:
        return case
    bundle = case.data.bundle.model_copy(update={"exhibit_labels": ExhibitLabels.NUMBERS})
    return dataclasses.replace(case, data=case.data.model_copy(update={"bundle": bundle}))


def over_cap(size: int, profile: Profile, what: str) -> str:
    """How a file over the cap is described: its size, the cap and by how much it is over."""
    return (
        f"{what} is {size / MB:.1f} MB, {(size - profile.cap) / MB:.1f} MB over the {profile.cap_text} "
        f"that the {profile.destination.value} profile allows"
    )


# --- Court: one file per exhibit, split under the cap ---------------------------------------------------


def exhibit_file_name(label_key: str, title: str, part: tuple[int, int] | None = None) -> str:
    """`4_Supplier invoice.pdf`, or `4_Supplier invoice (Part 1 of 3).pdf`: the exhibit's number and a
    neutral description in plain letters, digits and spaces, at most `NAME_LIMIT` characters."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    words = re.sub(r"[^A-Za-z0-9.,()' -]+", " ", ascii_title)
    description = re.sub(r"\s+", " ", words).strip(" .") or "Exhibit"
    suffix = f" (Part {part[0]} of {part[1]})" if part else ""
    room = NAME_LIMIT - len(f"{label_key}_{suffix}.pdf")
    return f"{label_key}_{description[:room].rstrip(' .')}{suffix}.pdf"


@dataclass(frozen=True)
class ExhibitFile:
    """A file of its own for an exhibit, or for one part of it."""

    name: str
    first: int
    """The first bundle page (0-based) in the file."""
    count: int
    size: int


def write_exhibit_files(
    bundle: PdfReader,
    exhibits: list[tuple[str, str, int, int]],
    folder: Path,
    profile: Profile,
) -> list[ExhibitFile]:
    """Write each exhibit's bundle pages (cover sheet, then its own pages, stamped) as a file of its own
    in `folder`; an exhibit larger than the cap is split into parts that each fit. `exhibits` holds each
    exhibit's (number, title, first page, last page), pages 1-based. Every page lands in exactly one file."""
    folder.mkdir(parents=True, exist_ok=True)
    written: list[ExhibitFile] = []
    for key, title, first, last in exhibits:
        pages = list(range(first - 1, last))
        whole = _pdf_of(bundle, pages, f"Exhibit {key}")
        if len(whole) <= profile.cap:
            name = exhibit_file_name(key, title)
            (folder / name).write_bytes(whole)
            written.append(ExhibitFile(name, pages[0], len(pages), len(whole)))
            continue
        runs = _split(bundle, pages, profile, f"Exhibit {key}")
        for number, run in enumerate(runs, 1):
            part = (number, len(runs))
            data = _pdf_of(bundle, run, f"Exhibit {key}, Part {number} of {len(runs)}")
            name = exhibit_file_name(key, title, part)
            (folder / name).write_bytes(data)
            written.append(ExhibitFile(name, run[0], len(run), len(data)))
    return written


def _pdf_of(bundle: PdfReader, pages: list[int], title: str) -> bytes:
    writer = PdfWriter()
    for index in pages:
        writer.add_page(bundle.pages[index])
    writer.add_outline_item(title=title, page_number=0)
    writer.add_metadata({"/Title": title, "/Producer": "build-appeal (pypdf)"})
    writer.compress_identical_objects(remove_duplicates=True, remove_unreferenced=True)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _split(bundle: PdfReader, pages: list[int], profile: Profile, label: str) -> list[list[int]]:
    """Consecutive runs of `pages`, each of which written alone stays under the cap: grown a page at a
    time while the pages' own streams fit, then checked by writing (shared fonts and images count once)."""
    runs: list[list[int]] = []
    run: list[int] = []
    estimate = 0
    for index in pages:
        weight = _page_weight(bundle.pages[index])
        if run and estimate + weight > profile.cap * 0.95:
            runs.append(run)
            run, estimate = [], 0
        run.append(index)
        estimate += weight
    if run:
        runs.append(run)
    checked: list[list[int]] = []
    while runs:
        run = runs.pop(0)
        if len(_pdf_of(bundle, run, label)) <= profile.cap:
            checked.append(run)
            continue
        if len(run) == 1:
            raise BundleError(
                f"{label}: page {pages.index(run[0]) + 1} alone is larger than the {profile.cap_text} a "
                f"file may be in the court profile; scan it again at a lower resolution, or raise "
                "bundle.court_cap_mb if the court takes larger files"
            )
        half = len(run) // 2
        runs[:0] = [run[:half], run[half:]]
    return checked


def _page_weight(page: PageObject) -> int:
    """The bytes a page's content and images take, from their streams' lengths (not decoded)."""
    total = 0
    contents = page.get("/Contents")
    for stream in _objects(contents):
        total += int(stream.get("/Length", 0))
    resources = page.get("/Resources")
    xobjects = resources.get_object().get("/XObject") if resources is not None else None
    for reference in xobjects.get_object().values() if xobjects is not None else []:
        total += int(reference.get_object().get("/Length", 0))
    return total + 2000  # the page's dictionary, fonts shared with other pages, and the file's overhead


def _objects(value: Any) -> list[Any]:
    """The streams of a /Contents entry: one stream, or an array of them (arrays within arrays too)."""
    if value is None:
        return []
    value = value.get_object()
    if isinstance(value, list):
        return [stream for item in value for stream in _objects(item)]
    return [value] if hasattr(value, "get") else []


# --- Platform and email: the bundle under the cap ---------------------------------------------------------


def downsample_images(source: Path, target: Path) -> int:
    """Write `source` to `target` with every image sharper than `IMAGE_DPI` (at the size it is shown on
    the page) scaled down to it and stored as JPEG; text and drawings are untouched. Returns how many
    images were changed."""
    load_pikepdf()
    import pikepdf
    from PIL import Image

    changed = 0
    with pikepdf.open(source) as pdf:
        done: set[tuple[int, int]] = set()
        for page in pdf.pages:
            for name, raw in page.get_images(recursive=False).items():
                if raw.objgen in done or "/SMask" in raw or "/Mask" in raw:
                    continue
                done.add(raw.objgen)
                shown = _shown_size(page, name)
                image = pikepdf.PdfImage(raw)  # type: ignore[arg-type]
                if shown is None or image.bits_per_component != 8 or image.mode not in ("RGB", "L"):
                    continue
                width, height = shown
                wanted = (max(1, round(width / 72 * IMAGE_DPI)), max(1, round(height / 72 * IMAGE_DPI)))
                if image.width <= wanted[0] * 1.1 and image.height <= wanted[1] * 1.1:
                    continue
                picture = image.as_pil_image().resize(wanted, Image.Resampling.LANCZOS)
                buffer = io.BytesIO()
                picture.save(buffer, format="JPEG", quality=JPEG_QUALITY, optimize=True)
                raw.write(buffer.getvalue(), filter=pikepdf.Name.DCTDecode)
                raw.Width, raw.Height = wanted
                raw.ColorSpace = pikepdf.Name.DeviceRGB if picture.mode == "RGB" else pikepdf.Name.DeviceGray
                raw.BitsPerComponent = 8
                for key in ("/DecodeParms", "/Decode"):
                    if key in raw:
                        del raw[key]
                changed += 1
        pdf.remove_unreferenced_resources()
        pdf.save(target, compress_streams=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    return changed


def _shown_size(page: Any, name: str) -> tuple[float, float] | None:
    """The largest size, in points, at which the page draws the image `name` (from the `cm` before each
    `Do`); None when it cannot be told."""
    import pikepdf

    largest = None
    matrix = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0]
    stack: list[list[float]] = []
    try:
        operations = pikepdf.parse_content_stream(page)
    except pikepdf.PdfError:
        return None
    for instruction in operations:
        operands, op = list(instruction.operands), str(instruction.operator)
        if op == "q":
            stack.append(matrix)
        elif op == "Q" and stack:
            matrix = stack.pop()
        elif op == "cm":
            a, b, c, d, e, f = (float(value) for value in operands)
            m = matrix
            matrix = [
                a * m[0] + b * m[2], a * m[1] + b * m[3],
                c * m[0] + d * m[2], c * m[1] + d * m[3],
                e * m[0] + f * m[2] + m[4], e * m[1] + f * m[3] + m[5],
            ]  # fmt: skip
        elif op == "Do" and str(operands[0]) == name:
            width = (matrix[0] ** 2 + matrix[1] ** 2) ** 0.5
            height = (matrix[2] ** 2 + matrix[3] ** 2) ** 0.5
            if largest is None or width * height > largest[0] * largest[1]:
                largest = (width, height)
    return largest


# --- The rules, checked on the staged bundle ---------------------------------------------------------------


@dataclass(frozen=True)
class Checked:
    """What checking a profile found: the rules, the exhibit files written, warnings to print."""

    rules: list[Rule]
    files: list[ExhibitFile]
    warnings: list[str]

    @property
    def failed(self) -> list[Rule]:
        return [rule for rule in self.rules if not rule.held]


def check(
    profile: Profile,
    bundle: Path,
    exhibits: list[tuple[str, str, int, int]],
    blank: list[str],
    findings: list[str],
    *,
    compress: bool,
    exhibits_folder: Path,
) -> Checked:
    """Check the staged `bundle` against `profile`: `exhibits` as for `write_exhibit_files`, `blank` the
    exhibit pages without text (`Exhibit 3, pages 2, 5`), `findings` the redaction messages. Court: the
    exhibit files are written to `exhibits_folder`. Platform and email: with `compress`, a bundle over the
    cap has its images downsampled in place."""
    rules: list[Rule] = []
    warnings: list[str] = []
    files: list[ExhibitFile] = []
    redaction = "no full account, card, social-security or ID number and no full birth date (FRCP 5.2(a))"
    searchable = "every exhibit page has searchable text (N.D. Ill. standing orders: text-searchable PDFs)"
    if profile.court:
        rules.append(Rule("exhibits numbered 1, 2, 3 (judges who refuse letters and 1A)", True))
        rules.append(Rule(searchable, not blank, "; ".join(blank)))
        rules.append(Rule(redaction, not findings, _first(findings)))
        files = write_exhibit_files(PdfReader(bundle), exhibits, exhibits_folder, profile)
        split = len(files) - len(exhibits)
        largest = max((file.size for file in files), default=0)
        rules.append(
            Rule(
                f"each exhibit a file of its own, none over {profile.cap_text} (the court's upload limit)",
                all(file.size <= profile.cap for file in files),
                f"{len(files)} files in exhibits/, the largest {largest / MB:.1f} MB"
                + (f", {split} more for exhibits split into parts" if split > 0 else ""),
            )
        )
        size = bundle.stat().st_size
        if size > profile.cap:
            warnings.append(
                f"{over_cap(size, profile, 'the bundle')}; file the documents and exhibits/ separately"
            )
        return Checked(rules, files, warnings)
    size = bundle.stat().st_size
    if size > profile.cap and compress:
        smaller = bundle.with_suffix(".compressed.pdf")
        changed = downsample_images(bundle, smaller)
        smaller.replace(bundle)
        new_size = bundle.stat().st_size
        warnings.append(
            f"--compress: {changed} image{'s' if changed != 1 else ''} brought down to {IMAGE_DPI} dpi; "
            f"the bundle went from {size / MB:.1f} MB to {new_size / MB:.1f} MB"
        )
        size = new_size
    detail = (
        f"{size / MB:.1f} MB"
        if size <= profile.cap
        else over_cap(size, profile, "the bundle")
        + ("; --compress could not bring it under" if compress else "; run again with --compress")
    )
    rules.append(Rule(f"the bundle no larger than {profile.cap_text}", size <= profile.cap, detail))
    warnings += [f"{message} (a warning here; the court profile refuses it)" for message in findings]
    return Checked(rules, files, warnings)


def _first(messages: list[str], shown: int = 3) -> str:
    more = len(messages) - shown
    return "; ".join(messages[:shown]) + (f"; and {more} more" if more > 0 else "")
