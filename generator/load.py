"""Phase 1: read every content file, keep where each value stood, convert to models.

YAML is parsed with libyaml's composer (fast, safe: nothing is constructed from
tags), and we build plain values from the node tree ourselves. That lets us keep
each node's line and column, reject duplicate keys (PyYAML keeps the last one
silently), refuse every non-standard tag (`!!python/...` is an error, never
executed) and keep scalars as the text the editor wrote (no `country: NO` → False).
Pydantic then converts them into typed models; its errors are mapped back to nodes.
Every problem in every file is collected; nothing is written here.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import re

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from .model import KEY_PATTERN, SLUG_PATTERN, Outlet, Story
from .problems import Problem, Severity, did_you_mean
from .rules import Finding, Loc, story_findings, story_warnings, unknown_outlet

try:
    _Loader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - libyaml missing
    _Loader = yaml.SafeLoader

_STD = "tag:yaml.org,2002:"
_ALLOWED_TAGS = {_STD + t for t in ("str", "int", "float", "bool", "null", "timestamp", "map", "seq")}
_KEY_RE = re.compile(KEY_PATTERN)
_PATTERNS = {
    KEY_PATTERN: "must be lowercase letters, digits and hyphens, starting with a letter or digit",
    SLUG_PATTERN: "must be lowercase letters, digits and hyphens (at most 100), "
    "starting with a letter or digit",
    r"^[A-Z]{2}$": "must be a two-letter ISO 3166-1 country code in capitals, e.g. GB",
}


@dataclass
class Positions:
    """Where each value (and each mapping key) of one document stands, 1-based."""

    values: dict[Loc, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Loc, tuple[int, int]] = field(default_factory=dict)

    def of(self, loc: Loc, *, key: bool = False) -> tuple[int, int]:
        """The node at `loc`, else its closest existing ancestor (a missing key
        points at the mapping that lacks it)."""
        if key and loc in self.keys:
            return self.keys[loc]
        while loc not in self.values and loc:
            loc = loc[:-1]
        return self.values.get(loc, (1, 1))


@dataclass(frozen=True)
class Document:
    path: Path
    data: Any
    positions: Positions
    problems: tuple[Problem, ...] = ()


@dataclass(frozen=True)
class Content:
    """Everything editors wrote, validated: the input of every later phase."""

    root: Path
    outlets: Mapping[str, Outlet]
    stories: tuple[Story, ...]
    paths: Mapping[str, Path]  # slug → file it came from
    pages: tuple[Path, ...]

    @property
    def published(self) -> tuple[Story, ...]:
        return tuple(s for s in self.stories if not s.draft)


@dataclass(frozen=True)
class Result:
    content: Content | None
    problems: tuple[Problem, ...]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity is Severity.WARNING]


class _YamlProblem(Exception):
    def __init__(self, line: int, col: int, message: str) -> None:
        super().__init__(message)
        self.line, self.col, self.message = line, col, message


# --- YAML → plain values with positions ---------------------------------------


def decode(raw: bytes) -> str:
    """UTF-8 only (a BOM is allowed); the error names the first bad byte."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        col = len(before.rsplit(b"\n", 1)[-1].decode("utf-8", "replace")) + 1
        raise _YamlProblem(
            line, col, f"not valid UTF-8 (byte 0x{raw[exc.start]:02x}); save the file as UTF-8"
        ) from None


def parse(text: str) -> tuple[Any, Positions, list[tuple[int, int, str]]]:
    """One YAML document → plain dicts, lists, strings and None, positions, and the
    problems of the tree itself (duplicate keys, tags): the value at a bad node is
    None and validation goes on, so one run still reports everything."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        what = " ".join(x for x in (exc.context, exc.problem) if x)
        raise _YamlProblem(line, col, f"YAML syntax error: {what}") from None
    except yaml.YAMLError as exc:
        raise _YamlProblem(1, 1, f"YAML error: {exc}") from None
    finally:
        loader.dispose()
    if node is None:
        raise _YamlProblem(1, 1, "the file is empty")
    positions = Positions()
    problems: list[tuple[int, int, str]] = []
    data = _plain(node, (), positions, problems, set())
    return data, positions, problems


def _at(mark: Any) -> tuple[int, int]:
    return mark.line + 1, mark.column + 1


def _plain(
    node: yaml.Node,
    loc: Loc,
    positions: Positions,
    problems: list[tuple[int, int, str]],
    seen: set[int],
) -> Any:
    here = _at(node.start_mark)
    positions.values[loc] = here
    if id(node) in seen:
        problems.append((*here, "YAML aliases (*name) are not supported; write the value out"))
        return None
    if node.tag not in _ALLOWED_TAGS:
        shown = node.tag.replace(_STD, "!!")
        problems.append((*here, f"YAML tag '{shown}' is not allowed"))
        return None
    if isinstance(node, yaml.MappingNode):
        seen.add(id(node))
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key_at = _at(key_node.start_mark)
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag not in _ALLOWED_TAGS:
                problems.append((*key_at, "a key must be a plain string"))
                continue
            key = key_node.value
            if key in result:
                first = positions.keys[(*loc, key)]
                problems.append((*key_at, f"duplicate key '{key}' (first at line {first[0]})"))
                continue
            positions.keys[(*loc, key)] = key_at
            result[key] = _plain(value_node, (*loc, key), positions, problems, seen)
        return result
    if isinstance(node, yaml.SequenceNode):
        seen.add(id(node))
        return [
            _plain(item, (*loc, i), positions, problems, seen) for i, item in enumerate(node.value)
        ]
    if node.tag == _STD + "null":
        return None
    return node.value


def read_document(path: Path, raw: bytes | None = None) -> Document:
    """Read and parse one file; raises `_YamlProblem` when there is no tree at all."""
    text = decode(path.read_bytes() if raw is None else raw)
    data, positions, found = parse(text)
    return Document(path, data, positions, tuple(Problem(path, *p) for p in found))


# --- plain values → models ----------------------------------------------------


def _message(error: ErrorDetails, model: type[BaseModel], loc: Loc) -> str:
    kind = error["type"]
    name = _dotted(loc)
    if kind == "missing":
        return f"missing required key '{loc[-1]}'" + (f" in {_dotted(loc[:-1])}" if loc[:-1] else "")
    if kind == "extra_forbidden":
        allowed = _fields_at(model, loc[:-1])
        return f"unknown key '{loc[-1]}'" + did_you_mean(str(loc[-1]), allowed)
    msg = error["msg"].removeprefix("Value error, ")
    if kind == "string_pattern_mismatch":
        pattern = (error.get("ctx") or {}).get("pattern", "")
        msg = _PATTERNS.get(pattern, msg)
    if kind == "enum" and isinstance(error.get("input"), str):
        expected = (error.get("ctx") or {}).get("expected", "")
        options = [o.strip(" '") for o in expected.replace(" or ", ",").split(",")]
        msg += did_you_mean(error["input"], [o for o in options if o])
    return f"{name}: {msg}" if name else msg


def _dotted(loc: Loc) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _fields_at(model: type[BaseModel], loc: Loc) -> list[str]:
    """Field names of the model found at `loc` (for "did you mean" on a typo)."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        info = current.model_fields.get(part) if hasattr(current, "model_fields") else None
        if info is None:
            return []
        current = _inner_model(info.annotation)
    return list(current.model_fields) if hasattr(current, "model_fields") else []


def _inner_model(annotation: Any) -> Any:
    args = getattr(annotation, "__args__", ())
    for arg in (annotation, *args):
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
    return None


def _validate(
    model: type[BaseModel], data: Any, doc: Document, prefix: Loc = ()
) -> tuple[Any, list[Problem]]:
    try:
        return model.model_validate(data), []
    except ValidationError as exc:
        known = {(p.line, p.col) for p in doc.problems}
        problems = []
        for error in exc.errors():
            loc = tuple(p for p in error["loc"] if not str(p).startswith("function-"))
            full = (*prefix, *loc)
            line, col = doc.positions.of(full, key=error["type"] == "extra_forbidden")
            if (line, col) not in known:
                problems.append(Problem(doc.path, line, col, _message(error, model, loc)))
        return None, problems


def _problem(doc: Document, finding: Finding, severity: Severity = Severity.ERROR) -> Problem:
    line, col = doc.positions.of(finding.loc)
    return Problem(doc.path, line, col, finding.message, severity)


def load_outlets(doc: Document) -> tuple[dict[str, Outlet], list[Problem]]:
    if not isinstance(doc.data, dict):
        return {}, [_root_problem(doc, "the outlet registry")]
    outlets: dict[str, Outlet] = {}
    problems: list[Problem] = []
    for key, value in doc.data.items():
        if not _KEY_RE.match(key):
            line, col = doc.positions.of((key,), key=True)
            problems.append(
                Problem(
                    doc.path, line, col,
                    f"outlet key '{key}' must be lowercase letters, digits and hyphens "
                    "(at most 64, starting with a letter or digit)",
                )
            )
            continue
        outlet, found = _validate(Outlet, value if value is not None else {}, doc, (key,))
        problems += found
        if outlet is not None:
            outlets[key] = outlet
    return outlets, problems


def _root_problem(doc: Document, what: str) -> Problem:
    found = type(doc.data).__name__.replace("str", "a single value").replace("list", "a list")
    return Problem(doc.path, 1, 1, f"{what} must be a mapping of keys to values, found {found}")


def load_story(
    doc: Document, outlets: Mapping[str, Outlet], stem: str
) -> tuple[Story | None, list[Problem]]:
    if not isinstance(doc.data, dict):
        return None, [_root_problem(doc, "a story file")]
    story, problems = _validate(Story, doc.data, doc)
    for loc, key in _cited_outlets(doc.data):
        message = unknown_outlet(key, outlets) if outlets else None
        if message:
            problems.append(_problem(doc, Finding(loc, message)))
    if story is None:
        return None, sorted(problems)
    if story.slug is None:
        story = story.model_copy(update={"slug": stem})
    problems += [_problem(doc, f) for f in story_findings(story)]
    problems += [_problem(doc, f, Severity.WARNING) for f in story_warnings(story, outlets)]
    return story, sorted(problems)


def _cited_outlets(data: dict[str, Any]) -> Iterator[tuple[Loc, str]]:
    sources = data.get("sources")
    if not isinstance(sources, list):
        return
    for i, source in enumerate(sources):
        if isinstance(source, dict) and isinstance(source.get("outlet"), str):
            yield ("sources", i, "outlet"), source["outlet"]


# --- the whole content folder -------------------------------------------------


def story_files(root: Path) -> list[Path]:
    stories = root / "stories"
    if not stories.is_dir():
        return []
    return sorted(p for p in stories.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())


def _read(path: Path) -> tuple[Document | None, list[Problem]]:
    try:
        doc = read_document(path)
        return doc, list(doc.problems)
    except _YamlProblem as p:
        return None, [Problem(path, p.line, p.col, p.message)]
    except OSError as exc:
        return None, [Problem(path, 1, 1, f"cannot read: {exc.strerror}")]


def load_content(root: Path) -> Result:
    """Read and validate the whole content folder; every problem, all files."""
    problems: list[Problem] = []
    registry_path = root / "outlets.yaml"
    outlets: dict[str, Outlet] = {}
    registry: Document | None = None
    if not registry_path.is_file():
        problems.append(Problem(registry_path, 1, 1, "the outlet registry is missing"))
    else:
        registry, found = _read(registry_path)
        problems += found
        if registry is not None:
            outlets, found = load_outlets(registry)
            problems += found
    stories: list[Story] = []
    paths: dict[str, Path] = {}
    slug_at: dict[str, tuple[Path, int, int]] = {}
    for path in story_files(root):
        doc, found = _read(path)
        problems += found
        if doc is None:
            continue
        story, found = load_story(doc, outlets, path.stem)
        problems += found
        if story is None or story.slug is None:
            continue
        if story.slug in slug_at:
            line, col = doc.positions.of(("slug",)) if "slug" in doc.data else (1, 1)
            other = slug_at[story.slug]
            problems.append(
                Problem(
                    path, line, col,
                    f"slug '{story.slug}' is already used by {other[0].as_posix()}:{other[1]}",
                )
            )
            continue
        slug_at[story.slug] = (path, *doc.positions.of(("slug",)))
        stories.append(story)
        paths[story.slug] = path
    if registry is not None:
        problems += _unused_outlets(registry, outlets, stories)
    pages = tuple(sorted((root / "pages").glob("*.md"))) if (root / "pages").is_dir() else ()
    has_errors = any(p.severity is Severity.ERROR for p in problems)
    content = (
        None
        if has_errors
        else Content(root, outlets, tuple(stories), paths, pages)
    )
    return Result(content, tuple(_ordered(problems)))


def _unused_outlets(
    registry: Document, outlets: Mapping[str, Outlet], stories: Iterable[Story]
) -> list[Problem]:
    cited = {s.outlet for story in stories for s in story.sources}
    return [
        Problem(registry.path, *registry.positions.of((key,), key=True),
                f"outlet '{key}' is not cited by any story", Severity.WARNING)
        for key in outlets
        if key not in cited
    ]


def _ordered(problems: Iterable[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: (p.path.as_posix(), p.line, p.col, p.message))
