"""The phases in order: load → figures → render → Pelican → search index → publish.

Nothing is written before every file validated. Pelican writes into a staging
folder beside the output; the search index is added there; only then does the
finished site replace `output/` (two renames, no half-written state).
"""

from __future__ import annotations

import dataclasses
import fcntl
import gc
import logging
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import api, incremental
from .charts import Drawing, Palette, SocialCard, StoryCharts, start_charts, story_charts
from .figures import SiteFigures, Thresholds, site_figures
from .files import files_digest, link_tree, sync_dirs, sync_tree
from .load import Content, load_content
from .problems import Problem
from .render import Rendered, Summaries, read_memo, source_files, write_memo

PROJECT = Path(__file__).resolve().parent.parent


class BuildFailed(Exception):
    def __init__(self, message: str, problems: tuple[Problem, ...] = ()) -> None:
        super().__init__(message)
        self.problems = problems


@dataclass
class Options:
    content: Path = PROJECT / "content"
    output: Path = PROJECT / "output"
    settings: Path = PROJECT / "pelicanconf.py"
    work: Path = PROJECT / "build"
    cache: Path | None = PROJECT / ".cache"  # None: parse everything again
    search: bool = True
    extra_settings: dict[str, Any] = field(default_factory=dict)


@dataclass
class Report:
    timings: dict[str, float] = field(default_factory=dict)
    stories: int = 0
    warnings: tuple[Problem, ...] = ()
    full: bool = True  # every page rendered (else only the changed stories')
    written: int = 0  # files of the output that changed
    progress: Callable[[str], None] = field(default=lambda _: None, repr=False)

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        self.progress(name)
        start = time.perf_counter()
        try:
            yield
        finally:
            self.timings[name] = time.perf_counter() - start


def read_settings(path: Path, override: dict[str, Any]) -> dict[str, Any]:
    from pelican.settings import read_settings as pelican_read_settings

    settings: dict[str, Any] = pelican_read_settings(str(path), override=override)
    return settings


def thresholds(settings: dict[str, Any]) -> Thresholds:
    return Thresholds(
        min_rated=int(settings.get("BLINDSPOT_MIN_RATED", 6)),
        max_share=int(settings.get("BLINDSPOT_MAX_SHARE", 20)),
        min_other=int(settings.get("BLINDSPOT_MIN_OTHER", 50)),
    )


def build(options: Options, progress: Callable[[str], None] = lambda _: None) -> Report:
    """Build the site; `progress` hears the name of each phase as it starts."""
    report = Report(progress=progress)
    with report.phase("load"), gc_paused():
        result = load_content(options.content, options.cache)
    if result.content is None:
        raise BuildFailed("content has errors; nothing was built", tuple(result.errors))
    content: Content = result.content
    report.warnings = tuple(result.warnings)

    with work_lock(options.work):
        _build_locked(options, content, report)
    return report


def _build_locked(options: Options, content: Content, report: Report) -> None:
    source, site_dir = options.work / "content", options.work / "site"
    source.mkdir(parents=True, exist_ok=True)
    settings = read_settings(options.settings, _overrides(options, source))
    with report.phase("figures"), gc_paused():
        site = site_figures(content.stories, content.outlets, thresholds(settings))
        report.stories = len(site.stories)
    with report.phase("render"):
        rendered, drawings = _render(options, content, site, settings, source)
        current = incremental.manifest(
            site, rendered.charts, rendered.related_limit, _inputs(options, content, settings)
        )
        manifest_path = options.work / "manifest.json"
        previous = incremental.read_manifest(manifest_path) if site_dir.is_dir() else None
        manifest_path.unlink(missing_ok=True)  # a failed build forces a full one next time
        if options.cache is None:
            previous = None  # a cold build: everything
        rendered = dataclasses.replace(
            rendered,
            selected=incremental.plan(previous, current, settings),
            changed=incremental.changed(previous, current),
        )
    report.full = rendered.selected is None
    # A full build renders into a fresh folder; an incremental one into the last site.
    target = options.work / "site.new" if report.full else site_dir
    if report.full:
        shutil.rmtree(target, ignore_errors=True)
    settings["OUTPUT_PATH"] = str(target)
    settings["PARALLAX"] = rendered
    try:
        with report.phase("pelican"):
            run_pelican(settings)
    finally:
        with report.phase("charts"):
            for drawing in drawings:
                drawing.wait()
    place_charts(source, target)
    if report.full:
        _replace_dir(target, site_dir)
    if options.search:
        with report.phase("search"):
            index_search(site_dir)
    with report.phase("publish"):
        report.written = publish(site_dir, options.output, full=report.full)
    incremental.write_manifest(manifest_path, current)
    assert isinstance(rendered.summaries, Summaries)
    write_memo(_memo_path(options.work), rendered.summaries.current())


def _render(
    options: Options, content: Content, site: SiteFigures, settings: dict[str, Any],
    source: Path,
) -> tuple[Rendered, list[Drawing]]:
    """Markdown and pages into the build folder, charts started in the background,
    and what Pelican's plugin will read."""
    files = source_files(site, content.pages)
    sync_tree(source / "stories", _prefixed(files, "stories/"))
    sync_tree(source / "pages", _prefixed(files, "pages/"))
    charts = story_chart_specs(site, settings)
    drawings = start_story_charts(charts, settings, source)
    cards = bool(settings.get("PARALLAX_SOCIAL_CARDS", True))
    rendered = Rendered(
        site=site,
        outlets=content.outlets,
        charts=charts,
        cards={slug: c.card.filename for slug, c in charts.items()} if cards else {},
        summaries=Summaries(site, read_memo(_memo_path(options.work))),
        colors=settings.get("PARALLAX_COLORS", {}),
        related_limit=int(settings.get("PARALLAX_RELATED_STORIES", 5)),
    )
    return rendered, drawings


def _memo_path(work: Path) -> Path:
    """Remembered summaries, keyed by code too: a change to the sanitizer must not
    serve old HTML."""
    return work / f"summaries-{incremental.code_digest()}.json"


def place_charts(source: Path, site: Path) -> None:
    """Charts and cards are content-addressed files: hard-link the ones the site
    lacks (never rewritten in place, so sharing an inode is safe) and drop the
    ones no story uses any more."""
    for kind in ("charts", "cards"):
        have = source / kind
        wanted = {p.name for p in have.iterdir()} if have.is_dir() else set()
        folder = site / kind
        folder.mkdir(parents=True, exist_ok=True)
        present = {p.name for p in folder.iterdir()}
        for name in present - wanted:
            (folder / name).unlink()
        for name in sorted(wanted - present):
            try:
                os.link(have / name, folder / name)
            except OSError:
                shutil.copy2(have / name, folder / name)


def _overrides(options: Options, source: Path) -> dict[str, Any]:
    return {
        "PATH": str(source),
        "OUTPUT_PATH": str(options.work / "site"),
        "ARTICLE_PATHS": ["stories"],
        "PAGE_PATHS": ["pages"],
        "CACHE_PATH": str(options.work / "pelican-cache"),
        # Pelican's reader cache, by content hash (fresh CI checkouts hit it too).
        "CACHE_CONTENT": options.cache is not None,
        "LOAD_CONTENT_CACHE": options.cache is not None,
        "CONTENT_CACHING_LAYER": "reader",
        "CHECK_MODIFIED_METHOD": "sha256",
        "STATIC_CHECK_IF_MODIFIED": True,
        **options.extra_settings,
    }


def _inputs(options: Options, content: Content, settings: dict[str, Any]) -> list[str]:
    """Digests of what every page depends on, besides the stories themselves."""
    theme = Path(str(settings.get("THEME", PROJECT / "theme")))
    return [
        files_digest((p for p in theme.rglob("*") if p.is_file()), theme),
        incremental.code_digest(),
        files_digest([options.settings], options.settings.parent),
        files_digest(content.pages, content.root),
        incremental.settings_digest(settings),
        incremental.digest(api.outlets_json(content.outlets)),
    ]


@contextmanager
def gc_paused() -> Iterator[None]:
    """Loading allocates the site's long-lived objects (no cycles to find): the
    cyclic collector would walk an ever bigger heap for nothing (a third of a
    rebuild at 1,000 stories, more at 10,000). Afterwards they are frozen out of
    its sight, and it runs again for Pelican's short-lived garbage."""
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()


@contextmanager
def work_lock(work: Path) -> Iterator[None]:
    """Builds sharing a work folder take turns (serve and a manual build, say)."""
    work.mkdir(parents=True, exist_ok=True)
    with open(work / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _replace_dir(new: Path, old: Path) -> None:
    aside = old.with_name(old.name + ".old")
    shutil.rmtree(aside, ignore_errors=True)
    if old.exists():
        os.replace(old, aside)
    os.replace(new, old)
    shutil.rmtree(aside, ignore_errors=True)


def palette(settings: dict[str, Any]) -> Palette:
    """Chart colours from PARALLAX_COLORS (so editions can swap Left and Right)."""
    colors = settings.get("PARALLAX_COLORS") or {}
    known = {k: v for k, v in colors.items() if k in ("left", "center", "right", "unrated")}
    return Palette(**known)


def story_chart_specs(site: SiteFigures, settings: dict[str, Any]) -> dict[str, StoryCharts]:
    colors = palette(settings)
    return {s.slug: story_charts(s, colors) for s in site.stories}


def start_story_charts(
    charts: dict[str, StoryCharts], settings: dict[str, Any], source: Path
) -> list[Drawing]:
    """Draw the charts no earlier build drew (names are content hashes), in the
    background; remove the ones no story uses any more so they leave the site."""
    colors = palette(settings)
    cards = bool(settings.get("PARALLAX_SOCIAL_CARDS", True))
    svgs = [spec for c in charts.values() for spec in c.all() if not isinstance(spec, SocialCard)]
    pngs = [c.card for c in charts.values()] if cards else []
    drawings = []
    for folder, specs in ((source / "charts", svgs), (source / "cards", pngs)):
        folder.mkdir(parents=True, exist_ok=True)
        _prune(folder, {spec.filename for spec in specs})
        drawings.append(start_charts(specs, folder, colors))
    return drawings


def _prune(folder: Path, keep: set[str]) -> None:
    if folder.is_dir():
        for path in folder.iterdir():
            if path.name not in keep:
                path.unlink()


def _prefixed(files: dict[str, bytes], prefix: str) -> dict[str, bytes]:
    return {k.removeprefix(prefix): v for k, v in files.items() if k.startswith(prefix)}


class _Errors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def run_pelican(settings: dict[str, Any]) -> None:
    """Pelican in-process; any error it logs fails the build (it would otherwise go on)."""
    from pelican import Pelican

    handler = _Errors()
    logger = logging.getLogger("pelican")
    logger.addHandler(handler)
    try:
        Pelican(settings).run()
    except Exception as exc:  # a template error, a plugin bug: say where, no traceback
        where = getattr(exc, "filename", None)
        line = getattr(exc, "lineno", None)
        place = f" ({where}:{line})" if where else ""
        raise BuildFailed(f"Pelican failed{place}: {type(exc).__name__}: {exc}") from exc
    finally:
        logger.removeHandler(handler)
    errors = [r for r in handler.records if r.levelno >= logging.ERROR]
    if errors:
        raise BuildFailed("Pelican failed: " + "; ".join(r.getMessage() for r in errors))


def index_search(site: Path) -> None:
    """Pagefind indexes the pages that mark `data-pagefind-body` (story pages only)."""
    shutil.rmtree(site / "pagefind", ignore_errors=True)  # no stale fragments
    command = [
        sys.executable, "-m", "pagefind", "--site", str(site), "--silent",
        "--glob", "stories/*/index.html",  # only story pages are searchable: read only them
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BuildFailed(f"search indexing failed:\n{done.stdout}{done.stderr}")


def publish(site: Path, output: Path, full: bool = True) -> int:
    """Put the finished site in place; runs only after everything succeeded.

    After a full build (or when there is no output yet) the whole site replaces
    `output` in one step: a staging folder of hard links beside it, then two
    renames. After an incremental build the few changed files are linked in one
    by one (each atomically) and gone ones removed, instead of deleting and
    recreating thousands of files for a handful of changes."""
    if output.is_dir() and not full:
        return sync_dirs(site, output)
    staging = output.parent / f".{output.name}.staging-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        written = link_tree(site, staging)
        old = output.parent / f".{output.name}.old-{os.getpid()}"
        if output.exists():
            os.replace(output, old)
        os.replace(staging, output)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return written
