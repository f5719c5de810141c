"""The published JSON Schema and field tables stay in sync with the case model."""

from __future__ import annotations

import json

import jsonschema

from pipeline.schema import END, START, case_format_tables, case_schema
from tests.conftest import ROOT, example_data


def test_the_committed_schema_matches_the_model() -> None:
    committed = json.loads((ROOT / "docs" / "case.schema.json").read_text(encoding="utf-8"))
    assert committed == case_schema(), "run: .venv/bin/python -m pipeline.schema"


def test_the_example_validates_against_the_schema() -> None:
    data = json.loads(json.dumps(example_data(), default=str))
    jsonschema.validate(data, case_schema())


def test_the_field_tables_in_the_docs_match_the_model() -> None:
    text = (ROOT / "docs" / "case-format.md").read_text(encoding="utf-8")
    embedded = text.split(START, 1)[1].split(END, 1)[0]
    assert embedded == case_format_tables(), "run: .venv/bin/python -m pipeline.schema"
