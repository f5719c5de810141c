"""Word templates: docxtpl renders them, with the clean-up a document edited in Word needs around it.

Before docxtpl sees the document, Word's tracked changes are accepted and its comments removed (LibreOffice
would print the one, and its session crashes on the other), its protection against editing and Track
Changes are turned off (the rendered copy is for editing), tags docxtpl would silently cut text at or print
as typed (braces typed full-width, `｛｛`) are refused, and so are full-width characters in a tag's code;
curly quotes inside a tag's strings are kept as text. After, nothing in the document may load a picture, a
template or text from outside it, and its properties are plain text. Errors name the paragraph as Word
counts them.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import jinja2

from pipeline.errors import TemplateError
from pipeline.load import display_path
from pipeline.office_copy import FETCHING_FIELDS, HYPERLINK, WORD_MAIN, file_names_shown, without_comments
from pipeline.render import TemplateFile, explain, failing_template_line, half_width, syntax_message


def render_docx(
    template: TemplateFile, variables: dict[str, Any], env: jinja2.Environment, target: Path
) -> list[str]:
    """Render a Word template into `target`; return the warnings about it.

    Before docxtpl sees the document, Word's tracked changes are accepted and its comments removed
    (LibreOffice would print the one, and crashes on the other), its protection against editing and Track
    Changes turned off, tags docxtpl would silently cut text at or print as typed are refused, and curly
    quotes inside a tag's strings are kept as text (docxtpl would straighten them into the end of the
    string). The rendered document keeps nothing that loads a file or web address (a picture linked
    rather than inserted, an INCLUDEPICTURE field): LibreOffice would fetch it, and the platform would be
    sent the link."""
    from docxtpl import DocxTemplate  # heavy import, only when a Word template is used

    shown = display_path(template.path)
    unreadable = _unreadable_word_file(template.path)
    if unreadable:
        raise TemplateError(f"{shown}: not a Word document docxtpl can read: {unreadable}")
    try:
        document = DocxTemplate(str(template.path))
        document.init_docx()
        parts = _word_parts(document)
        notes = []
        if sum([_accept_revisions(root) for _, root in parts]):
            notes.append(f"{shown}: tracked changes were accepted; accept or reject them in Word to choose")
        if _drop_comments(document, parts):
            notes.append(
                f"{shown}: its Word comments were removed from the rendered {template.document}.docx"
            )
        for _, root in parts:  # (else LibreOffice prints the name of the build's temporary copy)
            file_names_shown(root, f"{template.document}.docx")
        restrictions = _drop_restrictions(document)
        if restrictions:
            listed = restrictions[-1]
            if len(restrictions) > 1:
                listed = f"{', '.join(restrictions[:-1])} and {listed}"
            notes.append(
                f"{shown}: its {listed} {'were' if len(restrictions) > 1 else 'was'} removed from the "
                f"rendered {template.document}.docx, which is for editing"
            )
        paragraphs = numbered_paragraphs(parts)
        notes += [
            f"{shown}, {label}: the tag {tag} is split across {runs} pieces of Word formatting; it still "
            "works, but to be safe select the whole tag, cut it and type it again in one go"
            for label, tag, runs in split_tags(paragraphs)
        ]
    except Exception as error:  # a damaged .docx: zipfile, lxml, KeyError for a missing part
        raise TemplateError(f"{shown}: not a Word document docxtpl can read: {error}") from error
    problems = tag_problems(paragraphs)
    if problems:
        raise TemplateError(f"{shown}, {problems[0]}")
    shown_paragraphs = [(label, _text_of(paragraph)) for label, paragraph in paragraphs]
    for index, (_, paragraph) in enumerate(paragraphs):
        _keep_quotes_in_strings(paragraph)
        _mark(paragraph, index)
    properties = _take_properties(document)
    try:
        document.render(variables, jinja_env=env, autoescape=True)
    except MemoryError:
        raise
    except Exception as error:  # the template's tags, expressions and filters, and the data they were given
        if isinstance(error, jinja2.TemplateSyntaxError):  # (an XML error's lineno is no Jinja line)
            opened = unclosed_block(parts) if "Unexpected end of template" in str(error.message) else None
            if opened:  # Jinja names the end of the document, not where the block opens
                label, tag, end = opened
                raise TemplateError(
                    f"{shown}, {label}: the tag “{tag}” is never closed: add a {end} where the part it "
                    "governs ends"
                ) from error
            where = _docx_paragraph(document, error.lineno, shown_paragraphs)
            raise TemplateError(f"{shown}{where}: template syntax error: {syntax_message(error)}") from error
        where = _docx_paragraph(document, failing_template_line(error)[1], shown_paragraphs)
        if isinstance(error, jinja2.TemplateNotFound):
            raise TemplateError(
                f"{shown}{where}: a Word template cannot include, import or extend another template "
                f"({error.name!r}); write the text into the document itself"
            ) from error
        raise TemplateError(f"{shown}{where}: error: {explain(error, env.filters)}") from error
    _render_properties(document, properties, variables, env, shown)
    notes += _without_links_out(document, shown, template.document)
    document.save(str(target))
    return notes


PROPERTIES = ("author", "comments", "identifier", "language", "subject", "title")
"""The core properties (in Word: File, Info) docxtpl renders as templates."""

PROPERTY_LIMIT = 255
"""python-docx refuses a core property longer than this."""


def _take_properties(document: Any) -> dict[str, str]:
    """The core properties docxtpl would render, emptied so that it renders nothing: it renders them as
    XML, escaped (a title "Declaration of Wang O&#39;Neil &amp; ..." once python-docx escaped it again),
    and fails on a value longer than python-docx takes."""
    core = document.docx.core_properties
    taken = {name: getattr(core, name) for name in PROPERTIES}
    for name in taken:
        setattr(core, name, "")
    return taken


def _render_properties(
    document: Any, properties: dict[str, str], variables: dict[str, Any], env: jinja2.Environment, shown: str
) -> None:
    """Render the core properties as plain text (python-docx escapes them as it writes the XML), each cut
    to python-docx's limit: a long name in a title is no reason to stop the build."""
    core = document.docx.core_properties
    plain = env.overlay(autoescape=False)
    for name, source in properties.items():
        try:
            text = plain.from_string(source).render(variables) if source else ""
        except MemoryError:
            raise
        except Exception as error:  # as in the text: the template's problem
            raise TemplateError(
                f"{shown}, its document property {name} (in Word: File, Info): error: "
                f"{explain(error, env.filters)}"
            ) from error
        cut = text if len(text) <= PROPERTY_LIMIT else text[: PROPERTY_LIMIT - 1] + "…"
        setattr(core, name, cut)


_R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_BLIP = "{http://schemas.openxmlformats.org/drawingml/2006/main}blip"


def _without_links_out(document: Any, shown: str, name: str) -> list[str]:
    """Remove from the rendered document whatever loads a file or web address, and say so: every external
    relationship but a hyperlink (a picture linked rather than inserted, an attached template), with the
    references to it, in every part; every field of `FETCHING_FIELDS`, keeping the text or picture Word
    last showed for it. Links to web pages in the text stay: they fetch nothing."""
    from docx.oxml import parse_xml
    from lxml import etree

    notes = []
    package = document.docx.part.package
    for source in [package, *package.iter_parts()]:
        dropped = {
            key: relationship.target_ref
            for key, relationship in source.rels.items()
            if relationship.is_external and not relationship.reltype.endswith(HYPERLINK)
        }
        for key, target in dropped.items():
            source.rels.pop(key)
            notes.append(
                f"{shown}: left out what it links to outside itself ({target}); put such a picture into the "
                "template itself (in Word: Insert, Pictures, This Device)"
            )
        if source is package:
            continue
        content_type = str(source.content_type)
        if hasattr(source, "element"):
            root = source.element
        elif "wordprocessingml" in content_type and content_type.endswith("+xml"):  # footnotes, endnotes
            root = parse_xml(source.blob)
        else:
            continue
        changed = _drop_references(root, set(dropped))
        fields = _drop_fetching_fields(root)
        notes += [
            f"{shown}: the field “{code}” was removed from the rendered {name}.docx, as it loads a file or "
            "web address; put the picture or text itself into the template"
            for code in fields
        ]
        if (changed or fields) and not hasattr(source, "element"):
            source._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    return notes


def _drop_references(root: Any, keys: set[str]) -> bool:
    """Remove what in `root` names a relationship of `keys`: a picture's `r:link` (the picture's frame
    stays, empty), any other element with its `r:id` (an attached template, a linked VML picture)."""
    found = [
        (element, attribute)
        for element in (root.iter() if keys else ())
        for attribute, value in element.attrib.items()
        if attribute.startswith(_R) and value in keys
    ]
    for element, attribute in found:
        if element.tag == _BLIP:
            element.attrib.pop(attribute, None)
        elif element.getparent() is not None:
            element.getparent().remove(element)
    return bool(found)


def _field_name(code: str) -> str:
    words = code.split()
    return words[0].upper() if words else ""


def _drop_fetching_fields(root: Any) -> list[str]:
    """Remove the fields of `FETCHING_FIELDS` from `root`, keeping their result (what Word showed for them
    when the template was saved); return their codes."""
    removed = []
    for simple in list(root.iter(f"{_W}fldSimple")):  # <w:fldSimple w:instr="..."> around its result
        code = " ".join(simple.get(f"{_W}instr", "").split())
        if _field_name(code) in FETCHING_FIELDS:
            removed.append(code)
            parent, position = simple.getparent(), simple.getparent().index(simple)
            for offset, child in enumerate([child for child in simple if child.tag != f"{_W}fldData"]):
                parent.insert(position + offset, child)
            parent.remove(simple)
    # A field of runs: fldChar begin, its code in instrText, fldChar separate, its result, fldChar end.
    contents = [child for run in root.iter(f"{_W}r") for child in run]
    fields: list[dict[str, Any]] = []
    opened: list[dict[str, Any]] = []
    for element in contents:
        kind = element.get(f"{_W}fldCharType") if element.tag == f"{_W}fldChar" else None
        if element.tag == f"{_W}instrText" and opened and opened[-1]["separate"] is None:
            opened[-1]["code"].append(element.text or "")
        elif kind == "begin":
            opened.append({"begin": element, "code": [], "separate": None})
        elif kind == "separate" and opened:
            opened[-1]["separate"] = element
        elif kind == "end" and opened:
            fields.append({**opened.pop(), "end": element})
    runs = set()
    for field in fields:
        code = " ".join("".join(field["code"]).split())
        if _field_name(code) not in FETCHING_FIELDS:
            continue
        removed.append(code)
        code_end = field["end"] if field["separate"] is None else field["separate"]
        first, last = contents.index(field["begin"]), contents.index(code_end)
        for element in [*contents[first : last + 1], field["end"]]:  # the code, nested fields in it included
            if element.getparent() is not None:
                runs.add(element.getparent())
                element.getparent().remove(element)
    for run in runs:  # a run left with nothing but its formatting
        if all(child.tag == f"{_W}rPr" for child in run) and run.getparent() is not None:
            run.getparent().remove(run)
    return removed


OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
"""How an old Word (.doc) file begins, and a password-protected .docx (Word encrypts it into such a file)."""


def _unreadable_word_file(path: Path) -> str | None:
    """Why `path` cannot be a .docx, in words a user can act on; None when it may be one."""
    import zipfile

    data = path.read_bytes()
    if data.startswith(OLE2):
        if "EncryptionInfo".encode("utf-16-le") in data:  # the stream an encrypted .docx keeps its keys in
            return "it is protected by a password; open it in Word and save it without a password"
        return "it is an old Word 97-2003 file (.doc); open it in Word and save it as Word Document (.docx)"
    if not zipfile.is_zipfile(path):
        return "the file is damaged (not a complete .docx); save it again in Word, or copy it again"
    return None


_W = WORD_MAIN
_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"


def _word_parts(document: Any) -> list[tuple[str, Any]]:
    """The XML trees docxtpl renders: ("", the body), then ("header", ...) and ("footer", ...)."""
    parts = [("", document.docx.element.body)]
    for relationship in document.docx.part.rels.values():
        if relationship.is_external:
            continue
        if relationship.reltype in (document.HEADER_URI, document.FOOTER_URI):
            kind = "header" if relationship.reltype == document.HEADER_URI else "footer"
            parts.append((kind, relationship.target_part.element))
    return parts


_REVISION_MARKS = (
    *("rPrChange", "pPrChange", "sectPrChange", "tblPrChange", "trPrChange", "tcPrChange", "tblGridChange"),
    *("tblPrExChange", "numberingChange", "cellIns", "cellDel"),
    *("moveFromRangeStart", "moveFromRangeEnd", "moveToRangeStart", "moveToRangeEnd"),
)


def _accept_revisions(root: Any) -> int:
    """Accept Word's tracked changes in `root`, as Word's Accept All Changes does: deleted text and rows
    go, inserted text stays as ordinary text, formatting changes are kept. Return how many there were."""
    names = ("del", "moveFrom", "ins", "moveTo", *_REVISION_MARKS)
    found = list(root.iter(*[f"{_W}{name}" for name in names]))
    for element in found:
        parent = element.getparent()
        name = element.tag[len(_W) :]
        if parent is None:
            continue
        if name in _REVISION_MARKS:
            parent.remove(element)
        elif parent.tag == f"{_W}trPr":  # a table row inserted or deleted
            parent.remove(element)
            if name in ("del", "moveFrom") and parent.getparent() is not None:
                row = parent.getparent()
                row.getparent().remove(row)
        elif parent.tag == f"{_W}rPr":  # a mark on a paragraph's end (its pilcrow) or a run
            parent.remove(element)
            paragraph = parent.getparent().getparent() if parent.getparent().tag == f"{_W}pPr" else None
            if name in ("del", "moveFrom") and paragraph is not None:
                _join_with_next(paragraph)
        elif name in ("del", "moveFrom"):
            parent.remove(element)
        else:  # ins, moveTo: their runs stay where they are
            position = parent.index(element)
            for offset, child in enumerate(list(element)):
                parent.insert(position + offset, child)
            parent.remove(element)
    return len(found)


def _join_with_next(paragraph: Any) -> None:
    """A deleted paragraph mark: the paragraph's text joins the next paragraph, which keeps its style."""
    following = paragraph.getnext()
    if following is None or following.tag != f"{_W}p":
        return
    properties = following.find(f"{_W}pPr")
    position = 0 if properties is None else 1
    for offset, child in enumerate([child for child in paragraph if child.tag != f"{_W}pPr"]):
        following.insert(position + offset, child)
    paragraph.getparent().remove(paragraph)


def _drop_comments(document: Any, parts: list[tuple[str, Any]]) -> bool:
    """Remove Word's comments (their anchors and the parts holding them); whether there were any."""
    found = False
    for _, root in parts:
        found |= without_comments(root)  # (the marks, as in an office exhibit's copy)
    for key, relationship in list(document.docx.part.rels.items()):
        if relationship.reltype.rsplit("/", 1)[-1].startswith("comments"):
            document.docx.part.drop_rel(key)
            found = True
    return found


_RESTRICTIONS = {
    "documentProtection": "editing restriction",
    "writeProtection": "password to modify",
    "trackRevisions": "Track Changes",
}
"""What Word's (or WPS's) settings may hold that makes a document open read-only, ask for a password, or
track every later edit (Review: Restrict Editing, Track Changes; Save As: Tools, General Options)."""


def _drop_restrictions(document: Any) -> list[str]:
    """Remove from the document's settings what `_RESTRICTIONS` names: the rendered letter is the user's
    to edit. Return the names of those that were in force (a protection not enforced, Track Changes set
    off, were not)."""
    settings = document.docx.settings.element
    dropped = []
    for name, shown in _RESTRICTIONS.items():
        for element in settings.findall(f"{_W}{name}"):
            if name == "documentProtection":  # (without w:enforcement, not enforced)
                on = element.get(f"{_W}enforcement", "0")
            else:  # w:writeProtection has no w:val: always in force
                on = element.get(f"{_W}val", "1")
            if on.lower() not in ("0", "false", "off"):
                dropped.append(shown)
            settings.remove(element)
    return list(dict.fromkeys(dropped))


def numbered_paragraphs(parts: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """The paragraphs of the parts, each with how messages name it: "paragraph 4" as Word counts the
    body's paragraphs (those of tables included), "header, paragraph 1", "the text box in paragraph 3".
    The copy of a text box Word keeps for old readers (mc:Fallback) is left out."""
    found = []
    for kind, root in parts:
        number = 0
        for paragraph in root.iter(f"{_W}p"):
            ancestors = list(paragraph.iterancestors())
            if any(ancestor.tag == _FALLBACK for ancestor in ancestors):
                continue
            if any(ancestor.tag == f"{_W}txbxContent" for ancestor in ancestors):
                label = f"the text box in paragraph {number}"
            else:
                number += 1
                label = f"paragraph {number}"
            found.append((f"{kind}, {label}" if kind else label, paragraph))
    return found


def _own_texts(paragraph: Any) -> list[Any]:
    """The paragraph's text elements, without those of a text box anchored in it."""
    return [text for text in paragraph.iter(f"{_W}t") if next(text.iterancestors(f"{_W}p")) is paragraph]


def _text_of(paragraph: Any) -> str:
    return "".join(text.text or "" for text in _own_texts(paragraph))


_TAG = re.compile(r"\{[{%#].*?[}%#]\}")


def split_tags(paragraphs: list[tuple[str, Any]]) -> list[tuple[str, str, int]]:
    """Tags that Word split across runs: (the paragraph's name, the tag, how many runs).

    Word splits `{{ tag }}` when it is typed with pauses, autocorrected or partly formatted."""
    found = []
    for label, paragraph in paragraphs:
        runs = [run for run in paragraph.iter(f"{_W}r") if next(run.iterancestors(f"{_W}p")) is paragraph]
        texts = ["".join(t.text or "" for t in run.iter(f"{_W}t")) for run in runs]
        bounds, position = [], 0
        for text in texts:
            bounds.append((position, position + len(text)))
            position += len(text)
        joined = "".join(texts)
        for match in _TAG.finditer(joined):
            pieces = sum(
                1 for start, end in bounds if start < match.end() and end > match.start() and end > start
            )
            if pieces > 1:
                found.append((label, match.group(0), pieces))
    return found


_OPENERS = re.compile(r"\{\{|\{%|\{#")
_CLOSERS = {"{{": "}}", "{%": "%}", "{#": "#}"}
_PARAGRAPH_TAG = re.compile(r"\{([{%#])p\s.*?[}%#]\}")


def tag_problems(paragraphs: list[tuple[str, Any]]) -> list[str]:
    """What docxtpl would silently cut text at or print as typed, each as "<paragraph>: <what is wrong>": a
    tag typed with full-width braces (`｛｛ case.number ｝｝`, printed as it is), a tag with full-width
    characters in its code (see `_wide_in_code`), a tag opened and not closed in its paragraph
    (`{{ merchant.phone }` makes Jinja read on to the next `}}`, paragraphs later), and a `{%p %}` tag
    sharing its paragraph with text (docxtpl replaces the whole paragraph)."""
    found = []
    for label, paragraph in paragraphs:
        text = _text_of(paragraph)
        wide = _wide_braces(text)
        if wide:
            tag, fixed = wide
            found.append(
                f"{label}: the tag “{tag}” is typed with full-width braces (全角), which make no tag; type "
                f"them in English input mode (半角): “{fixed}”"
            )
            continue
        for match in _INLINE_TAG.finditer(text):
            tag = match.group(0)
            typed, inside = _wide_in_code(tag[2:-2])
            if typed:
                found.append(
                    f"{label}: the tag “{tag}” has full-width (全角) characters outside its quotes: "
                    f"{' '.join(typed)}; retype them in English input mode (半角): "
                    f"“{tag[:2]}{inside}{tag[-2:]}”"
                )
        openers = [match.start() for match in _OPENERS.finditer(text)]
        for index, start in enumerate(openers):
            end = openers[index + 1] if index + 1 < len(openers) else len(text)
            closer = _CLOSERS[text[start : start + 2]]
            if closer not in text[start + 2 : end]:
                tag = text[start:end].strip()[:60]
                found.append(f"{label}: the tag “{tag}” is not closed: its {closer} is missing")
        for match in _PARAGRAPH_TAG.finditer(text):
            rest = text.replace(match.group(0), "", 1).strip()
            if rest:
                found.append(
                    f"{label}: the tag “{match.group(0)}” must stand alone in its paragraph, or the text "
                    f"beside it (“{rest[:40]}”) is lost; press Enter before and after the tag"
                )
        for match in _TABLE_TAG.finditer(text):
            kind = "row" if match.group(1) == "tr" else "cell"
            holder = next(paragraph.iterancestors(f"{_W}{match.group(1)}"), None)
            whole = " ".join(_text_of(each) for each in holder.iter(f"{_W}p")) if holder is not None else text
            rest = " ".join(whole.replace(match.group(0), "", 1).split())
            if rest:
                found.append(
                    f"{label}: the tag “{match.group(0)}” must stand alone in its table {kind}, or the text "
                    f"in that {kind} (“{rest[:40]}”) is lost; give the tag a {kind} of its own"
                )
    return found


_WIDE_DELIMITER = re.compile(r"[{｛][{｛%％#＃]|[}｝%％#＃][}｝]")
_WIDE_TAG = re.compile(r"[{｛][{｛%％#＃].*?[}｝%％#＃][}｝]")
"""A tag's braces, or a whole tag, typed in English or Chinese input mode (`｛｛`, `｛%`, `%｝`)."""


def _wide_braces(text: str) -> tuple[str, str] | None:
    """The first tag of `text` whose braces are typed full-width (a Chinese input method's `｛｛ ... ｝｝`,
    `｛% if zh %｝`), which Jinja does not read as a tag: (the tag, as typed in English input mode). A
    brace left without its other half is shown with the text after it. Those inside a tag are its own
    (`_wide_in_code`): printed in a string, refused in its code."""
    tags = [match.span() for match in _INLINE_TAG.finditer(text)]
    for delimiter in _WIDE_DELIMITER.finditer(text):
        if not any(_is_wide(char) for char in delimiter.group(0)):
            continue
        if any(start < delimiter.start() < end for start, end in tags):
            continue
        tag = next(
            (match for match in _WIDE_TAG.finditer(text) if match.start() <= delimiter.start() < match.end()),
            None,
        )
        if tag is None:
            typed = text[delimiter.start() :].strip()[:60]
            return typed, _half_width(typed)
        typed = tag.group(0)
        inside = _wide_in_code(typed[2:-2])[1]
        return typed, _half_width(typed[:2]) + inside + _half_width(typed[-2:])
    return None


def _is_wide(char: str) -> bool:
    """A character a Chinese input method types for an ASCII one (`render.half_width`): the full-width
    forms `｛`, `（`, `｜`, `ｃ`, and `。` for `.`, `【` for `[`. (Its full-width space, U+3000, is a space to
    Jinja too.)"""
    return half_width(char) is not None


def _half_width(text: str) -> str:
    return "".join(half_width(char) or char for char in text)


def _wide_in_code(inside: str) -> tuple[list[str], str]:
    """The full-width characters of a tag's code (its inside, strings left out: `default(“无”)` is
    fine), each run of them as typed (`ｃａｓｅ`, `（`), and the inside with them typed half-width. Jinja
    reads them as unknown characters (an error naming no paragraph, at an offset in the XML), or, as part
    of a name, as the name half-width (`ｃａｓｅ` is a new variable hiding `case`)."""
    pieces = _string_quotes(inside)
    kind: str | None = None
    escaped = False
    typed: list[str] = []
    fixed = list(inside)
    previous = -2
    for index, piece in enumerate(pieces):
        if kind is not None:  # a string: its text is printed, whatever it is
            if escaped:
                escaped = False
            elif piece == "\\":
                escaped = True
            elif piece == kind:
                kind = None
        elif piece in ("'", '"'):
            kind = piece
        elif _is_wide(piece):
            fixed[index] = _half_width(piece)
            if previous == index - 1:
                typed[-1] += piece
            else:
                typed.append(piece)
            previous = index
    return typed, "".join(fixed)


_TABLE_TAG = re.compile(r"\{[{%](tr|tc)\s.*?[}%]\}")
"""docxtpl's tags that stand for their whole table row (`{%tr for ... %}`) or cell (`{%tc ... %}`)."""


_BLOCK_TAG = re.compile(r"\{%-?(p|tr|tc|r)?\s*(\w+)(.*?)-?%\}")
_BLOCKS = ("if", "for", "macro", "call", "filter", "with", "autoescape", "block", "set")


def unclosed_block(parts: list[tuple[str, Any]]) -> tuple[str, str, str] | None:
    """The innermost block tag (`{% if %}`, `{%p for %}`...) left open: (its paragraph's name, the tag, the
    tag that would close it), or None."""
    for part in parts:
        opened: list[tuple[str, str, str]] = []
        for label, paragraph in numbered_paragraphs([part]):
            for match in _BLOCK_TAG.finditer(_text_of(paragraph)):
                kind, name, rest = match.groups()
                if name in _BLOCKS and not (name == "set" and "=" in rest):
                    opened.append((label, match.group(0), f"{{%{kind or ''} end{name} %}}"))
                elif name.startswith("end") and name[3:] in _BLOCKS:  # a {%p endif %} ends a {%p if %}
                    same = [
                        index for index, item in enumerate(opened) if item[2] == f"{{%{kind or ''} {name} %}}"
                    ]
                    found = same or [index for index, item in enumerate(opened) if item[2].split()[1] == name]
                    if found:
                        del opened[found[-1]]
        if opened:
            return opened[-1]
    return None


_INLINE_TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}")
_QUOTES = {'"': '"', "'": "'", "“": '"', "”": '"', "„": '"', "‘": "'", "’": "'"}
"""Each quote a string may begin with (Word's AutoCorrect turns `"` into “ or ”), and the kind it is."""


def _keep_quotes_in_strings(paragraph: Any) -> None:
    """docxtpl turns every curly quote inside a tag into a straight one: right for the quotes around a
    string (Word's AutoCorrect curls them), wrong for those inside it (`"尊敬的“" ~ name ~ "”团队"`, where
    they end the string). Straighten the quotes that begin and end a string here, and write those inside
    one as escapes (`\u201c`) that Jinja reads back as the same quote."""
    texts = _own_texts(paragraph)
    joined = "".join(text.text or "" for text in texts)
    if not any(quote in joined for quote in "“”„‘’"):
        return
    pieces = list(joined)
    for match in _INLINE_TAG.finditer(joined):
        start = match.start() + 2
        pieces[start : match.end() - 2] = _string_quotes(joined[start : match.end() - 2])
    position = 0
    for text in texts:
        length = len(text.text or "")
        if length:
            text.text = "".join(pieces[position : position + length])
        position += length


def _string_quotes(inside: str) -> list[str]:
    """The inside of a tag, one piece per character: see `_keep_quotes_in_strings`. A string begun with a
    straight quote ends only at the same straight quote; one begun with a curly quote ends at any quote of
    its kind, but for a ’ followed by a letter (an apostrophe: `‘seller’s store’`)."""
    pieces = list(inside)
    kind: str | None = None
    curly, index = False, 0
    while index < len(inside):
        char = inside[index]
        if kind is None:
            if char in _QUOTES:
                kind, curly = _QUOTES[char], char not in "\"'"
                pieces[index] = kind
        elif char == "\\":  # an escape: the next character belongs to it
            index += 1
        elif char == kind or (
            curly
            and _QUOTES.get(char) == kind
            and not (char == "’" and inside[index + 1 : index + 2].isalnum())
        ):
            pieces[index], kind = kind, None
        elif char in "“”„‘’":
            pieces[index] = f"\\u{ord(char):04x}"
        index += 1
    return pieces


_MARKER = re.compile(r"\{#\n¶(\d+)#\}")


def _mark(paragraph: Any, index: int) -> None:
    """Put a Jinja comment before the paragraph, holding its index in the numbered list and beginning a new
    line: docxtpl removes paragraphs (those of `{%p %}` tags) and puts the others each on a line before
    Jinja reads the XML, so the last mark before the line Jinja names is the paragraph's."""
    mark = f"{{#\n¶{index}#}}"
    previous = paragraph.getprevious()
    if previous is not None:
        previous.tail = (previous.tail or "") + mark
    else:
        parent = paragraph.getparent()
        parent.text = (parent.text or "") + mark


def _docx_paragraph(document: Any, line: int | None, paragraphs: list[tuple[str, str]]) -> str:
    """Where in the document Jinja's line is: ", paragraph 4 "its text"", from the marks `_mark` left."""
    if not line:
        return ""
    try:
        part = document.current_rendering_part or document.docx._part
        xml = document.patch_xml(document.get_part_xml(part))
        xml = re.sub(r"<w:p([ >])", r"\n<w:p\1", xml)
        marks = _MARKER.findall("\n".join(xml.split("\n")[:line]))
        label, text = paragraphs[int(marks[-1])]
    except Exception:  # the location is a courtesy: never hide the real error behind another
        return ""
    text = re.sub(r"\s+", " ", text).strip()
    shown = f' "{text[:100]}"' if text else ""
    return f", {label}{shown}"
