"""Destination profiles: court file names, exhibits split under the cap with every page kept, images
downsampled only when asked."""

from __future__ import annotations

from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter

from pipeline.errors import BundleError
from pipeline.model import Destination
from pipeline.profiles import MB, Profile, downsample_images, exhibit_file_name, write_exhibit_files
from tests import samples


def test_exhibit_file_names_are_neutral_and_short() -> None:
    assert (
        exhibit_file_name("4", "Supplier invoice: 500 units / 2024")
        == "4_Supplier invoice 500 units 2024.pdf"
    )
    assert exhibit_file_name("4", "Invoice", (1, 3)) == "4_Invoice (Part 1 of 3).pdf"
    assert exhibit_file_name("2", "供货发票 Invoice") == "2_Invoice.pdf"
    assert exhibit_file_name("7", "发票") == "7_Exhibit.pdf"
    long = exhibit_file_name("12", "Very long title " * 30, (2, 9))
    assert len(long) <= 200 and long.startswith("12_Very long title") and long.endswith("(Part 2 of 9).pdf")


def test_an_exhibit_over_the_cap_is_split_into_parts_that_fit_and_keep_every_page(tmp_path: Path) -> None:
    source = samples.scan_pdf(tmp_path / "scans.pdf", 9)
    pages_text = samples.text_pdf(tmp_path / "text.pdf", ["COVER SHEET", "AFTER"])
    writer = PdfWriter()
    writer.append(pages_text, pages=[0])  # the bundle: a cover sheet, 9 scans, and a last page
    writer.append(source)
    writer.append(pages_text, pages=[1])
    writer.write(tmp_path / "bundle.pdf")
    bundle = PdfReader(tmp_path / "bundle.pdf")
    size = source.stat().st_size
    profile = Profile(Destination.COURT, cap=int(size / 2.5))
    files = write_exhibit_files(bundle, [("4", "Scanned invoices", 1, 10)], tmp_path / "exhibits", profile)
    count = len(files)
    assert 3 <= count <= 5
    names = [f"4_Scanned invoices (Part {n} of {count}).pdf" for n in range(1, count + 1)]
    assert [file.name for file in files] == names
    kept = []
    for number, file in enumerate(files, 1):
        path = tmp_path / "exhibits" / file.name
        assert path.stat().st_size <= profile.cap
        reader = PdfReader(path)
        assert reader.metadata is not None
        assert reader.metadata.title == f"Exhibit 4, Part {number} of {count}"
        kept += [file.first + offset for offset in range(len(reader.pages))]
    assert kept == list(range(10))  # every page, once, in order; the last bundle page is not an exhibit's
    assert "COVER SHEET" in PdfReader(tmp_path / "exhibits" / files[0].name).pages[0].extract_text()


def test_an_exhibit_under_the_cap_is_one_file(tmp_path: Path) -> None:
    bundle = PdfReader(samples.text_pdf(tmp_path / "bundle.pdf", ["cover", "one", "two"]))
    files = write_exhibit_files(
        bundle, [("1", "Letter", 1, 3)], tmp_path / "exhibits", Profile(Destination.COURT, 35 * MB)
    )
    assert [(file.name, file.first, file.count) for file in files] == [("1_Letter.pdf", 0, 3)]


def test_a_page_larger_than_the_cap_is_named(tmp_path: Path) -> None:
    bundle = PdfReader(samples.scan_pdf(tmp_path / "scans.pdf", 2))
    with pytest.raises(
        BundleError, match=r"^Exhibit 2: page 1 alone is larger than the 0.1 MB a file may be"
    ):
        write_exhibit_files(
            bundle, [("2", "Scans", 1, 2)], tmp_path / "out", Profile(Destination.COURT, 100_000)
        )


def test_downsampling_shrinks_photos_and_keeps_text(tmp_path: Path) -> None:
    scans = samples.scan_pdf(tmp_path / "scans.pdf", 2, size=(2550, 3300))  # 300 dpi on Letter
    text = samples.text_pdf(tmp_path / "text.pdf", ["Searchable words stay"])
    writer = PdfWriter()
    writer.append(text)
    writer.append(scans)
    writer.write(tmp_path / "in.pdf")
    changed = downsample_images(tmp_path / "in.pdf", tmp_path / "out.pdf")
    assert changed == 2
    assert (tmp_path / "out.pdf").stat().st_size < (tmp_path / "in.pdf").stat().st_size / 2
    reader = PdfReader(tmp_path / "out.pdf")
    assert len(reader.pages) == 3
    assert reader.pages[0].extract_text() == "Searchable words stay"
    image = next(iter(reader.pages[1].images))
    assert image.image is not None and image.image.size == (1275, 1650)  # 150 dpi
    assert downsample_images(tmp_path / "out.pdf", tmp_path / "again.pdf") == 0  # nothing left to do
