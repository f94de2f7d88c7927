"""`parallax new`: a fresh scaffold passes `parallax check`; nothing is ever overwritten.

Also a small end-to-end test of `parallax check --format github` on broken files
(annotations on the right lines, escaped as GitHub's toolkit does); test_cli_check
tests `check` in depth.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
import yaml
from conftest import OUTLETS, PROJECT, STORY, run_cli, write_content

from generator.load import load_content
from generator.model import SLUG_PATTERN, Source, Story
from generator.scaffold import ScaffoldError, modeline, new_story, slugify

SCHEMA = PROJECT / "schema" / "story.schema.json"
MODELINE = re.compile(r"^# yaml-language-server: \$schema=(\S+)$")


def _new(content: Path, *args: str) -> tuple[int, str, str]:
    done = run_cli("new", *args, "--content", content)
    return done.returncode, done.stdout, done.stderr


def _schema_of(story: Path) -> Path:
    first = story.read_text(encoding="utf-8").splitlines()[0]
    match = MODELINE.match(first)
    assert match, first
    return (story.parent / match.group(1)).resolve()


# --- slugs --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Pope Leo XIV elected", "pope-leo-xiv-elected"),
        ("  Trump's \"Liberation Day\" tariffs: markets fall!  ",
         "trump-s-liberation-day-tariffs-markets-fall"),
        ("Istanbul, Türkiye — talks end", "istanbul-turkiye-talks-end"),
        ("Straße in Łódź, Ærø", "strasse-in-lodz-aero"),
        ("COVID-19 -- 2025", "covid-19-2025"),
        ("東京", "story"),
        ("", "story"),
    ],
)
def test_slugify(title: str, slug: str) -> None:
    assert slugify(title) == slug


def test_slugify_keeps_long_titles_under_100_at_a_word_boundary() -> None:
    title = " ".join(["negotiations"] * 20)
    slug = slugify(title)
    assert len(slug) <= 100 and re.match(SLUG_PATTERN, slug)
    assert slug.endswith("negotiations") and not slug.endswith("-")
    assert slugify("x" * 150) == "x" * 100


def test_modeline_is_relative_to_the_story(tmp_path: Path) -> None:
    story = tmp_path / "content" / "stories" / "sub" / "x.yaml"
    schema = tmp_path / "schema" / "story.schema.json"
    expected = "# yaml-language-server: $schema=../../../schema/story.schema.json"
    assert modeline(story, schema) == expected


# --- the scaffold -------------------------------------------------------------


def test_new_then_check_passes(content: Path) -> None:
    code, out, err = _new(content, "Harbour workers strike", "--date", "2025-06-01",
                          "--topic", "Economy", "--topic", "Labour")
    assert code == 0, err
    path = content / "stories" / "harbour-workers-strike.yaml"
    assert Path(out.strip()).resolve() == path.resolve()  # the path it wrote
    assert _schema_of(path) == SCHEMA.resolve()
    check = run_cli("check", "--strict", "--content", content)
    assert check.returncode == 0, check.stderr
    assert "0 errors, 0 warnings" in check.stderr
    result = load_content(content)
    assert result.content is not None
    story = next(s for s in result.content.stories if s.slug == "harbour-workers-strike")
    assert story.title == "Harbour workers strike"
    assert story.date.date() == date(2025, 6, 1)
    assert story.topics == ["Economy", "Labour"]
    assert story.sources[0].outlet == "reuters"  # the registry's first (rated) outlet
    assert story.sources[0].url.startswith("https://example.org/")
    assert not story.draft


def test_scaffold_in_a_project_layout_points_at_the_project_schema(tmp_path: Path) -> None:
    """content/stories/x.yaml → ../../schema/story.schema.json, as every story in content/."""
    (tmp_path / "schema").mkdir()
    (tmp_path / "schema" / "story.schema.json").write_text("{}", encoding="utf-8")
    content = write_content(tmp_path / "content", stories={"talks": STORY})
    code, _, err = _new(content, "Budget vote", "--date", "2025-01-02")
    assert code == 0, err
    first = (content / "stories" / "budget-vote.yaml").read_text(encoding="utf-8").splitlines()[0]
    assert first == "# yaml-language-server: $schema=../../schema/story.schema.json"


def test_date_defaults_to_today(content: Path) -> None:
    made = new_story("Leap day story", content, today=lambda: date(2024, 2, 29))
    assert "\ndate: 2024-02-29\n" in made.text
    assert made.path == content / "stories" / "leap-day-story.yaml"
    assert made.path.read_text(encoding="utf-8") == made.text


def test_every_field_is_in_the_template(content: Path) -> None:
    """Required fields filled in, every optional one described in a comment."""
    text = new_story("All fields", content, day=date(2025, 1, 1)).text
    keys = set(re.findall(r"^[#\s-]*([a-z_]+):", text, re.MULTILINE))
    assert set(Story.model_fields) <= keys, set(Story.model_fields) - keys
    assert set(Source.model_fields) <= keys, set(Source.model_fields) - keys
    data = yaml.safe_load(text)
    assert set(data) == {"title", "date", "key_points", "sources"}  # the rest are comments


@pytest.mark.parametrize(
    "title",
    ['He said: "no" # not a comment', "Talks end — 'for now' [1]", "50% of votes, {counted}",
     "yes", "null", "2025-05-16", "- dash", "Ünïcödé ✓ 東京"],
)
def test_titles_read_back_exactly(content: Path, title: str) -> None:
    made = new_story(title, content, day=date(2025, 1, 1))
    result = load_content(content)
    assert result.content is not None, result.problems
    assert next(s for s in result.content.stories if s.slug == made.slug).title == title


def test_refuses_to_overwrite(content: Path) -> None:
    assert _new(content, "Harbour strike", "--date", "2025-01-01")[0] == 0
    path = content / "stories" / "harbour-strike.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "# the editor's work\n", encoding="utf-8")
    before = path.read_bytes()
    code, out, err = _new(content, "Harbour strike", "--date", "2025-02-02")
    assert code == 1
    assert "harbour-strike.yaml already exists" in err and out == ""
    assert path.read_bytes() == before
    # conftest's story is stories/talks.yaml: the title "Talks" would overwrite it
    code, _, err = _new(content, "Talks")
    assert code == 1 and "talks.yaml already exists" in err


def test_refuses_a_slug_taken_in_a_sub_folder(content: Path) -> None:
    write_content(content, outlets=None, stories={"2025/budget-vote": STORY})
    code, _, err = _new(content, "Budget vote")
    assert code == 1 and "budget-vote.yaml already exists" in err
    assert not (content / "stories" / "budget-vote.yaml").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["Two\nlines"], "title: must be a single line"),
        (["x" * 301], "title: must have at most 300 characters (it has 301)"),
        ([""], "title: must not be empty"),
        (["Fine", "--topic", "Trade", "--topic", "trade"], "duplicate topic 'trade'"),
        (["Fine", "--topic", "t" * 81], "topics[0]: must have at most 80 characters"),
    ],
)
def test_invalid_titles_and_topics_write_nothing(
    content: Path, args: list[str], message: str
) -> None:
    before = sorted((content / "stories").rglob("*"))
    code, out, err = _new(content, *args)
    assert code == 1, (out, err)
    assert message in err
    assert sorted((content / "stories").rglob("*")) == before


def test_bad_date_is_a_usage_error(content: Path) -> None:
    code, _, err = _new(content, "Fine", "--date", "16/05/2025")
    assert code == 2 and "not a date (YYYY-MM-DD)" in err


def test_no_registry_writes_nothing(tmp_path: Path) -> None:
    content = tmp_path / "content"
    content.mkdir()
    with pytest.raises(ScaffoldError, match="no valid outlet"):
        new_story("Anything", content)
    assert not (content / "stories").exists()


def test_unrated_first_outlet_is_passed_over(tmp_path: Path) -> None:
    registry = "unrated-wire:\n  name: Unrated Wire\n" + OUTLETS
    content = write_content(tmp_path / "content", outlets=registry, stories={"talks": STORY})
    made = new_story("Anything", content, day=date(2025, 1, 1))
    assert "  - outlet: reuters\n" in made.text
    assert not made.warnings


# --- check --format github on broken files ------------------------------------


def test_check_github_annotations_on_broken_files(content: Path) -> None:
    """The pull-request workflow runs `parallax check --format github`."""
    broken = (
        STORY.replace("title: Talks in Istanbul", "titel: Talks in Istanbul")
        .replace("outlet: guardian", "outlet: guardain")
        .replace("outlet: kyiv-independent", 'outlet: "kyiv%"')
    )
    write_content(content, outlets=None, stories={"broken": broken, "odd,name%.yaml": (
        "slug: odd-name\n" + STORY.replace("url: https://example.org/c", "url: ftp://x")
    )})
    done = run_cli("check", "--format", "github", "--content", content)
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert all(line.startswith(("::error ", "::warning ")) for line in lines), lines
    broken_file = (content / "stories" / "broken.yaml").as_posix().replace(":", "%3A")
    assert any(
        line.startswith(f"::error file={broken_file},line=1,col=1::unknown key 'titel' "
                        "(did you mean 'title'")
        for line in lines
    ), lines
    kyiv = STORY.splitlines().index("  - outlet: kyiv-independent") + 1
    assert any(  # `%` in the message is escaped as %25
        line.startswith(f"::error file={broken_file},line={kyiv},col=13::")
        and "unknown outlet 'kyiv%25'" in line
        for line in lines
    ), lines
    guardain = STORY.splitlines().index("  - outlet: guardian") + 1
    assert any(
        line.startswith(f"::error file={broken_file},line={guardain},col=13::")
        and "unknown outlet 'guardain' (did you mean 'guardian'?)" in line
        for line in lines
    ), lines
    odd = (content / "stories" / "odd%2Cname%25.yaml").as_posix().replace(":", "%3A")
    url_line = STORY.splitlines().index("    url: https://example.org/c") + 2  # + slug line
    assert any(line.startswith(f"::error file={odd},line={url_line},col=10::") for line in lines), (
        lines
    )


# --- every content file names its schema --------------------------------------


def _content_files() -> list[Path]:
    root = PROJECT / "content"
    return sorted(p for p in root.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())


def test_every_content_yaml_has_the_schema_modeline() -> None:
    """Editors get completion and inline errors only when the file names its schema."""
    files = _content_files()
    assert PROJECT / "content" / "outlets.yaml" in files
    missing = []
    for file in files:
        expected = "outlets.schema.json" if file.name == "outlets.yaml" and \
            file.parent == PROJECT / "content" else "story.schema.json"
        try:
            schema = _schema_of(file)
        except AssertionError:
            missing.append(f"{file.relative_to(PROJECT)}: no schema modeline on line 1")
            continue
        if schema != (PROJECT / "schema" / expected).resolve():
            missing.append(f"{file.relative_to(PROJECT)}: modeline points at {schema}")
    assert not missing, "\n".join(missing) + (
        "\nline 1 must be `# yaml-language-server: $schema=../../schema/story.schema.json` "
        "(stories) or `…=../schema/outlets.schema.json` (outlets.yaml)"
    )


def test_scaffold_is_valid_for_the_editor_schema(content: Path) -> None:
    """What yaml-language-server shows in the editor: no squiggle on a fresh file."""
    import json

    import jsonschema

    class Strings(yaml.SafeLoader):  # the schema types dates as strings, as YAML text
        pass

    Strings.yaml_implicit_resolvers = {
        first: [r for r in resolvers if r[0] != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    made = new_story("Schema check", content, day=date(2025, 1, 1), topics=["Economy"])
    data = yaml.load(made.text, Loader=Strings)  # a SafeLoader subclass
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.validate(data, schema)
