"""Phase 2: every number the site shows (content-format.md §2), as pure functions.

No I/O, no Pelican, no matplotlib: the model goes in, frozen values come out, so
each figure is unit-tested on its own and the same values feed the page, the
charts, the JSON files and the feeds.
"""

from __future__ import annotations

import functools
import heapq
import itertools
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from .model import Bias, Bucket, Factuality, Outlet, Ownership, Source, Story, topic_slug

BUCKETS = (Bucket.LEFT, Bucket.CENTER, Bucket.RIGHT)


@dataclass(frozen=True)
class Thresholds:
    """The blindspot rule's three numbers (set in pelicanconf.py)."""

    min_rated: int = 6
    max_share: int = 20
    min_other: int = 50


@dataclass(frozen=True)
class BiasDistribution:
    left: int
    center: int
    right: int
    unrated: int
    #: Whole percentages of the rated entries (Left, Center, Right), None when none is rated.
    percents: tuple[int, int, int] | None

    @property
    def rated(self) -> int:
        return self.left + self.center + self.right

    @property
    def total(self) -> int:
        return self.rated + self.unrated

    def count(self, bucket: Bucket) -> int:
        return (self.left, self.center, self.right)[BUCKETS.index(bucket)]

    def percent(self, bucket: Bucket) -> int | None:
        return None if self.percents is None else self.percents[BUCKETS.index(bucket)]


@dataclass(frozen=True)
class Entry:
    """One source entry with its resolved ratings (the unit every figure counts)."""

    index: int  # 1-based, as citations write it
    source: Source
    outlet: Outlet
    bias: Bias | None

    @property
    def bucket(self) -> Bucket | None:
        return self.bias.bucket if self.bias else None


@dataclass(frozen=True)
class Coverage:
    articles: int
    outlets: int
    left: int
    center: int
    right: int
    unrated: int
    broke_the_news: Entry | None
    last_updated: datetime


@dataclass(frozen=True)
class StoryFigures:
    """A story with everything computed from it: what templates and JSON read."""

    story: Story
    slug: str
    entries: tuple[Entry, ...]
    bias: BiasDistribution
    factuality: Mapping[str, int]
    ownership: Mapping[str, int]
    coverage: Coverage
    blindspot: Bucket | None
    topics: tuple[Topic, ...]


@dataclass(frozen=True, order=True)
class Topic:
    slug: str
    name: str


def largest_remainder(counts: Sequence[int]) -> tuple[int, ...] | None:
    """Whole percentages that add up to exactly 100 (ties go to the earlier bucket)."""
    total = sum(counts)
    if total == 0:
        return None
    floors = [c * 100 // total for c in counts]
    remainders = [c * 100 % total for c in counts]  # integers: no float ties
    short = 100 - sum(floors)
    # Largest remainder first; ties by position (Left, then Center, then Right).
    order = sorted(range(len(counts)), key=lambda i: (-remainders[i], i))
    for i in order[:short]:
        floors[i] += 1
    return tuple(floors)


def entries(story: Story, outlets: Mapping[str, Outlet]) -> tuple[Entry, ...]:
    return tuple(
        Entry(i, source, outlets[source.outlet], source.bias or outlets[source.outlet].bias)
        for i, source in enumerate(story.sources, start=1)
    )


def bias_distribution(items: Iterable[Entry]) -> BiasDistribution:
    counts = Counter(e.bucket for e in items)
    left, center, right = (counts[b] for b in BUCKETS)
    percents = largest_remainder((left, center, right))
    return BiasDistribution(
        left, center, right, counts[None], None if percents is None else _three(percents)
    )


def _three(values: Sequence[int]) -> tuple[int, int, int]:
    return values[0], values[1], values[2]


def factuality_distribution(items: Iterable[Entry]) -> dict[str, int]:
    """Counts per factuality value in scale order, only non-zero, plus `unrated`."""
    return _distribution((e.outlet.factuality for e in items), list(Factuality))


def ownership_distribution(items: Iterable[Entry]) -> dict[str, int]:
    return _distribution((e.outlet.ownership for e in items), list(Ownership))


def _distribution(
    values: Iterable[Factuality | Ownership | None], scale: Sequence[Factuality | Ownership]
) -> dict[str, int]:
    counts = Counter(values)
    result = {str(v): counts[v] for v in scale if counts[v]}
    result["unrated"] = counts[None]
    return result


def broke_the_news(items: Sequence[Entry]) -> Entry | None:
    """The earliest published entry; ties by list order; None when none has a date."""
    dated = [e for e in items if e.source.published is not None]
    return min(dated, key=lambda e: (e.source.published, e.index)) if dated else None


def coverage(story: Story, items: Sequence[Entry], bias: BiasDistribution) -> Coverage:
    return Coverage(
        articles=len(items),
        outlets=len({e.source.outlet for e in items}),
        left=bias.left,
        center=bias.center,
        right=bias.right,
        unrated=bias.unrated,
        broke_the_news=broke_the_news(items),
        last_updated=story.last_updated,
    )


def blindspot(bias: BiasDistribution, rule: Thresholds) -> Bucket | None:
    """The side that barely covered a story the other side covered a lot (§2)."""
    if bias.rated < rule.min_rated or bias.percents is None:
        return None
    left, _, right = bias.percents
    if left <= rule.max_share and right >= rule.min_other:
        return Bucket.LEFT
    if right <= rule.max_share and left >= rule.min_other:
        return Bucket.RIGHT
    return None


def story_figures(story: Story, outlets: Mapping[str, Outlet], rule: Thresholds) -> StoryFigures:
    items = entries(story, outlets)
    bias = bias_distribution(items)
    assert story.slug is not None, "load fills the slug"
    return StoryFigures(
        story=story,
        slug=story.slug,
        entries=items,
        bias=bias,
        factuality=factuality_distribution(items),
        ownership=ownership_distribution(items),
        coverage=coverage(story, items, bias),
        blindspot=blindspot(bias, rule),
        topics=tuple(Topic(topic_slug(t), t) for t in story.topics),
    )


# --- across the site ----------------------------------------------------------


@dataclass(frozen=True)
class OutletFigures:
    key: str
    outlet: Outlet
    stories: tuple[StoryFigures, ...]  # newest first
    bias: BiasDistribution  # over this outlet's entries in those stories
    #: Its articles in each of those stories, grouped once here: the profile page
    #: would otherwise scan every entry of every story it lists.
    articles: tuple[tuple[Entry, ...], ...] = ()

    @property
    def coverage(self) -> Iterator[tuple[StoryFigures, tuple[Entry, ...]]]:
        """(story, this outlet's articles in it), newest story first."""
        return zip(self.stories, self.articles, strict=True)


@dataclass(frozen=True)
class SiteFigures:
    """The computed site: stories newest first, and every index built from them."""

    stories: tuple[StoryFigures, ...]
    outlets: tuple[OutletFigures, ...]
    topics: Mapping[Topic, tuple[StoryFigures, ...]]  # by name, A to Z
    rule: Thresholds

    def story(self, slug: str) -> StoryFigures:
        return self.stories[self._order[slug]]

    def blindspots(self, side: Bucket) -> tuple[StoryFigures, ...]:
        return tuple(s for s in self.stories if s.blindspot is side)

    def related(self, figures: StoryFigures, limit: int = 5) -> tuple[StoryFigures, ...]:
        """Stories sharing the most topics, then the newest (worked out once per story:
        the incremental plan and the story page both ask)."""
        key = (figures.slug, limit)
        if key not in self._related:
            self._related[key] = self._find_related(figures, limit)
        return self._related[key]

    @functools.cached_property
    def _related(self) -> dict[tuple[str, int], tuple[StoryFigures, ...]]:
        return {}

    def _find_related(self, figures: StoryFigures, limit: int) -> tuple[StoryFigures, ...]:
        """Each topic lists its stories newest first (a story never has a topic twice):
        stories sharing two topics or more are the intersections of the topics' sets,
        which are few; the rest come from merging the lists, newest first, until there
        are enough. No story that shares a topic is scored one by one, which was
        quadratic in a topic's size (10,000 stories: 4 s)."""
        slugs = [t.slug for t in figures.topics if t.slug in self._topic_sets]
        sets = [self._topic_sets[slug] for slug in slugs]
        order = self._order
        multi: set[str] = set()
        for a, b in itertools.combinations(sets, 2):
            multi |= a & b
        multi.discard(figures.slug)
        shared = {slug: sum(slug in topic for topic in sets) for slug in multi}
        best = sorted(multi, key=lambda slug: (-shared[slug], order[slug]))[:limit]
        if len(best) < limit:
            lists = [self._topic_slugs[slug] for slug in slugs]
            for slug in heapq.merge(*lists, key=order.__getitem__):
                if slug != figures.slug and slug not in multi:
                    best.append(slug)
                    if len(best) == limit:
                        break
        return tuple(self.stories[order[slug]] for slug in best)

    @functools.cached_property
    def _topic_slugs(self) -> dict[str, tuple[str, ...]]:
        """Each topic's stories by slug, newest first (the site's order)."""
        return {t.slug: tuple(s.slug for s in stories) for t, stories in self.topics.items()}

    @functools.cached_property
    def _topic_sets(self) -> dict[str, frozenset[str]]:
        return {slug: frozenset(stories) for slug, stories in self._topic_slugs.items()}

    @functools.cached_property
    def _order(self) -> dict[str, int]:
        """Position of each story (newest first): built once, not per call."""
        return {s.slug: i for i, s in enumerate(self.stories)}


def newest_first(stories: Iterable[StoryFigures]) -> tuple[StoryFigures, ...]:
    return tuple(sorted(stories, key=lambda s: (s.story.date, s.slug), reverse=True))


def site_figures(
    stories: Iterable[Story], outlets: Mapping[str, Outlet], rule: Thresholds,
    known: Mapping[str, StoryFigures] | None = None,
) -> SiteFigures:
    """Figures for the published stories (drafts are left out here, once). `known`:
    stories' figures computed already, by slug (used when made from the very same
    story with the same registry and rule)."""
    known = known or {}

    def figures_of(story: Story) -> StoryFigures:
        done = known.get(story.slug or "")
        if done is not None and done.story is story:
            return done
        return story_figures(story, outlets, rule)

    computed = newest_first(figures_of(s) for s in stories if not s.draft)
    by_topic: dict[str, list[StoryFigures]] = defaultdict(list)
    spellings: dict[str, Counter[str]] = defaultdict(Counter)
    # outlet key → story slug → (story, the outlet's entries in it), newest first
    by_outlet: dict[str, dict[str, tuple[StoryFigures, list[Entry]]]] = defaultdict(dict)
    for figures in computed:
        for topic in figures.topics:
            by_topic[topic.slug].append(figures)
            spellings[topic.slug][topic.name] += 1
        for entry in figures.entries:
            by_outlet[entry.source.outlet].setdefault(figures.slug, (figures, []))[1].append(entry)
    outlet_figures = tuple(
        _outlet_figures(key, outlet, by_outlet[key]) for key, outlet in sorted(outlets.items())
    )
    # One page per topic slug; its name is the spelling most stories use.
    named = [Topic(slug, _most_common(spellings[slug])) for slug in by_topic]
    topics = {t: tuple(by_topic[t.slug]) for t in sorted(named, key=lambda t: t.name.casefold())}
    return SiteFigures(computed, outlet_figures, topics, rule)


def _outlet_figures(
    key: str, outlet: Outlet, coverage: Mapping[str, tuple[StoryFigures, list[Entry]]]
) -> OutletFigures:
    stories = tuple(figures for figures, _ in coverage.values())
    articles = tuple(tuple(entries) for _, entries in coverage.values())
    every = [entry for entries in articles for entry in entries]
    return OutletFigures(key, outlet, stories, bias_distribution(every), articles)


def _most_common(counts: Counter[str]) -> str:
    return min(counts, key=lambda name: (-counts[name], name))
