"""Destination profiles: the rules of the place a bundle goes, checked before anything is written.

- platform: one bundle no larger than the platform takes (`bundle.platform_cap_mb`, 10 MB by default: no
  official limit was found, and 5-10 MB is safe). Over it, images are downsampled only with `--compress`,
  never silently; else the build stops and says by how much.
- court: exhibits numbered 1, 2, 3 (judges who refuse letters); besides the bundle, each exhibit as a file
  of its own named `N_Neutral description.pdf`; no file over the court's cap (`bundle.court_cap_mb`, 35 MB
  by default, N.D. Ill.'s upload portal), the documents included; an exhibit over it split into parts, each
  as long as fits, "Exhibit 4, Part 1 of 3" printed on each part's first page; every exhibit page
  searchable (OCR runs for this profile); no full account number, SSN, taxpayer ID, ID number or birth
  date (FRCP 5.2(a)).
- email: the bundle no larger than the send command takes (`send.max_size_mb`, 20 MB by default).

Each rule comes back as a `Rule` that held or not; the build prints them, and stops on one that did not.
"""

from __future__ import annotations

import dataclasses
import io
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pypdf import PageObject, PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DecodedStreamObject, DictionaryObject, IndirectObject, NameObject

from pipeline.doubts import CHINESE
from pipeline.errors import BundleError
from pipeline.libraries import load_pikepdf
from pipeline.load import Case, display_path
from pipeline.model import CaseFile, Destination, ExhibitLabels
from pipeline.stamps import (
    BASELINE,
    BOLD,
    FONT_SIZE,
    IDENTITY,
    REGULAR,
    SIDE,
    Matrix,
    Placed,
    Stamp,
    StampFont,
    concatenated,
    drawing,
    stamp_fonts,
    visible_box,
)

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
    message_mb: float = 0.0
    """Email: the cap of the message `send` sends (`cap` is the bundle's share of it, see `email_cap`)."""
    with_docx: bool = False
    """Email: the Word files go in the message too (`send.attach_docx`), and take their share of it."""

    @property
    def court(self) -> bool:
        return self.destination == Destination.COURT

    @property
    def cap_text(self) -> str:
        return f"{self.cap / MB:.1f} MB" if self.message_mb else f"{self.cap / MB:g} MB"


MESSAGE_ROOM = 200_000
"""What an email's text, headers and other attachments may take besides the bundle, in bytes."""


def email_cap(message_mb: float) -> int:
    """The largest bundle that goes out in a message of at most `message_mb` MB, as `send` measures it:
    an attachment is sent in base64, 76 characters and a line break for every 57 bytes, a third larger."""
    return int(max(message_mb * MB - MESSAGE_ROOM, 0) * 57 / 78)


def profile_for(destination: Destination, data: CaseFile, email_cap_mb: float | None = None) -> Profile:
    """The profile of `destination`, with the caps case.yaml sets."""
    if destination == Destination.EMAIL:
        message_mb = email_cap_mb or data.send.max_size_mb
        return Profile(destination, email_cap(message_mb), message_mb, data.send.attach_docx)
    caps = {Destination.PLATFORM: data.bundle.platform_cap_mb, Destination.COURT: data.bundle.court_cap_mb}
    return Profile(destination, int(caps[destination] * MB))


def as_sent_to(destination: Destination | None, case: Case) -> Case:
    """The case as a bundle for `destination` shows it: a court's with its exhibits numbered (some judges
    refuse letters), whatever `bundle.exhibit_labels` says."""
    if destination is None or not profile_for(destination, case.data).court:
        return case
    bundle = case.data.bundle.model_copy(update={"exhibit_labels": ExhibitLabels.NUMBERS})
    return dataclasses.replace(case, data=case.data.model_copy(update={"bundle": bundle}))


def relabelled(destination: Destination | None, case: Case) -> list[str]:
    """A warning when `as_sent_to` numbers the exhibits case.yaml asks to letter: said, not done silently."""
    if destination is None or case.data.bundle.exhibit_labels != ExhibitLabels.LETTERS:
        return []
    if not profile_for(destination, case.data).court:
        return []
    return [
        f"{case.where('bundle', 'exhibit_labels')}: letters are not used for a court: the exhibits are "
        "numbered 1, 2, 3 (some judges refuse letters and 1A); bundles for other destinations keep letters"
    ]


_LATIN = re.compile(r"[A-Za-z]")


def mostly_chinese(texts: Sequence[str]) -> bool:
    """Whether an exhibit's pages read in Chinese: Chinese characters, each worth a word, outnumbering a
    third of the Latin letters (a bilingual invoice's English keeps it below), and some 20 at least."""
    han = sum(len(CHINESE.findall(text)) for text in texts)
    return han >= 20 and 3 * han > sum(len(_LATIN.findall(text)) for text in texts)


def translation_warning(exhibits: Sequence[str]) -> list[str]:
    """A court's warning for the exhibits (as messages name them) that read in Chinese."""
    if not exhibits:
        return []
    one = len(exhibits) == 1
    return [
        f"{', '.join(exhibits)}: {'its' if one else 'their'} text is mostly Chinese, and a US court reads "
        f"English: file an English translation with {'it' if one else 'each'}, with the translator's "
        "statement that it is accurate"
    ]


LETTER = (612, 792)
"""US Letter, in points: the paper of US court filings."""


def paper_warning(template: Path, sizes: set[tuple[float, float]]) -> list[str]:
    """A warning if a Word template's pages, of these sizes in points, are not US Letter (an A4 template, as
    Chinese offices make them), for a court: its filings and the bundle's other pages are Letter."""
    odd = sorted(
        size
        for size in {tuple(sorted(map(round, size))) for size in sizes}
        if any(abs(side - letter) > 2 for side, letter in zip(size, LETTER, strict=True))
    )
    if not odd:
        return []
    width, height = odd[0]
    a4 = abs(width - 595) <= 2 and abs(height - 842) <= 2
    shown = "A4" if a4 else f"{width / 72:.2f} × {height / 72:.2f} inch"
    return [
        f"{display_path(template)}: its pages are {shown}, not US Letter (8.5 × 11 inch), the paper of US "
        "court filings and of the bundle's other pages; set the template's paper to Letter (Word: Layout > "
        "Size > Letter; WPS: 页面布局 > 纸张大小 > Letter)"
    ]


def over_cap(size: int, profile: Profile, what: str) -> str:
    """How a file over the cap is described: its size, the cap and by how much it is over (in thousandths
    of a MB when tenths would say 0.0)."""
    digits = 1 if size - profile.cap >= 0.05 * MB else 3
    return (
        f"{what} is {size / MB:.{digits}f} MB, {(size - profile.cap) / MB:.{digits}f} MB over the "
        f"{profile.cap_text} that the {profile.destination.value} profile allows"
    )


# --- Court: one file per exhibit, split under the cap ---------------------------------------------------


def exhibit_file_name(label_key: str, title: str, part: tuple[int, int] | None = None) -> str:
    """`4_Supplier invoice.pdf`, or `4_Supplier invoice (Part 1 of 3).pdf`: the exhibit's number and a
    neutral description in plain letters, digits and spaces, at most `NAME_LIMIT` characters. A part's
    number has as many digits as the count of parts (`Part 02 of 12`), so the files sort in order (give
    `label_key` with its zeros likewise, `04`)."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    words = re.sub(r"[^A-Za-z0-9.,()' -]+", " ", ascii_title)
    description = re.sub(r"\s+", " ", words).strip(" .") or "Exhibit"
    suffix = f" (Part {part[0]:0{len(str(part[1]))}d} of {part[1]})" if part else ""
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


PART_FONT = "/BAPartB"
"""The name of the font that prints a part's label on its first page."""


def write_exhibit_files(
    bundle: PdfReader,
    exhibits: list[tuple[str, str, int, int]],
    folder: Path,
    profile: Profile,
) -> list[ExhibitFile]:
    """Write each exhibit's bundle pages (cover sheet, then its own pages, stamped) as a file of its own
    in `folder`; an exhibit larger than the cap is split into parts that each fit, each as long as fits (so
    the cover sheet goes with the first pages of evidence), the first page of each printed with its label,
    `Exhibit 4, Part 1 of 3`. `exhibits` holds each exhibit's (number, title, first page, last page), pages
    1-based. Every page lands in exactly one file, with only the images and fonts it uses."""
    folder.mkdir(parents=True, exist_ok=True)
    written: list[ExhibitFile] = []
    digits = max((len(key) for key, *_ in exhibits), default=1)  # `04_...` among 12: they sort in order
    for key, title, first, last in exhibits:
        pages = [_own_resources(bundle.pages[index]) for index in range(first - 1, last)]
        whole = _pdf_of(pages, f"Exhibit {key}")
        if len(whole) <= profile.cap:
            name = exhibit_file_name(key.zfill(digits), title)
            (folder / name).write_bytes(whole)
            written.append(ExhibitFile(name, first - 1, len(pages), len(whole)))
            continue
        font = stamp_fonts([Stamp(0, 0, running=f"Exhibit {key}, Part 0123456789 of")])[1]
        runs = _split(pages, profile, f"Exhibit {key}", font)
        for number, (start, end) in enumerate(runs, 1):
            data = _pdf_of(pages[start:end], f"Exhibit {key}, Part {number} of {len(runs)}", font)
            name = exhibit_file_name(key.zfill(digits), title, (number, len(runs)))
            (folder / name).write_bytes(data)
            written.append(ExhibitFile(name, first - 1 + start, end - start, len(data)))
    return written


def _pdf_of(pages: list[PageObject], title: str, font: StampFont | None = None) -> bytes:
    """The pages as a PDF titled `title`; with `font`, `title` is also printed on its first page."""
    writer = PdfWriter()
    for page in pages:
        _without_running_number(writer, writer.add_page(page))
    if font is not None:
        _print_label(writer, writer.pages[0], title, font)
    writer.add_outline_item(title=title, page_number=0)
    writer.add_metadata({"/Title": title, "/Producer": "build-appeal (pypdf)"})
    writer.compress_identical_objects(remove_duplicates=True, remove_unreferenced=True)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _without_running_number(writer: PdfWriter, page: PageObject) -> None:
    """Take the bundle's running number (`Page 58 of 120`) off `page` of an exhibit's own file, leaving the
    exhibit's page (`Exhibit 13, page 4 of 14`) and the Bates number: filed as an attachment, the file's
    pages are numbered by CM/ECF's header (`Page 4 of 15`), and a second count, of a bundle the court does
    not get, beside it only confuses. The stamps are the page's last stream (`stamps.drawing`): a white box
    for each, then each's text, the running number last."""
    streams = _objects(page.get("/Contents"))
    lines = streams[-1].get_data().split(b"\n") if streams else []
    boxes = [index for index, line in enumerate(lines) if line.endswith(b" re f")]
    texts = [index for index, line in enumerate(lines) if STAMPED.match(line)]
    if lines[:3] != [b"Q", b"q", b"1 g"] or not texts or len(boxes) != len(texts):
        return  # (not the stamps' drawing)
    kept = b"\n".join(line for index, line in enumerate(lines) if index not in (boxes[-1], texts[-1]))
    contents = page[NameObject("/Contents")]
    resolved = contents.get_object()
    parts = list(resolved) if isinstance(resolved, ArrayObject) else [contents]
    page[NameObject("/Contents")] = ArrayObject([*parts[:-1], _stream(writer, kept)])


STAMPED = re.compile(rf"BT (?:{REGULAR}|{BOLD}) ([\d.]+) Tf [-\d.]+ ([-\d.]+) Td".encode())
"""A stamp in the drawing `pipeline.stamps` adds to a page: its size and the height of its baseline."""


def _print_label(writer: PdfWriter, page: PageObject, text: str, font: StampFont) -> None:
    """Print `text` in bold at the bottom left of `page`, a line above its stamps (the exhibit's page, the
    running number; stacked in lines on a narrow page): where a clerk or a judge looks for the exhibit's
    label, in the band kept free for the stamps, and clear of the header CM/ECF prints across the top. No
    page is added: a part holds only the bundle's pages, each with its own stamps."""
    left, bottom, right, _ = visible_box(page)
    streams = _objects(page.get("/Contents"))
    stamps = [
        (float(size), float(y)) for size, y in STAMPED.findall(streams[-1].get_data() if streams else b"")
    ]
    size = min((size for size, _ in stamps), default=FONT_SIZE)
    x = left + min(SIDE, (right - left) / 12)
    y = max((y + size * 1.5 for _, y in stamps), default=bottom + BASELINE)
    label = drawing([Placed(font, PART_FONT, text, size, x, y, font.width(text, size))])  # as a stamp is
    contents = page.get(NameObject("/Contents"))
    resolved = contents.get_object() if contents is not None else None
    parts = list(resolved) if isinstance(resolved, ArrayObject) else [] if resolved is None else [resolved]
    references = [part if isinstance(part, IndirectObject) else writer._add_object(part) for part in parts]
    page[NameObject("/Contents")] = ArrayObject(
        [_stream(writer, b"q\n"), *references, _stream(writer, label)]
    )  # the page's own drawing closed in q ... Q, so nothing it leaves set moves the label
    resources = page.setdefault(NameObject("/Resources"), DictionaryObject()).get_object()
    fonts = resources.setdefault(NameObject("/Font"), DictionaryObject()).get_object()
    fonts[NameObject(PART_FONT)] = writer._add_object(font.font.clone(writer))


def _stream(writer: PdfWriter, data: bytes) -> IndirectObject:
    stream = DecodedStreamObject()
    stream.set_data(data)
    return writer._add_object(stream)


def _split(pages: list[PageObject], profile: Profile, label: str, font: StampFont) -> list[tuple[int, int]]:
    """`pages` cut into consecutive runs (start, end), each as long as it can be and still fit under the cap
    written alone with its label: the length guessed from the pages' streams, then found by writing."""
    longest = f"{label}, Part {len(pages)} of {len(pages)}"  # no part's label is longer
    weights = [_page_weight(page) for page in pages]
    runs: list[tuple[int, int]] = []
    start = 0
    while start < len(pages):
        guess, estimate = start + 1, weights[start]
        while guess < len(pages) and estimate + weights[guess] <= profile.cap * 0.95:
            estimate += weights[guess]
            guess += 1
        count = _longest_run(pages[start:], longest, font, profile.cap, guess - start)
        if count == 0:  # (pages[0] is the exhibit's cover sheet: its own pages count from 1 after it)
            page = f"page {start}" if start else "its cover sheet"
            raise BundleError(
                f"{label}: {page} alone is larger than the {profile.cap_text} a file may be in "
                "the court profile; scan it again at a lower resolution, or raise bundle.court_cap_mb if "
                "the court takes larger files"
            )
        runs.append((start, start + count))
        start += count
    return runs


def _longest_run(pages: list[PageObject], title: str, font: StampFont, cap: int, guess: int) -> int:
    """How many of `pages`, from the first, fit under `cap` written as one part (0 when the first alone does
    not): tried from `guess` in steps that double until the answer is bracketed, then halved. A good guess
    takes two writes."""
    low, high = 0, len(pages) + 1  # `low` pages fit (none do), `high` do not (more than there are)
    probe, step = guess, 1
    fitted = failed = False
    while high - low > 1:
        probe = (low + high) // 2 if fitted and failed else min(max(probe, low + 1), high - 1)
        if len(_pdf_of(pages[:probe], title, font)) <= cap:
            low, fitted, probe = probe, True, probe + step
        else:
            high, failed, probe = probe, True, probe - step
        step *= 2
    return low


NAME = re.compile(rb"/([^\s/\[\]()<>{}%]+)")
"""A name in a content stream: `/Im1` in `/Im1 Do`, `/F1` in `/F1 12 Tf`."""


def _own_resources(page: PageObject) -> PageObject:
    """`page` with resources of its own that hold only what its content names. Pages laid out together
    (WeasyPrint's, among others) share one resources dictionary listing every page's images and fonts, and
    a copy of one page would carry them all. They are kept whole when a form or Type 3 font the page uses
    draws with them, having none of its own."""
    content = b"\n".join(stream.get_data() for stream in _objects(page.get("/Contents")))
    named = {
        re.sub(rb"#([0-9A-Fa-f]{2})", lambda m: bytes([int(m[1], 16)]), name)
        for name in NAME.findall(content)
    }
    resources = page.get("/Resources")
    if resources is None:
        return page
    own = DictionaryObject(resources.get_object())
    for category, entries in list(own.items()):
        entries = entries.get_object()
        if not isinstance(entries, DictionaryObject):
            continue  # /ProcSet
        kept = {
            NameObject(name): value
            for name, value in entries.items()
            if not name.isascii() or name[1:].encode() in named
        }
        for value in kept.values():
            used = value.get_object()
            if (
                isinstance(used, DictionaryObject)
                and used.get("/Subtype") in ("/Form", "/Type3")
                and "/Resources" not in used
            ):
                return page
        if len(kept) < len(entries):
            own[NameObject(category)] = DictionaryObject(kept)
    copy = PageObject(page.pdf)
    copy.update(page)
    copy[NameObject("/Resources")] = own
    return copy


def _page_weight(page: PageObject) -> int:
    """The bytes a page's content and images take, from their streams' lengths (not decoded)."""
    total = 0
    contents = page.get("/Contents")
    for stream in _objects(contents):
        total += _stored_size(stream)
    resources = page.get("/Resources")
    xobjects = resources.get_object().get("/XObject") if resources is not None else None
    for reference in xobjects.get_object().values() if xobjects is not None else []:
        total += _stored_size(reference.get_object())
    return total + 2000  # the page's dictionary, fonts shared with other pages, and the file's overhead


def _stored_size(stream: Any) -> int:
    """The bytes of a stream as stored (encoded). pypdf drops /Length from a stream it reads and keeps the
    stored bytes as `_data`: reading /Length alone, every page read from a file weighed nothing."""
    length = stream.get("/Length")
    if length is not None:
        return int(length.get_object())
    return len(getattr(stream, "_data", b"") or b"")


def _heaviest(bundle: Path, exhibits: list[tuple[str, str, int, int]], most: int = 3) -> str:
    """The exhibits that weigh most in `bundle` (`exhibits` as for `write_exhibit_files`), those of a tenth
    of it or more, at most `most`: `; most of it is Exhibit 5 (17.0 MB)`; "" when none is. A paralegal
    over the cap then knows which scan or photo to make smaller, rather than compressing all of them."""
    reader = PdfReader(bundle)
    size = bundle.stat().st_size
    weights = [
        (sum(_page_weight(reader.pages[index]) for index in range(first - 1, last)), key)
        for key, _, first, last in exhibits
    ]
    heavy = sorted((weight, key) for weight, key in weights if weight >= size / 10)[::-1][:most]
    listed = ", ".join(f"Exhibit {key} ({weight / MB:.1f} MB)" for weight, key in heavy)
    return f"; most of it is {listed}" if heavy else ""


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
    matrix = IDENTITY
    stack: list[Matrix] = []
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
            matrix = concatenated(operands, matrix)
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
    pictures: Sequence[str] = (),
) -> Checked:
    """Check the staged `bundle` against `profile`: `exhibits` as for `write_exhibit_files`, `blank` the
    exhibit pages without text (`Exhibit 3, pages 2, 5`), `pictures` the picture exhibits without text,
    which are accepted and named, `findings` the redaction messages. Court: the
    exhibit files are written to `exhibits_folder`, and they and the documents (the PDFs beside `bundle`,
    the bundle aside) must each fit under the cap. Platform and email: with `compress`, a bundle over the
    cap has its images downsampled in place."""
    rules: list[Rule] = []
    warnings: list[str] = []
    files: list[ExhibitFile] = []
    redaction = (
        "no full account, card, social-security, taxpayer or ID number and no full birth date (FRCP 5.2(a))"
    )
    searchable = "every exhibit page has searchable text (N.D. Ill. standing orders: text-searchable PDFs)"
    if profile.court:
        rules.append(Rule("exhibits numbered 1, 2, 3 (judges who refuse letters and 1A)", True))
        accepted = f"pictures without words, accepted: {', '.join(pictures)}" if pictures else ""
        rules.append(Rule(searchable, not blank, "; ".join(blank) or accepted))
        rules.append(Rule(redaction, not findings, _first(findings)))
        files = write_exhibit_files(PdfReader(bundle), exhibits, exhibits_folder, profile)
        split = len(files) - len(exhibits)
        largest = max((file.size for file in files), default=0)
        summary = f"{len(files)} file{'s' if len(files) != 1 else ''} in exhibits/, the largest "
        summary += f"{largest / MB:.1f} MB" + (
            f", {split} more for exhibits split into parts" if split > 0 else ""
        )
        documents = sorted(
            path for path in bundle.parent.glob("*.pdf") if path != bundle
        )  # the bundle: below
        too_large = [
            f"{over_cap(path.stat().st_size, profile, path.name)}; raise bundle.court_cap_mb if your court "
            "takes larger files"
            for path in documents
            if path.stat().st_size > profile.cap
        ]
        rules.append(
            Rule(
                f"each exhibit a file of its own, no file over {profile.cap_text} (the court's upload limit)",
                all(file.size <= profile.cap for file in files) and not too_large,
                "; ".join([*too_large, summary]),
            )
        )
        size = bundle.stat().st_size
        if size > profile.cap:
            warnings.append(
                f"{over_cap(size, profile, 'the bundle')}; file the documents and exhibits/ separately"
            )
        return Checked(rules, files, warnings)
    word = 0  # the documents' Word files, beside the bundle, encoded: with send.attach_docx, in the message
    if profile.with_docx:
        word = int(sum(path.stat().st_size for path in bundle.parent.glob("*.docx")) * 78 / 57)
        profile = dataclasses.replace(profile, cap=max(profile.cap - word, 0))
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
        + _heaviest(bundle, exhibits)
        + ("; --compress could not bring it under" if compress else "; run again with --compress")
        + (
            f"; the Word files sent with it take {word / MB:.1f} MB of the message: leave them out with "
            "send.attach_docx: false in case.yaml (or send --no-docx)"
            if word >= 0.05 * MB
            else ""
        )
    )
    encoded = f" (a {profile.message_mb:g} MB message once encoded for email" if profile.message_mb else ""
    encoded += (", the Word files with it)" if profile.with_docx else ")") if encoded else ""
    rules.append(Rule(f"the bundle no larger than {profile.cap_text}{encoded}", size <= profile.cap, detail))
    warnings += [f"{message} (a warning here; the court profile refuses it)" for message in findings]
    return Checked(rules, files, warnings)


def _first(messages: list[str], shown: int = 3) -> str:
    more = len(messages) - shown
    return "; ".join(messages[:shown]) + (f"; and {more} more" if more > 0 else "")
