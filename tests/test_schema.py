"""`schema`: the committed JSON Schemas match the model and accept real content."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from conftest import EXAMPLES, PROJECT, STORY

from generator.schema import render, schemas

COMMITTED = PROJECT / "schema"


def json_compatible(value: Any) -> Any:
    """YAML values as a YAML-aware editor hands them to a JSON Schema validator."""
    if isinstance(value, dict):
        return {str(k): json_compatible(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_compatible(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def load_yaml(path: Path) -> Any:
    return json_compatible(yaml.safe_load(path.read_text(encoding="utf-8")))


def validator(name: str) -> jsonschema.Draft7Validator:
    return jsonschema.Draft7Validator(
        schemas()[name], format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER
    )


@pytest.mark.parametrize("name", ["story.schema.json", "outlets.schema.json"])
def test_committed_schema_matches_the_model(name: str) -> None:
    committed = (COMMITTED / name).read_text(encoding="utf-8")
    assert committed == render(schemas()[name]), (
        f"schema/{name} is out of date: run `python -m generator.cli schema`"
    )


@pytest.mark.parametrize("name", ["story.schema.json", "outlets.schema.json"])
def test_schemas_are_valid_draft_07(name: str) -> None:
    schema = schemas()[name]
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    jsonschema.Draft7Validator.check_schema(schema)
    assert "$defs" not in json.dumps(schema)  # draft-07 says `definitions`


def test_the_example_story_validates() -> None:
    (path,) = (EXAMPLES / "stories").glob("*.yaml")
    validator("story.schema.json").validate(load_yaml(path))


def test_the_example_registry_validates() -> None:
    validator("outlets.schema.json").validate(load_yaml(EXAMPLES / "outlets.yaml"))


def test_the_test_story_validates() -> None:
    validator("story.schema.json").validate(json_compatible(yaml.safe_load(STORY)))


@pytest.mark.parametrize(
    ("change", "value"),
    [
        ("title", ""),
        ("slug", "Bad Slug"),
        ("colour", "red"),
        ("key_points", []),
        ("date", "16 May 2025"),
        ("sources", [{"outlet": "reuters", "title": "t", "url": "ftp://x.example"}]),
        ("sources", [{"outlet": "Reuters", "title": "t", "url": "https://x.example"}]),
    ],
)
def test_the_story_schema_rejects_what_check_rejects(change: str, value: Any) -> None:
    story = json_compatible(yaml.safe_load(STORY))
    story[change] = value
    assert list(validator("story.schema.json").iter_errors(story))


@pytest.mark.parametrize(
    "registry",
    [
        {"Bad_Key": {"name": "X"}},
        {"x": {}},
        {"x": {"name": "X", "bias": "centre"}},
        {"x": {"name": "X", "country": "gb"}},
        {"x": {"name": "X", "contry": "GB"}},
    ],
)
def test_the_registry_schema_rejects_what_check_rejects(registry: dict[str, Any]) -> None:
    assert list(validator("outlets.schema.json").iter_errors(registry))


def test_parallax_schema_writes_both_files(tmp_path: Path) -> None:
    from generator.schema import write_schemas

    written = write_schemas(tmp_path / "out")
    assert sorted(p.name for p in written) == ["outlets.schema.json", "story.schema.json"]
    for path in written:
        assert json.loads(path.read_text(encoding="utf-8")) == schemas()[path.name]
