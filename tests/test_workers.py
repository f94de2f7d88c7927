"""`workers`: which builds start the chart workers' fork server at once, and what
starting it (and what it loads) must not import."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from generator.workers import CHART_FOLDERS, draws_charts

HEAVY = ("matplotlib", "pydantic", "pelican", "PIL", "generator.model", "generator.figures",
         "generator.load", "generator.charts", "generator.build")


def _imported_with(module: str) -> list[str]:
    """Which of `HEAVY` a fresh interpreter has loaded after importing `module`."""
    code = f"import sys, {module}; print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, cwd=Path(__file__).parent.parent)
    return [m for m in done.stdout.strip().split(",") if m]


def test_a_cold_or_uncached_build_draws_charts_an_incremental_one_does_not(
    tmp_path: Path,
) -> None:
    output, cache = tmp_path / "out", tmp_path / "cache"
    assert draws_charts(output, cache)  # no output yet: every chart is drawn
    (output / CHART_FOLDERS[0]).mkdir(parents=True)
    assert not draws_charts(output, cache)  # the output has its charts: a few at most
    assert draws_charts(output, None)  # --no-cache: a full build, missing charts drawn


def test_starting_the_server_early_imports_nothing_heavy() -> None:
    """`parallax build` starts the server before importing its own modules: this one
    must not pull them (or matplotlib, or pydantic) in."""
    assert _imported_with("generator.workers") == []


def test_what_chart_workers_load_leaves_out_the_model() -> None:
    """The fork server imports `WORKER_MODULES` before any chart is drawn: the
    charts module must not pull in pydantic (the model's validation) with it."""
    imported = _imported_with("generator.charts")
    assert "generator.charts" in imported
    assert [m for m in imported if m in ("pydantic", "generator.model", "generator.figures",
                                        "generator.load", "pelican")] == []
