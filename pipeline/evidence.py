"""Check the files a case names (evidence, the sales export): each must be a non-empty file inside the case
folder; and name the files of `evidence/` the case does not name, which no bundle shows."""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Sequence
from pathlib import Path, PurePosixPath, PureWindowsPath

from pipeline.context import Exhibit
from pipeline.errors import EvidenceError
from pipeline.load import Case, as_typed
from pipeline.render import not_a_template

EVIDENCE_FOLDER = "evidence"
"""Where `init` tells the seller to put the evidence files."""
BRACKET_SPACES = re.compile(r" ?([()\[\]{}【】〔〕《》]) ?")
"""A bracket and the spaces around it, which Chinese names have or lack as the input method typed them."""
SUFFIX_SPELLINGS = {"jpeg": "jpg", "jpe": "jpg", "jfif": "jpg", "tiff": "tif"}
"""Extensions spelt two ways, each to its usual spelling."""
SHOWN = 5
"""How many unlisted files a warning names before `and N more`."""
LOOKED_AT = 20_000
"""How many files of evidence/ are looked at for unlisted ones, at most (a folder of a whole year's scans)."""


def resolve_evidence(case: Case) -> list[Path]:
    """The real path of every entry's file; every problem of every entry is reported at once. A file named
    twice in other words (`./evidence/x.pdf`, a link to it) is refused, as the same words twice are."""
    paths, problems = entry_paths(case)
    if problems:
        raise EvidenceError("\n".join(problems))
    return [path for path in paths if path is not None]


def entry_paths(case: Case) -> tuple[list[Path | None], list[str]]:
    """Each entry's real path, None for one that cannot be used; and every problem, each naming its line
    (`check` reads the files it can, and says what is wrong with the others)."""
    problems = []
    paths: list[Path | None] = []
    first: dict[Path, str] = {}
    for index, entry in enumerate(case.data.evidence):
        try:
            path: Path | None = resolve_file(case.folder, entry.file)
        except EvidenceError as error:
            problems.append(f"{case.where('evidence', index, 'file')}: {error}")
            path = None
        if path is not None and path in first:
            problems.append(
                f"{case.where('evidence', index, 'file')}: {entry.file}: the same file as {first[path]}; "
                "list each file once"
            )
            path = None
        elif path is not None:
            first[path] = entry.file
        paths.append(path)
    return paths, problems


def repeated(case: Case, exhibits: Sequence[Exhibit]) -> list[str]:
    """A warning for each exhibit whose file holds the same bytes as an earlier exhibit's under another name
    (`invoice.pdf` and `invoice (1).pdf`, as a second download names it): the bundle would show it twice,
    under two numbers, and its reader wonder which is the evidence."""
    first: dict[str, Exhibit] = {}
    found = []
    for index, exhibit in enumerate(exhibits):
        earlier = first.setdefault(exhibit.sha256, exhibit)
        if earlier is not exhibit:
            found.append(
                f"{case.where('evidence', index, 'file')}: {exhibit.file} holds the same content as "
                f"{earlier.file} ({earlier.label}), so the bundle shows it twice; list it once, or remove "
                f"the copy (与 {earlier.file} 内容完全相同，请只列一次)"
            )
    return found


def resolve_file(case_folder: Path, name: str) -> Path:
    """The real path of a file named in case.yaml: a non-empty file inside the case folder."""
    if (
        PurePosixPath(name).is_absolute()
        or PureWindowsPath(name).is_absolute()
        or PureWindowsPath(name).drive
    ):
        raise EvidenceError(
            f"{name}: an absolute path; give the path inside the case folder, e.g. evidence/x.pdf"
        )
    if ".." in PurePosixPath(name.replace("\\", "/")).parts:
        raise EvidenceError(f"{name}: the path leaves the case folder; copy the file into the case folder")
    folder = case_folder.resolve()
    path = folder / name
    if not path.exists() and not path.is_symlink() and not name.isascii():
        path = _composed_alike(folder, name) or path
    if not path.exists() and not path.is_symlink():
        raise EvidenceError(f"{name}: no such file in {case_folder.name}/{_did_you_mean(folder, name)}")
    real = path.resolve()
    if not real.is_relative_to(folder):
        raise EvidenceError(f"{name}: a link to a file outside the case folder; copy the file in instead")
    if real.is_dir():
        raise EvidenceError(f"{name}: a folder, not a file")
    if not real.is_file():
        raise EvidenceError(f"{name}: not a regular file")
    if real.stat().st_size == 0:
        raise EvidenceError(f"{name}: the file is empty (0 bytes)")
    try:
        with real.open("rb"):
            pass
    except OSError as error:
        raise EvidenceError(
            f"{name}: the file cannot be read ({error.strerror}); check its permissions"
        ) from error
    return real


def _composed_alike(folder: Path, name: str) -> Path | None:
    """The file below `folder` whose name is `name` once both are in Unicode's composed form (NFC), each
    folder of the path matched so: macOS stores `café` decomposed (`e` and an accent), while an editor or an
    input method types it composed, and the two look the same (the "no such file" showed the name as
    written, and "did you mean" the same name). None for no such file, or more than one."""
    path = folder
    for part in Path(name).parts:
        if (path / part).exists() or (path / part).is_symlink():
            path = path / part
            continue
        wanted = unicodedata.normalize("NFC", part)
        try:
            alike = [entry for entry in path.iterdir() if unicodedata.normalize("NFC", entry.name) == wanted]
        except OSError:  # (no such folder, or not a folder)
            return None
        if len(alike) != 1:
            return None
        path = alike[0]
    return path


def _did_you_mean(folder: Path, name: str) -> str:
    """A hint for a name that is not found: `\\` written for `/` (as Windows shows paths); or the file
    as a person would read the name (`_as_read`): in other capitals (`photo.jpg` for `photo.JPG`: Linux
    tells them apart), with half-width brackets or spaces for full-width ones (`(恒泰)` for `（恒泰）`, as
    Chinese input methods type either), with the extension spelt the other way (`.jpg` for `.JPEG`), or in
    another folder of the case (`发票.pdf` for `evidence/发票.pdf`)."""
    written = PurePosixPath(name.replace("\\", "/"))
    hint = "; write paths with / (evidence/photo.jpg), not \\" if "\\" in name else ""
    wanted = _as_read(written.name)
    try:
        beside = sorted(path for path in (folder / written.parent).iterdir() if _as_read(path.name) == wanted)
    except OSError:  # (no such folder)
        beside = []
    alike = [path for path in beside if path.is_file()] or _anywhere(folder, wanted)
    if alike:
        shown = alike[0].relative_to(folder).as_posix()
        return f"; did you mean {shown}?" if shown != name else hint
    return hint


def _as_read(name: str) -> str:
    """A file name as a person reads it: full-width and half-width forms alike (（）and (), a full-width
    space and a space), capitals alike, a run of spaces as one, and none around brackets (`发票(恒泰)2024`
    for `发票 （恒泰） 2024`); an extension as its usual spelling (`.jpg` for `.JPEG`: Windows hides
    extensions, so the seller guesses the usual one)."""
    read = BRACKET_SPACES.sub(r"\1", " ".join(unicodedata.normalize("NFKC", name).casefold().split()))
    stem, dot, suffix = read.rpartition(".")
    return f"{stem}.{SUFFIX_SPELLINGS.get(suffix, suffix)}" if dot else read


def _anywhere(folder: Path, wanted: str, most: int = 5000) -> list[Path]:
    """The files of the case folder whose names read as `wanted`: those of `evidence/` first, then the
    others (at most `most` looked at, links not followed: a folder of downloads beside it is no reason
    to miss one in evidence/)."""
    found, seen = [], 0
    for top in (folder / "evidence", folder):
        for parent, folders, files in os.walk(top):
            folders[:] = sorted(name for name in folders if Path(parent) / name != folder / "evidence")
            for file in sorted(files):
                seen += 1
                if _as_read(file) == wanted and (Path(parent) / file).is_file():
                    found.append(Path(parent) / file)
                if seen > most:
                    return found
        if found:
            return found
    return found


def unlisted(case: Case) -> list[str]:
    """A warning naming the files of `evidence/` (and of its folders) that case.yaml does not use, as an
    exhibit or as the sales export: a photo copied in and never listed was left out of the bundle without a
    word. What file browsers and editors leave there (`.DS_Store`, `._photo.jpg`, Thumbs.db, desktop.ini,
    Word's `~$letter.docx`: `not_a_template`) is not evidence; nor is the file an entry that names no file
    means in other capitals or brackets (the entry's own error says so). At most `LOOKED_AT` files are
    looked at (the check runs on every build, and every rebuild of a watch)."""
    folder = case.folder.resolve()
    top = folder / EVIDENCE_FOLDER
    if not top.is_dir():
        return []
    named = [entry.file for entry in case.data.evidence] + [case.data.sales.file or ""]
    resolved = {name: _used(folder, name) for name in named if name}
    used = set(resolved.values())
    unfound = [name for name, path in resolved.items() if not os.path.lexists(path)]
    written = {_as_read(name.replace("\\", "/").removeprefix("./")) for name in unfound}
    found, seen = [], 0
    for parent, folders, files in os.walk(top):
        folders[:] = sorted(name for name in folders if not not_a_template(name) and name != "__MACOSX")
        for file in sorted(files)[: LOOKED_AT - seen]:
            seen += 1
            shown = (Path(parent) / file).relative_to(folder).as_posix()
            if not (not_a_template(file) or _used(folder, shown) in used or _as_read(shown) in written):
                found.append(shown)
        if seen >= LOOKED_AT:
            break
    if not found:
        return []
    listed = [as_typed(name, most=200) for name in found[:SHOWN]]
    names = ", ".join(listed) + (f" and {len(found) - SHOWN} more" if len(found) > SHOWN else "")
    count, them = (f"{len(found)} files", "them") if len(found) > 1 else ("a file", "it")
    return [
        f"{case.where('evidence')}: {EVIDENCE_FOLDER}/ holds {count} not listed here, so not in the bundle: "
        f"{names}; to add {them}, list {them} under evidence: in case.yaml "
        f"({EVIDENCE_FOLDER}/ 中有 {len(found)} 个文件未列入 case.yaml 的 evidence:，不会放入证据包；"
        "如需加入，请在 evidence: 下列出)"
    ]


def _used(folder: Path, name: str) -> str:
    """The file a name of case.yaml stands for, to compare with the files found (by its real path, so a
    link to a listed file is not named; its name composed, as case.yaml's may be and the disk's not)."""
    try:
        path = (folder / name).resolve()
    except (OSError, RuntimeError):  # (a loop of links: its entry's error says so)
        path = folder / name
    return unicodedata.normalize("NFC", str(path))
