"""Conversion to PDF through the real LibreOffice and WeasyPrint."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

import docx
import pytest
from pypdf import PdfReader

from pipeline.convert import Job, LocalFilesOnly, html_document, office_to_pdf, write_pdf
from pipeline.errors import ConversionError
from tests.conftest import group_alive


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


def test_a_file_libreoffice_cannot_read_is_named(tmp_path: Path) -> None:
    junk = tmp_path / "junk.docx"
    junk.write_bytes(b"PK\x03\x04" + b"\x00" * 200)
    with pytest.raises(ConversionError, match=r"^Exhibit 3 \(evidence/junk.docx\): LibreOffice wrote no PDF"):
        office_to_pdf([Job(junk, tmp_path / "junk.pdf", "Exhibit 3 (evidence/junk.docx)")], timeout=120)


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
