"""The tool works installed from its wheel into a fresh virtual environment, run from any folder:
the default templates travel inside the package."""

from __future__ import annotations

import subprocess
import sys
import venv
from pathlib import Path

from pypdf import PdfReader

from tests.conftest import EXAMPLE, ROOT


def test_the_wheel_installs_and_builds_the_example_from_another_folder(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(ROOT)],
        check=True,
        capture_output=True,
    )
    wheel = next(wheels.glob("build_appeal-*.whl"))
    environment = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(environment)
    subprocess.run(
        [
            str(environment / "bin" / "python"),
            "-m",
            "pip",
            "install",
            "-q",
            "--disable-pip-version-check",
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = subprocess.run(
        [str(environment / "bin" / "build-appeal"), "-q", str(EXAMPLE), "-o", "out"],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    bundle = Path(result.stdout.splitlines()[-1])
    assert bundle == Path("out/example/bundle.pdf")
    assert len(PdfReader(elsewhere / bundle).pages) > 3
    assert not (ROOT / "out").exists()
