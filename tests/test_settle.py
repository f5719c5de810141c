"""Settling the page numbers of the cover, the contents and the index: a clean build drafts their lengths
in a child process on the other core, so this one lays them out once, and that process then lays out and
writes the final index while this one lays out the cover and the contents. The bundle shows the same pages
with it or without it, and a draft that fails, hangs or is left behind by a failed build costs time at
most."""

from __future__ import annotations

import multiprocessing
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

import pipeline.draft
from pipeline.build import BuildOptions, build
from pipeline.draft import Draft
from pipeline.errors import TemplateError
from pipeline.layout import FIRST_GUESS, Layout
from pipeline.office_session import office_session
from pipeline.render import default_templates_folder
from tests.conftest import NEVER_ENDS, MakeCase, example_data, font_programs, outline, pdftotext, rasterized


class Spy:
    """Records the rounds this process lays out, and the draft's process; can make the draft misbehave."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, *, draft: str = "works") -> None:
        self.parent = os.getpid()
        self.rounds: list[dict[str, int]] = []
        self.indexes = 0
        """How many times this process laid out the evidence index."""
        self.children: list[int] = []
        self.measured: list[tuple[str, ...]] = []
        """What this process laid out in the first round (`Layout.first_round`)."""
        self.child_measured = Path(tempfile.mkdtemp()) / "measured"
        """What the draft's process laid out in the first round: a line of names a call."""
        self.parent_measuring = self.child_measured.with_name("parent measuring")
        """Made once this process begins laying out its share of the first round."""
        real_round, real_first, real_index = Layout._round, Layout.first_round, Layout._index
        real_fork = os.fork

        def round_(layout: Layout, *args: Any, **kwargs: Any) -> Any:
            if os.getpid() == self.parent:
                self.rounds.append(args[2])  # the lengths the round starts from
            return real_round(layout, *args, **kwargs)

        def first_round(layout: Layout, *args: Any) -> Any:
            if os.getpid() == self.parent:
                self.measured.append(tuple(args[4]))
                self.parent_measuring.touch()
            elif draft == "fails":
                raise RuntimeError("the draft broke")
            elif draft == "hangs":
                time.sleep(120)
            else:  # the child's share, written where this process can read it
                with self.child_measured.open("a") as notes:
                    notes.write(" ".join(args[4]) + "\n")
                if draft == "is slow" and "cover" not in args[4]:  # until this process lays out the cover
                    # (not a time: on a busy machine this process took longer than the 3 s it was, once)
                    deadline = time.monotonic() + 120
                    while not self.parent_measuring.exists() and time.monotonic() < deadline:
                        time.sleep(0.05)
            return real_first(layout, *args)

        def index(layout: Layout, *args: Any) -> Any:
            if os.getpid() == self.parent:
                self.indexes += 1
            return real_index(layout, *args)

        def fork() -> int:
            child = real_fork()
            if child:
                self.children.append(child)
            return child

        monkeypatch.setattr(Layout, "_round", round_)
        monkeypatch.setattr(Layout, "first_round", first_round)
        monkeypatch.setattr(Layout, "_index", index)
        monkeypatch.setattr(pipeline.draft.os, "fork", fork)

    def drafts_gone(self) -> bool:
        """Every draft ended and was reaped by the build."""
        for child in self.children:
            with pytest.raises(ChildProcessError):
                os.waitpid(child, os.WNOHANG)
        return True


def test_a_clean_build_lays_out_the_contents_once_and_the_index_in_the_draft_with_the_same_pages(
    make_case: MakeCase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = make_case()
    spy = Spy(monkeypatch)
    drafted = build(folder, BuildOptions(output_root=tmp_path / "drafted"))
    assert len(spy.children) == 1 and spy.drafts_gone()
    assert len(spy.rounds) == 1  # the draft's lengths were right: one round here
    assert spy.rounds[0] != FIRST_GUESS  # ... where the first guess (one page each) was not
    assert spy.indexes == 0  # ... and the draft's process laid out its index

    spy.rounds.clear()
    monkeypatch.setattr(pipeline.draft.os, "cpu_count", lambda: 1)  # no other core: no draft
    alone = build(folder, BuildOptions(output_root=tmp_path / "alone"))
    assert len(spy.children) == 1 and spy.rounds[0] == FIRST_GUESS and len(spy.rounds) == 2
    assert spy.indexes == 2
    # The same bundle page for page: text, bookmarks, pixels, and one program per font of ours (the index
    # was written in a PDF of its own, its fonts then drawn with the programs of the other pages).
    assert pdftotext(drafted.bundle) == pdftotext(alone.bundle)
    assert outline(PdfReader(drafted.bundle)) == outline(PdfReader(alone.bundle))
    assert rasterized(drafted.bundle, tmp_path / "a") == rasterized(alone.bundle, tmp_path / "b")
    assert font_programs(drafted.bundle) == font_programs(alone.bundle)


def test_a_build_drafts_in_an_office_session_too_but_not_when_told_not_to(
    make_case: MakeCase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A single build or a watch has LibreOffice in a session and the other core free; a batch of several
    workers turns the draft off (`BuildOptions.draft`), every core being busy."""
    folder = make_case()
    spy = Spy(monkeypatch)
    with office_session():
        build(folder, BuildOptions(output_root=tmp_path / "session"))
    assert len(spy.children) == 1 and len(spy.rounds) == 1 and spy.drafts_gone()
    build(folder, BuildOptions(output_root=tmp_path / "told", draft=False))
    assert len(spy.children) == 1 and spy.rounds[1] == FIRST_GUESS and len(spy.rounds) == 3


def test_a_rebuild_takes_the_lengths_from_the_cache_and_drafts_nothing(
    make_case: MakeCase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = make_case()
    build(folder, BuildOptions(output_root=tmp_path / "out"))
    spy = Spy(monkeypatch)
    build(folder, BuildOptions(output_root=tmp_path / "out"))
    assert spy.children == [] and len(spy.rounds) == 1


@pytest.mark.parametrize("draft", ["fails", "hangs"])
def test_a_draft_that_fails_or_hangs_costs_a_round_not_the_build(
    make_case: MakeCase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, draft: str
) -> None:
    folder = without_libreoffice(make_case)  # a short time limit: a hung draft is given up on soon
    spy = Spy(monkeypatch, draft=draft)
    result = build(folder, BuildOptions(output_root=tmp_path / "out", timeout=3))
    assert len(spy.rounds) == 2 and spy.drafts_gone()
    assert result.bundle.is_file()


def test_a_draft_that_fails_on_the_index_leaves_it_to_this_process(
    make_case: MakeCase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = make_case()
    spy = Spy(monkeypatch)

    def broken(*args: Any) -> Any:
        raise RuntimeError("the draft's index broke")

    monkeypatch.setattr(Layout, "written_index", broken)  # the lengths come, the index does not
    result = build(folder, BuildOptions(output_root=tmp_path / "out"))
    assert len(spy.rounds) == 1 and spy.indexes == 1 and spy.drafts_gone()
    assert "Evidence Index" in pdftotext(result.bundle)
    assert all(count == 1 for name, count in font_programs(result.bundle).items() if "Liberation" in name)


def test_a_build_that_fails_meanwhile_takes_its_draft_down(
    make_case: MakeCase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = make_case()
    spy = Spy(monkeypatch, draft="hangs")

    def broken_covers(*args: Any) -> Any:
        raise TemplateError("exhibit_cover.html: broken")

    monkeypatch.setattr(Layout, "exhibit_covers", broken_covers)  # fails while the draft runs
    started = time.monotonic()
    with pytest.raises(TemplateError, match="broken"):
        build(folder, BuildOptions(output_root=tmp_path / "out"))
    assert time.monotonic() - started < 100  # not waiting for the draft's two minutes
    assert len(spy.children) == 1 and spy.drafts_gone()
    with pytest.raises(ProcessLookupError):
        os.kill(spy.children[0], 0)


def test_a_draft_stopped_by_the_time_limit_ends_the_build_with_its_error(
    make_case: MakeCase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = without_libreoffice(make_case)
    (folder / "templates" / "bundle_toc.html").write_text(NEVER_ENDS, "utf-8")
    spy = Spy(monkeypatch)
    with pytest.raises(TemplateError, match=r"bundle_toc\.html: rendering took longer than 3 s"):
        build(folder, BuildOptions(output_root=tmp_path / "out", timeout=3))
    assert spy.rounds == []  # the draft's time-out was the build's: not waited for a second time here
    assert len(spy.children) == 1 and spy.drafts_gone()


def without_libreoffice(make_case: MakeCase) -> Path:
    """The example with an HTML letter and no spreadsheet: nothing for LibreOffice, which a time limit of
    a few seconds could stop on a busy machine."""
    data = example_data()
    data["evidence"] = [entry for entry in data["evidence"] if not entry["file"].endswith(".xlsx")]
    folder = make_case(data)
    (folder / "templates").mkdir()
    shutil.copy(default_templates_folder() / "cs_inquiry.html", folder / "templates" / "appeal_letter.html")
    return folder


def test_a_wait_for_the_draft_is_spent_on_other_work_until_it_answers() -> None:
    receive, send = multiprocessing.Pipe(duplex=False)
    _, ask = multiprocessing.Pipe(duplex=False)
    draft = Draft(receive, ask, wait=30, share=lambda: {"cover": 1})
    steps = []

    def work() -> Iterator[None]:
        for step in range(10):
            steps.append(step)
            if step == 2:  # the draft's process sends its lengths
                send.send({"cover": 1, "toc": 2, "evidence_index": 3})
            if step == 9:  # ... and later ends without writing the index
                send.close()
            yield

    draft.meanwhile(work())
    assert draft.lengths() == {"cover": 1, "toc": 2, "evidence_index": 3}
    assert steps == [0, 1, 2]  # no more work once the lengths had come
    assert draft.index({}, {}, [])() is None
    assert steps == list(range(10))  # the rest was done at the next wait


def test_a_build_reads_the_exhibits_pages_while_it_waits_for_the_draft(
    make_case: MakeCase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = make_case()
    steps = []
    real = Draft.meanwhile

    def meanwhile(draft: Draft, work: Iterator[object]) -> None:
        steps.extend(work)  # done at once here, a page a step
        real(draft, iter(()))

    monkeypatch.setattr(Draft, "meanwhile", meanwhile)
    build(folder, BuildOptions(output_root=tmp_path / "out"))
    evidence = folder / "evidence"
    pdfs = sum(len(PdfReader(path).pages) for path in evidence.glob("*.pdf"))
    images = len([*evidence.glob("*.png"), *evidence.glob("*.jpg")])  # one page each
    assert len(steps) == pdfs + images


@pytest.mark.parametrize("slower", ["the draft", "this process"])
def test_the_first_round_s_cover_is_laid_out_by_whichever_process_is_free(
    make_case: MakeCase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, slower: str
) -> None:
    """The draft's process lays out the contents and the index, then the cover; a build done with its own
    work first lays out the cover itself and the draft leaves it."""
    folder = make_case()
    spy = Spy(monkeypatch, draft="is slow" if slower == "the draft" else "works")
    if slower == "this process":
        real_covers = Layout.exhibit_covers

        def slow_covers(layout: Layout, *args: Any) -> Any:
            time.sleep(4)
            return real_covers(layout, *args)

        monkeypatch.setattr(Layout, "exhibit_covers", slow_covers)
    result = build(folder, BuildOptions(output_root=tmp_path / "out"))
    drafted = spy.child_measured.read_text().splitlines()
    if slower == "the draft":
        assert drafted == ["toc evidence_index"] and spy.measured == [("cover",)]
    else:
        assert drafted == ["toc evidence_index", "cover"] and spy.measured == []
    assert len(spy.rounds) == 1 and spy.indexes == 0  # the lengths were right either way
    assert spy.drafts_gone() and result.bundle.is_file()


def test_no_cover_is_laid_out_for_a_draft_that_cannot_be_told() -> None:
    receive, send = multiprocessing.Pipe(duplex=False)  # kept open: the lengths have not come
    asked, ask = multiprocessing.Pipe(duplex=False)
    asked.close()  # ... but the child's end of the other pipe is gone
    shares: list[int] = []
    draft = Draft(receive, ask, wait=30, share=lambda: shares.append(1) or {"cover": 1})
    assert draft.lengths() is None and shares == []
    send.close()
