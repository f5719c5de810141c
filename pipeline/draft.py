"""The draft: a clean build's first round of settling, laid out in a child process on the other core.

A clean build has no page lengths from an earlier build, so its first round of `Layout.settle` would lay
the cover, the contents and the index out only to learn how long they are, and a second round would print
the right numbers. A child process forked from the build lays that first round out while the build goes on
with the documents and the exhibits' cover sheets (the contents and the index first, then the cover, which
the build lays out itself if it is done first), and sends the lengths it found; asked for it, it then lays
out the final index and writes it in a PDF of its own, while the build lays out the final cover and
contents and writes the rest (the two PDFs' fonts are then drawn with one program each:
`pipeline.font_programs`).

The draft only helps: its sizes are estimates (each document not yet laid out or converted counts one page,
each exhibit's cover sheet one page), and page numbers a few pages off rarely change a length; a wrong
length costs `settle` one more round in the build's own process, never a wrong number. A draft that fails
or hangs leaves its work to the build's process; one stopped by the time limit ends the build with its
error (laying the pages out there would be stopped too).
"""

from __future__ import annotations

import contextlib
import functools
import logging
import multiprocessing
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from pipeline.bundle import open_pdf
from pipeline.context import Context
from pipeline.errors import BuildAppealError, ConversionError, TemplateError
from pipeline.layout import FrontMatter, Laid, Layout, WrittenIndex
from pipeline.limits import TimeUp
from pipeline.render import Engine, TemplateFile

_DONE = object()
"""What `Draft.meanwhile`'s work gives when it is done."""
COVER_HERE = "cover laid out here"
"""Tells the child that this process lays out the first round's cover, so it need not (`Draft.lengths`)."""


class Draft:
    """The draft's child process as the build sees it: first it sends the lengths its round found, then,
    asked for it, the evidence index laid out with the final numbers. While the build waits for either,
    it can do work of its own (`meanwhile`)."""

    def __init__(
        self, receive: Connection, ask: Connection, *, wait: float, share: Callable[[], dict[str, int]]
    ) -> None:
        self._receive = receive
        self._ask = ask
        self._wait = wait
        self._share = share
        self._working = True
        self._meanwhile: Iterator[object] = iter(())

    def meanwhile(self, work: Iterator[object]) -> None:
        """Do `work` a step at a time whenever this process would wait for the child, until the child has
        something to send (what is left is taken up at the next wait)."""
        self._meanwhile = work

    def lengths(self) -> dict[str, int] | None:
        """The lengths of the cover, the contents and the index in the first round; None if the child
        found none (it failed, or took too long). The child lays out the contents and the index, then the
        cover; if it is still at them when this process asks, this process lays out the cover (`share`,
        the shortest) and tells the child to leave it."""
        mine: dict[str, int] = {}
        if self._working and not self._receive.poll(0):
            try:
                self._ask.send(COVER_HERE)
            except OSError:  # the child is gone: nothing will come
                self._working = False
            else:
                mine = self._share()
        found = self._next()
        return {**found, **mine} if isinstance(found, dict) else None

    def index(
        self, counts: dict[str, int], sizes: dict[str, int], exhibit_sizes: list[int]
    ) -> Callable[[], Laid | None]:
        """Have the child lay out and write the evidence index with these numbers (`settle`'s round); the
        function handed back waits for it, and gives None when the child did not (lay it out here)."""
        if self._working:
            try:
                self._ask.send((counts, sizes, exhibit_sizes))
            except OSError:  # the child is gone
                self._working = False

        def written() -> Laid | None:
            found = self._next()
            if not isinstance(found, WrittenIndex):
                return None
            return Laid(found.key, found.anchors, cached=open_pdf(found.path, "the evidence index"))

        return written

    def _next(self) -> Any:
        """What the child sends next; None, and nothing more asked of it, when it ended or took too long."""
        found = None
        while self._working and not self._receive.poll(0) and next(self._meanwhile, _DONE) is not _DONE:
            pass
        if self._working and self._receive.poll(self._wait):
            with contextlib.suppress(EOFError):  # it ended without a word
                found = self._receive.recv()
        if isinstance(found, BuildAppealError):  # stopped by the time limit: so would this process be
            raise found
        if found is None:
            self._working = False
        return found


@contextmanager
def drafting(
    layout: Layout,
    context: Context,
    work: Path,
    index_template: TemplateFile,
    titles: dict[str, tuple[str, str]],
    sizes: dict[str, int],
    after: list[str],
    exhibit_sizes: list[int],
) -> Iterator[Draft | None]:
    """Start the draft's child process, forked from this one as it is now, and hand back the `Draft`; the
    child is gone when this ends, whether the build is done or failed. No draft (None) where it would not
    help: an index made by Word (one more LibreOffice), or one core (nor in a batch of several workers:
    `BuildOptions.draft`). `sizes` are the documents' lengths in bundle order (estimates), `after` the
    names of those after the index, `exhibit_sizes` each exhibit's length with its cover sheet."""
    if index_template.engine != Engine.HTML or (os.cpu_count() or 1) < 2:
        yield None
        return
    named = [name for name in sizes if name not in after] + ["evidence_index", *after]
    front = FrontMatter(context, index_template, titles, named)
    forked = multiprocessing.get_context("fork")
    receive, send = forked.Pipe(duplex=False)
    asked, ask = forked.Pipe(duplex=False)
    folder = work / "draft"
    lay_out = functools.partial(layout.first_round, front, folder, sizes, exhibit_sizes)
    share = functools.partial(layout.first_round, front, work, sizes, exhibit_sizes, ("cover",))
    write_index = functools.partial(layout.written_index, front, folder)
    child = forked.Process(
        target=_draft, args=(layout, send, asked, folder, lay_out, write_index), daemon=True
    )
    child.start()
    send.close()
    asked.close()
    try:
        # Its own limits stop a document that takes too long, so this wait only guards against a child
        # stuck where no limit reaches (in C code, say).
        yield Draft(receive, ask, wait=3 * layout.timeout + 10, share=share)
    finally:  # done, or the build failed meanwhile: the child goes
        child.kill()
        child.join()
        receive.close()
        ask.close()


def _draft(
    layout: Layout,
    send: Connection,
    asked: Connection,
    folder: Path,
    lay_out: Callable[[tuple[str, ...]], dict[str, int]],
    write_index: Callable[..., WrittenIndex | None],
) -> None:
    """The child: one round of `settle` from the first guess, whose lengths it sends (the cover's unless
    the parent took it on); then, when asked, the index laid out with the numbers asked for and written
    (`Layout.written_index`)."""
    try:
        logging.disable(logging.CRITICAL)  # the parent says what needs saying
        for env in (layout.templates.html_env, layout.templates.text_env):
            env.bytecode_cache = None  # the parent's alone: no file written behind its back
        folder.mkdir()
        found = lay_out(("toc", "evidence_index"))
        if not asked.poll(0):
            found |= lay_out(("cover",))
        send.send(found)
        request = asked.recv()
        while request == COVER_HERE:  # it came while the cover was laid out here all the same
            request = asked.recv()
        send.send(write_index(*request))
    except (TemplateError, ConversionError) as error:
        if isinstance(error.__cause__, TimeUp):
            send.send(error)
    except BaseException:  # whatever else went wrong, the parent lays the pages out itself
        pass
