"""The cache: a rebuild reuses every part whose inputs did not change and remakes the others, and what it
builds is what a build without the cache builds."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

import pipeline.layout
from pipeline.build import BuildOptions, BuildResult, build
from pipeline.cache import FOLDER, Cache
from tests.conftest import ROOT, MakeCase, font_programs, rasterized
from tests.samples import image, text_pdf


def pages_text(pdf: Path) -> list[str]:
    return [page.extract_text() for page in PdfReader(pdf).pages]


def cuts_counted(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    """The fonts the builds from now on cut again from their files (`font_programs.cut_program`)."""
    cuts: list[tuple[Any, ...]] = []
    real = pipeline.layout.cut_program

    def counted(origin: tuple[Any, ...], *args: Any) -> bytes | None:
        cuts.append(origin)
        return real(origin, *args)

    monkeypatch.setattr(pipeline.layout, "cut_program", counted)
    return cuts


def build_case(case: Path, output: Path, *, cache: bool = True) -> BuildResult:
    return build(case, BuildOptions(output_root=output, cache=cache))


@pytest.fixture
def built(make_case: MakeCase, tmp_path: Path) -> tuple[Path, Path, BuildResult]:
    """The example built once with a cache: (case folder, output root, result)."""
    case = make_case()
    result = build_case(case, tmp_path / "out")
    return case, tmp_path / "out", result


def test_an_unchanged_case_is_rebuilt_from_the_cache_alone_to_the_same_bytes(built) -> None:
    case, output, first = built
    bundle = first.bundle.read_bytes()
    assert first.made > 0 and (output / FOLDER).is_dir()
    again = build_case(case, output)
    assert again.made == 0 and again.reused > 0
    assert again.bundle.read_bytes() == bundle


def test_editing_one_template_remakes_that_document_only(built) -> None:
    case, output, _ = built
    (case / "templates").mkdir()
    template = (ROOT / "templates" / "cs_inquiry.html").read_text(encoding="utf-8")
    edited = template.replace("</h1>", " EDITED-HEADING</h1>", 1)
    assert edited != template
    (case / "templates" / "cs_inquiry.html").write_text(edited, encoding="utf-8")
    again = build_case(case, output)
    assert again.made == 1  # the inquiry laid out again; its length, so every page number, unchanged
    assert "EDITED-HEADING" in "".join(pages_text(again.output / "cs_inquiry.pdf"))
    assert "EDITED-HEADING" in "".join(pages_text(again.bundle))


def test_a_rebuild_after_an_edit_embeds_each_font_once_and_draws_what_a_clean_build_draws(
    built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The edited inquiry is written in a pass of its own, beside the clean build's (its index in one of
    its own, by the draft's process); their fonts draw with one program each, so the bundle carries no
    second subset of any font (of Noto CJK, say). The programs the clean build cut from the font files
    for its two passes hold every glyph the edit draws: the rebuild takes them from the cache, cutting
    nothing again."""
    case, output, _ = built
    cuts = cuts_counted(monkeypatch)
    (case / "templates").mkdir()
    template = (ROOT / "templates" / "cs_inquiry.html").read_text(encoding="utf-8")
    (case / "templates" / "cs_inquiry.html").write_text(template.replace("</h1>", " </h1>", 1), "utf-8")
    again = build_case(case, output)
    assert cuts == []
    plain = build_case(case, tmp_path / "plain", cache=False)
    assert cuts  # a build without the cache cuts them (the index is a PDF of its own there too)
    assert again.made == 1 and again.reused > 0
    assert font_programs(again.bundle) == font_programs(plain.bundle)
    assert rasterized(again.bundle, tmp_path / "again") == rasterized(plain.bundle, tmp_path / "plain-pages")
    assert again.bundle.stat().st_size < 1.02 * plain.bundle.stat().st_size


def test_a_rebuild_after_an_edit_that_adds_characters_still_embeds_each_font_once(
    built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Characters no page of the earlier passes shows (rare ideographs, in the bold of a heading): no
    earlier program holds them, so the fonts are cut again from their files with the glyphs of all the
    passes."""
    case, output, _ = built
    cuts = cuts_counted(monkeypatch)
    (case / "templates").mkdir()
    template = (ROOT / "templates" / "cs_inquiry.html").read_text(encoding="utf-8")
    edited = template.replace("</h1>", " 骉鱻龘 Quixotic</h1>", 1)
    (case / "templates" / "cs_inquiry.html").write_text(edited, "utf-8")
    again = build_case(case, output)
    assert cuts and again.made == 1 and again.reused > 0
    plain = build_case(case, tmp_path / "plain", cache=False)
    assert "骉鱻龘" in "".join(pages_text(again.output / "cs_inquiry.pdf"))
    assert font_programs(again.bundle) == font_programs(plain.bundle)
    assert rasterized(again.bundle, tmp_path / "again") == rasterized(plain.bundle, tmp_path / "plain-pages")
    assert again.bundle.stat().st_size < 1.02 * plain.bundle.stat().st_size


def test_a_rebuild_builds_what_a_build_without_the_cache_builds(built, tmp_path: Path) -> None:
    """Change the data, an evidence file and a template; the cached rebuild must show every change,
    exactly as a build from nothing does."""
    case, output, _ = built
    data = (case / "case.yaml").read_text(encoding="utf-8")
    (case / "case.yaml").write_text(data.replace("Shenzhen", "Guangzhou"), encoding="utf-8")
    text_pdf(case / "evidence" / "invoice_hengtai_2024-01.pdf", ["REPLACED INVOICE", "SECOND PAGE"])
    cached = build_case(case, output)
    plain = build_case(case, tmp_path / "plain", cache=False)
    assert not (tmp_path / "plain" / FOLDER).exists()
    assert cached.made > 0
    assert "REPLACED INVOICE" in "".join(pages_text(cached.bundle))
    assert pages_text(cached.bundle) == pages_text(plain.bundle)
    assert "Guangzhou" in "".join(pages_text(cached.output / "appeal_letter.pdf"))
    assert [(e.first_page, e.last_page) for e in cached.exhibits] == [
        (e.first_page, e.last_page) for e in plain.exhibits
    ]


def test_a_file_a_template_reads_is_checked_before_reuse(make_case: MakeCase, tmp_path: Path) -> None:
    """An image the HTML shows is not part of the HTML: a new image must still be laid out again."""
    case = make_case()
    (case / "templates").mkdir()
    image(case / "templates" / "logo.png", color="red")
    cover = (ROOT / "templates" / "bundle_cover.html").read_text(encoding="utf-8")
    (case / "templates" / "bundle_cover.html").write_text(
        cover.replace("{% block body %}", '{% block body %}<img src="logo.png" style="width: 1in">', 1),
        encoding="utf-8",
    )
    first = build_case(case, tmp_path / "out").bundle.read_bytes()
    image(case / "templates" / "logo.png", color="blue")
    again = build_case(case, tmp_path / "out")
    assert again.made == 1
    assert again.bundle.read_bytes() != first


def test_a_damaged_entry_is_made_again(built) -> None:
    case, output, first = built
    for stored in (output / FOLDER).glob("*/*.pdf"):
        stored.write_bytes(stored.read_bytes()[:100])  # cut short, as by a full disk
    again = build_case(case, output)
    assert pages_text(again.bundle) == pages_text(first.bundle)


def test_an_entry_damaged_in_place_is_made_again(built) -> None:
    """Bytes changed, not the size (a failing disk, a sync tool): every build failed on the damaged PDF
    ("failed unexpectedly"), a watch too, until the cache was deleted by hand."""
    case, output, first = built
    for stored in (output / FOLDER).glob("*/*.pdf"):
        data = bytearray(stored.read_bytes())
        third = len(data) // 3
        data[third : 2 * third] = bytes(third)
        stored.write_bytes(bytes(data))
    again = build_case(case, output)
    assert pages_text(again.bundle) == pages_text(first.bundle)


def test_old_entries_are_pruned(tmp_path: Path) -> None:
    cache = Cache(tmp_path / FOLDER)
    made = tmp_path / "part.pdf"
    made.write_bytes(b"%PDF-1.7 test")
    old, new = cache.key("test", "old"), cache.key("test", "new")
    cache.put(old, made)
    cache.put(new, made)
    month_ago = os.path.getmtime(tmp_path) - 31 * 86400
    for path in (tmp_path / FOLDER).glob(f"*/{old}.*"):
        os.utime(path, (month_ago, month_ago))
    cache.prune()
    assert cache.get(old) is None
    assert cache.get(new) is not None


def test_what_a_write_stopped_half_way_left_is_pruned_once_it_is_old(tmp_path: Path) -> None:
    """A process killed while it wrote an entry (the draft's, when its build fails) leaves a temporary
    file; another build may be writing one right now, so only an old one goes."""
    cache = Cache(tmp_path / FOLDER)
    made = tmp_path / "part.pdf"
    made.write_bytes(b"%PDF-1.7 test")
    entry = cache.put(cache.key("test", "kept"), made)
    stale, fresh = entry.file.parent / ".left.pdf.abc123", entry.file.parent / ".writing.pdf.def456"
    for path in (stale, fresh):
        path.write_bytes(b"%PDF-1.7 half")
    two_hours_ago = os.path.getmtime(entry.file) - 2 * 3600
    os.utime(stale, (two_hours_ago, two_hours_ago))
    cache.prune()
    assert not stale.exists() and fresh.exists()
    assert cache.get(cache.key("test", "kept")) is not None
