"""The command line: exit codes, one clear message, no traceback unless --debug."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline import __version__
from pipeline.cli import _converts_probably, main
from pipeline.context import Context
from pipeline.render import Rendered, TemplateFile, Templates, default_templates_folder
from tests.conftest import MakeCase, disk_of_its_own, example_data, group_alive, immutable, office_group


def run(*args: str) -> tuple[int, str, str]:
    """Exit code, stdout, and stderr from the error line on (progress lines come before it)."""
    result = CliRunner().invoke(main, list(args))
    err = result.stderr
    return result.exit_code, result.stdout, err[err.find("error: ") :] if "error: " in err else err


def test_version_and_help() -> None:
    assert run("--version") == (0, f"build-appeal, version {__version__}\n", "")
    code, out, _ = run("--help")
    assert code == 0 and "build-appeal cases/acme" in out and "schema" in out


@pytest.mark.parametrize(("args", "code"), [(["--version"], 0), (["no-such-case"], 1)])
def test_the_console_script_leaves_its_garbage_to_the_exit(args: list[str], code: int) -> None:
    """`run` freezes what is left once the command ends, whatever its exit code, so the collector does not
    walk it again while Python shuts down (the process is freed whole)."""
    probe = (
        "import atexit, gc, sys; atexit.register(lambda: print('frozen', gc.get_freeze_count() > 0)); "
        f"sys.argv = ['build-appeal', *{args!r}]; from pipeline.cli import run; run()"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.returncode == code
    assert done.stdout.splitlines()[-1] == "frozen True"


def test_a_bad_case_file_gives_its_problems_and_exit_1(
    make_case: MakeCase, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = make_case(evidence=False)
    (folder / "case.yaml").write_text("language: fr\nmerchant: {}\n", encoding="utf-8")
    monkeypatch.chdir(folder.parent.parent)
    code, out, err = run("cases/acme")
    assert code == 1
    assert out == ""
    assert err.startswith(
        "error: cases/acme/case.yaml:1: language: Input should be 'en', 'zh' or 'bilingual'; you wrote “fr”\n"
    )
    assert "cases/acme/case.yaml:2: merchant.name_en: required field is missing (Legal name of" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("where", ["before", "after"])
def test_debug_shows_the_traceback(make_case: MakeCase, where: str) -> None:
    """After the case folder too, where a user adds it when the error asks to run again with --debug (it
    was "No such option: --debug")."""
    folder = make_case(evidence=False)
    (folder / "case.yaml").write_text("language: fr\n", encoding="utf-8")
    args = ["--debug", str(folder)] if where == "before" else [str(folder), "-o", "out", "--debug"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1
    assert type(result.exception).__name__ == "CaseDataError"
    quiet = CliRunner().invoke(main, ["check", str(folder), "-q"])  # the other flags too, any command
    assert quiet.exit_code == 1 and "No such option" not in quiet.output


def test_check_takes_the_language_the_build_is_asked_for(make_case: MakeCase) -> None:
    """`check` had no `--lang`: a bilingual case without its Chinese name, built with `--lang en`, could
    not be checked for that build (the check asked for the Chinese name the build does not need)."""
    data = example_data()
    del data["merchant"]["name_zh"]
    folder = make_case(data)
    runner = CliRunner()
    refused = runner.invoke(main, ["check", str(folder)])
    assert refused.exit_code == 1 and "name_zh (the Chinese name) is needed" in refused.stderr
    checked = runner.invoke(main, ["check", str(folder), "--lang", "en"])
    assert checked.exit_code == 0, checked.stderr
    assert "name_zh" not in checked.stderr


def test_a_question_left_with_ctrl_c_or_ctrl_d_cancels_in_words(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It said "build-appeal failed unexpectedly (Abort: ) ... report the output" (exit 70)."""
    monkeypatch.setattr("pipeline.cli._interactive", lambda: True)
    result = CliRunner().invoke(main, ["init", str(tmp_path / "new case")], input="zh\n")  # then input ends
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == "cancelled; nothing was written"
    assert not (tmp_path / "new case").exists()


def test_init_names_the_next_command_ready_to_paste(tmp_path: Path) -> None:
    """A folder name with a space was shown bare: pasted, it named two folders that do not exist."""
    case = tmp_path / "案件 一"
    result = CliRunner().invoke(main, ["init", str(case)])
    assert result.exit_code == 0, result.output
    assert f"  build-appeal check '{case}'" in result.output.splitlines()


def test_a_missing_evidence_file_names_the_entry(
    make_case: MakeCase, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = make_case(evidence=False)
    monkeypatch.chdir(folder.parent.parent)
    code, _, err = run("cases/acme")
    lines = (folder / "case.yaml").read_text(encoding="utf-8").splitlines()
    first = next(number for number, line in enumerate(lines, 1) if "invoice_hengtai" in line)
    assert code == 1
    assert err.splitlines()[0] == (
        f"error: cases/acme/case.yaml:{first}: evidence[0].file: evidence/invoice_hengtai_2024-01.pdf: "
        "no such file in acme/"
    )
    assert len(err.splitlines()) == 7  # every missing file, at once


def test_an_output_folder_inside_the_case_is_refused(make_case: MakeCase) -> None:
    folder = make_case()
    code, _, err = run(str(folder), "-o", str(folder / "out"))
    assert code == 1
    assert "the output folder is inside the case folder" in err
    assert not (folder / "out").exists()


def test_schema_prints_json() -> None:
    code, out, _ = run("schema")
    assert code == 0 and '"title": "build-appeal case.yaml"' in out


def test_no_case_folder_is_a_usage_error() -> None:
    code, _, err = run("build")
    assert code == 2 and "Missing argument 'CASE_DIRS...'" in err


def test_an_unknown_case_folder_is_named(tmp_path: Path) -> None:
    code, _, err = run(str(tmp_path / "nope"))
    assert code == 1 and err == f"error: {tmp_path / 'nope'}: no such case folder\n"


def test_watch_follows_one_case_only(make_case: MakeCase, tmp_path: Path) -> None:
    one, two = make_case(name="one", evidence=False), make_case(name="two", evidence=False)
    code, _, err = run(str(one), str(two), "--watch", "-o", str(tmp_path / "out"))
    assert code == 2 and "--watch follows one case; name one CASE_DIR" in err
    assert not (tmp_path / "out").exists()


def test_no_cache_keeps_nothing_for_next_time(make_case: MakeCase, tmp_path: Path) -> None:
    code, out, err = run(str(make_case()), "--no-cache", "-o", str(tmp_path / "out"))
    assert code == 0, err
    assert out.strip().endswith("bundle.pdf")
    assert sorted(path.name for path in (tmp_path / "out").iterdir()) == [".acme.lock", "acme"]


def test_a_build_starts_libreoffice_before_it_merges_the_letter_and_leaves_none(
    make_case: MakeCase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    groups: list[int | None] = []
    real = Templates.render

    def render(self: Templates, template: TemplateFile, context: Context, out: Path) -> Rendered:
        if template.path.suffix == ".docx":
            groups.append(office_group(os.getpid()))  # the LibreOffice running as the letter is merged
        return real(self, template, context, out)

    monkeypatch.setattr(Templates, "render", render)
    case, output = make_case(), tmp_path / "out"
    assert run("-q", str(case), "-o", str(output))[0] == 0
    assert len(groups) == 1 and groups[0] is not None
    assert group_alive(groups[0]) == []
    assert run("-q", str(case), "-o", str(output))[0] == 0  # nothing changed: nothing to convert
    assert groups[1] is None


def test_libreoffice_starts_early_when_a_word_source_changed_since_the_bundle(
    make_case: MakeCase, tmp_path: Path
) -> None:
    case, output = make_case(), tmp_path / "out"
    assert _converts_probably(case, output, no_cache=False)  # no bundle yet
    bundle = output / case.name / "bundle.pdf"
    bundle.parent.mkdir(parents=True)
    bundle.write_bytes(b"%PDF-1.7")
    earlier = time.time() - 60
    for path in [case, *case.rglob("*")]:
        os.utime(path, (earlier, earlier))
    assert not _converts_probably(case, output, no_cache=False)
    assert _converts_probably(case, output, no_cache=True)

    (case / "templates").mkdir()
    shutil.copy(default_templates_folder() / "cs_inquiry.html", case / "templates")
    assert not _converts_probably(case, output, no_cache=False)  # WeasyPrint's: no LibreOffice
    shutil.copy(default_templates_folder() / "appeal_letter.docx", case / "templates")
    assert _converts_probably(case, output, no_cache=False)
    (case / "templates" / "appeal_letter.docx").unlink()
    (case / "case.yaml").touch()
    assert _converts_probably(case, output, no_cache=False)
    os.utime(case / "case.yaml", (earlier, earlier))
    (case / "evidence" / "sales_records.xlsx").touch()
    assert _converts_probably(case, output, no_cache=False)


@pytest.mark.parametrize("where", ["through a file", "on a read-only disk"])
def test_an_output_folder_that_cannot_be_written_is_refused_in_words(
    make_case: MakeCase, tmp_path: Path, where: str
) -> None:
    """It was "failed unexpectedly ... report the output" (exit 70): a bug report for a wrong -o."""
    folder = make_case()
    with contextlib.ExitStack() as scope:
        if where == "through a file":
            (tmp_path / "notes.txt").write_text("a file", encoding="utf-8")
            output, reason = tmp_path / "notes.txt" / "out", "Not a directory"
        else:
            output, reason = (
                scope.enter_context(disk_of_its_own(tmp_path / "disk", "size=1m,ro")) / "out",
                "Read-only file system",
            )
        code, _, err = run(str(folder), "-o", str(output))
    assert (code, err.splitlines()[-1]) == (
        1,
        f"error: {output}: the outputs cannot be written there ({reason}); choose another folder with -o",
    )


def test_a_case_output_folder_that_cannot_be_written_is_refused_before_the_build(
    make_case: MakeCase, tmp_path: Path
) -> None:
    """Only the output root was tried (the lock file is there): the build ran, then "failed unexpectedly"
    when it moved its files into output/<case>."""
    folder, out = make_case(), tmp_path / "out"
    (out / "acme").mkdir(parents=True)
    with immutable(out / "acme"):
        code, _, err = run(str(folder), "-o", str(out))
    assert (code, err) == (
        1,
        f"error: {out / 'acme'}: the outputs cannot be written there (Operation not permitted); choose "
        "another folder with -o\n",
    )
    assert not any(path.name.startswith(".acme.building") for path in out.iterdir())


def test_two_case_folders_of_one_name_are_refused_and_one_named_twice_is_built_once(
    make_case: MakeCase, tmp_path: Path
) -> None:
    """`build-appeal cases/*/appeal` built every seller's case into output/appeal, each over the one
    before, and reported them all as built."""
    first = make_case(name="acme")
    other = tmp_path / "other" / "acme"
    shutil.copytree(first, other)
    output = tmp_path / "out"
    result = CliRunner().invoke(main, [str(first), str(other), "-o", str(output)])
    assert result.exit_code == 2
    assert (
        f"Error: {first} and {other} would both be built into {output / 'acme'}, the second over the first: "
        "rename one of the folders, or build them one at a time with different -o"
    ) in result.stderr
    assert not output.exists()
    result = CliRunner().invoke(main, ["-q", str(first), f"{first}/", "-o", str(output)])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [str(output / "acme" / "bundle.pdf")]  # once
