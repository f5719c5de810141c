"""Destination profiles: court file names, exhibits split under the cap with every page kept, images
downsampled only when asked."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter

from pipeline.build import BuildOptions, build
from pipeline.errors import BundleError
from pipeline.model import Destination
from pipeline.profiles import (
    MB,
    Profile,
    _page_weight,
    check,
    downsample_images,
    exhibit_file_name,
    write_exhibit_files,
)
from tests import samples
from tests.conftest import MakeCase, pdftotext
from tests.test_destinations import light_case


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
    assert exhibit_file_name("04", "Invoice", (2, 12)) == "04_Invoice (Part 02 of 12).pdf"


def test_exhibit_files_sort_in_their_order(tmp_path: Path) -> None:
    """`10_...` to `12_...` sorted before `2_...` in a file list and CM/ECF's upload dialog: with 37
    attachments the order was easy to get wrong (found by a probe of the court destination)."""
    bundle = PdfReader(samples.text_pdf(tmp_path / "bundle.pdf", [f"Exhibit page {n}" for n in range(1, 13)]))
    exhibits = [(str(n), f"Invoice {n}", n, n) for n in range(1, 13)]
    files = write_exhibit_files(bundle, exhibits, tmp_path / "exhibits", Profile(Destination.COURT, 35 * MB))
    names = [file.name for file in files]
    assert names[:2] == ["01_Invoice 1.pdf", "02_Invoice 2.pdf"] and names[-1] == "12_Invoice 12.pdf"
    assert sorted(names) == names == sorted(path.name for path in (tmp_path / "exhibits").iterdir())


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
        label = pdftotext(path, "-l", "1", "-y", "756", "-H", "36", "-W", "612")  # the band of the stamps
        assert label.strip() == f"Exhibit 4, Part {number} of {count}"
        assert f"Part {number}" not in pdftotext(path, "-f", "2", "-l", "99")  # on the first page only
    assert kept == list(range(10))  # every page, once, in order; the last bundle page is not an exhibit's
    first = PdfReader(tmp_path / "exhibits" / files[0].name)
    assert "COVER SHEET" in first.pages[0].extract_text() and len(first.pages) >= 2  # with evidence


def test_the_court_rule_names_each_document_over_the_cap(make_case: MakeCase, tmp_path: Path) -> None:
    result = build(light_case(make_case, 35), BuildOptions(output_root=tmp_path / "out"))  # no destination
    spans = [
        (exhibit.key, exhibit.title, exhibit.first_page or 0, exhibit.last_page or 0)
        for exhibit in result.exhibits
    ]

    def files_rule(cap: int) -> tuple[bool, str]:
        checked = check(
            Profile(Destination.COURT, cap),
            result.bundle,
            spans,
            [],
            [],
            compress=False,
            exhibits_folder=tmp_path / str(cap),
        )
        rule = checked.rules[-1]
        assert (
            rule.text
            == f"each exhibit a file of its own, no file over {cap / MB:g} MB (the court's upload limit)"
        )
        return rule.held, rule.detail

    sizes = {path.name: path.stat().st_size for path in result.output.glob("*.pdf")}
    assert sizes["cs_inquiry.pdf"] > 80_000 and sizes["evidence_index.pdf"] > 80_000
    assert sizes["appeal_letter.pdf"] < 80_000 < sizes["bundle.pdf"]
    held, detail = files_rule(80_000)
    assert not held
    named = [part.split(" is ")[0] for part in detail.split("; ") if " is " in part]
    assert named == ["cs_inquiry.pdf", "evidence_index.pdf"]  # the bundle is not filed as one file
    inquiry = sizes["cs_inquiry.pdf"]
    assert detail.startswith(
        f"cs_inquiry.pdf is {inquiry / MB:.3f} MB, {(inquiry - 80_000) / MB:.3f} MB over the 0.08 MB that "
        "the court profile allows; raise bundle.court_cap_mb if your court takes larger files; "
    )  # in thousandths of a MB: "0.1 MB, 0.0 MB over" would say nothing
    assert detail.endswith("; 1 file in exhibits/, the largest 0.0 MB")
    assert files_rule(35 * MB) == (True, "1 file in exhibits/, the largest 0.0 MB")


def test_the_email_rule_leaves_room_for_the_word_files_sent_with_the_bundle(tmp_path: Path) -> None:
    """With `send.attach_docx`, a bundle the rule passed went over send's cap in a message with a letter
    holding a 1 MB logo (found by a probe of today's changes)."""
    bundle = samples.text_pdf(tmp_path / "bundle.pdf", ["The appeal"])
    letter = 400_000
    (tmp_path / "appeal_letter.docx").write_bytes(os.urandom(letter))
    cap = int(letter * 78 / 57) + bundle.stat().st_size // 2  # the bundle fits; beside the letter, encoded
    # (a third larger), it does not

    def rule(with_docx: bool) -> tuple[bool, str]:
        profile = Profile(Destination.EMAIL, cap, 20.0, with_docx)
        (last,) = check(profile, bundle, [], [], [], compress=False, exhibits_folder=tmp_path / "x").rules
        if not last.held:  # the way out named: the Word files are what does not fit
            assert last.detail.endswith(
                f"; the Word files sent with it take {letter * 78 / 57 / MB:.1f} MB of the message: leave "
                "them out with send.attach_docx: false in case.yaml (or send --no-docx)"
            )
        return last.held, last.text

    encoded = "(a 20 MB message once encoded for email"
    assert rule(False) == (True, f"the bundle no larger than {cap / MB:.1f} MB {encoded})")
    left = (cap - int(letter * 78 / 57)) / MB
    assert rule(True) == (
        False,
        f"the bundle no larger than {left:.1f} MB {encoded}, the Word files with it)",
    )


def test_an_exhibit_under_the_cap_is_one_file(tmp_path: Path) -> None:
    bundle = PdfReader(samples.text_pdf(tmp_path / "bundle.pdf", ["cover", "one", "two"]))
    files = write_exhibit_files(
        bundle, [("1", "Letter", 1, 3)], tmp_path / "exhibits", Profile(Destination.COURT, 35 * MB)
    )
    assert [(file.name, file.first, file.count) for file in files] == [("1_Letter.pdf", 0, 3)]


def test_a_page_larger_than_the_cap_is_named(tmp_path: Path) -> None:
    """The page is named as the exhibit's own pages are numbered, from the first after its cover sheet."""
    writer = PdfWriter()
    writer.append(samples.text_pdf(tmp_path / "cover.pdf", ["Exhibit 2"]))
    writer.append(samples.scan_pdf(tmp_path / "scans.pdf", 2))
    writer.write(tmp_path / "bundle.pdf")
    with pytest.raises(
        BundleError, match=r"^Exhibit 2: page 1 alone is larger than the 0.1 MB a file may be"
    ):
        write_exhibit_files(
            PdfReader(tmp_path / "bundle.pdf"),
            [("2", "Scans", 1, 3)],
            tmp_path / "out",
            Profile(Destination.COURT, 100_000),
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


def test_a_page_read_from_a_file_weighs_its_picture(tmp_path: Path) -> None:
    """pypdf drops /Length from the streams it reads, and every page weighed 2,000 bytes: a split under the
    cap guessed far too long a part, and a bundle over the cap named no exhibit as the heavy one."""
    reader = PdfReader(samples.scan_pdf(tmp_path / "scan.pdf", 1))
    picture = next(iter(reader.pages[0].images)).data
    assert _page_weight(reader.pages[0]) >= len(picture) // 2 > 10_000
