"""`parallax new`: write a story file that already passes `parallax check`.

The file starts with the schema modeline (completion and inline errors in editors
that run yaml-language-server), fills the required fields with placeholders that
validate (one key point citing one source, one source from the registry) and
describes every optional field in a comment, so an editor never needs to look up
a key name. The text is validated with the same loader `parallax check` uses
before anything is written; an existing story is never overwritten.
"""

from __future__ import annotations

import argparse
import json
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from .folder import content_files
from .load import load_outlets, load_story, read_document
from .model import DATE_PATTERN, SLUG_PATTERN, Outlet, ascii_slug, isolate_bidi
from .parse import REGISTRY, Document, YamlProblem
from .problems import Problem, Severity, visible

PROJECT = Path(__file__).resolve().parent.parent
STORY_SCHEMA = PROJECT / "schema" / "story.schema.json"
MAX_SLUG = 100

class ScaffoldError(Exception):
    """Nothing was written; the message says why (exit 1)."""


@dataclass(frozen=True)
class Scaffold:
    path: Path
    slug: str
    text: str
    warnings: tuple[Problem, ...] = ()


def slugify(title: str, fallback: str = "story") -> str:
    """`"Pope Leo XIV elected — the first US pope"` → `pope-leo-xiv-elected-the-first-us-pope`.

    Lowercase ASCII letters, digits and hyphens, at most 100 characters, cut at a
    word boundary when it can be; `fallback` when nothing of the title is ASCII.
    Zero-width and bidi characters are dropped, never turned into a hyphen."""
    slug = ascii_slug(title)
    if len(slug) > MAX_SLUG:
        cut = slug[: MAX_SLUG + 1]
        slug = cut.rsplit("-", 1)[0] if "-" in cut[1:] else cut[:MAX_SLUG]
        slug = slug[:MAX_SLUG].strip("-")
    if not re.match(SLUG_PATTERN, slug):
        slug = fallback
    return slug


def modeline(story: Path, schema: Path = STORY_SCHEMA) -> str:
    """The yaml-language-server comment, with the schema path relative to the file."""
    relative = os.path.relpath(schema.resolve(), story.resolve().parent)
    return f"# yaml-language-server: $schema={Path(relative).as_posix()}"


def _quoted(value: str) -> str:
    """A YAML double-quoted scalar (JSON string syntax is a subset YAML reads back),
    invisible characters (bidi controls, zero-width) written as `\\uXXXX`, so the
    file shows what the title holds."""
    return visible(json.dumps(value, ensure_ascii=False))


def render(
    title: str, day: date, topics: Sequence[str], outlet: str, schema_line: str
) -> str:
    topic_line = (
        f"topics: [{', '.join(_quoted(t) for t in topics)}]"
        if topics
        else "# topics: [Elections, Europe]"
    )
    return f"""\
{schema_line}
# A new story, written by `parallax new`. Replace every placeholder (REPLACE, example.org),
# uncomment the fields you need, then run `parallax check` and `make serve`.
# Every field is described in CONTRIBUTING.md and docs/content-format.md.

# The headline of the story: plain text, one line, at most 300 characters.
title: {_quoted(title)}

# The day the story broke: YYYY-MM-DD, or a date-time such as 2025-05-16T09:30:00Z
# (a time without an offset is UTC).
date: {day.isoformat()}

# When the story was last revised (same format, not before `date`).
# updated: {day.isoformat()}T18:00:00Z

# The story's URL is /stories/<slug>/. By default the slug is this file's name.
# slug: a-shorter-slug

# Topics, in order of importance; each gets a page and an Atom feed (1-80 characters).
{topic_line}

# Where it happened, as plain text.
# location: Istanbul, Türkiye

# One paragraph of context. Inline Markdown: **bold**, _italic_, [a link](https://...).
# summary: >-
#   What happened, in two or three sentences.

# 1 to 12 key points, inline Markdown. End a point with the numbers of the sources it
# rests on, counted from 1 in the `sources` list below: [1] or [2, 5]. Write only what
# the sources say: no invented quotes.
key_points:
  - "REPLACE: the first key point, with the source it rests on. [1]"

# How each side, or one named actor, sees the story. Give exactly one of `side`
# (left, center or right) or `actor` (a name); `sources` lists source numbers.
# perspectives:
#   - side: left
#     text: What outlets on the Left stress.
#     sources: [1]
#   - actor: "Name of a person or organisation"
#     text: What they said, with the source that reports it.
#     sources: [1]

# Dated events, shown in date order.
# timeline:
#   - date: {day.isoformat()}T07:00:00Z
#     text: What happened first.

# One entry per article that covered the story. Aim for at least 6, from outlets on
# the Left, in the Center and on the Right: the bias bar and the blindspot are
# computed from this list. `outlet` is a key of content/outlets.yaml
# (`parallax outlet KEY` shows what the registry says about it).
sources:
  - outlet: {outlet}
    title: "REPLACE: the article's headline, as published"
    url: https://example.org/replace-with-the-article-url
    # When the article appeared (the earliest one "broke the news"):
    # published: {day.isoformat()}T07:02:00Z
    # A sentence or two quoted from the article, plain text, at most 1,000 characters:
    # excerpt: ...
    # Only to override the outlet's rating for this one article (far-left, left,
    # lean-left, center, lean-right, right, far-right):
    # bias: center

# A draft is validated but not published.
# draft: true
"""


def registry_outlets(registry: Path | None) -> dict[str, Outlet]:
    """The valid outlets of the registry, in file order (empty when missing, refused
    or unreadable)."""
    if registry is None:
        return {}
    try:
        doc = read_document(registry, limits=REGISTRY)
    except (YamlProblem, OSError):
        return {}
    outlets, _ = load_outlets(doc)
    return outlets


def placeholder_outlet(outlets: dict[str, Outlet]) -> str:
    """The first rated outlet of the registry (so the scaffold has a bias figure and
    no "no rated source" warning), else the first one."""
    for key, outlet in outlets.items():
        if outlet.bias is not None:
            return key
    return next(iter(outlets))


def new_story(
    title: str,
    content: Path,
    day: date | None = None,
    topics: Sequence[str] = (),
    today: Callable[[], date] = date.today,
) -> Scaffold:
    """Write `content/stories/<slug>.yaml`; raises ScaffoldError (nothing written)."""
    day = day or today()
    files = content_files(content)
    outlets = registry_outlets(files.registry)
    if not outlets:
        raise ScaffoldError(
            f"no valid outlet in {content / 'outlets.yaml'}: a story needs at least one "
            "source from the registry (add an outlet first, see CONTRIBUTING.md)"
        )
    slug = slugify(title, fallback=f"story-{day.isoformat()}")
    path = content / "stories" / f"{slug}.yaml"
    for existing in files.stories:
        if existing.stem == slug:
            raise ScaffoldError(
                f"{existing} already exists: edit it, or choose another title"
            )
    schema = content / ".." / "schema" / "story.schema.json"  # the content's own project
    schema = schema if schema.is_file() else STORY_SCHEMA
    text = render(title, day, topics, placeholder_outlet(outlets), modeline(path, schema))
    problems = _validate(path, text, outlets, slug)
    errors = [p for p in problems if p.severity is Severity.ERROR]
    if errors:
        raise ScaffoldError("; ".join(p.message for p in errors))
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with path.open("x", encoding="utf-8") as out:  # never overwrite, even in a race
            out.write(text)
    except FileExistsError:
        raise ScaffoldError(f"{path} already exists: edit it, or choose another title") from None
    return Scaffold(path, slug, text, tuple(problems))


def _validate(path: Path, text: str, outlets: dict[str, Outlet], slug: str) -> list[Problem]:
    """The scaffold through the loader `parallax check` uses (title and topics are the
    editor's: the model says whether they are valid)."""
    try:
        doc: Document = read_document(path, text.encode("utf-8"))
    except YamlProblem as problem:  # pragma: no cover - the template is valid YAML
        return [Problem(path, problem.line, problem.col, problem.message)]
    story, problems = load_story(doc, outlets, slug)
    problems = list(doc.problems) + problems
    if story is not None and story.title != isolate_bidi(doc.data["title"]):  # pragma: no cover
        problems.append(Problem(path, 1, 1, "title: does not read back as written"))
    return problems



def parse_day(text: str) -> date:
    """`--date`: an ISO calendar date."""
    try:
        if not re.match(DATE_PATTERN, text):
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None
