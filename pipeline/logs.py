"""Catch what a library logs, to pass it on with the name of the document or exhibit it concerns."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def captured_warnings(logger_name: str) -> Iterator[list[str]]:
    """Collect the warnings a library logs inside the block (pypdf says so when it repairs a file,
    WeasyPrint when it ignores a style), instead of letting them reach the user unattributed."""
    messages: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            messages.append(record.getMessage())

    logger = logging.getLogger(logger_name)
    handler = Collect(level=logging.WARNING)
    logger.addHandler(handler)
    propagate, logger.propagate = logger.propagate, False
    try:
        yield messages
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate
