"""Load a case folder: read `case.yaml` safely, validate it, and report every problem with its line.

YAML is read as a tree of plain strings (no YAML 1.1 surprises: a listing ID stays `0123`, the country
code `NO` stays `NO`); pydantic then turns the strings into numbers, dates and booleans where the model
says so. Anchors and aliases are refused (they serve no purpose in a case file and make "billion laughs"
possible), and so are duplicate keys, which YAML parsers otherwise resolve silently.
"""

from __future__ import annotations

import calendar
import difflib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pydantic
import yaml

from pipeline.errors import CaseDataError
from pipeline.model import GROUNDS_ZH, CaseFile, Ground, Language, model_in

CASE_FILE = "case.yaml"
MAX_CASE_FILE_BYTES = 2 * 1024 * 1024
_NULLS = {"", "~", "null", "Null", "NULL"}
REPORTED = object()
"""Stands for a value whose problem is already reported (an alias): validation says nothing more of it."""

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class Case:
    """A loaded, validated case folder."""

    folder: Path
    data: CaseFile
    lines: dict[Loc, int] = field(default_factory=dict, repr=False)
    """The line of case.yaml where each field was written, for pointing at it in messages."""

    def where(self, *loc: str | int) -> str:
        """`cases/acme/case.yaml:42: evidence[2].file`, for messages about one field."""
        return f"{display_path(self.folder / CASE_FILE)}:{_line_of(loc, self.lines)}: {_dotted(loc)}"

    def at(self, dotted: str) -> str:
        """`where` of a field named by its dotted path, `evidence[2].file`."""
        return self.where(
            *(int(part) if part.isdigit() else part for part in re.split(r"[.\[\]]+", dotted) if part)
        )

    def in_language(self, language: Language | None) -> Case:
        """The case as documents in `language` show it (`--lang`), or as it is for None. (What the bundle's
        `content` hashes is the case as read.)"""
        if language is None or language == self.data.language:
            return self
        return replace(self, data=self.data.model_copy(update={"language": language}))

    @property
    def name(self) -> str:
        """The folder's name, which names the output folder."""
        return self.folder.name

    @property
    def templates_folder(self) -> Path:
        """Where the case's own templates (overriding the defaults) live."""
        return self.folder / "templates"


def load_case(folder: Path, language: Language | None = None) -> Case:
    """Read and validate `folder/case.yaml`; raise CaseDataError listing every problem. `language` is the
    language the documents are built in when not case.yaml's (`--lang`): what it needs is checked."""
    folder = folder.resolve() if folder.exists() else folder
    path = folder / CASE_FILE
    shown = display_path(path)
    if not folder.is_dir():
        raise CaseDataError([f"{display_path(folder)}: no such case folder"])
    if not path.is_file():
        raise CaseDataError([f"{shown}: not found{_not_found_hint(folder)}"])
    raw = path.read_bytes()
    if len(raw) > MAX_CASE_FILE_BYTES:
        raise CaseDataError(
            [f"{shown}: {len(raw):,} bytes is too large for a case file (at most {MAX_CASE_FILE_BYTES:,})"]
        )
    text = _decode(raw, shown)
    data, lines, problems = _parse(text, shown)
    if not isinstance(data, dict):
        kind = "empty" if data is None else f"a {_yaml_kind(data)}, not a mapping of sections"
        raise CaseDataError([*problems, f"{shown}:1: the file is {kind} (language:, merchant:, case:, ...)"])
    try:
        case_file = CaseFile.model_validate(_given(data), context={"language": language})
    except pydantic.ValidationError as error:
        described = [*problems, *_describe(error, lines, shown)]
        raise CaseDataError(_sorted([*described, *_placeholders_left(text, shown, described)])) from error
    if problems:
        raise CaseDataError(problems)
    return Case(folder=folder, data=case_file, lines=lines)


PLACEHOLDER = "TODO: "
"""How `build-appeal init` begins the values it could not fill in (`"TODO: Company name"`)."""


def placeholder_lines(text: str) -> list[int]:
    """The lines of a case.yaml text that still hold an `init` placeholder: a value, quoted or not, or a
    line of a block of text (`statement: |`)."""
    return [
        number
        for number, line in enumerate(text.splitlines(), 1)
        if f'"{PLACEHOLDER}' in line or f": {PLACEHOLDER}" in line or line.lstrip().startswith(PLACEHOLDER)
    ]


def _placeholders_left(text: str, shown: str, named: list[str]) -> list[str]:
    """A problem for each line still holding an `init` placeholder that `named` does not name already: a
    case.yaml that does not validate says them all at once, not one round of fixes at a time."""
    taken = {problem.split(":")[1] for problem in named if problem.startswith(f"{shown}:")}
    fields = fields_by_line(text)
    found = []
    for line in placeholder_lines(text):
        if str(line) in taken:
            continue
        field = next((fields[above] for above in range(line, 0, -1) if above in fields), "")  # (a block's)
        shown_field = f"{field}: " if field else ""
        found.append(f"{shown}:{line}: {shown_field}still the placeholder `init` wrote; write the real value")
    return found


def fields_by_line(text: str) -> dict[int, str]:
    """The field written on each line of a case.yaml text (`merchant.name_en`), for a file that is YAML but
    does not validate; empty if it is not YAML."""
    try:
        _, lines, _ = _parse(text, CASE_FILE)
    except CaseDataError:
        return {}
    fields: dict[int, Loc] = {}
    for loc, line in lines.items():
        if len(loc) >= len(fields.get(line, ())):  # the innermost field written there
            fields[line] = loc
    return {line: _dotted(loc) for line, loc in fields.items()}


def _given(data: Any) -> Any:
    """The data without the keys left empty: an empty value means "not given" (docs/case-format.md), so a
    field with a default takes it, and a required one is said to be empty."""
    if isinstance(data, dict):
        return {key: _given(value) for key, value in data.items() if value is not None}
    if isinstance(data, list):
        return [_given(item) for item in data]
    return data


def display_path(path: Path) -> str:
    """The path as the user would type it: relative to the working folder when it lies below it."""
    try:
        return str(path.absolute().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


_MISNAMED = ("case.yaml", "case.yml", "case.yaml.txt", "case.yml.txt")
"""case.yaml by the names it gets by mistake (compared in lower case): Windows hides the `.txt` that Notepad
adds, `.yml` is YAML's other ending, and Linux tells `Case.yaml` from `case.yaml`."""


def _not_found_hint(folder: Path) -> str:
    """What to do when the folder has no case.yaml: rename the file that is case.yaml by another name, or
    start one."""
    try:
        names = sorted(path.name for path in folder.iterdir() if path.is_file())
    except OSError:
        names = []
    misnamed = next((name for name in names if name.lower() in _MISNAMED), "")
    if misnamed.lower().endswith(".txt"):
        return (
            f", but {misnamed} is there: rename it to {CASE_FILE} (改名为 {CASE_FILE}); Windows hides the "
            "ending “.txt” (to see it, in Explorer turn on View > File name extensions, 查看 > 文件扩展名)"
        )
    if misnamed:
        return f", but {misnamed} is there: rename it to {CASE_FILE} (改名为 {CASE_FILE})"
    return (
        "; copy cases/example/case.yaml and fill it in, or start one with `build-appeal init "
        f"{display_path(folder)}`"
    )


def _decode(raw: bytes, shown: str) -> str:
    if _utf16(raw):
        hint = "It looks like UTF-16 (记事本: “Unicode”); save it as UTF-8 (记事本: 另存为 UTF-8)."
        raise CaseDataError([f"{shown}:1: the file is not UTF-8 text. {hint}"])
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        hint = ""
        try:
            raw.decode("gb18030")
            hint = " It looks like GBK/GB18030 (Chinese Windows); save it as UTF-8 (记事本: 另存为 UTF-8)."
        except UnicodeDecodeError:
            pass
        raise CaseDataError([f"{shown}:{line}: the file is not UTF-8 text.{hint}"]) from error


def _parse(text: str, shown: str) -> tuple[Any, dict[Loc, int], list[str]]:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.reader.ReaderError as error:  # a character YAML does not allow, such as a control character
        line = text.count("\n", 0, error.position) + 1
        problem = f"the file holds the control character U+{error.character:04X}, which cannot be printed"
        hint = "delete it (it often comes with text copied from a web page or a PDF)"
        raise CaseDataError([f"{shown}:{line}: {problem}; {hint}"]) from error
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else 1
        problem = error.problem or str(error)
        opened = _FLOWS.get(error.context or "")
        if opened and error.context_mark is not None and error.context_mark.line + 1 < line:
            seen, line = line, error.context_mark.line + 1
            hint = f" (a “{opened}” opened here is not closed; YAML saw the error on line {seen})"
        else:
            line, hint = _yaml_hint(text.splitlines(), line, problem)
        raise CaseDataError([f"{shown}:{line}: not valid YAML: {problem}{hint}"]) from error
    except yaml.YAMLError as error:
        raise CaseDataError([f"{shown}: not valid YAML: {error}"]) from error
    lines: dict[Loc, int] = {}
    problems: list[str] = []
    data = _build(root, (), lines, problems, set(), shown)
    return data, lines, problems


def _utf16(raw: bytes) -> bool:
    """Whether the bytes are UTF-16 text (Notepad's "Unicode"): with a byte order mark, or without one when
    a quarter of the bytes in every other place at the top are zeros, as the ASCII letters of the names
    are so saved (UTF-8 text has no zeros; ASCII text in UTF-16 would even decode as UTF-8 with them)."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True
    top = raw[:1000]
    zeros = max(top[0::2].count(0), top[1::2].count(0))
    return zeros > 0 and zeros >= len(top) // 8


_SPACES = {"\u3000": "a full-width space", "\u00a0": "a non-breaking space"}
_FLOWS = {"while parsing a flow sequence": "[", "while parsing a flow mapping": "{"}
"""PyYAML's context of an error inside a bracket, and the bracket: it marks where the bracket opened."""
_OPENS_A_QUOTE = re.compile(r'^\s*(?:-\s+)?(?:[^:#"]*:\s+)?"')
_NAME = r"^\s*(?:-\s+)?([A-Za-z_][A-Za-z0-9_]*):"
"""A line's name and its colon, written as case.yaml's names are (`10:30` and `"a:b"` are none)."""
_NO_SPACE = re.compile(_NAME + r"([^\s/].*)$")
"""`firm:某某律所` (YAML reads it as one text, not a name and a value), not `store_url: https://...`."""
_CHINESE_COLON = re.compile(r"^\s*(?:-\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*：\s*(.*)$")
"""`firm：某某律所`, typed in Chinese input mode: one text to YAML, not a name and a value."""
_ODD_SPACE = re.compile(_NAME + r"([\u3000\u00a0])\s*(.*)$")
_COLON_IN_VALUE = re.compile(_NAME + r"\s+([^\s\"'|>\[{&*!#].*?)(?:\s+#.*)?$")
"""`title: 发票: 2024年1月`; a value that starts with a quote, a bracket or a block's | is none."""
_QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"?')


def _yaml_hint(lines: list[str], line: int, problem: str) -> tuple[int, str]:
    """The line to name for a YAML error at `line`, and a hint at its likely cause: a Windows path's \\ in
    double quotes; a tab or an odd space in the indentation, or a line typed on a Chinese keyboard (YAML's
    own mark is then often on the next line that holds more than a comment); or a quote left open above."""
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    quoted = _QUOTED.search(text) if "escape" in problem else None
    if quoted and "\\" in quoted.group(1):
        path = as_typed(quoted.group(1).replace("\\", "/"))
        hint = (
            f"in double quotes \\ starts an escape; write paths with / ({path}), or put them in single quotes"
        )
        return line, f" ({hint})"
    for number in _lines_near(lines, line):
        hint = _line_hint(lines[number - 1] if 0 < number <= len(lines) else "", number == line)
        if hint:
            return number, f" ({hint})"
    for number, text in enumerate(lines[:line], 1):
        if _OPENS_A_QUOTE.match(text) and (text.count('"') - text.count('\\"')) % 2:
            return number, f' (a quote “"” opened here is not closed; YAML saw the error on line {line})'
    return line, ""


def _shortly(value: str) -> str:
    """A value in a line written as it should be: the start of a long one is enough to show how."""
    return as_typed(value, most=40)


def _lines_near(lines: list[str], line: int) -> Iterator[int]:
    """The error's line, then the lines above it up to the first that holds more than a comment (at most 5):
    YAML marks a line's mistake on the next one, after any blank lines and comments."""
    yield line
    for number in range(line - 1, max(line - 6, 0), -1):
        yield number
        text = lines[number - 1] if number <= len(lines) else ""
        if text.strip() and not text.lstrip().startswith("#"):
            return


def _line_hint(text: str, marked: bool) -> str:
    """What is wrong in a line near a YAML error, as typed on a Chinese keyboard or copied from a web page:
    a tab or an odd space in the indentation, a Chinese colon after the name, no space or a full-width one
    after the colon, or (on the line YAML marked) a colon in a value not in quotes; "" if none is."""
    indentation = text[: len(text) - len(text.lstrip(" \t\u3000\u00a0"))]
    if "\t" in indentation or (marked and "\t" in text):
        return "indent with spaces, not tabs"
    odd = [name for character, name in _SPACES.items() if character in indentation]
    if odd:
        return f"the line is indented with {' and '.join(odd)}; use ordinary spaces"
    if "：" in text.split(":")[0].split("#")[0]:
        return "the line has a Chinese colon “：” after its name; use an ordinary colon :"
    spaced = _ODD_SPACE.match(text)
    if spaced:
        name, space, value = spaced.groups()
        fixed = f"{name}: {_shortly(value)}"
        return f"after the colon is {_SPACES[space]}; use an ordinary space (半角空格): “{fixed}”"
    unspaced = _NO_SPACE.match(text)
    if unspaced:
        name, value = unspaced.groups()
        return f"put a space after the colon (冒号后加空格): “{name}: {_shortly(value)}”"
    valued = _COLON_IN_VALUE.match(text) if marked else None
    if valued and re.search(r":(\s|$)", valued.group(2)):
        name, value = valued.groups()
        quote = "'" if '"' in value or "\\" in value else '"'
        quoted = quote + _shortly(value.replace("'", "''") if quote == "'" else value) + quote
        return f"the value holds a colon; put it in quotes (加引号): “{name}: {quoted}”"
    return ""


def _build(
    node: yaml.Node | None, loc: Loc, lines: dict[Loc, int], problems: list[str], seen: set[int], shown: str
) -> Any:
    """Turn a composed YAML node into dicts, lists and strings, noting each path's line."""
    if node is None:
        return None
    if id(node) in seen:
        problems.append(
            f"{shown}:{_line_of(loc, lines)}: {_dotted(loc)}: anchors and aliases (&name, *name) are "
            "not allowed; write the value out"
        )
        return REPORTED
    seen.add(id(node))
    lines.setdefault(loc, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        mapping: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                problems.append(f"{shown}:{key_node.start_mark.line + 1}: merge keys (<<) are not allowed")
                continue
            key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else "?"
            child = (*loc, key)
            if key in mapping:
                problems.append(
                    f"{shown}:{key_node.start_mark.line + 1}: {_dotted(child)}: duplicate key (first on line "
                    f"{lines[child]}); keep one"
                )
                continue
            lines[child] = key_node.start_mark.line + 1
            mapping[key] = _build(value_node, child, lines, problems, seen, shown)
        return mapping
    if isinstance(node, yaml.SequenceNode):
        return [
            _build(item, (*loc, index), lines, problems, seen, shown) for index, item in enumerate(node.value)
        ]
    value = str(node.value)
    if isinstance(node, yaml.ScalarNode) and node.style is None and value in _NULLS:
        return None
    return value


def _yaml_kind(value: Any) -> str:
    return "list" if isinstance(value, list) else "single value"


def _dotted(loc: Loc) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text or "(top level)"


def _describe(error: pydantic.ValidationError, lines: dict[Loc, int], shown: str) -> list[str]:
    problems = []
    details = [detail for detail in error.errors() if detail.get("input") is not REPORTED]
    located = [
        _drop_union_branches(tuple(part for part in detail["loc"] if isinstance(part, str | int)))
        for detail in details
    ]
    # A misspelt field (`emial:`) is also a required one missing (`email`): said once, as the misspelling.
    kinds = [detail["type"] for detail in details]
    meant = {
        (*loc[:-1], name)
        for loc, kind in zip(located, kinds, strict=True)
        if kind == "extra_forbidden" and (name := _meant(loc))
    }
    for detail, loc in zip(details, located, strict=True):
        line = _line_of(loc, lines)
        message = detail["msg"].removeprefix("Value error, ")
        if detail["type"] == "extra_forbidden":
            message = "unknown field" + _did_you_mean(loc)
        elif detail["type"] == "missing" and loc in meant:
            continue
        elif detail["type"] == "missing":
            message = "is empty; write its value" if loc in lines else "required field is missing"
            message += _described(loc)
        else:
            message = _plainly(detail["type"], loc, message, detail.get("input"))
        problems.append(f"{shown}:{line}: {_dotted(loc)}: {message}")
    return problems


_AS_WRITTEN = {  # pydantic's error types -> what to write instead, for a reader of little English
    "date": "write the date as YYYY-MM-DD, e.g. 2024-03-11 (日期格式 2024-03-11)",
    "decimal_parsing": "write the amount as a plain number, e.g. 1234.50, without a currency sign or "
    "thousands separators (金额只写数字); the currency goes in its own field",
    "decimal_type": "write the amount as a plain number, e.g. 1234.50 (金额只写数字)",
    "bool_parsing": "write the English word true (是) or false (否)",
    "decimal_max_places": "write at most two decimal places, e.g. 12345.61 (最多两位小数)",
    "list_type": "write a list in ordinary square brackets, e.g. [authorised_reseller, own_brand], or one "
    "item a line, each starting with “- ” (列表用半角方括号 [ ])",
    "int_parsing": "write a whole number in ordinary digits, e.g. 14 (请用半角数字)",
}


def as_typed(value: str, most: int = 60) -> str:
    """A value quoted in a message: characters that cannot be printed shown as codes (a line break or a
    control character would break the message apart), a long one shortened."""
    shown = "".join(char if char.isprintable() else f"\\u{ord(char):04x}" for char in value)
    return shown if len(shown) <= most else shown[: most - 1] + "…"


def _plainly(kind: str, loc: Loc, message: str, value: object) -> str:
    """pydantic's message, or what to write instead, with the value as typed (a full-width comma, a
    currency sign, a Chinese date or a section's only line without a space after its colon is then seen
    at once)."""
    typed = f"; you wrote “{as_typed(value)}”" if isinstance(value, str) and value.strip() else ""
    if kind.startswith("date_"):
        impossible = _no_such_day(value)
        return impossible + typed if impossible else _AS_WRITTEN["date"] + typed
    if kind in _AS_WRITTEN:
        return _AS_WRITTEN[kind] + typed
    if kind == "string_pattern_mismatch" and loc and loc[-1] in _PATTERNS:
        return _PATTERNS[str(loc[-1])] + typed
    comma = "; separate the items with an ordinary comma (, not ，)" if "，" in str(value) else ""
    if kind == "enum" and "grounds" in loc:
        return _ground_message(value, typed) + comma
    if kind in ("enum", "literal_error", "string_pattern_mismatch"):
        return message + typed + comma
    one_text = value if isinstance(value, str) and kind in ("model_type", "dict_type") else None
    unspaced = _NO_SPACE.match(one_text) if one_text is not None else None
    if unspaced:  # `bundle:` over `  freeze_narrowing:true` alone: YAML read one text, not a section
        name, after = unspaced.groups()
        return f"{message}{typed}; put a space after the colon (冒号后加空格): “{name}: {_shortly(after)}”"
    chinese = _CHINESE_COLON.match(one_text) if one_text is not None else None
    if chinese:  # `counsel:` over `  firm：Harbor & Vance LLP` alone
        name, after = chinese.groups()
        return (
            f"this is a section of “name: value” lines (应为“名称: 值”){typed}: after “{name}” is a Chinese "
            f"colon “：”; type an ordinary colon and a space (英文冒号加空格): “{name}: {_shortly(after)}”"
        )
    if kind == "model_type" and isinstance(value, str):  # `- evidence/x.pdf` where `- file: ...` goes
        entry = "evidence" in loc
        example = " (“- file: evidence/invoice.pdf”, then “title: ...” below it)" if entry else ""
        return (
            f"{'an evidence entry' if entry else 'this'} is a section of “name: value” lines, not a single "
            f"value{typed}; write it as cases/example/case.yaml does{example}"
        )
    return message


_PATTERNS = {
    "currency": "write a three-letter currency code such as USD or CNY (币种代码，如 CNY)",
    "bates_prefix": "write at most 20 English letters, digits, - or _, e.g. LUMIERE "
    "(只能用英文字母、数字、-或_，最多20个)",
    "name": "write a short name of English letters, digits, - or _, starting with a letter, e.g. lawyer "
    "(名称只能用英文字母、数字、-或_，以字母开头)",
}
"""What to write in a field of a fixed form, instead of pydantic's pattern."""


def _ground_message(value: object, typed: str) -> str:
    """Which grounds there are, each with its Chinese name; and which ones the Chinese names typed mean
    (`自有品牌，冻结金额过高`: both), when each is one."""
    choices = ", ".join(f"{ground.value} ({name})" for ground, name in GROUNDS_ZH.items())
    words = value.strip() if isinstance(value, str) else ""
    meant = [_ground_named(part) for part in re.split(r"[，,、;；/／\s]+", words) if part]
    said = typed
    if meant and all(meant):
        said = f"; for “{words}” write {', '.join(ground.value for ground in meant if ground)}"
    return f"write one of the grounds in English: {choices}{said}"


def _ground_named(words: str) -> Ground | None:
    """The ground a Chinese name means: the name, the start of one (`授权`), or words holding it."""
    return next(
        (
            ground
            for ground, name in GROUNDS_ZH.items()
            if name in words or (len(words) > 1 and name.startswith(words))
        ),
        None,
    )


def _no_such_day(value: object) -> str:
    """What is wrong with a date written as asked (YYYY-MM-DD) that is no day of the calendar (2026-02-30,
    2025-13-01); "" when it is written otherwise, or is a day."""
    written = re.fullmatch(r"\s*(\d{4})-(\d{2})-(\d{2})\s*", value) if isinstance(value, str) else None
    if written is None:
        return ""
    year, month, day = (int(part) for part in written.groups())
    if not 1 <= month <= 12:
        return f"there is no month {month}: the middle number is the month, 01 to 12 (月份为01-12)"
    days = calendar.monthrange(year, month)[1]
    if not 1 <= day <= days:
        name = calendar.month_name[month]
        return f"{name} {year} has {days} days, so there is no day {day} (该月只有{days}天)"
    return ""


def _sorted(problems: list[str]) -> list[str]:
    """Order problems by line number, as an editor would list them."""

    def line(problem: str) -> int:
        number = problem.split(":")[1] if problem.count(":") >= 2 else ""
        return int(number) if number.isdigit() else 0

    return sorted(problems, key=line)


def _drop_union_branches(loc: Loc) -> Loc:
    """pydantic adds the branch of a union (`function-after[...]`) to a location; users never typed it."""
    return tuple(part for part in loc if not (isinstance(part, str) and ("[" in part or part == "none")))


def _line_of(loc: Loc, lines: dict[Loc, int]) -> int:
    for end in range(len(loc), -1, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return 1


def _did_you_mean(loc: Loc) -> str:
    model = _model_at(loc[:-1])
    if model is None or not loc or not isinstance(loc[-1], str):
        return ""
    close = _meant(loc)
    return f"; did you mean '{close}'?" if close else f"; allowed here: {', '.join(model.model_fields)}"


def _meant(loc: Loc) -> str:
    """The field an unknown field's name is most likely a misspelling of, or ""."""
    model = _model_at(loc[:-1])
    if model is None or not loc or not isinstance(loc[-1], str):
        return ""
    close = difflib.get_close_matches(loc[-1], list(model.model_fields), n=1, cutoff=0.6)
    return close[0] if close else ""


def _described(loc: Loc) -> str:
    """What a required field holds, as the model describes it (`: The court, in full, ...`), or ""."""
    model = _model_at(loc[:-1])
    field = model.model_fields.get(loc[-1]) if model is not None and isinstance(loc[-1], str) else None
    return f" ({field.description.rstrip('.')})" if field is not None and field.description else ""


def _model_at(loc: Loc) -> type[pydantic.BaseModel] | None:
    """The model class that validates the mapping at `loc`, for suggesting field names."""
    model: type[pydantic.BaseModel] = CaseFile
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        if field is None:
            return None
        found = model_in(field.annotation)
        if found is None:
            return None
        model = found
    return model


def strings_of(data: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Every string in `data` (the case model, or a part of it) with its field's dotted path:
    `merchant.address`, `evidence[2].description` (`Case.at` names its line)."""
    if isinstance(data, str):
        yield path, data
    elif isinstance(data, pydantic.BaseModel):
        for name in type(data).model_fields:
            yield from strings_of(getattr(data, name), f"{path}.{name}" if path else name)
    elif isinstance(data, Mapping):
        for key, value in data.items():
            yield from strings_of(value, f"{path}.{key}" if path else str(key))
    elif isinstance(data, list | tuple):
        for index, value in enumerate(data):
            yield from strings_of(value, f"{path}[{index}]")
