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
import time
from collections.abc import Callable
from pathlib import Path

GONE_WITHIN = 10.0
"""Seconds to wait for the killed group's members to die."""


def run_in_group(
    command: list[str], *, env: dict[str, str], timeout: float, too_slow: Callable[[], Exception]
) -> tuple[int, str]:
    """Run `command` and return its exit code and what it wrote to stderr; past `timeout` seconds (none
    when 0) raise `too_slow()`."""
    process = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        errors="replace",
        start_new_session=True,
        env=env,
    )
    try:
        _, stderr = process.communicate(timeout=timeout if timeout > 0 else None)
    except subprocess.TimeoutExpired as error:
        kill_group(process)
        raise too_slow() from error
    finally:  # also on Ctrl-C, SIGTERM (limits.Terminated) and an enclosing time limit
        kill_group(process)
    return process.returncode, stderr


def kill_group(process: subprocess.Popen[str]) -> None:
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
