"""Run a helper program (LibreOffice, OCRmyPDF) so that it can always be stopped whole.

The program runs in a process group of its own; however the run ends (done, timed out, Ctrl-C, SIGTERM,
an enclosing time limit) the whole group is killed, and the call returns only when no member still runs:
workers orphaned by the kill linger a moment before they die, and nothing may be left behind.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

GONE_WITHIN = 10.0
"""Seconds to wait for the killed group's members to die."""


def run_in_group(
    command: list[str], *, env: dict[str, str], timeout: float, too_slow: Callable[[], Exception]
) -> tuple[int, str]:
    """Run `command` and return its exit code and what it wrote to stderr; past `timeout` seconds (none
    when 0) raise `too_slow()`."""
    with Started(command, env=env, timeout=timeout, too_slow=too_slow) as running:
        return running.wait()


class Started:
    """A program started in a process group of its own, left to run while the caller works on; `wait`
    for it within `timeout` seconds of its start (none when 0). However the `with` block ends (done, an
    error in the caller's own work, Ctrl-C, SIGTERM), the whole group is killed and gone after it."""

    def __init__(
        self, command: list[str], *, env: dict[str, str], timeout: float, too_slow: Callable[[], Exception]
    ) -> None:
        self.timeout = timeout
        self.too_slow = too_slow
        self.deadline = time.monotonic() + timeout
        # stderr goes to a file: a pipe nobody reads while the caller works could fill and stall it.
        self.stderr = tempfile.TemporaryFile()  # noqa: SIM115 - closed by __exit__
        try:
            self.process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=self.stderr,
                start_new_session=True,
                env=env,
            )
        except BaseException:
            self.stderr.close()
            raise

    def __enter__(self) -> Started:
        return self

    def __exit__(self, *exc_info: object) -> None:
        kill_group(self.process)
        self.stderr.close()

    def wait(self) -> tuple[int, str]:
        """The program's exit code and what it wrote to stderr, once it has ended."""
        try:
            left = max(self.deadline - time.monotonic(), 0.01)
            self.process.wait(timeout=left if self.timeout > 0 else None)
        except subprocess.TimeoutExpired as error:
            kill_group(self.process)
            raise self.too_slow() from error
        self.stderr.seek(0)
        return self.process.returncode, self.stderr.read().decode(errors="replace")


def kill_group(process: subprocess.Popen[Any]) -> None:
    """Kill the process group `process` leads, and wait until every member is gone."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=GONE_WITHIN)
    deadline = time.monotonic() + GONE_WITHIN
    while group_members(process.pid) and time.monotonic() < deadline:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        time.sleep(0.02)


def group_members(group: int) -> list[int]:
    """The processes of a process group that still run (zombies, already dead, do not count); read from
    /proc, so Linux only (elsewhere: none)."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if len(fields) > 2 and fields[2] == str(group) and fields[0] != "Z":
            members.append(int(stat.parent.name))
    return members
