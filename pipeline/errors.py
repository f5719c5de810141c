"""One family of errors: each is a problem the user can fix, and the CLI prints it as one clear message."""

from __future__ import annotations

import errno
from pathlib import Path


class BuildAppealError(Exception):
    """Base of every error the user can act on; the CLI prints it without a traceback and exits 1."""

    exit_code = 1


class CaseDataError(BuildAppealError):
    """Raised when `case.yaml` cannot be read or does not validate; the message lists every problem found."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class TemplateError(BuildAppealError):
    """Raised when a template cannot be found, parsed or rendered; the message names the template and line."""


class ConversionError(BuildAppealError):
    """Raised when LibreOffice or WeasyPrint fails, times out or writes no PDF for a document."""


class EvidenceError(BuildAppealError):
    """Raised when an evidence file is missing, unreadable, of an unsupported kind or outside the case."""


class BundleError(BuildAppealError):
    """Raised when the documents and exhibits cannot be assembled into the bundle or written out."""


class EnvironmentProblem(BuildAppealError):
    """Raised when the machine lacks what a build needs (LibreOffice, a CJK font); says what to install."""


class SendError(BuildAppealError):
    """Raised by `build-appeal send` when the bundle is missing or out of date, a recipient is unknown or
    already has this bundle, the message is over the size cap, the SMTP settings are wrong, or the server did
    not take the message for every recipient; the message says what was delivered and what to do."""


DISK_FULL = (errno.ENOSPC, errno.EDQUOT)
"""The errors of a full disk, or of a reached quota."""


class DiskFull(BuildAppealError):
    """Raised in place of whatever error a full disk (or a reached quota) caused, wherever it was writing."""


def user_error(error: Exception, folder: Path | None = None) -> BuildAppealError | None:
    """`error` as the user can act on it: a full disk, when it or one of its causes is one; else the
    error itself if it is a BuildAppealError; None for a bug.

    A build that fills the disk fails wherever it happens to be writing: an exhibit's page, LibreOffice's
    PDF, the bundle. That step's message ("the image could not be put on a page") or "failed unexpectedly"
    sent the user looking for a bad file or a bug. `folder` (the output folder) is named when the error
    names no file."""
    return _disk_full(error, folder) or (error if isinstance(error, BuildAppealError) else None)


def _disk_full(error: BaseException, folder: Path | None) -> DiskFull | None:
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, OSError) and seen.errno in DISK_FULL:
            where = seen.filename2 or seen.filename or folder
            writing = f" while writing {where}" if where else ""
            cache = f"{folder / '.cache'}" if folder is not None else "the .cache folder of an output folder"
            return DiskFull(
                f"the disk is full (no space left{writing}). Free some space and try again; {cache} can be "
                "deleted (it only makes builds faster)"
            )
        seen = seen.__cause__ or seen.__context__
    return None
