"""Phase 3: the computed site → files Pelican and browsers read.

`Rendered` is what the build hands to Pelican (through the plugin): figures,
chart file names with their text alternatives, sanitized summaries. The `write_*`
functions put Markdown and pages into the build folder; `sync_file` writes a file
only when its bytes change, so a rebuild touches only what an edit changed.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import api
from .figures import SiteFigures, StoryFigures
from .markdown import story_markdown
from .model import Outlet
from .sanitize import inline_html


@dataclass(frozen=True)
class Rendered:
    site: SiteFigures
    outlets: Mapping[str, Outlet]
    charts: Mapping[str, Any] = field(default_factory=dict)  # slug → StoryCharts
    cards: Mapping[str, str] = field(default_factory=dict)  # slug → card file name
    summaries: Mapping[str, str] = field(default_factory=dict)  # slug → safe HTML
    colors: Mapping[str, str] = field(default_factory=dict)
    related_limit: int = 5
    _by_slug: dict[str, StoryFigures] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        self._by_slug.update((s.slug, s) for s in self.site.stories)

    def story(self, slug: str) -> StoryFigures:
        return self._by_slug[slug]

    def write_api(self, output: str | Path) -> None:
        for relative, text in api.files(self.site, self.outlets).items():
            sync_file(Path(output) / relative, text.encode("utf-8"))


def robots_txt(settings: Mapping[str, Any]) -> str:
    """`/robots.txt`: everything may be crawled; the sitemap's absolute URL (SITEURL;
    for the local preview, whose SITEURL is empty, FEED_DOMAIN, as the feeds use)."""
    base = str(settings.get("SITEURL") or settings.get("FEED_DOMAIN") or "").rstrip("/")
    return f"User-agent: *\nAllow: /\n\nSitemap: {base}/sitemap.xml\n"


def summary_html(figures: StoryFigures) -> str:
    """The card and feed summary: the editor's summary, else the first key point."""
    from .model import split_citations

    text = figures.story.summary or split_citations(figures.story.key_points[0])[0]
    return inline_html(text)


def sync_file(path: Path, data: bytes) -> bool:
    """Write `data` unless the file already holds it; atomic. True when written."""
    try:
        if path.stat().st_size == len(data) and path.read_bytes() == data:
            return False
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True


def sync_tree(folder: Path, files: Mapping[str, bytes]) -> int:
    """Make `folder` hold exactly `files` (relative path → bytes). Returns files written."""
    written = sum(sync_file(folder / rel, data) for rel, data in files.items())
    wanted = {folder / rel for rel in files}
    if folder.is_dir():
        for path in sorted(folder.rglob("*"), reverse=True):
            if path.is_file() and path not in wanted:
                path.unlink()
            elif path.is_dir() and not any(path.iterdir()):
                path.rmdir()
    return written


def source_files(site: SiteFigures, pages: Iterable[Path]) -> dict[str, bytes]:
    """What Pelican reads: one Markdown file per story, the editor's pages as they are."""
    files = {
        f"stories/{s.slug}.md": story_markdown(s).encode("utf-8") for s in site.stories
    }
    for page in pages:
        files[f"pages/{page.name}"] = page.read_bytes()
    return files


def copy_tree(source: Path, target: Path) -> None:
    shutil.copytree(source, target, dirs_exist_ok=True)
