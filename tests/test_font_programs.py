"""One program per font across passes of generated pages: a pass uses another pass's program of the same
font when that program holds every glyph it draws, and keeps its own otherwise."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import weasyprint
from fontTools.ttLib import TTFont
from pypdf import PageObject, PdfReader, PdfWriter
from pypdf.generic import IndirectObject

from pipeline.build import BuildOptions, build
from pipeline.font_programs import share_font_programs
from pipeline.render import default_templates_folder
from tests.conftest import MakeCase, flat, font_programs, pdftotext, rasterized


def written_pass(path: Path, text: str) -> PdfReader:
    """A PDF of one line in DejaVu Sans, as WeasyPrint writes a pass of generated pages."""
    html = f'<p style="font-family: DejaVu Sans; font-size: 14pt">{text}</p>'
    weasyprint.HTML(string=html).write_pdf(path)
    return PdfReader(path)


def program_of(page: PageObject) -> IndirectObject:
    """The reference to the program of the one font on a page."""
    font = next(iter(page["/Resources"]["/Font"].values())).get_object()
    descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
    reference = descriptor.raw_get("/FontFile2")
    assert isinstance(reference, IndirectObject)
    return reference


def program(reader: PdfReader) -> IndirectObject:
    return program_of(reader.pages[0])


def programs_in(path: Path) -> int:
    """How many distinct font programs the pages of a PDF use."""
    return len({program_of(page).idnum for page in PdfReader(path).pages})


def assembled(passes: list[PdfReader], target: Path) -> Path:
    writer = PdfWriter()
    for reader in passes:
        writer.add_page(reader.pages[0])
    writer.write(target)
    return target


def test_a_pass_draws_with_the_program_of_another_that_holds_its_glyphs(tmp_path: Path) -> None:
    wide = written_pass(tmp_path / "wide.pdf", "Appeal of the frozen store")
    narrow = written_pass(tmp_path / "narrow.pdf", "frozen store")
    assert program(narrow).pdf is narrow and program(wide).pdf is wide

    assert share_font_programs([wide, narrow]) == 1
    assert program(narrow).pdf is wide and program(narrow).idnum == program(wide).idnum
    bundle = assembled([wide, narrow], tmp_path / "bundle.pdf")
    assert programs_in(bundle) == 1
    assert flat(pdftotext(bundle, "-f", "2")) == "frozenstore"


def test_passes_whose_glyphs_no_one_program_holds_draw_with_one_cut_again_from_the_font_file(
    tmp_path: Path,
) -> None:
    wide = written_pass(tmp_path / "wide.pdf", "Appeal of the frozen store")
    other = written_pass(tmp_path / "other.pdf", "Quixotic")  # Q, x, i, c are not in the first
    apart = assembled(
        [PdfReader(tmp_path / "wide.pdf"), PdfReader(tmp_path / "other.pdf")], tmp_path / "apart.pdf"
    )
    assert programs_in(apart) == 2

    assert share_font_programs([wide, other]) == 1
    assert program(other).pdf is wide and program(other).idnum == program(wide).idnum
    bundle = assembled([wide, other], tmp_path / "bundle.pdf")
    assert programs_in(bundle) == 1
    assert [flat(pdftotext(bundle, "-f", str(n), "-l", str(n))) for n in (1, 2)] == [
        "Appealofthefrozenstore",
        "Quixotic",
    ]
    assert rasterized(bundle, tmp_path / "one", 72) == rasterized(apart, tmp_path / "two", 72)


def test_a_font_whose_file_is_not_installed_keeps_a_program_a_pass(tmp_path: Path) -> None:
    """(One fontconfig does not know, and no template loaded.)"""
    wide = written_pass(tmp_path / "wide.pdf", "Appeal of the frozen store")
    other = written_pass(tmp_path / "other.pdf", "Quixotic")
    for reader in (wide, other):
        stream = program(reader).get_object()
        font = TTFont(io.BytesIO(stream.get_data()))
        font["name"].setName("NotInstalledSans", 6, 3, 1, 0x409)
        renamed = io.BytesIO()
        font.save(renamed)
        stream.set_data(renamed.getvalue())

    assert share_font_programs([wide, other]) == 0
    assert program(other).pdf is other
    bundle = assembled([wide, other], tmp_path / "bundle.pdf")
    assert programs_in(bundle) == 2
    assert flat(pdftotext(bundle, "-f", "2")) == "Quixotic"


def test_a_program_cut_from_another_font_file_is_not_used(tmp_path: Path) -> None:
    wide = written_pass(tmp_path / "wide.pdf", "Appeal of the frozen store")
    narrow = written_pass(tmp_path / "narrow.pdf", "frozen store")
    stream = program(wide).get_object()
    font = TTFont(io.BytesIO(stream.get_data()))
    font["head"].fontRevision += 1  # as if DejaVu Sans had been updated between the two passes
    changed = io.BytesIO()
    font.save(changed)
    stream.set_data(changed.getvalue())

    assert share_font_programs([wide, narrow]) == 0
    assert program(narrow).pdf is narrow


def test_a_font_the_templates_load_is_cut_again_from_the_file_they_loaded(
    make_case: MakeCase, tmp_path: Path
) -> None:
    """A clean build writes the evidence index in a PDF of its own (the draft's process lays it out), so
    the fonts of its two PDFs are cut again with the glyphs of both. A font the case's style.css loads with
    @font-face is one fontconfig does not know: it is cut from the file the templates loaded, and the bundle
    carries it once."""
    folder = make_case()
    templates = folder / "templates"
    templates.mkdir()
    installed = subprocess.run(
        ["fc-match", "-f", "%{file}", "DejaVu Sans"], capture_output=True, text=True, check=True
    ).stdout
    font = TTFont(installed)
    table = font["name"]  # names no installed font has
    table.names = [record for record in table.names if record.nameID not in (1, 4, 6, 16, 17)]
    for name_id, name in ((1, "Case Own Sans"), (4, "Case Own Sans"), (6, "CaseOwnSans")):
        table.setName(name, name_id, 3, 1, 0x409)
    font.save(templates / "case-own-sans.ttf")
    style = (default_templates_folder() / "style.css").read_text(encoding="utf-8")
    # By its full address: the default templates, which include this style sheet, resolve relative ones
    # against their own folder.
    source = (templates / "case-own-sans.ttf").as_uri()
    style += f'\n@font-face {{ font-family: "Case Own Sans"; src: url("{source}"); }}\n'
    style += 'html { font-family: "Case Own Sans", "Noto Serif CJK SC"; }\n'
    (templates / "style.css").write_text(style, encoding="utf-8")

    result = build(folder, BuildOptions(output_root=tmp_path / "out"))
    own = {name: count for name, count in font_programs(result.bundle).items() if "Case-Own-Sans" in name}
    assert own and set(own.values()) == {1}, own
    index = pdftotext(result.output / "evidence_index.pdf")
    assert "Evidence Index" in index
