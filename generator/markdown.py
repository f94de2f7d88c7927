"""Phase 3a: one story → the Markdown file Pelican reads.

The metadata block holds only values we validated as single lines (a newline in
editor text would otherwise start a new metadata line). Editor text goes into the
body only, through `sanitize.inline`. Templates read the typed story the plugin
attaches; the body is what feeds and search see as the story's text.
"""

from __future__ import annotations

import re

from .figures import StoryFigures
from .model import has_line_break, split_citations
from .sanitize import CITE_CLOSE, CITE_OPEN, inline


class UnsafeMetadata(ValueError):
    """A metadata value that could break out of its line (a bug upstream)."""


def meta_line(key: str, value: str) -> str:
    if has_line_break(value) or not value.strip():
        raise UnsafeMetadata(f"metadata {key!r} must be one non-empty line: {value!r}")
    return f"{key}: {value}"


#: A citation in the Markdown: private-use characters around the numbers, which
#: Markdown passes through as text (`inline` keeps them out of editor text). Its
#: links are made after Markdown (`link_citations`): they are ours, numbers only,
#: and Markdown's link and escape patterns were a third of a story's rendering time.
_CITATION = re.compile(f"{CITE_OPEN}([0-9]+(?:,[0-9]+)*){CITE_CLOSE}")


def citation_links(numbers: tuple[int, ...]) -> str:
    """`(2, 5)` → ` ` and the marker `link_citations` turns into `[2, 5]`, linked."""
    if not numbers:
        return ""
    return f" {CITE_OPEN}{','.join(str(n) for n in numbers)}{CITE_CLOSE}"


def link_citations(html: str) -> str:
    """The rendered body's citation markers as links to the sources:
    `[<a href="#source-2">2</a>, <a href="#source-5">5</a>]`."""
    if CITE_OPEN not in html:
        return html
    return _CITATION.sub(_links, html)


def _links(match: re.Match[str]) -> str:
    numbers = match.group(1).split(",")
    return "[" + ", ".join(f'<a href="#source-{n}">{n}</a>' for n in numbers) + "]"


def _point(text: str) -> str:
    body, cites = split_citations(text)
    return f"- {inline(body)}{citation_links(cites)}"


def body(figures: StoryFigures) -> str:
    story = figures.story
    parts: list[str] = []
    if story.summary:
        parts.append(inline(story.summary))
    parts.append("## Key points\n\n" + "\n".join(_point(p) for p in story.key_points))
    if story.perspectives:
        lines = []
        for p in story.perspectives:
            who = inline(p.actor) if p.actor else f"{p.side.value.title() if p.side else ''}"
            lines.append(f"- **{who}:** {inline(p.text)}{citation_links(tuple(p.sources))}")
        parts.append("## Perspectives\n\n" + "\n".join(lines))
    if story.timeline:
        entries = sorted(story.timeline, key=lambda e: e.date)
        lines = [f"- **{e.date:%-d %B %Y}:** {inline(e.text)}" for e in entries]
        parts.append("## Timeline\n\n" + "\n".join(lines))
    return "\n\n".join(parts) + "\n"


def story_markdown(figures: StoryFigures) -> str:
    """The whole file: safe metadata, a blank line, the body."""
    story = figures.story
    meta = [
        meta_line("Title", story.title),
        meta_line("Date", story.date.isoformat()),
        meta_line("Slug", figures.slug),
        meta_line("Story", figures.slug),
        meta_line("Template", "story"),
    ]
    if story.updated:
        meta.append(meta_line("Modified", story.updated.isoformat()))
    return "\n".join(meta) + "\n\n" + body(figures)
