"""Chart phase: pure specs (content-addressed, alt text) and deterministic rendering."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from generator import charts
from generator.charts import (
    DEFAULT_PALETTE,
    BiasBar,
    CoverageTimeline,
    Day,
    Distribution,
    Palette,
    SocialCard,
    render_card_png,
    render_svg,
    story_charts,
    write_charts,
)
from generator.figures import StoryFigures, Thresholds, story_figures
from generator.model import Outlet, Source, Story

ROOT = Path(__file__).resolve().parent.parent
SVG = "{http://www.w3.org/2000/svg}"

OUTLETS = {
    "lefty": Outlet(name="Lefty Post", bias="left", factuality="high", ownership="corporation"),
    "middle": Outlet(name="Middle Wire", bias="center", factuality="very-high"),
    "righty": Outlet(name="Righty Times", bias="lean-right", ownership="billionaire"),
    "nobody": Outlet(name="Nobody News"),
}
SIDE_OUTLET = {"left": "lefty", "center": "middle", "right": "righty", None: "nobody"}


def figures(
    sides: Sequence[str | None],
    published: Sequence[datetime | None] | None = None,
    title: str = "Talks in Istanbul",
) -> StoryFigures:
    """A story with one source per entry of `sides` (left/center/right/None)."""
    published = published or [None] * len(sides)
    sources = [
        Source(
            outlet=SIDE_OUTLET[side],
            title=f"Article {i}",
            url=f"https://example.com/{i}",
            published=when,
        )
        for i, (side, when) in enumerate(zip(sides, published, strict=True))
    ]
    story = Story(
        title=title,
        date=datetime(2025, 5, 16, tzinfo=UTC),
        slug="talks",
        key_points=["Talks took place."],
        sources=sources,
    )
    return story_figures(story, OUTLETS, Thresholds())


def example_19() -> StoryFigures:
    """§2's example: 3 Left, 6 Center, 6 Right, 4 unrated → 20 / 40 / 40."""
    return figures(["left"] * 3 + ["center"] * 6 + ["right"] * 6 + [None] * 4)


def texts(svg: bytes) -> list[str]:
    return [t.text or "" for t in ET.fromstring(svg).iter(f"{SVG}text")]


# --- specs ----------------------------------------------------------------------


def test_same_figures_give_same_filenames() -> None:
    a, b = story_charts(example_19()), story_charts(example_19())
    assert a == b and hash(a.bias) == hash(b.bias)
    assert [s.filename for s in a.all()] == [s.filename for s in b.all()]
    assert re.fullmatch(r"bias-[0-9a-f]{16}\.svg", a.bias.filename)
    assert re.fullmatch(r"factuality-[0-9a-f]{16}\.svg", a.factuality.filename)
    assert re.fullmatch(r"ownership-[0-9a-f]{16}\.svg", a.ownership.filename)
    assert re.fullmatch(r"card-[0-9a-f]{16}\.png", a.card.filename)
    assert len({s.filename for s in a.all()}) == len(a.all())


def test_different_numbers_give_different_filenames() -> None:
    a = story_charts(example_19())
    b = story_charts(figures(["left"] * 4 + ["center"] * 6 + ["right"] * 6 + [None] * 4))
    assert a.bias.filename != b.bias.filename
    # Same percents but other counts: the legend differs, so does the file.
    assert BiasBar(1, 1, 2, 0, (25, 25, 50)).filename != BiasBar(2, 2, 4, 0, (25, 25, 50)).filename
    # Different stories with the same numbers share the chart file.
    c = story_charts(dataclasses.replace(example_19(), slug="other"))
    assert c.bias.filename == a.bias.filename


def test_palette_and_title_are_part_of_the_name() -> None:
    plain = story_charts(example_19())
    swapped = story_charts(example_19(), DEFAULT_PALETTE.swapped())
    assert DEFAULT_PALETTE.swapped().left == DEFAULT_PALETTE.right
    for a, b in zip(plain.all(), swapped.all(), strict=True):
        assert a.filename != b.filename
    retitled = story_charts(
        figures(["left"] * 3 + ["center"] * 6 + ["right"] * 6 + [None] * 4, title="Another title")
    )
    assert retitled.card.filename != plain.card.filename
    assert retitled.bias.filename == plain.bias.filename


def test_alt_texts_give_the_numbers() -> None:
    charts_ = story_charts(example_19())
    assert charts_.bias.alt == (
        "Bias distribution of 19 articles: 20% Left (3), 40% Center (6), 40% Right (6); 4 unrated."
    )
    assert story_charts(
        figures(["left", "center", "center", "center", "right", "right", "right"])
    ).bias.alt == ("Bias distribution of 7 articles: 14% Left (1), 43% Center (3), 43% Right (3).")
    assert story_charts(figures([None, None])).bias.alt == (
        "Bias distribution of 2 articles: not enough rated sources (2 unrated)."
    )
    fact = charts_.factuality
    assert fact.items == (("Very high", 6), ("High", 3)) and fact.unrated == 10
    assert fact.alt == "Factuality of the outlets of 19 articles: Very high 6, High 3; 10 unrated."
    own = charts_.ownership
    assert (
        own.alt
        == "Ownership of the outlets of 19 articles: Corporation 3, Billionaire 6; 10 unrated."
    )
    assert "20% Left, 40% Center, 40% Right" in charts_.card.alt
    assert charts_.card.alt.startswith("Talks in Istanbul")


# --- timeline (pure) ------------------------------------------------------------------


def test_timeline_counts_articles_per_utc_day() -> None:
    d = datetime
    f = figures(
        ["right", "left", "center", None, "left", "center"],
        [
            d(2025, 5, 16, 9, tzinfo=UTC),
            d(2025, 5, 15, 22, tzinfo=UTC),  # the earliest: broke the story
            # 16 May 21:30 in New York is 17 May 01:30 UTC.
            d(2025, 5, 16, 21, 30, tzinfo=timezone(timedelta(hours=-4))),
            d(2025, 5, 17, 8, tzinfo=UTC),
            d(2025, 5, 19, 8, tzinfo=UTC),  # 18 May has no article: kept as zero
            None,
        ],
    )
    timeline = story_charts(f).timeline
    assert timeline is not None
    assert timeline.days == (
        Day(date(2025, 5, 15), left=1),
        Day(date(2025, 5, 16), right=1),
        Day(date(2025, 5, 17), center=1, unrated=1),
        Day(date(2025, 5, 18)),
        Day(date(2025, 5, 19), left=1),
    )
    assert timeline.broke == date(2025, 5, 15)
    assert timeline.broke_by == "Lefty Post"
    assert timeline.undated == 1 and timeline.total == 5
    assert re.fullmatch(r"timeline-[0-9a-f]{16}\.svg", timeline.filename)
    assert "15 May: 1 (1 Left)" in timeline.alt
    assert "17 May: 2 (1 Center, 1 unrated)" in timeline.alt
    assert "Lefty Post broke the story on 15 May 2025." in timeline.alt
    assert "1 article without a date is not shown." in timeline.alt


def test_no_published_date_means_no_timeline() -> None:
    charts_ = story_charts(example_19())
    assert charts_.timeline is None
    assert [s.kind for s in charts_.all()] == ["bias", "factuality", "ownership", "card"]


def test_a_long_span_keeps_only_days_with_articles() -> None:
    first = datetime(2025, 1, 1, tzinfo=UTC)
    f = figures(["left", "right"], [first, first + timedelta(days=200)])
    timeline = story_charts(f).timeline
    assert timeline is not None
    assert [d.day for d in timeline.days] == [date(2025, 1, 1), date(2025, 7, 20)]


# --- rendering --------------------------------------------------------------------


def test_bias_bar_svg_keeps_text_as_text_and_uses_the_palette() -> None:
    svg = render_svg(story_charts(example_19()).bias)
    words = texts(svg)
    for label in ("20%", "40%"):
        assert any(label in t for t in words), words
    assert "Left 20% (3)" in words and "Center 40% (6)" in words and "4 unrated" in words
    assert b"DejaVuSans-" not in svg  # no embedded glyph outlines
    assert b"font-family: 'DejaVu Sans', 'Arial', 'Helvetica'" in svg
    for colour in (DEFAULT_PALETTE.left, DEFAULT_PALETTE.center, DEFAULT_PALETTE.right):
        assert colour.encode() in svg
    assert b"<title>Bias distribution of 19 articles" in svg
    assert b"Date" not in svg and b"Creator" not in svg and b"matplotlib" not in svg
    assert len(svg) < 8000
    custom = Palette(left="#123456", center="#abcdef", right="#fedcba")
    svg2 = render_svg(story_charts(example_19(), custom).bias)
    assert all(c in svg2 for c in (b"#123456", b"#abcdef", b"#fedcba"))


def test_tiny_segments_have_no_label_but_the_legend_has_the_number() -> None:
    words = texts(render_svg(BiasBar(1, 97, 2, 0, (1, 97, 2))))
    assert "Center 97%" in words
    assert "1%" not in words and "Left 1%" not in words  # too small to label in place
    assert "Left 1% (1)" in words and "Right 2% (2)" in words


def test_no_rated_source_renders_not_enough_rated_sources() -> None:
    spec = story_charts(figures([None, None, None])).bias
    assert spec.percents is None
    words = texts(render_svg(spec))
    assert "Not enough rated sources" in words
    assert not any("%" in w for w in words)


def test_distribution_and_timeline_render() -> None:
    charts_ = story_charts(example_19())
    words = texts(render_svg(charts_.factuality))
    assert {"Factuality", "Very high", "High", "Unrated", "6", "3", "10"} <= set(words)
    f = figures(["left", "right"], [datetime(2025, 5, 15, tzinfo=UTC), None])
    timeline = story_charts(f).timeline
    assert timeline is not None
    words = texts(render_svg(timeline))
    assert "Lefty Post broke the story" in words and "15 May" in words


def test_dollar_signs_are_not_mathtext() -> None:
    card = SocialCard("A $5bn deal and a $10bn fine", (50, 0, 50), 2)
    assert render_card_png(card)[:8] == b"\x89PNG\r\n\x1a\n"
    spec = Distribution("ownership", "Ownership", (("$x$", 1),), 0)
    assert "$x$" in texts(render_svg(spec))


def test_rendering_is_byte_identical_and_leaves_matplotlib_settings_alone() -> None:
    import matplotlib

    spec = story_charts(example_19()).bias
    before = dict(matplotlib.rcParams)
    first = render_svg(spec)
    render_svg(BiasBar(1, 2, 3, 4, (17, 33, 50)))
    assert render_svg(spec) == first
    assert dict(matplotlib.rcParams) == before  # the chart style is scoped to the drawing


def test_the_short_way_writes_the_plain_svg_renderers_very_bytes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The renderer that keeps each style writes what matplotlib's own writes, for
    every kind of chart, twice over (the second time from its kept styles)."""
    from matplotlib.backends.backend_svg import RendererSVG

    day = datetime(2025, 5, 16, 9, tzinfo=UTC)
    specs = [
        *story_charts(example_19()).svgs(),
        *story_charts(figures(["left", None, "right", "right"],
                              [day, day + timedelta(days=3), None, day],
                              title="Tax <b> & \"quotes\"")).svgs(),
        BiasBar(1, 2, 3, 4, (17, 33, 50)),
        BiasBar(0, 0, 0, 5, None),
        Distribution("ownership", "Ownership", (("<script>$x$</script>", 1), ("Ünïcode", 7)), 2),
    ]
    fast = [render_svg(spec) for spec in specs] + [render_svg(spec) for spec in specs]
    monkeypatch.setattr(charts, "_renderer_class", lambda: RendererSVG)
    plain = [render_svg(spec) for spec in specs] * 2
    assert fast == plain
    assert all(b"<text" in svg for svg in plain)


def test_segments_are_rounded_only_at_the_ends_of_the_bar() -> None:
    svg = render_svg(BiasBar(3, 6, 6, 0, (20, 40, 40))).decode()
    paths = re.findall(r'<path d="([^"]*)" style="fill: (#[0-9a-f]{6})', svg)
    bar = [d for d, colour in paths[:3]]
    assert [c for _, c in paths[:3]] == ["#1d5fa8", "#9ca3af", "#c43d1a"]
    curves = [d.count("Q") for d in bar]
    assert curves == [2, 0, 2]  # left end, middle, right end: no clip paths needed
    assert "clip-path" not in svg


def test_card_is_1200_by_630_and_deterministic() -> None:
    card = story_charts(example_19()).card
    png = render_card_png(card)
    image = Image.open(io.BytesIO(png))
    assert image.size == (1200, 630)
    assert render_card_png(card) == png
    assert render_card_png(dataclasses.replace(card, percents=None)) != png
    assert len(png) < 80_000


def test_card_png_is_five_valid_chunks_and_the_very_pixels_drawn() -> None:
    """The card's PNG is written here (zlib-ng, not Pillow's system zlib): signature,
    IHDR (8-bit palette), PLTE, IDAT, IEND, each with its CRC; decoded, it is the
    image as drawn."""
    import struct
    import zlib

    image = Image.new("P", (7, 3), 1)
    image.putpalette([10, 20, 30, 200, 100, 50, 1, 2, 3])
    image.putpixel((2, 1), 2)
    png = charts._png(charts._Rows.of(image), bytes([10, 20, 30, 200, 100, 50, 1, 2, 3]))
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    chunks, at = [], 8
    while at < len(png):
        (length,) = struct.unpack(">I", png[at : at + 4])
        kind, data = png[at + 4 : at + 8], png[at + 8 : at + 8 + length]
        (crc,) = struct.unpack(">I", png[at + 8 + length : at + 12 + length])
        assert crc == zlib.crc32(kind + data), kind
        chunks.append((kind, data))
        at += 12 + length
    assert [k for k, _ in chunks] == [b"IHDR", b"PLTE", b"IDAT", b"IEND"]
    assert chunks[0][1] == struct.pack(">IIBBBBB", 7, 3, 8, 3, 0, 0, 0)
    assert chunks[1][1] == bytes([10, 20, 30, 200, 100, 50, 1, 2, 3])
    decoded = Image.open(io.BytesIO(png))
    assert decoded.mode == "P" and decoded.size == (7, 3)
    assert decoded.convert("RGB").tobytes() == image.convert("RGB").tobytes()


@pytest.mark.parametrize("xy", [(2, 1), (0, 0), (-3, -2), (5, 2), (9, 1), (1, 4), (-9, 0)])
def test_card_rows_take_a_paste_as_pillow_does(xy: tuple[int, int]) -> None:
    """A text pasted into the card's rows lands where `Image.paste` puts it, clipped
    at every edge, each row still behind its zero filter byte."""
    image = Image.new("P", (7, 4), 1)
    piece = Image.frombytes("L", (4, 3), bytes(range(20, 32)))
    rows = charts._Rows.of(image)
    rows.paste(piece, xy)
    image.paste(piece, xy)
    framed = b"".join(b"\0" + image.tobytes()[r * 7 : r * 7 + 7] for r in range(4))
    assert bytes(rows.data) == framed


def _greedy(text: str, size: int, width: float) -> list[str]:
    """The plain greedy wrap (every candidate measured) the card's must agree with."""
    font = charts._pil_font(size, True)
    lines: list[str] = []
    line = ""
    for word in text.split():
        while font.getlength(word) > width:
            cut = len(word)
            while cut > 1 and font.getlength(word[:cut]) > width:
                cut -= 1
            if line:
                lines.append(line)
                line = ""
            lines.append(word[:cut])
            word = word[cut:]
        if line and font.getlength(f"{line} {word}") <= width:
            line = f"{line} {word}"
        else:
            if line:
                lines.append(line)
            line = word
    if line:
        lines.append(line)
    return lines


TITLES = [
    "Talks in Istanbul",
    "Senate passes sweeping climate bill after marathon overnight session in Washington",
    "Storm batters coast, thousands without power as officials warn of flooding along "
    "the river delta while evacuation orders spread to three more counties overnight",
    "Donaudampfschifffahrtsgesellschaftskapitänswitwenrentenversicherungsanstalt "
    "und Co. melden Rekord",
    "A " * 60,
    "Überraschung: Ärzte warnen vor Hitzewelle — «Ça suffit», dit la ministre",
]


@pytest.mark.parametrize("title", TITLES)
def test_card_titles_wrap_greedily_at_the_largest_size_that_fits(title: str) -> None:
    """Lines are filled word by word and cut inside a word only when it alone is
    wider than a line; the title takes the largest size at which it fits in four
    lines (else the smallest, its last line ending in an ellipsis)."""
    width = 1200 - 2 * charts._CARD_MARGIN
    sizes = (60, 54, 48, 44, 40)
    for size in sizes:
        assert charts._wrap(title, size, width) == _greedy(title, size, width)
    size, lines = charts._fit_title(title, width)
    fitting = [s for s in sizes if len(_greedy(title, s, width)) <= 4]
    if fitting:
        assert (size, lines) == (fitting[0], _greedy(title, fitting[0], width))
    else:
        assert size == 40 and len(lines) == 4 and lines[-1].endswith("…")
    font = charts._pil_font(size, True)
    assert all(font.getlength(line) <= width for line in lines)


def test_card_colours_are_the_palette_and_its_blends() -> None:
    """The card maps to a fixed palette (no adaptive one per card): each side's colour
    is there exactly, and a swapped palette gives its own colours, not the default's."""
    from PIL import ImageColor

    card = story_charts(example_19()).card
    for palette in (DEFAULT_PALETTE, DEFAULT_PALETTE.swapped()):
        image = Image.open(io.BytesIO(render_card_png(card, palette)))
        assert image.mode == "P"
        used = {colour for _, colour in image.convert("RGB").getcolors(256) or []}
        assert used, "more than 256 colours: not the fixed palette"
        for side in (palette.left, palette.center, palette.right):
            assert ImageColor.getrgb(side) in used
        allowed = set(charts._CardInks.of(palette).colours)
        assert used <= allowed
        assert ImageColor.getrgb(charts._CARD_PAPER) in used  # exact, not a near colour


def test_card_text_lies_where_pillow_draws_it_and_labels_are_drawn_once() -> None:
    """Card text is Pillow's own mask mapped to the palette's blends: the same pixels
    as `ImageDraw.text` (at a fraction of a pixel too); a bar label, kept per process,
    pastes the very pixels `text` draws at that whole-pixel point."""
    from PIL import ImageDraw

    inks = charts._CardInks.of(DEFAULT_PALETTE)
    font = charts._pil_font(28, True)
    front, back = charts._ink(DEFAULT_PALETTE.left), DEFAULT_PALETTE.left
    levels = bytes(inks.ramps[(front, back)][round(v * charts._BLEND_STEPS / 255)]
                   for v in range(256))
    base = inks.index(back)
    for xy in ((300.0, 40.0), (300.5, 40.25), (301.75, 39.5)):
        drawn = Image.new("P", (600, 80), base)
        inks.text(drawn, xy, "Left 33%", font, front, back, "mm")
        mask = Image.new("L", (600, 80), 0)
        ImageDraw.Draw(mask).text(xy, "Left 33%", font=font, fill=255, anchor="mm")
        assert drawn.tobytes() == mask.tobytes().translate(levels), xy
    once, twice = (Image.new("P", (600, 80), base) for _ in range(2))
    inks.label(once, (300, 40), "Left 33%", font, front, back, "mm")
    inks.label(twice, (300, 40), "Left 33%", font, front, back, "mm")
    plain = Image.new("P", (600, 80), base)
    inks.text(plain, (300, 40), "Left 33%", font, front, back, "mm")
    assert once.tobytes() == twice.tobytes() == plain.tobytes() != Image.new("P", (600, 80),
                                                                            base).tobytes()


def test_a_new_drawing_is_a_new_file_name(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chart files are named by content, the drawing code's version included: a kept
    `build/` never serves the old look under the same name."""
    card = story_charts(example_19()).card
    before = card.filename
    monkeypatch.setattr(charts, "DRAWING", charts.DRAWING + 1)
    charts._renderer_version.cache_clear()
    try:
        assert dataclasses.replace(card).filename != before
    finally:
        monkeypatch.undo()
        charts._renderer_version.cache_clear()


def test_bytes_are_the_same_in_a_fresh_process() -> None:
    f = figures(["left", "center", None], [datetime(2025, 5, 15, tzinfo=UTC), None, None])
    specs = story_charts(f).all()
    here = [hashlib.sha256(charts.render(s)).hexdigest() for s in specs]
    code = (
        "import hashlib, json, pickle, sys\n"
        "from generator import charts\n"
        "specs = pickle.loads(bytes.fromhex(sys.argv[1]))\n"
        "print(json.dumps([hashlib.sha256(charts.render(s)).hexdigest() for s in specs]))\n"
    )
    import pickle

    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run(
        [sys.executable, "-c", code, pickle.dumps(specs).hex()],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert json.loads(out.stdout) == here


# --- writing ------------------------------------------------------------------------


def test_write_charts_renders_only_missing_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    specs = story_charts(example_19()).all()
    calls: list[str] = []
    real = charts.render

    def counting(spec: charts.ChartSpec) -> bytes:
        calls.append(spec.filename)
        return real(spec)

    monkeypatch.setattr(charts, "render", counting)
    paths = write_charts(specs, tmp_path, jobs=1)
    assert [p.name for p in paths] == [s.filename for s in specs]
    assert sorted(calls) == sorted(s.filename for s in specs)
    assert all(p.is_file() and p.stat().st_size > 0 for p in paths)
    mtimes = {p: p.stat().st_mtime_ns for p in paths}

    calls.clear()
    (tmp_path / specs[0].filename).unlink()
    again = write_charts([*specs, specs[1]], tmp_path, DEFAULT_PALETTE, jobs=1)
    assert calls == [specs[0].filename]  # only the missing one, once
    assert again[-1] == again[1]
    assert all(p.stat().st_mtime_ns == mtimes[p] for p in paths[1:])
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp files left


def test_write_charts_refuses_a_palette_the_specs_were_not_made_with(tmp_path: Path) -> None:
    specs = story_charts(example_19()).all()
    with pytest.raises(ValueError, match="palette"):
        write_charts(specs, tmp_path, DEFAULT_PALETTE.swapped())
    assert not list(tmp_path.iterdir())


def test_write_charts_in_parallel_writes_the_same_bytes(tmp_path: Path) -> None:
    specs = [
        BiasBar(left, 10 - left, 3, 1, tuple(charts_pct(left, 10 - left, 3)))  # type: ignore[arg-type]
        for left in range(10)
    ]
    assert len(specs) > charts.PARALLEL_THRESHOLD
    paths = write_charts(specs, tmp_path / "out", jobs=2)
    assert [p.read_bytes() for p in paths] == [render_svg(s) for s in specs]


def _worker_niceness() -> int:
    return os.nice(0)


def test_chart_workers_run_below_the_build_and_ignore_ctrl_c() -> None:
    """Pelican, in the build process, is the longest path: workers must not slow it."""
    import multiprocessing
    import signal
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(1, mp_context=context, initializer=charts._init_worker) as pool:
        niceness = pool.submit(_worker_niceness).result()
        handler = pool.submit(signal.getsignal, signal.SIGINT).result()
    assert niceness == min(os.nice(0) + charts.WORKER_NICENESS, 19)
    assert handler == signal.SIG_IGN


def charts_pct(*counts: int) -> tuple[int, ...]:
    from generator.figures import largest_remainder

    result = largest_remainder(counts)
    assert result is not None
    return result


def test_charts_are_drawn_by_every_core_but_the_builds_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from generator import charts as c

    for cores, workers in ((None, 1), (1, 1), (2, 1), (8, 7)):
        monkeypatch.setattr(c.os, "cpu_count", lambda n=cores: n)
        assert c.chart_workers() == workers


def test_timeline_spec_is_hashable_and_frozen() -> None:
    spec = CoverageTimeline((Day(date(2025, 1, 1), left=1),), date(2025, 1, 1), None, 0)
    assert spec in {spec}
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.undated = 3  # type: ignore[misc]
    assert "The first article broke the story on 1 Jan 2025." in spec.alt


def test_the_size_in_pixels_matches_the_drawn_svg() -> None:
    """`width`/`height` go into the `<img>` tag; they must be the SVG's own size."""
    import re

    from generator import charts as c

    specs = [
        c.BiasBar(3, 6, 6, 4, (20, 40, 40)),
        c.Distribution("factuality", "Factuality", (("High", 3), ("Mixed", 1)), 2),
    ]
    for spec in specs:
        svg = c.render_svg(spec).decode()
        width, height = (float(v) for v in re.search(
            r'width="([\d.]+)pt" height="([\d.]+)pt"', svg).groups())
        assert (spec.width, spec.height) == (round(width * 4 / 3), round(height * 4 / 3))


def test_a_broken_worker_pool_falls_back_to_drawing_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Workers that cannot start (say, a `__main__` they cannot import again) must
    not fail the build: the missing charts are drawn in the building process."""
    from concurrent.futures import Future
    from concurrent.futures.process import BrokenProcessPool

    from generator import charts as c
    from generator.figures import largest_remainder

    class BrokenPool:
        def __init__(self, *args: object, **kwargs: object) -> None:
            pass

        def submit(self, *args: object) -> Future[int]:
            future: Future[int] = Future()
            future.set_exception(BrokenProcessPool("no workers"))
            return future

        def shutdown(self) -> None:
            pass

    monkeypatch.setattr(c, "ProcessPoolExecutor", BrokenPool)
    specs = [c.BiasBar(n, 1, 1, 0, largest_remainder((n, 1, 1))) for n in range(1, 12)]
    paths = c.write_charts(specs, tmp_path, jobs=2)
    assert all(p.is_file() for p in paths) and len(set(paths)) == len(specs)

    class BreakingPool(BrokenPool):
        """Takes a few batches, then refuses more (as a pool does once a worker died
        while a cold build still hands over charts story by story)."""

        taken = 0

        def submit(self, fn: Any, *args: object) -> Future[int]:
            BreakingPool.taken += 1
            if BreakingPool.taken > 3:
                raise BrokenProcessPool("a worker died")
            future: Future[int] = Future()
            future.set_result(fn(*args))  # drawn, as a worker would
            return future

    monkeypatch.setattr(c, "ProcessPoolExecutor", BreakingPool)
    drawing = c.Drawing(workers=2)
    many = [c.BiasBar(n, 2, 1, 0, largest_remainder((n, 2, 1))) for n in range(1, 200)]
    for start in range(0, len(many), 10):  # story by story
        drawing.add(many[start : start + 10], tmp_path / "streamed")
    drawn = drawing.wait()
    assert BreakingPool.taken > 3
    assert all(p.is_file() for p in drawn) and len(set(drawn)) == len(many)


def _cards(n: int) -> list[SocialCard]:
    return [SocialCard(f"Story number {i} about the harbour strike", (20, 30, 50), i + 1)
            for i in range(n)]


def test_workers_take_svg_charts_first_and_the_build_takes_only_cards() -> None:
    from generator import charts as c
    from generator.figures import largest_remainder

    drawing = c.Drawing(workers=1)
    bars = [c.BiasBar(n, 1, 1, 0, largest_remainder((n, 1, 1))) for n in range(1, 70)]
    folder = Path("/nonexistent")  # nothing is drawn: the queue only
    drawing._queued = {"SocialCard": [(s, folder) for s in _cards(70)],
                       "BiasBar": [(s, folder) for s in bars]}
    assert {type(s).__name__ for s, _ in drawing._take(for_workers=True)} == {"BiasBar"}
    assert drawing._take(for_workers=True)[0][0].__class__.__name__ == "SocialCard"
    assert drawing._take(for_workers=True) == []  # 5 bars and 6 cards: no whole batch
    assert drawing._take(for_workers=False) == []
    drawing._last = True  # every job is in: the rest goes, in small batches
    assert len(drawing._take(for_workers=False)) == 6
    assert [type(s).__name__ for s, _ in drawing._take(for_workers=True)] == ["BiasBar"] * 5
    assert drawing._take(for_workers=True) == []


def test_the_build_draws_cards_itself_while_it_waits(tmp_path: Path) -> None:
    """Once every job is in, the cards still queued are shared between the worker
    and the build (whose core would otherwise idle): every file, the same bytes."""
    from generator import charts as c
    from generator.figures import largest_remainder

    drawing = c.Drawing(workers=1)
    bars = [c.BiasBar(n, 2, 3, 0, largest_remainder((n, 2, 3))) for n in range(1, 41)]
    cards = _cards(200)
    drawing.add(bars, tmp_path / "charts")
    drawing.add(cards, tmp_path / "cards")
    paths = drawing.wait()
    assert 0 < drawing.drawn_here <= len(cards)
    assert len(paths) == len(bars) + len(cards)
    assert [p.read_bytes() for p in paths] == [c.render(s) for s in [*bars, *cards]]


def test_drawing_a_card_needs_no_matplotlib() -> None:
    """The build draws cards itself: it must not import matplotlib to do so (~0.1 s)."""
    code = ("import sys; from generator.charts import SocialCard, render_card_png; "
            "render_card_png(SocialCard('A title', (20, 30, 50), 3)); "
            "print('matplotlib' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, cwd=Path(__file__).resolve().parent.parent)
    assert done.stdout.strip() == "False"


def test_hex_colours_read_as_matplotlib_reads_them() -> None:
    from matplotlib.colors import to_rgb

    from generator import charts as c

    for colour in ("#1d5fa8", "#C43D1A", "#ffffff", "#000000", "tab:blue", "red"):
        assert c._rgb(colour) == to_rgb(colour), colour


def test_a_pool_shut_down_under_a_finished_batch_sends_nothing_more(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A batch that ends as the build stops the pool sends the next one into a shut
    pool: no error from the pool's thread (it would print a traceback after the
    build's one line), and what is left is drawn here."""
    from concurrent.futures import Future

    from generator import charts as c

    class ShutPool:
        taken = 0

        def __init__(self, *args: object, **kwargs: object) -> None:
            pass

        def submit(self, fn: Any, *args: object) -> Future[int]:
            ShutPool.taken += 1
            if ShutPool.taken > 3:
                raise RuntimeError("cannot schedule new futures after shutdown")
            future: Future[int] = Future()
            future.set_result(fn(*args))
            return future

        def shutdown(self) -> None:
            pass

    monkeypatch.setattr(c, "ProcessPoolExecutor", ShutPool)
    drawing = c.Drawing(workers=1)
    cards = _cards(150)
    drawing.add(cards, tmp_path)
    with caplog.at_level("ERROR", logger="concurrent.futures"):
        paths = drawing.wait()
    assert ShutPool.taken > 3
    assert caplog.records == []
    assert [p.read_bytes() for p in paths] == [c.render(s) for s in cards]
