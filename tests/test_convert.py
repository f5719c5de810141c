"""Conversion to PDF through the real LibreOffice and WeasyPrint."""

from __future__ import annotations

import contextlib
import http.server
import io
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import docx
import pytest
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.oxml.ns import qn
from PIL import Image
from pypdf import PdfReader

import pipeline.office_session
from pipeline.convert import Job, LocalFilesOnly, html_document, office_to_pdf, write_pdf
from pipeline.errors import ConversionError, EnvironmentProblem
from pipeline.office_session import office_session
from tests.conftest import ROOT, group_alive, office_group, processes


def word_file(path: Path, text: str) -> Path:
    document = docx.Document()
    document.add_paragraph(text)
    document.save(str(path))
    return path


def test_one_libreoffice_run_converts_every_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Two inputs with the same name in different folders must not overwrite each other's PDF.
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    jobs = [
        Job(word_file(tmp_path / "a" / "letter.docx", "First letter"), tmp_path / "out" / "1.pdf", "first"),
        Job(
            word_file(tmp_path / "b" / "letter.docx", "第二封信 second"), tmp_path / "out" / "2.pdf", "second"
        ),
    ]
    started = []
    real_popen = subprocess.Popen

    def counting_popen(*args, **kwargs):  # type: ignore[no-untyped-def]
        process = real_popen(*args, **kwargs)
        if any("soffice" in str(part) for part in args[0]):  # (not the look whether `unshare` works)
            started.append(process.pid)  # LibreOffice runs in a session of its own: its group id is this pid
        return process

    monkeypatch.setattr(subprocess, "Popen", counting_popen)
    office_to_pdf(jobs, timeout=120)
    assert len(started) == 1
    assert "First letter" in PdfReader(tmp_path / "out" / "1.pdf").pages[0].extract_text()
    assert "第二封信" in PdfReader(tmp_path / "out" / "2.pdf").pages[0].extract_text()
    monkeypatch.undo()
    assert group_alive(started[0]) == []


def test_a_conversion_past_its_time_limit_is_killed_and_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    job = Job(word_file(tmp_path / "slow.docx", "x"), tmp_path / "slow.pdf", "appeal_letter.docx")
    started = []
    real_popen = subprocess.Popen

    def recording_popen(*args, **kwargs):  # type: ignore[no-untyped-def]
        process = real_popen(*args, **kwargs)
        if any("soffice" in str(part) for part in args[0]):
            started.append(process.pid)
        return process

    monkeypatch.setattr(subprocess, "Popen", recording_popen)
    with pytest.raises(
        ConversionError, match=r"^appeal_letter\.docx: LibreOffice did not finish within 0\.2 s"
    ):
        office_to_pdf([job], timeout=0.2)
    monkeypatch.undo()
    assert group_alive(started[0]) == []
    assert not job.target.exists()


def long_word_file(path: Path) -> Path:
    """A Word file of about a hundred pages: a warm LibreOffice takes about 2 s to convert it."""
    document = docx.Document()
    for number in range(3000):
        document.add_paragraph(f"Paragraph {number} " + "lorem ipsum dolor sit amet " * 8)
    document.save(str(path))
    return path


@pytest.mark.parametrize("in_session", [False, True], ids=["one-off", "session"])
def test_a_file_libreoffice_cannot_read_is_named(tmp_path: Path, in_session: bool) -> None:
    junk = tmp_path / "junk.docx"
    junk.write_bytes(b"PK\x03\x04" + b"\x00" * 200)
    good = Job(word_file(tmp_path / "good.docx", "Still converts"), tmp_path / "good.pdf", "good.docx")
    with office_session() if in_session else contextlib.nullcontext():
        with pytest.raises(
            ConversionError,
            match=r"^Exhibit 3 \(evidence/junk.docx\): LibreOffice wrote no PDF: Error: source file could "
            r"not be loaded; is the file damaged\?$",
        ):
            office_to_pdf([Job(junk, tmp_path / "junk.pdf", "Exhibit 3 (evidence/junk.docx)")], timeout=120)
        office_to_pdf([good], timeout=120)
    assert "Still converts" in PdfReader(good.target).pages[0].extract_text()


def test_a_session_keeps_one_libreoffice_and_replaces_it_after_a_time_out(tmp_path: Path) -> None:
    def job(text: str, name: str) -> Job:
        return Job(word_file(tmp_path / name, text), tmp_path / f"{name}.pdf", name)

    first, second, last = job("First", "1.docx"), job("第二封信 second", "2.docx"), job("Last", "3.docx")
    slow = Job(long_word_file(tmp_path / "long.docx"), tmp_path / "long.pdf", "appeal_letter.docx")
    with office_session():
        office_to_pdf([first], timeout=120)
        group = office_group(os.getpid())
        assert group is not None
        office_to_pdf([second], timeout=120)
        assert office_group(os.getpid()) == group  # the same LibreOffice converted both
        with pytest.raises(
            ConversionError,
            match=r"^appeal_letter\.docx: LibreOffice did not finish within 0\.5 s and was stopped",
        ):
            office_to_pdf([slow], timeout=0.5)
        assert group_alive(group) == []
        assert not slow.target.exists()
        office_to_pdf([last], timeout=120)  # a new LibreOffice
        restarted = office_group(os.getpid())
        assert restarted not in (None, group)
    assert group_alive(restarted) == []
    assert not list(Path("/tmp").glob(f"OSL_PIPE_*_build-appeal-{os.getpid()}-*"))  # the pipes' sockets
    for converted, text in ((first, "First"), (second, "第二封信"), (last, "Last")):
        assert text in PdfReader(converted.target).pages[0].extract_text()


def test_a_session_replaces_a_libreoffice_that_died(tmp_path: Path) -> None:
    first = Job(word_file(tmp_path / "1.docx", "First"), tmp_path / "1.pdf", "1.docx")
    second = Job(word_file(tmp_path / "2.docx", "Second"), tmp_path / "2.pdf", "2.docx")
    with office_session():
        office_to_pdf([first], timeout=120)
        group = office_group(os.getpid())
        office = [
            pid for pid, _, pgid, args in processes() if pgid == group and "soffice.bin -env" in args
        ]  # (not "[soffice.bin] <defunct>", the one that made the profile, if not yet reaped)
        assert len(office) == 1
        os.kill(office[0], signal.SIGKILL)  # as a crash between two builds would
        office_to_pdf([second], timeout=120)
        assert office_group(os.getpid()) not in (None, group)
    assert group_alive(group) == []
    assert "Second" in PdfReader(second.target).pages[0].extract_text()


def test_a_session_without_the_uno_bridge_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    no_uno = [Path(sys.executable)]  # build-appeal's own Python
    monkeypatch.setattr("pipeline.office_session._pythons", lambda soffice: no_uno)
    job = Job(word_file(tmp_path / "letter.docx", "Hello"), tmp_path / "letter.pdf", "letter.docx")
    with office_session(), pytest.raises(EnvironmentProblem, match=r"`apt-get install python3-uno`"):
        office_to_pdf([job], timeout=120)


def test_a_session_started_early_converts_with_the_libreoffice_it_started(tmp_path: Path) -> None:
    job = Job(word_file(tmp_path / "letter.docx", "Early"), tmp_path / "letter.pdf", "letter.docx")
    with office_session() as session:
        session.warm_up()  # returns at once; LibreOffice starts meanwhile
        group = office_group(os.getpid())
        assert group is not None
        handed = session.converting([job], timeout=120)
        assert not job.target.exists()  # handed over: the caller works on while LibreOffice converts
        handed()
        assert office_group(os.getpid()) == group
    assert group_alive(group) == []
    assert "Early" in PdfReader(job.target).pages[0].extract_text()


def test_an_early_session_without_the_uno_bridge_leaves_the_work_to_a_one_off_libreoffice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    no_uno = [Path(sys.executable)]  # build-appeal's own Python: the bridge says it cannot run
    monkeypatch.setattr("pipeline.office_session._pythons", lambda soffice: no_uno)
    first = Job(word_file(tmp_path / "1.docx", "First"), tmp_path / "1.pdf", "1.docx")
    second = Job(word_file(tmp_path / "2.docx", "Second"), tmp_path / "2.pdf", "2.docx")
    with office_session(optional=True) as session:
        session.warm_up()
        office_to_pdf([first], timeout=120)  # at once: the bridge may not have said so yet
        assert not session.can_convert()
    with office_session(optional=True) as session:
        session.warm_up()
        time.sleep(1)  # it has said so by now
        assert not session.can_convert()
        office_to_pdf([second], timeout=120)
    for job, text in ((first, "First"), (second, "Second")):
        assert text in PdfReader(job.target).pages[0].extract_text()


OWNER = """
import sys
from pathlib import Path
from pipeline.convert import Job, office_to_pdf
from pipeline.office_session import office_session
with office_session():
    office_to_pdf([Job(Path(sys.argv[1]), Path(sys.argv[2]), "letter.docx")], timeout=120)
    print("converted", flush=True)
    sys.stdin.read()
"""


def test_libreoffice_dies_with_the_process_that_opened_the_session(tmp_path: Path) -> None:
    source = word_file(tmp_path / "letter.docx", "Hello")
    owner = subprocess.Popen(
        [sys.executable, "-c", OWNER, str(source), str(tmp_path / "letter.pdf")],
        cwd=ROOT,
        env={**os.environ, "TMPDIR": str(tmp_path)},  # where the profile folder a killed owner leaves goes
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert owner.stdout is not None and owner.stdout.readline() == "converted\n"
    group = office_group(owner.pid)
    assert group is not None
    owner.kill()  # SIGKILL: no clean-up code runs in the owner
    owner.communicate()
    deadline = time.monotonic() + 10
    while group_alive(group) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert group_alive(group) == []
    for socket_file in Path("/tmp").glob(f"OSL_PIPE_*_build-appeal-{owner.pid}-*"):  # left, like the folder
        socket_file.unlink()


def test_weasyprint_reaches_only_allowed_files(tmp_path: Path) -> None:
    allowed, outside = tmp_path / "case", tmp_path / "elsewhere"
    allowed.mkdir()
    outside.mkdir()
    (allowed / "ok.css").write_text("p { color: red }")
    (outside / "secret.css").write_text("p { color: blue }")
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.settimeout(0.5)
    port = server.getsockname()[1]
    secret = (outside / "secret.css").as_uri()
    html = f"""<link rel=stylesheet href="ok.css"><link rel=stylesheet href="{secret}">
    <link rel=stylesheet href="http://127.0.0.1:{port}/x.css"><img src="file:///etc/passwd">
    <style>p {{ background: url(http://127.0.0.1:{port}/bg.png) }}</style><p>Hello</p>"""
    fetcher = LocalFilesOnly([allowed])
    document = html_document(html, base=allowed, fetcher=fetcher, name="test.html")
    write_pdf(document, tmp_path / "out.pdf", name="test.html")
    assert sorted(fetcher.refused) == sorted(
        [
            (outside / "secret.css").as_uri(),
            f"http://127.0.0.1:{port}/x.css",
            "file:///etc/passwd",
            f"http://127.0.0.1:{port}/bg.png",
        ]
    )
    with pytest.raises(TimeoutError):
        server.accept()  # nobody connected
    server.close()
    assert "Hello" in PdfReader(tmp_path / "out.pdf").pages[0].extract_text()


# --- What a document links to stays out ------------------------------------------------------------------


def png() -> bytes:
    picture = io.BytesIO()
    Image.new("RGB", (40, 40), (200, 30, 30)).save(picture, "PNG")
    return picture.getvalue()


@contextlib.contextmanager
def picture_server() -> Iterator[tuple[str, list[str]]]:
    """A web server on this machine answering every request with a picture: its address, and the paths
    asked for."""
    asked: list[str] = []

    class Pictures(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.end_headers()
            self.wfile.write(png())

        do_HEAD = do_OPTIONS = do_PROPFIND = do_GET  # LibreOffice asks WebDAV's questions first

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Pictures)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", asked
    finally:
        server.shutdown()
        server.server_close()


def word_file_linking(path: Path, url: str) -> Path:
    """A Word file whose picture is linked (`r:link`, an external relationship), not saved in it."""
    document = docx.Document()
    document.add_paragraph("Before the picture")
    document.add_picture(io.BytesIO(png()))
    document.add_paragraph("After the picture")
    blip = document.element.body.xpath(".//a:blip")[0]
    document.part.drop_rel(blip.attrib.pop(qn("r:embed")))
    blip.set(qn("r:link"), document.part.relate_to(url, RELATIONSHIP_TYPE.IMAGE, is_external=True))
    document.save(str(path))
    return path


def opendocument_linking(path: Path, url: str) -> Path:
    """An OpenDocument text whose picture is linked (`draw:image xlink:href`), not saved in it."""
    kind = "application/vnd.oasis.opendocument.text"
    content = (
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
        'xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" '
        'xmlns:xlink="http://www.w3.org/1999/xlink" '
        'xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0" office:version="1.2">'
        "<office:body><office:text><text:p>Before the picture</text:p><text:p>"
        '<draw:frame text:anchor-type="as-char" svg:width="2cm" svg:height="2cm">'
        f'<draw:image xlink:href="{url}" xlink:type="simple" xlink:show="embed" xlink:actuate="onLoad"/>'
        "</draw:frame></text:p><text:p>After the picture</text:p></office:text></office:body>"
        "</office:document-content>"
    )
    manifest = (
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
        f'manifest:version="1.2"><manifest:file-entry manifest:full-path="/" manifest:media-type="{kind}"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    with zipfile.ZipFile(path, "w") as package:
        package.writestr("mimetype", kind)  # first and not compressed, as OpenDocument wants
        package.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
        package.writestr("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED)
    return path


def linking_jobs(folder: Path, web: str) -> list[Job]:
    """A Word file and an OpenDocument one, each linking a picture on the web and one in a private file
    outside the folders LibreOffice is given."""
    private = folder / "private" / "private.png"
    private.parent.mkdir()
    private.write_bytes(png())
    jobs = []
    for where, url in (("web", f"{web}/picture.png"), ("file", private.as_uri())):
        for make, suffix in ((word_file_linking, ".docx"), (opendocument_linking, ".odt")):
            name = f"{where}{suffix}"
            jobs.append(Job(make(folder / name, url), folder / f"{name}.pdf", name))
    return jobs


@pytest.mark.parametrize("in_session", [False, True], ids=["one-off", "session"])
def test_libreoffice_leaves_out_the_pictures_a_document_links_to(tmp_path: Path, in_session: bool) -> None:
    with picture_server() as (web, asked):
        jobs = linking_jobs(tmp_path, web)
        with office_session() if in_session else contextlib.nullcontext():
            office_to_pdf(jobs, timeout=120)
    assert asked == []  # nothing fetched from the web
    for job in jobs:
        page = PdfReader(job.target).pages[0]
        assert "Before the picture" in page.extract_text(), job.name
        assert list(page.images) == [], job.name  # nor from the private file


def test_libreoffice_has_no_network_even_where_its_settings_would_allow_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not pipeline.office_session._unshare_network():
        pytest.skip("no network namespace can be made here")
    # A profile without the settings: only the network namespace keeps LibreOffice from the server.
    no_settings = '<?xml version="1.0"?><oor:items xmlns:oor="http://openoffice.org/2001/registry"/>'
    monkeypatch.setattr("pipeline.office_session.PROFILE_SETTINGS", no_settings)
    with picture_server() as (web, asked):
        jobs = [
            Job(word_file_linking(tmp_path / "web.docx", f"{web}/w.png"), tmp_path / "w.pdf", "web.docx"),
            Job(opendocument_linking(tmp_path / "web.odt", f"{web}/o.png"), tmp_path / "o.pdf", "web.odt"),
        ]
        office_to_pdf(jobs[:1], timeout=120)  # one-off
        with office_session():
            office_to_pdf(jobs[1:], timeout=120)
            group = office_group(os.getpid())
            offices = [pid for pid, _, pgid, args in processes() if pgid == group and "soffice.bin" in args]
            assert offices
            for office in offices:  # in a network namespace of its own, the named pipe still reached
                assert os.readlink(f"/proc/{office}/ns/net") != os.readlink("/proc/self/ns/net")
    assert asked == []
    for job in jobs:
        assert "After the picture" in PdfReader(job.target).pages[0].extract_text()


def test_libreoffice_converts_where_no_network_namespace_can_be_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    refusing = tmp_path / "bin" / "unshare"  # as in a container that forbids namespaces
    refusing.parent.mkdir()
    refusing.write_text("#!/bin/sh\necho 'unshare: unshare failed: Operation not permitted' >&2\nexit 1\n")
    refusing.chmod(0o755)
    monkeypatch.setenv("PATH", f"{refusing.parent}{os.pathsep}{os.environ['PATH']}")
    pipeline.office_session._unshare_network.cache_clear()
    try:
        assert pipeline.office_session.offline(["soffice"]) == ["soffice"]
        first = Job(word_file(tmp_path / "1.docx", "First"), tmp_path / "1.pdf", "1.docx")
        second = Job(word_file(tmp_path / "2.docx", "Second"), tmp_path / "2.pdf", "2.docx")
        office_to_pdf([first], timeout=120)
        with office_session():
            office_to_pdf([second], timeout=120)
    finally:
        pipeline.office_session._unshare_network.cache_clear()
    for job, text in ((first, "First"), (second, "Second")):
        assert text in PdfReader(job.target).pages[0].extract_text()
