"""The phases in order: load → figures → render → Pelican → search index → publish.

Nothing is published before every file validated (a cold build draws each valid
story's charts meanwhile, into the new site's folder, removed if a file fails). A
full build renders the whole site into a hidden folder beside `output/` and swaps
it in, in one step no signal interrupts; an incremental build renders only the
changed pages into the work folder and renames those in. Whatever fails (content,
Pelican, a chart, Pagefind, the disk) is a `BuildFailed` with one line of reason,
and `output/` stays as it was.
"""

from __future__ import annotations

import dataclasses
import errno
import fcntl
import gc
import logging
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import api, incremental
from .charts import (
    ChartError,
    ChartSpec,
    Drawing,
    Palette,
    StoryCharts,
    chart_workers,
    start_drawing,
    story_charts,
)
from .figures import SiteFigures, StoryFigures, Thresholds, site_figures, story_figures
from .files import (
    files_digest,
    link_or_copy,
    recover,
    sibling,
    swap_in,
    sync_changes,
    sync_tree,
    uninterrupted,
)
from .helpers import OUTLET_URL
from .load import Content, load_content
from .model import Outlet, Story
from .problems import Problem
from .render import Rendered, Summaries, page_sources, read_memo, story_sources, write_memo
from .workers import CHART_FOLDERS, draws_charts, warm_up

PROJECT = Path(__file__).resolve().parent.parent
#: Folders of the work folder earlier versions kept a whole site in.
_LEGACY_SITES = ("site", "site.new")


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
    """Pelican's settings; a setting it refuses is a `BuildFailed`, not a traceback."""
    from pelican.settings import read_settings as pelican_read_settings

    try:
        settings: dict[str, Any] = pelican_read_settings(str(path), override=override)
    except ValueError as exc:
        raise BuildFailed(f"settings {path}: {exc}") from exc
    return settings


def absolute(options: Options) -> Options:
    """Every folder absolute, from the working directory: Pelican would take a
    relative path from the settings file's folder instead."""
    return dataclasses.replace(
        options,
        content=Path(options.content).absolute(),
        output=Path(options.output).absolute(),
        settings=Path(options.settings).absolute(),
        work=Path(options.work).absolute(),
        cache=None if options.cache is None else Path(options.cache).absolute(),
    )


def thresholds(settings: dict[str, Any]) -> Thresholds:
    return Thresholds(
        min_rated=int(settings.get("BLINDSPOT_MIN_RATED", 6)),
        max_share=int(settings.get("BLINDSPOT_MAX_SHARE", 20)),
        min_other=int(settings.get("BLINDSPOT_MIN_OTHER", 50)),
    )


def build(options: Options, progress: Callable[[str], None] = lambda _: None) -> Report:
    """Build the site; `progress` hears the name of each phase as it starts. Every
    failure is a `BuildFailed` (a full disk and a broken chart too)."""
    try:
        return _build(absolute(options), progress)
    except OSError as exc:
        raise BuildFailed(os_reason(exc)) from exc
    except ChartError as exc:
        raise BuildFailed(f"a chart could not be drawn: {exc}") from exc


def os_reason(exc: OSError) -> str:
    """`No space left on device (ENOSPC): /site/index.html`: what, which, where."""
    name = errno.errorcode.get(exc.errno or 0)
    what = f"{exc.strerror} ({name})" if exc.strerror and name else str(exc)
    return f"{what}: {exc.filename}" if exc.filename and exc.strerror else what


def _build(options: Options, progress: Callable[[str], None]) -> Report:
    report = Report(progress=progress)
    recover(options.output)  # a build killed while publishing: its previous site back
    pagefind = pagefind_binary() if options.search else ""  # missing: fail before any work
    settings = read_settings(options.settings, _overrides(options))
    early = _Early.start(options, settings)
    try:
        with report.phase("load"), gc_paused():
            result = load_content(options.content, options.cache,
                                  early.on_story if early else None)
        if result.content is None:
            raise BuildFailed("content has errors; nothing was built", tuple(result.errors))
        content: Content = result.content
        report.warnings = tuple(result.warnings)
        with work_lock(options.work):
            _build_steps(options, content, report, settings, pagefind, early)
    except BaseException:
        if early is not None:
            early.discard()
        raise
    return report


class _Early:
    """A cold build's charts (the output has none), drawn while the content loads:
    each story's as soon as it is read and valid, into the new site beside the
    output (nothing is published before every file is valid; a failed build
    removes that folder). Drawing is the build's other half of work; started after
    loading, it would end long after Pelican."""

    def __init__(self, target: Path, settings: dict[str, Any]) -> None:
        self.target, self.rule, self.colors = target, thresholds(settings), palette(settings)
        self.cards = bool(settings.get("PARALLAX_SOCIAL_CARDS", True))
        self.drawing = Drawing(chart_workers(), self.colors)
        self.figures: dict[str, StoryFigures] = {}  # reused by the figures phase
        self.charts: dict[str, StoryCharts] = {}

    @classmethod
    def start(cls, options: Options, settings: dict[str, Any]) -> _Early | None:
        if draws_charts(options.output, options.cache):
            warm_up()  # (begun by `parallax build` already: a server running is kept)
        if (options.output / CHART_FOLDERS[0]).is_dir():
            return None
        target = sibling(options.output, "staging")
        shutil.rmtree(target, ignore_errors=True)
        for kind in CHART_FOLDERS:
            (target / kind).mkdir(parents=True)
        return cls(target, settings)

    def on_story(self, story: Story, outlets: Mapping[str, Outlet]) -> None:
        if story.draft:
            return  # never published, nor its charts
        figures = story_figures(story, outlets, self.rule)
        charts = story_charts(figures, self.colors)
        self.figures[figures.slug], self.charts[figures.slug] = figures, charts
        self.drawing.add(charts.svgs(), self.target / CHART_FOLDERS[0])
        if self.cards:
            self.drawing.add([charts.card], self.target / CHART_FOLDERS[1])

    def discard(self) -> None:
        self.drawing.cancel()
        shutil.rmtree(self.target, ignore_errors=True)


def _build_steps(
    options: Options, content: Content, report: Report, settings: dict[str, Any],
    pagefind: str, early: _Early | None,
) -> None:
    source, output = options.work / "content", options.output
    for legacy in _LEGACY_SITES:
        shutil.rmtree(options.work / legacy, ignore_errors=True)
    source.mkdir(parents=True, exist_ok=True)
    settings["PATH"] = str(source)
    with report.phase("figures"), gc_paused():
        site = site_figures(content.stories, content.outlets, thresholds(settings),
                            early.figures if early else None)
        report.stories = len(site.stories)
    with ExitStack() as scratch:
        with report.phase("render"):
            rendered = _rendered(options, content, site, settings,
                                 early.charts if early else {})
            current = incremental.manifest(
                site, rendered.charts, rendered.related_limit,
                _inputs(options, content, settings),
            )
            manifest_path = options.work / "manifest.json"
            previous = incremental.read_manifest(manifest_path)
            manifest_path.unlink(missing_ok=True)  # a failed build forces a full one next
            if options.cache is None or early or not incremental.made(previous, output):
                previous = None  # a cold build, or the output is not the one it made
            rendered = dataclasses.replace(
                rendered,
                selected=incremental.plan(previous, current, settings),
                changed=incremental.changed(previous, current),
            )
            report.full = rendered.selected is None
            target = early.target if early else _fresh_target(options, report.full)
            # Removed at the end: a failed build's, or what publishing left of it.
            scratch.callback(shutil.rmtree, target, ignore_errors=True)
            # Charts first: the pool draws them while the Markdown is written.
            drawing, gone = start_story_charts(rendered.charts, settings, output, target,
                                               report.full, early.drawing if early else None)
            scratch.callback(drawing.cancel)  # (first: no worker writes into it then)
            write_sources(content, site, source)
        settings["OUTPUT_PATH"] = str(target)
        settings["PARALLAX"] = rendered
        folders = page_folders(site, settings) if report.full else []
        with report.phase("pelican"), _folders_made(target, folders):
            run_pelican(settings)
        if pagefind:  # story pages only, so while the last charts are drawn
            with report.phase("search"):
                if report.full:
                    index_search(target, pagefind)
                else:
                    index_changed_search(site, target, output, options.work, pagefind)
        report.written = publish(target, output, report, drawing, gone)
    incremental.write_manifest(manifest_path, incremental.published(current, output))
    assert isinstance(rendered.summaries, Summaries)
    write_memo(_memo_path(options.work), rendered.summaries.current())


def _fresh_target(options: Options, full: bool) -> Path:
    """Where Pelican renders: for a full build a hidden folder beside the output (the
    same file system, so it is swapped in by a rename), for an incremental one a
    folder of the work folder that receives only the changed pages."""
    target = sibling(options.output, "staging") if full else options.work / "changes"
    shutil.rmtree(target, ignore_errors=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    return target


def _rendered(
    options: Options, content: Content, site: SiteFigures, settings: dict[str, Any],
    known: Mapping[str, StoryCharts],
) -> Rendered:
    """What Pelican's plugin will read: figures, chart specs, summaries (no drawing)."""
    charts = story_chart_specs(site, settings, known)
    cards = bool(settings.get("PARALLAX_SOCIAL_CARDS", True))
    return Rendered(
        site=site,
        outlets=content.outlets,
        charts=charts,
        cards={slug: c.card.filename for slug, c in charts.items()} if cards else {},
        summaries=Summaries(site, read_memo(_memo_path(options.work))),
        colors=settings.get("PARALLAX_COLORS", {}),
        related_limit=int(settings.get("PARALLAX_RELATED_STORIES", 5)),
    )


def write_sources(content: Content, site: SiteFigures, source: Path) -> None:
    """The Markdown of every story and the editor's pages, where Pelican reads them."""
    sync_tree(source / "stories", story_sources(site))
    sync_tree(source / "pages", page_sources(content.pages))
    for kind in CHART_FOLDERS:  # where charts were kept before they went to the site
        if (source / kind).is_dir():
            shutil.rmtree(source / kind)


def _memo_path(work: Path) -> Path:
    """Remembered summaries, keyed by code too: a change to the sanitizer must not
    serve old HTML."""
    return work / f"summaries-{incremental.code_digest()}.json"


def _overrides(options: Options) -> dict[str, Any]:
    return {
        # Pelican wants an existing folder now; the build's Markdown folder is made
        # (and set) once the content is valid: nothing is written before.
        "PATH": str(options.settings.parent),
        "OUTPUT_PATH": str(options.work / "site"),
        "ARTICLE_PATHS": ["stories"],
        "PAGE_PATHS": ["pages"],
        "CACHE_PATH": str(options.work / "pelican-cache"),
        # Pelican's reader cache, by content hash (fresh CI checkouts hit it too).
        "CACHE_CONTENT": options.cache is not None,
        "LOAD_CONTENT_CACHE": options.cache is not None,
        "CONTENT_CACHING_LAYER": "reader",
        "CHECK_MODIFIED_METHOD": "sha256",
        "GZIP_CACHE": False,  # gzip's level 9 cost more than the reads it saves
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


def palette(settings: dict[str, Any]) -> Palette:
    """Chart colours from PARALLAX_COLORS (so editions can swap Left and Right)."""
    colors = settings.get("PARALLAX_COLORS") or {}
    known = {k: v for k, v in colors.items() if k in ("left", "center", "right", "unrated")}
    return Palette(**known)


def story_chart_specs(
    site: SiteFigures, settings: dict[str, Any], known: Mapping[str, StoryCharts] | None = None
) -> dict[str, StoryCharts]:
    """Every story's chart specs; `known`: specs made already from the same story and
    registry (charts depend on nothing else)."""
    colors = palette(settings)
    known = known or {}
    return {s.slug: known.get(s.slug) or story_charts(s, colors) for s in site.stories}


def start_story_charts(
    charts: Mapping[str, StoryCharts], settings: dict[str, Any], last: Path, target: Path,
    full: bool = True, drawing: Drawing | None = None,
) -> tuple[Drawing, list[str]]:
    """Draw the charts the last site (`last`, the output) lacks straight into
    `target`, in the background; returns the drawing and the charts no story uses any
    more (paths relative to the site). Names are content hashes, so a file of that
    name is that chart: a full build takes the ones it needs by hard link, an
    incremental one leaves them where they are. `drawing`: one already drawing (a
    cold build's), which skips what it was given."""
    colors = palette(settings)
    cards = bool(settings.get("PARALLAX_SOCIAL_CARDS", True))
    svgs: list[ChartSpec] = [spec for c in charts.values() for spec in c.svgs()]
    pngs: list[ChartSpec] = [c.card for c in charts.values()] if cards else []
    gone: list[str] = []
    groups = []
    for specs, kind in ((svgs, CHART_FOLDERS[0]), (pngs, CHART_FOLDERS[1])):
        wanted = {spec.filename for spec in specs}
        have = set(os.listdir(last / kind)) if (last / kind).is_dir() else set()
        if full:
            _carry_over(last / kind, target / kind, wanted & have)
        else:
            gone += [f"{kind}/{name}" for name in sorted(have - wanted)]
            specs = [spec for spec in specs if spec.filename not in have]
        groups.append((specs, target / kind))
    return start_drawing(groups, colors, drawing=drawing), gone


def _carry_over(previous: Path, folder: Path, names: set[str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name in sorted(names):
        link_or_copy(previous / name, folder / name)


class _Errors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def page_folders(site: SiteFigures, settings: Mapping[str, Any]) -> list[str]:
    """The folders of the site's own pages (a story's, a topic's, an outlet's); none
    when the settings name pages by more than their slug."""
    try:
        return [
            os.path.dirname(pattern.format(**{name: value}))
            for pattern, name, values in (
                (str(settings["ARTICLE_SAVE_AS"]), "slug", [s.slug for s in site.stories]),
                (str(settings["TAG_SAVE_AS"]), "slug", [t.slug for t in site.topics]),
                (f"{OUTLET_URL}index.html", "key", [o.key for o in site.outlets]),
            )
            for value in values
        ]
    except (KeyError, IndexError, ValueError, AttributeError):
        return []


@contextmanager
def _folders_made(target: Path, folders: list[str]) -> Iterator[None]:
    """A thread makes `folders` under `target` while Pelican reads its Markdown (a
    full build's: each page is in a folder of its own, and on a small cloud disk
    making one costs ~0.1 ms of waiting the build can spend rendering). Pelican
    makes any it reaches first (and reports any error itself)."""
    if not folders:
        yield
        return

    failed = threading.Event()

    def make() -> None:
        for folder in folders:
            if failed.is_set():
                return
            with suppress(OSError):
                os.makedirs(target / folder, exist_ok=True)

    thread = threading.Thread(target=make, name="page-folders")
    try:
        # Starting waits for the thread: a signal then would skip the join below.
        with uninterrupted():
            thread.start()
        yield
    except BaseException:
        failed.set()  # the site is about to be removed: no more folders in it
        raise
    finally:
        with uninterrupted():  # a signal now must not leave the thread making folders
            thread.join()


def run_pelican(settings: dict[str, Any]) -> None:
    """Pelican in-process; any error it logs fails the build (it would otherwise go on)."""
    from pelican import Pelican

    handler = _Errors()
    logger = logging.getLogger("pelican")
    logger.addHandler(handler)
    rendered = settings.get("PARALLAX")
    try:
        Pelican(settings).run()
    except OSError as exc:  # a full disk, say
        raise BuildFailed(f"Pelican failed: {os_reason(exc)}") from exc
    except Exception as exc:  # a template error, a plugin bug: say where, no traceback
        where = getattr(exc, "filename", None)
        line = getattr(exc, "lineno", None)
        place = f" ({where}:{line})" if where and line else f" ({where})" if where else ""
        raise BuildFailed(f"Pelican failed{place}: {type(exc).__name__}: {exc}") from exc
    finally:
        logger.removeHandler(handler)
        if isinstance(rendered, Rendered):
            rendered.stop_forked()  # a copy still writing when Pelican failed
    errors = [r for r in handler.records if r.levelno >= logging.ERROR]
    if errors:
        raise BuildFailed("Pelican failed: " + "; ".join(r.getMessage() for r in errors))


def index_search(site: Path, pagefind: str, bundle: Path | None = None) -> None:
    """Pagefind indexes the pages that mark `data-pagefind-body` (story pages only),
    into `bundle` (default: the site's `pagefind/`)."""
    bundle = bundle or site / "pagefind"
    command = [
        pagefind, "--site", str(site), "--silent", "--output-path", str(bundle),
        "--glob", "stories/*/index.html",  # only story pages are searchable: read only them
    ]
    shutil.rmtree(bundle, ignore_errors=True)  # no stale fragments
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        said = "; ".join(line.strip() for line in (done.stdout + done.stderr).splitlines()
                         if line.strip())
        raise BuildFailed(f"search indexing failed (Pagefind exit {done.returncode}): {said}")


def index_changed_search(site: SiteFigures, changes: Path, output: Path, work: Path,
                         pagefind: str) -> None:
    """Pagefind has no incremental mode: after an incremental build it indexes every
    story page again, from a folder of hard links to the pages as they will be (the
    changed ones from `changes`, the others from the output), into
    `changes/pagefind`."""
    view = work / "search"
    shutil.rmtree(view, ignore_errors=True)
    try:
        for figures in site.stories:
            page = Path("stories") / figures.slug / "index.html"
            found = changes / page if (changes / page).is_file() else output / page
            (view / page).parent.mkdir(parents=True)
            link_or_copy(found, view / page)
        index_search(view, pagefind, changes / "pagefind")
    finally:
        shutil.rmtree(view, ignore_errors=True)


def pagefind_binary() -> str:
    """Where Pagefind's own wrapper would look (PAGEFIND_BINARY_PATH, the
    pagefind_bin package, PATH), checked before the build needs it: a missing
    binary is one line saying so, not the wrapper's traceback."""
    hint = "install pagefind[bin], set PAGEFIND_BINARY_PATH, or build with --no-search"
    try:
        from pagefind.service import get_executable

        found = get_executable()
    except (ImportError, OSError) as exc:
        raise BuildFailed(f"Pagefind not found: {exc} ({hint})") from exc
    if found is None:
        raise BuildFailed(f"Pagefind not found: no binary in pagefind_bin or on PATH ({hint})")
    if not (found.is_file() and os.access(found, os.X_OK)):
        raise BuildFailed(f"Pagefind not found: {found} is not an executable file ({hint})")
    return str(found)


def publish(target: Path, output: Path, report: Report, drawing: Drawing,
            gone: Collection[str] = ()) -> int:
    """Put the finished site in place once the charts are drawn; nothing before
    this touches `output`. Returns the files of the output that changed.

    A full build's folder lies beside `output` and is swapped in at once
    (renameat2's exchange where there is one). An incremental build's changed files
    are staged beside `output` in hard links (a full disk fails there, `output`
    untouched), then renamed in, the `gone` charts removed and the search bundle
    replaced. Signals wait until the output is whole again."""
    with report.phase("charts"):
        drawing.wait()
    with report.phase("publish"):
        if not report.full:
            return sync_changes(target, output, gone, whole=("pagefind",))
        written = sum(len(names) for _, _, names in os.walk(target))
        with uninterrupted():
            previous = swap_in(target, output)
        shutil.rmtree(previous, ignore_errors=True)
        return written
