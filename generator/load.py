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

import dataclasses
import hashlib
import os
import pickle
import re
import stat
import unicodedata
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails
from yaml.cyaml import CParser  # type: ignore[attr-defined]

from .files import files_digest
from .model import BIDI_CONTROL, KEY_PATTERN, SLUG_PATTERN, Outlet, Story
from .problems import Problem, Severity, did_you_mean, errors, quoted
from .rules import (
    Finding,
    Loc,
    findings,
    raw_facts,
    story_findings,
    story_warnings,
    unknown_outlet,
)

_STD = "tag:yaml.org,2002:"
_NULL, _MERGE = _STD + "null", _STD + "merge"
_NULLS = frozenset(("", "~", "null", "Null", "NULL"))

MIB = 1 << 20


@dataclass(frozen=True)
class Limits:
    """How large one kind of file may be: its bytes, checked before it is read, and
    its values (scalars, lists, mappings), counted while parsing: memory and time
    follow the values, and one byte of `[a,a,a,…]` makes half a value."""

    what: str
    bytes: int
    values: int


#: Real stories are under 50 KB and 1,000 values; one with 1,000 sources and long
#: excerpts is ~1 MB and 8,000 values.
STORY = Limits("a story file", 1 * MIB, 50_000)
#: The full MBFC registry (9,775 outlets) is 1.6 MB and 64,500 values.
REGISTRY = Limits("the outlet registry", 16 * MIB, 250_000)
#: Pages are read whole by the build.
MAX_PAGE_BYTES = 1 * MIB
#: Problems shown per file: the first ones in line order, then how many more.
MAX_PROBLEMS = 50

#: Collections nested deeper than this are refused while parsing (a story needs 4:
#: story → perspectives → perspective → sources; the registry 2). It bounds our
#: recursion and every later walk over the values.
MAX_DEPTH = 10
_TOO_DEEP = (
    f"nested deeper than {MAX_DEPTH} levels of lists and mappings (a story needs 4): "
    "refused before reading further"
)


_ALLOWED_TAGS = {
    _STD + t for t in ("str", "int", "float", "bool", "null", "timestamp", "map", "seq")
}
_KEY_RE = re.compile(KEY_PATTERN)
_SLUG_RE = re.compile(SLUG_PATTERN)
_BAD_STEM = (
    "the file name {} cannot be the story's slug (lowercase letters, digits and hyphens, "
    "at most 100): rename the file or add a `slug` key"
)
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


@dataclass(frozen=True)
class Result:
    """What loading found: every problem, and what validated. `content` is there
    only when nothing is wrong (what builds use); `valid` always holds the outlets
    and stories that passed on their own (what `parallax outlet` and `diff` use
    when other files have errors)."""

    valid: Content
    problems: tuple[Problem, ...]

    @property
    def content(self) -> Content | None:
        return None if self.errors else self.valid

    @property
    def errors(self) -> list[Problem]:
        return errors(self.problems)

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


def parse(text: str, limits: Limits = STORY) -> tuple[Any, Positions, list[Found]]:
    """One YAML document → plain dicts, lists, strings and None, positions, and the
    problems of the tree itself (duplicate keys, tags, aliases): the value at a bad
    node is None and validation goes on, so one run still reports everything.

    Built from libyaml's event stream, not its composer: no node tree is kept, and
    nesting is refused past `MAX_DEPTH` before anything recurses deeper."""
    parser = CParser(text)
    try:
        builder = _Builder(text, parser.get_event, limits.values)
        return builder.document(), builder.positions, builder.problems
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        what = " ".join(x for x in (exc.context, exc.problem) if x)
        raise _YamlProblem(line, col, f"YAML syntax error: {what}") from None
    except yaml.YAMLError as exc:
        raise _YamlProblem(1, 1, f"YAML error: {exc}") from None
    finally:
        parser.dispose()


def _too_many(limit: int) -> str:
    return f"more than {limit:,} values in one file: refused before reading further"


def _at(mark: Any) -> tuple[int, int]:
    return mark.line + 1, mark.column + 1


_SCALAR, _MAP_START, _SEQ_START = yaml.ScalarEvent, yaml.MappingStartEvent, yaml.SequenceStartEvent
_ENDS = (yaml.MappingEndEvent, yaml.SequenceEndEvent)
#: What libyaml counts as a line break (YAML 1.1), to place a character within a scalar.
_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")
Found = tuple[int, int, str, Severity]


class _Builder:
    """Plain values from parser events, each node's position kept. Recursion follows
    the nesting, which is refused past `MAX_DEPTH`, so it stays shallow. Untagged
    scalars, most of the nodes, take the shortest path (this is load's hot loop)."""

    def __init__(self, text: str, next_event: Callable[[], Any], max_values: int) -> None:
        self.text, self.next, self.max_values = text, next_event, max_values
        self.positions = Positions()
        self.values = self.positions.values
        self.problems: list[Found] = []
        # Rare: only then are scalars searched (an escape such as `\u202E` may write one).
        self.bidi = BIDI_CONTROL.search(text) is not None or "\\u" in text or "\\U" in text

    def error(self, at: tuple[int, int], message: str) -> None:
        self.problems.append((*at, message, Severity.ERROR))

    def document(self) -> Any:
        self.next()  # stream start
        event = self.next()
        if type(event) is yaml.StreamEndEvent:
            raise _YamlProblem(1, 1, "the file is empty")
        data = self.node(self.next(), (), 0)
        self.next()  # document end
        event = self.next()
        if type(event) is not yaml.StreamEndEvent:
            raise _YamlProblem(
                *_at(event.start_mark),
                "expected a single document in the file, but found another one (`---`)",
            )
        return data

    def node(self, event: Any, loc: Loc, depth: int) -> Any:
        mark = event.start_mark
        here = self.values[loc] = (mark.line + 1, mark.column + 1)
        if len(self.values) > self.max_values:
            raise _YamlProblem(*here, _too_many(self.max_values))
        kind = type(event)
        if kind is _SCALAR and event.tag is None and not self.bidi:
            value: str = event.value
            return None if event.implicit[0] and value in _NULLS else value
        if kind is yaml.AliasEvent:  # point at the key that holds it, as for any value
            here = self.positions.values[loc] = self.positions.keys.get(loc, here)
            self.error(here, "YAML aliases (*name) are not supported; write the value out")
            return None
        tag = _tag(event)
        if tag not in _ALLOWED_TAGS:
            self.error(here, f"YAML tag {quoted(tag.replace(_STD, '!!'))} is not allowed")
            self.skip(event, depth)
            return None
        if kind is _SCALAR:
            if BIDI_CONTROL.search(event.value):
                self.problems.append(self.bidi_warning(event))
            return None if tag == _NULL else event.value
        if depth >= MAX_DEPTH:
            raise _YamlProblem(*here, _TOO_DEEP)
        if kind is _MAP_START:
            return self.mapping(loc, depth + 1)
        return self.sequence(loc, depth + 1)

    def sequence(self, loc: Loc, depth: int) -> list[Any]:
        items: list[Any] = []
        event = self.next()
        while type(event) is not yaml.SequenceEndEvent:
            items.append(self.node(event, (*loc, len(items)), depth))
            event = self.next()
        return items

    def mapping(self, loc: Loc, depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        keys = self.positions.keys
        event = self.next()
        while type(event) is not yaml.MappingEndEvent:
            key = event.value if type(event) is _SCALAR and event.tag is None else None
            if key is None or key in result or (key == "<<" and event.implicit[0]):
                key = self.odd_key(event, loc, result, depth)
            else:
                mark = event.start_mark
                keys[(*loc, key)] = (mark.line + 1, mark.column + 1)
            event = self.next()
            if key is None:
                self.skip(event, depth)
            else:
                result[key] = self.node(event, (*loc, key), depth)
            event = self.next()
        return result

    def odd_key(self, event: Any, loc: Loc, seen: dict[str, Any], depth: int) -> str | None:
        """A key off the common path: the key as text, or None (a problem is recorded)
        when its value is to be skipped: a merge key, a key that is not a plain string,
        a duplicate."""
        here = _at(event.start_mark)
        tag = _tag(event) if type(event) is not yaml.AliasEvent else None
        if tag == _MERGE:
            self.error(here, "YAML merge keys (<<) are not supported; write keys out")
            return None
        if type(event) is not _SCALAR or tag not in _ALLOWED_TAGS:
            self.error(here, "a key must be a plain string")
            self.skip(event, depth)
            return None
        key: str = event.value
        if key in seen:
            first = self.positions.keys[(*loc, key)]
            self.error(here, f"duplicate key {quoted(key)} (first at line {first[0]})")
            return None
        self.positions.keys[(*loc, key)] = here
        return key

    def skip(self, event: Any, depth: int) -> None:
        """Consume the rest of a node whose value is not kept (nesting still counts)."""
        open_ = 0
        while True:
            kind = type(event)
            if kind is _MAP_START or kind is _SEQ_START:
                open_ += 1
                if depth + open_ > MAX_DEPTH:
                    raise _YamlProblem(*_at(event.start_mark), _TOO_DEEP)
            elif kind in _ENDS:
                open_ -= 1
            if open_ == 0:
                return
            event = self.next()

    def bidi_warning(self, event: Any) -> Found:
        """A warning at the first bidi control of a scalar as written (at the scalar
        when it is written as an escape, `\\u202E`), naming each one it holds."""
        found = sorted(set(BIDI_CONTROL.findall(event.value)))
        names = ", ".join(f"U+{ord(c):04X} {unicodedata.name(c)}" for c in found)
        line, col = _at(event.start_mark)
        written = BIDI_CONTROL.search(self.text, event.start_mark.index, event.end_mark.index)
        if written is not None:
            before = self.text[event.start_mark.index : written.start()]
            breaks = [m.end() for m in _BREAK.finditer(before)]
            line += len(breaks)
            col = len(before) - breaks[-1] + 1 if breaks else col + len(before)
        message = (
            f"invisible bidi control {names}: it can make text read in another order than "
            "it is stored; shown isolated (U+2068 … U+2069) in single-line fields, "
            "remove it unless it is meant"
        )
        return line, col, message, Severity.WARNING


def _tag(event: Any) -> str:
    """The node's tag; an untagged scalar is text, or null when plain and empty or
    `~`/`null` (PyYAML's implicit typing would also make `NO` False and `1.10` 1.1)."""
    tag: str | None = event.tag
    if tag is not None and tag != "!":
        return tag
    if type(event) is _SCALAR:
        if event.implicit[0] and event.value in _NULLS:
            return _NULL
        return _MERGE if event.implicit[0] and event.value == "<<" else _STD + "str"
    return _STD + ("seq" if type(event) is _SEQ_START else "map")


def read_document(path: Path, raw: bytes | None = None, limits: Limits = STORY) -> Document:
    """Read and parse one file; raises `_YamlProblem` when there is no tree at all."""
    text = decode(read_limited(path, limits) if raw is None else raw)
    data, positions, found = parse(text, limits)
    return Document(path, data, positions, tuple(Problem(path, *p) for p in found))


# --- plain values → models ----------------------------------------------------


def _message(error: ErrorDetails, model: type[BaseModel], loc: Loc, prefix: Loc = ()) -> str:
    """One pydantic error as an editor reads it: `where: what`, `where` being the
    path of keys and 0-based indexes (`sources[2].url`)."""
    kind = error["type"]
    if kind == "missing":
        return _named((*prefix, *loc[:-1]), f"missing required key '{loc[-1]}'")
    if kind == "extra_forbidden":
        allowed = _fields_at(model, loc[:-1])
        message = f"unknown key {quoted(str(loc[-1]))}" + did_you_mean(str(loc[-1]), allowed)
        return _named((*prefix, *loc[:-1]), message)
    return _named((*prefix, *loc), _what(error))


def _what(error: ErrorDetails) -> str:
    kind, value = error["type"], error.get("input")
    ctx = error.get("ctx") or {}
    if value is None and kind.endswith("_type"):
        return "must have a value (it is empty)"
    if kind in ("model_type", "dict_type"):
        return f"must be a mapping of keys to values, found {_kind(value)}"
    if kind == "list_type":
        return f"must be a list, found {_kind(value)}"
    if kind in _LENGTH:
        return _length(kind, value, ctx)
    if kind == "greater_than_equal":
        return f"must be {ctx.get('ge')} or more"
    msg = error["msg"].removeprefix("Value error, ").replace("Input should be", "must be", 1)
    if kind == "string_pattern_mismatch":
        msg = _PATTERNS.get(ctx.get("pattern", ""), msg)
    if kind == "enum" and isinstance(value, str):
        options = [o.strip(" '") for o in ctx.get("expected", "").replace(" or ", ",").split(",")]
        msg += did_you_mean(value, [o for o in options if o])
    return msg


_LENGTH = ("string_too_short", "string_too_long", "too_short", "too_long")


def _length(kind: str, value: Any, ctx: dict[str, Any]) -> str:
    """Pydantic says "Value should have at most 80 items" of a string; say characters."""
    unit = "characters" if isinstance(value, str) else "items"
    size = len(value) if isinstance(value, str | list) else ctx.get("actual_length")
    if kind.endswith("too_long"):
        return f"must have at most {ctx.get('max_length')} {unit} (it has {size})"
    if size == 0:
        return "must not be empty"
    return f"must have at least {ctx.get('min_length')} {unit} (it has {size})"


def _named(loc: Loc, message: str) -> str:
    name = _dotted(loc)
    return f"{name}: {message}" if name else message


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return "nothing" if value is None else "a single value"


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
        known = {(p.line, p.col) for p in errors(doc.problems)}
        problems = []
        for error in exc.errors():
            loc = tuple(p for p in error["loc"] if not str(p).startswith("function-"))
            full = (*prefix, *loc)
            line, col = doc.positions.of(full, key=_at_key(error))
            if (line, col) not in known:
                problems.append(Problem(doc.path, line, col, _message(error, model, loc, prefix)))
        return None, problems


def _at_key(error: ErrorDetails) -> bool:
    """An unknown key is shown at the key; so is a list with too many items (its
    value may be thousands of lines long, the key names it)."""
    return error["type"] == "extra_forbidden" or (
        error["type"] == "too_long" and isinstance(error.get("input"), list)
    )


def _problem(doc: Document, finding: Finding, severity: Severity = Severity.ERROR) -> Problem:
    line, col = doc.positions.of(finding.loc)
    return Problem(doc.path, line, col, _named(finding.loc, finding.message), severity)


def load_outlets(doc: Document) -> tuple[dict[str, Outlet], list[Problem]]:
    if not isinstance(doc.data, dict):
        return {}, _root_problem(doc, "the outlet registry")
    outlets: dict[str, Outlet] = {}
    problems: list[Problem] = []
    for key, value in doc.data.items():
        if not _KEY_RE.match(key):
            line, col = doc.positions.of((key,), key=True)
            problems.append(
                Problem(
                    doc.path, line, col,
                    f"outlet key {quoted(key)} must be lowercase letters, digits and hyphens "
                    "(at most 64, starting with a letter or digit)",
                )
            )
            continue
        outlet, found = _validate(Outlet, value if value is not None else {}, doc, (key,))
        problems += found
        if outlet is not None:
            outlets[key] = outlet
    return outlets, problems


def _root_problem(doc: Document, what: str) -> list[Problem]:
    """A document that is not a mapping; none more when the parser already said why
    (a refused tag on the whole document leaves nothing to validate)."""
    if doc.data is None and errors(doc.problems):
        return []
    line, col = doc.positions.of(())
    return [Problem(doc.path, line, col,
                    f"{what} must be a mapping of keys to values, found {_kind(doc.data)}")]


def load_story(
    doc: Document,
    outlets: Mapping[str, Outlet],
    stem: str,
    declared: Collection[str] | None = None,
) -> tuple[Story | None, list[Problem]]:
    """One story file. `declared`: every key of the registry, valid outlet or not, so
    that a broken registry entry is reported once, not again in every story citing it."""
    story, problems = story_alone(doc, stem)
    problems += against_registry(doc, story, outlets, declared)
    return story, sorted(problems)


def story_alone(doc: Document, stem: str) -> tuple[Story | None, list[Problem]]:
    """Everything about one story file that does not depend on the registry (the
    part a cache can keep, keyed by the file's bytes and name)."""
    if not isinstance(doc.data, dict):
        return None, _root_problem(doc, "a story file")
    story, problems = _validate(Story, doc.data, doc)
    bad_stem = doc.data.get("slug") is None and not _SLUG_RE.match(stem)
    if bad_stem:
        problems.append(Problem(doc.path, *doc.positions.of(()), _BAD_STEM.format(quoted(stem))))
    if story is None or bad_stem:
        # Cross-field rules too, on what the raw data says: one run, every problem.
        known = {(p.line, p.col, p.message) for p in problems}
        for finding in findings(raw_facts(doc.data)):
            problem = _problem(doc, finding)
            if (problem.line, problem.col, problem.message) not in known:
                problems.append(problem)
        return None, problems
    if story.slug is None:
        story = story.model_copy(update={"slug": stem})
    problems += [_problem(doc, f) for f in story_findings(story)]
    return story, problems


def against_registry(
    doc: Document,
    story: Story | None,
    outlets: Mapping[str, Outlet],
    declared: Collection[str] | None = None,
) -> list[Problem]:
    """Unknown outlets (read from the raw data, valid story or not) and warnings."""
    if not isinstance(doc.data, dict):
        return []
    problems: list[Problem] = []
    keys = outlets if declared is None else declared
    for loc, key in _cited_outlets(doc.data):
        # Suggestions cost a search of the registry each: only for the ones shown.
        message = unknown_outlet(key, keys, suggest=len(problems) < MAX_PROBLEMS) if keys else None
        if message:
            problems.append(_problem(doc, Finding(loc, message)))
    if story is not None:
        problems += [_problem(doc, f, Severity.WARNING) for f in story_warnings(story, outlets)]
    return problems


def _cited_outlets(data: Any) -> Iterator[tuple[Loc, str]]:
    """Outlet keys a story file cites, read from the raw data (valid or not)."""
    sources = data.get("sources") if isinstance(data, dict) else None
    if not isinstance(sources, list):
        return
    for i, source in enumerate(sources):
        if isinstance(source, dict) and isinstance(source.get("outlet"), str):
            yield ("sources", i, "outlet"), source["outlet"]


# --- the whole content folder -------------------------------------------------


def read_limited(path: Path, limits: Limits) -> bytes:
    """The bytes of a regular file within `limits`, else `_YamlProblem` at 1:1. The
    size is checked before reading and no more than the limit + 1 bytes are read (a
    file may grow meanwhile); opened non-blocking, as a FIFO would wait forever."""
    with open(path, "rb", opener=_non_blocking) as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise _YamlProblem(1, 1, "not a regular file: not read")
        if info.st_size > limits.bytes:
            raise _YamlProblem(1, 1, _too_big(info.st_size, limits.what, limits.bytes))
        raw = handle.read(limits.bytes + 1)
    if len(raw) > limits.bytes:
        raise _YamlProblem(1, 1, _too_big(len(raw), limits.what, limits.bytes))
    return raw


def _non_blocking(path: str, flags: int) -> int:
    return os.open(path, flags | os.O_NONBLOCK)


def _too_big(size: int, what: str, limit: int) -> str:
    return (
        f"the file is {size:,} bytes; {what} may have at most {limit:,} bytes "
        f"({limit / MIB:g} MiB): not read"
    )


@dataclass(frozen=True)
class Files:
    """What a content folder holds that load reads, and the problems of what it
    refuses to read (a symlink out of the folder, a page that is too large)."""

    registry: Path | None  # None: missing, or refused
    stories: list[Path]
    pages: list[Path]
    problems: list[Problem]


def content_files(root: Path) -> Files:
    """The registry, story files (sorted) and pages of `root`. A symlink is followed
    only to a target inside the content folder: a pull request cannot make a build
    read, or publish, a file of the machine that builds it."""
    inside = os.path.realpath(root)
    registry = root / "outlets.yaml"
    stories, problems = _walk(root / "stories", inside)
    pages, more = _pages(root / "pages", inside)
    problems += more
    if os.path.islink(registry) and not _inside(registry, inside):
        problems.append(_outside(registry))
    elif registry.is_file():
        return Files(registry, sorted(stories), sorted(pages), problems)
    else:
        problems.append(Problem(registry, 1, 1, "the outlet registry is missing"))
    return Files(None, sorted(stories), sorted(pages), problems)


def story_files(root: Path) -> list[Path]:
    """The story files load reads (what `check` counts, what `new` must not clash with)."""
    return sorted(_walk(root / "stories", os.path.realpath(root))[0])


def _walk(folder: Path, root: str) -> tuple[list[Path], list[Problem]]:
    """`*.yaml` and `*.yml` files under `folder`, without recursion (any depth).
    Symlinks inside the content folder are followed, each real folder read once,
    so a link loop ends; a symlink out of it is a problem, never followed."""
    found: list[Path] = []
    problems: list[Problem] = []
    pending, walked = [folder], set()
    while pending:
        current = pending.pop()
        try:
            info = os.stat(current)  # the folder itself, by device and inode (realpath is slow)
        except OSError:
            continue
        if (info.st_dev, info.st_ino) in walked:
            continue
        walked.add((info.st_dev, info.st_ino))
        entries, refused = _listing(current, root)
        problems += refused
        for entry in entries:
            story = entry.name.endswith((".yaml", ".yml"))
            if entry.is_symlink() and not _inside(entry.path, root):
                if story or os.path.isdir(entry):
                    problems.append(_outside(Path(entry.path)))
            elif _is_dir(entry):
                pending.append(Path(entry.path))
            elif story and _is_file(entry):
                found.append(Path(entry.path))
    return found, problems


def _pages(folder: Path, root: str) -> tuple[list[Path], list[Problem]]:
    """`pages/*.md`: each a regular file inside the content folder, at most
    `MAX_PAGE_BYTES` (the build reads it whole)."""
    entries, problems = _listing(folder, root)
    pages: list[Path] = []
    for entry in entries:
        path = Path(entry.path)
        if not entry.name.endswith(".md"):
            continue
        if entry.is_symlink() and not _inside(path, root):
            problems.append(_outside(path))
        elif _is_file(entry) and (size := os.stat(path).st_size) > MAX_PAGE_BYTES:
            problems.append(Problem(path, 1, 1, _too_big(size, "a page", MAX_PAGE_BYTES)))
        elif _is_file(entry):
            pages.append(path)
    return pages, problems


def _listing(folder: Path, root: str) -> tuple[list[os.DirEntry[str]], list[Problem]]:
    """The entries of a folder; none when it is missing, and a problem when it is a
    symlink out of the content folder or cannot be read."""
    if os.path.islink(folder) and not _inside(folder, root):
        return [], [_outside(folder)]
    if not os.path.isdir(folder):
        return [], []
    try:
        with os.scandir(folder) as listing:
            return list(listing), []
    except OSError as exc:
        return [], [Problem(folder, 1, 1, f"cannot read the folder: {exc.strerror}")]


def _inside(path: Path | str, root: str) -> bool:
    real = os.path.realpath(path)
    return real == root or real.startswith(root.rstrip(os.sep) + os.sep)


def _outside(path: Path) -> Problem:
    what = "folder" if os.path.isdir(path) else "file"
    return Problem(path, 1, 1, f"is a symlink to a {what} outside the content folder: not read")


def _is_dir(entry: os.DirEntry[str]) -> bool:
    """Following a symlink (already known to stay inside); False for a broken one or a loop."""
    return entry.is_dir(follow_symlinks=False) or (entry.is_symlink() and os.path.isdir(entry))


def _is_file(entry: os.DirEntry[str]) -> bool:
    return entry.is_file(follow_symlinks=False) or (entry.is_symlink() and os.path.isfile(entry))


def load_content(root: Path, cache: Path | None = None) -> Result:
    """Read and validate the whole content folder; every problem, all files.

    `cache`: a folder where each story file's parse and validation is kept, keyed by
    its bytes and name, so unchanged files are not parsed again (builds, checks)."""
    store = ParseCache(cache) if cache is not None else None
    files = content_files(root)
    problems: list[Problem] = list(files.problems)
    outlets: dict[str, Outlet] = {}
    registry: Document | None = None
    if files.registry is not None:
        registry, outlets, found = _registry_file(files.registry, store)
        problems += found
    declared = set(registry.data) if registry and isinstance(registry.data, dict) else None
    stories: list[Story] = []
    paths: dict[str, Path] = {}
    docs: dict[str, Document] = {}
    cited: set[str] = set()
    unreadable = False
    for path in files.stories:
        doc, story, found = _story_file(path, store)
        problems += found
        if doc is None or not isinstance(doc.data, dict):
            unreadable = True  # it may have meant to cite any outlet
        if doc is None:
            continue
        cited.update(key for _, key in _cited_outlets(doc.data))
        problems += against_registry(doc, story, outlets, declared)
        if story is None or story.slug is None:
            continue
        if story.slug in docs:
            problems.append(_slug_clash(story.slug, doc, docs[story.slug], root))
            continue
        docs[story.slug] = slim(doc)
        stories.append(story)
        paths[story.slug] = path
    if registry is not None and not unreadable:
        problems += _unused_outlets(registry, outlets, cited)
    content = Content(root, outlets, tuple(stories), paths, tuple(files.pages))
    return Result(content, tuple(_capped(_ordered(problems))))


def _registry_file(
    path: Path, store: ParseCache | None
) -> tuple[Document | None, dict[str, Outlet], list[Problem]]:
    """Parse and validate the registry, through the cache when there is one."""
    raw, found = _read(path, REGISTRY)
    if raw is None:
        return None, {}, found
    key = store.key(path.name, raw) if store is not None else ""
    hit = store.get(key) if store is not None else None
    if hit is not None:
        cached, known, found = hit
        moved = tuple(_moved(cached.problems, path))
        return Document(path, cached.data, cached.positions, moved), known, _moved(found, path)
    doc, found = _parsed(path, raw, REGISTRY)
    outlets: dict[str, Outlet] = {}
    if doc is not None:
        outlets, more = load_outlets(doc)
        found += more
        if store is not None:
            store.put(key, (doc, outlets, found))
    return doc, outlets, found


def _story_file(
    path: Path, store: ParseCache | None
) -> tuple[Document | None, Story | None, list[Problem]]:
    """Parse and validate one story file alone, through the cache when there is one."""
    raw, found = _read(path, STORY)
    if raw is None:
        return None, None, found
    key = store.key(path.name, raw) if store is not None else ""
    hit = store.get(key) if store is not None else None
    if hit is not None:
        doc, story, found = hit
        doc = Document(path, doc.data, doc.positions, tuple(_moved(doc.problems, path)))
        return doc, story, _moved(found, path)
    doc, found = _parsed(path, raw, STORY)
    if doc is None:
        return None, None, found
    story, more = story_alone(doc, path.stem)
    found += more
    doc = slim(doc)
    if store is not None:
        store.put(key, (doc, story, found))
    return doc, story, found


def _read(path: Path, limits: Limits) -> tuple[bytes | None, list[Problem]]:
    """The file's bytes, or None and why not."""
    try:
        return read_limited(path, limits), []
    except _YamlProblem as p:
        return None, [Problem(path, p.line, p.col, p.message)]
    except OSError as exc:
        return None, [Problem(path, 1, 1, f"cannot read: {exc.strerror}")]


def _parsed(path: Path, raw: bytes, limits: Limits) -> tuple[Document | None, list[Problem]]:
    try:
        doc = read_document(path, raw, limits)
    except _YamlProblem as p:
        return None, [Problem(path, p.line, p.col, p.message)]
    return doc, list(doc.problems)


def slim(doc: Document) -> Document:
    """What later steps still read of a validated story file: its slug and cited
    outlets, and the positions of the nodes registry checks and warnings point at.
    A tenth of the whole tree, which matters at 10,000 stories (cache, memory)."""
    if not isinstance(doc.data, dict):
        return doc
    data: dict[str, Any] = {}
    keep: list[Loc] = [(), ("slug",)]
    if "slug" in doc.data:
        data["slug"] = doc.data["slug"]
    sources = doc.data.get("sources")
    if isinstance(sources, list):
        data["sources"] = [
            {"outlet": s["outlet"]} if isinstance(s, dict) and "outlet" in s else {}
            for s in sources
        ]
        for i in range(len(sources)):
            keep += [("sources", i), ("sources", i, "outlet"), ("sources", i, "published")]
    values = {loc: doc.positions.values[loc] for loc in keep if loc in doc.positions.values}
    keys = {loc: doc.positions.keys[loc] for loc in keep if loc in doc.positions.keys}
    return Document(doc.path, data, Positions(values, keys), doc.problems)


def _moved(problems: Iterable[Problem], path: Path) -> list[Problem]:
    return [dataclasses.replace(p, path=path) for p in problems]


class ParseCache:
    """Parsed, validated story files on disk, one pickle per content hash.

    Entries are immutable and written atomically, so concurrent builds can share
    the folder. The key includes this package's source, so a change to the model or
    the rules never reads a stale entry."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder / f"stories-{_CODE_VERSION}"

    def key(self, name: str, raw: bytes) -> str:
        return hashlib.sha256(name.encode() + b"\0" + raw).hexdigest()

    def get(self, key: str) -> Any:
        try:
            with open(self.folder / key[:2] / key, "rb") as handle:
                return pickle.load(handle)
        except (OSError, pickle.PickleError, EOFError, AttributeError, ImportError):
            return None

    def put(self, key: str, entry: Any) -> None:
        target = self.folder / key[:2] / key
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{key}.{os.getpid()}")
        with open(tmp, "wb") as handle:
            pickle.dump(entry, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, target)


def _code_version() -> str:
    """The code a cached entry came from: parsing and validation only, so an edit
    to charts or templates keeps the cache."""
    here = Path(__file__).parent
    names = ("load.py", "model.py", "rules.py", "problems.py")
    return files_digest((here / n for n in names), here)[:12]


_CODE_VERSION = _code_version()


def _slug_clash(slug: str, doc: Document, first: Document, root: Path) -> Problem:
    """Two stories, one URL. Blamed: the file that wrote `slug: ...` when only one of
    the two did (a file name is the default, the key is the choice), else the later."""
    if _explicit_slug(first) and not _explicit_slug(doc):
        doc, first = first, doc
    where = _shown(first.path, root)
    if _explicit_slug(first):
        where += f" (line {first.positions.of(('slug',))[0]})"
    else:
        where += " (its file name)"
    line, col = doc.positions.of(("slug",))
    return Problem(doc.path, line, col, f"slug '{slug}' is already used by {where}")


def _explicit_slug(doc: Document) -> bool:
    return isinstance(doc.data, dict) and "slug" in doc.data


def _shown(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def _unused_outlets(
    registry: Document, outlets: Mapping[str, Outlet], cited: Collection[str]
) -> list[Problem]:
    """Registry entries no story file cites (counting stories that have errors, so a
    typo in a story does not also flag the outlet it meant)."""
    return [
        Problem(registry.path, *registry.positions.of((key,), key=True),
                f"outlet '{key}' is not cited by any story", Severity.WARNING)
        for key in outlets
        if key not in cited
    ]


def _capped(problems: list[Problem]) -> list[Problem]:
    """At most `MAX_PROBLEMS` per file (problems come sorted by file), then one that
    says how many more there are: 10,000 broken sources make 51 lines, not 40,000."""
    shown: list[Problem] = []
    hidden: list[Problem] = []
    count = 0
    for i, problem in enumerate(problems):
        same_file = i > 0 and problems[i - 1].path == problem.path
        count = count + 1 if same_file else 1
        if count <= MAX_PROBLEMS:
            shown.append(problem)
            continue
        hidden.append(problem)
        if i + 1 == len(problems) or problems[i + 1].path != problem.path:
            shown.append(_more(hidden))
            hidden = []
    return shown


def _more(hidden: list[Problem]) -> Problem:
    first = hidden[0]
    if errors(hidden):
        message = f"… and {len(hidden):,} more problems in this file (fix these first)"
        return Problem(first.path, first.line, first.col, message)
    message = f"… and {len(hidden):,} more warnings in this file"
    return Problem(first.path, first.line, first.col, message, Severity.WARNING)


def _ordered(problems: Iterable[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: (p.path.as_posix(), p.line, p.col, p.message))
