"""The GitHub workflows run commands that exist, and the ones the tests exercise.

Every `parallax …` line of a workflow parses with `generator.cli.parser()`; every
`make …` line names targets of the Makefile; the pull-request workflow's commands
are run here, as written, in a fixture repository; `make publish` is test_publish's.
Permissions, concurrency and artifact names are checked as GitHub reads them.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import PROJECT, STORY, write_content

from generator.cli import parser

WORKFLOWS = PROJECT / ".github" / "workflows"
CHECK = WORKFLOWS / "check.yml"
PAGES = WORKFLOWS / "pages.yml"
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    if True in data:  # YAML 1.1 reads the key `on` as a boolean
        data["on"] = data.pop(True)
    return data


def steps(workflow: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, job in workflow["jobs"].items():
        for step in job.get("steps", []):
            yield name, step


def commands(run: str, values: dict[str, str] | None = None) -> Iterator[list[str]]:
    """The commands of a `run:` script, one argv each: continuation lines joined,
    comments dropped, `${{ … }}` replaced (by `values`, else a placeholder) and
    output redirections removed."""
    script = run.replace("\\\n", " ")
    for raw in script.splitlines():
        line = EXPRESSION.sub(lambda m: (values or {}).get(m.group(1), "EXPR"), raw)
        for part in re.split(r"&&|\|\||;", line):
            argv = shlex.split(part, comments=True)
            while ">>" in argv or ">" in argv:
                at = argv.index(">>") if ">>" in argv else argv.index(">")
                del argv[at:at + 2]
            if argv:
                yield argv


def run_commands(workflow: dict[str, Any]) -> list[list[str]]:
    return [argv for _, step in steps(workflow) if "run" in step for argv in commands(step["run"])]


def make_targets() -> set[str]:
    text = (PROJECT / "Makefile").read_text(encoding="utf-8")
    return set(re.findall(r"^([A-Za-z0-9_.-]+)\s*:(?!=)", text, re.MULTILINE))


def uses(workflow: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [s for _, s in steps(workflow) if str(s.get("uses", "")).split("@")[0] == action]


# --- every command exists -----------------------------------------------------


@pytest.mark.parametrize("path", [CHECK, PAGES], ids=lambda p: p.name)
def test_every_command_exists(path: Path) -> None:
    workflow = load(path)
    seen = []
    for argv in run_commands(workflow):
        program = Path(argv[0]).name
        if program == "parallax":
            try:
                parser().parse_args(argv[1:])
            except SystemExit as exc:  # argparse's way of saying no
                pytest.fail(f"{path.name}: `{shlex.join(argv)}` is not a valid parallax "
                            f"command (exit {exc.code})")
            seen.append(argv[1])
        elif program == "make":
            targets = [a for a in argv[1:] if not a.startswith("-") and "=" not in a]
            missing = set(targets or ["html"]) - make_targets()
            assert not missing, f"{path.name}: make targets {missing} are not in the Makefile"
            seen.append(f"make {' '.join(targets)}")
        else:
            installs = argv[:3] == ["python", "-m", "pip"] or argv[0] == "pip"
            assert installs, f"{path.name}: unexpected command `{shlex.join(argv)}`"
    assert seen, f"{path.name} runs no parallax or make command"


@pytest.mark.parametrize("path", [CHECK, PAGES])
def test_workflows_keep_the_caches_and_the_last_charts(path: Path) -> None:
    """Charts live in the site: CI keeps the output's chart folders with the work
    folder and parse cache, so a preview or deployment draws only new charts (a
    build finding them in `output/` takes them by hard link)."""
    cache = uses(load(path), "actions/cache")
    assert cache, f"{path.name} keeps no cache"
    kept = set(cache[0]["with"]["path"].split())
    assert {"build", ".cache", "output/charts", "output/cards"} <= kept


def test_the_pull_request_workflow() -> None:
    workflow = load(CHECK)
    assert set(workflow["on"]) == {"pull_request"}
    assert workflow["permissions"] == {"contents": "read"}
    checkout = uses(workflow, "actions/checkout")
    assert checkout and checkout[0]["with"]["fetch-depth"] == 0  # diff needs origin/<base>
    python = uses(workflow, "actions/setup-python")
    assert python and python[0]["with"]["cache"] == "pip"
    assert str(python[0]["with"]["python-version"]) == "3.11"
    argvs = run_commands(workflow)
    assert ["parallax", "check", "--format", "github"] in argvs
    assert any(a[:2] == ["parallax", "build"] for a in argvs)
    upload = uses(workflow, "actions/upload-artifact")
    assert upload and upload[0]["with"]["name"] == "site-preview"
    assert upload[0]["with"]["path"].rstrip("/") == "output"
    build = next(a for a in argvs if a[:2] == ["parallax", "build"])
    output = parser().parse_args(build[1:]).output
    assert Path(output) == Path("output") or Path(output) == PROJECT / "output"
    summary = [s["run"] for _, s in steps(workflow) if "diff" in s.get("run", "")]
    assert summary == [
        'parallax diff "origin/${{ github.base_ref }}" --format markdown >> "$GITHUB_STEP_SUMMARY"'
    ]


def test_the_pages_workflow() -> None:
    workflow = load(PAGES)
    assert workflow["on"]["push"]["branches"] == ["main"]
    assert "workflow_dispatch" in workflow["on"]
    assert workflow["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    assert workflow["concurrency"] == {"group": "pages", "cancel-in-progress": False}
    build = workflow["jobs"]["build"]["steps"]
    names = [str(s.get("uses", s.get("run", ""))).split("@")[0] for s in build]
    configure = names.index("actions/configure-pages")
    publish = names.index("make publish")
    upload = names.index("actions/upload-pages-artifact")
    assert configure < publish < upload
    assert build[configure]["id"] == "pages"
    assert build[publish]["env"]["SITEURL"] == "${{ steps.pages.outputs.base_url }}"
    assert build[upload]["with"]["path"] == "output"
    deploy = workflow["jobs"]["deploy"]
    assert deploy["needs"] == "build"
    assert deploy["environment"]["name"] == "github-pages"
    assert [s["uses"].split("@")[0] for s in deploy["steps"]] == ["actions/deploy-pages"]
    # the command test_publish runs, with SITEURL from the environment as here
    source = (PROJECT / "tests" / "test_publish.py").read_text(encoding="utf-8")
    assert '"make", "-C", str(PROJECT), "publish"' in source
    assert 'env["SITEURL"] = SITEURL' in source


def test_actions_are_pinned_to_a_version() -> None:
    for path in (CHECK, PAGES):
        for _, step in steps(load(path)):
            if "uses" in step:
                assert re.match(r"^[\w.-]+/[\w.-]+@(v\d+|[0-9a-f]{40})$", step["uses"]), step


# --- the pull-request workflow's commands, run as written ----------------------


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_check_workflow_runs_on_a_fixture_repository(tmp_path: Path) -> None:
    """Checkout of a pull request: origin/main has the base, the working tree the
    branch. Each `parallax` step runs (with this repository's content folder swapped
    for a fixture, and a private build folder), in order, and must succeed."""
    repo = tmp_path / "repo"
    repo.mkdir()
    env = {**os.environ, "GIT_AUTHOR_NAME": "E", "GIT_AUTHOR_EMAIL": "e@example.org",
           "GIT_COMMITTER_NAME": "E", "GIT_COMMITTER_EMAIL": "e@example.org"}

    def git(*args: str) -> None:
        subprocess.run(["git", "-c", "commit.gpgsign=false", *args], cwd=repo, env=env,
                       check=True, capture_output=True)

    git("init", "-q")
    content = write_content(repo / "content", stories={"talks": STORY})
    git("add", "-A")
    git("commit", "-q", "-m", "base")
    git("update-ref", "refs/remotes/origin/main", "HEAD")
    new = STORY.replace("Talks in Istanbul", "Talks resume in Istanbul")
    write_content(content, outlets=None, stories={"talks": new})

    summary = tmp_path / "summary.md"
    values = {"github.base_ref": "main"}
    ran = []
    for _, step in steps(load(CHECK)):
        for argv in commands(step.get("run", ""), values):
            if Path(argv[0]).name != "parallax":
                continue
            argv = [sys.executable, "-m", "generator.cli", *argv[1:], "--content", str(content)]
            if argv[3] == "build":
                argv[argv.index("output")] = str(tmp_path / "output")
                argv += ["--work", str(tmp_path / "work"), "--no-search"]
            done = subprocess.run(argv, cwd=repo, capture_output=True, text=True, timeout=300,
                                  env={**os.environ, "PYTHONPATH": str(PROJECT)})
            assert done.returncode == 0, (argv, done.stdout, done.stderr)
            if ">>" in step["run"]:
                summary.write_text(done.stdout, encoding="utf-8")
            ran.append(argv[3])
    assert ran == ["check", "build", "diff"]
    assert (tmp_path / "output" / "stories" / "talks" / "index.html").is_file()
    text = summary.read_text(encoding="utf-8")
    assert "content changes against `origin/main`" in text
    assert "| changed | **Talks resume in Istanbul**<br>`talks`" in text


# --- editor tooling -----------------------------------------------------------


def test_vscode_maps_the_schemas() -> None:
    import json

    settings = json.loads((PROJECT / ".vscode" / "settings.json").read_text(encoding="utf-8"))
    schemas = settings["yaml.schemas"]
    assert set(schemas["./schema/story.schema.json"]) == {
        "content/stories/**/*.yaml", "content/stories/**/*.yml"}
    assert schemas["./schema/outlets.schema.json"] in ("content/outlets.yaml",
                                                        ["content/outlets.yaml"])
    for schema in schemas:
        assert (PROJECT / schema).is_file(), schema
    extensions = json.loads((PROJECT / ".vscode" / "extensions.json").read_text(encoding="utf-8"))
    assert "redhat.vscode-yaml" in extensions["recommendations"]


def test_pre_commit_runs_check_on_content() -> None:
    config = yaml.safe_load((PROJECT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    hooks = [h for repo in config["repos"] if repo["repo"] == "local" for h in repo["hooks"]]
    hook = next(h for h in hooks if "parallax" in h["entry"])
    assert hook["language"] == "system"
    assert hook["files"] == "^content/" and re.match(hook["files"], "content/stories/x.yaml")
    assert hook["pass_filenames"] is False
    argv = shlex.split(hook["entry"])
    assert argv[0] == ".venv/bin/parallax" and argv[1] == "check"
    parser().parse_args(argv[1:])
