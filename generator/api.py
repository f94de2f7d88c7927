"""Phase 3b: the JSON files of content-format.md §3, as plain values.

Pure functions from figures to JSON-ready dicts; `dumps` fixes the formatting so
output is byte-stable. URLs are site-relative paths (the contract's `/stories/…/`).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator, Mapping
from datetime import datetime
from typing import Any

from .figures import BiasDistribution, SiteFigures, StoryFigures
from .model import Outlet


def story_url(slug: str) -> str:
    return f"/stories/{slug}/"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def bias_json(bias: BiasDistribution) -> dict[str, Any]:
    percents = bias.percents or (None, None, None)
    return {
        "left": {"count": bias.left, "percent": percents[0]},
        "center": {"count": bias.center, "percent": percents[1]},
        "right": {"count": bias.right, "percent": percents[2]},
        "unrated": bias.unrated,
    }


def story_json(figures: StoryFigures) -> dict[str, Any]:
    story, coverage = figures.story, figures.coverage
    broke = coverage.broke_the_news
    return {
        "slug": figures.slug,
        "title": story.title,
        "date": _iso(story.date),
        "updated": _iso(story.updated),
        "url": story_url(figures.slug),
        "topics": list(story.topics),
        "location": story.location,
        "summary": story.summary,
        "key_points": list(story.key_points),
        "articles": coverage.articles,
        "outlets": coverage.outlets,
        "bias": bias_json(figures.bias),
        "factuality": dict(figures.factuality),
        "ownership": dict(figures.ownership),
        "blindspot": figures.blindspot.value if figures.blindspot else None,
        "broke_the_news": (
            {"outlet": broke.source.outlet, "published": _iso(broke.source.published)}
            if broke
            else None
        ),
        "last_updated": _iso(coverage.last_updated),
        "perspectives": [
            {
                "side": p.side.value if p.side else None,
                "actor": p.actor,
                "text": p.text,
                "sources": list(p.sources),
            }
            for p in story.perspectives
        ],
        "timeline": [
            {"date": _iso(e.date), "text": e.text}
            for e in sorted(story.timeline, key=lambda e: e.date)
        ],
        "sources": [
            {
                "outlet": e.source.outlet,
                "title": e.source.title,
                "url": e.source.url,
                "published": _iso(e.source.published),
                "excerpt": e.source.excerpt,
                "bias": e.bias.value if e.bias else None,
                "bucket": e.bucket.value if e.bucket else None,
            }
            for e in figures.entries
        ],
    }


def stories_json(site: SiteFigures) -> list[dict[str, Any]]:
    return [
        {
            "slug": s.slug,
            "title": s.story.title,
            "date": _iso(s.story.date),
            "url": story_url(s.slug),
            "topics": list(s.story.topics),
            "bias": bias_json(s.bias),
        }
        for s in site.stories
    ]


def outlet_json(outlet: Outlet) -> dict[str, Any]:
    data = outlet.model_dump(mode="json", exclude_none=True)
    return data


def outlets_json(outlets: Mapping[str, Outlet]) -> dict[str, Any]:
    return {key: outlet_json(outlets[key]) for key in sorted(outlets)}


#: `<`, `>` and `&` written as JSON escapes: the same values, but a file that is
#: sniffed as HTML or pasted into a `<script>` block cannot open a tag (and U+2028/9,
#: line ends in older JavaScript, are escaped too).
_HTML_SAFE = str.maketrans(
    {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
)


def dumps(value: Any) -> str:
    """Compact UTF-8 JSON and a final newline. Compact, not indented: Python's JSON
    encoder is C only without `indent` (indenting 1,000 stories' files cost 0.2 s a
    build, and a third of the bytes); browsers and `jq` show it indented anyway."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=False)
    return text.translate(_HTML_SAFE) + "\n"


def files(
    site: SiteFigures, outlets: Mapping[str, Outlet], only: Collection[str] | None = None
) -> Iterator[tuple[str, str]]:
    """(relative path, JSON text) for every file of §3's `/api/` (with `only`, the
    site-wide files and those stories' own), one at a time: 10,000 stories' files
    held together would be ~180 MB at the build's peak."""
    yield "api/stories.json", dumps(stories_json(site))
    yield "api/outlets.json", dumps(outlets_json(outlets))
    for figures in site.stories:
        if only is None or figures.slug in only:
            yield f"api/stories/{figures.slug}.json", dumps(story_json(figures))
