"""generator.build: validate first, build into a staging folder, swap it in at once.

A build that fails (content errors, or Pelican) leaves an existing output folder as
it was, byte for byte, and no staging folder; a build that succeeds replaces the
output in one rename, with the search index already in it.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import OUTLETS, STORY, file_bytes, run_cli, snapshot, write_content

from generator.build import BuildFailed, Options, build

pytestmark = pytest.mark.site

PROJECT = Path(__file__).resolve().parent.parent
#: A story that cites an outlet missing from the registry: an error at 19:13.
BAD_STORY = STORY.replace("  - outlet: guardian\n", "  - outlet: guardain\n")


def options(tmp_path: Path, content: Path, **kwargs: object) -> Options:
    kwargs.setdefault("cache", None)
    return Options(content=content, output=tmp_path / "out", work=tmp_path / "work",
                   **kwargs)  # type: ignore[arg-type]


def leftovers(tmp_path: Path) -> list[str]:
    """Staging or set-aside folders next to the output (`.out.staging-…`, `.out.old-…`)."""
    return sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".out."))


@pytest.fixture
def old_output(tmp_path: Path) -> Path:
    """An existing output folder from an earlier build (any files will do)."""
    output = tmp_path / "out"
    (output / "stories" / "old").mkdir(parents=True)
    (output / "index.html").write_text("<!doctype html><title>old</title>", "utf-8")
    (output / "stories" / "old" / "index.html").write_bytes(b"old story \xff\x00")
    (output / "stale.txt").write_text("from an earlier build", "utf-8")
    return output


# --- failures leave the output alone ----------------------------------------------------


def test_content_errors_fail_with_every_problem(tmp_path: Path, old_output: Path) -> None:
    content = write_content(tmp_path / "content", stories={"talks": BAD_STORY,
                                                           "other": "title: [unclosed\n"})
    before = snapshot(old_output)
    with pytest.raises(BuildFailed) as failed:
        build(options(tmp_path, content))
    problems = failed.value.problems
    assert [(p.path.name, p.line, p.col) for p in problems] == [("other.yaml", 2, 1),
                                                                ("talks.yaml", 19, 13)]
    assert "unknown outlet 'guardain'" in problems[1].message
    assert "did you mean 'guardian'" in problems[1].message
    assert snapshot(old_output) == before  # byte for byte, not even touched
    assert leftovers(tmp_path) == []
    assert not (tmp_path / "work").exists()  # nothing is written before validation


def test_content_errors_without_an_output_create_none(tmp_path: Path) -> None:
    content = write_content(tmp_path / "content", stories={"talks": BAD_STORY})
    with pytest.raises(BuildFailed):
        build(options(tmp_path, content))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["content"]


def test_a_pelican_failure_leaves_the_output_alone(tmp_path: Path, old_output: Path) -> None:
    """A broken template fails late, after staging began: output intact, staging gone."""
    theme = tmp_path / "theme"
    shutil.copytree(PROJECT / "theme", theme)
    (theme / "templates" / "story.html").write_text(
        '{% extends "base.html" %}{% block content %}{% if %}{% endblock %}', "utf-8")
    content = write_content(tmp_path / "content", stories={"talks": STORY})
    before = snapshot(old_output)
    with pytest.raises(Exception):  # noqa: B017 - whatever Pelican raises
        build(options(tmp_path, content, extra_settings={"THEME": str(theme)}))
    assert snapshot(old_output) == before
    assert leftovers(tmp_path) == []


# --- success brings the output in line, touching only what changed ---------------------------


def test_a_build_replaces_the_old_site_and_keeps_no_stale_file(
    tmp_path: Path, old_output: Path
) -> None:
    content = write_content(tmp_path / "content", stories={"talks": STORY})
    report = build(options(tmp_path, content))
    assert report.stories == 1
    assert not (old_output / "stale.txt").exists()  # replaced, not merged
    assert not (old_output / "stories" / "old").exists()
    for path in ("index.html", "api/stories.json", "stories/talks/index.html",
                 "robots.txt", "pagefind/pagefind-entry.json"):
        assert (old_output / path).is_file(), path
    assert leftovers(tmp_path) == []


def test_a_build_leaves_no_empty_folder(tmp_path: Path) -> None:
    """Page folders are made ahead of Pelican (a thread, while it reads): each one
    gets its page."""
    fixture = Path(__file__).parent / "fixtures" / "site"
    build(options(tmp_path, fixture, search=False))
    out = tmp_path / "out"
    empty = [d for d in out.rglob("*") if d.is_dir() and not any(d.iterdir())]
    assert empty == []
    assert (out / "outlets" / "reuters" / "index.html").is_file()


def test_a_first_build_needs_no_old_output(tmp_path: Path) -> None:
    content = write_content(tmp_path / "content", stories={"talks": STORY})
    report = build(options(tmp_path, content))
    assert (tmp_path / "out" / "index.html").is_file()
    assert leftovers(tmp_path) == []
    assert set(report.timings) >= {"load", "figures", "render", "pelican", "search", "publish"}


def test_a_rebuild_gives_the_same_bytes(tmp_path: Path) -> None:
    """Same content, same files: sitemap and search index included."""
    content = write_content(tmp_path / "content", stories={"talks": STORY})

    def files() -> dict[str, bytes]:
        return file_bytes(tmp_path / "out")

    build(options(tmp_path, content))
    first = files()
    build(options(tmp_path, content))
    second = files()
    assert sorted(first) == sorted(second)
    assert [k for k in first if first[k] != second[k]] == []


def test_warnings_do_not_stop_a_build(tmp_path: Path) -> None:
    registry = OUTLETS + "silent:\n  name: Cited by nobody\n"
    content = write_content(tmp_path / "content", outlets=registry, stories={"talks": STORY})
    report = build(options(tmp_path, content))
    assert [p.message for p in report.warnings] == ["outlet 'silent' is not cited by any story"]
    assert (tmp_path / "out" / "outlets" / "silent" / "index.html").is_file()


def test_a_story_removed_between_builds_leaves_no_page(tmp_path: Path) -> None:
    """The work folder is synced, not added to: a deleted story leaves no stale page."""
    content = write_content(tmp_path / "content",
                            stories={"talks": STORY, "second": STORY.replace(
                                "https://example.org/", "https://example.org/2/")})
    build(options(tmp_path, content))
    assert (tmp_path / "out" / "stories" / "second" / "index.html").is_file()
    (content / "stories" / "second.yaml").unlink()
    build(options(tmp_path, content))
    assert not (tmp_path / "out" / "stories" / "second").exists()
    assert not (tmp_path / "out" / "api" / "stories" / "second.json").exists()


# --- the command line -----------------------------------------------------------------------


def test_cli_build_exits_1_on_bad_content(tmp_path: Path, old_output: Path) -> None:
    content = write_content(tmp_path / "content", stories={"talks": BAD_STORY})
    before = snapshot(old_output)
    done = run_cli("build", "--content", content, "--output", old_output,
                   "--work", tmp_path / "work", "--no-cache")
    assert done.returncode == 1, done.stderr
    assert re.search(r"^\S*stories/talks\.yaml:19:13: error: sources\[1\]\.outlet: "
                     r"unknown outlet 'guardain'", done.stderr, re.M), done.stderr
    assert "Traceback" not in done.stderr
    assert snapshot(old_output) == before
    assert leftovers(tmp_path) == []


def test_relative_folders_are_taken_from_the_working_directory(tmp_path: Path) -> None:
    """`parallax build --content c --work w` run elsewhere than the project: every
    folder is the one the editor named (Pelican alone would look beside its settings)."""
    write_content(tmp_path / "c", stories={"talks": STORY})
    done = run_cli("build", "--content", "c", "--output", "out", "--work", "w",
                   "--cache", "cache", "--no-search", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out" / "stories" / "talks" / "index.html").is_file()
    assert {p.name for p in tmp_path.iterdir()} == {"c", "out", "w", "cache"}


def test_two_cold_builds_of_the_fixture_site_are_byte_identical(tmp_path: Path) -> None:
    """Reproducible output: dates come from content, never the clock; charts, cards,
    JSON, feeds, sitemap and the Pagefind index are the same bytes (no caches)."""
    fixture = Path(__file__).parent / "fixtures" / "site"

    def cold(name: str) -> dict[str, bytes]:
        out = tmp_path / name / "out"
        build(Options(content=fixture, output=out, work=tmp_path / name / "work", cache=None))
        return file_bytes(out)

    first, second = cold("one"), cold("two")
    assert any(k.startswith("pagefind/") for k in first)
    assert any(k.startswith("cards/") for k in first)
    assert sorted(first) == sorted(second)
    assert [k for k in first if first[k] != second[k]] == []


def _spy_forks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The pid of every forked copy the plugin starts."""
    from generator import forked as forked_module
    from generator import plugin

    real, pids = forked_module.Forked.start, []

    def start(work: Callable[[], None], into: list[forked_module.Forked]
              ) -> forked_module.Forked | None:
        copy = real(work, into)
        if copy is not None:
            pids.append(copy._pid or 0)
        return copy

    monkeypatch.setattr(plugin.Forked, "start", start)
    return pids


def test_a_forked_copy_writes_the_pages_the_build_would(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Outlet profiles and API files come from a forked copy of the build, and the
    listings, topic pages and feeds from another while the build writes the story
    pages; where processes cannot fork, the build writes them all itself: the same
    bytes."""
    fixture = Path(__file__).parent / "fixtures" / "site"

    def cold(name: str) -> dict[str, bytes]:
        out = tmp_path / name / "out"
        build(Options(content=fixture, output=out, work=tmp_path / name / "work", cache=None,
                      search=False))
        return file_bytes(out)

    pids = _spy_forks(monkeypatch)
    forked = cold("forked")
    assert len(pids) == 2
    monkeypatch.delattr(os, "fork")  # as where processes cannot fork
    here = cold("here")
    for written in ("outlets/", "api/", "stories/", "topics/", "feeds/", "index.html",
                    "search/index.html"):
        assert any(k.startswith(written) for k in forked), written
    assert sorted(forked) == sorted(here)
    assert [k for k in forked if forked[k] != here[k]] == []


def test_a_failure_in_the_listings_copy_fails_the_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The topic pages fail in the forked copy that writes them: the build fails
    with that error, as it would had it written them itself, and leaves nothing."""
    from pelican.generators import ArticlesGenerator

    content = write_content(tmp_path / "content", stories={"talks": STORY})
    build_pid = os.getpid()
    real = ArticlesGenerator.generate_tags

    def generate_tags(self: ArticlesGenerator, write: Callable[..., None]) -> None:
        if os.getpid() != build_pid:  # the copy only: the build skips these pages
            raise RuntimeError("topic pages broke")
        real(self, write)

    monkeypatch.setattr(ArticlesGenerator, "generate_tags", generate_tags)
    pids = _spy_forks(monkeypatch)
    with pytest.raises(BuildFailed, match="topic pages broke"):
        build(options(tmp_path, content, search=False))
    assert len(pids) == 2
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)  # ended and reaped
    assert not (tmp_path / "out").exists()
    assert leftovers(tmp_path) == []


def test_an_incremental_build_writes_its_few_pages_itself(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After one edit, the pages to render are few: no copy for the listings (the
    outlet pages' copy still starts), and the edit is there."""
    content = write_content(tmp_path / "content", stories={"talks": STORY})
    opts = options(tmp_path, content, cache=tmp_path / "cache", search=False)
    build(opts)
    story = content / "stories" / "talks.yaml"
    story.write_text(story.read_text().replace("Nothing was agreed.", "Nothing was agreed again."))
    pids = _spy_forks(monkeypatch)
    report = build(opts)
    assert not report.full
    assert len(pids) == 1
    assert "Nothing was agreed again." in (tmp_path / "out" / "stories" / "talks" /
                                        "index.html").read_text()


def test_a_failed_pelican_run_stops_the_forked_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pelican fails while the copy still writes: the copy is ended, not waited for
    (it would write into a site the failed build removes)."""
    import time

    from generator import plugin

    content = write_content(tmp_path / "content", stories={"talks": STORY})
    pids = _spy_forks(monkeypatch)
    monkeypatch.setattr(plugin.ParallaxGenerator, "write_profiles",
                        lambda self, writer: time.sleep(120))

    def broken(generator: object) -> None:
        raise RuntimeError("a plugin bug")

    monkeypatch.setattr(plugin, "attach_stories", broken)
    started = time.monotonic()
    with pytest.raises(BuildFailed, match="a plugin bug"):
        build(options(tmp_path, content))
    assert time.monotonic() - started < 60
    assert len(pids) == 1
    with pytest.raises(ProcessLookupError):
        os.kill(pids[0], 0)  # ended and reaped
    assert leftovers(tmp_path) == []


def test_progress_hears_every_phase_in_order(tmp_path: Path) -> None:
    content = write_content(tmp_path / "content", stories={"talks": STORY})
    heard: list[str] = []
    build(options(tmp_path, content), heard.append)
    assert heard == ["load", "figures", "render", "pelican", "search", "charts", "publish"]


def test_timings_name_each_phase_through_the_cli(tmp_path: Path) -> None:
    content = write_content(tmp_path / "content", stories={"talks": STORY})
    done = run_cli("build", "--content", content, "--output", tmp_path / "out",
                   "--work", tmp_path / "work", "--cache", tmp_path / "cache", "--timings")
    assert done.returncode == 0, done.stderr
    for phase in ("load", "figures", "render", "pelican", "search", "publish"):
        assert re.search(rf"^\s*{phase}\s+\d+\.\d{{3}} s$", done.stderr, re.M), phase


def test_a_full_build_replaces_the_output_in_one_step(
    tmp_path: Path, old_output: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Never half a site, never none: the finished one (searchable, complete) is
    exchanged with the old in one system call (renameat2). The two-rename fallback
    and the recovery after a crash are in tests/test_failures.py."""
    import os

    import generator.files as files

    content = write_content(tmp_path / "content", stories={"talks": STORY})
    swaps: list[tuple[str, str, bool]] = []
    real_exchange = files.exchange

    def exchange(a: Path, b: Path) -> bool:
        if a.parent == tmp_path:  # the output and its siblings
            complete = all((a / p).is_file() for p in (
                "index.html", "api/stories.json", "stories/talks/index.html",
                "robots.txt", "pagefind/pagefind-entry.json"))
            swaps.append((a.name, b.name, complete))
        return real_exchange(a, b)

    monkeypatch.setattr(files, "exchange", exchange)
    build(options(tmp_path, content))
    assert swaps == [(f".out.staging-{os.getpid()}", "out", True)]
    assert not (old_output / "stale.txt").exists()
    assert leftovers(tmp_path) == []


def test_an_incremental_build_links_in_only_what_changed(tmp_path: Path) -> None:
    """It renders the changed pages into the work folder and renames in those whose
    bytes differ (with a new search bundle): every other file keeps its inode."""
    content = write_content(tmp_path / "content", stories={"talks": STORY})
    opts = options(tmp_path, content, cache=tmp_path / "cache")
    build(opts)
    out = tmp_path / "out"
    before = {p: p.stat().st_ino for p in out.rglob("*") if p.is_file()}
    story = content / "stories" / "talks.yaml"
    story.write_text(story.read_text("utf-8").replace("Nothing was agreed.", "No deal."), "utf-8")
    report = build(opts)
    assert not report.full and 0 < report.written < 40  # pages, feeds, the search bundle
    after = {p: p.stat().st_ino for p in out.rglob("*") if p.is_file()}
    changed = sorted(p.relative_to(out).as_posix() for p in after if before.get(p) != after[p])
    assert "stories/talks/index.html" in changed and "index.html" not in changed
    assert {c.split("/")[0] for c in changed} <= {"stories", "pagefind", "feeds", "api"}
    assert "No deal." in (out / "stories" / "talks" / "index.html").read_text("utf-8")
    assert leftovers(tmp_path) == [] and not (tmp_path / "work" / "changes").exists()


def test_two_builds_at_once_share_work_and_cache_safely(tmp_path: Path) -> None:
    """The work folder is locked, cache entries and output files are replaced
    atomically: two concurrent builds both succeed and leave one whole site."""
    import subprocess
    import sys

    fixture = Path(__file__).parent / "fixtures" / "site"
    command = [sys.executable, "-m", "generator.cli", "build", "--content", str(fixture),
               "--output", str(tmp_path / "out"), "--work", str(tmp_path / "work"),
               "--cache", str(tmp_path / "cache"), "--no-search"]
    runs = [subprocess.Popen(command, cwd=PROJECT, stderr=subprocess.PIPE, text=True)
            for _ in range(2)]
    for run in runs:
        _, err = run.communicate(timeout=120)
        assert run.returncode == 0, err
    alone = tmp_path / "alone"
    build(Options(content=fixture, output=alone, work=tmp_path / "w2", search=False))
    assert file_bytes(tmp_path / "out") == file_bytes(alone)
    assert leftovers(tmp_path) == []


def test_a_full_rebuild_takes_the_last_sites_charts_instead_of_drawing_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Charts live in the site (named by content): a full build renders into a fresh
    folder and hard-links the charts the output has; only new ones are drawn, and
    ones no story uses are gone."""
    import generator.charts as charts_module

    content = write_content(tmp_path / "content", stories={"talks": STORY})
    opts = options(tmp_path, content, cache=tmp_path / "cache", search=False)
    build(opts)
    site = tmp_path / "out"
    before = {p.relative_to(site): p.stat().st_ino for p in site.glob("c*s/*")}
    assert {p.parts[0] for p in before} == {"charts", "cards"}
    stale = site / "charts" / "bias-0000000000000000.svg"
    stale.write_bytes(b"<svg/>")

    drawn: list[str] = []
    monkeypatch.setattr(charts_module, "_write_one",
                        lambda spec, folder: drawn.append(spec.filename))
    report = build(dataclasses.replace(opts, cache=None))  # --no-cache: a full build
    assert report.full and drawn == []
    after = {p.relative_to(site): p.stat().st_ino for p in site.glob("c*s/*")}
    assert after == before  # the same files, linked, not drawn again; the stale one gone


def test_files_another_tool_adds_to_the_output_keep_rebuilds_incremental(
    tmp_path: Path,
) -> None:
    """The bench runs Pagefind on the output by itself between builds: the output is
    still the folder the last build made, and an edit is rendered alone."""
    content = write_content(tmp_path / "content", stories={"talks": STORY})
    opts = options(tmp_path, content, cache=tmp_path / "cache", search=False)
    build(opts)
    (tmp_path / "out" / "pagefind").mkdir()
    (tmp_path / "out" / "pagefind" / "pagefind.js").write_text("//", "utf-8")
    story = content / "stories" / "talks.yaml"
    story.write_text(story.read_text("utf-8").replace("Nothing was agreed.", "No deal."), "utf-8")
    assert not build(opts).full
    assert "No deal." in (tmp_path / "out" / "stories" / "talks" / "index.html").read_text("utf-8")


def test_a_fresh_ci_runner_with_restored_caches_draws_no_chart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CI restores `build/`, `.cache/` and the output's chart folders into a new
    checkout: the output folder is not the one the manifest names (another inode),
    so the build is a full one, and it takes every chart from `output/` instead of
    drawing it. The site it publishes is whole."""
    import generator.charts as charts_module

    content = write_content(tmp_path / "content", stories={"talks": STORY})
    opts = options(tmp_path, content, cache=tmp_path / "cache", search=False)
    build(opts)
    out = tmp_path / "out"
    expected = file_bytes(out)
    kept = tmp_path / "restored"
    kept.mkdir()
    for kind in ("charts", "cards"):
        shutil.copytree(out / kind, kept / kind)
    shutil.rmtree(out)  # the new runner: only what the cache restores
    out.mkdir()
    for kind in ("charts", "cards"):
        shutil.copytree(kept / kind, out / kind)
    drawn: list[str] = []
    monkeypatch.setattr(charts_module, "_write_one",
                        lambda spec, folder: drawn.append(spec.filename))
    report = build(opts)
    assert report.full and drawn == []
    assert file_bytes(out) == expected


def test_an_incremental_build_draws_only_new_charts_and_removes_unused_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import generator.charts as charts_module

    content = write_content(tmp_path / "content", stories={"talks": STORY})
    opts = options(tmp_path, content, cache=tmp_path / "cache", search=False)
    build(opts)
    charts = tmp_path / "out" / "charts"
    first = set(os.listdir(charts))
    story = content / "stories" / "talks.yaml"
    # A new day of coverage: the timeline chart changes, the others stay.
    story.write_text(story.read_text("utf-8").replace("2025-05-16T", "2025-05-17T", 1), "utf-8")
    drawn: list[str] = []
    real = charts_module._write_one

    def write_one(spec: object, folder: Path) -> Path:
        drawn.append(spec.filename)  # type: ignore[attr-defined]
        return real(spec, folder)  # type: ignore[arg-type]

    monkeypatch.setattr(charts_module, "_write_one", write_one)
    report = build(opts)
    now = set(os.listdir(charts))
    assert not report.full
    assert drawn and set(drawn) == now - first  # only what the output lacked
    assert first - now and all(name.startswith("timeline-") for name in first - now)


def test_a_cold_build_draws_charts_while_loading_and_only_the_published_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no charts in the output, each story's charts are handed to the workers as
    soon as the story is read and valid (before the last file is read); a draft's are
    never drawn, and the output holds exactly the published stories' charts."""
    import generator.build as build_module
    from generator.figures import site_figures
    from generator.load import load_content

    fixture = Path(__file__).parent / "fixtures" / "site"
    added_while_loading: list[int] = []
    real_add = build_module.Drawing.add
    loading = {"now": False}

    def add(self: build_module.Drawing, *args: object, **kwargs: object) -> None:
        if loading["now"]:
            added_while_loading.append(1)
        return real_add(self, *args, **kwargs)  # type: ignore[arg-type]

    real_load = build_module.load_content

    def load(*args: object, **kwargs: object) -> object:
        loading["now"] = True
        try:
            return real_load(*args, **kwargs)  # type: ignore[arg-type]
        finally:
            loading["now"] = False

    monkeypatch.setattr(build_module.Drawing, "add", add)
    monkeypatch.setattr(build_module, "load_content", load)
    build(options(tmp_path, fixture, search=False))
    assert added_while_loading
    loaded = load_content(fixture).content
    assert loaded is not None and any(s.draft for s in loaded.stories)
    settings = build_module.read_settings(PROJECT / "pelicanconf.py", {})
    published = site_figures(loaded.stories, loaded.outlets, build_module.thresholds(settings))
    specs = build_module.story_chart_specs(published, settings)
    wanted = {f"{'cards' if s.filename.endswith('.png') else 'charts'}/{s.filename}"
              for charts in specs.values() for s in charts.all()}
    out = tmp_path / "out"
    assert {p.relative_to(out).as_posix() for p in out.glob("c*s/*")} == wanted


def test_a_temp_folder_too_deep_for_worker_sockets_still_builds(tmp_path: Path) -> None:
    """The chart pool's fork server listens on a socket in TMPDIR; AF_UNIX paths are
    limited to ~107 bytes. Under a deeper TMPDIR the charts are drawn in the build
    process instead: slower, never a failed build."""
    deep = tmp_path / ("t" * 60) / ("m" * 60)
    deep.mkdir(parents=True)
    fixture = Path(__file__).parent / "fixtures" / "site"
    done = run_cli("build", "--content", fixture, "--output", tmp_path / "out",
                   "--work", tmp_path / "work", "--no-cache", "--no-search",
                   env={"TMPDIR": str(deep)}, timeout=120)
    assert done.returncode == 0, done.stderr
    charts = list((tmp_path / "out" / "charts").iterdir())
    assert len(charts) > 8  # enough for the pool: these were drawn without it
    assert all(p.read_bytes().startswith(b"<?xml") for p in charts)


def test_a_full_build_renders_beside_the_output_while_the_charts_are_drawn(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The new site is rendered in a hidden folder beside the output (one file
    system: it goes in by a rename, no copy); when the build waits for the charts its
    pages are already there."""
    import generator.build as build_module

    content = write_content(tmp_path / "content", stories={"talks": STORY})
    seen: list[bool] = []
    real = build_module.Drawing.wait

    def wait(self: build_module.Drawing) -> list[Path]:
        staged = list(tmp_path.glob(".out.staging-*"))
        assert len(staged) == 1
        seen.append((staged[0] / "stories" / "talks" / "index.html").is_file())
        return real(self)

    monkeypatch.setattr(build_module.Drawing, "wait", wait)
    report = build(options(tmp_path, content, search=False))
    assert report.full and seen == [True]
    assert {p.parent.name for p in (tmp_path / "out").glob("c*s/*")} == {"charts", "cards"}
    assert leftovers(tmp_path) == []


def test_ctrl_c_as_the_page_folder_thread_starts_still_stops_and_joins_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Starting a thread waits for it, and Python may run a signal's handler there:
    the thread must still be told to stop and be joined, or it goes on making folders
    in a site the failed build has removed."""
    import signal
    import threading
    import time

    from generator import build as build_module

    real_start = threading.Thread.start

    def start(self: threading.Thread) -> None:
        real_start(self)
        os.kill(os.getpid(), signal.SIGINT)  # as Ctrl-C landing while it starts

    monkeypatch.setattr(threading.Thread, "start", start)
    folders = [f"f{i}" for i in range(20_000)]
    with pytest.raises(KeyboardInterrupt), build_module._folders_made(tmp_path, folders):
        pytest.fail("the build went on after Ctrl-C")
    made = len(os.listdir(tmp_path))
    assert not [t for t in threading.enumerate() if t.name == "page-folders"]
    time.sleep(0.1)
    assert len(os.listdir(tmp_path)) == made < len(folders)
