"""`parallax diff`: stories added, changed and removed between two git revisions of a
fixture repository, with their bias distribution and blindspot before → after."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from conftest import run_cli, write_content

from generator.diff import diff, md

REGISTRY = """\
wire:
  name: Wire
  bias: center
lefty:
  name: Lefty Daily
  bias: left
leaning:
  name: Leaning Post
  bias: lean-left
righty:
  name: Righty Times
  bias: right
far:
  name: Far Right News
  bias: far-right
blog:
  name: Unrated Blog
"""


def story(title: str, *outlets: str, date: str = "2025-05-16") -> str:
    sources = "".join(
        f"  - outlet: {o}\n    title: Article {i}\n    url: https://example.org/{o}/{i}\n"
        for i, o in enumerate(outlets, start=1)
    )
    return (
        f"title: {title}\ndate: {date}\nkey_points:\n  - Something happened. [1]\n"
        f"sources:\n{sources}"
    )


#: Revision 1: three stories.
TALKS = story("Talks in Istanbul", "wire", "lefty", "righty", "leaning", "far")
STRIKE = story("Harbour strike", "wire", "lefty", "leaning", "righty", "blog")
FLOODS = story("Floods in Texas", "wire", "righty")
#: Revision 2: STRIKE re-sourced (a blindspot for the Left), FLOODS removed, BUDGET added.
STRIKE_2 = story("Harbour strike", "wire", "righty", "far", "righty", "far", "righty", "blog")
BUDGET = story("Budget | vote *passes*", "lefty", "leaning", "wire")


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "Editor", "GIT_AUTHOR_EMAIL": "e@example.org",
           "GIT_COMMITTER_NAME": "Editor", "GIT_COMMITTER_EMAIL": "e@example.org"}
    done = subprocess.run(
        ["git", "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main", *args],
        cwd=repo, env=env, capture_output=True, text=True, check=True,
    )
    return done.stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository with two commits of content/ (HEAD~1 → HEAD)."""
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q")
    content = write_content(root / "content", outlets=REGISTRY,
                            stories={"talks": TALKS, "strike": STRIKE, "floods": FLOODS})
    (root / "README.md").write_text("fixture\n", encoding="utf-8")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "first")
    (content / "stories" / "floods.yaml").unlink()
    write_content(content, outlets=None, stories={"strike": STRIKE_2, "2025/budget": BUDGET})
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "second")
    return root


def _diff(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli("diff", *args, "--content", repo / "content")


def test_text_between_two_revisions(repo: Path) -> None:
    done = _diff(repo, "HEAD~1")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.startswith("parallax diff: HEAD~1 (")
    assert "→ working tree, content folder content/" in out
    added, changed, removed = out.index("Added (1):"), out.index("Changed (1):"), out.index(
        "Removed (1):")
    assert added < changed < removed
    block = out[added:changed]
    assert "+ budget: Budget | vote *passes*" in block
    assert "bias:      L 67% · C 33% · R 0% (3 articles)" in block
    assert "blindspot: none" in block
    assert "content/stories/2025/budget.yaml" in block
    block = out[changed:removed]
    assert "~ strike: Harbour strike" in block
    assert "changed:   sources" in block
    assert ("bias:      L 50% · C 25% · R 25% (5 articles) → L 0% · C 17% · R 83% (7 articles)"
            in block)
    assert "blindspot: none → for the Left" in block
    block = out[removed:]
    assert "- floods: Floods in Texas" in block
    assert "bias:      L 0% · C 50% · R 50% (2 articles)" in block
    assert "content/stories/floods.yaml" in block
    assert "talks" not in out  # unchanged


def test_markdown_table_for_the_pull_request(repo: Path) -> None:
    done = _diff(repo, "HEAD~1", "--format", "markdown")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("### Parallax: content changes against `HEAD~1` (")
    assert "1 added, 1 changed, 1 removed." in lines
    header = "| | Story | Changed | Bias before | Bias after | Blindspot |"
    table = lines[lines.index(header):]
    assert table[1] == "|---|---|---|---|---|---|"
    rows = [r for r in table[2:] if r.startswith("| ")]
    assert len(rows) == 3
    added, changed, removed = rows
    assert added.startswith("| added | **Budget \\| vote \\*passes\\***<br>`budget`")
    assert "| — | L 67% · C 33% · R 0% (3 articles) | none |" in added
    assert changed.startswith("| changed | **Harbour strike**<br>`strike`")
    assert ("| sources | L 50% · C 25% · R 25% (5 articles) | L 0% · C 17% · R 83% (7 articles) "
            "| none → for the Left |") in changed
    assert removed.startswith("| removed | **Floods in Texas**")
    assert "| L 0% · C 50% · R 50% (2 articles) | — | none |" in removed
    for row in rows:  # a title's `|` must not add a column
        assert row.replace("\\|", "").count("|") == 7


def test_default_base_is_head_then_origin_main(repo: Path) -> None:
    done = _diff(repo)
    assert done.returncode == 0
    assert done.stdout.startswith("parallax diff: HEAD (") and "No story changed." in done.stdout
    git(repo, "update-ref", "refs/remotes/origin/main", "HEAD~1")
    done = _diff(repo)
    assert done.stdout.startswith("parallax diff: origin/main (")
    assert "Added (1):" in done.stdout and "Removed (1):" in done.stdout


def test_working_tree_changes_count(repo: Path) -> None:
    """Uncommitted edits are compared too (the editor's current files)."""
    content = repo / "content"
    text = (content / "stories" / "talks.yaml").read_text(encoding="utf-8")
    (content / "stories" / "talks.yaml").write_text(
        text.replace("Talks in Istanbul", "Talks in Istanbul end"), encoding="utf-8")
    write_content(content, outlets=None, stories={"draft": story("New draft", "wire") +
                                                  "draft: true\n"})
    done = _diff(repo, "HEAD")
    assert done.returncode == 0, done.stderr
    assert "~ talks: Talks in Istanbul end" in done.stdout
    assert "changed:   title" in done.stdout
    assert "bias:      L 40% · C 20% · R 40% (5 articles)\n" in done.stdout  # same before/after
    assert "+ draft: New draft [draft]" in done.stdout


def test_re_rated_outlet_moves_figures(repo: Path) -> None:
    registry = repo / "content" / "outlets.yaml"
    registry.write_text(
        registry.read_text(encoding="utf-8").replace("  bias: left\n", "  bias: center\n"),
        encoding="utf-8",
    )
    done = _diff(repo, "HEAD")
    assert done.returncode == 0
    out = done.stdout
    assert "~ talks: Talks in Istanbul" in out and "changed:   outlet ratings" in out
    assert "Outlets:\n  changed: lefty (bias)" in out


def test_working_tree_errors_exit_1_and_are_listed(repo: Path) -> None:
    write_content(repo / "content", outlets=None,
                  stories={"broken": story("Broken", "wier")})
    done = _diff(repo, "HEAD")
    assert done.returncode == 1
    assert "the working tree content has 1 error" in done.stdout
    expected = "stories/broken.yaml:6:13: error: sources[0].outlet: unknown outlet 'wier'"
    assert expected in done.stderr
    markdown = _diff(repo, "HEAD", "--format", "markdown")
    assert markdown.returncode == 1
    assert "> **1 error** in this branch's content: run `parallax check`" in markdown.stdout


def test_broken_base_is_reported_and_still_compared(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q")
    write_content(root / "content", outlets=REGISTRY,
                  stories={"talks": TALKS, "broken": "title: [unclosed\n"})
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "broken")
    (root / "content" / "stories" / "broken.yaml").unlink()
    write_content(root / "content", outlets=None, stories={"budget": BUDGET})
    done = run_cli("diff", "HEAD", "--content", root / "content")
    assert done.returncode == 0, done.stderr
    assert "note: the content at HEAD has 1 error" in done.stdout
    assert "+ budget" in done.stdout and "talks" not in done.stdout


def test_content_missing_at_base_is_all_added(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q")
    (root / "README.md").write_text("x\n", encoding="utf-8")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "empty")
    write_content(root / "content", outlets=REGISTRY, stories={"talks": TALKS})
    done = run_cli("diff", "--content", root / "content")
    assert done.returncode == 0, done.stderr
    assert "Added (1):" in done.stdout
    assert "added: blog, far, leaning, lefty, righty, wire" in done.stdout


@pytest.mark.parametrize("base", ["no-such-branch", "HEAD~5", "--output=x"])
def test_bad_revision_exits_2(repo: Path, base: str) -> None:
    done = _diff(repo, base)
    assert done.returncode == 2
    assert "parallax diff:" in done.stderr or "error:" in done.stderr


def test_outside_git_exits_2(tmp_path: Path) -> None:
    content = write_content(tmp_path / "content", outlets=REGISTRY, stories={"talks": TALKS})
    done = run_cli("diff", "--content", content)
    assert done.returncode == 2 and "not inside a git repository" in done.stderr


def test_api_and_markdown_escaping(repo: Path) -> None:
    result = diff(repo / "content", "HEAD~1")
    assert [(c.kind, c.slug) for c in result.changes] == [
        ("added", "budget"), ("changed", "strike"), ("removed", "floods")]
    assert result.commit and not result.errors
    assert md("a|b <i>*x*</i> [l](u)") == "a\\|b \\<i\\>\\*x\\*\\</i\\> \\[l\\]\\(u\\)"
