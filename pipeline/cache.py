"""Reuse the parts of earlier builds whose inputs have not changed.

A cached part (a Word file converted by LibreOffice, an exhibit made ready for the bundle, a document laid
out by WeasyPrint) is a PDF kept under `<output root>/.cache/`, found by a key: the SHA-256 of everything
that can change it. That is the bytes it is made from, plus the identity of the tools that make it (this
package's own source code, the versions of WeasyPrint, pypdf and the other libraries, the LibreOffice
installed, the fonts installed). A changed input gives another key, so an entry is never stale. A WeasyPrint
document may also read files (an image, a font) while it is laid out; their hashes are kept with the entry
and checked before it is used.

Entries are written atomically (a build that is stopped leaves no half-written entry), checked against
their SHA-256 before each use (a damaged one is made again), can be shared by builds running at once, and
are removed when no build has used them for `KEEP_DAYS` days.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.metadata
import json
import logging
import os
import shutil
import subprocess
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.context import sha256_of

if TYPE_CHECKING:
    from pipeline.convert import Job

log = logging.getLogger(__name__)

FOLDER = ".cache"
"""The cache's folder inside the output root (`output/.cache/`)."""

KEEP_DAYS = 30
LEFTOVER_SECONDS = 3600
"""How old a temporary file of a write that never finished must be before `Cache.prune` removes it."""
LIBRARIES = (
    "weasyprint",
    "pydyf",
    "pypdf",
    "pikepdf",
    "img2pdf",
    "pillow",
    "docxtpl",
    "python-docx",
    "jinja2",
    "uharfbuzz",
)


@dataclass(frozen=True)
class Entry:
    """A cached file (a PDF, a rendered .docx) and what was recorded with it (page cuts, warnings, files
    read)."""

    file: Path
    meta: dict[str, Any] = field(default_factory=dict)


class Cache:
    """The cache of one output root; `Cache(None)` caches nothing (`--no-cache`)."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self.hits = 0
        self.misses = 0

    @property
    def enabled(self) -> bool:
        return self.folder is not None

    def key(self, kind: str, *inputs: str | bytes) -> str:
        """The key of a part of `kind` made from `inputs` by today's tools."""
        digest = hashlib.sha256(tool_identity().encode())
        for item in (kind, *inputs):
            data = item.encode() if isinstance(item, str) else item
            digest.update(len(data).to_bytes(8, "big"))
            digest.update(data)
        return digest.hexdigest()

    def get(self, key: str, *, counted: bool = True) -> Entry | None:
        """The file stored under `key`, if there is one, whole, and the files it read are unchanged. It is
        counted among the parts reused or made (`hits`, `misses`) unless not `counted` (a font program cut
        again is no part of the bundle of its own)."""
        entry = self._entry(key)
        if counted and entry is None:
            self.misses += 1
        elif counted:
            self.hits += 1
        return entry

    def _entry(self, key: str) -> Entry | None:
        meta = self._read(key)
        if meta is None or "suffix" not in meta:
            return None
        stored = self._meta_path(key).with_suffix(str(meta["suffix"]))
        return Entry(stored, meta) if _intact(stored, meta) else None

    def recall(self, key: str) -> dict[str, Any] | None:
        """What `record` kept under `key`, if the files it read are unchanged."""
        meta = self._read(key)
        if meta is None:
            self.misses += 1
            return None
        self.hits += 1
        return meta

    def record(self, key: str, meta: dict[str, Any]) -> None:
        """Keep `meta` under `key`, with no file of its own (it may name other entries)."""
        if self.folder is None:
            return
        meta_path = self._meta_path(key)
        try:
            meta_path.parent.mkdir(parents=True, exist_ok=True)
            text = json.dumps(meta, ensure_ascii=False, sort_keys=True)
            _atomic_write(meta_path, lambda stream: stream.write(text.encode()))
        except OSError as error:
            log.warning("could not keep a part in the cache %s: %s", self.folder, error)

    def _read(self, key: str) -> dict[str, Any] | None:
        if self.folder is None:
            return None
        meta_path = self._meta_path(key)
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(meta, dict) or not _unchanged(meta.get("files", {})):
            return None
        with contextlib.suppress(OSError):  # the time of last use, for pruning
            os.utime(meta_path)
        return meta

    def put(self, key: str, made: Path, meta: dict[str, Any] | None = None) -> Entry:
        """Store a copy of the file `made` under `key`; return the stored entry (`made` when disabled)."""
        meta = {**(meta or {}), "suffix": made.suffix or ".part", "size": made.stat().st_size}
        meta["sha256"] = sha256_of(made)
        if self.folder is None:
            return Entry(made, meta)
        meta_path = self._meta_path(key)
        target = meta_path.with_suffix(meta["suffix"])
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            # The file first, then the record that makes the entry visible, each moved into place whole.
            with made.open("rb") as source:
                _atomic_write(target, lambda stream: shutil.copyfileobj(source, stream))
            text = json.dumps(meta, ensure_ascii=False, sort_keys=True)
            _atomic_write(meta_path, lambda stream: stream.write(text.encode()))
        except OSError as error:  # a full disk or a read-only cache slows the next build, nothing more
            log.warning("could not keep a part in the cache %s: %s", self.folder, error)
            return Entry(made, meta)
        return Entry(target, meta)

    def hint(self, name: str) -> Any:
        """What an earlier build noted under `name` to save this one time (how long the table of contents
        turned out, say); None if nothing. Never an input: a wrong hint costs time, not correctness."""
        if self.folder is None:
            return None
        try:
            return json.loads(self._hint_path(name).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def note(self, name: str, value: Any) -> None:
        """Keep `value` as the hint `name` for the next build."""
        if self.folder is None:
            return
        path = self._hint_path(name)
        with contextlib.suppress(OSError):
            path.parent.mkdir(parents=True, exist_ok=True)
            _atomic_write(path, lambda stream: stream.write(json.dumps(value).encode()))

    def prune(self, days: float = KEEP_DAYS) -> None:
        """Remove the entries no build has used for `days` days, and what writes stopped half-way left."""
        if self.folder is None or not self.folder.is_dir():
            return
        now = time.time()
        for meta_path in self.folder.glob("*/*.json"):  # entries and hints alike
            with contextlib.suppress(OSError):
                if meta_path.stat().st_mtime < now - days * 86400:
                    for stored in meta_path.parent.glob(f"{meta_path.stem}.*"):
                        stored.unlink(missing_ok=True)
        # A process killed while writing an entry (a draft's process stopped with its build, a build the
        # system killed) leaves the temporary file of `_atomic_write`; another build may be writing one
        # now, so only those an hour old go.
        for temporary in self.folder.glob("*/.*"):
            with contextlib.suppress(OSError):
                if temporary.stat().st_mtime < now - LEFTOVER_SECONDS:
                    temporary.unlink()

    def _hint_path(self, name: str) -> Path:
        assert self.folder is not None
        return self.folder / "hints" / f"{hashlib.sha256(name.encode()).hexdigest()}.json"

    def _meta_path(self, key: str) -> Path:
        assert self.folder is not None
        return self.folder / key[:2] / f"{key}.json"


def _atomic_write(target: Path, write: Any) -> None:
    descriptor, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(descriptor, "wb") as stream:
            write(stream)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def file_hashes(paths: list[Path]) -> dict[str, str]:
    """The SHA-256 of each file, by its absolute path: what an entry records of the files it read."""
    return {str(path.resolve()): sha256_of(path) for path in sorted(set(paths))}


def _intact(stored: Path, meta: dict[str, Any]) -> bool:
    """The stored file is there, whole and as it was stored: a full disk or a stopped copy leaves it
    shorter; a failing disk, a sync tool or a hand may change its bytes (its SHA-256 then differs)."""
    try:
        return stored.stat().st_size == meta.get("size") and sha256_of(stored) == meta.get("sha256")
    except OSError:
        return False


def _unchanged(files: dict[str, str]) -> bool:
    for name, digest in files.items():
        try:
            if sha256_of(Path(name)) != digest:
                return False
        except OSError:
            return False
    return True


def office_file_digest(path: Path) -> bytes:
    """What a Word, Excel or PowerPoint file holds, whatever the times stamped in its zip: the name and
    bytes of every member. (docxtpl saves the same document with new zip times on every render.)"""
    digest = hashlib.sha256()
    try:
        with zipfile.ZipFile(path) as archive:
            for info in sorted(archive.infolist(), key=lambda info: info.filename):
                digest.update(info.filename.encode() + b"\0")
                digest.update(hashlib.sha256(archive.read(info)).digest())
    except (zipfile.BadZipFile, OSError, RuntimeError):  # not a zip (an old .doc): its bytes
        digest.update(path.read_bytes())
    return digest.digest()


@functools.cache
def tool_identity() -> str:
    """Everything about the tools that can change a part: this package's code, the libraries' versions,
    the LibreOffice and the fonts installed. Computed once per process."""
    digest = hashlib.sha256()
    package = Path(__file__).parent
    for source in sorted(package.rglob("*.py")):
        digest.update(source.relative_to(package).as_posix().encode() + b"\0" + source.read_bytes())
    for library in LIBRARIES:
        try:
            version = importlib.metadata.version(library)
        except importlib.metadata.PackageNotFoundError:
            version = "-"
        digest.update(f"{library}={version}\n".encode())
    digest.update(_libreoffice_identity().encode())
    digest.update(_fonts_identity().encode())
    return digest.hexdigest()


def _libreoffice_identity() -> str:
    """The installed LibreOffice, told by its program file (path, size, time) without starting it."""
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found is None:
        return "no LibreOffice"
    program = Path(found).resolve()
    binary = program.with_name("soffice.bin")
    stat = (binary if binary.exists() else program).stat()
    return f"{program}:{stat.st_size}:{stat.st_mtime_ns}"


def _fonts_identity() -> str:
    """The fonts fontconfig offers (files and versions): a new or updated font changes every layout."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return "no fontconfig"
    listing = subprocess.run(
        [fc_list, "--format", "%{file}|%{fontversion}|%{style}\n"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    return "\n".join(sorted(listing.splitlines()))


def convert_office(jobs: list[Job], cache: Cache, *, timeout: float) -> None:
    """`office_to_pdf` for the jobs whose file LibreOffice has not converted before; the others' PDFs
    come from the cache."""
    with converting_office(jobs, cache, timeout=timeout) as finish:
        finish()


@contextlib.contextmanager
def converting_office(jobs: list[Job], cache: Cache, *, timeout: float) -> Iterator[Callable[[], None]]:
    """`convert_office` started: LibreOffice converts while the caller works on, until it calls the
    function handed back (`convert.converting`)."""
    from pipeline.convert import converting

    pending, keys = [], []
    for job in jobs:
        key = cache.key("office", office_file_digest(job.source))
        entry = cache.get(key)
        if entry is None:
            pending.append(job)
            keys.append(key)
        else:
            job.target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(entry.file, job.target)
    with converting(pending, timeout=timeout) as convert:

        def finish() -> None:
            convert()
            for job, key in zip(pending, keys, strict=True):
                cache.put(key, job.target)

        yield finish
