"""YAML text → plain values with the line and column of each, within limits.

Built from libyaml's event stream (fast, safe: nothing is constructed from tags),
not its composer: no node tree is kept, nesting is refused before anything recurses
deeper than `MAX_DEPTH`, and values are counted as they come, so a hostile file costs
bounded time and memory. Duplicate keys, aliases, merge keys and non-standard tags
(`!!python/...` is an error, never executed) are problems; scalars stay the text the
editor wrote (no `country: NO` → False).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.cyaml import CParser  # type: ignore[attr-defined]

from .model import BIDI_CONTROL
from .problems import Problem, Severity, quoted
from .rules import Loc

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
    """One parsed file: its plain values, where each stood, the problems of its tree."""

    path: Path
    data: Any
    positions: Positions
    problems: tuple[Problem, ...] = ()


class YamlProblem(Exception):
    """A file that yields no values at all (not UTF-8, not YAML, over a limit): raised,
    and reported by the caller at its line and column."""

    def __init__(self, line: int, col: int, message: str) -> None:
        super().__init__(message)
        self.line, self.col, self.message = line, col, message


def decode(raw: bytes) -> str:
    """UTF-8 only (a BOM is allowed); the error names the first bad byte."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        col = len(before.rsplit(b"\n", 1)[-1].decode("utf-8", "replace")) + 1
        raise YamlProblem(
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
        raise YamlProblem(line, col, f"YAML syntax error: {what}") from None
    except yaml.YAMLError as exc:
        raise YamlProblem(1, 1, f"YAML error: {exc}") from None
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
            raise YamlProblem(1, 1, "the file is empty")
        data = self.node(self.next(), (), 0)
        self.next()  # document end
        event = self.next()
        if type(event) is not yaml.StreamEndEvent:
            raise YamlProblem(
                *_at(event.start_mark),
                "expected a single document in the file, but found another one (`---`)",
            )
        return data

    def node(self, event: Any, loc: Loc, depth: int) -> Any:
        mark = event.start_mark
        here = self.values[loc] = (mark.line + 1, mark.column + 1)
        if len(self.values) > self.max_values:
            raise YamlProblem(*here, _too_many(self.max_values))
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
            raise YamlProblem(*here, _TOO_DEEP)
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
                    raise YamlProblem(*_at(event.start_mark), _TOO_DEEP)
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
