"""`parallax check` and `parallax schema`, run as CI runs them: a child process."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import EXAMPLES, STORY, run_cli, write_content

from generator.schema import render, schemas


def test_the_examples_pass() -> None:
    result = run_cli("check", "--content", EXAMPLES, "--strict")
    assert result.returncode == 0, result.stderr
    assert "parallax check: ok: 1 story, 0 errors, 0 warnings" in result.stderr


def test_valid_content_exits_0(content: Path) -> None:
    result = run_cli("check", "--content", content)
    assert (result.returncode, result.stdout) == (0, "")
    assert "ok: 1 story," in result.stderr


def test_every_problem_of_every_file_exits_1(tmp_path: Path) -> None:
    root = write_content(
        tmp_path,
        stories={
            "a": STORY.replace("title: Talks in Istanbul", "title: ''"),
            "b": STORY.replace("[3]", "[4]"),
            "c": STORY.replace("https://example.org/b", "/b"),
        },
    )
    result = run_cli("check", "--content", root)
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert lines[:-1] == [
        f"{root}/stories/a.yaml:1:8: error: title: must not be empty",
        f"{root}/stories/b.yaml:7:5: error: key_points[1]: citation [4] does not match a source "
        "(this story has 3)",
        f"{root}/stories/c.yaml:21:10: error: sources[1].url: must be an absolute http:// or "
        "https:// URL",
    ]
    assert lines[-1] == "parallax check: failed: 3 stories, 3 errors, 0 warnings"


def test_paths_are_relative_to_the_working_folder(tmp_path: Path) -> None:
    write_content(tmp_path / "content", stories={"a": ""})
    result = run_cli("check", "--content", "content", cwd=tmp_path)
    assert result.stderr.startswith("content/stories/a.yaml:1:1: error: the file is empty\n")


def test_warnings_exit_0_unless_strict(tmp_path: Path) -> None:
    root = write_content(
        tmp_path, stories={"talks": STORY.replace("outlet: guardian", "outlet: reuters")}
    )
    relaxed = run_cli("check", "--content", root)
    assert relaxed.returncode == 0
    assert f"{root}/outlets.yaml:7:1: warning: outlet 'guardian' is not cited by any story" in (
        relaxed.stderr
    )
    assert "ok: 1 story, 0 errors, 1 warning\n" in relaxed.stderr
    strict = run_cli("check", "--content", root, "--strict")
    assert strict.returncode == 1
    assert "failed: 1 story, 0 errors, 1 warning" in strict.stderr


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    unknown_flag = run_cli("check", "--content", tmp_path, "--bogus")
    assert unknown_flag.returncode == 2
    assert "unrecognized arguments: --bogus" in unknown_flag.stderr
    missing = run_cli("check", "--content", tmp_path / "nowhere")
    assert missing.returncode == 2
    assert "no content folder" in missing.stderr
    assert run_cli("check", "--format", "xml").returncode == 2
    assert run_cli().returncode == 2


def test_github_format(tmp_path: Path) -> None:
    root = write_content(
        tmp_path,
        stories={
            "a,b": STORY + "colour: red\n",
            "c": STORY.replace("outlet: guardian", "outlet: reuters"),
        },
    )
    result = run_cli("check", "--content", root, "--format", "github")
    assert result.returncode == 1
    root_shown = str(root).replace(":", "%3A").replace(",", "%2C")
    assert result.stdout.splitlines() == [
        f"::error file={root_shown}/stories/a%2Cb.yaml,line=1,col=1::the file name 'a,b' cannot "
        "be the story's slug (lowercase letters, digits and hyphens, at most 100): rename the "
        "file or add a `slug` key",
        f"::error file={root_shown}/stories/a%2Cb.yaml,line=25,col=1::unknown key 'colour'",
    ]


def test_github_format_escapes_messages(tmp_path: Path) -> None:
    """A message carrying `%` and a line break (from a YAML key) stays one command."""
    root = write_content(tmp_path, stories={"talks": STORY + '"100%\\nsure": x\n'})
    result = run_cli("check", "--content", root, "--format", "github")
    (line,) = result.stdout.splitlines()
    assert line.endswith(",line=25,col=1::unknown key '100%25%0Asure'")


def test_github_format_warnings(tmp_path: Path) -> None:
    root = write_content(
        tmp_path, stories={"talks": STORY.replace("outlet: guardian", "outlet: reuters")}
    )
    result = run_cli("check", "--content", root, "--format", "github")
    assert result.returncode == 0
    assert result.stdout == (
        f"::warning file={root}/outlets.yaml,line=7,col=1::outlet 'guardian' is not cited by "
        "any story\n"
    )


def test_schema_writes_both_files(tmp_path: Path) -> None:
    result = run_cli("schema", "--output", tmp_path / "schemas")
    assert result.returncode == 0, result.stderr
    for name, schema in schemas().items():
        written = (tmp_path / "schemas" / name).read_text(encoding="utf-8")
        assert written == render(schema)
        assert json.loads(written)["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert sorted(Path(p).name for p in result.stdout.split()) == [
        "outlets.schema.json",
        "story.schema.json",
    ]
