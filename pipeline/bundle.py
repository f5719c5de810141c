"""Assemble PDFs into one file with bookmarks and metadata, written reproducibly."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path

from pypdf import PdfReader, PdfWriter
from pypdf.errors import PyPdfError
from pypdf.generic import ArrayObject, ByteStringObject

from pipeline.errors import BundleError


@dataclass(frozen=True)
class Part:
    """One PDF of the bundle and the bookmark that leads to it."""

    title: str
    path: Path


@dataclass(frozen=True)
class Metadata:
    """What the bundle's document information says."""

    title: str
    author: str
    subject: str
    keywords: str
    created: dt.datetime


def join(parts: list[Part], target: Path, metadata: Metadata) -> list[tuple[int, int]]:
    """Join `parts` into `target`, one bookmark each; return each part's (first, last) page, 1-based."""
    writer = PdfWriter()
    ranges = []
    content = hashlib.sha256()
    for part in parts:
        try:
            reader = PdfReader(part.path)
            first = len(writer.pages)
            writer.append(reader, import_outline=False)
        except (PyPdfError, OSError, ValueError) as error:
            raise BundleError(f"{part.title}: cannot add {part.path.name} to the bundle: {error}") from error
        writer.add_outline_item(title=part.title, page_number=first)
        ranges.append((first + 1, len(writer.pages)))
        content.update(part.path.read_bytes())
    _set_metadata(writer, metadata, content.digest()[:16])
    with target.open("wb") as stream:
        writer.write(stream)
    return ranges


def _set_metadata(writer: PdfWriter, metadata: Metadata, file_id: bytes) -> None:
    stamp = metadata.created.strftime("D:%Y%m%d%H%M%S+00'00'")
    writer.add_metadata(
        {
            "/Title": metadata.title,
            "/Author": metadata.author,
            "/Subject": metadata.subject,
            "/Keywords": metadata.keywords,
            "/Creator": "build-appeal",
            "/Producer": "build-appeal (pypdf)",
            "/CreationDate": stamp,
            "/ModDate": stamp,
        }
    )
    # A file ID from the content, not from the clock: the same inputs give the same bytes.
    writer._ID = ArrayObject([ByteStringObject(file_id), ByteStringObject(file_id)])
