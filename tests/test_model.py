"""`model`: per-field rules and the small helpers built on the vocabulary."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from generator.model import (
    Bias,
    Bucket,
    Outlet,
    Perspective,
    Source,
    Story,
    has_line_break,
    split_citations,
    topic_slug,
)


def story(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title": "Talks",
        "date": "2025-05-16",
        "key_points": ["Talks began. [1]"],
        "sources": [{"outlet": "reuters", "title": "Talks", "url": "https://example.org/a"}],
    }
    data.update(changes)
    return data


def error_locs(data: dict[str, Any], model: Any = Story) -> list[tuple[Any, ...]]:
    with pytest.raises(ValidationError) as info:
        model.model_validate(data)
    return [e["loc"] for e in info.value.errors()]


def test_a_minimal_story() -> None:
    loaded = Story.model_validate(story())
    assert loaded.date == datetime(2025, 5, 16, tzinfo=UTC)
    assert loaded.last_updated == loaded.date
    assert loaded.slug is None and loaded.topics == [] and loaded.draft is False


def test_naive_date_times_are_utc() -> None:
    loaded = Story.model_validate(story(date="2025-05-16T10:00", updated=datetime(2025, 5, 17)))
    assert loaded.date == datetime(2025, 5, 16, 10, tzinfo=UTC)
    assert loaded.updated == datetime(2025, 5, 17, tzinfo=UTC)
    assert loaded.last_updated == loaded.updated
    assert Story.model_validate(story(date=date(2025, 5, 16))).date.tzinfo is UTC


@pytest.mark.parametrize("value", ["20250516", 1747353600, "16/05/2025", "2025-5-16", "yesterday"])
def test_dates_must_be_iso_8601(value: object) -> None:
    """Pydantic alone would read a number as seconds since 1970."""
    assert error_locs(story(date=value)) == [("date",)]


def test_outlet_rated_on_is_an_iso_date() -> None:
    assert Outlet(name="X", rated_on="2025-05-01").rated_on == date(2025, 5, 1)
    assert error_locs({"name": "X", "rated_on": "20250501"}, Outlet) == [("rated_on",)]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", "x" * 301),
        ("title", ""),
        ("title", "two\nlines"),
        ("title", "line\u2028separator"),
        ("slug", "Has Spaces"),
        ("slug", "-leading-hyphen"),
        ("slug", "x" * 101),
        ("topics", ["t" * 81]),
        ("topics", [""]),
        ("key_points", []),
        ("key_points", ["p"] * 13),
        ("sources", []),
        ("draft", "maybe"),
        ("colour", "red"),
    ],
)
def test_story_field_rules(field: str, value: object) -> None:
    locs = error_locs(story(**{field: value}))
    assert locs and all(loc[0] == field for loc in locs)


def test_limits_are_inclusive() -> None:
    Story.model_validate(
        story(title="x" * 300, slug="a" * 100, topics=["t" * 80], key_points=["p"] * 12)
    )
    Source(outlet="a", title="t", url="https://a.example", excerpt="e" * 1000)
    Outlet(name="n" * 120)


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.org/a",
        "javascript:alert(1)",
        "/relative/path",
        "example.org/a",
        "mailto:editor@example.org",
        "https://",
        "https://exa mple.org/",
    ],
)
def test_urls_are_absolute_http(url: str) -> None:
    assert error_locs({"outlet": "a", "title": "t", "url": url}, Source) == [("url",)]


@pytest.mark.parametrize("url", ["http://example.org", "HTTPS://Example.org/a?b=c#d"])
def test_http_urls_are_fine(url: str) -> None:
    assert Source(outlet="a", title="t", url=url).url == url


def test_source_field_rules() -> None:
    bad = {
        "outlet": "Reuters",
        "title": "",
        "url": "https://a.example",
        "excerpt": "e" * 1001,
        "bias": "centre",
        "published": "soon",
    }
    assert sorted(error_locs(bad, Source)) == sorted(
        [("outlet",), ("title",), ("excerpt",), ("bias",), ("published",)]
    )


def test_outlet_field_rules() -> None:
    bad = {
        "name": "n" * 121,
        "url": "ftp://x",
        "bias": "centre",
        "factuality": "great",
        "ownership": "state",
        "country": "gb",
        "extra": 1,
    }
    assert sorted(error_locs(bad, Outlet)) == sorted(
        [("name",), ("url",), ("bias",), ("factuality",), ("ownership",), ("country",), ("extra",)]
    )
    assert error_locs({}, Outlet) == [("name",)]
    assert Outlet(name="X", country="NO").country == "NO"


@pytest.mark.parametrize(
    "data",
    [
        {"side": "left", "actor": "Kremlin", "text": "t"},
        {"text": "t"},
    ],
)
def test_a_perspective_has_a_side_or_an_actor(data: dict[str, Any]) -> None:
    with pytest.raises(ValidationError, match="exactly one of `side` or `actor`"):
        Perspective.model_validate(data)


def test_perspective_source_indexes_start_at_one() -> None:
    assert error_locs({"side": "left", "text": "t", "sources": [0]}, Perspective) == [
        ("sources", 0)
    ]


def test_models_are_frozen() -> None:
    outlet = Outlet(name="X")
    with pytest.raises(ValidationError):
        outlet.name = "Y"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("bias", "bucket"),
    [
        ("far-left", "left"),
        ("left", "left"),
        ("lean-left", "left"),
        ("center", "center"),
        ("lean-right", "right"),
        ("right", "right"),
        ("far-right", "right"),
    ],
)
def test_buckets(bias: str, bucket: str) -> None:
    assert Bias(bias).bucket is Bucket(bucket)


def test_labels() -> None:
    assert Bias.LEAN_LEFT.label == "Lean Left"
    assert Bucket.CENTER.label == "Center"


@pytest.mark.parametrize(
    ("point", "text", "cites"),
    [
        ("Talks began. [1]", "Talks began.", (1,)),
        ("Talks began. [1, 2]", "Talks began.", (1, 2)),
        ("Talks began.[ 2 ,5 ] ", "Talks began.", (2, 5)),
        ("Talks began. [0]", "Talks began.", (0,)),
        ("No citation.", "No citation.", ()),
        ("[1] is not at the end.", "[1] is not at the end.", ()),
        ("A [link](https://x.example).", "A [link](https://x.example).", ()),
        ("Words [a].", "Words [a].", ()),
    ],
)
def test_split_citations(point: str, text: str, cites: tuple[int, ...]) -> None:
    assert split_citations(point) == (text, cites)


@given(st.lists(st.integers(min_value=0, max_value=999), min_size=1, max_size=5))
def test_split_citations_round_trip(numbers: list[int]) -> None:
    point = "Something happened. [" + ", ".join(map(str, numbers)) + "]"
    assert split_citations(point) == ("Something happened.", tuple(numbers))


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Russia-Ukraine War", "russia-ukraine-war"),
        ("Türkiye", "turkiye"),
        ("  Trade!  ", "trade"),
        ("AI & Jobs", "ai-jobs"),
        ("???", "t--a03b221c"),  # no letter: a stable hash
    ],
)
def test_topic_slug(name: str, slug: str) -> None:
    assert topic_slug(name) == slug


@given(st.text(max_size=40))
def test_topic_slugs_are_url_safe(name: str) -> None:
    slug = topic_slug(name)
    assert slug and slug == slug.strip("-")
    assert all(c.isascii() and (c.islower() or c.isdigit() or c == "-") for c in slug)


def test_has_line_break() -> None:
    assert has_line_break("a\rb") and has_line_break("a\u2029b")
    assert not has_line_break("one line")


@pytest.mark.parametrize("text", ["Zürich: Straße", "Pope Leo XIV — elected!", "Ærø  2025",
                                  "Vote\u200b\u202e ends", "--a--b--"])
def test_story_and_topic_slugs_share_one_rule(text: str) -> None:
    """Where neither needs its own length rule or fallback, a story's slug (from its
    title) and a topic's slug are the same: one ASCII rule, `ascii_slug`."""
    from generator.model import ascii_slug
    from generator.scaffold import slugify

    assert slugify(text) == topic_slug(text) == ascii_slug(text)
    assert ascii_slug("Zürich: Straße") == "zurich-strasse"
