"""The fonts the documents need: fail early, saying what to install, when Chinese cannot be shown."""

from __future__ import annotations

import shutil
import subprocess

from pipeline.errors import EnvironmentProblem


def check_cjk_font() -> None:
    """Fail early, saying what to install, when no font can show Chinese (else it prints as boxes)."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        raise EnvironmentProblem("fontconfig is not installed (`apt-get install fontconfig fonts-noto-cjk`)")
    families = subprocess.run(
        [fc_list, ":lang=zh-cn", "family"], capture_output=True, text=True, check=False
    ).stdout
    if not families.strip():
        raise EnvironmentProblem(
            "no font for Chinese text is installed, so Chinese would print as empty boxes; install one with "
            "`apt-get install fonts-noto-cjk` (or run scripts/setup.sh)"
        )
