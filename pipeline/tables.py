"""Plain-text tables as a terminal shows them: columns lined up by the width characters take on screen (a
Chinese character takes two columns), and the last column cut to what the terminal has left."""

from __future__ import annotations

import os
import sys
import unicodedata
from typing import TextIO


def shown_width(text: str) -> int:
    """How many columns of a terminal `text` takes: two for a wide (East Asian) character, none for a
    combining mark, one for the others."""
    return sum(
        0 if unicodedata.combining(char) else 2 if unicodedata.east_asian_width(char) in "WF" else 1
        for char in text
    )


def cut(text: str, width: int) -> str:
    """`text`, or as much of it as fits in `width` columns, ending in "…" when it was cut."""
    if shown_width(text) <= width:
        return text
    kept, used = [], 0
    for char in text:
        used += shown_width(char)
        if used > width - 1:
            break
        kept.append(char)
    return "".join(kept) + "…"


def lined_up(rows: list[list[str]], last: int | None = None) -> list[str]:
    """The rows with their columns lined up (two spaces apart); the last column is not padded, and is cut
    to `last` columns when given."""
    columns = len(rows[0]) - 1
    widths = [max(shown_width(row[column]) for row in rows) for column in range(columns)]
    lines = []
    for row in rows:
        cells = [cell + " " * (width - shown_width(cell)) for cell, width in zip(row, widths, strict=False)]
        final = cut(row[-1], last) if last is not None else row[-1]
        lines.append("  ".join([*cells, final]).rstrip())
    return lines


def terminal_columns(stream: TextIO) -> int | None:
    """How many columns the terminal `stream` writes to has; None when it is no terminal (a file, a pipe:
    lines of any length are fine there)."""
    try:
        return os.get_terminal_size(stream.fileno()).columns
    except (OSError, ValueError, AttributeError):
        return None


def room_left(rows: list[list[str]], stream: TextIO | None = None, least: int = 30) -> int | None:
    """The columns the terminal `stream` (standard error) has left for the last column of `rows` once the
    others are lined up; None when it is no terminal (a log file takes lines of any length)."""
    columns = terminal_columns(stream or sys.stderr)
    if columns is None:
        return None
    used = sum(max(shown_width(row[column]) for row in rows) + 2 for column in range(len(rows[0]) - 1))
    return max(least, columns - used - 1)
