"""The bundle, end to end through the real tools, checked with pypdf, pdftotext, pdfinfo and qpdf."""

from __future__ import annotations

import dataclasses
import io
import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from pypdf import PageObject, PdfReader, PdfWriter

from pipeline.build import MANY_SCANS, BuildOptions, BuildResult, _scan_warnings, build
from pipeline.bundle import Pages, Part, read_ahead
from pipeline.errors import EvidenceError
from tests import samples
from tests.conftest import EXAMPLE, MakeCase, example_data, flat, outline, pdftotext


def page_texts(pdf: Path) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True)
    return text.stdout.split("\f")[:-1]


def check_exhibit_pages(result: BuildResult) -> None:
    """Every exhibit starts (with its cover sheet) where the TOC and the index say, and each of its pages
    is stamped `Exhibit k, page i of n`; every page carries its running number."""
    texts = page_texts(result.bundle)
    total = len(texts)
    for number, text in enumerate(texts, 1):
        assert f"Page {number} of {total}" in text
    marks = outline(PdfReader(result.bundle))
    toc = "".join(texts[marks[1][1] : marks[2][1]])
    index = "".join(texts[marks[4][1] : marks[5][1]])
    for exhibit in result.exhibits:
        first, last = exhibit.first_page, exhibit.last_page
        assert first is not None and last is not None
        cover = texts[first - 1]
        assert f"EXHIBIT {exhibit.key}" in cover and flat(exhibit.title) in flat(cover)
        assert re.search(rf"{exhibit.label}\b.*\s{first}\s+{first}–{last}\b", toc), exhibit.label
        assert f"{first}–{last}" in index
        pages = last - first
        for offset in range(pages):
            assert f"{exhibit.label}, page {offset + 1} of {pages}" in texts[first + offset], (
                exhibit.label,
                offset,
            )
        assert f"{exhibit.label}, page" not in cover


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> BuildResult:
    return build(EXAMPLE, BuildOptions(output_root=tmp_path_factory.mktemp("out")))


def test_a_chinese_bundle_has_chinese_bookmarks_and_cover(make_case: MakeCase, tmp_path: Path) -> None:
    """A zh bundle's bookmarks were English, and its cover's store and contact ("on Alibaba.com ...;
    Schedule A, line 87", "Chen Xiaoyu, General Manager"), found by auditing the bundle; a bilingual one's
    stay English, for the platform and the court."""
    data = example_data()
    data["language"] = "zh"
    result = build(make_case(data), BuildOptions(output_root=tmp_path / "out"))
    marks = outline(PdfReader(result.bundle))
    assert [mark[0] for mark in marks] == ["封面", "目录", "申诉函", "案件信息查询函", "证据目录", "证据"]
    first = result.exhibits[0]
    assert marks[5][2][0][0] == f"{first.label_zh}：{first.title_zh}"
    assert marks[5][2][0][1] == first.first_page - 1  # (where it was)
    cover = flat(pdftotext(result.bundle, "-f", "1", "-l", "1"))
    store = "阿里巴巴国际站店铺“Lumiere Home Official Store”（店铺ID lumierehome2019）；附表A第87项"
    assert flat(store) in cover
    assert flat("陈晓宇，总经理") in cover and "Alibaba.com" not in cover and "GeneralManager" not in cover
    assert flat("冻结金额 US$48,630.25；涉案销售额 US$209.30") in cover


def test_the_cover_says_how_much_is_frozen_against_the_accused_sales(example: BuildResult) -> None:
    """A platform's reviewer, deciding in minutes whether to release the funds, found the case, the store
    and its Schedule A line on the first page, but not the amount at stake: it was on the letter's second
    page. The cover stays one page."""
    cover = flat(pdftotext(example.bundle, "-f", "1", "-l", "1"))
    assert flat("Amount frozen / 冻结金额 US$48,630.25; accused sales / 涉案销售额 US$209.30") in cover
    assert outline(PdfReader(example.bundle))[1][1] == 1  # the contents begin on page 2


def test_the_cover_shows_accused_sales_in_two_currencies_side_by_side(
    make_case: MakeCase, tmp_path: Path
) -> None:
    """With the accused sales in two currencies (no single total), the cover showed the amount frozen
    alone, as if there were none (a reviewer's)."""
    data = example_data()
    del data["sales"]
    data["language"] = "en"
    data["products"][1].update(accused=True, currency="CNY")
    result = build(make_case(data), BuildOptions(output_root=tmp_path / "out"))
    cover = flat(pdftotext(result.bundle, "-f", "1", "-l", "1"))
    assert flat("Amount frozen US$48,630.25; accused sales US$209.30 + CN¥4,370.00") in cover


def test_the_bilingual_cover_note_is_two_sentences_on_two_lines(example: BuildResult) -> None:
    """Its English and Chinese ran together: "...it is not legal advice.页码指各页..."."""
    lines = [line.strip() for line in pdftotext(example.bundle, "-f", "1", "-l", "1").splitlines()]
    english = next(number for number, line in enumerate(lines) if line.endswith("it is not legal advice."))
    assert lines[english + 1].startswith("页码指")


def test_exhibits_start_where_the_toc_and_index_say_and_are_stamped(example: BuildResult) -> None:
    check_exhibit_pages(example)


def test_the_parts_come_in_order_with_nested_bookmarks(example: BuildResult) -> None:
    reader = PdfReader(example.bundle)
    marks = outline(reader)
    assert [mark[0] for mark in marks] == [
        "Cover",
        "Table of contents",
        "Appeal letter",
        "Request for case details",
        "Evidence index",
        "Exhibits",
    ]
    texts = page_texts(example.bundle)
    assert "Appeal and Evidence Bundle" in texts[marks[0][1]]
    assert "Table of Contents" in texts[marks[1][1]]
    assert "Dear Sir or Madam" in texts[marks[2][1]]
    assert "Request for Case Details" in texts[marks[3][1]]
    assert "Evidence Index" in texts[marks[4][1]]
    exhibits = marks[5][2]
    assert [(title, page + 1) for title, page in exhibits] == [
        (f"{exhibit.label}: {exhibit.title}", exhibit.first_page) for exhibit in example.exhibits
    ]
    assert marks[5][1] + 1 == example.exhibits[0].first_page


def test_toc_and_index_entries_link_to_their_pages(example: BuildResult) -> None:
    reader = PdfReader(example.bundle)
    starts = {exhibit.first_page for exhibit in example.exhibits}
    targets: dict[int, set[int]] = {}
    for number, page in enumerate(reader.pages, 1):
        for annotation in page.get("/Annots", []):
            annotation = annotation.get_object()
            if annotation.get("/Subtype") == "/Link" and "/Dest" in annotation:
                target = reader.get_page_number(annotation["/Dest"][0].get_object())
                targets.setdefault(number, set()).add(target + 1)
            assert "/URI" not in annotation.get("/A", {}) or not str(annotation["/A"]["/URI"]).startswith(
                "bundle:"
            )
    toc_page = 2
    assert starts <= targets[toc_page]
    assert targets[toc_page] - starts == {3, 7, 11}  # the three documents
    index_start = outline(reader)[4][1] + 1
    index_pages = range(index_start, min(starts))
    assert starts == set().union(*(targets.get(number, set()) for number in index_pages))


def test_the_index_on_its_own_has_no_dead_links(example: BuildResult) -> None:
    for page in PdfReader(example.output / "evidence_index.pdf").pages:
        for annotation in page.get("/Annots", []):
            uri = str(annotation.get_object().get("/A", {}).get("/URI", ""))
            assert not uri.startswith("bundle:")


def test_page_labels_match_the_printed_numbers(example: BuildResult) -> None:
    reader = PdfReader(example.bundle)
    assert reader.page_labels == [str(number) for number in range(1, len(reader.pages) + 1)]


def test_metadata_names_the_case_and_merchant(example: BuildResult) -> None:
    info = PdfReader(example.bundle).metadata
    assert info is not None
    assert info.title == "1:24-cv-02015 – appeal of Shenzhen Lumiere Home Technology Co., Ltd."
    assert info.author == "Shenzhen Lumiere Home Technology Co., Ltd."
    assert info.subject == "Case 1:24-cv-02015, Glowbright Brands, LLC v. Schedule A defendants"
    assert "Lumiere Home Official Store" in str(info.get("/Keywords"))
    assert info.creation_date is not None and info.creation_date.date().isoformat() == "2024-03-18"


def test_pages_keep_their_size_and_orientation(example: BuildResult) -> None:
    reader = PdfReader(example.bundle)
    by_file = {exhibit.file: exhibit for exhibit in example.exhibits}
    invoice = by_file["evidence/invoice_hengtai_2024-01.pdf"]
    certificate = by_file["evidence/design_certificate_hengtai.pdf"]
    assert invoice.first_page is not None and certificate.first_page is not None
    box = reader.pages[invoice.first_page].mediabox  # the page after the cover sheet
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4 portrait
    box = reader.pages[certificate.first_page].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (792, 612)  # US Letter landscape
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (612, 792)


def test_images_come_out_upright_and_whole(example: BuildResult) -> None:
    reader = PdfReader(example.bundle)
    photo = next(exhibit for exhibit in example.exhibits if exhibit.file.endswith("product_photo.jpg"))
    assert photo.first_page is not None
    pictures = reader.pages[photo.first_page].images
    assert len(pictures) == 1 and pictures[0].image is not None
    assert pictures[0].image.size == (1200, 900)  # stored 900x1200 with EXIF orientation 6


def test_nothing_a_filing_system_refuses(example: BuildResult) -> None:
    info = subprocess.run(["pdfinfo", str(example.bundle)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"^Encrypted:\s+no$", info, re.M)
    assert re.search(r"^JavaScript:\s+no$", info, re.M)
    assert re.search(r"^Form:\s+none$", info, re.M)
    check = subprocess.run(
        ["qpdf", "--check", str(example.bundle)], capture_output=True, text=True, check=False
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert "No syntax or stream encoding errors found" in check.stdout
    reader = PdfReader(example.bundle)
    assert reader.attachments == {}
    assert "/AcroForm" not in reader.trailer["/Root"]
    fonts = subprocess.run(
        ["pdffonts", str(example.bundle)], capture_output=True, text=True, check=True
    ).stdout
    assert all(line.split()[-5] == "yes" for line in fonts.splitlines()[2:])


def test_the_manifest_records_hashes_and_page_ranges(example: BuildResult) -> None:
    manifest = json.loads((example.output / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["case"] == "1:24-cv-02015" and manifest["built"] == "2024-03-18T00:00:00+00:00"
    assert [(entry["label"], entry["first_page"], entry["last_page"]) for entry in manifest["exhibits"]] == [
        (exhibit.label, exhibit.first_page, exhibit.last_page) for exhibit in example.exhibits
    ]
    import hashlib

    for name, digest in manifest["outputs"].items():
        assert hashlib.sha256((example.output / name).read_bytes()).hexdigest() == digest
    for entry in example_data()["evidence"]:
        expected = hashlib.sha256((EXAMPLE / entry["file"]).read_bytes()).hexdigest()
        assert manifest["inputs"][entry["file"]] == expected


def test_the_index_prints_each_files_sha256_in_lines_of_16_digits(example: BuildResult) -> None:
    """The hash breaks only between groups of 16 digits (never inside one), and the break leaves nothing
    in the text: a reader copying the lines gets the file's SHA-256."""
    text = pdftotext(example.output / "evidence_index.pdf")
    assert "\u200b" not in text
    for exhibit in example.exhibits:
        groups = [exhibit.sha256[start : start + 16] for start in range(0, 64, 16)]
        assert "\n".join(groups) in text, exhibit.label


def test_each_cover_sheet_names_the_file_and_under_it_its_sha256(example: BuildResult) -> None:
    for exhibit in example.exhibits:
        assert exhibit.first_page is not None
        page = str(exhibit.first_page)
        lines = [
            line.strip() for line in pdftotext(example.bundle, "-layout", "-f", page, "-l", page).splitlines()
        ]
        file_line = next(number for number, line in enumerate(lines) if line.endswith(exhibit.file))
        assert lines[file_line + 1] == f"SHA-256 {exhibit.sha256}", exhibit.label


def test_each_evidence_file_is_hashed_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The index prints each file's SHA-256 and the manifest records it: one reading of the file for both
    (a 2,000-page case is 120 MB read again otherwise)."""
    import pipeline.build
    import pipeline.context
    import pipeline.sales

    hashed: list[Path] = []
    real = pipeline.context.sha256_of

    def counted(path: Path) -> str:
        hashed.append(path.resolve())
        return real(path)

    for module in (pipeline.build, pipeline.context, pipeline.sales):
        monkeypatch.setattr(module, "sha256_of", counted)
    result = build(EXAMPLE, BuildOptions(output_root=tmp_path, cache=False))
    manifest = json.loads((result.output / "manifest.json").read_text(encoding="utf-8"))
    for entry in example_data()["evidence"]:
        assert hashed.count((EXAMPLE / entry["file"]).resolve()) == 1, entry["file"]
        assert manifest["inputs"][entry["file"]] == real(EXAMPLE / entry["file"])


def test_scans_and_photos_are_named_in_a_warning(example: BuildResult) -> None:
    assert example.warnings == [
        "Exhibit 4 (evidence/listing_screenshot.png): page 1 has no searchable text (a scan or a picture); "
        "the exhibit has 1 page",
        "Exhibit 5 (evidence/product_photo.jpg): page 1 has no searchable text (a scan or a picture); "
        "the exhibit has 1 page",
    ]


def test_many_scanned_exhibits_are_named_in_one_warning(example: BuildResult) -> None:
    exhibits = [dataclasses.replace(example.exhibits[0], number=n, key=str(n)) for n in range(1, 13)]
    parts = [Part(exhibit.label, [None] * 100, exhibit=exhibit, evidence=True) for exhibit in exhibits]
    blank = {n: list(range(1, 101)) if n != 7 else [2] for n in range(1, 13)}
    assert _scan_warnings(parts, blank) == [
        "12 exhibits have pages without searchable text (scans or pictures), 1,101 of their 1,200 pages: "
        "Exhibit 1, Exhibit 2, Exhibit 3, Exhibit 4, Exhibit 5, Exhibit 6, Exhibit 7, Exhibit 8, Exhibit 9, "
        "Exhibit 10 and 2 more; --ocr adds a text layer"
    ]
    assert len(_scan_warnings(parts[:MANY_SCANS], blank)) == MANY_SCANS  # up to ten: one each


def test_the_same_inputs_give_the_same_bytes(example: BuildResult, tmp_path: Path) -> None:
    again = build(EXAMPLE, BuildOptions(output_root=tmp_path))
    assert again.bundle.read_bytes() == example.bundle.read_bytes()


def test_letters_label_exhibits_and_bates_numbers_every_page(make_case: MakeCase, tmp_path: Path) -> None:
    data = example_data()
    data["bundle"] = {"exhibit_labels": "letters", "bates_prefix": "LUM"}
    data["evidence"] = data["evidence"][:3]
    result = build(make_case(data), BuildOptions(output_root=tmp_path / "out"))
    assert [exhibit.label for exhibit in result.exhibits] == ["Exhibit A", "Exhibit B", "Exhibit C"]
    check_exhibit_pages(result)
    texts = page_texts(result.bundle)
    assert [re.findall(r"LUM\d{6}", text) for text in texts] == [
        [f"LUM{n:06d}"] for n in range(1, len(texts) + 1)
    ]


def test_a_long_evidence_list_still_gives_right_numbers(make_case: MakeCase, tmp_path: Path) -> None:
    data = example_data()
    data["evidence"] = [
        {
            "file": f"evidence/invoice-{number:02d}.pdf",
            "title": f"Invoice number {number} from the supplier",
            "description": "One of the supplier's invoices for the accused model, with quantity and price.",
        }
        for number in range(1, 61)
    ]
    del data["sales"]  # its export is one of the example's evidence files, left out here
    folder = make_case(data, evidence=False)
    (folder / "evidence").mkdir()
    one = samples.text_pdf(tmp_path / "one.pdf", ["A supplier invoice"])
    for entry in data["evidence"]:
        shutil.copy(one, folder / entry["file"])
    result = build(folder, BuildOptions(output_root=tmp_path / "out"))
    marks = outline(PdfReader(result.bundle))
    index_pages = (result.exhibits[0].first_page or 0) - (marks[4][1] + 1)
    assert index_pages >= 3
    check_exhibit_pages(result)


def test_every_kind_of_difficult_pdf_and_image_goes_in(make_case: MakeCase, tmp_path: Path) -> None:
    names = ["empty-password.pdf", "owner-only.pdf", "form.pdf", "script.pdf", "attached.pdf",
             "truncated.pdf", "letter.pdf", "wide.pdf", "scan.tif"]  # fmt: skip
    data = example_data()
    data["evidence"] = [{"file": f"evidence/{name}", "title": f"Difficult {name}"} for name in names]
    del data["sales"]  # its export is one of the example's evidence files, left out here
    folder = make_case(data, evidence=False)
    evidence = folder / "evidence"
    evidence.mkdir()
    plain = samples.text_pdf(tmp_path / "plain.pdf", ["Plain A4 text"], size=samples.A4)
    samples.encrypted_pdf(plain, evidence / "empty-password.pdf", user="", owner="x")
    samples.encrypted_pdf(plain, evidence / "owner-only.pdf", user="", owner="owner")
    samples.form_pdf(plain, evidence / "form.pdf")
    samples.javascript_pdf(plain, evidence / "script.pdf")
    samples.attachment_pdf(plain, evidence / "attached.pdf")
    samples.truncated_pdf(plain, evidence / "truncated.pdf")
    samples.text_pdf(evidence / "letter.pdf", ["US letter page", "Second letter page"])
    samples.text_pdf(evidence / "wide.pdf", ["Landscape page"], size=(842, 595))
    samples.multi_frame(evidence / "scan.tif", 3, "TIFF")
    result = build(folder, BuildOptions(output_root=tmp_path / "out"))
    check_exhibit_pages(result)
    by_name = {Path(exhibit.file).name: exhibit for exhibit in result.exhibits}
    assert (by_name["scan.tif"].last_page or 0) - (by_name["scan.tif"].first_page or 0) == 3
    reader = PdfReader(result.bundle)
    wide = reader.pages[by_name["wide.pdf"].first_page or 0].mediabox
    assert float(wide.width) > float(wide.height)
    assert "FIELDVALUE" in page_texts(result.bundle)[by_name["form.pdf"].first_page or 0]
    assert "/AcroForm" not in reader.trailer["/Root"] and reader.attachments == {}
    for name in names[:6]:
        label = by_name[name].label
        assert any(warning.startswith(f"{label} (evidence/{name}): ") for warning in result.warnings), name


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("../outside.pdf", "the path leaves the case folder"),
        ("/etc/passwd", "an absolute path"),
        ("evidence/link.pdf", "a link to a file outside the case folder"),
        ("evidence", "a folder, not a file"),
        ("evidence/empty.pdf", "the file is empty (0 bytes)"),
    ],
)
def test_a_path_outside_the_case_folder_is_refused(
    make_case: MakeCase, tmp_path: Path, path: str, message: str
) -> None:
    data = example_data()
    data["evidence"] = [{"file": path, "title": "Bad"}]
    folder = make_case(data)
    (tmp_path / "cases" / "outside.pdf").write_bytes(b"%PDF-1.4 secret")
    (folder / "evidence" / "link.pdf").symlink_to(tmp_path / "cases" / "outside.pdf")
    (folder / "evidence" / "empty.pdf").write_bytes(b"")
    with pytest.raises(EvidenceError, match=re.escape(f"evidence[0].file: {path}: {message}")):
        build(folder, BuildOptions(output_root=tmp_path / "out"))
    assert not (tmp_path / "out" / "acme").exists()


def size_case(make_case: MakeCase, tmp_path: Path, pages: int) -> tuple[BuildResult, int]:
    """The example's PDF evidence plus one PDF of `pages` pages; the result and the inputs' total size."""
    data = example_data()
    data["evidence"] = [entry for entry in data["evidence"] if entry["file"].endswith(".pdf")]
    data["evidence"].append({"file": "evidence/many.pdf", "title": "Order records"})
    folder = make_case(data, name=f"pages{pages}")
    samples.text_pdf(folder / "evidence" / "many.pdf", [f"Order record {n}" for n in range(pages)])
    # An output root each: documents reused from another build's cache carry their own font subsets.
    result = build(folder, BuildOptions(output_root=tmp_path / f"out{pages}"))
    return result, sum((folder / entry["file"]).stat().st_size for entry in data["evidence"])


def test_stamping_does_not_copy_resources_per_page(make_case: MakeCase, tmp_path: Path) -> None:
    """A case of ordinary PDFs: the bundle is about the size of its inputs plus the generated documents,
    and each more page of evidence costs the bundle little more than that page itself."""
    small, small_inputs = size_case(make_case, tmp_path, 1)
    large, large_inputs = size_case(make_case, tmp_path, 121)
    generated = sum(
        (large.output / f"{name}.pdf").stat().st_size
        for name in ("appeal_letter", "cs_inquiry", "evidence_index")
    )
    assert large.bundle.stat().st_size <= 1.10 * (large_inputs + generated)
    per_page = (
        large.bundle.stat().st_size - small.bundle.stat().st_size - (large_inputs - small_inputs)
    ) / 120
    assert per_page < 1000, f"{per_page:.0f} bytes more per stamped page"


class ReadAgain(Exception):
    """An object of a PDF was read from its file after `read_ahead`."""


class HeaderOnly:
    """Stands for a PDF's file once it has been read ahead: pypdf may read the version its first bytes
    state (it does for each page copied), and nothing else."""

    def __init__(self, header: bytes) -> None:
        self.header = header
        self.position = 0

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = 0) -> int:
        self.position = offset if whence == 0 else -1  # from the end or from here: an object is read
        return self.position

    def read(self, size: int = -1) -> bytes:
        if self.position != 0:
            raise ReadAgain(f"at {self.position}")
        return self.header[: max(size, 0)]


@pytest.mark.parametrize("ahead", [True, False])
def test_reading_ahead_leaves_the_assembly_nothing_to_read_from_the_files(
    tmp_path: Path, ahead: bool
) -> None:
    readers = [
        PdfReader(samples.text_pdf(tmp_path / "text.pdf", ["one", "two", "three"])),  # fonts
        PdfReader(samples.scan_pdf(tmp_path / "scan.pdf", 2, size=(170, 220))),  # images
    ]
    runs = [Pages(reader) for reader in readers]
    steps = list(read_ahead(runs)) if ahead else [reader.pages[0] for reader in readers]
    assert len(steps) == (5 if ahead else 2)  # a step a page
    for reader in readers:
        reader.stream = HeaderOnly(reader.stream.getvalue()[:8])  # type: ignore[attr-defined]
    writer = PdfWriter()

    def assemble() -> None:
        for run in runs:
            for page in run:
                writer.add_page(page)
        writer.write(io.BytesIO())

    if ahead:
        assemble()
        assert len(writer.pages) == 5
    else:  # the test would see it if read_ahead left something out
        with pytest.raises(ReadAgain):
            assemble()


def test_reading_ahead_passes_over_what_cannot_be_read(tmp_path: Path) -> None:
    """The assembly decides what an unreadable object means, as it did before anything was read ahead."""
    reader = PdfReader(samples.text_pdf(tmp_path / "text.pdf", ["one", "two"]))
    pages = Pages(reader)
    _ = [*pages]

    def broken(*args: object) -> None:
        raise ValueError("a damaged object")

    reader.get_object = broken  # type: ignore[method-assign]
    assert len(list(read_ahead([pages]))) == 2

    class Lost(Pages):
        def __iter__(self) -> Iterator[PageObject]:
            raise ValueError("a page tree that cannot be read")

    lost = Lost(PdfReader(samples.text_pdf(tmp_path / "lost.pdf", ["one"])))
    assert len(list(read_ahead([lost, pages]))) == 2  # the next run is still read


def test_an_exhibit_s_links_stay_its_own_whatever_they_say(make_case: MakeCase, tmp_path: Path) -> None:
    """Links of the form the templates use for bundle pages (`bundle:page/N`) were turned into jumps on
    every page, an exhibit's included: `bundle:page/abc` in an evidence PDF failed the build ("failed
    unexpectedly", ValueError), `bundle:page/99999` stopped it, a page number became a jump. (Since an
    evidence PDF keeps only links to web pages, email addresses and telephone numbers, such links are
    removed from it, with a warning: never made jumps.)"""
    from pypdf.generic import ArrayObject, DictionaryObject, NameObject, NumberObject, TextStringObject

    folder = make_case()
    invoice = folder / "evidence" / "invoice_hengtai_2024-01.pdf"

    def add_links(writer: PdfWriter) -> None:
        links = ArrayObject()
        for row, uri in enumerate(("bundle:page/abc", "bundle:page/99999", "bundle:page/2")):
            action = DictionaryObject(
                {NameObject("/S"): NameObject("/URI"), NameObject("/URI"): TextStringObject(uri)}
            )
            box = [NumberObject(value) for value in (72, 700 - 30 * row, 300, 720 - 30 * row)]
            annotation = DictionaryObject(
                {
                    NameObject("/Type"): NameObject("/Annot"),
                    NameObject("/Subtype"): NameObject("/Link"),
                    NameObject("/Rect"): ArrayObject(box),
                    NameObject("/A"): action,
                }
            )
            links.append(writer._add_object(annotation))
        writer.pages[0][NameObject("/Annots")] = links

    samples.rewrite(samples.text_pdf(tmp_path / "plain.pdf", ["Invoice with links"]), invoice, add_links)
    result = build(folder, BuildOptions(output_root=tmp_path / "out"))
    first = next(exhibit for exhibit in result.exhibits if exhibit.number == 1)
    assert first.first_page is not None
    page = PdfReader(result.bundle).pages[first.first_page]  # (the page after the cover sheet)
    assert [link.get_object() for link in page.get("/Annots", [])] == []
    assert (
        "Exhibit 1 (evidence/invoice_hengtai_2024-01.pdf): links that start a program, open another file or "
        "an attached one, or send form data were removed (court filing systems refuse them)"
    ) in result.warnings


def test_a_file_a_template_attaches_is_left_out(
    make_case: MakeCase, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """`<a rel="attachment" href="../case.yaml">` in a template put case.yaml into the bundle and the
    inquiry's PDF as a file attachment, which the bundle promises it holds none of."""
    folder = make_case()
    (folder / "templates").mkdir()
    inquiry = (EXAMPLE.parent.parent / "templates" / "cs_inquiry.html").read_text(encoding="utf-8")
    attaching = inquiry.replace("</h1>", '</h1><p><a rel="attachment" href="../case.yaml">data</a></p>', 1)
    (folder / "templates" / "cs_inquiry.html").write_text(attaching, encoding="utf-8")
    result = build(folder, BuildOptions(output_root=tmp_path / "out"))
    for pdf in (result.bundle, result.output / "cs_inquiry.pdf"):
        for page in PdfReader(pdf).pages:
            subtypes = [annotation.get_object().get("/Subtype") for annotation in page.get("/Annots", [])]
            assert "/FileAttachment" not in subtypes
    assert (
        "Request for case details: the files its template attaches were left out (court filing systems "
        "refuse them)"
    ) in caplog.messages


def test_a_templates_link_that_runs_a_script_or_opens_a_file_is_left_out(
    make_case: MakeCase, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """`<a href="javascript:...">` and `<a href="file:///etc/passwd">` in a case's template were live links
    in the bundle and in the document's own PDF (found by a probe of hostile templates). A link to a web page
    stays."""
    folder = make_case()
    (folder / "templates").mkdir()
    inquiry = (EXAMPLE.parent.parent / "templates" / "cs_inquiry.html").read_text(encoding="utf-8")
    links = (
        '<p><a href="javascript:alert(1)">a</a> <a href="file:///etc/passwd">b</a> '
        '<a href="https://example.com/">c</a></p>'
    )
    (folder / "templates" / "cs_inquiry.html").write_text(
        inquiry.replace("</h1>", "</h1>" + links, 1), "utf-8"
    )
    result = build(folder, BuildOptions(output_root=tmp_path / "out"))
    for pdf in (result.bundle, result.output / "cs_inquiry.pdf"):
        uris = [
            str(annotation.get_object()["/A"].get("/URI"))
            for page in PdfReader(pdf).pages
            for annotation in page.get("/Annots", [])
            if "/A" in annotation.get_object()
        ]
        assert "https://example.com/" in uris
        assert not [uri for uri in uris if uri.startswith(("javascript", "file"))]
    for address in ("javascript:alert(1)", "file:///etc/passwd"):
        assert (
            f"Request for case details: its link to “{address}” was left out (court filing systems refuse "
            "links that run a script or open a file)"
        ) in caplog.messages
