"""Hostile and oversized input at the door: `parallax check` refuses it with an error
at the right place, in bounded time and memory, or the site keeps it as inert text.

Time and memory bounds are proven the only honest way: `parallax check` runs in a
child process with a timeout and an address-space limit (`bounded_check`).
"""

from __future__ import annotations

import inspect
import os
import resource
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import OUTLETS, STORY, run_cli, write_content

from generator.bench import mbfc_export_path
from generator.load import MAX_PROBLEMS, load_content
from generator.mbfc import export_date, outlet_entry, outlet_key, read_export
from generator.model import (
    MAX_PERSPECTIVES,
    MAX_SOURCES,
    MAX_TIMELINE,
    MAX_TOPICS,
    Outlet,
    Story,
    isolate_bidi,
    topic_slug,
)
from generator.parse import MAX_DEPTH, REGISTRY
from generator.parse import STORY as STORY_LIMITS
from generator.problems import Problem, Severity

GIB = 1 << 30
RLO, LRI, FSI, PDI, ZWSP, ZWJ = "\u202e", "\u2066", "\u2068", "\u2069", "\u200b", "\u200d"
HEAD = STORY[: STORY.index("sources:\n")]  # STORY up to its sources (line 14)


def _limited() -> None:  # pragma: no cover - runs in the child
    resource.setrlimit(resource.RLIMIT_AS, (GIB, GIB))


def bounded_check(root: Path, seconds: float = 5) -> subprocess.CompletedProcess[str]:
    """`parallax check` in a child process that may use 1 GiB of address space and
    must finish within `seconds` (subprocess.TimeoutExpired fails the test)."""
    return run_cli("check", "--content", root, timeout=seconds, preexec_fn=_limited)


def error_lines(done: subprocess.CompletedProcess[str], name: str) -> list[str]:
    """The problem lines about `stories/<name>`, as an editor sees them, from its name on."""
    marker = f"/stories/{name}:"
    return [
        line[line.index(marker) + len("/stories/") :]
        for line in done.stderr.splitlines()
        if marker in line
    ]


def sources(count: int, outlet: str = "reuters") -> str:
    return "sources:\n" + "".join(
        f"  - {{outlet: {outlet}, title: T{i}, url: 'https://example.org/{i}'}}\n"
        for i in range(count)
    )


# --- sizes, checked before reading --------------------------------------------


def test_a_10_mb_story_is_refused_at_1_1_naming_size_and_limit(tmp_path: Path) -> None:
    big = STORY + "summary: " + "x" * 10 * STORY_LIMITS.bytes + "\n"
    root = write_content(tmp_path, stories={"big": big})
    done = bounded_check(root)
    assert done.returncode == 1
    assert error_lines(done, "big.yaml") == [
        f"big.yaml:1:1: error: the file is {len(big):,} bytes; a story file may have at most "
        "1,048,576 bytes (1 MiB): not read"
    ]


def test_the_size_is_checked_before_reading(tmp_path: Path) -> None:
    """A sparse 8 GiB file: reading it whole would exhaust the 1 GiB the child may use."""
    root = write_content(tmp_path, stories={"talks": STORY})
    with open(root / "stories" / "huge.yaml", "wb") as huge:
        huge.truncate(8 * GIB)
    done = bounded_check(root)
    assert done.returncode == 1
    assert error_lines(done, "huge.yaml") == [
        "huge.yaml:1:1: error: the file is 8,589,934,592 bytes; a story file may have at "
        "most 1,048,576 bytes (1 MiB): not read"
    ]


def test_a_story_of_exactly_the_limit_loads_one_byte_more_does_not(tmp_path: Path) -> None:
    padding = STORY_LIMITS.bytes - len(STORY.encode()) - len("#\n")
    exact = STORY + "#" + "x" * padding + "\n"
    assert len(exact.encode()) == STORY_LIMITS.bytes
    root = write_content(tmp_path, stories={"exact": exact, "over": exact + "\n"})
    result = load_content(root)
    assert [s.slug for s in result.valid.stories] == ["exact"]
    assert [(p.path.name, p.line, p.col) for p in result.errors] == [("over.yaml", 1, 1)]


@pytest.mark.parametrize("grown_to", [500, STORY_LIMITS.bytes, STORY_LIMITS.bytes + 1])
def test_a_file_that_grows_while_it_is_read_is_read_whole_or_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, grown_to: int
) -> None:
    """The size is taken before reading; a file longer by then is read on to the
    limit, and refused past it, as if its size had been known."""
    from generator import folder

    path = tmp_path / "growing.yaml"
    path.write_bytes(b"#" * grown_to)
    real = os.fstat

    def fstat_before_growing(fd: int) -> os.stat_result:
        info = list(real(fd))
        info[6] = 10  # st_size: the file was 10 bytes when it was opened
        return os.stat_result(info)

    monkeypatch.setattr(folder.os, "fstat", fstat_before_growing)
    if grown_to > STORY_LIMITS.bytes:
        with pytest.raises(folder.YamlProblem, match="bytes; a story file may have at most"):
            folder.read_limited(path, STORY_LIMITS)
    else:
        assert folder.read_limited(path, STORY_LIMITS) == b"#" * grown_to


def test_a_registry_over_16_mib_is_refused(tmp_path: Path) -> None:
    root = write_content(tmp_path, outlets=None, stories={"talks": STORY})
    with open(root / "outlets.yaml", "wb") as registry:
        registry.truncate(REGISTRY.bytes + 1)
    done = bounded_check(root)
    assert done.returncode == 1
    assert (
        "outlets.yaml:1:1: error: the file is 16,777,217 bytes; the outlet registry may "
        "have at most 16,777,216 bytes (16 MiB): not read"
    ) in done.stderr


@pytest.mark.skipif(mbfc_export_path() is None, reason="no MBFC export beside the project")
def test_the_full_mbfc_registry_fits(tmp_path: Path) -> None:
    export_path = mbfc_export_path()
    assert export_path is not None
    export = read_export(export_path)
    registry: dict[str, dict[str, str]] = {}
    for record in export["sources"]:
        registry.setdefault(outlet_key(record["domain"]), outlet_entry(record, export_date(export)))
    text = yaml.safe_dump(registry, allow_unicode=True, sort_keys=False)
    first = next(iter(registry))
    story = STORY.replace("outlet: reuters", f"outlet: {first}")
    story = story.replace("outlet: guardian", f"outlet: {first}")
    story = story.replace("outlet: kyiv-independent", f"outlet: {first}")
    result = load_content(write_content(tmp_path, outlets=text, stories={"talks": story}))
    assert len(registry) >= 9_000 and len(text.encode()) < REGISTRY.bytes
    assert result.errors == [] and len(result.valid.outlets) == len(registry)


def test_a_page_over_1_mib_is_refused(tmp_path: Path) -> None:
    root = write_content(tmp_path, stories={"talks": STORY})
    (root / "pages").mkdir()
    (root / "pages" / "about.md").write_text("Title: About\n\nHello.\n")
    with open(root / "pages" / "huge.md", "wb") as huge:
        huge.truncate(2 * GIB)
    result = load_content(root)
    assert [p.name for p in result.valid.pages] == ["about.md"]
    (error,) = result.errors
    assert (error.path.name, error.line, error.col) == ("huge.md", 1, 1)
    assert "a page may have at most 1,048,576 bytes" in error.message


def test_values_are_counted_while_parsing(tmp_path: Path) -> None:
    """Under 1 MiB, `[a,a,a,…]` holds half a million values: refused at the one over."""
    flat = "sources: [" + "a," * 400_000 + "a]\n"
    assert len(flat) < STORY_LIMITS.bytes
    root = write_content(tmp_path, stories={"wide": flat})
    done = bounded_check(root)
    limit = STORY_LIMITS.values
    assert error_lines(done, "wide.yaml") == [
        f"wide.yaml:1:{11 + 2 * (limit - 2)}: error: more than {limit:,} values in one file: "
        "refused before reading further"
    ]


# --- long values: refused, never echoed back -----------------------------------


def test_a_100000_character_title_is_refused_at_its_place(tmp_path: Path) -> None:
    root = write_content(tmp_path, stories={"t": STORY.replace("Talks in Istanbul", "x" * 100_000)})
    done = run_cli("check", "--content", root)
    assert error_lines(done, "t.yaml") == [
        "t.yaml:1:8: error: title: must have at most 300 characters (it has 100000)"
    ]


def test_echoed_values_are_cut(tmp_path: Path) -> None:
    """An unknown key, an unknown outlet, a bad outlet key and a duplicate topic of
    100,000 characters each: every message stays short and says how long it was."""
    long = "y" * 100_000
    story = HEAD.replace("topics: [Diplomacy, Turkey]", f"topics: [{long}, {long}]")
    story += sources(1, outlet="z" * 100_000) + f"? {long}\n: 1\n"  # `?`: a key this long
    registry = OUTLETS + f"? {long}\n:\n  name: X\n"
    root = write_content(tmp_path, outlets=registry, stories={"s": story})
    done = run_cli("check", "--content", root)
    lines = done.stderr.replace(str(root), "").splitlines()
    assert all(len(line) < 250 for line in lines), lines
    echoed = [line for line in lines if "'…' (100,000 characters)" in line.replace("y", "")]
    assert len(echoed) == 3  # the registry key, the duplicate topic, the unknown key
    assert sum("(100,000 characters)" in line for line in lines) == 4  # and the outlet


# --- how many: sources, timeline, perspectives, topics -------------------------


def test_a_10000_source_story_is_refused_at_the_sources_key(tmp_path: Path) -> None:
    root = write_content(tmp_path, stories={"many": HEAD + sources(10_000)})
    done = bounded_check(root)
    assert done.returncode == 1
    assert error_lines(done, "many.yaml") == [
        f"many.yaml:14:1: error: sources: must have at most {MAX_SOURCES} items (it has 10000)"
    ]


def test_the_source_cap_itself_is_allowed(tmp_path: Path) -> None:
    story = HEAD.replace("[1, 2]", "[1]").replace("[3]", "[1]") + sources(MAX_SOURCES)
    result = load_content(write_content(tmp_path, stories={"most": story}))
    assert result.errors == []
    assert len(result.valid.stories[0].sources) == MAX_SOURCES


#: STORY without its topics and perspectives: lists are appended to it.
BARE = STORY.replace("topics: [Diplomacy, Turkey]\n", "")
BARE = BARE[: BARE.index("perspectives:")] + BARE[BARE.index("sources:\n") :]


@pytest.mark.parametrize(
    ("key", "cap", "item"),
    [
        ("timeline", MAX_TIMELINE, "  - {{date: 2025-05-16, text: Event {}.}}\n"),
        ("perspectives", MAX_PERSPECTIVES, "  - {{side: left, text: View {}.}}\n"),
        ("topics", MAX_TOPICS, "  - Topic {}\n"),
    ],
)
def test_lists_have_a_cap(tmp_path: Path, key: str, cap: int, item: str) -> None:
    at_cap = BARE + f"{key}:\n" + "".join(item.format(i) for i in range(cap))
    over = at_cap + item.format(cap)
    result = load_content(write_content(tmp_path, stories={"at-cap": at_cap, "over": over}))
    message = f"{key}: must have at most {cap} items (it has {cap + 1})"
    assert [(p.path.name, p.line, p.col, p.message) for p in result.errors] == [
        ("over.yaml", BARE.count("\n") + 1, 1, message)  # at the key
    ]


def test_problems_per_file_are_capped(tmp_path: Path) -> None:
    """1,000 sources each with two errors: the first 50 problems, then how many more."""
    broken = "sources:\n" + "".join(
        f"  - {{outlet: nope{i}, title: T, url: 'ftp://example.org/{i}'}}\n"
        for i in range(MAX_SOURCES)
    )
    root = write_content(tmp_path, stories={"broken": HEAD + broken, "fine": STORY})
    done = bounded_check(root, seconds=20)
    lines = error_lines(done, "broken.yaml")
    assert len(lines) == MAX_PROBLEMS + 1
    assert lines[0] == "broken.yaml:15:14: error: sources[0].outlet: unknown outlet 'nope0'"
    assert lines[-1] == (
        f"broken.yaml:{15 + MAX_PROBLEMS // 2}:14: error: … and {2 * MAX_SOURCES - MAX_PROBLEMS:,} "
        "more problems "
        "in this file (fix these first)"
    )
    assert "parallax check: failed: 2 stories" in done.stderr


# --- nesting -------------------------------------------------------------------


@pytest.mark.parametrize(
    "nested",
    [
        "title: " + "[" * 100_000 + "]" * 100_000 + "\n",
        "title: " + "{a: " * 100_000 + "b" + "}" * 100_000 + "\n",
        "".join(" " * i + "a:\n" for i in range(1_300)),  # as deep as fits in 1 MiB
        "".join(" " * i + "-\n" for i in range(1_300)),
    ],
    ids=["flow-list", "flow-mapping", "block-mapping", "block-list"],
)
def test_deep_nesting_is_refused_in_bounded_time_and_memory(tmp_path: Path, nested: str) -> None:
    root = write_content(tmp_path, stories={"deep": nested})
    done = bounded_check(root)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    (line,) = error_lines(done, "deep.yaml")
    assert ": error: " in line and "nest" in line


@pytest.mark.parametrize(
    ("nested", "where"),
    [
        ("title: " + "[" * 20 + "]" * 20 + "\n", (1, 8 + MAX_DEPTH - 1)),
        ("".join("  " * i + "a:\n" for i in range(20)), (MAX_DEPTH + 1, 2 * MAX_DEPTH + 1)),
        ("".join("  " * i + "- \n" for i in range(20)), (MAX_DEPTH + 1, 2 * MAX_DEPTH + 1)),
        ("x: " + "[\n" * 20, (MAX_DEPTH, 1)),
    ],
)
def test_nesting_is_refused_where_it_crosses_the_limit(
    tmp_path: Path, nested: str, where: tuple[int, int]
) -> None:
    root = write_content(tmp_path, stories={"deep": nested})
    (error,) = load_content(root).errors
    assert (error.line, error.col) == where
    assert error.message.startswith(f"nested deeper than {MAX_DEPTH} levels")


def test_a_story_needs_4_levels_and_gets_them(content: Path) -> None:
    story = load_content(content).valid.stories[0]
    assert story.perspectives[0].sources == [2]  # story → perspectives → [0] → sources


def test_deep_values_under_a_refused_key_count_too(tmp_path: Path) -> None:
    """A duplicate key's value is skipped, not built, yet its nesting is still refused."""
    story = STORY + "title: " + "[" * 20 + "]" * 20 + "\n"
    (error,) = load_content(write_content(tmp_path, stories={"dup": story})).errors
    assert error.message.startswith("nested deeper")


# --- aliases -------------------------------------------------------------------

LAUGHS = "lol: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"l{n}: &{name} [{', '.join([f'*{prev}'] * 9)}]\n"
    for n, (prev, name) in enumerate(zip("abcdefgh", "bcdefghi", strict=True))
)


def test_a_billion_laughs_is_refused_in_bounded_time_and_memory(tmp_path: Path) -> None:
    root = write_content(tmp_path, stories={"bomb": LAUGHS})
    done = bounded_check(root)
    assert done.returncode == 1
    lines = error_lines(done, "bomb.yaml")
    assert "bomb.yaml:2:9: error: YAML aliases (*name) are not supported; write the value out" in (
        lines
    )
    assert len(lines) == MAX_PROBLEMS + 1  # 72 aliases and more: 50 shown, the rest counted


def test_an_alias_of_a_scalar_is_refused_too(tmp_path: Path) -> None:
    story = STORY.replace("location", "x").replace("title: Talks in Istanbul",
                                                   "title: &t Talks in Istanbul")
    story += "location: *t\n"
    (error,) = load_content(write_content(tmp_path, stories={"a": story})).errors
    assert (error.line, error.col, error.message[:12]) == (25, 1, "YAML aliases")


# --- paths ---------------------------------------------------------------------


@pytest.mark.parametrize("slug", ["../../etc", "/etc/passwd", "a\\\\b", "a/../b", ".", "~root"])
def test_a_slug_that_is_a_path_is_refused(tmp_path: Path, slug: str) -> None:
    root = write_content(tmp_path, stories={"s": STORY + f'slug: "{slug}"\n'})
    done = run_cli("check", "--content", root)
    assert error_lines(done, "s.yaml") == [
        "s.yaml:25:7: error: slug: must be lowercase letters, digits and hyphens (at most 100), "
        "starting with a letter or digit"
    ]


@pytest.mark.parametrize("key", ["../x", "/abs", "a\\\\b", "..", "x/../../y"])
def test_an_outlet_key_that_is_a_path_is_refused(tmp_path: Path, key: str) -> None:
    root = write_content(tmp_path, outlets=OUTLETS + f'"{key}":\n  name: X\n',
                         stories={"talks": STORY})
    done = run_cli("check", "--content", root)
    shown = key.replace("\\\\", "\\")
    assert f"outlets.yaml:12:1: error: outlet key '{shown}' must be lowercase" in done.stderr


def test_a_file_name_that_is_not_a_slug_is_named_safely(tmp_path: Path) -> None:
    root = write_content(tmp_path, stories={"Bad\nName": STORY})
    done = run_cli("check", "--content", root)
    assert "error: the file name 'Bad\\u000aName' cannot be the story's slug" in done.stderr
    assert all(": error: " in line or line.startswith("parallax check")
               for line in done.stderr.splitlines())


@pytest.mark.parametrize(
    ("topic", "slug"),
    [
        ("../../x", "x"),
        ("/etc/passwd", "etc-passwd"),
        ("..\\..\\x", "x"),
        ("../", "t--fa08499e"),
        ("東京", "t--130016b2"),
        ("Ελλάδα", "t--752e6ea6"),
        ("ΕΛΛΆΔΑ", "t--752e6ea6"),  # the same word, in capitals: the same topic
        ("Tokyo 東京", "tokyo--68424703"),
        ("Zürich Straße", "zurich-strasse"),
        (f"Tr{ZWSP}ade{ZWJ}", "trade"),
        (f"{RLO}Trade", "trade"),
    ],
)
def test_topic_slugs_are_ascii_and_never_a_path(topic: str, slug: str) -> None:
    assert topic_slug(topic) == slug


def test_topics_beyond_ascii_are_told_apart(tmp_path: Path) -> None:
    """They all used to be `topic`, so a story about Tokyo and Osaka had a duplicate."""
    story = STORY.replace("[Diplomacy, Turkey]", "[東京, 大阪, Ελλάδα, Москва, '../', '!!!']")
    result = load_content(write_content(tmp_path, stories={"s": story}))
    assert result.errors == []
    assert len({topic_slug(t) for t in result.valid.stories[0].topics}) == 6


def test_topics_with_the_same_slug_are_a_duplicate(tmp_path: Path) -> None:
    story = STORY.replace("[Diplomacy, Turkey]", "[東京, '東京!', ΕΛΛΆΔΑ, Ελλάδα]")
    result = load_content(write_content(tmp_path, stories={"s": story}))
    assert [(p.line, p.col, p.message) for p in result.errors] == [
        (4, 14, "topics[1]: duplicate topic '東京!' (same as topics[0])"),
        (4, 29, "topics[3]: duplicate topic 'Ελλάδα' (same as topics[2])"),
    ]


# --- bidi controls and zero-width characters -----------------------------------


def test_single_line_text_with_bidi_controls_is_stored_isolated() -> None:
    story = Story.model_validate(
        yaml.safe_load(STORY) | {"title": f"Talks {RLO}in Istanbul", "location": "Plain"}
    )
    assert story.title == f"{FSI}Talks {RLO}in Istanbul{PDI}"
    assert story.location == "Plain"
    outlet = Outlet(name=f"{LRI}Evil")
    assert outlet.name == f"{FSI}{LRI}Evil{PDI}{PDI}"  # its own isolate closed, then ours


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        (f"{PDI}{RLO}evil", f"{FSI}{RLO}evil{PDI}"),  # a PDI that would end ours: dropped
        (f"a{RLO}b{PDI}c", f"{FSI}a{RLO}bc{PDI}"),
        (f"{FSI}a{PDI}{RLO}b", f"{FSI}{FSI}a{PDI}{RLO}b{PDI}"),  # isolated only in part
        (f"{FSI}a{RLO}b{PDI}", f"{FSI}a{RLO}b{PDI}"),  # already isolated: kept
        (f"a{ZWJ}b", f"a{ZWJ}b"),  # zero-width joiners are text in many scripts
    ],
)
def test_isolation_cannot_be_escaped_and_is_idempotent(text: str, stored: str) -> None:
    assert isolate_bidi(text) == stored
    assert isolate_bidi(stored) == stored


def test_check_warns_at_the_bidi_character(tmp_path: Path) -> None:
    story = STORY.replace("Talks in Istanbul", f"Talks {RLO}in Istanbul")
    folded = f"    title: >-\n      Talks,\n      day{LRI} one"  # on line 22, column 10
    story = story.replace("    title: Talks, day one", folded)
    story += 'location: "Istanbul\\u202e"\n'
    root = write_content(tmp_path, stories={"bidi": story})
    done = run_cli("check", "--content", root)
    assert done.returncode == 0, done.stderr
    assert error_lines(done, "bidi.yaml") == [
        "bidi.yaml:1:14: warning: invisible bidi control U+202E RIGHT-TO-LEFT OVERRIDE: it can "
        "make text read in another order than it is stored; shown isolated (U+2068 … U+2069) "
        "in single-line fields, remove it unless it is meant",
        "bidi.yaml:22:10: warning: invisible bidi control U+2066 LEFT-TO-RIGHT ISOLATE: it can "
        "make text read in another order than it is stored; shown isolated (U+2068 … U+2069) "
        "in single-line fields, remove it unless it is meant",
        "bidi.yaml:27:11: warning: invisible bidi control U+202E RIGHT-TO-LEFT OVERRIDE: it can "
        "make text read in another order than it is stored; shown isolated (U+2068 … U+2069) "
        "in single-line fields, remove it unless it is meant",
    ]
    assert run_cli("check", "--strict", "--content", root).returncode == 1


def test_messages_never_carry_invisible_or_line_breaking_characters() -> None:
    problem = Problem(Path("a.yaml"), 1, 1, f"unknown key 'x{RLO}\n\x1b[2Jy'", Severity.ERROR)
    assert problem.text() == "a.yaml:1:1: error: unknown key 'x\\u202e\\u000a\\u001b[2Jy'"


def test_new_makes_an_ascii_slug_and_shows_invisible_characters(content: Path) -> None:
    title = f"Pope{ZWSP} Leo{RLO} XIV{ZWJ} elected {LRI}東京{PDI}"
    done = run_cli("new", title, "--date", "2025-05-16", "--content", content)
    assert done.returncode == 0, done.stderr
    path = content / "stories" / "pope-leo-xiv-elected.yaml"
    assert done.stdout.strip().endswith("pope-leo-xiv-elected.yaml")
    written = 'title: "Pope\\u200b Leo\\u202e XIV\\u200d elected \\u2066東京\\u2069"'
    assert written in path.read_text()
    assert "warning: invisible bidi control U+202E" in done.stderr
    story = next(s for s in load_content(content).valid.stories if s.slug == path.stem)
    assert story.title == FSI + title + PDI


# --- symlinks ------------------------------------------------------------------


SECRET = "SECRET-MARKER-7f3a"


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder beside the content folder: a valid story, a registry and a page that
    all carry `SECRET`, so that reading any of them would show."""
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "story.yaml").write_text(STORY.replace("Talks in Istanbul", SECRET))
    (folder / "outlets.yaml").write_text(OUTLETS.replace("Reuters", SECRET))
    (folder / "page.md").write_text(f"Title: {SECRET}\n\n{SECRET}\n")
    (folder / "stories").mkdir()
    (folder / "stories" / "inner.yaml").write_text(STORY.replace("Talks in Istanbul", SECRET))
    return folder


def _linked(tmp_path: Path, outside: Path, link: str, target: str) -> Path:
    root = write_content(tmp_path / "content", stories={"talks": STORY})
    (root / "pages").mkdir()
    (root / link).parent.mkdir(parents=True, exist_ok=True)
    if (root / link).is_dir():
        shutil.rmtree(root / link)
    elif (root / link).exists():
        (root / link).unlink()
    (root / link).symlink_to(outside / target)
    return root


LINKS = [
    ("stories/leak.yaml", "story.yaml", "file"),
    ("stories/sub", "stories", "folder"),
    ("stories/deeper/leak.yml", "story.yaml", "file"),
    ("outlets.yaml", "outlets.yaml", "file"),
    ("pages/about.md", "page.md", "file"),
    ("stories", "stories", "folder"),
    ("pages", "stories", "folder"),
]


@pytest.mark.parametrize(("link", "target", "kind"), LINKS)
def test_check_refuses_a_symlink_out_of_the_content_folder(
    tmp_path: Path, outside: Path, link: str, target: str, kind: str
) -> None:
    root = _linked(tmp_path, outside, link, target)
    done = run_cli("check", "--content", root)
    assert done.returncode == 1
    assert f"{link}:1:1: error: is a symlink to a {kind} outside the content folder: not read" in (
        done.stderr
    )
    assert SECRET not in done.stderr
    assert "outlet registry is missing" not in done.stderr


@pytest.mark.parametrize(("link", "target", "kind"), LINKS[::2])
def test_build_refuses_it_and_writes_nothing(
    tmp_path: Path, outside: Path, link: str, target: str, kind: str
) -> None:
    root = _linked(tmp_path, outside, link, target)
    out, work = tmp_path / "out", tmp_path / "work"
    done = run_cli("build", "--content", root, "--output", out, "--work", work, "--no-cache")
    assert done.returncode == 1
    assert "is a symlink to a" in done.stderr
    assert not out.exists() and not work.exists()


def test_symlinks_inside_the_content_folder_are_followed(tmp_path: Path) -> None:
    root = write_content(tmp_path / "content", stories={"talks": STORY})
    (root / "drafts").mkdir()
    (root / "drafts" / "other.yaml").write_text(STORY)
    (root / "stories" / "alias.yaml").symlink_to(root / "drafts" / "other.yaml")
    (root / "stories" / "folder").symlink_to(root / "drafts")
    (root / "stories" / "loop").symlink_to(root / "stories")  # read once, not forever
    result = load_content(root)
    assert result.errors == []
    assert {s.slug for s in result.valid.stories} == {"talks", "other", "alias"}


def test_a_symlink_loop_does_not_hang(tmp_path: Path) -> None:
    root = write_content(tmp_path / "content", stories={"talks": STORY})
    (root / "stories" / "a").mkdir()
    (root / "stories" / "a" / "b").symlink_to(root / "stories")
    (root / "stories" / "a" / "c").symlink_to(root / "stories" / "a")
    (root / "stories" / "self").symlink_to("self")
    done = bounded_check(root)
    assert done.returncode == 0, done.stderr
    assert "ok: 1 story" in done.stderr


def test_a_fifo_does_not_hang(tmp_path: Path) -> None:
    root = write_content(tmp_path / "content", stories={"talks": STORY})
    os.mkfifo(root / "stories" / "pipe.yaml")
    done = bounded_check(root)
    assert done.returncode == 0, done.stderr


def test_a_deep_folder_tree_is_walked_without_recursion(tmp_path: Path) -> None:
    """300 folders deep, with 100 frames of recursion to spare: a recursive walk
    (pathlib's rglob is one) fails, ours does not. (Deeper than Python's own limit
    would prove the same, but pytest's recursive clean-up could not remove it.)"""
    root = write_content(tmp_path / "content", stories={"talks": STORY})
    folder = root / "stories"
    for _ in range(300):
        folder = folder / "d"
    folder.mkdir(parents=True)
    (folder / "deep.yaml").write_text(STORY)
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(len(inspect.stack(0)) + 100)
    try:
        result = load_content(root)
    finally:
        sys.setrecursionlimit(limit)
    assert sorted(s.slug or "" for s in result.valid.stories) == ["deep", "talks"]


def test_warnings_alone_are_capped_as_warnings(tmp_path: Path) -> None:
    """A registry of 200 outlets no story cites: 50 warnings, then a count (exit 0)."""
    registry = OUTLETS + "".join(f"o{i}:\n  name: O{i}\n" for i in range(200))
    done = run_cli("check", "--content", write_content(tmp_path, outlets=registry,
                                                        stories={"talks": STORY}))
    assert done.returncode == 0
    lines = [line for line in done.stderr.splitlines() if "outlets.yaml" in line]
    assert len(lines) == MAX_PROBLEMS + 1
    assert lines[-1].endswith(": warning: … and 150 more warnings in this file")
