"""Fuzzing: whatever a story file holds, `parallax check` and `parallax build` answer
with problems or a site, never a traceback; and every story they accept builds.

Stories are drawn near the real shape (the right keys, mostly plausible values) with
hostile text, wrong types, unknown keys, broken citations and dates mixed in, then
sometimes mangled as text (a slice cut out, a byte flipped) so the YAML itself breaks.
Examples are derandomized so CI is repeatable; `PARALLAX_FUZZ_EXAMPLES=5000` runs a
longer campaign locally.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import OUTLETS, write_content
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from generator import cli
from generator.build import BuildFailed, Options, build
from generator.load import load_content

EXAMPLES = int(os.environ.get("PARALLAX_FUZZ_EXAMPLES", "150"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
PROBLEM_LINE = re.compile(r"^\S.*:\d+:\d+: (error|warning): \S")

NASTY = st.sampled_from([
    "", " ", "\n", "\t", "\r\n", "<script>alert(1)</script>", '"><svg onload=alert(1)>',
    "{{ 7*191 }}", "{% if x %}", "{filename}/x", "\u202e", "\u2066", "\u200b", "\ufeff",
    "../", "..\\", "/etc/passwd", "[1]", "[99]", "[0]", "[1, 2]", "[x]", "Status: draft",
    "&amp;", "javascript:alert(1)", "- x", "# h", "*", "`", "|", "\x00", "\x85", "\u2028",
    "é", "東京", "🙂", "a" * 400,
])
TEXT = st.one_of(
    st.text(max_size=30),
    NASTY,
    st.lists(st.one_of(st.text(max_size=8), NASTY), max_size=4).map("".join),
)
SCALAR = st.one_of(TEXT, st.integers(), st.booleans(), st.none(),
                   st.floats(allow_nan=False), st.dates())
OUTLET_KEYS = ("reuters", "guardian", "kyiv-independent")
DATES = st.one_of(st.dates().map(str), st.datetimes().map(lambda d: d.isoformat()),
                  st.sampled_from(["2025-05-16", "2025-13-01", "yesterday", "2025-05-16T25:00"]))
URLS = st.one_of(
    st.integers(0, 10**6).map(lambda n: f"https://example.org/{n}"),
    st.sampled_from(["javascript:alert(1)", "ftp://x", "https://", "//x", "https://a b"]),
    TEXT.map(lambda t: "https://example.org/" + t),
)


def junk_or(good: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly `good`, sometimes a value of the wrong kind."""
    return st.one_of(good, good, good, SCALAR, st.lists(SCALAR, max_size=2),
                     st.dictionaries(TEXT, SCALAR, max_size=2))


SOURCE = st.fixed_dictionaries(
    {"outlet": junk_or(st.sampled_from(OUTLET_KEYS)), "title": junk_or(TEXT),
     "url": junk_or(URLS)},
    optional={"published": junk_or(DATES), "excerpt": junk_or(TEXT),
              "bias": junk_or(st.sampled_from(["left", "center", "right", "far-left", "x"]))},
)
CITED = st.tuples(TEXT, st.lists(st.integers(-1, 6), max_size=3)).map(
    lambda t: f"{t[0]} [{', '.join(map(str, t[1]))}]" if t[1] else t[0])
PERSPECTIVE = st.one_of(
    st.fixed_dictionaries({"side": junk_or(st.sampled_from(["left", "center", "right"])),
                           "text": junk_or(TEXT)},
                          optional={"sources": junk_or(st.lists(st.integers(-1, 6),
                                                                max_size=3))}),
    st.fixed_dictionaries({"actor": junk_or(TEXT), "text": junk_or(TEXT)}),
)
STORY = st.fixed_dictionaries(
    {"title": junk_or(TEXT), "date": junk_or(DATES),
     "key_points": junk_or(st.lists(st.one_of(TEXT, CITED), min_size=1, max_size=4)),
     "sources": junk_or(st.lists(SOURCE, min_size=1, max_size=5))},
    optional={
        "updated": junk_or(DATES), "slug": junk_or(st.one_of(TEXT, st.just("ok-slug"))),
        "topics": junk_or(st.lists(TEXT, max_size=4)), "location": junk_or(TEXT),
        "summary": junk_or(TEXT), "perspectives": junk_or(st.lists(PERSPECTIVE, max_size=3)),
        "timeline": junk_or(st.lists(st.fixed_dictionaries(
            {"date": junk_or(DATES), "text": junk_or(TEXT)}), max_size=3)),
        "draft": junk_or(st.booleans()), "unknown_key": SCALAR,
    },
)


@st.composite
def story_files(draw: st.DrawFn) -> str | bytes:
    """A story file as written to disk: dumped YAML, sometimes cut, spliced or as bytes."""
    story = draw(STORY)
    text = yaml.safe_dump(story, allow_unicode=draw(st.booleans()), sort_keys=False,
                          default_flow_style=draw(st.sampled_from([False, None])))
    how = draw(st.sampled_from(["as-is"] * 6 + ["cut", "splice", "bytes"]))
    if how == "cut" and text:
        start = draw(st.integers(0, len(text) - 1))
        return text[:start] + text[start + draw(st.integers(1, 12)):]
    if how == "splice":
        at = draw(st.integers(0, len(text)))
        return text[:at] + draw(st.sampled_from([":", "- ", "{", "[", '"', "\t", "&a ",
                                                 "*a", "!!python/object ", "---\n"])) + text[at:]
    if how == "bytes":
        raw = bytearray(text.encode("utf-8"))
        if raw:
            raw[draw(st.integers(0, len(raw) - 1))] = draw(st.integers(0x80, 0xFF))
        return bytes(raw)
    return text


def write(root: Path, story: str | bytes) -> Path:
    return write_content(root, OUTLETS, {"fuzzed.yaml": story})


def check(root: Path) -> tuple[int, str, str]:
    """`parallax check` in this process: any exception fails the test with its traceback."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(["check", "--content", str(root)])
    return code, out.getvalue(), err.getvalue()


@FUZZ
@given(story_files())
def test_check_answers_every_file_with_problems_or_success(story: str | bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = write(Path(folder) / "content", story)
        result = load_content(root)
        event("refused" if result.errors else "accepted")
        code, out, err = check(root)
    assert code == (1 if result.errors else 0)
    assert "Traceback" not in out + err
    for problem in result.problems:
        assert problem.line >= 1 and problem.col >= 1, problem
        assert problem.message.strip()
    lines = [line for line in (out + err).splitlines() if ": error: " in line]
    assert len(lines) == len(result.errors)
    for line in lines:
        assert PROBLEM_LINE.match(line), line


OUTLET = st.fixed_dictionaries(
    {"name": junk_or(TEXT)},
    optional={
        "url": junk_or(URLS), "owner": junk_or(TEXT), "rated_by": junk_or(TEXT),
        "bias": junk_or(st.sampled_from(["left", "lean-right", "center", "nope"])),
        "factuality": junk_or(st.sampled_from(["high", "mixed", "very-low", "meh"])),
        "ownership": junk_or(st.sampled_from(["independent", "billionaire", "x"])),
        "country": junk_or(st.sampled_from(["GB", "gb", "GBR", ""])),
        "rated_on": junk_or(DATES), "unknown_key": SCALAR,
    },
)
REGISTRY = st.dictionaries(
    st.one_of(st.sampled_from(OUTLET_KEYS), TEXT, st.integers()), junk_or(OUTLET), max_size=5
)


@FUZZ
@given(REGISTRY, story_files())
def test_check_answers_every_registry_with_problems_or_success(
    registry: dict[Any, Any], story: str | bytes
) -> None:
    """The registry fuzzed too (keys that are paths, numbers or empty; fields of the
    wrong kind): still problems with places, or success, never a traceback."""
    with tempfile.TemporaryDirectory() as folder:
        root = write(Path(folder) / "content", story)
        (root / "outlets.yaml").write_text(yaml.safe_dump(registry, allow_unicode=True), "utf-8")
        result = load_content(root)
        event("refused" if result.errors else "accepted")
        code, out, err = check(root)
    assert code == (1 if result.errors else 0)
    assert "Traceback" not in out + err
    assert all(p.line >= 1 and p.col >= 1 and p.message.strip() for p in result.problems)


VALID_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=["Cc", "Cs", "Zl", "Zp"]),
                     min_size=1, max_size=40).filter(str.strip)
NEAR_VALID = st.fixed_dictionaries(
    {"title": st.one_of(VALID_TEXT, NASTY.filter(lambda s: s.strip() and "\n" not in s)),
     "date": st.dates().map(str),
     "key_points": st.lists(st.one_of(VALID_TEXT, CITED), min_size=1, max_size=3),
     "sources": st.lists(st.fixed_dictionaries(
         {"outlet": st.sampled_from(OUTLET_KEYS), "title": VALID_TEXT,
          "url": st.integers(0, 10**6).map(lambda n: f"https://example.org/{n}")},
         optional={"excerpt": VALID_TEXT}), min_size=1, max_size=4,
         unique_by=lambda s: s["url"])},
    optional={"topics": st.lists(VALID_TEXT, max_size=3), "summary": VALID_TEXT,
              "location": VALID_TEXT},
)


@settings(max_examples=max(4, EXAMPLES // 5), deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(NEAR_VALID)
@pytest.mark.site
def test_every_story_check_accepts_builds(story: dict[str, Any]) -> None:
    """Near-valid stories: those `check` accepts build and are published at their URL;
    those it refuses fail the build with the same problems, writing no output."""
    with tempfile.TemporaryDirectory() as folder:
        root = write(Path(folder) / "content", yaml.safe_dump(story, allow_unicode=True))
        output = Path(folder) / "out"
        result = load_content(root)
        event("refused" if result.errors else "accepted")
        options = Options(content=root, output=output, work=Path(folder) / "work", cache=None,
                          search=False)
        if result.errors:
            with pytest.raises(BuildFailed) as failed:
                build(options)
            assert [p.message for p in failed.value.problems] == \
                [p.message for p in result.errors]
            assert not output.exists()
            return
        report = build(options)
        assert report.stories == 1
        assert (output / "stories" / "fuzzed" / "index.html").is_file()
        assert (output / "api" / "stories" / "fuzzed.json").is_file()
