"""Render the documents: find each template (the case's own first, then the defaults) and merge the data.

The engine follows the template's extension: `.docx` through docxtpl, `.html` and `.txt` through Jinja2.
Both run in Jinja's sandbox with StrictUndefined and escaping on, so a missing variable is an error that
names the template, and `&`, `<` or `{{ 7*7 }}` typed in case.yaml come out exactly as typed: case data is
only ever a value, never a template.
"""

from __future__ import annotations

import contextlib
import dataclasses
import difflib
import inspect
import logging
import re
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment
from pydantic import BaseModel

from pipeline.cache import Cache
from pipeline.context import FILTERS, Context
from pipeline.errors import TemplateError
from pipeline.limits import DEFAULT_TIMEOUT, time_limit
from pipeline.load import display_path
from pipeline.model import (
    BundleSettings,
    CaseDetails,
    CaseFile,
    Counsel,
    IPRight,
    Language,
    Merchant,
    Money,
    Platform,
    Position,
    Product,
    Request,
)

log = logging.getLogger(__name__)

DOCUMENTS = ("appeal_letter", "cs_inquiry", "evidence_index")
"""The documents of every build, in bundle order; each is rendered from `<name>.docx` or `<name>.html`."""

NARROWING_DOCUMENTS = ("narrowing_request", "declaration")
"""Added after them by `bundle.freeze_narrowing: true`: the request to the plaintiff's counsel to narrow the
asset freeze to the accused revenue, and the declaration of the accused sales under 28 U.S.C. § 1746."""


def documents_of(data: CaseFile) -> tuple[str, ...]:
    """The documents a build of the case makes, in bundle order."""
    return DOCUMENTS + (NARROWING_DOCUMENTS if data.bundle.freeze_narrowing else ())


ADDRESSED = ("appeal_letter", "cs_inquiry")
"""The documents addressed to the platform, or for Amazon to the plaintiff's counsel."""


def read_in_english(name: str, data: CaseFile) -> bool:
    """Whether the readers of document `name` read English whatever the case's language: the request goes
    to the plaintiff's American counsel and the declaration to an American court; for Amazon, the letter
    and the inquiry go to the plaintiff's counsel (Amazon does not answer appeals about a TRO) or to
    Amazon's legal team."""
    return name in NARROWING_DOCUMENTS or (name in ADDRESSED and data.merchant.platform == Platform.AMAZON)


def for_its_readers(name: str, context: Context) -> Context:
    """The context a document is rendered in: in a Chinese case, one `read_in_english` is bilingual,
    English with the Chinese after each paragraph (and the declaration's certificate of translation),
    never Chinese alone."""
    if context.lang == Language.ZH and read_in_english(name, context.data):
        return dataclasses.replace(context, lang=Language.BILINGUAL)
    return context


EDITOR_DEBRIS = ("~$", ".~lock.", ".#")
"""Files editors keep beside the ones they edit (Word's `~$letter.docx`, LibreOffice's lock files,
Emacs's `.#case.yaml`): they come and go while a user types, and are not inputs (`--watch` passes them by)."""


def not_a_template(name: str) -> bool:
    """Whether a file of a templates folder is one no template can use: editors' debris, hidden files
    (`.DS_Store`, an editor's swap file), backups (`letter.html~`), Windows' Thumbs.db, ehthumbs.db and
    desktop.ini, the `file.pdf:Zone.Identifier` Windows adds beside a download copied into WSL, macOS's
    `Icon\r`. They made the bundle out of date for `send`, and a bundle built with one sent again as a new
    one."""
    return (
        name.startswith((".", *EDITOR_DEBRIS))
        or name.endswith(("~", ":Zone.Identifier"))
        or name.lower() in ("thumbs.db", "ehthumbs.db", "desktop.ini", "icon\r")
    )


TEXT_DOCUMENTS = ("cs_inquiry",)
"""Documents that also have a plain-text version (`<name>.txt`), for pasting into a chat window."""

NOT_UTF8 = "the template is not UTF-8 text; save it as UTF-8"


class Engine(StrEnum):
    """How a template is rendered, chosen by its extension."""

    DOCX = ".docx"
    HTML = ".html"
    TEXT = ".txt"


@dataclass(frozen=True)
class TemplateFile:
    """A template found for a document."""

    document: str
    path: Path
    engine: Engine


@dataclass(frozen=True)
class Rendered:
    """A rendered document: a `.docx` or `.html` file ready to convert, or a `.txt` ready to ship."""

    template: TemplateFile
    path: Path


def default_templates_folder() -> Path:
    """The templates that ship with the package (inside the wheel) or sit at the top of a clone."""
    packaged = Path(__file__).parent / "templates"
    if packaged.is_dir():
        return packaged
    return Path(__file__).parent.parent / "templates"


class Templates:
    """The template folders of one case, searched in order: the case's own, then the defaults."""

    def __init__(
        self,
        case_templates: Path,
        defaults: Path | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        cache: Cache | None = None,
    ) -> None:
        """With a `cache`, Jinja keeps compiled templates there for the next build (checking each
        template's source before reusing its code), and rendered Word documents are reused."""
        linked = outside(case_templates, case_templates.parent)
        if linked is not None:  # its templates, their includes and pictures would all be read from there
            raise TemplateError(
                f"{display_path(case_templates)}: a link to {linked}, outside the case folder; copy the "
                "templates into the case's own templates/ folder instead of linking to them"
            )
        self.folders = [case_templates, defaults or default_templates_folder()]
        self.timeout = timeout
        self.cache = cache or Cache(None)
        loader = jinja2.ChoiceLoader([_OneFolder(folder) for folder in self.folders if folder.is_dir()])
        bytecode_cache = None
        with contextlib.suppress(OSError):  # no cache folder: templates are compiled each time
            if self.cache.folder is not None:
                compiled = self.cache.folder / "jinja"
                compiled.mkdir(parents=True, exist_ok=True)
                bytecode_cache = jinja2.FileSystemBytecodeCache(str(compiled))
        options: dict[str, Any] = {
            "loader": loader,
            "bytecode_cache": bytecode_cache,
            "undefined": jinja2.StrictUndefined,
            "keep_trailing_newline": True,
            "trim_blocks": True,
            "lstrip_blocks": True,
        }
        self.html_env = SandboxedEnvironment(autoescape=True, **options)
        self.text_env = SandboxedEnvironment(autoescape=False, **options)
        # A Word template stands alone: its `{% include %}` or `{% extends %}` finds no template.
        self.docx_env = SandboxedEnvironment(
            loader=jinja2.DictLoader({}), undefined=jinja2.StrictUndefined, autoescape=True
        )
        for env in (self.html_env, self.text_env, self.docx_env):
            env.filters.update(FILTERS)

    def find(self, document: str, engines: tuple[Engine, ...] = (Engine.DOCX, Engine.HTML)) -> TemplateFile:
        """The template for `document`: the first folder that has one wins; two in one folder is an error,
        and so is a link to a file outside the folder. A file of the case's folder named almost so
        (`Appeal_Letter.docx`, `appeal_letter.dotx`) is not used, and a warning says so."""
        _warn_of_near_names(self.folders[0], document, engines)
        for folder in self.folders:
            found = [folder / f"{document}{engine.value}" for engine in engines]
            found = [path for path in found if path.is_file()]
            if len(found) > 1:
                names = " and ".join(path.name for path in found)
                raise TemplateError(
                    f"{display_path(folder)}: both {names} exist; keep the one you want to use"
                )
            if found:
                _refuse_links_out(found[0], folder)
                return TemplateFile(document, found[0], Engine(found[0].suffix.lower()))
        wanted = " or ".join(f"{document}{engine.value}" for engine in engines)
        raise TemplateError(f"no template {wanted} in {' or '.join(map(display_path, self.folders))}")

    def render(self, template: TemplateFile, context: Context, out_folder: Path) -> Rendered:
        """Render `template` into `out_folder`, as `<document><ext>`."""
        target = out_folder / f"{template.document}{template.engine.value}"
        too_slow = lambda: TemplateError(  # noqa: E731
            f"{display_path(template.path)}: rendering took longer than {self.timeout:g} s and was stopped; "
            "does a loop in the template repeat without end?"
        )
        with time_limit(self.timeout, too_slow):
            if template.engine == Engine.DOCX:
                self._render_docx(template, context, target)
            else:
                env = self.html_env if template.engine == Engine.HTML else self.text_env
                target.write_text(_render_jinja(env, template, context.variables()), encoding="utf-8")
        return Rendered(template, target)

    def _render_docx(self, template: TemplateFile, context: Context, target: Path) -> None:
        """docxtpl's rendering, or its result of an earlier build: the same template and the same data
        give the same document."""
        key = self.cache.key("docx", template.path.read_bytes(), context.fingerprint())
        entry = self.cache.get(key)
        if entry is not None:
            shutil.copyfile(entry.file, target)
            notes = entry.meta.get("warnings", [])
        else:
            from pipeline.word import render_docx  # (docxtpl is imported only when a Word template is used)

            notes = render_docx(template, context.variables(), self.docx_env, target)
            self.cache.put(key, target, {"warnings": notes})
        for note in notes:
            log.warning("%s", note)

    def parse_errors(self) -> list[TemplateError]:
        """The errors of every HTML and text template of the folders that cannot be parsed, those no build
        renders included (`build-appeal check`)."""
        errors = []
        for folder in self.folders:
            for path in sorted(folder.glob("*")) if folder.is_dir() else []:
                if path.suffix.lower() not in (Engine.HTML.value, Engine.TEXT.value):
                    continue
                env = self.html_env if path.suffix.lower() == Engine.HTML.value else self.text_env
                try:
                    _refuse_links_out(path, folder)
                    env.parse(path.read_text(encoding="utf-8"), path.name, str(path))
                except jinja2.TemplateSyntaxError as error:
                    where = _where(str(path), error.lineno)
                    errors.append(TemplateError(f"{where}: template syntax error: {syntax_message(error)}"))
                except UnicodeDecodeError:
                    errors.append(TemplateError(f"{display_path(path)}: {NOT_UTF8}"))
                except TemplateError as error:
                    errors.append(error)
        return errors


def outside(path: Path, folder: Path) -> Path | None:
    """Where `path` really is when that is outside `folder`: it is a link, or lies in a linked folder."""
    real = path.resolve()
    return None if real.is_relative_to(folder.resolve()) else real


def _refuse_links_out(path: Path, folder: Path) -> None:
    """Refuse a template of `folder` that is really a file elsewhere on the machine."""
    real = outside(path, folder)
    if real is not None:
        raise TemplateError(
            f"{display_path(path)}: a link to {real}, outside {display_path(folder)}; copy the file itself "
            "into that folder instead of linking to it"
        )


class _OneFolder(jinja2.FileSystemLoader):
    """Jinja's loader of one templates folder, which refuses a template that is a link to a file outside
    the folder, or lies in a linked folder pointing out (`{% include "leak.txt" %}` printed whatever file
    leak.txt linked to). Jinja itself finds no template by an absolute or `../` name."""

    def __init__(self, folder: Path) -> None:
        super().__init__(str(folder))
        self.folder = folder

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        path = self.folder.joinpath(*jinja2.loaders.split_template_path(template))
        if path.is_file():  # before it is read
            _refuse_links_out(path, self.folder)
        return super().get_source(environment, template)


NEAR_SUFFIXES = {
    Engine.DOCX: (".docx", ".dotx", ".docm", ".dotm", ".doc", ".dot"),
    Engine.HTML: (".html", ".htm"),
    Engine.TEXT: (".txt",),
}
"""What a user may save a template as, for each engine: only the exact `<document><engine>` is used."""


def _warn_of_near_names(folder: Path, document: str, engines: tuple[Engine, ...]) -> None:
    """Warn of each file of `folder` that looks meant as the template of `document` but is not used."""
    if not folder.is_dir():
        return
    wanted = [f"{document}{engine.value}" for engine in engines]
    for path in sorted(folder.iterdir()):
        near = [
            name
            for engine, name in zip(engines, wanted, strict=True)
            if path.stem.lower() == document and path.suffix.lower() in NEAR_SUFFIXES[engine]
        ]
        exact = [name for name in near if (folder / name).is_file() and (folder / name).samefile(path)]
        if near and not exact and path.name not in wanted:
            log.warning(
                "%s: this file is not used: a template must be named exactly %s%s",
                display_path(path),
                " or ".join(wanted),
                " (in Word: Save As, Word Document (.docx))" if Engine.DOCX in engines else "",
            )


def _render_jinja(env: jinja2.Environment, template: TemplateFile, variables: dict[str, Any]) -> str:
    try:
        # Through the loader, so the file name and line numbers reach Jinja's errors.
        return env.get_template(template.path.name).render(variables)
    except jinja2.TemplateSyntaxError as error:
        where = _where(error.filename or str(template.path), error.lineno)
        raise TemplateError(f"{where}: template syntax error: {syntax_message(error)}") from error
    except (MemoryError, TemplateError):  # the machine's limit, not the template's (a stop, or the time
        raise  # limit, is no Exception); a template the loader refused, as the loader said it
    except Exception as error:  # whatever the template's expressions and filters raise: the template's
        filename, line = failing_template_line(error)
        where = _where(filename or str(template.path), line)
        raise TemplateError(f"{where}: {explain(error, env.filters)}") from error


def _where(filename: str, line: int | None) -> str:
    shown = display_path(Path(filename))
    return f"{shown}:{line}" if line else shown


def failing_template_line(error: BaseException) -> tuple[str | None, int | None]:
    """The innermost template frame of the traceback: Jinja rewrites it to name the template and line."""
    found: tuple[str | None, int | None] = (None, None)
    tb = error.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if _is_template(filename):
            found = (None if filename == "<template>" else filename, tb.tb_lineno)
        tb = tb.tb_next
    return found


def _is_template(filename: str) -> bool:
    return filename == "<template>" or filename.endswith((".html", ".txt", ".css", ".xml"))


def _failing_filter(error: BaseException, filters: Mapping[str, Any]) -> tuple[str, Any] | None:
    """The innermost filter running below the innermost template frame when `error` was raised, and the
    value it was given (its first argument but Jinja's environment or context); None when the template
    itself raised it."""
    codes = {name: getattr(inspect.unwrap(function), "__code__", None) for name, function in filters.items()}
    names = {code: name for name, code in codes.items() if code is not None}
    found = None
    tb = error.__traceback__
    while tb is not None:
        code = tb.tb_frame.f_code
        if _is_template(code.co_filename):
            found = None
        elif code in names:
            given = [tb.tb_frame.f_locals.get(name) for name in code.co_varnames[: code.co_argcount]]
            values = [value for value in given if not isinstance(value, _JINJA_STATE)]
            found = (names[code], values[0] if values else None)
        tb = tb.tb_next
    return found


_JINJA_STATE = (jinja2.Environment, jinja2.runtime.Context, jinja2.nodes.EvalContext)
"""What Jinja passes to some of its filters before the value."""


_NO_ATTRIBUTE = re.compile(r"'pipeline\.model\.(\w+) object' has no attribute '([^']*)'")
"""Jinja's message for a field a section of the case does not have, the class named as Python knows it."""

TEMPLATE_NAMES: dict[type[BaseModel], str] = {
    Merchant: "`merchant`",
    CaseDetails: "`case`",
    Counsel: "`case.counsel`",
    IPRight: "each of `case.ip_rights`",
    Money: "Money",
    Product: "each of `products`",
    Position: "`position`",
    Request: "each of `requests`",
    BundleSettings: "`bundle`",
}
"""The sections of the case templates are given, each as docs/templates.md names it."""


def _no_such_field(message: str) -> str | None:
    """Jinja's "'pipeline.model.CaseDetails object' has no attribute 'numbr'" with the object as the
    templates know it, and the field perhaps meant: "`numbr` is not a field of `case`; did you mean
    `number`?"; None for any other message."""
    match = _NO_ATTRIBUTE.fullmatch(message)
    found = [model for model in TEMPLATE_NAMES if match and model.__name__ == match.group(1)]
    if match is None or not found:
        return None
    name = match.group(2)
    meant = difflib.get_close_matches(name, list(found[0].model_fields), n=1)
    if meant:
        return f"`{name}` is not a field of {TEMPLATE_NAMES[found[0]]}; did you mean `{meant[0]}`?"
    return f"`{name}` is not a field of {TEMPLATE_NAMES[found[0]]} (docs/templates.md lists them)"


TYPED_IN_CHINESE = {"。": ".", "【": "[", "】": "]", "《": "<", "》": ">"}
"""What a Chinese input method types for these keys: a template's code typed in that mode holds them."""


def half_width(char: str) -> str | None:
    """The character a Chinese input method typed `char` for: a full-width form of ASCII (U+FF01 to U+FF5E:
    `（`, `ｃ`) or a Chinese punctuation mark (`。` for `.`); None for any other character."""
    if "\uff01" <= char <= "\uff5e":
        return chr(ord(char) - 0xFEE0)
    return TYPED_IN_CHINESE.get(char)


_QUOTE_TYPED = {"“": '"', "”": '"', "‘": "'", "’": "'"}
"""The quotes a Chinese input method types for `"` and `'`, which a tag's strings must be written in."""
_UNEXPECTED_CHAR = re.compile(r"unexpected char '(.)' at \d+")


def syntax_message(error: jinja2.TemplateSyntaxError) -> str:
    """Jinja's message for a syntax error; where it is a character typed in Chinese input mode
    (`{{ case。number }}`: "unexpected char '。' at 1532", an offset no editor shows), what to type."""
    message = error.message or "template syntax error"
    typed = _UNEXPECTED_CHAR.fullmatch(message)
    if typed is None or typed.group(1).isascii():
        return message
    meant = half_width(typed.group(1)) or _QUOTE_TYPED.get(typed.group(1))
    if meant is None:  # (`￥`, `、`: no character of a tag's code)
        return (
            f"“{typed.group(1)}” cannot be in a tag's code (typed in Chinese input mode?); type the tag in "
            "English input mode (半角), or leave the character out"
        )
    return (
        f"“{typed.group(1)}” in a tag is a Chinese (全角) character; type it in English input mode (半角): "
        f"“{meant}”"
    )


def explain(error: BaseException, filters: Mapping[str, Any]) -> str:
    if isinstance(error, jinja2.TemplateNotFound):
        return (
            f"no template named {error.name!r} in the template folders; a template can include or extend "
            "only files in the case's templates/ folder or the default templates"
        )
    if isinstance(error, RecursionError):
        return "the template calls itself without end (a macro or include that never stops)"
    if isinstance(error, jinja2.UndefinedError):
        return _no_such_field(str(error.message)) or (
            f"{error.message}: no such variable or field (docs/templates.md lists them)"
        )
    if isinstance(error, UnicodeDecodeError):
        return NOT_UTF8
    if isinstance(error, jinja2.TemplateError):
        return str(error.message or error)
    if isinstance(error, OverflowError):  # the sandbox's "Range too big. ..."
        return str(error)
    kind = type(error).__name__
    failed = _failing_filter(error, filters)
    if failed is None:  # raised by the template's own expression: {{ 1/0 }}, {{ "a" + 1 }}
        return f"{error} ({kind})" if str(error) else kind
    name, value = failed
    detail = f"{kind}: {error}" if str(error) else kind
    shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
    return f"the filter {name} cannot take {shown} ({detail}); docs/templates.md says what each filter takes"
