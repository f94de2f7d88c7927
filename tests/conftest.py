"""Shared fixtures: build a content folder on disk, run the real command line."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent
EXAMPLES = PROJECT.parent / "shared" / "examples" / "content"

#: A small valid registry: two rated outlets and one unrated.
OUTLETS = """\
reuters:
  name: Reuters
  url: https://www.reuters.com
  bias: center
  factuality: very-high
  country: GB
guardian:
  name: The Guardian
  bias: lean-left
kyiv-independent:
  name: The Kyiv Independent
"""

#: A valid story citing every outlet of `OUTLETS`; tests edit copies of it.
STORY = """\
title: Talks in Istanbul
date: 2025-05-16
updated: 2025-05-17T09:30:00Z
topics: [Diplomacy, Turkey]
key_points:
  - Talks began. [1, 2]
  - Nothing was agreed. [3]
perspectives:
  - side: left
    text: A first step.
    sources: [2]
  - actor: Kremlin
    text: Fine.
sources:
  - outlet: reuters
    title: Talks begin
    url: https://example.org/a
    published: 2025-05-16T07:02:00Z
  - outlet: guardian
    title: Talks, day one
    url: https://example.org/b
  - outlet: kyiv-independent
    title: Delegations meet
    url: https://example.org/c
"""


#: The figures of content-format.md §3's example `/api/stories/<slug>.json` (the
#: spec's first worked example: 3 Left, 6 Center, 6 Right, 4 unrated). Reuters
#: (07:02Z) ties with a source at 09:02+02:00, the same instant, later in the list:
#: ties go by list order.
SPEC_STORY_JSON = {
    "slug": "istanbul-peace-talks",
    "date": "2025-05-16T00:00:00+00:00",
    "updated": None,
    "url": "/stories/istanbul-peace-talks/",
    "topics": ["Russia-Ukraine War"],
    "articles": 19,
    "outlets": 17,
    "bias": {"left": {"count": 3, "percent": 20},
             "center": {"count": 6, "percent": 40},
             "right": {"count": 6, "percent": 40},
             "unrated": 4},
    "factuality": {"very-high": 2, "high": 9, "unrated": 8},
    "ownership": {"media-conglomerate": 7, "unrated": 12},
    "blindspot": None,
    "broke_the_news": {"outlet": "reuters", "published": "2025-05-16T07:02:00+00:00"},
}


def write_content(
    root: Path,
    outlets: str | bytes | None = OUTLETS,
    stories: Mapping[str, str | bytes] | None = None,
) -> Path:
    """Write `root/outlets.yaml` (unless `outlets` is None) and `root/stories/<name>`
    for each story (name with or without `.yaml`; sub-folders allowed). Returns root."""
    root.mkdir(parents=True, exist_ok=True)
    if outlets is not None:
        _write(root / "outlets.yaml", outlets)
    stories_dir = root / "stories"
    stories_dir.mkdir(exist_ok=True)
    for name, text in (stories or {}).items():
        file = name if name.endswith((".yaml", ".yml")) else name + ".yaml"
        _write(stories_dir / file, text)
    return root


def _write(path: Path, text: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")


def run_cli(*args: str | Path, cwd: Path = PROJECT, env: dict[str, str] | None = None,
            timeout: float = 60, preexec_fn: Callable[[], None] | None = None,
            ) -> subprocess.CompletedProcess[str]:
    """`python -m generator.cli ARGS` in a child process, as CI runs it; `env` adds to
    (or overrides) the inherited environment; `preexec_fn` runs in the child first
    (resource limits); past `timeout` seconds, subprocess.TimeoutExpired fails the test."""
    return subprocess.run(
        [sys.executable, "-m", "generator.cli", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **env} if env else None,
        preexec_fn=preexec_fn,
    )


#: A snapshot entry: the bytes (None for a folder), the inode, the modification time.
Entry = tuple[bytes | None, int, int]


def snapshot(folder: Path) -> dict[str, Entry]:
    """Every file and folder under `folder`, and `folder` itself (key `.`): enough to
    tell that a tree was left exactly as it was, not even rewritten in place."""
    tree: dict[str, Entry] = {}
    for path in [folder, *sorted(folder.rglob("*"))]:
        stat = path.lstat()
        data = None if path.is_dir() else path.read_bytes()
        tree[path.relative_to(folder).as_posix()] = (data, stat.st_ino, stat.st_mtime_ns)
    return tree


def file_bytes(folder: Path) -> dict[str, bytes]:
    """The files under `folder` and their bytes: what a reader of the tree gets."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*")) if p.is_file()
    }


@pytest.fixture
def content(tmp_path: Path) -> Path:
    """A valid content folder with one story (`talks.yaml`)."""
    return write_content(tmp_path / "content", stories={"talks": STORY})
