"""The chart workers' fork server: what it loads, and starting it early.

Chart workers are forked by a server process that imports matplotlib and Pillow
once (~0.4 s). A build that will draw charts starts it before anything else, even
before importing its own modules, so those imports run on the other core while the
build's run on its own. Light on purpose: importing this module must cost nothing.
"""

from __future__ import annotations

import multiprocessing
from contextlib import suppress
from pathlib import Path
from typing import Any

#: The output's folders of charts and of social cards (files named by content).
CHART_FOLDERS = ("charts", "cards")

#: What chart workers import: loaded once by the fork server, which forks workers.
WORKER_MODULES = [
    "generator.charts", "matplotlib.backends.backend_svg",
    "PIL.Image", "PIL.ImageDraw", "PIL.ImageFont", "PIL.PngImagePlugin",
]


def context() -> Any:
    return multiprocessing.get_context("forkserver")


def warm_up() -> None:
    """Start the fork server now, importing what workers need. (Once per process;
    a server already running is used as it is.)"""
    from multiprocessing import forkserver

    context().set_forkserver_preload(WORKER_MODULES)
    # A TMPDIR too deep for its socket: no server, and the charts are drawn in-process.
    with suppress(OSError):
        forkserver.ensure_running()


def draws_charts(output: Path, cache: Path | None) -> bool:
    """Whether a build into `output` will draw charts: a cold one (the output has
    none yet), or a full one (no cache: charts missing from the output are drawn).
    An incremental build draws a few at most, started when needed."""
    return cache is None or not (output / CHART_FOLDERS[0]).is_dir()
