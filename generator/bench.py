"""`parallax bench`: time the build on synthetic corpora shaped like real ones.

For each size, in one run and side by side:

* the corpus: N stories (5–40 sources each, 3–8 cited key points, 3 topics of a
  pool of 200) citing a registry of exactly 2,000 outlets taken from the Media
  Bias/Fact Check export; fixed seed, so the same seed writes byte-identical files;
* `parallax check` on it;
* BASELINE: plain Pelican (default theme, default settings, no plugins) building the
  same stories written as plain Markdown pages;
* a COLD `parallax build` (empty work folder and output), without the search index;
  up to 2,000 stories baseline and cold build run three times, alternately, each
  into folders of its own, and the median run counts; then Pagefind alone on the
  last output (so each one's peak memory is its own);
* `parallax build` again after editing one key point of one story, once without
  and once with the search index; the edit must show in the story's page.

Every step is a child process: its time is wall-clock from start to exit, its peak
memory is `ru_maxrss` from `wait4` (the largest single process of its tree), and a
sampler adds up the PSS of the whole process tree every 50 ms (a process pool shows
there). Timings are reported, never asserted. The table goes to stdout and between
the markers of docs/benchmarks.md; what is outside the markers stays as written.

Nothing is deleted before the last measurement (trees of an earlier run are set
aside and removed at the end): this disk creates files up to ten times slower for
minutes after many were deleted, which would time that cleanup, not the build.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .mbfc import export_date, outlet_entry, outlet_key, read_export

PROJECT = Path(__file__).resolve().parent.parent
DEFAULT_SIZES = (1000, 10000)
DEFAULT_WORK = Path(tempfile.gettempdir()) / "parallax-bench"
DEFAULT_REPORT = PROJECT / "docs" / "benchmarks.md"
OUTLETS = 2000
TOPICS = 200
START_MARK = "<!-- bench:start -->"
END_MARK = "<!-- bench:end -->"

try:
    _Dumper: Any = yaml.CSafeDumper
except AttributeError:  # pragma: no cover - libyaml missing
    _Dumper = yaml.SafeDumper

_KEY_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
_TIMING_RE = re.compile(r"^\s*([a-z_]+)\s+([0-9.]+) s$", re.MULTILINE)

# --- the corpus ---------------------------------------------------------------


def _split(text: str) -> tuple[str, ...]:
    return tuple(text.split())


_WORDS = _split("""
government minister officials talks agreement ceasefire election vote parliament court
ruling judge police investigation report data economy inflation rates market shares
prices energy oil gas climate storm flood wildfire earthquake rescue hospital health
vaccine study scientists researchers company chief executive workers union strike
wages tariffs trade exports imports border migrants asylum security military troops
strikes missile drone attack defence alliance summit leaders president prime foreign
domestic policy budget deficit taxes spending reform bill law senate house committee
hearing testimony witness evidence charges trial verdict appeal sentence prison
protest demonstrators crowd capital city region province village coast island river
mountain airport flight crash passengers crew damage losses insurance recovery aid
donors charity relief supplies water food fuel power outage grid network internet
technology software platform users privacy regulators fine antitrust merger deal
investors bank central currency bonds debt growth recession jobs unemployment survey
poll voters campaign candidate party coalition opposition majority minority speech
statement interview spokesperson sources according said says warned announced agreed
rejected denied confirmed expected plans new first major global national local public
private early late last next week month year day night morning hours days months
record largest highest lowest more less several many few some two three four five
after before during despite amid following over under between against without within
""")

_AREAS = _split("""
Climate Energy Trade Health Technology Security Migration Elections Courts Labour
Housing Education Transport Space Science Media Finance Agriculture Water Diplomacy
""")
_ASPECTS = _split("""
Policy Crisis Reform Markets Talks Disasters Research Regulation Protests Funding
Investigations Accidents Summits Strikes Records
""")
_PLACES = (
    "Istanbul, Türkiye", "Washington, D.C.", "London", "Paris", "Berlin", "Kyiv", "Tokyo",
    "New Delhi", "São Paulo", "Lagos", "Nairobi", "Sydney", "Ottawa", "Mexico City",
    "Jakarta", "Cairo", "Seoul", "Madrid", "Rome", "Warsaw",
)
_FIRST = _split("Anna Omar Li Maria Kofi Sven Aiko Rahul Elena Tomas Nadia Pedro Ines Yusuf Mei")
_LAST = _split("Kovalenko Haddad Chen Silva Mensah Lindqvist Tanaka Gupta Rossi Novak Karimi")

START_DAY = dt.date(2022, 1, 1)
SPAN_DAYS = 4 * 365


def mbfc_export_path() -> Path | None:
    """The MBFC export beside the project (shared/), else None (outlets are invented)."""
    env = os.environ.get("PARALLAX_MBFC_EXPORT")
    candidates = [Path(env)] if env else []
    candidates += [
        PROJECT.parent / "shared" / "data" / "mbfc" / "combined.json",
        Path("/work/shared/data/mbfc/combined.json"),
    ]
    return next((p for p in candidates if p.is_file()), None)


def _synthetic_records(count: int) -> list[dict[str, Any]]:
    biases = ("left", "left-center", "center", "right-center", "right", "pro-science", "")
    reporting = ("very-high", "high", "mostly-factual", "mixed", "low", "")
    return [
        {
            "domain": f"outlet{i:05d}.example",
            "name": f"Outlet {i}",
            "bias": biases[i % len(biases)],
            "reporting": reporting[i % len(reporting)],
        }
        for i in range(count)
    ]


def registry(
    export: dict[str, Any] | None, count: int = OUTLETS, seed: int = 0
) -> dict[str, dict[str, Any]]:
    """`count` outlet entries (key → entry) drawn from the export; unique, valid keys."""
    from .model import Outlet

    rng = random.Random(f"parallax-bench-outlets:{seed}")
    if export is None:
        records, rated_on = _synthetic_records(count), "2026-08-19"
    else:
        records = sorted(
            (r for r in export.get("sources", []) if r.get("domain") and r.get("name")),
            key=lambda r: str(r["domain"]),
        )
        rated_on = export_date(export)
    rng.shuffle(records)
    chosen: dict[str, dict[str, Any]] = {}
    for record in records:
        key = outlet_key(str(record["domain"]))
        if key in chosen or not _KEY_RE.match(key):
            continue
        entry = outlet_entry(record, rated_on)
        try:
            Outlet.model_validate(entry)
        except ValueError:
            continue
        chosen[key] = entry
        if len(chosen) == count:
            break
    extra = 0
    while len(chosen) < count:  # an export too small: invent the rest
        key = f"bench-outlet-{extra:05d}"
        extra += 1
        if key not in chosen:
            chosen[key] = {"name": f"Bench outlet {extra}", "url": f"https://{key}.example"}
    return {key: chosen[key] for key in sorted(chosen)}


def _slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _sentence(rng: random.Random, low: int, high: int) -> str:
    words = rng.choices(_WORDS, k=rng.randint(low, high))
    return " ".join(words).capitalize() + "."


def _title(rng: random.Random, low: int, high: int) -> str:
    return " ".join(rng.choices(_WORDS, k=rng.randint(low, high))).capitalize()


def _iso(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def topic_pool(seed: int = 0, count: int = TOPICS) -> list[str]:
    combos = [f"{area} {aspect}" for area in _AREAS for aspect in _ASPECTS]
    random.Random(f"parallax-bench-topics:{seed}").shuffle(combos)
    return sorted(combos[:count])


def _cited(rng: random.Random, sources: int, most: int = 3) -> list[int]:
    return sorted(rng.sample(range(1, sources + 1), rng.randint(1, min(most, sources))))


@dataclass(frozen=True)
class Corpus:
    outlets: dict[str, dict[str, Any]]
    stories: list[tuple[str, dict[str, Any]]]  # (slug, the story as written)


def make_corpus(size: int, seed: int = 0, export: dict[str, Any] | None = None) -> Corpus:
    """The whole corpus in memory; `write_corpus` puts it on disk."""
    outlets = registry(export, OUTLETS, seed)
    keys = list(outlets)
    rng = random.Random(f"parallax-bench-stories:{seed}")
    topics = topic_pool(seed)
    counts = [rng.randint(5, 40) for _ in range(size)]
    total = sum(counts)
    # Popular outlets are cited far more than others (1/rank); every outlet is cited
    # at least once when there are enough sources, so `check` has nothing to warn of.
    popularity = keys[:]
    rng.shuffle(popularity)
    cumulative: list[float] = []
    running = 0.0
    for rank in range(len(popularity)):
        running += 1.0 / (rank + 10)
        cumulative.append(running)
    everyone = popularity[:]
    rng.shuffle(everyone)
    picks = everyone[: min(total, len(everyone))]
    picks += rng.choices(popularity, cum_weights=cumulative, k=total - len(picks))
    rng.shuffle(picks)
    pos = 0
    stories = []
    for i, count in enumerate(counts):
        story, slug = _story(rng, i, picks[pos : pos + count], outlets, topics)
        pos += count
        stories.append((slug, story))
    return Corpus(outlets, stories)


def _story(
    rng: random.Random,
    i: int,
    cited: list[str],
    outlets: dict[str, dict[str, Any]],
    topics: list[str],
) -> tuple[dict[str, Any], str]:
    title = _title(rng, 6, 12)
    slug = f"{_slugify(' '.join(title.split()[:6]))[:80]}-{i:05d}"
    day = START_DAY + dt.timedelta(days=rng.randrange(SPAN_DAYS))
    if rng.random() < 0.5:
        moment = dt.datetime(day.year, day.month, day.day)
        date_text = day.isoformat()
    else:
        moment = dt.datetime(day.year, day.month, day.day, rng.randrange(24), rng.randrange(60))
        date_text = _iso(moment)
    n = len(cited)
    story: dict[str, Any] = {"title": title, "date": date_text}
    if rng.random() < 0.3:
        story["updated"] = _iso(moment + dt.timedelta(minutes=rng.randint(60, 72 * 60)))
    story["topics"] = rng.sample(topics, 3)
    if rng.random() < 0.5:
        story["location"] = rng.choice(_PLACES)
    if rng.random() < 0.8:
        story["summary"] = " ".join(_sentence(rng, 10, 20) for _ in range(rng.randint(3, 5)))
    points = []
    for _ in range(rng.randint(3, 8)):
        text = _sentence(rng, 12, 28)
        if rng.random() < 0.9:
            text += " [" + ", ".join(map(str, _cited(rng, n))) + "]"
        points.append(text)
    story["key_points"] = points
    perspectives = []
    for _ in range(rng.choices((0, 1, 2, 3), weights=(4, 2, 2, 1))[0]):
        item: dict[str, Any] = (
            {"side": rng.choice(("left", "center", "right"))}
            if rng.random() < 0.5
            else {"actor": f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"}
        )
        item["text"] = _sentence(rng, 15, 35)
        if rng.random() < 0.8:
            item["sources"] = _cited(rng, n, 2)
        perspectives.append(item)
    if perspectives:
        story["perspectives"] = perspectives
    timeline = []
    for _ in range(rng.choices((0, 2, 3, 4), weights=(5, 2, 2, 1))[0]):
        when = moment - dt.timedelta(days=rng.randint(0, 20))
        timeline.append({"date": when.date().isoformat(), "text": _sentence(rng, 10, 25)})
    if timeline:
        story["timeline"] = sorted(timeline, key=lambda e: str(e["date"]))
    sources = []
    for j, key in enumerate(cited, start=1):
        headline = _title(rng, 5, 12)
        source: dict[str, Any] = {
            "outlet": key,
            "title": headline,
            "url": f"{outlets[key].get('url', 'https://' + key + '.example')}"
            f"/{day:%Y/%m}/{_slugify(headline)[:60]}-{i}-{j}",
        }
        if rng.random() < 0.9:
            published = moment - dt.timedelta(minutes=rng.randint(0, 72 * 60))
            source["published"] = _iso(published)
        if rng.random() < 0.85:
            source["excerpt"] = " ".join(_sentence(rng, 8, 14) for _ in range(3))
        if rng.random() < 0.02:
            source["bias"] = rng.choice(("left", "center", "right"))
        sources.append(source)
    story["sources"] = sources
    return story, slug


def dump_yaml(data: Any) -> bytes:
    text: str = yaml.dump(
        data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100,
        default_flow_style=False,
    )
    return text.encode("utf-8")


def write_corpus(corpus: Corpus, root: Path) -> None:
    """`root/outlets.yaml` and `root/stories/<slug>.yaml` (the folder is made anew)."""
    shutil.rmtree(root, ignore_errors=True)
    (root / "stories").mkdir(parents=True)
    (root / "outlets.yaml").write_bytes(dump_yaml(corpus.outlets))
    for slug, story in corpus.stories:
        write_story(root, slug, story)


def write_story(root: Path, slug: str, story: dict[str, Any]) -> Path:
    path = root / "stories" / f"{slug}.yaml"
    path.write_bytes(dump_yaml(story))
    return path


def generate(root: Path, size: int, seed: int = 0) -> Corpus:
    """Make and write a corpus of `size` stories under `root`."""
    path = mbfc_export_path()
    corpus = make_corpus(size, seed, read_export(path) if path else None)
    write_corpus(corpus, root)
    return corpus


# --- the baseline: the same stories as plain Pelican pages ---------------------

BASELINE_SETTINGS = """\
# Plain Pelican: default theme (notmyidea), default settings, no plugins.
SITENAME = "Baseline"
SITEURL = ""
TIMEZONE = "UTC"
DEFAULT_LANG = "en"
PLUGINS = []
"""


def baseline_markdown(story: dict[str, Any], slug: str, outlets: dict[str, dict[str, Any]]) -> str:
    lines = [
        f"Title: {story['title']}",
        f"Date: {story['date']}",
        f"Tags: {', '.join(story['topics'])}",
        f"Slug: {slug}",
    ]
    if "updated" in story:
        lines.append(f"Modified: {story['updated']}")
    lines.append("")
    if "summary" in story:
        lines += [story["summary"], ""]
    lines += ["## Key points", ""]
    lines += [f"- {point}" for point in story["key_points"]]
    lines += ["", "## Sources", ""]
    for j, source in enumerate(story["sources"], start=1):
        when = f", {source['published'][:10]}" if "published" in source else ""
        name = outlets[source["outlet"]]["name"]
        lines.append(f"{j}. [{source['title']}]({source['url']}) — {name}{when}")
    return "\n".join(lines) + "\n"


def write_baseline(corpus: Corpus, root: Path) -> Path:
    """The corpus as plain Markdown under `root/content`; returns the settings file."""
    shutil.rmtree(root, ignore_errors=True)
    content = root / "content"
    content.mkdir(parents=True)
    for slug, story in corpus.stories:
        text = baseline_markdown(story, slug, corpus.outlets)
        (content / f"{slug}.md").write_text(text, encoding="utf-8")
    settings = root / "pelicanconf.py"
    settings.write_text(BASELINE_SETTINGS, encoding="utf-8")
    return settings


# --- measuring child processes ------------------------------------------------


@dataclass
class Measure:
    label: str
    seconds: float
    peak_kib: int = 0  # ru_maxrss of wait4: the largest single process
    tree_kib: int = 0  # sampled sum of the PSS of every process of the tree
    output_bytes: int | None = None
    phases: dict[str, float] = field(default_factory=dict)
    returncode: int = 0
    load: float = 0.0  # 1-minute load average when the step started (others' work = noise)
    #: Microseconds to create an empty file just before the step (`file_creation`).
    create_us: float = 0.0
    #: Seconds of each run when the step ran several times (`seconds` is their median).
    samples: list[float] = field(default_factory=list)


class _TreeSampler(threading.Thread):
    """Adds up the memory of a process and its descendants every `interval` seconds
    or more: PSS (proportional set size: a page shared by forked workers counts once
    in all), RSS where PSS cannot be read.

    Reading a process's PSS walks its page tables under its memory map's lock: ~40 ms
    for each 800 MiB process of a 10,000-story build, which has four. Sampled every
    50 ms regardless, the tree took most of a core from the build it measured (a
    cold 10,000-story build read 61 s instead of 52 s). So the sampler rests ten
    times as long as its last sample took: it costs the step at most a tenth of a
    core, at the price of fewer samples of a large tree (its peak is a lower bound;
    the build process's own peak comes from `wait4`, exact)."""

    #: Rest after a sample, as a multiple of the time the sample took.
    BACKOFF = 10

    def __init__(self, pid: int, interval: float = 0.05) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.peak_kib = 0
        self._halt = threading.Event()
        self._page_kib = os.sysconf("SC_PAGE_SIZE") // 1024

    def run(self) -> None:
        while not self._halt.is_set():
            start = time.perf_counter()
            self.peak_kib = max(self.peak_kib, self._tree_kib())
            took = time.perf_counter() - start
            self._halt.wait(max(self.interval, self.BACKOFF * took))

    def stop(self) -> None:
        self._halt.set()
        self.join()

    def _tree_kib(self) -> int:
        total, todo = 0, [self.pid]
        while todo:
            pid = todo.pop()
            try:
                total += self._pss_kib(pid)
                for task in os.listdir(f"/proc/{pid}/task"):
                    with open(f"/proc/{pid}/task/{task}/children") as handle:
                        todo += [int(child) for child in handle.read().split()]
            except (OSError, ValueError, IndexError):
                continue
        return total

    def _pss_kib(self, pid: int) -> int:
        try:
            with open(f"/proc/{pid}/smaps_rollup") as handle:
                for line in handle:
                    if line.startswith("Pss:"):
                        return int(line.split()[1])
        except OSError:
            pass
        with open(f"/proc/{pid}/statm") as handle:
            return int(handle.read().split()[1]) * self._page_kib


def measure(label: str, command: Sequence[str | Path], log: Path, cwd: Path = PROJECT) -> Measure:
    """Run `command`, output to `log`; wall time, wait4's max RSS, sampled tree RSS.
    The disk is synced first: the previous step's writes are not flushed during
    this one."""
    log.parent.mkdir(parents=True, exist_ok=True)
    os.sync()
    create_us = file_creation(log.parent / f".probe-{log.stem}")
    load = os.getloadavg()[0]
    with open(log, "wb") as handle:
        start = time.perf_counter()
        child = subprocess.Popen([str(c) for c in command], cwd=cwd, stdout=handle,
                                 stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        sampler = _TreeSampler(child.pid)
        sampler.start()
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - start
        sampler.stop()
    child.returncode = os.waitstatus_to_exitcode(status)
    text = log.read_text(encoding="utf-8", errors="replace")
    return Measure(
        label, seconds, peak_kib=int(usage.ru_maxrss), tree_kib=sampler.peak_kib,
        phases={m.group(1): float(m.group(2)) for m in _TIMING_RE.finditer(text)},
        returncode=child.returncode, load=load, create_us=create_us,
    )


def file_creation(folder: Path, files: int = 500) -> float:
    """Microseconds to create an empty file in a new `folder` (kept: deleting would
    slow the next step). A cold build creates ~13 files per story against the
    baseline's ~1.2, so the disk's pace weighs on their ratio: ~20–40 µs on a quiet
    disk here, 300–700 µs for minutes after many files were deleted."""
    folder.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    for n in range(files):
        os.close(os.open(folder / f"{n}", os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o644))
    return (time.perf_counter() - start) / files * 1e6


def disk_usage(path: Path) -> int:
    """Bytes on disk under `path`, each inode once (as `du -s`)."""
    seen: set[tuple[int, int]] = set()
    total = 0
    for folder, dirs, files in os.walk(path):
        for name in (*dirs, *files):
            st = os.lstat(os.path.join(folder, name))
            if (st.st_dev, st.st_ino) not in seen:
                seen.add((st.st_dev, st.st_ino))
                total += st.st_blocks * 512
    return total


class BenchFailed(Exception):
    pass


def build_command(content: Path, site: Path, work: Path, cache: Path) -> list[str | Path]:
    """`parallax build --timings` with its work folder and parse cache in the bench's own
    folders (the project's .cache/ may hold these stories from an earlier run)."""
    return [sys.executable, "-m", "generator.cli", "build", "--content", content,
            "--output", site, "--work", work, "--cache", cache, "--timings"]


def _checked(result: Measure, log: Path) -> Measure:
    if result.returncode != 0:
        tail = log.read_text(encoding="utf-8", errors="replace")[-3000:]
        raise BenchFailed(f"{result.label} exited {result.returncode}; log {log}:\n{tail}")
    return result


def median(runs: Sequence[Measure]) -> Measure:
    """The median run (the lower middle one of an even count: a run that happened,
    with its own phases and memory), carrying every run's seconds."""
    ordered = sorted(runs, key=lambda m: m.seconds)
    middle = ordered[(len(ordered) - 1) // 2]
    return Measure(**{**vars(middle), "samples": [m.seconds for m in runs]})


def _spread(m: Measure) -> str:
    """`(3 runs: 5.41–5.65 s)`, or nothing for a single run."""
    if len(m.samples) < 2:
        return ""
    return f" (median of {len(m.samples)} runs: {min(m.samples):.2f}–{max(m.samples):.2f} s)"


# --- one size -------------------------------------------------------------------


@dataclass
class SizeResult:
    size: int
    sources: int
    corpus_bytes: int
    generate_seconds: float
    runs: dict[str, Measure] = field(default_factory=dict)
    edit_visible: bool | None = None


#: Baseline and cold build run this many times, alternately, at sizes up to
#: `REPEAT_UP_TO` (their ratio is the target; one run of each varies by ±10 % here);
#: larger sizes run once (a 10,000-story pair takes two minutes).
REPEAT = 3
REPEAT_UP_TO = 2000


def bench_size(
    size: int, work: Path, seed: int = 0, baseline: bool = True,
    say: Any = lambda _: None, rounds: int = 1,
) -> SizeResult:
    py = sys.executable
    root = work / f"n{size}"
    root.mkdir(parents=True)  # new: `main` set any earlier one aside, undeleted
    logs = root / "logs"
    content = root / "content"

    start = time.perf_counter()
    corpus = generate(content, size, seed)
    generated = time.perf_counter() - start
    result = SizeResult(
        size, sum(len(s["sources"]) for _, s in corpus.stories), disk_usage(content), generated
    )
    say(f"{size} stories: corpus written in {generated:.1f} s ({result.sources} sources)")

    def run(key: str, label: str, command: Sequence[str | Path], log_name: str = "") -> Measure:
        log = logs / f"{log_name or key}.log"
        measured = _checked(measure(label, command, log), log)
        result.runs[key] = measured
        say(f"{size} stories: {label}: {measured.seconds:.2f} s, "
            f"{measured.peak_kib / 1024:.0f} MiB peak")
        return measured

    run("check", "parallax check", [py, "-m", "generator.cli", "check", "--content", content])

    # Baseline and cold build alternately, each round into folders of its own: no
    # output is deleted between them (on this disk, files created in the minutes after
    # many were deleted take up to ten times longer; see docs/benchmarks.md).
    settings = write_baseline(corpus, root / "baseline") if baseline else None
    bases: list[Measure] = []
    colds: list[Measure] = []
    site = root / "site"
    for n in range(rounds, 0, -1):  # the last round's folders are `site`, `build`, `cache`
        suffix = f".{n}" if n > 1 else ""
        if settings is not None:
            out = root / "baseline" / f"output{suffix}"
            done = run("baseline", "Pelican baseline",
                       [py, "-m", "pelican", root / "baseline" / "content", "-o", out,
                        "-s", settings, "-q"], f"baseline{suffix}")
            done.output_bytes = disk_usage(out)
            bases.append(done)
        folders = (root / f"site{suffix}", root / f"build{suffix}", root / f"cache{suffix}")
        cold = run("cold", "parallax build, cold, no search",
                   [*build_command(content, *folders), "--no-search"], f"cold{suffix}")
        cold.output_bytes = disk_usage(folders[0])
        colds.append(cold)
    if bases:
        result.runs["baseline"] = median(bases)
    result.runs["cold"] = median(colds)
    build = build_command(content, site, root / "build", root / "cache")
    pagefind = run("pagefind", "Pagefind alone on that output",
                   [py, "-m", "pagefind", "--site", site, "--silent",
                    "--glob", "stories/*/index.html"])
    pagefind.output_bytes = disk_usage(site / "pagefind") if (site / "pagefind").exists() else 0

    slug, story = corpus.stories[len(corpus.stories) // 2]
    page = site / "stories" / slug / "index.html"
    visible = []
    for key, label, extra in (
        ("rebuild-nosearch", "parallax build after one edit, no search", ["--no-search"]),
        ("rebuild", "parallax build after one edit", []),
    ):
        token = f"Benchmark edit {key} {time.strftime('%H%M%S')} zqx"
        edited = dict(story, key_points=[f"{token}: {story['key_points'][0]}",
                                         *story["key_points"][1:]])
        write_story(content, slug, edited)
        rebuild = run(key, label, [*build, *extra])
        rebuild.output_bytes = disk_usage(site)
        visible.append(page.is_file() and token in page.read_text(encoding="utf-8"))
    result.edit_visible = all(visible)
    return result


# --- the report -----------------------------------------------------------------


def commit() -> str:
    try:
        done = subprocess.run(
            ["git", "describe", "--always", "--dirty"], cwd=PROJECT, capture_output=True,
            text=True, timeout=10, check=False,
        )
    except OSError:
        return "`unknown`"
    return f"`{done.stdout.strip() or 'unknown'}`"


def machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = "unknown"
    try:
        kib = int(Path("/proc/meminfo").read_text().split("MemTotal:")[1].split()[0])
        ram = f"{kib / 1024 / 1024:.1f} GiB"
    except (OSError, IndexError, ValueError):
        pass
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "ram": ram,
        "python": platform.python_version(),
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": commit(),
    }


def _mib(value: int | None, unit: int = 1024 * 1024) -> str:
    return "–" if value is None else f"{value / unit:,.0f}" if value >= 10 * unit \
        else f"{value / unit:,.1f}"


_ROWS = (
    ("check", "`parallax check`"),
    ("baseline", "plain Pelican (baseline)"),
    ("cold", "`parallax build`, cold, `--no-search`"),
    ("pagefind", "Pagefind alone (`python -m pagefind --site`)"),
    ("cold+pagefind", "cold build + Pagefind"),
    ("rebuild-nosearch", "`parallax build` after editing one story, `--no-search`"),
    ("rebuild", "`parallax build` after editing one story (with search)"),
)


def _cold_total(r: SizeResult) -> Measure | None:
    cold, pagefind = r.runs.get("cold"), r.runs.get("pagefind")
    if cold is None or pagefind is None:
        return None
    return Measure(
        "cold+pagefind", cold.seconds + pagefind.seconds,
        peak_kib=max(cold.peak_kib, pagefind.peak_kib),
        tree_kib=max(cold.tree_kib, pagefind.tree_kib), load=cold.load,
        output_bytes=cold.output_bytes + (pagefind.output_bytes or 0)
        if cold.output_bytes is not None else None,
    )


def table(results: Sequence[SizeResult]) -> str:
    lines = [
        "| stories | step | seconds | × baseline | peak RSS MiB | tree PSS MiB | output MiB "
        "| load | disk µs |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        runs = dict(r.runs)
        total = _cold_total(r)
        if total is not None:
            runs["cold+pagefind"] = total
        base = runs.get("baseline")
        for key, name in _ROWS:
            m = runs.get(key)
            if m is None:
                continue
            ratio = f"{m.seconds / base.seconds:.2f}" if base and key != "check" else "–"
            output = "–" if key == "check" else _mib(m.output_bytes)
            lines.append(
                f"| {r.size:,} | {name} | {m.seconds:.2f} | {ratio} | {m.peak_kib / 1024:,.0f} "
                f"| {m.tree_kib / 1024:,.0f} | {output} | {m.load:.1f} "
                f"| {f'{m.create_us:,.0f}' if m.create_us else '–'} |"
            )
    return "\n".join(lines)


def _phases(m: Measure | None) -> str:
    if m is None or not m.phases:
        return "–"
    return ", ".join(f"{k} {v:.2f}" for k, v in m.phases.items())


def targets(results: Sequence[SizeResult]) -> list[str]:
    by = {r.size: r for r in results}
    out: list[str] = []

    def verdict(ok: bool | None) -> str:
        return "not measured" if ok is None else ("**met**" if ok else "**missed**")

    small = by.get(1000)
    cold1 = small.runs.get("cold") if small else None
    base1 = small.runs.get("baseline") if small else None
    total1 = _cold_total(small) if small else None
    if cold1 and base1:
        ratio = cold1.seconds / base1.seconds
        out.append(f"- Cold build of 1,000 stories ≤ 1.5 × baseline: build {ratio:.2f} ×"
                   + (f" (with Pagefind {total1.seconds / base1.seconds:.2f} ×)" if total1 else "")
                   + f" — {verdict(ratio <= 1.5)} (judged on the build without search)"
                   + (f"; build {cold1.seconds:.2f} s{_spread(cold1)}, baseline "
                      f"{base1.seconds:.2f} s{_spread(base1)}" if cold1.samples else ""))
    else:
        out.append(f"- Cold build of 1,000 stories ≤ 1.5 × baseline — {verdict(None)}")
    rebuild1 = small.runs.get("rebuild-nosearch") if small else None
    searched = small.runs.get("rebuild") if small else None
    if rebuild1 and small:
        ok = rebuild1.seconds <= 2.0 and bool(small.edit_visible)
        search = searched.phases.get("search") if searched else None
        out.append(f"- Rebuild after editing one story (1,000 stories) ≤ 2 s, edit visible: "
                   f"{rebuild1.seconds:.2f} s without search"
                   + (f"; {searched.seconds:.2f} s with the search index rebuilt "
                      f"(Pagefind {search:.2f} s of it)" if searched and search else "")
                   + f", edit {'visible' if small.edit_visible else 'NOT visible'}"
                   f" — {verdict(ok)} (judged on the build without search)")
    else:
        out.append(f"- Rebuild after editing one story ≤ 2 s — {verdict(None)}")
    large = by.get(10000)
    cold10 = large.runs.get("cold") if large else None
    total10 = _cold_total(large) if large else None
    if cold1 and cold10:
        ratio = cold10.seconds / cold1.seconds
        out.append(f"- 10,000 stories ≤ 10.5 × the 1,000-story time: {ratio:.2f} × "
                   f"(cold build, no search"
                   + (f"; with Pagefind {total10.seconds / total1.seconds:.2f} ×"
                      if total10 and total1 else "")
                   + f") — {verdict(ratio <= 10.5)}")
    else:
        out.append(f"- 10,000 stories ≤ 10.5 × the 1,000-story time — {verdict(None)}")
    colds = [(r.size, r.runs["cold"]) for r in results if "cold" in r.runs]
    if colds:
        worst = max(m.peak_kib for _, m in colds) / 1024
        each = "; ".join(f"{size:,}: {m.peak_kib / 1024:,.0f} MiB the build process, "
                         f"{m.tree_kib / 1024:,.0f} MiB with its chart workers"
                         for size, m in colds)
        out.append(f"- Peak memory of the build process ≤ 1 GiB (cold, no search: {each}) — "
                   f"{verdict(worst <= 1024)}")
    pagefinds = [r.runs["pagefind"] for r in results if "pagefind" in r.runs]
    if pagefinds:
        out.append("- Pagefind, reported apart: " + "; ".join(
            f"{r.size:,}: {r.runs['pagefind'].peak_kib / 1024:,.0f} MiB peak"
            for r in results if "pagefind" in r.runs))
    check1 = small.runs.get("check") if small else None
    if check1:
        out.append(f"- `parallax check` of 1,000 stories takes a few seconds at most: "
                   f"{check1.seconds:.2f} s — {verdict(check1.seconds <= 5.0)} (read as ≤ 5 s)")
    return out


def report(results: Sequence[SizeResult], info: dict[str, str], seed: int) -> str:
    """The generated section (without the markers)."""
    lines = [
        f"Run of {info['date']} on {info['cpu']}, {info['cores']} cores, {info['ram']} RAM, "
        f"Python {info['python']}, commit {info['commit']}; seed {seed}.",
        "",
        table(results),
        "",
        "seconds: wall clock of the child process, interpreter start included (baseline "
        "and cold build up to 2,000 stories: the median of alternate runs, each into "
        "folders of its own); peak RSS: "
        "`ru_maxrss` from `wait4` (the largest single process of the tree); tree PSS: the "
        "proportional set size of the whole process tree summed (pages that forked workers "
        "share count once), sampled every 50 ms or, for a large tree, ten times as long as "
        "a sample takes (reading it is not free) (a build running Pagefind or a process pool "
        "counts them all); output: `du` of the output folder (for Pagefind: of `pagefind/`); "
        "load: 1-minute load average when the step started (on 2 cores, above ~0.5 means "
        "other work shared the machine); disk µs: time to create an empty file just "
        "before the step (~20–40 µs on a quiet disk here; up to ~700 µs for minutes after "
        "many files were deleted, which slows a cold build, ~13 files a story, far more "
        "than the baseline, ~1.2).",
        "",
        "Corpora:",
        "",
    ]
    for r in results:
        lines.append(f"- {r.size:,} stories, {r.sources:,} sources, {OUTLETS:,} outlets, "
                     f"{r.corpus_bytes / 2**20:.1f} MiB of YAML, written in "
                     f"{r.generate_seconds:.1f} s")
    lines += ["", "Phases (`parallax build --timings`, seconds):", ""]
    for r in results:
        lines.append(f"- {r.size:,} cold: {_phases(r.runs.get('cold'))}")
        lines.append(f"- {r.size:,} after one edit, no search: "
                     f"{_phases(r.runs.get('rebuild-nosearch'))}")
        lines.append(f"- {r.size:,} after one edit: {_phases(r.runs.get('rebuild'))}")
    lines += ["", "Targets:", "", *targets(results)]
    return "\n".join(lines)


def replace_section(document: str, generated: str) -> str:
    """`document` with the text between the markers replaced (markers kept); the
    section is appended when the markers are missing."""
    block = f"{START_MARK}\n{generated.rstrip()}\n{END_MARK}"
    start = document.find(START_MARK)
    end = document.find(END_MARK, start + 1) if start >= 0 else -1
    if start < 0 or end < 0:
        return document.rstrip("\n") + ("\n\n" if document.strip() else "") + block + "\n"
    return document[:start] + block + document[end + len(END_MARK):]


_NEW_DOCUMENT = """\
# Benchmarks

`make bench` (`parallax bench`) generates synthetic corpora and times the build
against plain Pelican; see the docstring of generator/bench.py for what it runs.
The section between the markers is rewritten by each run; notes outside stay.

"""


def write_report(path: Path, generated: str) -> None:
    document = path.read_text(encoding="utf-8") if path.exists() else _NEW_DOCUMENT
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(replace_section(document, generated), encoding="utf-8")


# --- command line ------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES),
                        metavar="N", help="corpus sizes in stories (default: 1000 10000)")
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK, metavar="DIR",
                        help="corpora, caches and outputs (default: $TMPDIR/parallax-bench)")
    parser.add_argument("--skip-baseline", action="store_true",
                        help="do not build the plain-Pelican baseline")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--report", type=Path, default=DEFAULT_REPORT, metavar="FILE",
                        help="Markdown file whose marked section gets the table "
                             "(default: docs/benchmarks.md)")
    parser.add_argument("--no-report", action="store_true", help="print the table only")
    parser.add_argument("--keep", action="store_true",
                        help="keep corpora and outputs in the work folder")
    parser.add_argument("--repeat", type=int, default=REPEAT, metavar="N",
                        help=f"runs of the baseline and of the cold build, alternately, at "
                             f"sizes up to {REPEAT_UP_TO:,} stories; the median counts "
                             f"(default: {REPEAT})")


def _iter_results(args: argparse.Namespace) -> Iterator[SizeResult]:
    for size in args.sizes:
        yield bench_size(size, args.work, args.seed, not args.skip_baseline,
                         say=lambda text: print(text, file=sys.stderr, flush=True),
                         rounds=args.repeat if size <= REPEAT_UP_TO else 1)


def _set_aside(trees: Iterable[Path], trash: Path) -> None:
    """Move `trees` into `trash` (a rename: nothing is deleted yet)."""
    for tree in trees:
        if tree.exists():
            trash.mkdir(parents=True, exist_ok=True)
            tree.rename(trash / f"{tree.name}.{len(os.listdir(trash))}")


def _empty_trash(work: Path) -> None:
    for trash in work.glob(".trash-*"):  # ours, and any an interrupted run left
        shutil.rmtree(trash, ignore_errors=True)


def main(args: argparse.Namespace) -> int:
    """Every tree is deleted after the last measurement, never before one: this
    disk creates files up to ten times slower in the minutes after many were
    deleted (ext4 without a journal skips recently freed inodes), which would time
    the previous run's cleanup rather than the build."""
    info = machine()
    results: list[SizeResult] = []
    trees = [args.work / f"n{size}" for size in args.sizes]
    trash = args.work / f".trash-{os.getpid()}"
    _set_aside(trees, trash)
    try:
        for result in _iter_results(args):
            results.append(result)
    except BenchFailed as failed:
        print(f"parallax bench: {failed}", file=sys.stderr)
        if not results:
            return 1
    finally:
        if not args.keep:
            _set_aside(trees, trash)
        _empty_trash(args.work)
    after = commit()
    if after != info["commit"]:
        info["commit"] += f" ({after} at the end: the code changed during the run)"
    generated = report(results, info, args.seed)
    print(generated)
    args.work.mkdir(parents=True, exist_ok=True)
    (args.work / "results.json").write_text(json.dumps(
        [{"size": r.size, "sources": r.sources, "edit_visible": r.edit_visible,
          "runs": {k: vars(m) for k, m in r.runs.items()}} for r in results], indent=2,
    ) + "\n", encoding="utf-8")
    if not args.no_report:
        write_report(args.report, generated)
        print(f"parallax bench: table written to {args.report}", file=sys.stderr)
    return 0 if len(results) == len(args.sizes) else 1
