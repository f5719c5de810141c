"""The JSON Schema of case.yaml, published as docs/case.schema.json for editors' autocompletion."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pipeline.model import CaseFile, model_in

SCHEMA_ID = "https://github.com/build-appeal/build-appeal/docs/case.schema.json"


def case_schema() -> dict[str, Any]:
    """The schema pydantic derives from the case model, with a title and description for editors."""
    schema = CaseFile.model_json_schema(mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **schema,
        "title": "build-appeal case.yaml",
        "description": "The facts of one Schedule A case for build-appeal; every field: docs/case-format.md.",
    }


def case_format_tables() -> str:
    """Markdown tables of every section and field of case.yaml, made from the model's descriptions.

    docs/case-format.md embeds this text between two markers; a test keeps it in sync with the model.
    """
    from pydantic import BaseModel

    lines: list[str] = []
    queue: list[tuple[str, type[BaseModel]]] = [("(top level)", CaseFile)]
    seen: set[type[BaseModel]] = set()
    while queue:
        path, model = queue.pop(0)
        if model in seen:
            continue
        seen.add(model)
        lines += [
            f"### `{path}`",
            "",
            (model.__doc__ or "").strip(),
            "",
            "| field | required | meaning |",
            "| --- | --- | --- |",
        ]
        for name, field in model.model_fields.items():
            required = "yes" if field.is_required() else "no"
            description = (field.description or "").replace("|", "\\|")
            lines.append(f"| `{name}` | {required} | {description} |")
            nested = model_in(field.annotation)
            if nested is not None:
                child = name if path == "(top level)" else f"{path}.{name}"
                is_list = "list" in str(field.annotation)
                queue.append((f"{child}[]" if is_list else child, nested))
        lines.append("")
    return "\n".join(lines)


def refresh_docs(docs: Path) -> None:
    """Rewrite docs/case.schema.json and the field tables of docs/case-format.md from the model."""
    schema = json.dumps(case_schema(), indent=2, ensure_ascii=False)
    (docs / "case.schema.json").write_text(schema + "\n", encoding="utf-8")
    page = docs / "case-format.md"
    text = page.read_text(encoding="utf-8")
    head, rest = text.split(START, 1)
    tail = rest.split(END, 1)[1]
    page.write_text(f"{head}{START}{case_format_tables()}{END}{tail}", encoding="utf-8")


START, END = "<!-- fields:start -->\n", "<!-- fields:end -->"

if __name__ == "__main__":  # python -m pipeline.schema, after changing the model
    refresh_docs(Path(__file__).resolve().parent.parent / "docs")
