"""What a killed build leaves behind is removed by the next one.

A build cleans up after itself however it ends, but a process killed outright (SIGKILL, the system out of
memory, a power cut) runs no clean-up: its staging folder beside the outputs (`output/.<case>.building-*`,
the whole bundle of a 2,000-page case in it) and LibreOffice's scratch folders in the temporary folder
(`/tmp/build-appeal-lo-*`, a profile of a few MB each) would stay for good.

- A staging folder is made only while the case's build lock is held (`outputs.locked`), so the next build of
  the case, holding that lock, knows any other staging folder of the case is left over and removes it.
- A scratch folder holds a lock of its own (`owner.lock`, taken with flock by the process that made it, and
  released by the kernel when that process dies, however it dies). The next LibreOffice started removes the
  scratch folders whose lock it can take, with the sockets of the LibreOffice sessions whose process is gone.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import re
import shutil
import tempfile
import time
from pathlib import Path
from typing import IO

log = logging.getLogger(__name__)

OWNER = "owner.lock"
SETTLING = 60.0
"""Seconds a scratch folder is left alone after it changed, whatever its lock says: a folder being made
has no lock yet for an instant."""
_STAGED = "building-"
_PIPE_OWNER = re.compile(r"OSL_PIPE_\d+_build-appeal-(\d+)-[0-9a-f]+")


class Scratch:
    """A new folder in the temporary folder, locked by this process until `remove` (or the process's end)."""

    def __init__(self, prefix: str) -> None:
        sweep(prefix)
        self.path = Path(tempfile.mkdtemp(prefix=prefix))
        self._owner: IO[str] | None = None
        try:
            self._owner = (self.path / OWNER).open("w")
            fcntl.flock(self._owner, fcntl.LOCK_EX)
        except BaseException:
            self.remove()
            raise

    def remove(self) -> None:
        """Remove the folder and everything in it, then let go of its lock."""
        _remove_office_socket(self.path)
        shutil.rmtree(self.path, ignore_errors=True)
        if self._owner is not None:
            self._owner.close()
            self._owner = None

    def __enter__(self) -> Path:
        return self.path

    def __exit__(self, *exc_info: object) -> None:
        self.remove()


def sweep(prefix: str) -> None:
    """Remove this user's scratch folders named `prefix*` whose process is gone, and the sockets of
    LibreOffice sessions whose process is gone."""
    temporary = Path(tempfile.gettempdir())
    for folder in temporary.glob(f"{prefix}*"):
        if _left_over(folder):
            log.debug("removing %s, left by a process that was killed", folder)
            _remove_office_socket(folder)
            shutil.rmtree(folder, ignore_errors=True)
    for folder in {temporary, Path("/tmp"), Path("/var/tmp")}:
        for socket_file in folder.glob(f"OSL_PIPE_{os.getuid()}_build-appeal-*"):
            owner = _PIPE_OWNER.fullmatch(socket_file.name)
            if owner and not _running(int(owner.group(1))):
                with contextlib.suppress(OSError):
                    socket_file.unlink()


def office_socket(profile: Path) -> Path:
    """The socket LibreOffice makes for its profile folder `profile` (where a second start would hand its
    files to the first), which it never removes: one more in /tmp per session. It is named by the MD5 of the
    profile's URL in UTF-16, in hex without leading zeros (LibreOffice's `CreateMD5FromString`)."""
    digest = hashlib.md5(profile.as_uri().encode("utf-16-le"), usedforsecurity=False).digest()
    return Path("/tmp") / f"OSL_PIPE_{os.getuid()}_SingleOfficeIPC_{''.join(format(b, 'x') for b in digest)}"


def _remove_office_socket(scratch: Path) -> None:
    """Remove the socket of the LibreOffice profile in the scratch folder `scratch`, if it made one."""
    with contextlib.suppress(OSError):
        office_socket(scratch / "profile").unlink(missing_ok=True)


def _left_over(folder: Path) -> bool:
    """Whether `folder` is a scratch folder of this user that no process holds. A folder without a lock
    (made by a process killed before it took one) is left: nothing says whose it is."""
    try:
        status = folder.lstat()
        if not folder.is_dir() or folder.is_symlink() or status.st_uid != os.getuid():
            return False
        if time.time() - status.st_mtime < SETTLING:
            return False
        with (folder / OWNER).open("r") as owner:
            try:
                fcntl.flock(owner, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False  # its process still runs
            return True
    except OSError:
        return False


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_staging(output: Path) -> None:
    """Remove the staging folders of `output` that builds killed outright left beside it. Called with the
    case's build lock held: no other build of this output runs, so every staging folder found is left over.
    """
    pattern = re.compile(rf"\.{re.escape(output.name)}\.{_STAGED}[A-Za-z0-9_]{{8}}")
    with contextlib.suppress(OSError):
        for folder in output.parent.iterdir():
            if pattern.fullmatch(folder.name) and folder.is_dir() and not folder.is_symlink():
                log.debug("removing %s, left by a build that was killed", folder)
                shutil.rmtree(folder, ignore_errors=True)


def staging_prefix(output: Path) -> str:
    """The name a staging folder of `output` begins with (tempfile.mkdtemp adds 8 characters)."""
    return f".{output.name}.{_STAGED}"
