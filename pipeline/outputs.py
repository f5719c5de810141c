"""Write outputs safely: everything is built in a staging folder beside the output folder, and files are
moved into place only when the whole build succeeded.

A failed or interrupted build leaves the previous outputs as they were; the case folder is never written.
Files a user or another command keeps in the output folder (a send log, an outbox) are left alone.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pipeline.errors import DISK_FULL, BundleError
from pipeline.leftovers import staging_prefix, sweep_staging
from pipeline.limits import raise_if_stopped, signals_held

MANIFEST = "manifest.json"
PREVIOUS = ".previous"
"""Where `publish` keeps, inside the staging folder, the outputs it replaces until all are in place."""
publishing = False
"""Whether this process's build has begun to move its files into place (`publish`; `build` sets it back):
stopped then, it finishes (a batch counts the case as built: `pipeline.batch`)."""


def check_output_folder(output: Path, case_folder: Path) -> None:
    """Refuse an output folder inside the case folder: the case folder is never written."""
    resolved = output.resolve()
    if resolved.is_relative_to(case_folder.resolve()):
        raise BundleError(
            f"{output}: the output folder is inside the case folder {case_folder}; choose another with -o"
        )


@contextmanager
def staging(output: Path) -> Iterator[Path]:
    """A fresh, empty folder beside `output` (same file system, so moves are atomic), removed afterwards.
    Called with the case's lock held (`locked`): the staging folders a killed build left are removed first."""
    output.parent.mkdir(parents=True, exist_ok=True)
    sweep_staging(output)
    folder = Path(tempfile.mkdtemp(prefix=staging_prefix(output), dir=output.parent))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def locked(output: Path) -> Iterator[None]:
    """Hold the case's build lock: a second build of the same case waits for the first to finish. Its
    lock file is the first thing a build writes: an output folder that cannot be written is refused here,
    in words (a read-only disk, no permission, a path through a file)."""
    lock_path = output.parent / f".{output.name}.lock"
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        lock_file = lock_path.open("a")
    except OSError as error:
        if error.errno in DISK_FULL:
            raise  # (said as a full disk: `errors.user_error`)
        raise BundleError(
            f"{output.parent}: the outputs cannot be written there ({error.strerror}); choose another "
            "folder with -o"
        ) from error
    with lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            _check_writable(output)
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


def _check_writable(output: Path) -> None:
    """Refuse, before the build begins, a case's output folder that is there but cannot take new files."""
    if not output.exists():
        return
    try:
        if not output.is_dir():
            raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR))
        tempfile.TemporaryFile(dir=output).close()
    except OSError as error:
        if error.errno in DISK_FULL:
            raise
        raise BundleError(
            f"{output}: the outputs cannot be written there ({error.strerror}); choose another folder with -o"
        ) from error


def publish(staged: Path, output: Path, names: list[str]) -> list[Path]:
    """Move the staged files `names` into `output`, the manifest last; drop outputs of the previous build
    that this one no longer makes (say the letter's template changed from .docx to .html). Ctrl-C or SIGTERM
    waits until every file is in place: stopped half way, the folder would hold a new bundle beside the old
    letter and manifest. A file that cannot be replaced (read-only, say) puts back the ones already moved,
    so the folder holds the previous build whole, and is named (BundleError)."""
    global publishing
    raise_if_stopped()  # a stop Python discarded along the way still stops the build: nothing is moved
    ordered = sorted(names, key=lambda name: name == MANIFEST)
    replaced: list[tuple[Path, Path | None]] = []  # each file moved in, and the previous one kept aside
    with signals_held():
        publishing = True  # (a stop from here on is raised once every file is in place)
        output.mkdir(parents=True, exist_ok=True)
        previous = _previous_outputs(output)
        for name in ordered:
            source, target = staged / name, output / name
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                kept = _keep_aside(target, staged / PREVIOUS / name)
                os.replace(source, target)
            except OSError as error:
                _put_back(replaced)
                if error.errno in DISK_FULL:
                    raise
                raise BundleError(
                    f"{target}: cannot be replaced ({error.strerror}); the previous outputs are kept as they "
                    "were"
                ) from error
            replaced.append((target, kept))
        for stale in previous - set(names):
            path = output / stale
            if path.is_file() and path.resolve().is_relative_to(output.resolve()):
                path.unlink()
    return [target for target, _ in replaced]


def _keep_aside(target: Path, aside: Path) -> Path | None:
    """Keep the file at `target` also at `aside` (a second link to it, else a copy), to be put back if a
    later file cannot be moved in; None when there is none."""
    if not target.exists():
        return None
    aside.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(target, aside)
    except OSError:  # a file system without hard links (FAT on a USB drive)
        shutil.copy2(target, aside)
    return aside


def _put_back(replaced: list[tuple[Path, Path | None]]) -> None:
    """Undo the moves of `publish` so far: each previous file back in place, each new one without one
    removed."""
    for target, kept in reversed(replaced):
        with contextlib.suppress(OSError):
            if kept is not None:
                os.replace(kept, target)
            else:
                target.unlink()


def _previous_outputs(output: Path) -> set[str]:
    manifest = output / MANIFEST
    try:
        recorded = json.loads(manifest.read_text(encoding="utf-8")).get("outputs", {})
    except (OSError, ValueError, AttributeError):
        return set()
    return {name for name in recorded if isinstance(name, str) and _ours(name)}


def _ours(name: str) -> bool:
    """A name a build records: a file of the output folder, or of its exhibits/ folder (court profile)."""
    folder, _, file = name.rpartition("/")
    return ".." not in name and "\\" not in name and folder in ("", "exhibits") and bool(file)
