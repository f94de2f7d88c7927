"""`load`: every broken file is reported with its file, line, column and message.

One content folder holds every broken file of the table below and is loaded once:
that is also the proof that one run reports every problem of every file.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from conftest import OUTLETS, STORY, write_content

from generator.load import load_content, read_document
from generator.problems import Problem, Severity

Expected = list[tuple[int, int, str]]


def edit(*pairs: str, text: str = STORY) -> str:
    """STORY with each `old` replaced by `new` (each `old` must occur exactly once)."""
    for old, new in zip(pairs[::2], pairs[1::2], strict=True):
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


TAG = "!!python/object/apply:os.system"

#: file name → (file content, expected errors as (line, col, message part)).
#: Line numbers refer to conftest.STORY (title on line 1, sources from line 14).
STORIES: dict[str, tuple[str | bytes, Expected]] = {
    # required keys: a missing key points at the mapping that lacks it
    "missing-title": (
        edit("title: Talks in Istanbul\n", ""),
        [(1, 1, "missing required key 'title'")],
    ),
    "missing-date": (edit("date: 2025-05-16\n", ""), [(1, 1, "missing required key 'date'")]),
    "missing-key-points": (
        edit("key_points:\n  - Talks began. [1, 2]\n  - Nothing was agreed. [3]\n", ""),
        [(1, 1, "missing required key 'key_points'")],
    ),
    "missing-sources": (
        STORY[: STORY.index("sources:\n  - outlet")],
        [(1, 1, "missing required key 'sources'")],
    ),
    "source-missing-outlet": (
        edit("  - outlet: guardian\n    title: Talks, day one\n", "  - title: Talks, day one\n"),
        [(19, 5, "sources[1]: missing required key 'outlet'")],
    ),
    "source-missing-title": (
        edit("    title: Talks, day one\n", ""),
        [(19, 5, "sources[1]: missing required key 'title'")],
    ),
    "source-missing-url": (
        edit("    url: https://example.org/b\n", ""),
        [(19, 5, "sources[1]: missing required key 'url'")],
    ),
    # lengths
    "title-too-long": (
        edit("title: Talks in Istanbul", "title: " + "x" * 301),
        [(1, 8, "title: must have at most 300 characters (it has 301)")],
    ),
    "title-empty": (
        edit("title: Talks in Istanbul", 'title: ""'),
        [(1, 8, "title: must not be empty")],
    ),
    "title-null": (
        edit("title: Talks in Istanbul", "title:"),
        [(1, 7, "title: must have a value")],
    ),
    "key-points-too-many": (
        edit("key_points:\n", "key_points:\n" + "  - A point.\n" * 11),
        [(5, 1, "key_points: must have at most 12 items (it has 13)")],  # at the key
    ),
    "key-points-empty": (
        edit(
            "key_points:\n  - Talks began. [1, 2]\n  - Nothing was agreed. [3]\n",
            "key_points: []\n",
        ),
        [(5, 13, "key_points: must not be empty")],
    ),
    "excerpt-too-long": (
        edit(
            "    url: https://example.org/c\n",
            "    url: https://example.org/c\n    excerpt: " + "e" * 1001 + "\n",
        ),
        [(25, 14, "sources[2].excerpt: must have at most 1000 characters (it has 1001)")],
    ),
    "topic-too-long": (
        edit("[Diplomacy, Turkey]", "[Diplomacy, " + "t" * 81 + "]"),
        [(4, 21, "topics[1]: must have at most 80 characters (it has 81)")],
    ),
    # patterns
    "slug-pattern": (STORY + "slug: Bad_Slug\n", [(25, 7, "slug: must be lowercase letters")]),
    "Bad Name": (STORY, [(1, 1, "the file name 'Bad Name' cannot be the story's slug")]),
    "source-outlet-pattern": (
        edit("outlet: reuters", "outlet: Reuters"),
        [
            (15, 13, "sources[0].outlet: must be lowercase letters, digits and hyphens"),
            (15, 13, "sources[0].outlet: unknown outlet 'Reuters' (did you mean 'reuters'?)"),
        ],
    ),
    # allowed values
    "perspective-side": (
        edit("side: left", "side: centre"),
        [
            (
                9,
                11,
                "perspectives[0].side: must be 'left', 'center' or 'right' "
                "(did you mean 'center'?)",
            )
        ],
    ),
    "source-bias": (
        edit("    title: Talks begin\n", "    title: Talks begin\n    bias: centre\n"),
        [(17, 11, "sources[0].bias: must be 'far-left', 'left'")],
    ),
    "draft-not-boolean": (STORY + "draft: maybe\n", [(25, 8, "draft: must be a valid boolean")]),
    # URL schemes
    "url-ftp": (
        edit("https://example.org/a", "ftp://example.org/a"),
        [(17, 10, "sources[0].url: must be an absolute http:// or https:// URL")],
    ),
    "url-javascript": (
        edit("https://example.org/a", "javascript:alert(1)"),
        [(17, 10, "sources[0].url: must be an absolute http:// or https:// URL")],
    ),
    "url-relative": (
        edit("https://example.org/a", "/stories/a"),
        [(17, 10, "sources[0].url: must be an absolute http:// or https:// URL")],
    ),
    # dates
    "date-not-iso": (
        edit("date: 2025-05-16", "date: 20250516"),
        [(2, 7, "date: must be an ISO 8601 date (YYYY-MM-DD)")],
    ),
    "date-impossible": (edit("date: 2025-05-16", "date: 2025-02-30"), [(2, 7, "date: ")]),
    "updated-before-date": (
        edit("updated: 2025-05-17T09:30:00Z", "updated: 2025-05-15"),
        [
            (
                3,
                10,
                "updated: 2025-05-15T00:00:00+00:00 is before `date` (2025-05-16T00:00:00+00:00)",
            )
        ],
    ),
    # citations and source indexes
    "citation-out-of-range": (
        edit("[3]", "[4]"),
        [(7, 5, "key_points[1]: citation [4] does not match a source (this story has 3)")],
    ),
    "citation-zero": (
        edit("[3]", "[0]"),
        [(7, 5, "key_points[1]: citation [0] does not match a source (this story has 3)")],
    ),
    "citation-one-of-several": (
        edit("[1, 2]", "[2, 9]"),
        [(6, 5, "key_points[0]: citation [9] does not match a source")],
    ),
    "perspective-source-out-of-range": (
        edit("sources: [2]", "sources: [2, 5]"),
        [(11, 18, "perspectives[0].sources[1]: source 5 does not exist (this story has 3)")],
    ),
    "perspective-source-zero": (
        edit("sources: [2]", "sources: [0]"),
        [(11, 15, "perspectives[0].sources[0]: must be 1 or more")],
    ),
    "perspective-side-and-actor": (
        edit("  - actor: Kremlin\n", "  - actor: Kremlin\n    side: right\n"),
        [(12, 5, "perspectives[1]: give exactly one of `side` or `actor`")],
    ),
    "perspective-neither": (
        edit("  - actor: Kremlin\n    text", "  - text"),
        [(12, 5, "perspectives[1]: give exactly one of `side` or `actor`")],
    ),
    # uniqueness
    "duplicate-url": (
        edit("https://example.org/c", "https://example.org/a"),
        [(24, 10, "sources[2].url: duplicate URL (same as sources[0].url)")],
    ),
    "duplicate-topics": (
        edit("[Diplomacy, Turkey]", "[Diplomacy, Turkey, diplomacy]"),
        [(4, 29, "topics[2]: duplicate topic 'diplomacy' (same as topics[0])")],
    ),
    "same-slug-1": (STORY + "slug: same-slug\n", []),
    "same-slug-2": (
        STORY + "slug: same-slug\n",
        [(25, 7, "slug 'same-slug' is already used by stories/same-slug-1.yaml (line 25)")],
    ),
    # an explicit slug equal to another file's name: the explicit one is blamed
    "aaa-takes-a-name": (
        STORY + "slug: zzz-named\n",
        [(25, 7, "slug 'zzz-named' is already used by stories/zzz-named.yaml (its file name)")],
    ),
    "zzz-named": (STORY, []),
    # unknown and duplicate keys
    "unknown-key": (
        edit("topics:", "topcis:"),
        [(4, 1, "unknown key 'topcis' (did you mean 'topics'?)")],
    ),
    "unknown-key-in-source": (
        edit("    published:", "    publshed:"),
        [(18, 5, "sources[0]: unknown key 'publshed' (did you mean 'published'?)")],
    ),
    "duplicate-key": (
        STORY + "title: Again\n",
        [(25, 1, "duplicate key 'title' (first at line 1)")],
    ),
    "duplicate-key-in-source": (
        edit("    title: Talks begin\n", "    title: Talks begin\n    title: Again\n"),
        [(17, 5, "duplicate key 'title' (first at line 16)")],
    ),
    # YAML itself
    "python-tag": (
        edit("title: Talks in Istanbul", f"title: {TAG} ['true']"),
        [(1, 8, f"YAML tag '{TAG}' is not allowed")],
    ),
    "python-tag-document": (f"{TAG} ['true']\n", [(1, 1, f"YAML tag '{TAG}' is not allowed")]),
    "alias": (
        edit("topics: [Diplomacy, Turkey]", "topics: &t [Diplomacy]\nlocation: *t"),
        [(5, 1, "YAML aliases (*name) are not supported")],
    ),
    "merge-key": (STORY + "<<: {location: Istanbul}\n", [(25, 1, "YAML merge keys (<<) are not")]),
    "complex-key": (STORY + "? [a, b]\n: x\n", [(25, 3, "a key must be a plain string")]),
    "not-utf8": (
        STORY.encode().replace(b"Istanbul", b"Istanb\xfcl"),
        [(1, 23, "not valid UTF-8 (byte 0xfc)")],
    ),
    "not-utf8-later-line": (
        STORY.encode().replace(b"Talks begin", b"Talks \xe9gin"),
        [(16, 18, "not valid UTF-8 (byte 0xe9)")],
    ),
    "syntax-error": (
        edit("title: Talks in Istanbul", "title: Talks: in Istanbul"),
        [(1, 13, "YAML syntax error: mapping values are not allowed")],
    ),
    "two-documents": (STORY + "---\ntitle: x\n", [(25, 1, "expected a single document")]),
    "empty": ("", [(1, 1, "the file is empty")]),
    "only-comments": ("# nothing yet\n", [(1, 1, "the file is empty")]),
    "document-list": (
        "- title: x\n",
        [(1, 1, "a story file must be a mapping of keys to values, found a list")],
    ),
    "document-scalar": (
        "just a title\n",
        [(1, 1, "must be a mapping of keys to values, found a single value")],
    ),
    "document-null": ("# a comment\n~\n", [(2, 1, "found nothing")]),
    "source-not-mapping": (
        edit("sources:\n", "sources:\n  - https://example.org/z\n"),
        [(15, 5, "sources[0]: must be a mapping of keys to values, found a single value")],
    ),
    # the registry
    "unknown-outlet": (
        edit("outlet: reuters", "outlet: reuter"),
        [(15, 13, "sources[0].outlet: unknown outlet 'reuter' (did you mean 'reuters'?)")],
    ),
    "unknown-outlet-no-suggestion": (
        edit("outlet: guardian", "outlet: zzzzzz"),
        [(19, 13, "sources[1].outlet: unknown outlet 'zzzzzz'")],
    ),
    # single-line fields
    "title-newline": (
        edit("title: Talks in Istanbul", 'title: "Talks\\nin Istanbul"'),
        [(1, 8, "title: must be a single line (no line breaks)")],
    ),
    "title-folded-newline": (
        edit("title: Talks in Istanbul", "title: >\n  Talks in Istanbul"),
        [(1, 8, "title: must be a single line")],
    ),
    "title-control-character": (
        edit("title: Talks in Istanbul", 'title: "Talks\\x07"'),
        [(1, 8, "title: must not contain control characters")],
    ),
    # several errors in one file: all reported
    "three-errors": (
        edit(
            "title: Talks in Istanbul",
            "title: ''",
            "side: left",
            "side: up",
            "https://example.org/b",
            "ftp://example.org/b",
        ),
        [
            (1, 8, "title: must not be empty"),
            (9, 11, "perspectives[0].side: must be"),
            (21, 10, "sources[1].url: must be an absolute"),
        ],
    ),
    "three-cross-field-errors": (
        edit(
            "[3]",
            "[7]",
            "sources: [2]",
            "sources: [8]",
            "https://example.org/c",
            "https://example.org/b",
        ),
        [
            (7, 5, "key_points[1]: citation [7]"),
            (11, 15, "perspectives[0].sources[0]: source 8 does not exist"),
            (24, 10, "sources[2].url: duplicate URL (same as sources[1].url)"),
        ],
    ),
}

#: conftest.OUTLETS (11 valid lines) followed by one broken entry per rule.
BROKEN_OUTLETS = (
    OUTLETS
    + f"""\
no-name:
  bias: left
long-name:
  name: {"n" * 121}
Bad_Key:
  name: Bad
bad-country:
  name: X
  country: gb
bad-bias:
  name: X
  bias: centre
bad-factuality:
  name: X
  factuality: great
bad-ownership:
  name: X
  ownership: state
bad-url:
  name: X
  url: ftp://x.example
typo-key:
  name: X
  contry: GB
reuters:
  name: Reuters again
empty-name:
  name: ""
null-outlet:
string-outlet: Just a name
bad-date:
  name: X
  rated_on: 20250501
"""
)

REGISTRY: Expected = [
    (13, 3, "no-name: missing required key 'name'"),
    (15, 9, "long-name.name: must have at most 120 characters (it has 121)"),
    (16, 1, "outlet key 'Bad_Key' must be lowercase letters, digits and hyphens"),
    (20, 12, "bad-country.country: must be a two-letter ISO 3166-1 country code"),
    (
        23,
        9,
        "bad-bias.bias: must be 'far-left', 'left', 'lean-left', 'center', 'lean-right', "
        "'right' or 'far-right' (did you mean 'center'?)",
    ),
    (26, 15, "bad-factuality.factuality: must be 'very-high'"),
    (29, 14, "bad-ownership.ownership: must be 'independent'"),
    (32, 8, "bad-url.url: must be an absolute http:// or https:// URL"),
    (35, 3, "typo-key: unknown key 'contry' (did you mean 'country'?)"),
    (36, 1, "duplicate key 'reuters' (first at line 1)"),
    (39, 9, "empty-name.name: must not be empty"),
    (40, 13, "null-outlet: missing required key 'name'"),
    (41, 16, "string-outlet: must be a mapping of keys to values, found a single value"),
    (44, 13, "bad-date.rated_on: must be an ISO 8601 date (YYYY-MM-DD)"),
]


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[Path, list[Problem]]]:
    """Every file of the table in one folder, loaded once: path → its problems."""
    root = write_content(
        tmp_path_factory.mktemp("broken") / "content",
        outlets=BROKEN_OUTLETS,
        stories={name: text for name, (text, _) in STORIES.items()},
    )
    by_file: dict[Path, list[Problem]] = {}
    for problem in load_content(root).problems:
        by_file.setdefault(problem.path, []).append(problem)
    return root, by_file


def assert_problems(found: list[Problem], expected: Expected) -> None:
    got = [(p.line, p.col, p.message) for p in found if p.severity is Severity.ERROR]
    missing = [
        e
        for e in expected
        if not any((line, col) == e[:2] and e[2] in message for line, col, message in got)
    ]
    assert not missing and len(got) == len(expected), f"expected {expected}\ngot {got}"


def test_the_table_has_at_least_thirty_broken_files() -> None:
    assert sum(1 for _, expected in STORIES.values() if expected) >= 30


@pytest.mark.parametrize("name", STORIES)
def test_broken_story(name: str, broken: tuple[Path, dict[Path, list[Problem]]]) -> None:
    root, by_file = broken
    assert_problems(by_file.get(root / "stories" / f"{name}.yaml", []), STORIES[name][1])


def test_broken_registry(broken: tuple[Path, dict[Path, list[Problem]]]) -> None:
    root, by_file = broken
    assert_problems(by_file[root / "outlets.yaml"], REGISTRY)


def test_no_problem_outside_the_table(broken: tuple[Path, dict[Path, list[Problem]]]) -> None:
    root, by_file = broken
    table = {root / "outlets.yaml"} | {root / "stories" / f"{n}.yaml" for n in STORIES}
    assert set(by_file) <= table


def test_a_python_tag_is_never_executed(tmp_path: Path) -> None:
    marker = tmp_path / "executed"
    story = edit("title: Talks in Istanbul", f"title: {TAG} ['touch {marker}']")
    root = write_content(
        tmp_path / "content", stories={"evil": story, "evil-doc": f"{TAG} ['touch {marker}']"}
    )
    result = load_content(root)
    assert not marker.exists()
    assert [p.message for p in result.errors] == [f"YAML tag '{TAG}' is not allowed"] * 2


def test_a_byte_order_mark_is_allowed(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + STORY.encode())
    assert read_document(path).data["title"] == "Talks in Istanbul"


def test_a_valid_folder_loads(content: Path) -> None:
    result = load_content(content)
    assert result.problems == ()
    assert result.content is not None
    (story,) = result.content.stories
    assert story.slug == "talks"
    assert result.content.paths["talks"] == content / "stories" / "talks.yaml"
    assert set(result.content.outlets) == {"reuters", "guardian", "kyiv-independent"}


def test_drafts_are_validated_not_published(tmp_path: Path) -> None:
    root = write_content(tmp_path, stories={"talks": STORY, "draft": STORY + "draft: true\n"})
    result = load_content(root)
    assert result.content is not None
    # Loaded and validated; leaving drafts out is the figures' job (test_figures).
    assert sorted((s.slug, s.draft) for s in result.content.stories) == [
        ("draft", True), ("talks", False)
    ]
    broken = write_content(
        tmp_path / "b", stories={"draft": STORY.replace("[3]", "[9]") + "draft: true\n"}
    )
    assert load_content(broken).errors


def test_two_broken_files_are_both_reported(tmp_path: Path) -> None:
    root = write_content(tmp_path, stories={"a": "", "b": edit("[3]", "[4]")})
    result = load_content(root)
    assert result.content is None
    assert [(p.path.name, p.line) for p in result.errors] == [("a.yaml", 1), ("b.yaml", 7)]


def test_a_registry_that_is_a_list(tmp_path: Path) -> None:
    root = write_content(tmp_path, outlets="- reuters\n", stories={"talks": STORY})
    (problem,) = load_content(root).errors
    assert (problem.line, problem.col) == (1, 1)
    assert (
        "the outlet registry must be a mapping of keys to values, found a list" in problem.message
    )


def test_a_broken_outlet_is_not_reported_again_in_stories(tmp_path: Path) -> None:
    root = write_content(
        tmp_path, outlets=OUTLETS.replace("country: GB", "country: gb"), stories={"talks": STORY}
    )
    assert [p.path.name for p in load_content(root).errors] == ["outlets.yaml"]


# --- dates: every form editors write loads, as UTC when naive -------------------------

DATES = {
    "2025-05-16": datetime(2025, 5, 16, tzinfo=UTC),
    '"2025-05-16"': datetime(2025, 5, 16, tzinfo=UTC),
    "'2025-05-16'": datetime(2025, 5, 16, tzinfo=UTC),
    "2025-05-16T10:30": datetime(2025, 5, 16, 10, 30, tzinfo=UTC),
    "2025-05-16T10:30:15": datetime(2025, 5, 16, 10, 30, 15, tzinfo=UTC),
    "2025-05-16 10:30:15": datetime(2025, 5, 16, 10, 30, 15, tzinfo=UTC),
    '"2025-05-16T10:30:15"': datetime(2025, 5, 16, 10, 30, 15, tzinfo=UTC),
    "2025-05-16T10:30:15Z": datetime(2025, 5, 16, 10, 30, 15, tzinfo=UTC),
    "2025-05-16T10:30:15.250Z": datetime(2025, 5, 16, 10, 30, 15, 250000, tzinfo=UTC),
    "2025-05-16T12:30:15+02:00": datetime(2025, 5, 16, 10, 30, 15, tzinfo=UTC),
    "2025-05-16T12:30+0200": datetime(2025, 5, 16, 10, 30, tzinfo=UTC),
    "2025-05-16T12:30+02": datetime(2025, 5, 16, 10, 30, tzinfo=UTC),
    "2025-05-16T05:30:15-05:00": datetime(2025, 5, 16, 10, 30, 15, tzinfo=UTC),
}


@pytest.mark.parametrize("written", DATES)
def test_dates_load_in_every_iso_form(written: str, tmp_path: Path) -> None:
    story = edit(
        "date: 2025-05-16",
        f"date: {written}",
        "updated: 2025-05-17T09:30:00Z",
        "updated: 2025-05-18",
    )
    result = load_content(write_content(tmp_path, stories={"talks": story}))
    assert result.problems == ()
    assert result.content is not None
    loaded = result.content.stories[0].date
    assert loaded == DATES[written]
    assert loaded.utcoffset() is not None


def test_an_offset_is_kept() -> None:
    from generator.model import Story

    story = Story.model_validate(
        {
            "title": "t",
            "date": "2025-05-16T12:30:00+02:00",
            "key_points": ["k"],
            "sources": [{"outlet": "a", "title": "t", "url": "https://a.example"}],
        }
    )
    assert story.date.utcoffset() == timedelta(hours=2)
    assert story.date.tzinfo == timezone(timedelta(hours=2))


def test_cross_field_errors_come_in_the_same_run_as_field_errors(tmp_path: Path) -> None:
    """A story with a bad URL also gets its out-of-range citation, duplicate URL and
    `updated` before `date` reported now, not after the URL is fixed."""
    story = STORY.replace("url: https://example.org/c", "url: ftp://example.org/c")
    story = story.replace("Nothing was agreed. [3]", "Nothing was agreed. [4]")
    story = story.replace("url: https://example.org/b", "url: https://example.org/a")
    story = story.replace("updated: 2025-05-17T09:30:00Z", "updated: 2025-05-15")
    root = write_content(tmp_path / "c", OUTLETS, {"talks": story})
    messages = [p.message for p in load_content(root).errors]
    assert any(m.startswith("sources[2].url:") for m in messages), messages
    assert "key_points[1]: citation [4] does not match a source (this story has 3)" in messages
    assert "sources[1].url: duplicate URL (same as sources[0].url)" in messages
    assert any(m.startswith("updated: 2025-05-15") for m in messages), messages


def test_raw_rules_stay_silent_where_the_data_is_unusable(tmp_path: Path) -> None:
    story = STORY.replace("sources:\n", "sources: oops\nold_sources:\n", 1)
    root = write_content(tmp_path / "c", OUTLETS, {"talks": story})
    messages = [p.message for p in load_content(root).errors]
    assert not any("citation" in m for m in messages), messages
