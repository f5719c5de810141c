"""Where the stamps land on evidence pages of unusual shapes, in a bundle built through the real tools:
inside the part of the page a viewer shows, apart from each other on narrow pages, and with the shrunk
content showing nothing that was outside the original page. Checked with pdftotext -bbox and by rendering
the pages with pdftoppm."""

from __future__ import annotations

import subprocess
from collections import Counter
from itertools import combinations
from pathlib import Path

import docx
import pytest
import yaml
from docx.shared import Cm
from PIL import Image
from pypdf import PdfReader, PdfWriter
from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject, RectangleObject

from pipeline.build import BuildOptions, BuildResult, build
from pipeline.stamps import HEADER_BAND, MIN_FONT_SIZE, STAMP_BAND, crowded
from tests.conftest import ROOT, MakeCase, Word, example_data, page_words

COVER = "0 g -200 -200 1200 1200 re f\n"
"""A black rectangle far past every edge of the page: the page shows black wherever it shows content."""
CROP = (36.0, 72.0, 576.0, 720.0)
PAGES = {  # name: (MediaBox width and height, content, CropBox, /Rotate)
    "cropped": ((612.0, 792.0), COVER, CROP, 0),
    "receipt": (  # a till receipt, 80 x 200 mm, with a line of text close to its bottom edge
        (227.0, 567.0),
        "BT /F1 10 Tf 20 530 Td (TOTAL 12.00) Tj ET\nBT /F1 10 Tf 20 6 Td (THANK YOU) Tj ET\n",
        None,
        0,
    ),
    "ticket": ((100.0, 300.0), "BT /F1 10 Tf 10 250 Td (SEAT FOUR) Tj ET\n", None, 0),
    "overflow": (  # text running past the right edge, a bar past the bottom edge
        (612.0, 792.0),
        "BT /F1 40 Tf 300 400 Td (OVERFLOWING PAST THE EDGE) Tj ET\n0 g 100 -200 100 300 re f\n",
        None,
        0,
    ),
    "rotated": ((612.0, 792.0), COVER, None, 90),
}


def drawn_pdf(
    path: Path, size: tuple[float, float], content: str, crop: tuple[float, ...] | None, rotate: int
) -> Path:
    """A one-page PDF made with pypdf: `content` drawn (Helvetica as /F1), with a CropBox and /Rotate."""
    writer = PdfWriter()
    page = writer.add_blank_page(*size)
    font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
        }
    )
    page[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/Font"): DictionaryObject({NameObject("/F1"): writer._add_object(font)})}
    )
    stream = DecodedStreamObject()
    stream.set_data(content.encode())
    page[NameObject("/Contents")] = writer._add_object(stream)
    if crop is not None:
        page.cropbox = RectangleObject(crop)
    if rotate:
        page.rotation = rotate
    writer.write(path)
    return path


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> BuildResult:
    """A bundle of one exhibit per page of `PAGES`, with Bates numbers."""
    root = tmp_path_factory.mktemp("geometry")
    folder = root / "cases" / "acme"
    (folder / "evidence").mkdir(parents=True)
    for name, (size, content, crop, rotate) in PAGES.items():
        drawn_pdf(folder / "evidence" / f"{name}.pdf", size, content, crop, rotate)
    data = example_data()
    data["evidence"] = [{"file": f"evidence/{name}.pdf", "title": f"A {name} page"} for name in PAGES]
    del data["sales"]  # its export is one of the example's evidence files, left out here
    data["bundle"] = {"bates_prefix": "ABC"}
    (folder / "case.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    return build(folder, BuildOptions(output_root=root / "out"))


def stamp_words(result: BuildResult, name: str) -> list[Word]:
    """The words of the three stamps on the page of exhibit `name`: `Exhibit k, page 1 of 1`, the Bates
    number and `Page n of N`, every word of them found (the pages' own text has none of these words)."""
    exhibit = next(exhibit for exhibit in result.exhibits if Path(exhibit.file).stem == name)
    page = page_of(result, name)
    total = len(PdfReader(result.bundle).pages)
    expected = f"{exhibit.label}, page 1 of 1 ABC{page:06d} Page {page} of {total}".split()
    found = [word for word in page_words(result.bundle, page) if word[0] in expected]
    assert Counter(word[0] for word in found) == Counter(expected), found
    return found


def page_of(result: BuildResult, name: str) -> int:
    """The bundle page (1-based) of the one page of exhibit `name`, after its cover sheet."""
    exhibit = next(exhibit for exhibit in result.exhibits if Path(exhibit.file).stem == name)
    return (exhibit.first_page or 0) + 1


def rendered(pdf: Path, page: int, tmp_path: Path, *options: str) -> Image.Image:
    """The page as viewers show it, in grey, one pixel a point (pdftoppm; `-cropbox` to show the crop)."""
    prefix = tmp_path / f"page{page}"
    subprocess.run(
        ["pdftoppm", "-r", "72", "-png", "-singlefile", *options, "-f", str(page), "-l", str(page),
         str(pdf), str(prefix)],
        check=True,
    )  # fmt: skip
    return Image.open(prefix.with_suffix(".png")).convert("L")


def ink(image: Image.Image, box: tuple[float, float, float, float]) -> bool:
    """Whether anything dark is drawn in `box` (left, top, right, bottom in pixels from the top left)."""
    darkest, _ = image.crop(tuple(round(value) for value in box)).getextrema()  # type: ignore[arg-type]
    return float(darkest) < 128  # type: ignore[arg-type]


def overlapping(found: list[Word]) -> list[tuple[Word, Word]]:
    """The pairs of words whose boxes overlap."""
    return [
        (one, other)
        for one, other in combinations(found, 2)
        if one[1] < other[3] and other[1] < one[3] and one[2] < other[4] and other[2] < one[4]
    ]


def test_stamps_are_drawn_inside_the_crop_box(bundle: BuildResult, tmp_path: Path) -> None:
    """On a page with a CropBox the stamps, and the room made for them, are inside the crop: what viewers
    and printers show."""
    height = 792.0
    left, bottom, right, top = CROP
    found = stamp_words(bundle, "cropped")
    for text, x1, y1, x2, y2 in found:
        assert left <= x1 and x2 <= right and height - top <= y1 and y2 <= height - bottom, text
    assert max(y2 for *_, y2 in found) > height - bottom - 36  # at the bottom of the crop, not anywhere
    image = rendered(bundle.bundle, page_of(bundle, "cropped"), tmp_path, "-cropbox")
    width, shown = image.size
    assert (width, shown) == (round(right - left), round(top - bottom))
    assert not ink(image, (0, shown - 8, width, shown - 1))  # room made under the stamps, inside the crop
    assert ink(image, (width / 2 - 20, shown / 2 - 20, width / 2 + 20, shown / 2 + 20))  # the content


@pytest.mark.parametrize("name", ["receipt", "ticket"])
def test_stamps_on_a_narrow_page_are_apart_and_readable(bundle: BuildResult, name: str) -> None:
    """On a receipt (80 mm wide) the stamps are stacked; on a ticket (35 mm) also set smaller, not below
    the smallest readable size. None overlaps another or the page's own text, none leaves the page."""
    width = PAGES[name][0][0]
    found = stamp_words(bundle, name)
    everything = page_words(bundle.bundle, page_of(bundle, name))  # the stamps and the page's own text
    assert overlapping(everything) == []
    for text, x1, y1, x2, y2 in found:
        assert x1 >= 0 and x2 <= width, text
        assert y2 - y1 >= MIN_FONT_SIZE, text  # pdftotext's box is a little taller than the font size
    assert len({round(y1) for _, _, y1, _, _ in found}) >= 2  # stacked on more than one line


@pytest.mark.parametrize("name", ["overflow", "rotated", "cropped"])
def test_making_room_shows_nothing_from_outside_the_page(
    bundle: BuildResult, name: str, tmp_path: Path
) -> None:
    """The margins the shrunk content leaves (10 points at the sides, the band under the stamps) stay
    white: what ran past the page's edges is clipped as it was before."""
    image = rendered(bundle.bundle, page_of(bundle, name), tmp_path, "-cropbox")
    width, height = image.size
    assert not ink(image, (0, 0, 10, height)), "left margin"
    assert not ink(image, (width - 10, 0, width, height)), "right margin"
    assert not ink(image, (0, height - 8, width, height)), "under the stamps"
    assert ink(image, (0, height / 2 - 100, width, height / 2 + 100))  # the content is still there


def test_a_word_letter_with_small_margins_is_shrunk_clear_of_the_stamps(
    make_case: MakeCase, tmp_path: Path
) -> None:
    """A Word template edited to 0.8 cm margins and a footer (as WPS offers them) put the letter's footer on
    the stamps' line and its text under them, and nothing said so (found by a probe editing the template
    as Chinese staff would). Its pages are now shrunk, as a PDF exhibit's are, with a warning."""
    folder = make_case()
    template = docx.Document(str(ROOT / "templates" / "appeal_letter.docx"))
    section = template.sections[0]
    section.top_margin, section.bottom_margin = Cm(1.0), Cm(0.8)
    section.footer_distance = Cm(0.3)
    section.footer.paragraphs[0].text = "FOOTERLINE of the letter"
    (folder / "templates").mkdir()
    template.save(str(folder / "templates" / "appeal_letter.docx"))
    result = build(folder, BuildOptions(output_root=tmp_path / "out"))
    assert [warning for warning in result.warnings if "its text runs into" in warning] == [
        f"{folder / 'templates' / 'appeal_letter.docx'}: its text runs into the bottom half inch, where the "
        "bundle's stamps go; its pages were shrunk in the bundle to make room. Give the template margins of "
        "at least 1 inch, and its header and footer at least 0.6 inch from the edge (Word: Layout > "
        "Margins; WPS: 页面布局 > 页边距)"
    ]
    reader = PdfReader(result.bundle)
    letter = next(
        item for item in reader.outline if not isinstance(item, list) and item.title == "Appeal letter"
    )
    first = reader.get_destination_page_number(letter) + 1
    height = float(reader.pages[first - 1].mediabox.height)
    words = page_words(result.bundle, first)
    assert any(text == "FOOTERLINE" for text, *_ in words)
    stamps = {"Page", str(first), "of", str(len(reader.pages))}
    assert [word for word in words if word[4] > height - STAMP_BAND and word[0] not in stamps] == []


def test_text_in_either_band_is_told() -> None:
    page = PdfWriter().add_blank_page(612, 792)
    stream = DecodedStreamObject()
    stream.set_data(b"BT /F1 10 Tf 72 770 Td (Header line) Tj ET")
    page[NameObject("/Contents")] = stream
    font = DictionaryObject(
        {NameObject(key): NameObject(value) for key, value in (("/Type", "/Font"), ("/Subtype", "/Type1"),
                                                                ("/BaseFont", "/Helvetica"))}
    )  # fmt: skip
    page[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/Font"): DictionaryObject({NameObject("/F1"): font})}
    )
    assert crowded(page, HEADER_BAND) and not crowded(page)
    stream.set_data(b"BT /F1 10 Tf 72 20 Td (Footer line) Tj ET")
    assert crowded(page) and crowded(page, HEADER_BAND)
    stream.set_data(b"BT /F1 10 Tf 72 400 Td (Body) Tj ET")
    assert not crowded(page, HEADER_BAND)
