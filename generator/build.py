"""The phases in order: load → figures → render → Pelican → search index → publish.

Nothing is written before every file validated. Pelican writes into a staging
folder beside the output; the search index is added there; only then does the
finished site replace `output/` (two renames, no half-written state).
"""

from __future__ import annotations

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

from .charts import Palette, SocialCard, StoryCharts, story_charts, write_charts
from .figures import SiteFigures, Thresholds, site_figures
from .load import Content, load_content
from .problems import Problem
from .render import Rendered, source_files, summary_html, sync_tree

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

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
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


def build(options: Options, log: Callable[[str], None] = lambda _: None) -> Report:
    report = Report()
    with report.phase("load"):
        result = load_content(options.content, options.cache)
    if result.content is None:
        raise BuildFailed("content has errors; nothing was built", tuple(result.errors))
    content: Content = result.content
    report.warnings = tuple(result.warnings)

    staging = options.output.parent / f".{options.output.name}.staging-{os.getpid()}"
    source = options.work / "content"
    source.mkdir(parents=True, exist_ok=True)
    settings = read_settings(
        options.settings,
        {
            "PATH": str(source),
            "OUTPUT_PATH": str(staging),
            "ARTICLE_PATHS": ["stories"],
            "PAGE_PATHS": ["pages"],
            "CACHE_PATH": str(options.work / "pelican-cache"),
            # Pelican's reader cache, by content hash (fresh CI checkouts hit it too).
            "CACHE_CONTENT": options.cache is not None,
            "LOAD_CONTENT_CACHE": options.cache is not None,
            "CONTENT_CACHING_LAYER": "reader",
            "CHECK_MODIFIED_METHOD": "sha256",
            **options.extra_settings,
        },
    )
    with report.phase("figures"):
        site = site_figures(content.stories, content.outlets, thresholds(settings))
        report.stories = len(site.stories)
    with report.phase("render"):
        sync_tree(source / "stories", _prefixed(source_files(site, ()), "stories/"))
        sync_tree(source / "pages", _prefixed(source_files(site, content.pages), "pages/"))
        charts = write_story_charts(site, settings, source)
        rendered = Rendered(
            site=site,
            outlets=content.outlets,
            charts=charts,
            cards=(
                {slug: c.card.filename for slug, c in charts.items()}
                if settings.get("PARALLAX_SOCIAL_CARDS", True)
                else {}
            ),
            summaries={s.slug: summary_html(s) for s in site.stories},
            colors=settings.get("PARALLAX_COLORS", {}),
            related_limit=int(settings.get("PARALLAX_RELATED_STORIES", 5)),
        )
    settings["PARALLAX"] = rendered
    try:
        with report.phase("pelican"):
            run_pelican(settings)
        if options.search:
            with report.phase("search"):
                index_search(staging)
        with report.phase("publish"):
            publish(staging, options.output)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return report


def palette(settings: dict[str, Any]) -> Palette:
    """Chart colours from PARALLAX_COLORS (so editions can swap Left and Right)."""
    colors = settings.get("PARALLAX_COLORS") or {}
    known = {k: v for k, v in colors.items() if k in ("left", "center", "right", "unrated")}
    return Palette(**known)


def write_story_charts(
    site: SiteFigures, settings: dict[str, Any], source: Path
) -> dict[str, StoryCharts]:
    """Every chart of every story, content-addressed: only new ones are drawn, and
    files no story uses any more are removed so they do not reach the output."""
    colors = palette(settings)
    charts = {s.slug: story_charts(s, colors) for s in site.stories}
    cards = bool(settings.get("PARALLAX_SOCIAL_CARDS", True))
    svgs = [spec for c in charts.values() for spec in c.all() if not isinstance(spec, SocialCard)]
    pngs = [c.card for c in charts.values()] if cards else []
    for folder, specs in ((source / "charts", svgs), (source / "cards", pngs)):
        write_charts(specs, folder, colors)
        _prune(folder, {spec.filename for spec in specs})
    return charts


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
    command = [sys.executable, "-m", "pagefind", "--site", str(site), "--silent"]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BuildFailed(f"search indexing failed:\n{done.stdout}{done.stderr}")


def publish(staging: Path, output: Path) -> None:
    """Put the finished site in place: the old one moves aside, the new one in."""
    old = output.parent / f".{output.name}.old-{os.getpid()}"
    if output.exists():
        os.replace(output, old)
    os.replace(staging, output)
    shutil.rmtree(old, ignore_errors=True)
