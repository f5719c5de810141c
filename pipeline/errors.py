"""One family of errors: each is a problem the user can fix, and the CLI prints it as one clear message."""

from __future__ import annotations


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
