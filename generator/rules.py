"""Rules that relate several fields of a story, or a story to the registry.

Pure functions over typed models. Each finding carries the location (`loc`, the
path of keys and indexes into the YAML document) so `load` can point at the node
and name it (`sources[2].url: ...`); messages therefore do not repeat the field.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from pydantic import TypeAdapter, ValidationError

from .model import Outlet, Story, Timestamp, split_citations, topic_slug
from .problems import did_you_mean, quoted

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class Finding:
    loc: Loc
    message: str


@dataclass(frozen=True)
class Facts:
    """What the cross-field rules look at, from a valid story or, leniently, from
    the raw data of an invalid one (None: that value is missing or invalid, and
    the rules that need it stay silent)."""

    sources: int | None
    date: datetime | None
    updated: datetime | None
    topics: tuple[str | None, ...]
    key_points: tuple[str | None, ...]
    perspective_sources: tuple[tuple[int | None, ...], ...]
    urls: tuple[str | None, ...]


def story_facts(story: Story) -> Facts:
    return Facts(
        sources=len(story.sources),
        date=story.date,
        updated=story.updated,
        topics=tuple(story.topics),
        key_points=tuple(story.key_points),
        perspective_sources=tuple(tuple(p.sources) for p in story.perspectives),
        urls=tuple(s.url for s in story.sources),
    )


def raw_facts(data: Mapping[str, Any]) -> Facts:
    """The same facts from a story that did not validate, so that one run reports
    its cross-field errors too, not only after the field errors are fixed."""
    sources = data.get("sources")
    perspectives = data.get("perspectives")
    return Facts(
        sources=len(sources) if isinstance(sources, list) else None,
        date=_timestamp(data.get("date")),
        updated=_timestamp(data.get("updated")),
        topics=_strings(data.get("topics")),
        key_points=_strings(data.get("key_points")),
        perspective_sources=tuple(
            tuple(_index(n) for n in p["sources"])
            if isinstance(p, dict) and isinstance(p.get("sources"), list) else ()
            for p in (perspectives if isinstance(perspectives, list) else ())
        ),
        urls=tuple(
            s["url"] if isinstance(s, dict) and isinstance(s.get("url"), str) else None
            for s in (sources if isinstance(sources, list) else ())
        ),
    )


def _strings(value: Any) -> tuple[str | None, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(v if isinstance(v, str) else None for v in value)


def _index(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _timestamp(value: Any) -> datetime | None:
    try:
        parsed: datetime = _TIMESTAMP.validate_python(value)
    except ValidationError:
        return None
    return parsed


_TIMESTAMP: TypeAdapter[datetime] = TypeAdapter(Timestamp)


def story_findings(story: Story) -> Iterator[Finding]:
    """Every cross-field error of one valid story."""
    return findings(story_facts(story))


def findings(facts: Facts) -> Iterator[Finding]:
    """Every cross-field error the facts show."""
    count = facts.sources
    if facts.updated is not None and facts.date is not None and facts.updated < facts.date:
        yield Finding(
            ("updated",),
            f"{_iso(facts.updated)} is before `date` ({_iso(facts.date)})",
        )
    seen_topics: dict[str, int] = {}
    for i, topic in enumerate(facts.topics):
        if topic is None:
            continue
        folded = topic_slug(topic)  # "Trade" = "trade" = "Trade!": one topic page
        if folded in seen_topics:
            yield Finding(
                ("topics", i),
                f"duplicate topic {quoted(topic)} (same as topics[{seen_topics[folded]}])",
            )
        else:
            seen_topics[folded] = i
    for i, point in enumerate(facts.key_points):
        if point is None or count is None:
            continue
        _, cites = split_citations(point)
        for n in cites:
            if not 1 <= n <= count:
                yield Finding(
                    ("key_points", i),
                    f"citation [{n}] does not match a source (this story has {count})",
                )
    for i, indexes in enumerate(facts.perspective_sources):
        for j, index in enumerate(indexes):
            if index is not None and count is not None and index > count:
                yield Finding(
                    ("perspectives", i, "sources", j),
                    f"source {index} does not exist (this story has {count})",
                )
    seen_urls: dict[str, int] = {}
    for i, url in enumerate(facts.urls):
        if url is None:
            continue
        if url in seen_urls:
            yield Finding(
                ("sources", i, "url"),
                f"duplicate URL (same as sources[{seen_urls[url]}].url)",
            )
        else:
            seen_urls[url] = i


def unknown_outlet(key: str, outlets: Collection[str], suggest: bool = True) -> str | None:
    """The message for a source citing an outlet missing from the registry; the
    closest keys unless `suggest` is False (a search of the whole registry each)."""
    if key in outlets:
        return None
    return f"unknown outlet {quoted(key)}{did_you_mean(key, outlets) if suggest else ''}"


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
