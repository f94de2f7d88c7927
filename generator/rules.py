"""Rules that relate several fields of a story, or a story to the registry.

Pure functions over typed models. Each finding carries the location (`loc`, the
path of keys and indexes into the YAML document) so `load` can point at the node
and name it (`sources[2].url: ...`); messages therefore do not repeat the field.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from .model import Outlet, Story, split_citations, topic_slug
from .problems import did_you_mean

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class Finding:
    loc: Loc
    message: str


def story_findings(story: Story) -> Iterator[Finding]:
    """Every cross-field error of one valid story."""
    count = len(story.sources)
    if story.updated is not None and story.updated < story.date:
        yield Finding(
            ("updated",),
            f"{_iso(story.updated)} is before `date` ({_iso(story.date)})",
        )
    seen_topics: dict[str, int] = {}
    for i, topic in enumerate(story.topics):
        folded = topic_slug(topic)  # "Trade" = "trade" = "Trade!": one topic page
        if folded in seen_topics:
            yield Finding(
                ("topics", i),
                f"duplicate topic '{topic}' (same as topics[{seen_topics[folded]}])",
            )
        else:
            seen_topics[folded] = i
    for i, point in enumerate(story.key_points):
        _, cites = split_citations(point)
        for n in cites:
            if not 1 <= n <= count:
                yield Finding(
                    ("key_points", i),
                    f"citation [{n}] does not match a source (this story has {count})",
                )
    for i, perspective in enumerate(story.perspectives):
        for j, n in enumerate(perspective.sources):
            if n > count:
                yield Finding(
                    ("perspectives", i, "sources", j),
                    f"source {n} does not exist (this story has {count})",
                )
    seen_urls: dict[str, int] = {}
    for i, source in enumerate(story.sources):
        if source.url in seen_urls:
            yield Finding(
                ("sources", i, "url"),
                f"duplicate URL (same as sources[{seen_urls[source.url]}].url)",
            )
        else:
            seen_urls[source.url] = i


def unknown_outlet(key: str, outlets: Collection[str]) -> str | None:
    """The message for a source citing an outlet missing from the registry."""
    if key in outlets:
        return None
    return f"unknown outlet '{key}'{did_you_mean(key, outlets)}"


def story_warnings(story: Story, outlets: Mapping[str, Outlet]) -> Iterator[Finding]:
    """Things worth a second look that do not stop a build."""
    rated = any(
        (s.bias or (outlets[s.outlet].bias if s.outlet in outlets else None)) for s in story.sources
    )
    if not rated:
        yield Finding((), "no source of this story is rated for bias")
    latest = _end_of_day(story.last_updated)
    for i, source in enumerate(story.sources):
        if source.published is not None and source.published > latest:
            yield Finding(
                ("sources", i, "published"),
                f"{_iso(source.published)} is after the story was last updated "
                f"({_iso(story.last_updated)})",
            )


def _end_of_day(value: datetime) -> datetime:
    """A story dated `2025-05-16` (midnight UTC) covers that whole day: sources
    published later that day are not "after" it."""
    if value.time() == time(0) and value.utcoffset() == timedelta(0):
        return value + timedelta(days=1, microseconds=-1)
    return value


def _iso(value: datetime) -> str:
    return value.isoformat()
