"""The far end of an office session (`pipeline.office_session`): one LibreOffice converting file after file.

This script is run by the Python that has LibreOffice's UNO bridge (Debian's /usr/bin/python3 with
python3-uno, or the `python` that LibreOffice's own builds ship), never by build-appeal's Python, and it
imports nothing from the package. It starts LibreOffice with the profile folder it is given, reaches it
through a named pipe (no network port), then answers one JSON line on stdout for each JSON line on stdin:

    {"source": "/tmp/.../in/0000.docx", "target": "/tmp/.../out/0000.pdf"}  ->  {"ok": true}
                                                                            or  {"error": "Error: ..."}

Its first line is {"ready": true} once LibreOffice answers, or {"unavailable": "..."} without a UNO bridge.
If LibreOffice dies it answers {"crashed": "..."}. It runs as the leader of its own process group, which
LibreOffice joins; when its stdin ends (its owner closed it, or died in any way, even by SIGKILL) it kills
the whole group, itself included, so no LibreOffice outlives the process that started it.

unoserver (PyPI) does the same job, but it listens on two TCP ports that any local user could drive
LibreOffice through and that parallel workers would have to share out, waits a fixed 7 s at each start, and
must be installed into LibreOffice's Python, which Debian 12 marks as externally managed; this script is the
part of it build-appeal needs.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from typing import Any

try:
    import uno
    from com.sun.star.beans import PropertyValue
    from com.sun.star.connection import NoConnectException
    from com.sun.star.io import IOException
    from com.sun.star.lang import IllegalArgumentException
except ImportError as missing:
    print(json.dumps({"unavailable": str(missing)}), flush=True)
    sys.exit(1)

PDF_FILTERS = (  # the filter `soffice --convert-to pdf` picks for each kind of document; the first match wins
    ("com.sun.star.presentation.PresentationDocument", "impress_pdf_Export"),
    ("com.sun.star.drawing.DrawingDocument", "draw_pdf_Export"),
    ("com.sun.star.sheet.SpreadsheetDocument", "calc_pdf_Export"),
    ("com.sun.star.text.WebDocument", "writer_web_pdf_Export"),
    ("com.sun.star.text.TextDocument", "writer_pdf_Export"),
)
NEVER_EXECUTE = 0  # com.sun.star.document.MacroExecMode: a document's macros never run
NO_UPDATE = 0  # com.sun.star.document.UpdateDocMode: links to other files or the web are not followed


def main() -> None:
    """Start LibreOffice, connect, then convert each request until stdin ends."""
    soffice, profile, pipe = sys.argv[1:4]
    office = subprocess.Popen(
        [soffice, f"-env:UserInstallation={profile}", "--headless", "--invisible", "--norestore",
         "--nolockcheck", "--nodefault", "--nologo", f"--accept=pipe,name={pipe};urp;"],
        stdin=subprocess.DEVNULL,
        stdout=sys.stderr,  # stdout carries the answers; LibreOffice's chatter goes to the log
    )  # fmt: skip
    requests: queue.Queue[dict[str, str]] = queue.Queue()
    threading.Thread(target=read_requests, args=(requests,), daemon=True).start()
    desktop = connect(pipe, office)
    answer({"ready": True})
    while True:
        request = requests.get()
        try:
            answer(convert(desktop, request["source"], request["target"]))
        except Exception as error:  # the bridge is gone: LibreOffice crashed or was killed
            answer({"crashed": f"it stopped while converting the file ({type(error).__name__}: {error})"})
            os.killpg(0, signal.SIGKILL)


def read_requests(requests: queue.Queue[dict[str, str]]) -> None:
    """Pass each request line on; at the end of stdin kill the process group (LibreOffice and this script),
    even in the middle of a conversion."""
    for line in sys.stdin:
        requests.put(json.loads(line))
    os.killpg(0, signal.SIGKILL)


def connect(pipe: str, office: subprocess.Popen[bytes]) -> Any:
    """LibreOffice's Desktop, once LibreOffice accepts connections on the pipe."""
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    while True:
        try:
            remote = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
            return remote.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", remote)
        except NoConnectException:
            if office.poll() is not None:
                answer({"crashed": f"LibreOffice stopped at start with exit code {office.returncode}"})
                sys.exit(1)
            time.sleep(0.05)


def convert(desktop: Any, source: str, target: str) -> dict[str, object]:
    """Load `source` hidden and read-only, export it as PDF to `target` and close it."""
    loading = properties(
        Hidden=True, ReadOnly=True, MacroExecutionMode=NEVER_EXECUTE, UpdateDocMode=NO_UPDATE
    )
    try:
        document = desktop.loadComponentFromURL(uno.systemPathToFileUrl(source), "_blank", 0, loading)
    except (IllegalArgumentException, IOException):
        document = None
    if document is None:  # the words `soffice --convert-to` prints
        return {"error": "Error: source file could not be loaded"}
    try:
        kinds = [name for service, name in PDF_FILTERS if document.supportsService(service)]
        if not kinds:
            return {"error": "Error: no export filter"}
        document.storeToURL(uno.systemPathToFileUrl(target), properties(Overwrite=True, FilterName=kinds[0]))
    except IOException as error:
        return {"error": f"Error: Please verify input parameters... ({error.Message})"}
    finally:
        with contextlib.suppress(Exception):
            document.close(True)
    return {"ok": True}


def properties(**values: object) -> tuple[Any, ...]:
    """UNO PropertyValues from keyword arguments."""
    return tuple(PropertyValue(Name=name, Value=value) for name, value in values.items())


def answer(message: dict[str, object]) -> None:
    """Write one answer line."""
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
