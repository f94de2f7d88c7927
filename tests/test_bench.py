"""`parallax bench`: its corpus is reproducible and valid; its report keeps hand-written notes.

Timings are reported by `make bench`, never asserted here.
"""

from __future__ import annotations

import hashlib
import re
import sys
from pathlib import Path

import pytest

from generator import bench
from generator.load import load_content
from generator.model import split_citations


def _digest(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bench.Corpus]:
    root = tmp_path_factory.mktemp("bench") / "content"
    return root, bench.generate(root, 20, seed=7)


def test_same_seed_writes_byte_identical_files(
    corpus: tuple[Path, bench.Corpus], tmp_path: Path
) -> None:
    root, _ = corpus
    again = tmp_path / "again"
    bench.generate(again, 20, seed=7)
    assert _digest(again) == _digest(root)
    other = tmp_path / "other"
    bench.generate(other, 20, seed=8)
    assert _digest(other) != _digest(root)


def test_registry_has_exactly_2000_valid_unique_outlets(
    corpus: tuple[Path, bench.Corpus],
) -> None:
    _, made = corpus
    assert len(made.outlets) == bench.OUTLETS == 2000
    assert all(re.fullmatch(r"[a-z0-9][a-z0-9-]{0,63}", key) for key in made.outlets)


def test_corpus_loads_without_errors_and_has_the_promised_shape(
    corpus: tuple[Path, bench.Corpus],
) -> None:
    root, made = corpus
    result = load_content(root)
    assert result.errors == []
    assert result.content is not None
    content = result.content
    assert len(content.stories) == 20
    assert len(content.outlets) == 2000
    for story in content.stories:
        assert 5 <= len(story.sources) <= 40
        assert 3 <= len(story.key_points) <= 8
        assert len(story.topics) == 3
        assert all(source.outlet in content.outlets for source in story.sources)
        for point in story.key_points:
            _, cited = split_citations(point)
            assert all(1 <= n <= len(story.sources) for n in cited)
    # Warnings are only "outlet not cited" (20 stories cannot cite 2,000 outlets): the
    # first 50 of the registry, then how many more.
    *shown, more = result.warnings
    assert all("is not cited by any story" in p.message for p in shown)
    assert more.message.endswith("more warnings in this file")


def test_a_large_enough_corpus_cites_every_outlet() -> None:
    made = bench.make_corpus(150, seed=1, export=None)  # ~3,400 sources > 2,000 outlets
    cited = {s["outlet"] for _, story in made.stories for s in story["sources"]}
    assert cited == set(made.outlets)


def test_invented_outlets_when_the_export_is_missing() -> None:
    outlets = bench.registry(None, count=50)
    assert len(outlets) == 50


def test_baseline_markdown_has_title_date_tags_points_and_sources(
    corpus: tuple[Path, bench.Corpus],
) -> None:
    _, made = corpus
    slug, story = made.stories[0]
    text = bench.baseline_markdown(story, slug, made.outlets)
    head, body = text.split("\n\n", 1)
    assert f"Title: {story['title']}" in head
    assert f"Date: {story['date']}" in head
    assert "Tags: " + ", ".join(story["topics"]) in head
    assert "## Key points" in body and "## Sources" in body
    assert body.count("](https://") == len(story["sources"])


DOC = """\
# Benchmarks

Intro written by hand.

<!-- bench:start -->
old table
<!-- bench:end -->

## Notes

Hand-written analysis stays.
"""


def test_report_replaces_only_the_marked_section(tmp_path: Path) -> None:
    path = tmp_path / "benchmarks.md"
    path.write_text(DOC, encoding="utf-8")
    bench.write_report(path, "new table\n")
    text = path.read_text(encoding="utf-8")
    assert text == DOC.replace("old table", "new table")
    bench.write_report(path, "newer table")
    assert path.read_text(encoding="utf-8") == DOC.replace("old table", "newer table")


def test_report_appends_a_section_when_markers_are_missing(tmp_path: Path) -> None:
    path = tmp_path / "benchmarks.md"
    path.write_text("# Benchmarks\n\nNotes.\n", encoding="utf-8")
    bench.write_report(path, "table")
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# Benchmarks\n\nNotes.\n\n")
    assert text.endswith(f"{bench.START_MARK}\ntable\n{bench.END_MARK}\n")
    new = tmp_path / "new.md"
    bench.write_report(new, "table")
    assert bench.START_MARK in new.read_text(encoding="utf-8")


def test_table_and_targets_from_measures() -> None:
    result = bench.SizeResult(1000, 22000, 14 * 2**20, 1.2, edit_visible=True)
    result.runs = {
        "check": bench.Measure("check", 1.4, peak_kib=140 * 1024),
        "baseline": bench.Measure("baseline", 4.0, peak_kib=70 * 1024, output_bytes=2**24),
        "cold": bench.Measure("cold", 5.0, peak_kib=160 * 1024, output_bytes=2**26,
                              phases={"load": 1.0, "pelican": 3.5}),
        "pagefind": bench.Measure("pagefind", 3.0, peak_kib=400 * 1024, output_bytes=2**23),
        "rebuild-nosearch": bench.Measure("rebuild-nosearch", 1.5, peak_kib=170 * 1024,
                                          output_bytes=2**26),
        "rebuild": bench.Measure("rebuild", 4.5, peak_kib=400 * 1024, output_bytes=2**26,
                                 phases={"search": 3.0}),
    }
    table = bench.table([result])
    assert "| 1,000 | `parallax build`, cold, `--no-search` | 5.00 | 1.25 |" in table
    assert "| 1,000 | cold build + Pagefind | 8.00 | 2.00 |" in table
    lines = "\n".join(bench.targets([result]))
    assert "1.25 × (with Pagefind 2.00 ×) — **met**" in lines
    assert "1.50 s without search; 4.50 s with the search index rebuilt (Pagefind 3.00 s" in lines
    assert "edit visible — **met**" in lines
    assert "10.5 × the 1,000-story time — not measured" in lines


def test_measure_reports_time_memory_and_phases(tmp_path: Path) -> None:
    script = "import sys; b = bytearray(64 * 2**20); print('  pelican    1.250 s', file=sys.stderr)"
    m = bench.measure("child", [sys.executable, "-c", script], tmp_path / "log")
    assert m.returncode == 0
    assert m.peak_kib >= 64 * 1024
    assert m.phases == {"pelican": 1.25}
    assert m.seconds > 0


def test_the_median_run_counts_and_every_time_is_kept() -> None:
    runs = [bench.Measure("cold", t, peak_kib=int(t * 1000), phases={"load": t / 4})
            for t in (6.1, 5.4, 5.8)]
    middle = bench.median(runs)
    assert (middle.seconds, middle.peak_kib, middle.phases) == (5.8, 5800, {"load": 1.45})
    assert middle.samples == [6.1, 5.4, 5.8]
    assert bench.median(runs[:2]).seconds == 5.4  # an even count: the lower, a real run
    result = bench.SizeResult(1000, 22000, 14 * 2**20, 1.2, edit_visible=True)
    result.runs = {"cold": middle, "baseline": bench.median(
        [bench.Measure("baseline", t) for t in (4.0, 3.8, 4.2)])}
    lines = "\n".join(bench.targets([result]))
    assert ("build 1.45 × — **met** (judged on the build without search); build 5.80 s "
            "(median of 3 runs: 5.40–6.10 s), baseline 4.00 s (median of 3 runs: "
            "3.80–4.20 s)") in lines


def _fake_measure(calls: list[tuple[str, list[str]]]) -> object:
    def measure(label: str, command: list[object], log: Path, cwd: Path = bench.PROJECT
                ) -> bench.Measure:
        words = [str(c) for c in command]
        calls.append((label, words))
        for flag in ("-o", "--output"):
            if flag in words:
                Path(words[words.index(flag) + 1]).mkdir(parents=True, exist_ok=True)
        return bench.Measure(label, 1.0 + len(calls) / 100)

    return measure


def test_baseline_and_cold_build_alternate_into_folders_of_their_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing is deleted between the timed runs: each round has its own output,
    work and cache folders; the last round's are the ones the rebuilds use."""
    calls: list[tuple[str, list[str]]] = []
    monkeypatch.setattr(bench, "measure", _fake_measure(calls))
    deleted: list[str] = []
    monkeypatch.setattr(bench.shutil, "rmtree", lambda path, **_: deleted.append(str(path)))
    result = bench.bench_size(5, tmp_path, rounds=3)
    labels = [label for label, _ in calls]
    assert labels[:7] == ["parallax check", *["Pelican baseline",
                                              "parallax build, cold, no search"] * 3]
    outputs = [words[words.index("--output") + 1] for label, words in calls[1:7]
               if label.startswith("parallax build")]
    root = tmp_path / "n5"
    assert outputs == [str(root / "site.3"), str(root / "site.2"), str(root / "site")]
    rebuilds = [words for label, words in calls if "after one edit" in label]
    assert rebuilds and all(str(root / "site") in words for words in rebuilds)
    assert [d for d in deleted if "site" in d or "output" in d] == []
    assert len(result.runs["cold"].samples) == 3 and len(result.runs["baseline"].samples) == 3


def test_old_trees_are_deleted_only_after_the_last_measurement(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = tmp_path / "n5" / "site" / "page.html"
    old.parent.mkdir(parents=True)
    old.write_text("from an earlier run")
    seen: list[bool] = []

    def bench_size(size: int, work: Path, *args: object, **kwargs: object) -> bench.SizeResult:
        # Set aside, not deleted: no freed inodes while this run measures.
        seen.append(not (work / "n5").exists()
                    and any(p.read_text() == "from an earlier run"
                            for p in work.glob(".trash-*/n5.*/site/page.html")))
        (work / f"n{size}" / "site").mkdir(parents=True)
        return bench.SizeResult(size, 10, 1000, 0.1)

    monkeypatch.setattr(bench, "bench_size", bench_size)
    parser = bench.argparse.ArgumentParser()
    bench.add_arguments(parser)
    args = parser.parse_args(["--sizes", "5", "--work", str(tmp_path), "--no-report"])
    assert bench.main(args) == 0
    assert seen == [True]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.json"]


def test_each_step_records_how_fast_the_disk_creates_files(tmp_path: Path) -> None:
    """The disk's pace goes beside each timing (a cold build creates ten times the
    baseline's files); the probe's files stay, as deleting them would slow the step."""
    m = bench.measure("child", [sys.executable, "-c", "pass"], tmp_path / "logs" / "x.log")
    assert m.create_us > 0
    assert len(list((tmp_path / "logs" / ".probe-x").iterdir())) == 500
    result = bench.SizeResult(1000, 22000, 14 * 2**20, 1.2)
    result.runs = {"baseline": bench.Measure("baseline", 4.0, create_us=23.4)}
    assert bench.table([result]).splitlines()[-1].endswith("| 0.0 | 23 |")
    result.runs["cold"] = bench.Measure("cold", 5.0)
    result.runs["pagefind"] = bench.Measure("pagefind", 2.0)  # and their sum, not a run:
    assert bench.table([result]).splitlines()[-1].endswith("| 0.0 | – |")


def test_the_memory_sampler_rests_ten_times_as_long_as_a_sample_takes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Reading a large tree's PSS is slow (tens of ms a process): the sampler must
    not take the measured build's core. A sample taking 30 ms is followed by a
    0.3 s rest, not by the 50 ms interval."""
    import os
    import time

    samples: list[float] = []

    def slow_sample(self: bench._TreeSampler) -> int:
        samples.append(time.perf_counter())
        time.sleep(0.03)
        return 1024 * len(samples)

    monkeypatch.setattr(bench._TreeSampler, "_tree_kib", slow_sample)
    sampler = bench._TreeSampler(os.getpid())
    sampler.start()
    time.sleep(1.0)
    sampler.stop()
    gaps = [b - a for a, b in zip(samples, samples[1:], strict=False)]
    assert 2 <= len(samples) <= 4, samples
    assert all(gap >= 0.3 for gap in gaps), gaps
    assert sampler.peak_kib == 1024 * len(samples)


def test_the_memory_sampler_adds_up_a_process_and_its_children() -> None:
    """PSS of this process and a child it waits on: more than this one's alone."""
    import os
    import subprocess

    sampler = bench._TreeSampler(os.getpid())
    alone = sampler._tree_kib()
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(5)"])
    try:
        both = sampler._tree_kib()
    finally:
        child.kill()
        child.wait()
    assert alone > 0 and both > alone
