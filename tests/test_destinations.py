"""Builds for a destination: the court's numbered exhibits as files of their own under the cap, OCR and
text on every page, the redaction check failing a court build and warning otherwise, `--redact`, and the
platform's cap with and without `--compress`. Real LibreOffice, WeasyPrint, OCRmyPDF and Tesseract."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
import weasyprint
from PIL import Image
from pypdf import PdfReader, PdfWriter

from pipeline.build import BuildOptions, BuildResult, build
from pipeline.check import check_case
from pipeline.errors import BundleError
from pipeline.load import load_case
from pipeline.model import Destination
from tests.conftest import ROOT, MakeCase, example_data, page_words, pdftotext, snapshot
from tests.samples import CHINESE, ENGLISH, scan, scan_pdf, text_pdf


def text_of(pdf: Path) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(pdf).pages)


def court_case(make_case: MakeCase, tmp_path: Path) -> Path:
    """Letters as labels (the court profile numbers them), a scan to OCR, and 6 photo-like pages that
    must be split under a 1 MB cap."""
    data = example_data()
    data["bundle"] = {"exhibit_labels": "letters", "court_cap_mb": 1}
    data["evidence"] = [
        {"file": "evidence/scan.pdf", "title": "Business licence (scan)"},
        {"file": "evidence/photos.pdf", "title": "Photos of the stock / 库存照片"},
    ]
    data.pop("sales", None)
    folder = make_case(data, name="court")
    scan(folder / "evidence" / "scan.pdf")
    captioned(scan_pdf(tmp_path / "photos.pdf", 6, size=(850, 1100)), folder / "evidence" / "photos.pdf")
    return folder


def split_parts(result: BuildResult, number: int, cap: int) -> list[Path]:
    """The parts of exhibit `number`, checked: each under the cap, its label ("Exhibit 2, Part 1 of 3")
    printed on its first page in the band of the stamps at the bottom (the top is CM/ECF's), the first
    holding the cover sheet and evidence, and every bundle page of the exhibit in exactly one part, in
    order (told by its stamp "Exhibit 2, page 3 of 6", as poppler reads it). The bundle's running number
    ("Page 14 of 19") is not on them: CM/ECF numbers an attachment's pages in its header."""
    exhibit = result.exhibits[number - 1]
    assert exhibit.first_page is not None and exhibit.last_page is not None
    parts = sorted(
        (result.output / "exhibits").glob(f"{number}_*(Part *.pdf"),
        key=lambda path: int(re.findall(r"\(Part (\d+) of", path.name)[0]),
    )
    stamped: list[int] = []
    pages = 0
    for index, part in enumerate(parts, 1):
        label = f"Exhibit {number}, Part {index} of {len(parts)}"
        assert part.name.endswith(f"(Part {index} of {len(parts)}).pdf") and part.stat().st_size <= cap
        reader = PdfReader(part)
        height = round(float(reader.pages[0].mediabox.height))
        assert label in pdftotext(part, "-l", "1", "-y", str(height - 36), "-H", "36", "-W", "1000")
        if len(reader.pages) > 1:
            assert "Part" not in pdftotext(part, "-f", "2")  # on its first page only
        text = pdftotext(
            part
        )  # poppler reads every page (a list of content streams within the list it refuses)
        stamped += [int(found) for found in re.findall(rf"Exhibit {number}, page (\d+) of \d+", text)]
        assert not re.search(r"Page \d+ of \d+", text)
        pages += len(reader.pages)
    assert pages == exhibit.last_page - exhibit.first_page + 1
    assert stamped == list(range(1, pages))  # the cover sheet, then each page of evidence
    first = pdftotext(parts[0])
    assert len(PdfReader(parts[0]).pages) >= 2 and f"EXHIBIT {number}" in first
    assert f"Exhibit {number}, page 1 of" in first  # the cover sheet goes with the first evidence page
    return parts


def captioned(photos: Path, target: Path) -> Path:
    """The photo pages, each with a caption printed as text (so they need no OCR)."""
    captions = PdfReader(text_pdf(photos.with_suffix(".captions.pdf"), [f"Photo {n}" for n in range(99)]))
    writer = PdfWriter(clone_from=photos)
    for index, page in enumerate(writer.pages):
        page.merge_page(captions.pages[index])
    writer.write(target)
    return target


def test_a_court_build_numbers_splits_and_ocrs(make_case: MakeCase, tmp_path: Path) -> None:
    folder = court_case(make_case, tmp_path)
    result = build(folder, BuildOptions(output_root=tmp_path / "out", destination=Destination.COURT))
    assert [exhibit.label for exhibit in result.exhibits] == ["Exhibit 1", "Exhibit 2"]
    assert all(rule.held for rule in result.rules) and len(result.rules) == 4
    relabelled = (  # said, where it was done silently
        "bundle.exhibit_labels: letters are not used for a court: the exhibits are numbered 1, 2, 3 (some "
        "judges refuse letters and 1A); bundles for other destinations keep letters"
    )
    assert [warning.split(": ", 1)[1] for warning in result.warnings if "exhibit_labels" in warning] == [
        relabelled
    ]
    assert [
        warning.split(": ", 1)[1]
        for warning in check_case(folder, Destination.COURT).warnings
        if "exhibit_labels" in warning
    ] == [relabelled]

    bundle = text_of(result.bundle)
    assert ENGLISH in bundle and CHINESE in bundle.replace(" ", "").replace("\x00", "")  # OCR'd text
    folder_out = result.output / "exhibits"
    files = sorted(path.name for path in folder_out.iterdir())
    assert files[0] == "1_Business licence (scan).pdf"
    alone = pdftotext(folder_out / files[0])
    assert "Exhibit 1, page 1 of" in alone and not re.search(r"Page \d+ of \d+", alone)  # CM/ECF's count
    parts = [name for name in files if name.startswith("2_")]
    assert len(parts) >= 2 and all(f"of {len(parts)}).pdf" in name for name in parts)
    assert all(name.startswith("2_Photos of the stock (Part ") for name in parts)
    assert len(split_parts(result, 2, 1_000_000)) == len(parts)

    manifest = json.loads((result.output / "manifest.json").read_text(encoding="utf-8"))
    assert {f"exhibits/{name}" for name in files} <= set(manifest["outputs"])


def shared_photos(folder: Path, target: Path, pages: int) -> Path:
    """Pages laid out by WeasyPrint, each a caption and a 0.5 MB photo: WeasyPrint lists every page's photo
    in one resources dictionary that all the pages share."""
    body = ""
    for index in range(pages):
        noise = Image.frombytes("L", (250, 325), os.urandom(250 * 325)).resize((1000, 1300))
        noise.convert("RGB").save(folder / f"photo{index}.jpg", quality=90)
        body += f'<section style="break-after: page"><p>Photo {index + 1}</p><img src="photo{index}.jpg">'
        body += "</section>"
    style = "<style>@page { size: letter; margin: 0.5in } img { width: 6in }</style>"
    weasyprint.HTML(string=style + body, base_url=str(folder)).write_pdf(target)
    return target


def test_a_court_build_splits_pages_that_share_their_images_under_the_cap(
    make_case: MakeCase, tmp_path: Path
) -> None:
    data = example_data()
    data["bundle"] = {"court_cap_mb": 1.0}
    data["evidence"] = [{"file": "evidence/photos.pdf", "title": "Photos of the stock"}]
    data.pop("sales", None)
    folder = make_case(data, name="shared")
    photos = shared_photos(tmp_path, folder / "evidence" / "photos.pdf", 6)
    assert all(len(page["/Resources"]["/XObject"]) == 6 for page in PdfReader(photos).pages)

    result = build(folder, BuildOptions(output_root=tmp_path / "out", destination=Destination.COURT))
    assert all(rule.held for rule in result.rules)
    parts = split_parts(result, 1, 1_000_000)
    images = [
        [
            name
            for name, image in page["/Resources"].get("/XObject", {}).items()
            if image["/Subtype"] == "/Image"
        ]
        for part in parts
        for page in PdfReader(part).pages
    ]
    assert [len(names) for names in images] == [0] + [1] * 6  # each page with its own photo only
    assert len({name for names in images for name in names}) == 6


def english_case(make_case: MakeCase, name: str, titles: dict[str, str], **bundle: object) -> Path:
    """An English case without a sales export, its exhibits `titles` (file name: title) in an empty
    evidence/ folder for the test to fill, `bundle` its bundle settings (else the example's)."""
    data = example_data()
    data.update(language="en", **({"bundle": bundle} if bundle else {}))
    data["evidence"] = [{"file": f"evidence/{file}", "title": title} for file, title in titles.items()]
    data.pop("sales", None)
    folder = make_case(data, name=name, evidence=False)
    (folder / "evidence").mkdir()
    return folder


def light_case(make_case: MakeCase, cap_mb: float) -> Path:
    """An English case with one short text exhibit: its file is about 0.03 MB, the letter 0.05 MB, the
    inquiry and the evidence index about 0.11 MB each."""
    folder = english_case(make_case, "light", {"invoice.pdf": "Supplier invoice"}, court_cap_mb=cap_mb)
    text_pdf(folder / "evidence" / "invoice.pdf", ["Invoice HT-2024-0108: 500 aroma diffusers"])
    return folder


def test_a_court_build_refuses_a_document_over_the_cap(make_case: MakeCase, tmp_path: Path) -> None:
    """Only the files of exhibits/ were measured: the inquiry, over the cap, passed "ok"."""
    folder = light_case(make_case, 0.08)
    rule = r"FAIL each exhibit a file of its own, no file over 0.08 MB \(the court's upload limit\): "
    with pytest.raises(BundleError, match=rule + r"cs_inquiry\.pdf is 0\.1\d* MB") as raised:
        build(folder, BuildOptions(output_root=tmp_path / "out", destination=Destination.COURT))
    assert "evidence_index.pdf is 0.1" in str(raised.value) and "appeal_letter.pdf" not in str(raised.value)


def test_a_court_build_names_the_pictures_without_words_it_accepts(
    make_case: MakeCase, tmp_path: Path
) -> None:
    """The summary said "ok every exhibit page has searchable text" above a photo exhibit OCR found no
    words in (accepted: a photo may show none), which docs/destinations.md says the summary names."""
    titles = {"invoice.pdf": "Supplier invoice", "stock.jpg": "Photo of the stock"}
    folder = english_case(make_case, "photo", titles)
    text_pdf(folder / "evidence" / "invoice.pdf", ["Invoice HT-2024-0108: 500 aroma diffusers"])
    Image.new("RGB", (900, 600), (150, 110, 90)).save(folder / "evidence" / "stock.jpg", quality=90)
    result = build(folder, BuildOptions(output_root=tmp_path / "out", destination=Destination.COURT))
    (searchable,) = [
        rule for rule in result.rules if rule.text.startswith("every exhibit page has searchable")
    ]
    assert str(searchable) == (
        "ok   every exhibit page has searchable text (N.D. Ill. standing orders: text-searchable PDFs): "
        "pictures without words, accepted: Exhibit 2 (evidence/stock.jpg)"
    )


def test_a_court_build_warns_of_a_word_letter_on_a4_paper(make_case: MakeCase, tmp_path: Path) -> None:
    """A letter template saved as A4 (as a Chinese office makes it) put A4 pages among the Letter ones of
    a court's bundle, and nothing said so (found by a probe of the court destination)."""
    import docx
    from docx.shared import Mm

    folder = light_case(make_case, 35)
    template = docx.Document(str(ROOT / "templates" / "appeal_letter.docx"))
    template.sections[0].page_width, template.sections[0].page_height = Mm(210), Mm(297)
    (folder / "templates").mkdir()
    template.save(str(folder / "templates" / "appeal_letter.docx"))
    output = tmp_path / "out"
    result = build(folder, BuildOptions(output_root=output, destination=Destination.COURT))
    assert [warning for warning in result.warnings if "US Letter" in warning] == [
        f"{folder / 'templates' / 'appeal_letter.docx'}: its pages are A4, not US Letter (8.5 × 11 inch), "
        "the paper of US court filings and of the bundle's other pages; set the template's paper to Letter "
        "(Word: Layout > Size > Letter; WPS: 页面布局 > 纸张大小 > Letter)"
    ]
    assert not [
        warning for warning in build(folder, BuildOptions(output_root=output)).warnings if "A4" in warning
    ]
    assert [
        warning for warning in check_case(folder, Destination.COURT).warnings if "US Letter" in warning
    ] == [
        warning for warning in result.warnings if "US Letter" in warning
    ]  # `check --for court` says it too, from the template's page set-up


def test_a_court_build_asks_for_a_translation_of_an_exhibit_in_chinese(
    make_case: MakeCase, tmp_path: Path
) -> None:
    """A supplier's statement in Chinese went into a court's bundle without a word that the court reads
    English (found by a probe of the court destination); a bilingual invoice needs none."""
    titles = {"statement.txt": "Supplier's statement", "invoice.txt": "Invoice"}
    folder = english_case(make_case, "chinese", titles)
    (folder / "evidence" / "statement.txt").write_text(
        "声明\n本公司东莞恒泰香薰机有限公司确认，型号LM-300的香薰机由本公司设计并生产，"
        "授权深圳市璐米尔家居科技有限公司在全球销售。\n",
        "utf-8",
    )
    (folder / "evidence" / "invoice.txt").write_text(
        "Invoice HT-2024-0108 / 发票\nSeller: Dongguan Hengtai Aroma Technology Co., Ltd. 东莞恒泰\n"
        "500 aroma diffusers, model LM-300, at USD 12.50 each / 香薰机500台\n",
        "utf-8",
    )
    result = build(folder, BuildOptions(output_root=tmp_path / "out", destination=Destination.COURT))
    asked = (
        "Exhibit 1 (evidence/statement.txt): its text is mostly Chinese, and a US court reads English: file "
        "an English translation with it, with the translator's statement that it is accurate"
    )
    assert [warning for warning in result.warnings if "translation" in warning] == [asked]
    assert [
        warning for warning in check_case(folder, Destination.COURT).warnings if "translation" in warning
    ] == [asked]
    assert not [warning for warning in check_case(folder).warnings if "translation" in warning]


def test_a_court_build_refuses_a_page_without_text_and_unredacted_numbers(
    make_case: MakeCase, tmp_path: Path
) -> None:
    data = example_data()
    data["evidence"] = [
        {"file": "evidence/statement.pdf", "title": "Bank statement"},
        {"file": "evidence/blank.pdf", "title": "A blank scan"},
    ]
    data.pop("sales", None)
    folder = make_case(data, name="refused")
    text_pdf(folder / "evidence" / "statement.pdf", ["Paid with card 4111 1111 1111 1111 on 2024-03-01"])
    blank = tmp_path / "blank.png"
    Image.new("L", (850, 1100), 255).save(blank)
    import img2pdf

    (folder / "evidence" / "blank.pdf").write_bytes(img2pdf.convert(str(blank)))
    output = tmp_path / "out"
    build(folder, BuildOptions(output_root=output))  # a build without a destination is fine
    before = snapshot(output / "refused")
    with pytest.raises(BundleError) as raised:
        build(folder, BuildOptions(output_root=output, destination=Destination.COURT))
    message = str(raised.value)
    assert message.startswith("the bundle breaks the rules of the court profile, so nothing was written:")
    assert (
        "FAIL every exhibit page has searchable text (N.D. Ill. standing orders: text-searchable PDFs): "
        in message
    )
    assert "Exhibit 2 (evidence/blank.pdf): page 1" in message
    assert "Exhibit 1 (evidence/statement.pdf), page 1: card or account number" in message
    assert "4111 1111 1111 1111" not in message
    assert snapshot(output / "refused") == before  # the previous outputs, as they were


def photos(path: Path, pages: int) -> Path:
    """Photo-like pages at 300 dpi (smooth shapes and grain, as a camera gives), JPEG quality 95."""
    import random

    import img2pdf
    from PIL import ImageDraw, ImageFilter

    rng = random.Random(7)
    images = []
    for index in range(pages):
        picture = Image.new("RGB", (2550, 3300), (rng.randrange(256), 120, 90))
        draw = ImageDraw.Draw(picture)
        for _ in range(40):
            x, y = rng.randrange(2550), rng.randrange(3300)
            colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
            draw.ellipse([x, y, x + rng.randrange(100, 900), y + rng.randrange(100, 900)], fill=colour)
        picture = picture.filter(ImageFilter.GaussianBlur(6))
        grain = Image.effect_noise((2550, 3300), 24).convert("RGB")
        picture = Image.blend(picture, grain, 0.12)
        jpeg = path.with_suffix(f".{index}.jpg")
        picture.save(jpeg, quality=95, dpi=(300, 300))
        images.append(str(jpeg))
    path.write_bytes(img2pdf.convert(images))
    for image in images:
        Path(image).unlink()
    return path


def platform_case(make_case: MakeCase, extra: dict[str, Any] | None = None) -> Path:
    data = example_data()
    data["bundle"] = {"platform_cap_mb": 1.5}
    data["evidence"] = [{"file": "evidence/photos.pdf", "title": "Photos of the stock"}]
    data.pop("sales", None)
    data.update(extra or {})
    return make_case(data, name="platform")


def test_the_platform_cap_refuses_and_compress_brings_the_bundle_under_it(
    make_case: MakeCase, tmp_path: Path
) -> None:
    folder = platform_case(make_case)
    photos(folder / "evidence" / "photos.pdf", 3)
    options = BuildOptions(output_root=tmp_path / "out", destination=Destination.PLATFORM)
    with pytest.raises(
        BundleError,
        match=r"FAIL the bundle no larger than 1.5 MB: the bundle is \d+\.\d MB, \d+\.\d MB over the 1.5 MB "
        r"that the platform profile allows; most of it is Exhibit 1 \(\d+\.\d MB\); run again with "
        r"--compress",
    ):  # (the exhibit named: the paralegal knows which scan to make smaller)
        build(folder, options)
    assert not (tmp_path / "out" / "platform").exists()
    result = build(
        folder, BuildOptions(output_root=tmp_path / "out", destination=Destination.PLATFORM, compress=True)
    )
    assert result.bundle.stat().st_size <= 1_500_000
    assert any(
        warning.startswith("--compress: 3 images brought down to 150 dpi") for warning in result.warnings
    )
    reader = PdfReader(result.bundle)
    assert reader.outline and "Photos of the stock" in text_of(result.bundle)


def test_redact_masks_the_documents_and_the_platform_only_warns(make_case: MakeCase, tmp_path: Path) -> None:
    data = example_data()
    data["merchant"]["address"] = "Bank account 6222021234567890123, ICBC Shenzhen"
    data.pop("sales", None)
    folder = make_case(data, name="masked")
    plain = build(folder, BuildOptions(output_root=tmp_path / "plain", destination=Destination.PLATFORM))
    address = f"case.yaml:{load_case(folder).lines[('merchant', 'address')]}: merchant.address"
    assert any(f"{address}: card or account number" in w for w in plain.warnings)  # on its line
    assert "6222021234567890123" in text_of(plain.output / "cs_inquiry.pdf")
    masked = build(folder, BuildOptions(output_root=tmp_path / "masked", redact=True))
    for document in ("cs_inquiry.pdf", "appeal_letter.pdf", "bundle.pdf"):
        shown = text_of(masked.output / document)
        assert "6222021234567890123" not in shown and "0123" in shown, document
    assert "6222021234567890123" in (folder / "case.yaml").read_text(encoding="utf-8")  # case untouched


def test_the_command_says_which_rules_held(make_case: MakeCase, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from pipeline.cli import main

    result = CliRunner().invoke(main, [str(make_case()), "--for", "email", "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.stderr
    assert "EMAIL rules (published court and platform rules; not legal advice):" in result.stderr
    rule = "ok   the bundle no larger than 14.5 MB (a 20 MB message once encoded for email): "
    assert rule in result.stderr
    assert result.stdout.strip().endswith("bundle.pdf")


def test_exhibit_files_of_a_previous_court_build_are_removed(make_case: MakeCase, tmp_path: Path) -> None:
    data = example_data()
    data["evidence"] = [
        {"file": "evidence/one.pdf", "title": "First letter"},
        {"file": "evidence/two.pdf", "title": "Second letter"},
    ]
    data.pop("sales", None)
    folder = make_case(data, name="files")
    text_pdf(folder / "evidence" / "one.pdf", ["One"])
    text_pdf(folder / "evidence" / "two.pdf", ["Two"])
    options = BuildOptions(output_root=tmp_path / "out", destination=Destination.COURT)
    first = build(folder, options)
    assert sorted(path.name for path in (first.output / "exhibits").iterdir()) == [
        "1_First letter.pdf",
        "2_Second letter.pdf",
    ]
    data["evidence"] = data["evidence"][1:]
    (folder / "case.yaml").write_text(json.dumps(data, default=str), encoding="utf-8")  # JSON is YAML
    again = build(folder, options)
    assert sorted(path.name for path in (again.output / "exhibits").iterdir()) == ["1_Second letter.pdf"]


def top_of(pdf: Path, page: int, word: str) -> float:
    """How far from the top of `page` (1-based) `word` starts, in points."""
    return next(top for text, _, top, _, _ in page_words(pdf, page) if text == word)


def test_a_court_bundle_keeps_the_top_of_every_evidence_page_clear(
    make_case: MakeCase, tmp_path: Path
) -> None:
    """CM/ECF prints its header across the top of every page; an evidence page's own text at the top edge
    was shrunk towards the top, under it. In a court bundle the top half inch is kept free too."""
    folder = light_case(make_case, 35)
    page = (10 * 72, 11 * 72)  # Letter, text 9 points from the top edge
    invoice = folder / "evidence" / "invoice.pdf"
    html = f"<style>@page {{ size: {page[0]}pt {page[1]}pt; margin: 9pt 36pt }}</style><p>Topmost line</p>"
    weasyprint.HTML(string=html).write_pdf(invoice)
    court = build(folder, BuildOptions(output_root=tmp_path / "court", destination=Destination.COURT))
    plain = build(folder, BuildOptions(output_root=tmp_path / "plain"))
    first = {result.bundle: next(e.first_page for e in result.exhibits) for result in (court, plain)}
    assert all(number is not None for number in first.values())
    evidence = {bundle: (number or 0) + 1 for bundle, number in first.items()}  # after its cover sheet
    in_court, elsewhere = (
        top_of(result.bundle, evidence[result.bundle], "Topmost") for result in (court, plain)
    )
    assert in_court >= 36 and in_court - elsewhere >= 30  # elsewhere as before: pinned to the top
