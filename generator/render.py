"""Phase 3: the computed site → files Pelican and browsers read.

`Rendered` is what the build hands to Pelican (through the plugin): figures,
chart file names with their text alternatives, sanitized summaries. The `write_*`
functions put Markdown and pages into the build folder; `files` writes them
only when their bytes change, so a rebuild touches only what an edit changed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from . import api
from .figures import SiteFigures, StoryFigures
from .files import sync_file
from .forked import Forked
from .helpers import OUTLET_URL
from .markdown import story_markdown
from .model import Outlet
from .sanitize import inline_html

#: Arguments `once` keys by value (anything else by identity).
_PLAIN = (str, int, float)


@dataclass(frozen=True)
class Rendered:
    site: SiteFigures
    outlets: Mapping[str, Outlet]
    charts: Mapping[str, Any] = field(default_factory=dict)  # slug → StoryCharts
    cards: Mapping[str, str] = field(default_factory=dict)  # slug → card file name
    summaries: Mapping[str, str] = field(default_factory=dict)  # slug → safe HTML
    colors: Mapping[str, str] = field(default_factory=dict)
    related_limit: int = 5
    #: Output paths Pelican renders this time; None: all (see `incremental`).
    selected: frozenset[str] | None = None
    #: Stories whose page changed since the last build; None: all of them.
    changed: frozenset[str] | None = None
    #: Template fragments rendered once this build (see `once`).
    fragments: dict[tuple[Any, ...], str] = field(default_factory=dict, compare=False)
    #: Forked copies of the build writing pages (the plugin starts them);
    #: `wait_forked` waits for them, `stop_forked` ends any still running when
    #: Pelican fails.
    forked: list[Forked] = field(default_factory=list, compare=False)
    #: Pelican's generators, once each has its context (the plugin hands part of
    #: the articles generator's pages to a forked copy).
    generators: list[Any] = field(default_factory=list, compare=False)

    def once(self, macro: Callable[..., str], *args: Any) -> str:
        """`macro(*args)`, rendered once per build and then reused: a story's card
        shows on the home page, on its topics' pages and beside related stories, a
        bias badge on every article row. Plain values key by value, anything else by
        identity (the site's figures live as long as the build)."""
        key = (getattr(macro, "name", None) or id(macro),
               *[a if a is None or isinstance(a, _PLAIN) else id(a) for a in args])
        html = self.fragments.get(key)
        if html is None:
            html = self.fragments[key] = macro(*args)
        return html

    def write_api(self, output: str | Path) -> None:
        """The JSON files; in an incremental build only the changed stories' own."""
        for relative, text in api.files(self.site, self.outlets, self.changed):
            sync_file(Path(output) / relative, text.encode("utf-8"))

    def wait_forked(self) -> None:
        """Until every forked copy is done; the first failure is raised."""
        while self.forked:
            self.forked.pop(0).wait()

    def stop_forked(self) -> None:
        while self.forked:
            self.forked.pop().stop()

    def selects(self, path: str) -> bool:
        return self.selected is None or path in self.selected


def sitemap_xml(site: SiteFigures, siteurl: str, pages: Iterable[str]) -> str:
    """Every page a reader lands on, dated by content (never the clock), so the
    file is reproducible and complete however few pages a rebuild rendered."""
    newest = max((s.coverage.last_updated for s in site.stories), default=None)
    rows: list[tuple[str, datetime | None, str]] = [
        ("", newest, "daily"),
        ("topics/", newest, "daily"),
        ("outlets/", newest, "weekly"),
        ("blindspot/", newest, "daily"),
        ("search/", None, "monthly"),
    ]
    rows += [(f"{page}/", None, "monthly") for page in sorted(pages)]
    rows += [(f"stories/{s.slug}/", s.coverage.last_updated, "weekly") for s in site.stories]
    rows += [(f"topics/{t.slug}/", newest, "daily") for t in site.topics]
    rows += [(OUTLET_URL.format(key=o.key), newest, "weekly") for o in site.outlets]
    lines = ['<?xml version="1.0" encoding="utf-8"?>',
             '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    for path, lastmod, freq in rows:
        stamp = f"<lastmod>{lastmod.isoformat()}</lastmod>" if lastmod else ""
        lines.append(f"<url><loc>{escape(f'{siteurl}/{path}')}</loc>{stamp}"
                     f"<changefreq>{freq}</changefreq></url>")
    lines.append("</urlset>")
    return "\n".join(lines) + "\n"


def robots_txt(settings: Mapping[str, Any]) -> str:
    """`/robots.txt`: everything may be crawled; the sitemap's absolute URL (SITEURL;
    for the local preview, whose SITEURL is empty, FEED_DOMAIN, as the feeds use)."""
    base = str(settings.get("SITEURL") or settings.get("FEED_DOMAIN") or "").rstrip("/")
    return f"User-agent: *\nAllow: /\n\nSitemap: {base}/sitemap.xml\n"


class Summaries(Mapping[str, str]):
    """slug → summary HTML, rendered when asked for and remembered by source text
    in `memo` (which the build keeps between runs: rendering 1,000 summaries costs
    a third of a second, looking them up nothing)."""

    def __init__(self, site: SiteFigures, memo: dict[str, str] | None = None) -> None:
        self._site = site
        self.memo = {} if memo is None else memo
        self._by_slug: dict[str, str] = {}  # a story's shows on many pages: looked up once

    def __getitem__(self, slug: str) -> str:
        html = self._by_slug.get(slug)
        if html is None:
            figures = self._site.story(slug)
            key = self._key(figures)
            if key not in self.memo:
                self.memo[key] = inline_html(summary_text(figures))
            html = self._by_slug[slug] = self.memo[key]
        return html

    def current(self) -> dict[str, str]:
        """The remembered summaries of today's stories (what is worth keeping)."""
        keys = (self._key(s) for s in self._site.stories)
        return {key: self.memo[key] for key in keys if key in self.memo}

    @staticmethod
    def _key(figures: StoryFigures) -> str:
        return hashlib.sha256(summary_text(figures).encode("utf-8")).hexdigest()[:24]

    def __iter__(self) -> Iterator[str]:
        return (s.slug for s in self._site.stories)

    def __len__(self) -> int:
        return len(self._site.stories)


def summary_text(figures: StoryFigures) -> str:
    """What cards and feeds summarise a story with: its summary, else its first point."""
    from .model import split_citations

    return figures.story.summary or split_citations(figures.story.key_points[0])[0]


def story_sources(site: SiteFigures) -> Iterator[tuple[str, bytes]]:
    """What Pelican reads of the stories: one Markdown file each, made one at a time
    (10,000 stories' Markdown held together would be ~80 MB)."""
    for figures in site.stories:
        yield f"{figures.slug}.md", story_markdown(figures).encode("utf-8")


def page_sources(pages: Iterable[Path]) -> Iterator[tuple[str, bytes]]:
    """The editor's pages, as they are."""
    for page in pages:
        yield page.name, page.read_bytes()


def read_memo(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def write_memo(path: Path, memo: Mapping[str, str]) -> None:
    sync_file(path, json.dumps(dict(sorted(memo.items())), ensure_ascii=False).encode("utf-8"))
