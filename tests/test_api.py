"""generator.api: the JSON files of content-format.md §3, as pure functions.

Figures are built from model objects (no disk, no Pelican); the story JSON is checked
against the contract's example value for value, and against a JSON Schema of the
shape §3 fixes.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from itertools import count
from typing import Any

import jsonschema
import pytest
from conftest import SPEC_STORY_JSON

from generator.api import (
    bias_json,
    dumps,
    files,
    outlet_json,
    outlets_json,
    stories_json,
    story_json,
    story_url,
)
from generator.figures import BiasDistribution, Thresholds, site_figures, story_figures
from generator.model import Outlet, Source, Story

RULE = Thresholds()
_n = count()

#: Outlets for the spec's first example: the ratings per entry add up to §3's maps.
OUTLETS: dict[str, Outlet] = {
    "reuters": Outlet(name="Reuters", bias="center", factuality="very-high",
                      ownership="media-conglomerate", country="GB"),
    "c-mc": Outlet(name="C MC", bias="center", factuality="high",
                   ownership="media-conglomerate"),
    "c-high": Outlet(name="C High", bias="center", factuality="high"),
    "c-high2": Outlet(name="C High 2", bias="center", factuality="high"),
    "c-none": Outlet(name="C None", bias="center"),
    "l-mc": Outlet(name="L MC", bias="left", factuality="high", ownership="media-conglomerate"),
    "l-high": Outlet(name="L High", bias="lean-left", factuality="high"),
    "l-none": Outlet(name="L None", bias="far-left"),
    "r-mc": Outlet(name="R MC", bias="right", factuality="high",
                   ownership="media-conglomerate"),
    "r-mc2": Outlet(name="R MC 2", bias="right", factuality="high",
                    ownership="media-conglomerate"),
    "r-high": Outlet(name="R High", bias="lean-right", factuality="high"),
    "r-none": Outlet(name="R None", bias="far-right"),
    "r-none2": Outlet(name="R None 2", bias="lean-right"),
    **{f"u{i}": Outlet(name=f"Unrated {i}") for i in range(1, 5)},
}


def src(outlet: str, published: str | None = None, bias: str | None = None) -> Source:
    return Source(outlet=outlet, title=f"{outlet} article", url=f"https://example.org/{next(_n)}",
                  published=published, bias=bias)


def spec_story() -> Story:
    """3 Left, 6 Center, 6 Right, 4 unrated; 19 articles from 17 outlets; factuality
    {very-high: 2, high: 9, unrated: 8}; ownership {media-conglomerate: 7, unrated: 12}."""
    sources = [
        src("reuters", "2025-05-16T07:02:00Z"), src("reuters"),
        src("c-mc"), src("c-high"), src("c-high2"), src("c-none"),
        src("l-mc"), src("l-high"), src("l-none"),
        src("r-mc"), src("r-mc"), src("r-mc2"), src("r-high"), src("r-none"), src("r-none2"),
        src("u1", "2025-05-16T09:02:00+02:00"),  # the same instant as Reuters, later: loses
        src("u2"), src("u3"), src("u4"),
    ]
    return Story(title="Istanbul talks", date="2025-05-16", slug="istanbul-peace-talks",
                 topics=["Russia-Ukraine War"], key_points=["Talks. [1]"], sources=sources)


def spec_figures() -> Any:
    return story_figures(spec_story(), OUTLETS, RULE)


SPEC = SPEC_STORY_JSON

_DATE = {"type": "string",
         "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?[+-]\d{2}:\d{2}$"}
_COUNT = {"type": "integer", "minimum": 0}
_SIDE = {"type": "object", "additionalProperties": False, "required": ["count", "percent"],
         "properties": {"count": _COUNT,
                        "percent": {"type": ["integer", "null"], "minimum": 0, "maximum": 100}}}
_BIAS = {"type": "object", "additionalProperties": False,
         "required": ["left", "center", "right", "unrated"],
         "properties": {"left": _SIDE, "center": _SIDE, "right": _SIDE, "unrated": _COUNT}}
_MAP = {"type": "object", "required": ["unrated"], "additionalProperties": _COUNT}
_BUCKET = {"enum": ["left", "center", "right", None]}
#: The shape §3 fixes for `/api/stories/<slug>.json` ("at least" these keys).
STORY_SCHEMA = {
    "type": "object",
    "required": ["slug", "title", "date", "updated", "url", "topics", "articles", "outlets",
                 "bias", "factuality", "ownership", "blindspot", "broke_the_news", "sources"],
    "properties": {
        "slug": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,99}$"},
        "title": {"type": "string", "minLength": 1},
        "date": _DATE,
        "updated": {"oneOf": [_DATE, {"type": "null"}]},
        "last_updated": _DATE,
        "url": {"type": "string", "pattern": "^/stories/[a-z0-9-]+/$"},
        "topics": {"type": "array", "items": {"type": "string"}},
        "articles": _COUNT,
        "outlets": _COUNT,
        "bias": _BIAS,
        "factuality": _MAP,
        "ownership": _MAP,
        "blindspot": {"enum": ["left", "right", None]},
        "broke_the_news": {"oneOf": [
            {"type": "null"},
            {"type": "object", "required": ["outlet", "published"],
             "properties": {"outlet": {"type": "string"}, "published": _DATE}},
        ]},
        "sources": {"type": "array", "minItems": 1, "items": {
            "type": "object",
            "required": ["outlet", "title", "url", "published", "bias", "bucket"],
            "properties": {
                "outlet": {"type": "string"}, "title": {"type": "string"},
                "url": {"type": "string", "pattern": "^https?://"},
                "published": {"oneOf": [_DATE, {"type": "null"}]},
                "bias": {"enum": ["far-left", "left", "lean-left", "center", "lean-right",
                                  "right", "far-right", None]},
                "bucket": _BUCKET,
            },
        }},
    },
}


# --- story_json ---------------------------------------------------------------------------


def test_story_json_is_the_spec_example() -> None:
    data = story_json(spec_figures())
    assert {k: data[k] for k in SPEC} == SPEC
    jsonschema.validate(data, STORY_SCHEMA)


def test_story_json_sources_in_list_order_with_bias_and_bucket() -> None:
    f = spec_figures()
    data = story_json(f)
    assert [s["url"] for s in data["sources"]] == [s.url for s in f.story.sources]
    assert data["sources"][0] == {
        "outlet": "reuters", "title": "reuters article", "url": f.story.sources[0].url,
        "published": "2025-05-16T07:02:00+00:00", "excerpt": None,
        "bias": "center", "bucket": "center",
    }
    assert {(s["bias"], s["bucket"]) for s in data["sources"]} == {
        ("center", "center"), ("left", "left"), ("lean-left", "left"), ("far-left", "left"),
        ("right", "right"), ("lean-right", "right"), ("far-right", "right"), (None, None),
    }


def test_a_per_article_override_sets_bias_and_bucket() -> None:
    story = Story(title="T", date="2025-01-01", slug="t", key_points=["K"],
                  sources=[src("u1", bias="lean-right"), src("reuters", bias="left")])
    data = story_json(story_figures(story, OUTLETS, RULE))
    assert [(s["bias"], s["bucket"]) for s in data["sources"]] == [
        ("lean-right", "right"), ("left", "left")]
    assert data["bias"]["unrated"] == 0


def test_second_spec_example_and_unrated_zero() -> None:
    """1 Left, 3 Center, 3 Right → 14/43/43; every entry rated: `unrated` is 0."""
    sources = [src("l-mc"), src("reuters"), src("c-mc"), src("c-high"), src("r-mc"),
               src("r-high"), src("r-mc")]
    story = Story(title="T", date="2025-01-01", slug="t", key_points=["K"], sources=sources)
    data = story_json(story_figures(story, OUTLETS, RULE))
    assert [data["bias"][b]["percent"] for b in ("left", "center", "right")] == [14, 43, 43]
    assert data["factuality"] == {"very-high": 1, "high": 6, "unrated": 0}
    assert data["ownership"] == {"media-conglomerate": 5, "unrated": 2}
    assert data["broke_the_news"] is None


def test_dates_keep_their_offset_and_naive_ones_are_utc() -> None:
    story = Story(title="T", date="2025-06-01T10:00:00+02:00", updated="2025-06-03T08:15:00",
                  slug="t", key_points=["K"], sources=[src("reuters", "2025-06-01T07:00:00")],
                  timeline=[{"date": "2025-06-02", "text": "b"},
                            {"date": "2025-05-20T12:00:00-05:00", "text": "a"}])
    data = story_json(story_figures(story, OUTLETS, RULE))
    assert data["date"] == "2025-06-01T10:00:00+02:00"
    assert data["updated"] == data["last_updated"] == "2025-06-03T08:15:00+00:00"
    assert data["sources"][0]["published"] == "2025-06-01T07:00:00+00:00"
    assert [e["text"] for e in data["timeline"]] == ["a", "b"]  # date order
    assert data["timeline"][0]["date"] == "2025-05-20T12:00:00-05:00"
    for value in (data["date"], data["updated"], data["timeline"][1]["date"]):
        assert datetime.fromisoformat(value).tzinfo is not None
    jsonschema.validate(data, STORY_SCHEMA)


def test_blindspot_values() -> None:
    left_blind = [src("reuters"), src("c-mc"), src("r-mc"), src("r-high"), src("r-none"),
                  src("r-mc")]
    story = Story(title="T", date="2025-01-01", slug="t", key_points=["K"], sources=left_blind)
    assert story_json(story_figures(story, OUTLETS, RULE))["blindspot"] == "left"
    right_blind = [src("reuters"), src("l-mc"), src("l-high"), src("l-none"), src("l-mc"),
                   src("l-high")]
    story = story.model_copy(update={"sources": right_blind})
    assert story_json(story_figures(story, OUTLETS, RULE))["blindspot"] == "right"


def test_perspectives_and_optional_fields() -> None:
    story = Story(title="T", date="2025-01-01", slug="t", key_points=["K [1]"],
                  location="Istanbul, Türkiye", summary="S",
                  perspectives=[{"side": "left", "text": "L", "sources": [1]},
                                {"actor": "Kremlin", "text": "K"}],
                  sources=[src("reuters")])
    data = story_json(story_figures(story, OUTLETS, RULE))
    assert data["location"] == "Istanbul, Türkiye" and data["summary"] == "S"
    assert data["key_points"] == ["K [1]"]
    assert data["perspectives"] == [
        {"side": "left", "actor": None, "text": "L", "sources": [1]},
        {"side": None, "actor": "Kremlin", "text": "K", "sources": []},
    ]


# --- bias_json ------------------------------------------------------------------------------


def test_bias_json_with_no_rated_entry_has_null_percents() -> None:
    assert bias_json(BiasDistribution(0, 0, 0, 3, None)) == {
        "left": {"count": 0, "percent": None}, "center": {"count": 0, "percent": None},
        "right": {"count": 0, "percent": None}, "unrated": 3,
    }


def test_bias_json_percents_add_up_to_100() -> None:
    data = bias_json(BiasDistribution(1, 1, 1, 0, (34, 33, 33)))
    assert sum(data[b]["percent"] for b in ("left", "center", "right")) == 100


# --- site-level files -------------------------------------------------------------------------


def _site() -> Any:
    a = spec_story()
    b = Story(title="Newer", date=datetime(2025, 6, 1, tzinfo=timezone(timedelta(hours=2))),
              slug="newer", topics=["Economy"], key_points=["K"], sources=[src("u1")])
    draft = Story(title="Draft", date="2025-07-01", slug="draft", draft=True, key_points=["K"],
                  sources=[src("reuters")])
    return site_figures([a, b, draft], OUTLETS, RULE)


def test_stories_json_newest_first_without_drafts() -> None:
    data = stories_json(_site())
    assert [s["slug"] for s in data] == ["newer", "istanbul-peace-talks"]
    assert data[0] == {
        "slug": "newer", "title": "Newer", "date": "2025-06-01T00:00:00+02:00",
        "url": "/stories/newer/", "topics": ["Economy"],
        "bias": {"left": {"count": 0, "percent": None},
                 "center": {"count": 0, "percent": None},
                 "right": {"count": 0, "percent": None}, "unrated": 1},
    }


def test_outlet_json_leaves_out_what_is_not_set() -> None:
    assert outlet_json(OUTLETS["u1"]) == {"name": "Unrated 1"}
    full = Outlet(name="R", url="https://example.org", bias="center", factuality="high",
                  ownership="non-profit", owner="O", country="GB", rated_by="X",
                  rated_on="2025-05-01")
    assert outlet_json(full) == {
        "name": "R", "url": "https://example.org", "bias": "center", "factuality": "high",
        "ownership": "non-profit", "owner": "O", "country": "GB", "rated_by": "X",
        "rated_on": "2025-05-01",
    }


def test_outlets_json_is_sorted_by_key() -> None:
    data = outlets_json({"b": Outlet(name="B"), "a": Outlet(name="A")})
    assert list(data) == ["a", "b"]


def test_files_are_every_api_path() -> None:
    out = dict(files(_site(), OUTLETS))
    assert sorted(out) == ["api/outlets.json", "api/stories.json",
                           "api/stories/istanbul-peace-talks.json", "api/stories/newer.json"]
    for text in out.values():
        json.loads(text)
    jsonschema.validate(json.loads(out["api/stories/newer.json"]), STORY_SCHEMA)


def test_story_url() -> None:
    assert story_url("a-b") == "/stories/a-b/"


# --- dumps ------------------------------------------------------------------------------------


def test_dumps_is_stable_compact_utf8() -> None:
    value = {"b": 1, "a": ["Türkiye", None, True]}
    text = dumps(value)
    assert text == '{"b":1,"a":["Türkiye",null,true]}\n'
    assert dumps(value) == text  # byte-stable
    assert json.loads(text) == value


@pytest.mark.parametrize("text", ["<script>alert(1)</script>", "</script>", "a & b", "<!--",
                                  "\u2028\u2029", "]]>", 'quote " and \\ backslash'])
def test_dumps_never_writes_markup_characters(text: str) -> None:
    """`<`, `>`, `&` (and U+2028/9) are JSON escapes: the value is the same, but the
    file cannot open a tag if sniffed as HTML or pasted into a `<script>` block."""
    out = dumps({"title": text})
    assert json.loads(out) == {"title": text}
    for char in "<>&\u2028\u2029":
        assert char not in out


def test_dates_are_aware_in_every_story_json() -> None:
    for f in _site().stories:
        data = story_json(f)
        jsonschema.validate(data, STORY_SCHEMA)
        assert datetime.fromisoformat(data["date"]).utcoffset() is not None
