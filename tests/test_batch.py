"""Batch builds: several cases in parallel, a failed case does not stop the others, a summary at the end."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from pipeline.batch import Outcome, summary
from pipeline.cli import main
from tests.conftest import MakeCase, example_data


def test_a_batch_builds_in_parallel_and_reports_each_case(make_case: MakeCase, tmp_path: Path) -> None:
    good = [make_case(name=name) for name in ("alpha", "beta")]
    broken = example_data()
    broken["case"]["number"] = "not a number"
    bad = make_case(broken, name="gamma", evidence=False)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["-q", *map(str, [*good, bad]), "-o", str(out), "-j", "2"])
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [str(out / "alpha" / "bundle.pdf"), str(out / "beta" / "bundle.pdf")]
    for name in ("alpha", "beta"):
        assert len(PdfReader(out / name / "bundle.pdf").pages) > 20
    table = result.stderr[result.stderr.index("case ") :].splitlines()
    assert table[0].split() == ["case", "status", "pages", "size", "time", "error"]
    assert table[1].split()[:3] == [
        str(good[0]),
        "ok",
        str(len(PdfReader(out / "alpha" / "bundle.pdf").pages)),
    ]
    assert table[3].split()[:2] == [str(bad), "FAILED"]
    assert f"{bad}/case.yaml:" in table[3]
    assert "case.number: 'not a number' is not a case number" in result.stderr
    assert table[-1] == "2 built, 1 failed"
    assert not (out / "gamma").exists()


@pytest.mark.parametrize("jobs", [1, 2])
def test_every_case_failing_gives_every_message(make_case: MakeCase, tmp_path: Path, jobs: int) -> None:
    folders = []
    for name in ("one", "two"):
        data = example_data()
        data["language"] = "fr"
        folders.append(make_case(data, name=name, evidence=False))
    result = CliRunner().invoke(
        main, ["-q", *map(str, folders), "-o", str(tmp_path / "out"), "-j", str(jobs)]
    )
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.count("language: Input should be 'en', 'zh' or 'bilingual'") == 2
    assert result.stderr.splitlines()[-1] == "0 built, 2 failed"


def test_the_summary_table_lines_up() -> None:
    table = summary(
        [
            Outcome(
                "cases/a", ok=True, bundle=Path("out/a/bundle.pdf"), pages=27, size=1_200_000, seconds=7.4
            ),
            Outcome(
                "cases/longer-name", ok=False, seconds=0.1, error="cases/longer-name/case.yaml:7: bad\nmore"
            ),
        ]
    )
    assert table.splitlines() == [
        "case               status  pages  size    time   error",
        "cases/a            ok      27     1.2 MB  7.4 s",
        "cases/longer-name  FAILED                 0.1 s  cases/longer-name/case.yaml:7: bad",
        "",
        "cases/longer-name:",
        "  cases/longer-name/case.yaml:7: bad",
        "  more",
        "1 built, 1 failed",
    ]
