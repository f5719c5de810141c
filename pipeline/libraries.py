"""Load WeasyPrint's C libraries quickly, and pikepdf safely.

WeasyPrint opens Pango, HarfBuzz and fontconfig through cffi, trying up to six names for each library; for
every name that is not a file, cffi asks `ctypes.util.find_library`, which on Linux runs `ldconfig -p` and,
for each miss, gcc and ld: about 0.2 s of every build spent before any work. While WeasyPrint is first
imported, `find_library` looks names up in the linker cache, read once; should the import fail that way, it
is retried the usual way.
"""

from __future__ import annotations

import ctypes.util
import functools
import importlib
import os
import re
import shutil
import struct
import subprocess
import sys
from types import ModuleType

from pipeline.limits import signals_held


def import_weasyprint() -> ModuleType:
    """`import weasyprint`, without the slow library search."""
    if "weasyprint" in sys.modules:
        return sys.modules["weasyprint"]
    real = ctypes.util.find_library
    ctypes.util.find_library = _find_in_linker_cache
    try:
        return importlib.import_module("weasyprint")
    except OSError:  # a library the linker cache does not list: let ctypes search its own way
        ctypes.util.find_library = real
        return importlib.import_module("weasyprint")
    finally:
        ctypes.util.find_library = real


def load_pikepdf() -> None:
    """Import pikepdf, if it is not yet, with Ctrl-C, SIGTERM and SIGHUP held back until it is done
    (`limits.signals_held`); then `import pikepdf` (or img2pdf, which imports it) is immediate.

    pikepdf's extension module (built with nanobind) aborts the whole process when anything raises while
    it sets itself up ("Critical nanobind error: nanobind::detail::enum_create"), and a stop's handler
    raises: stopped at that moment, a build, or a batch's worker, died on the spot and left its scratch
    folder and LibreOffice's behind. Held back, the stop comes a moment later, where Python handles it."""
    if "pikepdf" not in sys.modules:
        with signals_held():
            importlib.import_module("pikepdf")


def _find_in_linker_cache(name: str) -> str | None:
    prefix = f"lib{name}.so"
    return next((soname for soname in _sonames() if soname.startswith(prefix)), None)


@functools.cache
def _sonames() -> tuple[str, ...]:
    """The shared libraries the dynamic linker knows for this machine's ABI (as ctypes tells it), by
    soname."""
    ldconfig = shutil.which("ldconfig") or "/sbin/ldconfig"
    try:
        listing = subprocess.run([ldconfig, "-p"], capture_output=True, text=True, check=False).stdout
    except OSError:
        return ()
    machine = f"{os.uname().machine}-{8 * struct.calcsize('P')}"
    abi = {"x86_64-64": "libc6,x86-64", "ppc64-64": "libc6,64bit", "s390x-64": "libc6,64bit"}.get(
        machine, "libc6"
    )
    return tuple(match.group(1) for match in re.finditer(rf"\s+(\S+)\s+\({re.escape(abi)}", listing))
