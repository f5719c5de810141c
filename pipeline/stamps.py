"""Stamp the bundle's pages at the bottom: the exhibit label and page within it, the running page number,
and optionally a Bates number. The top of every page stays clear for the court's e-filing header.

All stamps are laid out by WeasyPrint in one document (one page per bundle page, each of that page's size),
so they are real, extractable text in one embedded font subset that every page shares; pypdf then draws
each stamp page over its bundle page.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from pypdf import PageObject, Transformation

STAMP_BAND = 36.0
"""Points kept free at the bottom of an evidence page for the stamps (half an inch)."""


@dataclass(frozen=True)
class Stamp:
    """What is printed at the bottom of one page of the bundle."""

    width: float
    height: float
    running: str
    exhibit: str = ""
    bates: str = ""


def stamps_html(stamps: list[Stamp]) -> str:
    """One HTML document whose page k carries the stamps of bundle page k, at that page's size."""
    sizes = sorted({(round(stamp.width, 2), round(stamp.height, 2)) for stamp in stamps})
    names = {size: f"s{index}" for index, size in enumerate(sizes)}
    rules = "\n".join(
        f"@page {name} {{ size: {width}pt {height}pt; margin: 0 }}" for (width, height), name in names.items()
    )
    pages = []
    for stamp in stamps:
        name = names[(round(stamp.width, 2), round(stamp.height, 2))]
        cells = "".join(
            f'<span class="{where}">{html.escape(text)}</span>'
            for where, text in (
                ("exhibit", stamp.exhibit),
                ("bates", stamp.bates),
                ("running", stamp.running),
            )
            if text
        )
        style = f"page: {name}; width: {stamp.width:.2f}pt; height: {stamp.height:.2f}pt"
        pages.append(f'<div class="page" style="{style}">{cells}</div>')
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><style>
{rules}
html, body {{ margin: 0; padding: 0; }}
.page {{ position: relative; overflow: hidden; break-after: page; font: 8pt "DejaVu Sans", sans-serif;
  color: #000; }}
.page:last-child {{ break-after: auto; }}
.page span {{ position: absolute; bottom: 12pt; background: #fff; padding: 1pt 3pt; white-space: nowrap; }}
.exhibit {{ left: 36pt; font-weight: bold; }}
.bates {{ left: 0; right: 0; text-align: center; background: none; }}
.running {{ right: 36pt; }}
</style></head><body>{"".join(pages)}</body></html>"""


def make_room(page: PageObject) -> None:
    """Shrink an evidence page's content towards the top so the bottom band is free for the stamps:
    nothing at the page's edge is hidden, and the page keeps its size and orientation."""
    box = page.mediabox
    width, height = float(box.width), float(box.height)
    if height <= 2 * STAMP_BAND:
        return
    scale = (height - STAMP_BAND) / height
    left, bottom = float(box.left), float(box.bottom)
    dx = left * (1 - scale) + (1 - scale) * width / 2
    dy = bottom * (1 - scale) + (1 - scale) * height
    page.add_transformation(Transformation().scale(scale, scale).translate(dx, dy))


def upright(page: PageObject) -> None:
    """Turn a page's /Rotate into its content, so "bottom" is the bottom the reader sees."""
    if page.rotation % 360:
        page.transfer_rotation_to_content()
