"""JSON Schemas (draft-07) for editors, generated from the model so they cannot drift.

yaml-language-server and check-jsonschema read draft-07 best, so pydantic's
`$defs` become `definitions`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .model import KEY_PATTERN, Outlet, Story

DRAFT_07 = "http://json-schema.org/draft-07/schema#"
BASE_ID = "https://parallax.invalid/schema/"


def _draft07(schema: dict[str, Any]) -> dict[str, Any]:
    text = json.dumps(schema).replace('"#/$defs/', '"#/definitions/')
    result: dict[str, Any] = json.loads(text)
    if "$defs" in result:
        result["definitions"] = result.pop("$defs")
    return result


def story_schema() -> dict[str, Any]:
    body = _draft07(Story.model_json_schema(ref_template="#/definitions/{model}"))
    body.pop("title", None)
    return {
        "$schema": DRAFT_07,
        "$id": BASE_ID + "story.schema.json",
        "title": "Parallax story",
        "description": "One news story: content/stories/<slug>.yaml (content-format.md §1.2).",
        **body,
    }


def outlets_schema() -> dict[str, Any]:
    outlet = _draft07(Outlet.model_json_schema(ref_template="#/definitions/{model}"))
    definitions = outlet.pop("definitions", {})
    definitions["Outlet"] = outlet
    return {
        "$schema": DRAFT_07,
        "$id": BASE_ID + "outlets.schema.json",
        "title": "Parallax outlet registry",
        "description": "content/outlets.yaml: outlet key → outlet (content-format.md §1.1).",
        "type": "object",
        "propertyNames": {"pattern": KEY_PATTERN},
        "additionalProperties": {"$ref": "#/definitions/Outlet"},
        "definitions": definitions,
    }


def schemas() -> dict[str, dict[str, Any]]:
    """File name → schema, for `parallax schema` and the drift test."""
    return {"story.schema.json": story_schema(), "outlets.schema.json": outlets_schema()}


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def write_schemas(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in schemas().items():
        path = folder / name
        path.write_text(render(schema), encoding="utf-8")
        written.append(path)
    return written
