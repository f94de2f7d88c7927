"""`rules`: cross-field errors and the warnings that do not stop a build."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conftest import OUTLETS, STORY, write_content

from generator.load import load_content
from generator.model import Outlet, Story
from generator.problems import Severity
from generator.rules import Finding, story_findings, story_warnings, unknown_outlet

OUTLETS_BY_KEY = {
    "reuters": Outlet(name="Reuters", bias="center"),
    "unrated": Outlet(name="Unrated"),
}


def source(n: int, outlet: str = "reuters", **more: Any) -> dict[str, Any]:
    return {"outlet": outlet, "title": f"Article {n}", "url": f"https://example.org/{n}", **more}


def make(**changes: Any) -> Story:
    data: dict[str, Any] = {
        "title": "Talks",
        "date": "2025-05-16",
        "key_points": ["Talks began. [1, 2]"],
        "sources": [source(1), source(2)],
    }
    data.update(changes)
    return Story.model_validate(data)


def test_a_valid_story_has_no_findings() -> None:
    assert list(story_findings(make())) == []
    assert list(story_warnings(make(), OUTLETS_BY_KEY)) == []


def test_updated_before_date() -> None:
    (finding,) = story_findings(make(updated="2025-05-15T23:59:59Z"))
    assert finding.loc == ("updated",)
    assert "is before `date` (2025-05-16T00:00:00+00:00)" in finding.message
    assert list(story_findings(make(updated="2025-05-16"))) == []  # equal is fine


def test_citations_are_checked_one_by_one() -> None:
    findings = list(story_findings(make(key_points=["A. [0, 1, 3]", "B. [2]", "C."])))
    assert findings == [
        Finding(("key_points", 0), "citation [0] does not match a source (this story has 2)"),
        Finding(("key_points", 0), "citation [3] does not match a source (this story has 2)"),
    ]


def test_perspective_sources_in_range() -> None:
    perspectives = [
        {"side": "left", "text": "t", "sources": [1, 2]},
        {"actor": "Kremlin", "text": "t", "sources": [3]},
    ]
    (finding,) = story_findings(make(perspectives=perspectives))
    assert finding == Finding(
        ("perspectives", 1, "sources", 0), "source 3 does not exist (this story has 2)"
    )


def test_duplicate_urls_point_at_the_second() -> None:
    (finding,) = story_findings(make(sources=[source(1), source(2), source(1, "unrated")]))
    assert finding == Finding(("sources", 2, "url"), "duplicate URL (same as sources[0].url)")


def test_duplicate_topics_ignore_case() -> None:
    findings = list(story_findings(make(topics=["Trade", "Tariffs", "TRADE", "trade"])))
    assert [f.loc for f in findings] == [("topics", 2), ("topics", 3)]
    assert findings[0].message == "duplicate topic 'TRADE' (same as topics[0])"


def test_unknown_outlet_suggests_the_closest_key() -> None:
    keys = ["reuters", "associated-press", "guardian"]
    assert unknown_outlet("reuters", keys) is None
    assert unknown_outlet("reuter", keys) == "unknown outlet 'reuter' (did you mean 'reuters'?)"
    assert unknown_outlet("asociated-press", keys) == (
        "unknown outlet 'asociated-press' (did you mean 'associated-press'?)"
    )
    assert unknown_outlet("bbc", keys) == "unknown outlet 'bbc'"


def test_warning_when_no_source_is_rated() -> None:
    story = make(sources=[source(1, "unrated"), source(2, "missing")])
    assert list(story_warnings(story, OUTLETS_BY_KEY)) == [
        Finding((), "no source of this story is rated for bias")
    ]
    rated_here = make(sources=[source(1, "unrated", bias="left")])
    assert list(story_warnings(rated_here, OUTLETS_BY_KEY)) == []


def test_warning_when_a_source_is_published_after_the_last_update() -> None:
    story = make(
        date="2025-05-16T10:00:00Z",
        updated="2025-05-16T12:00:00Z",
        sources=[
            source(1, published="2025-05-16T11:00:00Z"),
            source(2, published="2025-05-16T12:00:01Z"),
        ],
    )
    (finding,) = story_warnings(story, OUTLETS_BY_KEY)
    assert finding.loc == ("sources", 1, "published")
    assert finding.message == (
        "2025-05-16T12:00:01+00:00 is after the story was last updated (2025-05-16T12:00:00+00:00)"
    )


def test_a_story_dated_by_day_covers_that_whole_day() -> None:
    same_day = make(sources=[source(1, published="2025-05-16T23:59:00Z")])
    assert list(story_warnings(same_day, OUTLETS_BY_KEY)) == []
    next_day = make(sources=[source(1, published="2025-05-17T00:00:00Z")])
    assert [f.loc for f in story_warnings(next_day, OUTLETS_BY_KEY)] == [
        ("sources", 0, "published")
    ]


# --- through the loader: warnings carry a position and do not block ---------------


def test_warnings_in_a_content_folder(tmp_path: Path) -> None:
    unrated = STORY.replace("outlet: reuters", "outlet: kyiv-independent").replace(
        "outlet: guardian", "outlet: kyiv-independent"
    )
    late = STORY.replace("published: 2025-05-16T07:02:00Z", "published: 2025-05-18T07:02:00Z")
    outlets = OUTLETS + "unused:\n  name: Nobody Cites Me\n"
    root = write_content(tmp_path, outlets=outlets, stories={"unrated": unrated, "late": late})
    result = load_content(root)
    assert result.errors == []
    assert result.content is not None  # warnings do not block
    found = [(p.path.name, p.line, p.col, p.message) for p in result.warnings]
    assert found == [
        ("outlets.yaml", 12, 1, "outlet 'unused' is not cited by any story"),
        (
            "late.yaml",
            18,
            16,
            "sources[0].published: 2025-05-18T07:02:00+00:00 is after the story "
            "was last updated (2025-05-17T09:30:00+00:00)",
        ),
        ("unrated.yaml", 1, 1, "no source of this story is rated for bias"),
    ]
    assert all(p.severity is Severity.WARNING for p in result.warnings)


def test_an_outlet_cited_only_by_a_broken_story_is_not_unused(tmp_path: Path) -> None:
    broken = STORY.replace("[3]", "[9]").replace("outlet: reuters", "outlet: bbc")
    outlets = OUTLETS + "bbc:\n  name: BBC\n"
    root = write_content(tmp_path, outlets=outlets, stories={"talks": STORY, "broken": broken})
    result = load_content(root)
    assert [p.message for p in result.errors] == [
        "key_points[1]: citation [9] does not match a source (this story has 3)"
    ]
    assert result.warnings == []
