"""Unit tests of generator.figures: every number the site shows (content-format.md §2).

Pure functions only: stories and outlets are built directly from the model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta, timezone
from itertools import count

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from generator.figures import (
    BiasDistribution,
    Thresholds,
    bias_distribution,
    blindspot,
    broke_the_news,
    entries,
    factuality_distribution,
    largest_remainder,
    ownership_distribution,
    site_figures,
    story_figures,
)
from generator.model import Bias, Bucket, Outlet, Source, Story

T0 = datetime(2025, 5, 16, tzinfo=UTC)
RULE = Thresholds()

#: One outlet per bias value, keyed by the value, plus an unrated outlet.
OUTLETS: dict[str, Outlet] = {b.value: Outlet(name=f"Outlet {b.value}", bias=b) for b in Bias}
OUTLETS["unrated"] = Outlet(name="Unrated outlet")

_urls = count()


def src(outlet: str, *, published: datetime | None = None, bias: str | None = None) -> Source:
    return Source(
        outlet=outlet,
        title=f"Article from {outlet}",
        url=f"https://example.com/{next(_urls)}",
        published=published,
        bias=bias,
    )


def make_story(
    sources: Sequence[Source],
    *,
    slug: str = "a-story",
    date: datetime = T0,
    updated: datetime | None = None,
    topics: Sequence[str] = (),
    draft: bool = False,
) -> Story:
    return Story(
        title=f"Story {slug}",
        date=date,
        updated=updated,
        slug=slug,
        topics=list(topics),
        key_points=["Something happened."],
        sources=list(sources),
        draft=draft,
    )


def story(
    *biases: str | None,
    published: Sequence[datetime | None] | None = None,
    **kwargs: object,
) -> Story:
    """One source per entry: a bias value picks that outlet, None the unrated one."""
    dates = list(published) if published is not None else [None] * len(biases)
    assert len(dates) == len(biases)
    return make_story(
        [src(b or "unrated", published=d) for b, d in zip(biases, dates, strict=True)],
        **kwargs,  # type: ignore[arg-type]
    )


def dist(s: Story, outlets: Mapping[str, Outlet] = OUTLETS) -> BiasDistribution:
    return bias_distribution(entries(s, outlets))


def counts_story(left: int, center: int, right: int, unrated: int = 0, **kw: object) -> Story:
    return story(
        *(["left"] * left + ["center"] * center + ["right"] * right + [None] * unrated), **kw
    )  # type: ignore[arg-type]


# --- bias distribution --------------------------------------------------------


def test_spec_example_with_unrated() -> None:
    s = counts_story(3, 6, 6, 4)
    d = dist(s)
    assert (d.left, d.center, d.right, d.unrated) == (3, 6, 6, 4)
    assert d.percents == (20, 40, 40)
    assert d.rated == 15
    assert d.total == 19
    figures = story_figures(s, OUTLETS, RULE)
    assert figures.coverage.articles == 19


def test_spec_example_rounded() -> None:
    d = dist(counts_story(1, 3, 3))
    assert d.percents == (14, 43, 43)
    assert d.percent(Bucket.CENTER) == 43
    assert d.count(Bucket.RIGHT) == 3


def test_all_unrated_has_no_percents() -> None:
    d = dist(story(None, None, None))
    assert (d.left, d.center, d.right, d.unrated) == (0, 0, 0, 3)
    assert d.percents is None
    assert d.percent(Bucket.LEFT) is None
    assert d.rated == 0


def test_unrated_is_never_center() -> None:
    d = dist(story("center", None))
    assert (d.center, d.unrated) == (1, 1)
    assert d.percents == (0, 100, 0)


@pytest.mark.parametrize(
    ("bias", "expected"),
    [("left", (100, 0, 0)), ("center", (0, 100, 0)), ("right", (0, 0, 100))],
)
def test_single_source(bias: str, expected: tuple[int, int, int]) -> None:
    assert dist(story(bias)).percents == expected


@pytest.mark.parametrize(
    ("bias", "bucket"),
    [
        ("far-left", Bucket.LEFT),
        ("left", Bucket.LEFT),
        ("lean-left", Bucket.LEFT),
        ("center", Bucket.CENTER),
        ("lean-right", Bucket.RIGHT),
        ("right", Bucket.RIGHT),
        ("far-right", Bucket.RIGHT),
    ],
)
def test_buckets(bias: str, bucket: Bucket) -> None:
    (entry,) = entries(story(bias), OUTLETS)
    assert entry.bucket is bucket
    d = dist(story(bias))
    assert d.count(bucket) == 1
    assert d.percent(bucket) == 100


def test_all_seven_ratings_fall_into_three_buckets() -> None:
    d = dist(story(*(b.value for b in Bias)))
    assert (d.left, d.center, d.right, d.unrated) == (3, 1, 3, 0)
    assert d.percents == (43, 14, 43)


def test_article_bias_beats_outlet_bias() -> None:
    s = make_story([src("left", bias="right"), src("right")])
    items = entries(s, OUTLETS)
    assert [e.bias for e in items] == [Bias.RIGHT, Bias.RIGHT]
    d = bias_distribution(items)
    assert (d.left, d.right) == (0, 2)


def test_article_bias_rates_an_unrated_outlet() -> None:
    s = make_story([src("unrated", bias="lean-left"), src("unrated")])
    items = entries(s, OUTLETS)
    assert items[0].bias is Bias.LEAN_LEFT
    assert items[1].bias is None and items[1].bucket is None
    d = bias_distribution(items)
    assert (d.left, d.unrated) == (1, 1)
    assert d.percents == (100, 0, 0)


def test_entries_are_indexed_from_one_in_list_order() -> None:
    items = entries(story("left", "center", None), OUTLETS)
    assert [e.index for e in items] == [1, 2, 3]
    assert [e.source.outlet for e in items] == ["left", "center", "unrated"]


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        ((1, 1, 1), (34, 33, 33)),  # three-way tie: Left gets the point
        ((1, 0, 1), (50, 0, 50)),
        ((1, 1, 0), (50, 50, 0)),
        ((0, 1, 1), (0, 50, 50)),
        ((3, 2, 2), (43, 29, 28)),  # Center and Right tie for the second point: Center
        ((4, 1, 1), (67, 17, 16)),  # same, after Left
        ((0, 2, 1), (0, 67, 33)),
        ((2, 2, 2), (34, 33, 33)),
        ((1, 1, 4), (17, 17, 66)),  # Left and Center tie, both get a point
        ((5, 1, 1), (72, 14, 14)),  # a strictly larger remainder wins
        ((1, 2, 4), (14, 29, 57)),
        ((3, 6, 6), (20, 40, 40)),
        ((1, 3, 3), (14, 43, 43)),
    ],
)
def test_largest_remainder_ties(counts: tuple[int, int, int], expected: tuple[int, ...]) -> None:
    assert largest_remainder(counts) == expected
    assert dist(counts_story(*counts)).percents == expected


def test_tie_between_center_and_right_goes_to_center() -> None:
    # 3/7 = 42.86, 2/7 = 28.57 twice: two points to hand out, Left then Center.
    assert dist(counts_story(3, 2, 2)).percents == (43, 29, 28)
    # Mirror: the Right's larger remainder still wins over a tie below it.
    assert dist(counts_story(2, 2, 3)).percents == (29, 28, 43)


def test_largest_remainder_all_zero() -> None:
    assert largest_remainder((0, 0, 0)) is None


@settings(max_examples=300, deadline=None)
@given(
    st.integers(min_value=0, max_value=10_000),
    st.integers(min_value=0, max_value=10_000),
    st.integers(min_value=0, max_value=10_000),
)
@example(0, 0, 0)
@example(1, 1, 1)
@example(0, 0, 1)
def test_percentages_add_up_to_100(left: int, center: int, right: int) -> None:
    counts = (left, center, right)
    result = largest_remainder(counts)
    rated = sum(counts)
    if rated == 0:
        assert result is None
        return
    assert result is not None
    assert len(result) == 3
    assert sum(result) == 100
    for c, p in zip(counts, result, strict=True):
        assert abs(p * rated - c * 100) < rated  # |p - exact share| < 1
        assert p >= 0
        if c == 0:
            assert p == 0


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from([*(b.value for b in Bias), None]), min_size=1, max_size=25))
def test_distribution_matches_largest_remainder(biases: list[str | None]) -> None:
    d = dist(story(*biases))
    assert d.total == len(biases)
    assert d.unrated == biases.count(None)
    assert d.percents == largest_remainder((d.left, d.center, d.right))


# --- factuality and ownership -------------------------------------------------


FACT_OUTLETS: dict[str, Outlet] = {
    "vh": Outlet(name="VH", factuality="very-high", ownership="non-profit"),
    "h1": Outlet(name="H1", factuality="high", ownership="media-conglomerate", bias="left"),
    "h2": Outlet(name="H2", factuality="high", ownership="independent"),
    "low": Outlet(name="Low", factuality="low", ownership="billionaire"),
    "none": Outlet(name="None", bias="center"),
}


def test_factuality_counts_per_entry_in_scale_order() -> None:
    s = make_story([src("low"), src("h1"), src("none"), src("vh"), src("h2"), src("h1")])
    result = factuality_distribution(entries(s, FACT_OUTLETS))
    assert result == {"very-high": 1, "high": 3, "low": 1, "unrated": 1}
    assert list(result) == ["very-high", "high", "low", "unrated"]


def test_ownership_counts_per_entry_in_scale_order() -> None:
    s = make_story([src("low"), src("h1"), src("none"), src("vh"), src("h2"), src("h1")])
    result = ownership_distribution(entries(s, FACT_OUTLETS))
    assert result == {
        "independent": 1,
        "media-conglomerate": 2,
        "billionaire": 1,
        "non-profit": 1,
        "unrated": 1,
    }
    assert list(result) == [
        "independent",
        "media-conglomerate",
        "billionaire",
        "non-profit",
        "unrated",
    ]


def test_unrated_always_present() -> None:
    s = make_story([src("h1"), src("h2")])
    items = entries(s, FACT_OUTLETS)
    assert factuality_distribution(items) == {"high": 2, "unrated": 0}
    assert ownership_distribution(items) == {
        "independent": 1,
        "media-conglomerate": 1,
        "unrated": 0,
    }


def test_all_unrated_factuality_and_ownership() -> None:
    items = entries(make_story([src("none"), src("none")]), FACT_OUTLETS)
    assert factuality_distribution(items) == {"unrated": 2}
    assert ownership_distribution(items) == {"unrated": 2}


def test_article_bias_does_not_touch_factuality() -> None:
    s = make_story([src("h1", bias="right")])
    figures = story_figures(s, FACT_OUTLETS, RULE)
    assert figures.factuality == {"high": 1, "unrated": 0}
    assert (figures.bias.left, figures.bias.right) == (0, 1)


# --- coverage details ---------------------------------------------------------


def test_coverage_counts() -> None:
    s = make_story(
        [src("left"), src("left"), src("center"), src("unrated"), src("right", bias="center")]
    )
    c = story_figures(s, OUTLETS, RULE).coverage
    assert c.articles == 5
    assert c.outlets == 4  # left twice
    assert (c.left, c.center, c.right, c.unrated) == (2, 2, 0, 1)


def test_broke_the_news_is_earliest_published() -> None:
    s = story(
        "left",
        "center",
        "right",
        published=[T0 + timedelta(hours=3), T0 + timedelta(hours=1), T0 + timedelta(hours=2)],
    )
    entry = story_figures(s, OUTLETS, RULE).coverage.broke_the_news
    assert entry is not None
    assert (entry.index, entry.source.outlet) == (2, "center")


def test_broke_the_news_compares_instants_across_offsets() -> None:
    plus2 = datetime(2025, 5, 16, 11, 0, tzinfo=timezone(timedelta(hours=2)))  # 09:00 UTC
    s = story("left", "right", published=[datetime(2025, 5, 16, 10, 0, tzinfo=UTC), plus2])
    entry = broke_the_news(entries(s, OUTLETS))
    assert entry is not None and entry.index == 2


def test_broke_the_news_tie_goes_to_list_order() -> None:
    s = story("right", "left", "center", published=[None, T0, T0])
    entry = broke_the_news(entries(s, OUTLETS))
    assert entry is not None
    assert (entry.index, entry.source.outlet) == (2, "left")


def test_broke_the_news_skips_undated_entries() -> None:
    s = story("right", "left", published=[None, T0 + timedelta(days=3)])
    entry = broke_the_news(entries(s, OUTLETS))
    assert entry is not None and entry.index == 2


def test_broke_the_news_absent_without_published() -> None:
    s = story("left", "center")
    assert story_figures(s, OUTLETS, RULE).coverage.broke_the_news is None


def test_last_updated_is_updated_else_date() -> None:
    later = T0 + timedelta(days=2)
    assert story_figures(story("left"), OUTLETS, RULE).coverage.last_updated == T0
    updated = story("left", updated=later)
    assert story_figures(updated, OUTLETS, RULE).coverage.last_updated == later


# --- blindspot ----------------------------------------------------------------


def test_blindspot_defaults() -> None:
    assert Thresholds(min_rated=6, max_share=20, min_other=50) == RULE


# 10 rated entries: Left 2 (20%), Center 3 (30%), Right 5 (50%) — exactly at every limit.
AT = Thresholds(min_rated=10, max_share=20, min_other=50)


@pytest.mark.parametrize("side", [Bucket.LEFT, Bucket.RIGHT])
@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        (AT, True),
        # min_rated: 10 rated entries against a limit just below, at, just above
        (Thresholds(min_rated=9, max_share=20, min_other=50), True),
        (Thresholds(min_rated=11, max_share=20, min_other=50), False),
        # max_share: the weak side has 20%
        (Thresholds(min_rated=10, max_share=19, min_other=50), False),
        (Thresholds(min_rated=10, max_share=21, min_other=50), True),
        # min_other: the strong side has 50%
        (Thresholds(min_rated=10, max_share=20, min_other=49), True),
        (Thresholds(min_rated=10, max_share=20, min_other=51), False),
    ],
)
def test_blindspot_threshold_moves(side: Bucket, rule: Thresholds, expected: bool) -> None:
    weak, strong = 2, 5
    s = counts_story(weak, 3, strong) if side is Bucket.LEFT else counts_story(strong, 3, weak)
    d = dist(s)
    assert d.percent(side) == 20
    assert blindspot(d, rule) is (side if expected else None)
    assert story_figures(s, OUTLETS, rule).blindspot is (side if expected else None)


@pytest.mark.parametrize("side", [Bucket.LEFT, Bucket.RIGHT])
@pytest.mark.parametrize(
    ("weak", "center", "strong", "unrated", "expected"),
    [
        (2, 3, 5, 0, True),  # 20 / 30 / 50, 10 rated: at every limit
        (2, 3, 5, 5, True),  # unrated entries change nothing
        (2, 3, 4, 0, False),  # 9 rated (< 10) — and 22 / 33 / 44
        (1, 3, 5, 0, False),  # 9 rated, just below min_rated
        (1, 4, 5, 0, True),  # 10 / 40 / 50: weak side below the share
        (3, 2, 5, 0, False),  # 30 / 20 / 50: weak side above the share
        (2, 4, 4, 0, False),  # 20 / 40 / 40: strong side below min_other
        (2, 2, 6, 0, True),  # 20 / 20 / 60: strong side above min_other
        (0, 0, 10, 0, True),  # 0 / 0 / 100
        (0, 10, 0, 0, False),  # all Center
        (2, 3, 5, 1, True),
    ],
)
def test_blindspot_counts_around_limits(
    side: Bucket, weak: int, center: int, strong: int, unrated: int, expected: bool
) -> None:
    left, right = (weak, strong) if side is Bucket.LEFT else (strong, weak)
    d = dist(counts_story(left, center, right, unrated))
    assert blindspot(d, AT) is (side if expected else None)


def test_unrated_entries_do_not_reach_min_rated() -> None:
    # 5 rated (0 Left, 5 Right) plus many unrated: below the default 6.
    d = dist(counts_story(0, 0, 5, 10))
    assert blindspot(d, RULE) is None
    assert blindspot(dist(counts_story(0, 0, 6, 10)), RULE) is Bucket.LEFT


def test_blindspot_none_when_balanced_or_unrated() -> None:
    assert blindspot(dist(counts_story(3, 3, 3)), RULE) is None
    assert blindspot(dist(story(*[None] * 10)), RULE) is None
    assert blindspot(dist(story(*[None] * 10)), Thresholds(min_rated=0)) is None


def test_blindspot_uses_percentages_of_rated_with_defaults() -> None:
    # Spec example: 20 / 40 / 40 is no blindspot (Right 40 < 50).
    assert blindspot(dist(counts_story(3, 6, 6, 4)), RULE) is None
    # 1 / 2 / 7 → 10 / 20 / 70: a blindspot for the Left.
    assert blindspot(dist(counts_story(1, 2, 7)), RULE) is Bucket.LEFT
    assert blindspot(dist(counts_story(7, 2, 1)), RULE) is Bucket.RIGHT


# --- across the site ----------------------------------------------------------


def _site(*stories: Story, outlets: Mapping[str, Outlet] = OUTLETS, rule: Thresholds = RULE):
    return site_figures(stories, outlets, rule)


def test_site_reuses_figures_made_from_the_very_same_story() -> None:
    """A cold build computes each story's figures as it loads (to start its charts):
    the figures phase takes those, and recomputes any made from another story."""
    one, two = story("left", slug="one"), story("right", slug="two")
    early = {"one": story_figures(one, OUTLETS, RULE),
             "two": story_figures(story("center", slug="two"), OUTLETS, RULE)}
    site = site_figures([one, two], OUTLETS, RULE, early)
    assert site.story("one") is early["one"]
    assert site.story("two") is not early["two"] and site.story("two").story is two
    assert site.story("two") == story_figures(two, OUTLETS, RULE)


def test_site_leaves_drafts_out_and_orders_newest_first() -> None:
    site = _site(
        story("left", slug="old", date=T0),
        story("left", slug="draft", date=T0 + timedelta(days=9), draft=True),
        story("left", slug="new", date=T0 + timedelta(days=2)),
        story("left", slug="mid", date=T0 + timedelta(days=1)),
    )
    assert [s.slug for s in site.stories] == ["new", "mid", "old"]
    assert site.story("mid").slug == "mid"
    with pytest.raises(KeyError):
        site.story("draft")
    for outlet in site.outlets:
        assert all(s.slug != "draft" for s in outlet.stories)


def test_drafts_leave_no_topic_behind() -> None:
    site = _site(
        story("left", slug="pub", topics=["Trade"]),
        story("left", slug="draft", topics=["Secret"], draft=True),
    )
    assert {t.slug for t in site.topics} == {"trade"}


def test_topic_index_merges_spellings() -> None:
    site = _site(
        story("left", slug="a", date=T0, topics=["trade", "Energy"]),
        story("left", slug="b", date=T0 + timedelta(days=1), topics=["Trade"]),
        story(
            "left", slug="c", date=T0 + timedelta(days=2), topics=["Trade", "Russia-Ukraine War"]
        ),
    )
    by_slug = {t.slug: t for t in site.topics}
    assert set(by_slug) == {"trade", "energy", "russia-ukraine-war"}
    assert by_slug["trade"].name == "Trade"  # two stories against one
    assert [s.slug for s in site.topics[by_slug["trade"]]] == ["c", "b"] + ["a"]
    assert [s.slug for s in site.topics[by_slug["energy"]]] == ["a"]
    # Ordered by name, A to Z.
    assert [t.name for t in site.topics] == ["Energy", "Russia-Ukraine War", "Trade"]


def test_topic_name_is_the_most_common_spelling() -> None:
    site = _site(
        story("left", slug="a", topics=["trade"]),
        story("left", slug="b", topics=["trade"]),
        story("left", slug="c", topics=["Trade"]),
    )
    (topic,) = site.topics
    assert (topic.slug, topic.name) == ("trade", "trade")
    assert len(site.topics[topic]) == 3


def test_topic_name_tie_is_deterministic() -> None:
    one = _site(
        story("left", slug="a", topics=["trade"]),
        story("left", slug="b", topics=["Trade"]),
    )
    other = _site(
        story("left", slug="b", topics=["Trade"]),
        story("left", slug="a", topics=["trade"]),
    )
    assert [t.name for t in one.topics] == [t.name for t in other.topics]


def test_outlet_index() -> None:
    site = _site(
        make_story([src("left"), src("left"), src("center")], slug="a", date=T0),
        make_story(
            [src("left", bias="right"), src("right")], slug="b", date=T0 + timedelta(days=1)
        ),
        make_story([src("right")], slug="c", date=T0 + timedelta(days=2)),
    )
    outlets = {o.key: o for o in site.outlets}
    assert set(outlets) == set(OUTLETS)  # every registered outlet, even without stories
    assert [o.key for o in site.outlets] == sorted(OUTLETS)
    left = outlets["left"]
    assert left.outlet is OUTLETS["left"]
    assert [s.slug for s in left.stories] == ["b", "a"]  # once each, newest first
    # Its own entries: 2 Left in "a", 1 overridden to Right in "b".
    assert (left.bias.left, left.bias.center, left.bias.right) == (2, 0, 1)
    assert left.bias.percents == (67, 0, 33)
    assert [s.slug for s in outlets["right"].stories] == ["c", "b"]
    assert outlets["unrated"].stories == ()
    assert outlets["unrated"].bias.percents is None
    # Its articles grouped by story, in the stories' order, each story once.
    assert [(s.slug, [e.index for e in entries]) for s, entries in left.coverage] == [
        ("b", [1]), ("a", [1, 2])
    ]
    assert list(outlets["unrated"].coverage) == []


def test_blindspots_listed_by_side() -> None:
    site = _site(
        counts_story(0, 1, 6, slug="for-left", date=T0),
        counts_story(6, 1, 0, slug="for-right", date=T0 + timedelta(days=1)),
        counts_story(3, 3, 3, slug="none", date=T0 + timedelta(days=2)),
    )
    assert [s.slug for s in site.blindspots(Bucket.LEFT)] == ["for-left"]
    assert [s.slug for s in site.blindspots(Bucket.RIGHT)] == ["for-right"]


def test_related_most_shared_topics_then_newest() -> None:
    site = _site(
        story("left", slug="me", date=T0, topics=["Trade", "Energy", "China"]),
        story("left", slug="two-old", date=T0 + timedelta(days=1), topics=["trade", "energy"]),
        story("left", slug="one-new", date=T0 + timedelta(days=5), topics=["China"]),
        story("left", slug="one-old", date=T0 + timedelta(days=2), topics=["Energy"]),
        story("left", slug="two-new", date=T0 + timedelta(days=3), topics=["Energy", "China"]),
        story(
            "left", slug="three", date=T0 - timedelta(days=1), topics=["China", "Trade", "Energy"]
        ),
        story("left", slug="unrelated", date=T0 + timedelta(days=9), topics=["Sport"]),
        story("left", slug="no-topics", date=T0 + timedelta(days=9)),
    )
    me = site.story("me")
    related = [s.slug for s in site.related(me)]
    assert related == ["three", "two-new", "two-old", "one-new", "one-old"]
    assert [s.slug for s in site.related(me, limit=2)] == ["three", "two-new"]
    assert "me" not in related


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sets(st.sampled_from("ABCDEF"), max_size=4), min_size=1, max_size=25),
       st.integers(min_value=1, max_value=6))
def test_related_is_the_plain_definition(topic_sets: list[set[str]], limit: int) -> None:
    """Ranked from intersections and merged lists, the result is still: every other
    story sharing a topic, most shared topics first, then the newest."""
    site = _site(*(
        story("left", slug=f"s{i}", date=T0 + timedelta(hours=i * 7 % 11), topics=sorted(t))
        for i, t in enumerate(topic_sets)
    ))
    order = {s.slug: i for i, s in enumerate(site.stories)}
    for me in site.stories:
        mine = {t.slug for t in me.topics}
        shared = {s.slug: len(mine & {t.slug for t in s.topics})
                  for s in site.stories if s.slug != me.slug}
        expected = sorted((slug for slug, n in shared.items() if n),
                          key=lambda slug: (-shared[slug], order[slug]))[:limit]
        assert [s.slug for s in site.related(me, limit)] == expected


def test_related_never_itself_and_empty_without_topics() -> None:
    site = _site(
        story("left", slug="a", topics=["Trade"]),
        story("left", slug="b"),
    )
    assert site.related(site.story("a")) == ()
    assert site.related(site.story("b")) == ()


def test_story_figures_topics_keep_order() -> None:
    f = story_figures(story("left", topics=["Trade", "Russia-Ukraine War"]), OUTLETS, RULE)
    assert [(t.slug, t.name) for t in f.topics] == [
        ("trade", "Trade"),
        ("russia-ukraine-war", "Russia-Ukraine War"),
    ]
