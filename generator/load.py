"""Phase 1: read every content file, convert it to models, report every problem.

`folder` says which files to read and reads them safely; `parse` turns each into
plain values with the line and column of each; here pydantic converts them into
typed models and its errors are mapped back to those positions, the cross-field
rules run, and a parse cache skips unchanged files. Every problem in every file is
collected; nothing is written here but the cache.
"""

from __future__ import annotations

import dataclasses
import hashlib
import pickle
import re
import sqlite3
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from .files import files_digest
from .folder import content_files, read_limited
from .model import KEY_PATTERN, SLUG_PATTERN, Outlet, Story
from .parse import REGISTRY, STORY, Document, Limits, Positions, YamlProblem, decode, parse
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

#: Problems shown per file: the first ones in line order, then how many more.
MAX_PROBLEMS = 50

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


def read_document(path: Path, raw: bytes | None = None, limits: Limits = STORY) -> Document:
    """Read and parse one file; raises `YamlProblem` when there is no tree at all."""
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


#: Told of each story as soon as it is read and valid, with the registry (the build
#: starts drawing its charts while the other files are read).
OnStory = Callable[[Story, Mapping[str, Outlet]], None]


def load_content(root: Path, cache: Path | None = None, on_story: OnStory | None = None
                 ) -> Result:
    """Read and validate the whole content folder; every problem, all files.

    `cache`: a folder where each story file's parse and validation is kept, keyed by
    its bytes and name, so unchanged files are not parsed again (builds, checks).
    `on_story`: called for each story with no error of its own (the whole content
    may still fail: a later file can claim its slug, say)."""
    store = ParseCache(cache) if cache is not None else None
    try:
        return _load(root, store, on_story)
    finally:
        if store is not None:
            store.close()


def _load(root: Path, store: ParseCache | None, on_story: OnStory | None) -> Result:
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
        registered = against_registry(doc, story, outlets, declared)
        problems += registered
        if story is None or story.slug is None:
            continue
        if on_story is not None and not errors(found) and not errors(registered):
            on_story(story, outlets)
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
    except YamlProblem as p:
        return None, [Problem(path, p.line, p.col, p.message)]
    except OSError as exc:
        return None, [Problem(path, 1, 1, f"cannot read: {exc.strerror}")]


def _parsed(path: Path, raw: bytes, limits: Limits) -> tuple[Document | None, list[Problem]]:
    try:
        doc = read_document(path, raw, limits)
    except YamlProblem as p:
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
    """Parsed, validated files kept between runs: one SQLite file, one row per
    content hash (a pickle).

    One file, not one per story: a cold build of 1,000 stories would otherwise
    create 1,000 files and 256 folders, each a costly system call on small cloud
    disks. SQLite lets concurrent builds share it (WAL: readers never wait for a
    writer); new rows are written in one transaction per `BATCH`. The key includes
    this package's source, so a change to the model or the rules never reads a
    stale entry. It is a cache: a file it cannot open or read is a miss, never an
    error (an unreadable file is replaced once)."""

    BATCH = 500

    def __init__(self, folder: Path) -> None:
        self.path = folder / f"stories-{_CODE_VERSION}.sqlite"
        self._db: sqlite3.Connection | None = None
        self._pending: list[tuple[str, bytes]] = []
        with suppress(sqlite3.Error, OSError):
            self._db = self._open()

    def _open(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            return _connect(self.path)
        except sqlite3.DatabaseError:  # not a database (a torn or foreign file): anew
            self.path.unlink(missing_ok=True)
            return _connect(self.path)

    def key(self, name: str, raw: bytes) -> str:
        return hashlib.sha256(name.encode() + b"\0" + raw).hexdigest()

    def get(self, key: str) -> Any:
        if self._db is None:
            return None
        try:
            row = self._db.execute("SELECT value FROM entries WHERE key = ?", (key,)).fetchone()
            return None if row is None else pickle.loads(row[0])
        except (sqlite3.Error, pickle.PickleError, EOFError, AttributeError, ImportError,
                TypeError, ValueError, IndexError):
            return None

    def put(self, key: str, entry: Any) -> None:
        if self._db is not None:
            self._pending.append((key, pickle.dumps(entry, protocol=pickle.HIGHEST_PROTOCOL)))
            if len(self._pending) >= self.BATCH:
                self.flush()

    def flush(self) -> None:
        pending, self._pending = self._pending, []
        if self._db is not None and pending:
            with suppress(sqlite3.Error), self._db:
                self._db.executemany(
                    "INSERT OR IGNORE INTO entries (key, value) VALUES (?, ?)", pending
                )

    def close(self) -> None:
        self.flush()
        db, self._db = self._db, None
        if db is not None:
            db.close()


def _connect(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, timeout=30, isolation_level=None)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")  # a cache: a lost last batch is a miss
        db.execute("CREATE TABLE IF NOT EXISTS entries (key TEXT PRIMARY KEY, value BLOB)")
    except BaseException:
        db.close()
        raise
    db.isolation_level = "DEFERRED"  # `with db:` is a transaction
    return db


#: The code a cached entry comes from: parsing and validation only, so an edit to
#: charts or templates keeps the cache (test_cache checks it covers load's imports).
CACHE_KEY_SOURCES = ("load.py", "parse.py", "folder.py", "model.py", "rules.py", "problems.py")


def _code_version() -> str:
    here = Path(__file__).parent
    return files_digest((here / n for n in CACHE_KEY_SOURCES), here)[:12]


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
