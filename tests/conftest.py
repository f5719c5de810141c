"""Shared fixtures: the example case, case folders made from a dict, and one built example."""

from __future__ import annotations

import copy
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "cases" / "example"


def example_data() -> dict[str, Any]:
    """case.yaml of the example, as Python data (a fresh copy each time)."""
    return copy.deepcopy(yaml.safe_load((EXAMPLE / "case.yaml").read_text(encoding="utf-8")))


MakeCase = Callable[..., Path]


@pytest.fixture
def make_case(tmp_path: Path) -> MakeCase:
    """Write a case folder from a dict (default: the example's data, with its evidence files copied)."""

    def make(data: dict[str, Any] | None = None, *, name: str = "acme", evidence: bool = True) -> Path:
        folder = tmp_path / "cases" / name
        folder.mkdir(parents=True)
        if evidence:
            shutil.copytree(EXAMPLE / "evidence", folder / "evidence")
        content = example_data() if data is None else data
        (folder / "case.yaml").write_text(
            yaml.safe_dump(content, allow_unicode=True, sort_keys=False), "utf-8"
        )
        return folder

    return make


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file below `folder` with its bytes, to prove a folder was not touched."""
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }
