"""Phase 3: the charts of a story page, and its social card.

Two halves:

* **Specs** — frozen, hashable dataclasses computed from `StoryFigures` (no
  matplotlib): `BiasBar`, `Distribution`, `CoverageTimeline`, `SocialCard`. Each
  has `.alt` (a full-sentence text alternative with every number) and
  `.filename`, `<kind>-<16 hex>.svg|png`, the SHA-256 of the spec's canonical
  JSON — palette, drawing-style version and matplotlib version included. The
  same numbers give the same file, so a file already in the output folder never
  needs drawing again.
* **Rendering** — `render_svg`, `render_card_png` and `write_charts`. matplotlib is
  imported only here, lazily. Output is byte-identical across runs and processes
  (fixed `svg.hashsalt`, no dates or creator in the metadata); SVG text stays
  `<text>` (no embedded glyphs), so files are small and readable by machines.

Colour is never the only cue: the bias bar writes the side and percentage on its
segments, and a legend row below repeats every side's name, percentage and count
in the fixed Left, Center, Right order (also on segments too small for a label).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import importlib.util
import json
import math
import os
import re
import signal
import struct
import threading
import zlib
from collections.abc import Collection, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, date, timedelta
from functools import cache, cached_property
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

from .files import write_new
from .workers import context

# The specs' builders import the figures and the model's labels when called (in the
# build): chart workers only draw, and their fork server starts faster without pydantic.
if TYPE_CHECKING:
    from .figures import StoryFigures

#: Bump when the drawing changes: every chart then gets a new file name.
STYLE_VERSION = 1

#: Font stack written into the SVGs; text is measured with DejaVu Sans, the widest.
FONT_STACK = ("DejaVu Sans", "Arial", "Helvetica", "Liberation Sans")

#: A timeline spanning more days than this shows only the days with articles.
MAX_TIMELINE_DAYS = 62

#: `write_charts` renders in a process pool only when more charts than this are missing.
PARALLEL_THRESHOLD = 8

SIDE_NAMES = ("Left", "Center", "Right")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_DARK_INK = "#111827"
_LIGHT_INK = "#ffffff"


# --- palette ------------------------------------------------------------------


@dataclass(frozen=True)
class Palette:
    """Chart colours. The defaults are told apart under deuteranopia and
    protanopia by lightness as well as hue (blue dark, grey light, red-orange in
    between); the ink on a segment is chosen for contrast with its colour.
    `text` is a mid grey readable on light and dark pages (charts are transparent).
    """

    left: str = "#1d5fa8"
    center: str = "#9ca3af"
    right: str = "#c43d1a"
    unrated: str = "#dcdfe3"
    accent: str = "#64748b"  # bars of the factuality / ownership charts
    text: str = "#767676"

    def swapped(self) -> Palette:
        """Left and Right colours exchanged (for editions where red is the left)."""
        return dataclasses.replace(self, left=self.right, right=self.left)


DEFAULT_PALETTE = Palette()


# --- specs --------------------------------------------------------------------


def _articles(n: int) -> str:
    return f"{n} article" if n == 1 else f"{n} articles"


def _day_label(day: date, year: bool = False) -> str:
    text = f"{day.day} {_MONTHS[day.month - 1]}"
    return f"{text} {day.year}" if year else text


def _json_default(value: object) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _fields(value)
    raise TypeError(f"not JSON serializable: {value!r}")  # pragma: no cover


#: Bumped when our drawing code changes what a chart looks like: chart files are
#: named by their content, so a new look must be a new name (a kept `build/` would
#: otherwise go on serving the old drawing).
DRAWING = 6


@cache
def _renderer_version() -> str:
    try:
        return f"matplotlib {metadata.version('matplotlib')}; drawing {DRAWING}"
    except metadata.PackageNotFoundError:  # pragma: no cover
        return f"matplotlib; drawing {DRAWING}"


def _fields(value: Any) -> dict[str, Any]:
    """A dataclass's fields, one level (nested ones go through `_json_default`):
    much cheaper than `dataclasses.asdict`, which deep-copies everything."""
    return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}


class _Spec:
    """Shared behaviour of the chart specs: canonical JSON and content-addressed name."""

    kind: str  # class attribute, or a field on Distribution
    extension = "svg"

    def canonical_json(self) -> str:
        data = {
            "kind": self.kind,
            "style": STYLE_VERSION,
            "renderer": _renderer_version(),
            "spec": _fields(self),
        }
        return json.dumps(
            data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_json_default
        )

    @property
    def height_pt(self) -> float:
        """The drawing's height in points (the width is `_WIDTH` for every chart)."""
        raise NotImplementedError

    @property
    def width(self) -> int:
        """Size in CSS pixels (matplotlib writes points: 1 pt = 4/3 px), for the
        `<img>` tag, so the page does not move when the chart arrives."""
        return round(_WIDTH * 4 / 3)

    @property
    def height(self) -> int:
        return round(self.height_pt * 4 / 3)

    @cached_property
    def filename(self) -> str:
        digest = hashlib.sha256(self.canonical_json().encode()).hexdigest()[:16]
        return f"{self.kind}-{digest}.{self.extension}"


@dataclass(frozen=True)
class BiasBar(_Spec):
    """Left / Center / Right counts and whole percents (None: no rated article)."""

    left: int
    center: int
    right: int
    unrated: int
    percents: tuple[int, int, int] | None
    palette: Palette = DEFAULT_PALETTE
    kind = "bias"

    @property
    def counts(self) -> tuple[int, int, int]:
        return self.left, self.center, self.right

    @property
    def total(self) -> int:
        return self.left + self.center + self.right + self.unrated

    @property
    def height_pt(self) -> float:
        return _BAR_HEIGHT + 26

    @property
    def alt(self) -> str:
        head = f"Bias distribution of {_articles(self.total)}: "
        if self.percents is None:
            return head + f"not enough rated sources ({self.unrated} unrated)."
        sides = ", ".join(
            f"{p}% {name} ({n})"
            for p, name, n in zip(self.percents, SIDE_NAMES, self.counts, strict=True)
        )
        tail = f"; {self.unrated} unrated." if self.unrated else "."
        return head + sides + tail


@dataclass(frozen=True)
class Distribution(_Spec):
    """Counts per value (factuality or ownership) in scale order, unrated apart."""

    kind: str  # "factuality" or "ownership": the file name's prefix
    title: str
    items: tuple[tuple[str, int], ...]  # (label, count), non-zero, in scale order
    unrated: int
    palette: Palette = DEFAULT_PALETTE

    @property
    def rows(self) -> tuple[tuple[str, int], ...]:
        """What the chart draws: the items, then "Unrated" when any is."""
        return self.items + ((("Unrated", self.unrated),) if self.unrated else ())

    @property
    def total(self) -> int:
        return sum(n for _, n in self.items) + self.unrated

    @property
    def height_pt(self) -> float:
        return 24.0 + 22.0 * len(self.rows) + 2

    @property
    def alt(self) -> str:
        parts = ", ".join(f"{label} {n}" for label, n in self.items) or "none rated"
        tail = f"; {self.unrated} unrated." if self.unrated else "."
        return f"{self.title} of the outlets of {_articles(self.total)}: {parts}{tail}"


@dataclass(frozen=True)
class Day:
    """Articles published on one calendar day (UTC), by side."""

    day: date
    left: int = 0
    center: int = 0
    right: int = 0
    unrated: int = 0

    @property
    def total(self) -> int:
        return self.left + self.center + self.right + self.unrated

    @property
    def stack(self) -> tuple[int, int, int, int]:
        return self.left, self.center, self.right, self.unrated


@dataclass(frozen=True)
class CoverageTimeline(_Spec):
    """Articles per calendar day (UTC) from the day the story broke.

    Days without articles in between are kept (zero), so the axis is to scale,
    unless the span is longer than `MAX_TIMELINE_DAYS`.
    """

    days: tuple[Day, ...]
    broke: date  # the day of the earliest `published`
    broke_by: str | None  # display name of the outlet that broke the news
    undated: int  # articles without `published`, not drawn
    palette: Palette = DEFAULT_PALETTE
    kind = "timeline"

    @property
    def total(self) -> int:
        return sum(d.total for d in self.days)

    @property
    def height_pt(self) -> float:
        return 210.0

    @property
    def alt(self) -> str:
        years = len({d.day.year for d in self.days}) > 1
        parts = []
        for d in self.days:
            if not d.total:
                continue
            sides = ", ".join(
                f"{n} {name}"
                for n, name in zip(d.stack, ("Left", "Center", "Right", "unrated"), strict=True)
                if n
            )
            parts.append(f"{_day_label(d.day, years)}: {d.total} ({sides})")
        who = self.broke_by or "The first article"
        text = (
            f"Coverage timeline of {_articles(self.total)} by day: {'; '.join(parts)}. "
            f"{who} broke the story on {_day_label(self.broke, True)}."
        )
        if self.undated:
            verb = "is" if self.undated == 1 else "are"
            text += f" {_articles(self.undated)} without a date {verb} not shown."
        return text


@dataclass(frozen=True)
class SocialCard(_Spec):
    """The 1200×630 PNG shown when a story is shared."""

    title: str
    percents: tuple[int, int, int] | None
    articles: int
    palette: Palette = DEFAULT_PALETTE
    kind = "card"
    extension = "png"

    @property
    def width(self) -> int:
        return _CARD[0]

    @property
    def height(self) -> int:
        return _CARD[1]

    @property
    def alt(self) -> str:
        if self.percents is None:
            bias = "not enough rated sources"
        else:
            left, center, right = self.percents
            bias = f"{left}% Left, {center}% Center, {right}% Right"
        return f"{self.title} — coverage of {_articles(self.articles)}: {bias}."


ChartSpec = BiasBar | Distribution | CoverageTimeline | SocialCard


@dataclass(frozen=True)
class StoryCharts:
    """Every chart of one story page."""

    bias: BiasBar
    factuality: Distribution
    ownership: Distribution
    timeline: CoverageTimeline | None  # None when no source has `published`
    card: SocialCard

    def svgs(self) -> tuple[ChartSpec, ...]:
        """The SVG charts (the page's), the missing timeline left out."""
        specs: list[ChartSpec] = [self.bias, self.factuality, self.ownership]
        if self.timeline is not None:
            specs.append(self.timeline)
        return tuple(specs)

    def all(self) -> tuple[ChartSpec, ...]:
        """The specs to write: the SVG charts and the card."""
        return (*self.svgs(), self.card)


def bias_bar(figures: StoryFigures, palette: Palette = DEFAULT_PALETTE) -> BiasBar:
    b = figures.bias
    return BiasBar(b.left, b.center, b.right, b.unrated, b.percents, palette)


def _label(kind: str, key: str) -> str:
    from .model import Factuality, Ownership

    if key == "unrated":
        return "Unrated"
    if kind == "factuality":
        return Factuality(key).label
    return Ownership(key).label


def distribution(
    kind: str, counts: Iterable[tuple[str, int]], palette: Palette = DEFAULT_PALETTE
) -> Distribution:
    """`kind` is "factuality" or "ownership"; `counts` the figures' mapping items."""
    pairs = dict(counts)
    unrated = pairs.pop("unrated", 0)
    items = tuple((_label(kind, k), n) for k, n in pairs.items() if n)
    return Distribution(kind, kind.title(), items, unrated, palette)


def coverage_timeline(
    figures: StoryFigures, palette: Palette = DEFAULT_PALETTE
) -> CoverageTimeline | None:
    """Articles per UTC calendar day; None when no source has `published`."""
    from .figures import BUCKETS

    broke = figures.coverage.broke_the_news
    dated = [e for e in figures.entries if e.source.published is not None]
    if broke is None or not dated:
        return None
    counts: dict[date, list[int]] = {}
    for entry in dated:
        assert entry.source.published is not None
        day = entry.source.published.astimezone(UTC).date()
        slot = 3 if entry.bucket is None else BUCKETS.index(entry.bucket)
        counts.setdefault(day, [0, 0, 0, 0])[slot] += 1
    first, last = min(counts), max(counts)
    span = (last - first).days + 1
    days_shown = (
        [first + timedelta(days=i) for i in range(span)]
        if span <= MAX_TIMELINE_DAYS
        else sorted(counts)
    )
    days = tuple(Day(d, *counts.get(d, [0, 0, 0, 0])) for d in days_shown)
    assert broke.source.published is not None
    return CoverageTimeline(
        days=days,
        broke=broke.source.published.astimezone(UTC).date(),
        broke_by=broke.outlet.name,
        undated=len(figures.entries) - len(dated),
        palette=palette,
    )


def social_card(figures: StoryFigures, palette: Palette = DEFAULT_PALETTE) -> SocialCard:
    return SocialCard(figures.story.title, figures.bias.percents, figures.bias.total, palette)


def story_charts(figures: StoryFigures, palette: Palette = DEFAULT_PALETTE) -> StoryCharts:
    """The chart specs of one story (pure: nothing is drawn or written)."""
    return StoryCharts(
        bias=bias_bar(figures, palette),
        factuality=distribution("factuality", figures.factuality.items(), palette),
        ownership=distribution("ownership", figures.ownership.items(), palette),
        timeline=coverage_timeline(figures, palette),
        card=social_card(figures, palette),
    )


# --- rendering ----------------------------------------------------------------
#
# Charts are drawn straight through matplotlib's SVG renderer (`RendererSVG`, its
# backend API) in points with y going down (1 unit = 1 pt = 1 CSS px at 72 dpi), so
# the layout reads like CSS. The Figure/Artist layer above it is skipped: it lays out
# and measures every text again for each chart (most of the ~4 ms a chart took
# through `savefig`), while these charts place everything themselves from font
# metrics measured once per process.

_SVG_METADATA = {"Date": None, "Creator": None, "Format": None, "Type": None}
_RC: dict[Any, Any] = {
    "svg.fonttype": "none",  # text stays <text>: small, selectable, no glyph paths
    "svg.hashsalt": "parallax",  # deterministic ids
    "svg.id": None,
    "font.family": ["sans-serif"],
    "font.sans-serif": list(FONT_STACK),
}


@contextmanager
def _style() -> Iterator[None]:
    """matplotlib's settings for these charts; entered once per batch of charts, as
    `rc_context` costs about as much as drawing a chart now does."""
    import matplotlib

    if all(matplotlib.rcParams[key] == value for key, value in _RC.items()):
        yield
    else:
        with matplotlib.rc_context(_RC):
            yield


# Chart sizes in points.
_WIDTH = 480
_BAR_HEIGHT = 28
_CARD = (1200, 630)


def _rgb(colour: str) -> tuple[float, float, float]:
    """As matplotlib's `to_rgb`, which `#rrggbb` (every colour of the default palette)
    does not need: a process drawing only cards never imports matplotlib (~0.1 s)."""
    if _HEX_RGB.fullmatch(colour):
        return (int(colour[1:3], 16) / 255, int(colour[3:5], 16) / 255,
                int(colour[5:7], 16) / 255)
    from matplotlib.colors import to_rgb

    rgb: tuple[float, float, float] = to_rgb(colour)
    return rgb


_HEX_RGB = re.compile("#[0-9a-fA-F]{6}")


def _luminance(colour: str) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in _rgb(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


@cache
def _ink(background: str) -> str:
    """White or near-black text, whichever contrasts more with `background`."""
    lum = _luminance(background)
    on_white = 1.05 / (lum + 0.05)
    on_dark = (lum + 0.05) / (_luminance(_DARK_INK) + 0.05)
    return _LIGHT_INK if on_white >= on_dark else _DARK_INK


@cache
def _font_file(bold: bool) -> str:
    """DejaVu Sans as matplotlib ships it, found without importing matplotlib (as
    `matplotlib.get_data_path()` would)."""
    spec = importlib.util.find_spec("matplotlib")
    assert spec is not None and spec.submodule_search_locations, "matplotlib is installed"
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    return str(Path(spec.submodule_search_locations[0], "mpl-data", "fonts", "ttf", name))


@cache
def _measuring_font(bold: bool) -> Any:
    """DejaVu Sans read into memory once: FreeType reading glyphs from the file
    costs a seek and a read system call per glyph."""
    import io

    from matplotlib.ft2font import FT2Font

    font = FT2Font(io.BytesIO(_font_bytes(bold)))
    font.set_size(_MEASURE_SIZE, 72)
    return font


#: Size text is measured at, then scaled (as matplotlib's `TextToPath` does).
_MEASURE_SIZE = 100.0


@cache
def _text_width(text: str, size: float, bold: bool = False) -> float:
    """Width in points of `text` set in DejaVu Sans (the widest of the stack),
    measured as matplotlib's text-to-path layout measures it."""
    from matplotlib.ft2font import LoadFlags

    font = _measuring_font(bold)
    font.set_text(text, 0.0, flags=LoadFlags.NO_HINTING)
    width, _ = font.get_width_height()
    return width / 64.0 * size / _MEASURE_SIZE


class _Anchor:
    """What `RendererSVG` asks of a text artist to write `text-anchor` (so browsers,
    whose fonts are narrower than DejaVu Sans, still centre and right-align text)."""

    def __init__(self, page: _Svg, x: float, y: float, ha: str) -> None:
        self._page, self._xy, self._ha = page, (x, y), ha

    def get_transform(self) -> Any:
        return self._page.to_display

    def get_unitless_position(self) -> tuple[float, float]:
        return self._xy

    def get_ha(self) -> str:
        return self._ha

    def get_rotation_mode(self) -> str:
        return "anchor"

    def get_page_height(self) -> float:
        return self._page.height


class _Svg:
    """One SVG being drawn: a `RendererSVG` writing to memory, coordinates in points
    from the top left."""

    def __init__(self, width: float, height: float) -> None:
        import io

        from matplotlib.transforms import Affine2D

        self.height = height
        self.buffer = io.StringIO()
        self.renderer = _renderer_class()(width, height, self.buffer, metadata=_SVG_METADATA)
        # Ours (y down) → matplotlib's display space (y up); the renderer flips back.
        self.to_display = Affine2D().scale(1, -1).translate(0, height)

    def path(self, path: Any, gc: Any, face: str | None) -> None:
        self.renderer.draw_path(gc, path, self.to_display, _face(face))

    def svg(self, alt: str) -> bytes:
        self.renderer.finalize()
        data = self.buffer.getvalue().encode("utf-8")
        # A <title> (the alt text) for readers who open the file on its own.
        end = data.index(b">", data.index(b"<svg")) + 1
        return data[:end] + b"\n <title>" + escape(alt).encode() + b"</title>" + data[end:]


@functools.lru_cache(maxsize=64)
def _face(colour: str | None) -> tuple[float, float, float, float] | None:
    from matplotlib.colors import to_rgba

    return None if colour in (None, "none") else to_rgba(colour)


class _Recorder:
    """Stands in for a renderer's XML writer for one call: keeps the attributes of
    the element written, and writes it."""

    def __init__(self, writer: Any) -> None:
        self.writer = writer
        self.attrib: dict[str, str] = {}

    def element(self, tag: str, text: str | None = None, attrib: Any = None, **extra: Any
                ) -> None:
        self.attrib = dict(attrib or {})
        self.writer.element(tag, text, attrib=attrib, **extra)


@cache
def _renderer_class() -> type:
    """`RendererSVG` writing the same bytes with its style work done once per style
    and process instead of once per element: working out a text's CSS (font family
    stack, weight, anchor) was 40 % of drawing a chart, a shape's a tenth. A test
    compares every element with the plain renderer's.

    Only what these charts draw takes the short way: unrotated plain text anchored
    by `_Anchor`, and shapes with no hatch. Styles are keyed by graphics context
    (made once per style by `_gc`), font and anchor; the font family stack comes
    from rcParams, which `_style()` fixes for every chart."""
    from matplotlib.backends.backend_svg import RendererSVG, _short_float_fmt

    class Renderer(RendererSVG):
        text_styles: dict[tuple[Any, ...], str] = {}
        path_styles: dict[tuple[Any, ...], str] = {}

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.flip: tuple[Any, Any] = (None, None)  # (transform, it flipped)

        def _draw_text_as_text(self, gc: Any, x: float, y: float, s: str, prop: Any,
                               angle: float, ismath: Any, mtext: Any = None) -> None:
            if ismath or angle != 0 or not isinstance(mtext, _Anchor):
                super()._draw_text_as_text(gc, x, y, s, prop, angle, ismath, mtext)
                return
            key = (gc, prop, mtext.get_ha())
            style = self.text_styles.get(key)
            if style is None:
                writer = self.writer
                recorder = _Recorder(writer)
                self.writer = recorder  # type: ignore[assignment]
                try:
                    super()._draw_text_as_text(gc, x, y, s, prop, angle, ismath, mtext)
                    self.text_styles[key] = recorder.attrib["style"]
                finally:
                    self.writer = writer
                return
            # The anchor point as matplotlib works it out: through `to_display`,
            # flipped back, moved onto the baseline (same float steps, same digits).
            ax, ay = mtext.get_unitless_position()
            ay = self.height - (mtext.get_page_height() - ay)
            ay = ay + (y - ay)
            fx, fy = _short_float_fmt(ax), _short_float_fmt(ay)
            self.writer.element("text", s, attrib={
                "style": style, "x": fx, "y": fy, "transform": f"rotate(0 {fx} {fy})",
            })

        def _make_flip_transform(self, transform: Any) -> Any:
            # Every shape of a page comes through the same `to_display`: one sum of
            # transforms per page instead of one per shape.
            if self.flip[0] is not transform:
                self.flip = (transform, super()._make_flip_transform(transform))
            return self.flip[1]

        def _get_style(self, gc: Any, rgbFace: Any) -> str:  # noqa: N803 (matplotlib's)
            if gc.get_hatch() is not None:
                return str(super()._get_style(gc, rgbFace))
            key = (gc, rgbFace)
            style = self.path_styles.get(key)
            if style is None:
                style = self.path_styles[key] = super()._get_style(gc, rgbFace)
            return style

    return Renderer


@functools.lru_cache(maxsize=256)
def _gc(stroke: str = "none", linewidth: float = 0.0, alpha: float | None = None,
        dashes: tuple[float, ...] | None = None) -> Any:
    """A graphics context as matplotlib's patches and lines set one up; made once
    per style and process (the SVG renderer only reads it; making one per shape was
    a tenth of drawing a chart)."""
    from matplotlib.backend_bases import GraphicsContextBase
    from matplotlib.colors import to_rgba

    gc = GraphicsContextBase()
    colour = to_rgba(stroke)
    gc.set_foreground(colour, isRGBA=True)
    gc.set_linewidth(linewidth if colour[3] else 0)
    gc.set_capstyle("butt")
    gc.set_joinstyle("round")
    if dashes:
        gc.set_dashes(0, [d * linewidth for d in dashes])  # scaled like lines.scale_dashes
    if alpha is not None:
        gc.set_alpha(alpha)
    return gc


@cache
def _font(size: float, bold: bool) -> Any:
    """FontProperties of the chart stack (written into the SVG as font-family)."""
    from matplotlib.font_manager import FontProperties

    return FontProperties(family=["sans-serif"], size=size, weight="bold" if bold else "normal")


@cache
def _ascent(bold: bool) -> float:
    """DejaVu Sans's ascent per point of size (OS/2 typographic ascender): what
    matplotlib's text layout centres a "center_baseline" line on."""
    from matplotlib.font_manager import get_font

    font = get_font(_font_file(bold))
    table = font.get_sfnt_table("OS/2")
    assert table is not None  # DejaVu Sans has one
    return float(table["sTypoAscender"]) / font.units_per_EM


def _text(
    page: _Svg,
    x: float,
    y: float,
    s: str,
    *,
    size: float,
    color: str,
    bold: bool = False,
    ha: str = "left",
    va: str = "baseline",
) -> None:
    """Plain text (never mathtext: a `$` in a title stays a dollar). `va` is
    "baseline" or "center_baseline" (`y` is the middle of the line's ascent)."""
    if va == "center_baseline":
        y += _ascent(bold) * size / 2
    page.renderer.draw_text(
        _gc(color), x, y, s, _font(size, bold), 0, ismath=False, mtext=_Anchor(page, x, y, ha)
    )


def _rounded(
    x: float, y: float, w: float, h: float, radius: float, left: bool = True, right: bool = True
) -> Any:
    """A rectangle whose left and/or right corners are rounded (quadratic curves, as
    matplotlib's "round" box style draws them)."""
    from matplotlib.path import Path

    sides = int(left) + int(right)
    r = min(radius, h / 2, w / sides) if sides else 0.0
    x1, y1 = x + w, y + h
    rl, rr = (r if left else 0.0), (r if right else 0.0)
    verts: list[tuple[float, float]] = [(x + rl, y), (x1 - rr, y)]
    codes = [Path.MOVETO, Path.LINETO]
    if rr:
        verts += [(x1, y), (x1, y + rr), (x1, y1 - rr), (x1, y1), (x1 - rr, y1)]
        codes += [Path.CURVE3, Path.CURVE3, Path.LINETO, Path.CURVE3, Path.CURVE3]
    else:
        verts += [(x1, y1)]
        codes += [Path.LINETO]
    verts += [(x + rl, y1)]
    codes += [Path.LINETO]
    if rl:
        verts += [(x, y1), (x, y1 - rl), (x, y + rl), (x, y), (x + rl, y)]
        codes += [Path.CURVE3, Path.CURVE3, Path.LINETO, Path.CURVE3, Path.CURVE3]
    verts.append((0.0, 0.0))
    codes.append(Path.CLOSEPOLY)
    return Path(verts, codes)


def _box(
    page: _Svg,
    x: float,
    y: float,
    w: float,
    h: float,
    color: str,
    radius: float = 0.0,
    *,
    edgecolor: str = "none",
    linewidth: float = 0.0,
    dashes: tuple[float, ...] | None = None,
    left: bool = True,
    right: bool = True,
) -> None:
    page.path(_rounded(x, y, w, h, radius, left, right), _gc(edgecolor, linewidth, None, dashes),
              color)


def _line(
    page: _Svg, x0: float, y0: float, x1: float, y1: float, color: str, *,
    linewidth: float = 1.0, alpha: float | None = None,
) -> None:
    from matplotlib.path import Path

    page.path(Path([(x0, y0), (x1, y1)]), _gc(color, linewidth, alpha), None)


def _segments(
    page: _Svg,
    percents: Sequence[int],
    colours: Sequence[str],
    names: Sequence[str],
    box: tuple[float, float, float, float],
    *,
    radius: float,
    size: float,
    gap: float,
) -> None:
    """The stacked Left/Center/Right bar, rounded at both ends, labelled in place."""
    x, y, width, height = box
    shown = [i for i, p in enumerate(percents) if p > 0]
    start = x
    for i in shown:
        w = width * percents[i] / 100
        first, last = i == shown[0], i == shown[-1]
        drawn = w - (0 if last else gap)
        _box(page, start, y, max(drawn, 0.5), height, colours[i], radius,
             left=first, right=last)
        pad = size * 0.5
        for label in (f"{names[i]} {percents[i]}%", f"{percents[i]}%"):
            if _text_width(label, size, bold=True) + 2 * pad <= drawn:
                _text(page, start + drawn / 2, y + height / 2, label, size=size,
                      color=_ink(colours[i]), bold=True, ha="center", va="center_baseline")
                break
        start += w


def _draw_bias(spec: BiasBar) -> _Svg:
    pal = spec.palette
    height = spec.height_pt
    page = _Svg(_WIDTH, height)
    box = (0.0, 1.0, float(_WIDTH), float(_BAR_HEIGHT))
    if spec.percents is None:
        # An outline, not a fill: reads on light and dark pages, and is plainly "no data".
        x, y, w, h = box
        _box(
            page,
            x + 0.75,
            y + 0.75,
            w - 1.5,
            h - 1.5,
            "none",
            radius=6,
            edgecolor=pal.text,
            linewidth=1.2,
            dashes=(4, 3),
        )
        _text(
            page,
            _WIDTH / 2,
            y + h / 2,
            "Not enough rated sources",
            size=12,
            color=pal.text,
            bold=True,
            ha="center",
            va="center_baseline",
        )
        _text(
            page,
            0,
            height - 6,
            f"{_articles(spec.total)}, none from a rated outlet",
            size=11,
            color=pal.text,
        )
        return page
    colours = (pal.left, pal.center, pal.right)
    names = ("Left", "Center", "Right")
    _segments(page, spec.percents, colours, names, box, radius=6, size=12, gap=2)
    # Legend: every side's name, percent and count, whatever the segment's size.
    items = [(colours[i], f"{names[i]} {spec.percents[i]}% ({spec.counts[i]})") for i in range(3)]
    if spec.unrated:
        items.append((None, f"{spec.unrated} unrated"))  # type: ignore[arg-type]
    size = 11.0
    swatch, gap_after_swatch, spacing = 9.0, 5.0, 16.0

    def row_width(s: float) -> float:
        return sum(
            (swatch + gap_after_swatch if c else 0) + _text_width(t, s) for c, t in items
        ) + spacing * (len(items) - 1)

    while row_width(size) > _WIDTH and size > 8:
        size -= 0.5
    x, baseline = 0.0, height - 6
    for colour, label in items:
        if colour:
            _box(page, x, baseline - swatch + 0.5, swatch, swatch, colour, radius=2)
            x += swatch + gap_after_swatch
        _text(page, x, baseline, label, size=size, color=pal.text)
        x += _text_width(label, size) + spacing
    return page


def _draw_distribution(spec: Distribution) -> _Svg:
    pal = spec.palette
    rows = spec.rows
    row_h, bar_h, top = 22.0, 12.0, 24.0
    height = spec.height_pt  # top + row_h * len(rows) + 2
    page = _Svg(_WIDTH, height)
    _text(page, 0, 13, spec.title, size=12, color=pal.text, bold=True)
    label_w = min(max((_text_width(label, 11) for label, _ in rows), default=60), 170)
    bar_x = label_w + 10
    count_room = max(_text_width(str(n), 11) for _, n in rows) + 8
    longest = max(n for _, n in rows)
    span = _WIDTH - bar_x - count_room
    for i, (label, n) in enumerate(rows):
        mid = top + row_h * i + row_h / 2
        _text(page, label_w, mid, label, size=11, color=pal.text, ha="right", va="center_baseline")
        w = max(span * n / longest, 2.0)
        unrated = spec.unrated and i == len(rows) - 1
        _box(page, bar_x, mid - bar_h / 2, w, bar_h, pal.unrated if unrated else pal.accent, 3)
        _text(page, bar_x + w + 6, mid, str(n), size=11, color=pal.text, va="center_baseline")
    return page


def _fit(name: str | None, suffix: str, room: float, size: float) -> str | None:
    """`name + suffix` in bold, the name cut short with "…" to fit `room` points."""
    if not name:
        return None
    text = name + suffix
    while _text_width(text, size, bold=True) > room and len(name) > 1:
        name = name[:-1].rstrip()
        text = name + "…" + suffix
    return text


def _nice_step(top: int, most: int = 4) -> int:
    for base in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000):
        if math.ceil(top / base) <= most:
            return base
    return 10 ** len(str(top))


def _draw_timeline(spec: CoverageTimeline) -> _Svg:
    pal = spec.palette
    height = spec.height_pt
    page = _Svg(_WIDTH, height)
    colours = (pal.left, pal.center, pal.right, pal.unrated)
    names = ("Left", "Center", "Right", "Unrated")
    peak = max((d.total for d in spec.days), default=1) or 1
    step = _nice_step(peak)
    axis_top = step * math.ceil(peak / step)
    x0, x1, plot_top, plot_bottom = 30.0, _WIDTH - 2.0, 30.0, height - 48
    scale = (plot_bottom - plot_top) / axis_top
    for value in range(0, axis_top + 1, step):
        y = plot_bottom - value * scale
        if value:
            _line(page, x0, y, x1, y, pal.text, linewidth=0.6, alpha=0.3)
        _text(page, x0 - 7, y, str(value), size=9, color=pal.text, ha="right", va="center_baseline")
    slot = (x1 - x0) / len(spec.days)
    bar_w = min(40.0, slot * 0.72)
    years = len({d.day.year for d in spec.days}) > 1
    label_every = max(1, math.ceil(len(spec.days) * (40 if not years else 62) / (x1 - x0)))
    for i, d in enumerate(spec.days):
        left = x0 + slot * i + (slot - bar_w) / 2
        base = plot_bottom
        for n, colour in zip(d.stack, colours, strict=True):
            if not n:
                continue
            h = n * scale
            _box(page, left, base - h, bar_w, max(h - 1, 0.5), colour)
            base -= h
        if i % label_every == 0:
            label = _day_label(d.day, years)
            half = _text_width(label, 9) / 2 + 1
            _text(
                page,
                min(max(left + bar_w / 2, half), _WIDTH - half),
                plot_bottom + 15,
                label,
                size=9,
                color=pal.text,
                ha="center",
            )
        if d.day == spec.broke:
            centre = left + bar_w / 2
            anchor_x, ha = (left, "left") if centre < _WIDTH / 2 else (left + bar_w, "right")
            room = 0.96 * (_WIDTH - anchor_x if ha == "left" else anchor_x)  # browser fonts vary
            who = _fit(spec.broke_by, " broke the story", room, 10) or "Broke the story"
            _text(page, anchor_x, 12, who, size=10, color=pal.text, bold=True, ha=ha)
            _line(page, centre, 17, centre, base - 3, pal.text, linewidth=0.8)
    _line(page, x0, plot_bottom, x1, plot_bottom, pal.text, linewidth=0.8, alpha=0.6)
    # Legend: the sides that appear.
    present = [i for i in range(4) if any(d.stack[i] for d in spec.days)]
    x, baseline = x0, height - 8
    for i in present:
        _box(page, x, baseline - 8.5, 9, 9, colours[i], radius=2)
        _text(page, x + 14, baseline, names[i], size=10, color=pal.text)
        x += 14 + _text_width(names[i], 10) + 16
    return page


def render_svg(
    spec: BiasBar | Distribution | CoverageTimeline, palette: Palette | None = None
) -> bytes:
    """The chart as SVG bytes, identical for identical specs, in any process.

    `palette` overrides the spec's own (the file name then no longer matches;
    `write_charts` never does this).
    """
    if palette is not None:
        spec = dataclasses.replace(spec, palette=palette)
    with _style():
        if isinstance(spec, BiasBar):
            page = _draw_bias(spec)
        elif isinstance(spec, Distribution):
            page = _draw_distribution(spec)
        elif isinstance(spec, CoverageTimeline):
            page = _draw_timeline(spec)
        else:
            raise TypeError(f"not an SVG chart spec: {type(spec).__name__}")
        return page.svg(spec.alt)


@functools.lru_cache(maxsize=32)
def _pil_font(size: int, bold: bool) -> Any:
    """The card's fonts from memory (a file would cost system calls per glyph)."""
    import io

    from PIL import ImageFont

    return ImageFont.truetype(io.BytesIO(_font_bytes(bold)), size)


@cache
def _font_bytes(bold: bool) -> bytes:
    return Path(_font_file(bold)).read_bytes()


def _wrap(text: str, size: int, width: float) -> list[str]:
    """Greedy word wrap measured in the card's bold face; long words are cut. One
    measure per word that fits (shaping a line is most of fitting a title)."""
    font = _pil_font(size, True)
    lines: list[str] = []
    line = ""
    for word in text.split():
        if line and font.getlength(f"{line} {word}") <= width:
            line = f"{line} {word}"
            continue
        if line:
            lines.append(line)
        while font.getlength(word) > width:  # a word wider than a line
            cut = len(word)
            while cut > 1 and font.getlength(word[:cut]) > width:
                cut -= 1
            lines.append(word[:cut])
            word = word[cut:]
        line = word
    if line:
        lines.append(line)
    return lines


def _fit_title(title: str, width: float, max_lines: int = 4) -> tuple[int, list[str]]:
    for size in (60, 54, 48, 44, 40):
        # Wider than the lines together, with the spaces they would break at (each
        # narrower than the size): it cannot fit, no need to wrap it.
        if _pil_font(size, True).getlength(title) > max_lines * (width + size):
            continue
        lines = _wrap(title, size, width)
        if len(lines) <= max_lines:
            return size, lines
    lines = _wrap(title, size, width)[:max_lines]
    font = _pil_font(size, True)
    last = lines[-1]
    while last and font.getlength(last + "…") > width:
        last = last[:-1].rstrip()
    lines[-1] = last + "…"
    return size, lines


def render_card_png(card: SocialCard, palette: Palette | None = None) -> bytes:
    """The 1200×630 social card as PNG bytes, drawn with Pillow (matplotlib's own
    image library and fonts): a card is text and flat shapes, and Pillow draws it
    in a few milliseconds where a matplotlib figure takes ~30. Deterministic: no
    metadata, pinned fonts.

    It is drawn straight in a fixed palette ("P" mode): every pixel is a colour of
    the card or a blend of one over the flat colour it is drawn on (anti-aliased
    edges), so text is set as a mask whose levels map to the blends. No RGB image to
    map afterwards; `_png` writes it (~15 kB). The card itself is `_Rows`, the bytes
    the PNG holds: each text is pasted into them and the bar drawn in a band of its
    own, so no whole image goes in and out of Pillow per card."""
    from PIL import ImageDraw

    pal = palette or card.palette
    width, _ = _CARD
    inks = _CardInks.of(pal)
    margin = _CARD_MARGIN
    base = _card_base(pal)
    rows = _card_rows(pal).copy()
    size, lines = _fit_title(card.title, width - 2 * margin)
    y = 150 + size
    for line in lines:
        inks.text(rows, (margin, y), line, _pil_font(size, True), _CARD_INK, _CARD_PAPER, "ls")
        y += round(size * 1.18)
    top, bottom = _CARD_BAR
    band = base.crop((0, top, width, bottom + 1))  # the bar's rows, drawn from y = 0
    box = (margin, 0, width - margin, bottom - top)
    label_font = _pil_font(28, True)
    if card.percents is None:
        ImageDraw.Draw(band).rounded_rectangle(box, 14, fill=inks.index(pal.unrated))
        middle = ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)
        inks.text(band, middle, "Not enough rated sources", label_font, _ink(pal.unrated),
                  pal.unrated, "mm")
        caption = f"{_articles(card.articles)}, none from a rated outlet"
    else:
        _pil_segments(band, inks, card.percents, (pal.left, pal.center, pal.right), box,
                      label_font)
        sides = " · ".join(f"{n} {p}%" for n, p in zip(SIDE_NAMES, card.percents, strict=True))
        caption = f"{_articles(card.articles)} by source bias: {sides}"
    rows.paste(band, (0, top))
    inks.text(rows, (margin, 578), caption, _pil_font(24, False), _CARD_MUTED, _CARD_PAPER,
              "ls")
    return _png(rows, inks.palette)


class _Rows:
    """An 8-bit image as the rows a PNG holds: each behind its filter byte (0, none).
    What `_png` deflates as it is: getting a whole 1200×630 image's bytes out of
    Pillow and framing its rows took a third of a card's time."""

    def __init__(self, size: tuple[int, int], data: bytearray) -> None:
        self.size, self.data = size, data

    @staticmethod
    def of(image: Any) -> _Rows:
        from PIL import Image

        width, height = image.size
        # The image pasted one column in, beside a column of zeros: Pillow lays out
        # the rows.
        framed = Image.new(image.mode, (width + 1, height), 0)
        framed.paste(image, (1, 0))
        return _Rows(image.size, bytearray(framed.tobytes()))

    def copy(self) -> _Rows:
        return _Rows(self.size, self.data[:])

    def paste(self, image: Any, xy: tuple[int, int]) -> None:
        """`image` (same bytes per pixel) with its top left at `xy`, clipped to the
        edges, as `Image.paste` places it."""
        width, height = self.size
        w, h = image.size
        x, y = xy
        x0, x1, y0, y1 = max(x, 0), min(x + w, width), max(y, 0), min(y + h, height)
        if x0 >= x1 or y0 >= y1:
            return
        source, data, stride, run = image.tobytes(), self.data, width + 1, x1 - x0
        for row in range(y0, y1):
            at = (row - y) * w + x0 - x
            to = row * stride + 1 + x0
            data[to : to + run] = source[at : at + run]


def _png(rows: _Rows, palette: bytes) -> bytes:
    """An 8-bit palette image as PNG: the five chunks a browser needs (no metadata,
    so the bytes depend on the pixels alone), its rows deflated by zlib-ng.

    Not `Image.save`: Pillow deflates through the system zlib, which spent 1.5 ms
    of a card's 3; zlib-ng takes 0.2 ms, and its files are smaller. Every row has
    filter type 0: a card is flat colour, which deflate packs well as it is."""
    from zlib_ng import zlib_ng

    width, height = rows.size
    header = struct.pack(">IIBBBBB", width, height, 8, 3, 0, 0, 0)  # 8 bits, palette
    return b"".join((
        b"\x89PNG\r\n\x1a\n",
        _chunk(b"IHDR", header),
        _chunk(b"PLTE", palette),
        _chunk(b"IDAT", zlib_ng.compress(rows.data, 2)),
        _chunk(b"IEND", b""),
    ))


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


_CARD_PAPER, _CARD_INK, _CARD_MUTED = "#f8f7f4", "#111827", "#4b5563"
_CARD_MARGIN = 72
#: The rows of the card's bar (top and bottom, inclusive).
_CARD_BAR = (462, 526)
#: Steps between a foreground colour and its background: text edges need no more.
_BLEND_STEPS = 12


class _CardInks:
    """The card's fixed palette: each colour it draws, over what it is drawn on, in
    `_BLEND_STEPS` steps (`colours`); `ramps` maps (front, back) to those steps'
    indices. One per palette and process (`of`)."""

    def __init__(self, pal: Palette) -> None:
        from PIL import ImageColor

        sides = (pal.left, pal.center, pal.right, pal.unrated)
        pairs = [(c, _CARD_PAPER) for c in (_CARD_INK, _CARD_MUTED, *sides)]
        pairs += [(_ink(c), c) for c in sides]
        index: dict[tuple[int, ...], int] = {}
        self.ramps: dict[tuple[str, str], tuple[int, ...]] = {}
        for front, back in pairs:
            f, b = ImageColor.getrgb(front), ImageColor.getrgb(back)
            steps = []
            for step in range(_BLEND_STEPS + 1):
                t = step / _BLEND_STEPS
                rgb = tuple(round(b[k] + (f[k] - b[k]) * t) for k in range(3))
                steps.append(index.setdefault(rgb, len(index)))
            self.ramps[(front, back)] = tuple(steps)
        assert len(index) <= 256
        self.colours = tuple(index)
        self.palette = bytes(v for colour in self.colours for v in colour)  # PLTE's bytes
        self._levels: dict[tuple[str, str], bytes] = {}
        self._labels: dict[tuple[Any, ...], tuple[Any, tuple[int, int]]] = {}

    @staticmethod
    @cache
    def of(pal: Palette) -> _CardInks:
        return _CardInks(pal)

    def index(self, colour: str) -> int:
        """A flat colour's index (the full step of its ramp, or the start of one
        drawn over it)."""
        for (front, back), steps in self.ramps.items():
            if front == colour:
                return steps[-1]
            if back == colour:
                return steps[0]
        raise KeyError(colour)

    def text(self, image: Any, xy: tuple[float, float], text: str, font: Any, front: str,
             back: str, anchor: str) -> None:
        """`text` in `front` over the flat `back` it lies on: its anti-aliased mask,
        placed as `ImageDraw.text` places it, mapped to the blends of the two.
        `image` is anything with Pillow's `paste`: a "P" image, or a card's `_Rows`."""
        inked, (dx, dy) = self._inked(text, font, front, back, anchor, xy)
        if inked is not None:
            image.paste(inked, (int(xy[0]) + dx, int(xy[1]) + dy))

    def label(self, image: Any, xy: tuple[int, int], text: str, font: Any, front: str,
              back: str, anchor: str) -> None:
        """`text` at a whole-pixel point, drawn once per process: the bar's labels
        (`Left 33%`) come back card after card."""
        key = (text, id(font), front, back, anchor)
        drawn = self._labels.get(key)
        if drawn is None:
            drawn = self._labels[key] = self._inked(text, font, front, back, anchor, (0, 0))
        inked, (dx, dy) = drawn
        if inked is not None:
            image.paste(inked, (xy[0] + dx, xy[1] + dy))

    def _inked(self, text: str, font: Any, front: str, back: str, anchor: str,
               xy: tuple[float, float]) -> tuple[Any, tuple[int, int]]:
        """The mask of `text` as Pillow renders it at `xy`'s fraction of a pixel,
        mapped to palette indices; and its offset from the whole-pixel point."""
        from PIL import Image

        start = (math.modf(xy[0])[0], math.modf(xy[1])[0])
        core, offset = font.getmask2(text, "L", anchor=anchor, start=start)
        if not (core.size[0] and core.size[1]):
            return None, offset
        mask = Image.Image()._new(core)  # Pillow's own wrapping of a core image
        levels = self._levels.get((front, back))
        if levels is None:
            steps = self.ramps[(front, back)]
            levels = bytes(steps[round(v * _BLEND_STEPS / 255)] for v in range(256))
            self._levels[(front, back)] = levels
        # bytes.translate, not Image.point: point() rounds its 256 levels in Python
        # on every call (a quarter of a millisecond a card).
        return Image.frombytes("L", mask.size, mask.tobytes().translate(levels)), offset


@cache
def _card_rows(pal: Palette) -> _Rows:
    return _Rows.of(_card_base(pal))


@cache
def _card_base(pal: Palette) -> Any:
    """What every card shares, drawn once per process: the paper and the logo."""
    from PIL import Image, ImageDraw

    inks = _CardInks.of(pal)
    image = Image.new("P", _CARD, inks.index(_CARD_PAPER))
    image.putpalette(inks.palette)
    draw = ImageDraw.Draw(image)
    margin = _CARD_MARGIN
    for i, colour in enumerate((pal.left, pal.center, pal.right)):
        draw.rounded_rectangle((margin + i * 13, 62, margin + i * 13 + 9, 98), 2,
                               fill=inks.index(colour))
    inks.text(image, (margin + 52, 93), "Parallax", _pil_font(36, True), _CARD_INK, _CARD_PAPER,
              "ls")
    return image


def _pil_segments(
    image: Any,
    inks: _CardInks,
    percents: Sequence[int],
    colours: Sequence[str],
    box: tuple[int, int, int, int],
    font: Any,
    gap: int = 4,
) -> None:
    """The stacked Left/Center/Right bar of the card, rounded at both ends."""
    from PIL import ImageDraw

    draw = ImageDraw.Draw(image)
    x0, y0, x1, y1 = box
    shown = [i for i, p in enumerate(percents) if p > 0]
    width = x1 - x0
    start = float(x0)
    for n, i in enumerate(shown):
        w = width * percents[i] / 100
        end = start + w - (0 if n == len(shown) - 1 else gap)
        corners = (n == 0, n == len(shown) - 1, n == len(shown) - 1, n == 0)
        draw.rounded_rectangle(
            (round(start), y0, max(round(end), round(start) + 1), y1), 14,
            fill=inks.index(colours[i]), corners=corners,
        )
        for label in (f"{SIDE_NAMES[i]} {percents[i]}%", f"{percents[i]}%"):
            if font.getlength(label) + 28 <= end - start:
                inks.label(image, (round((start + end) / 2), (y0 + y1) // 2), label, font,
                           _ink(colours[i]), colours[i], "mm")
                break
        start += w


def render(spec: ChartSpec) -> bytes:
    """The file's bytes for any spec: PNG for the card, SVG otherwise."""
    if isinstance(spec, SocialCard):
        return render_card_png(spec)
    return render_svg(spec)


# --- writing ------------------------------------------------------------------


def _write_one(spec: ChartSpec, folder: Path) -> Path:
    """A new file, written in place: charts are drawn into a folder of the build's
    own (fresh, and discarded if the build fails), so no temp file and rename. A file
    already there (drawn again after a worker died) is replaced, never written
    through: it may be a hard link to a published chart."""
    path = folder / spec.filename
    data = render(spec)
    try:
        write_new(path, data)
    except FileExistsError:
        path.unlink()
        write_new(path, data)
    return path


#: A chart to draw and the folder its file goes in.
Job = tuple["ChartSpec", Path]


class ChartError(Exception):
    """A chart that could not be drawn or written, by file name. One string: it
    crosses back from a worker process intact (pickled)."""


def _write_batch(jobs: list[Job]) -> int:
    if not jobs:
        return 0  # not even matplotlib to import
    svg = any(not isinstance(spec, SocialCard) for spec, _ in jobs)
    with _style() if svg else nullcontext():  # cards: Pillow only, no matplotlib
        for spec, folder in jobs:
            try:
                _write_one(spec, folder)
            except Exception as exc:
                raise ChartError(f"{spec.filename}: {type(exc).__name__}: {exc}") from exc
    return len(jobs)


#: How much lower chart workers run than the build (`nice`): Pelican, the longest
#: path, keeps its core and the workers take every cycle it leaves.
WORKER_NICENESS = 10


def _init_worker() -> None:
    """Workers leave Ctrl-C (sent to the whole terminal's process group) to the
    build, which stops them: no traceback from each of them. They yield the CPU to
    the build: the charts are done long before Pelican is when both share a core."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.nice(WORKER_NICENESS)


def _stop(pool: ProcessPoolExecutor) -> None:
    """Drop the batches not started and end the workers now: a failed or
    interrupted build neither waits for its charts nor leaves processes behind."""
    workers = list((getattr(pool, "_processes", None) or {}).values())  # no public API
    for worker in workers:
        worker.terminate()
    for worker in workers:
        worker.join()
    pool.shutdown(cancel_futures=True)


def write_charts(
    specs: Iterable[ChartSpec],
    folder: Path,
    palette: Palette | None = None,
    jobs: int | None = None,
) -> list[Path]:
    """Write each spec's file into `folder` unless a file of that name is there.

    Names are content hashes, so an existing file is the same chart: it is kept,
    not drawn again. Missing files are drawn in a process pool of `jobs` workers
    (default: `chart_workers()`; 1: here) when more than `PARALLEL_THRESHOLD` are
    missing, else here. Returns the path of every given spec, in order. `palette`, when given,
    must be the palette the specs were made with (it is part of each file name):
    a mismatch is a ValueError rather than a page pointing at the wrong file.
    """
    return start_charts(specs, folder, palette, jobs).wait()


def chart_workers() -> int:
    """Processes that draw charts beside the build: every core but the one the build
    itself keeps busy, and at least one. (A second worker on two cores only takes
    turns with the build on its core: measured slower.)"""
    return max(1, (os.cpu_count() or 1) - 1)


class Drawing:
    """Charts being drawn in the background; `wait()` returns their paths.

    Jobs may be added while it runs (`add`): a cold build hands over each story's
    charts as soon as the story is read and valid, so drawing overlaps loading, then
    the rest once every page is planned. Pages need only the file names, known in
    advance; the build waits before publishing.

    Batches wait here, and each worker holds only `AHEAD` of them; a finished batch
    sends the next (SVG charts first). So when the build waits, the social cards still
    queued are drawn by the build itself as well as by the workers: the build's core
    would otherwise idle while one worker ends the queue.

    The workers are started by a thread of their own: starting one waits for the fork
    server's imports, and the build goes on meanwhile (jobs wait in the queue, which
    the thread sends once they run). A failed or interrupted build calls `cancel`,
    which waits for that thread before stopping the workers, so none is left behind
    (a signal landing while a worker is forked used to leave one the pool never
    learned of)."""

    #: Jobs sent to a worker at a time: small enough that workers end together, big
    #: enough that a worker's caches (fonts, styles) serve many charts.
    BATCH = 64
    #: Batches once every job is in (~35 ms of cards): the last ones sent end soon
    #: after the build's own.
    TAIL_BATCH = 16
    #: Batches a worker holds: the one it draws and the next, so it never waits for
    #: one to be sent.
    AHEAD = 2
    #: The kind the build draws itself at the end (Pillow only: no matplotlib figures
    #: to set up in the build process); workers take it last.
    HERE_KIND = SocialCard.__name__

    def __init__(self, workers: int, palette: Palette | None = None) -> None:
        """`workers`: processes that draw (0: this one, when waited for)."""
        self.paths: list[Path] = []
        self._jobs, self._palette = max(workers, 1), palette
        self._asked: set[Path] = set()
        self._todo: list[Job] = []  # every job asked for (drawn here if no pool)
        #: Not yet sent to a worker, by kind: a batch holds one kind of chart (drawn
        #: a quarter faster than the kinds mixed: the same code and caches run on).
        self._queued: dict[str, list[Job]] = {}
        #: Guards the queue, the pool and the counts (the starter thread and the
        #: pool's result thread, which sends the next batch, use them too).
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._starter: threading.Thread | None = None
        self._pool: ProcessPoolExecutor | None = None
        self._futures: list[Future[int]] = []
        self._running = 0  # batches sent and not done
        self._last = False  # every job is in: part batches are sent too
        self._failure: BaseException | None = None  # the starter's
        self._here = workers < 1  # no pool: everything is drawn when waited for
        self._stuck = False  # a batch failed or the pool broke: nothing more is sent
        self.drawn_here = 0  # cards the build drew itself at the end (`_help`)

    def add(self, specs: Iterable[ChartSpec], folder: Path,
            present: Collection[str] = ()) -> None:
        """Draw `specs` into `folder` unless a file of that name is in `present`
        (names are content hashes: that file is that chart) or asked for already."""
        new: list[Job] = []
        for spec in specs:
            if self._palette is not None and spec.palette != self._palette:
                raise ValueError(
                    f"{spec.filename} was made with another palette; pass the same palette "
                    "to story_charts() and write_charts()"
                )
            path = folder / spec.filename
            self.paths.append(path)
            if path not in self._asked and spec.filename not in present:
                self._asked.add(path)
                new.append((spec, folder))
        self._todo += new
        with self._lock:
            for job in new:
                self._queued.setdefault(type(job[0]).__name__, []).append(job)
            ready = any(len(jobs) >= self.BATCH for jobs in self._queued.values())
        if ready:
            self._feed()

    def _feed(self) -> None:
        """Send queued batches until each worker holds `AHEAD` (whole batches only
        until every job is in); the first call starts the workers, and they take
        what is queued once they run."""
        while True:
            with self._lock:
                if self._here or self._stuck:
                    return
                if self._pool is None:
                    if self._starter is None:
                        self._starter = threading.Thread(target=self._start,
                                                         name="chart-workers")
                        self._starter.start()
                    return
                if self._running >= self._jobs * self.AHEAD:
                    return
                batch = self._take(for_workers=True)
                if not batch:
                    return
                try:
                    future = self._pool.submit(_write_batch, batch)
                except RuntimeError:  # broken (BrokenProcessPool) or shut down (the
                    self._stuck = True  # build failed meanwhile): `wait` draws the rest
                    return
                self._running += 1
                self._futures.append(future)
            future.add_done_callback(self._done)  # now, if it is done already

    def _done(self, future: Future[int]) -> None:
        """(The pool's result thread.) A batch is drawn: the next is sent."""
        with self._changed:
            self._running -= 1
            if future.cancelled() or future.exception() is not None:
                self._stuck = True
            self._changed.notify_all()
        self._feed()

    def _take(self, for_workers: bool) -> list[Job]:
        """(Under `_lock`.) The next batch out of the queue: for the workers, any
        kind, SVG charts first; for the build, cards only; [] when none is ready."""
        kinds = sorted(self._queued, key=lambda kind: kind == self.HERE_KIND)
        for kind in kinds if for_workers else [self.HERE_KIND]:
            jobs = self._queued.get(kind, [])
            if self._last and jobs:  # the end: small batches, so every process ends together
                size = min(self.TAIL_BATCH, math.ceil(len(jobs) / self._jobs))
            elif len(jobs) >= self.BATCH:
                size = self.BATCH
            else:
                continue
            self._queued[kind] = jobs[size:]
            return jobs[:size]
        return []

    def _start(self) -> None:
        """(The starter thread.) A fresh interpreter per worker (forkserver), not a
        fork of a build that may hold 10,000 stories; then what is queued."""
        pool = ProcessPoolExecutor(max_workers=self._jobs, mp_context=context(),
                                   initializer=_init_worker)
        try:
            started = [pool.submit(_write_batch, []) for _ in range(self._jobs)]
        except OSError:
            # No worker could start (the fork server's socket path is longer than
            # AF_UNIX allows under a deep TMPDIR, say): draw here, when waited for.
            _stop(pool)
            with self._lock:
                self._here = True
            return
        except BaseException as exc:  # told to the build when it waits
            _stop(pool)
            self._failure = exc
            return
        with self._lock:
            self._pool = pool
            self._futures += started
        self._feed()

    def all_in(self) -> None:
        """Every job is added: batches smaller than `BATCH` go to the workers too
        (started now when there are enough to be worth it)."""
        with self._lock:
            self._last = True
        if self._starter is not None or len(self._todo) > PARALLEL_THRESHOLD:
            self._feed()

    def _started(self) -> ProcessPoolExecutor | None:
        """The pool, once the starter thread is done (None: drawn here)."""
        if self._starter is not None:
            self._starter.join()
        if self._failure is not None:
            raise self._failure
        return self._pool

    def wait(self) -> list[Path]:
        """Every path, once drawn; a chart that fails raises `ChartError` (the
        other workers are stopped first)."""
        self.all_in()
        pool = self._started()
        if pool is None:
            _write_batch(self._todo)
        else:
            try:
                self._feed()  # what the starter had not sent
                self._help()
                self._collect()
            except BaseException:
                with self._lock:
                    self._stuck = True  # a batch ending now sends no other
                _stop(pool)
                raise
            pool.shutdown()
        self._todo, self._queued, self._pool = [], {}, None
        return self.paths

    def _help(self) -> None:
        """Draw queued cards here, batch by batch, while the workers draw the rest
        (Pillow only: the first card drawn in this process costs ~20 ms)."""
        with self._lock:
            if len(self._queued.get(self.HERE_KIND, ())) < self.TAIL_BATCH:
                return
        while True:
            with self._lock:
                batch = [] if self._stuck else self._take(for_workers=False)
            if not batch:
                return
            self.drawn_here += _write_batch(batch)

    def _collect(self) -> None:
        """Until the queue is drawn, or a batch failed; then any batch's error."""
        with self._changed:
            self._changed.wait_for(
                lambda: self._stuck or (self._running == 0 and not any(self._queued.values()))
            )
        try:
            for future in list(self._futures):
                future.result()
            if self._stuck and any(self._queued.values()):
                raise BrokenProcessPool("the pool took no more batches")
        except BrokenProcessPool:
            # Workers could not start (e.g. a __main__ they cannot import again) or
            # died: draw everything here rather than fail the build (a file a dead
            # worker left may be half written).
            _write_batch(self._todo)

    def cancel(self) -> None:
        """Stop drawing (the build failed or was interrupted): nothing more is drawn,
        no worker is left (one being started is waited for, then stopped)."""
        with self._lock:
            self._todo, self._queued, self._here = [], {}, True  # nothing more is sent
            self._stuck = True
        if self._starter is not None:
            self._starter.join()
        pool, self._pool = self._pool, None
        if pool is not None:
            _stop(pool)


def start_charts(
    specs: Iterable[ChartSpec],
    folder: Path,
    palette: Palette | None = None,
    jobs: int | None = None,
) -> Drawing:
    """`write_charts`, started: the missing charts are drawn while the caller works."""
    return start_drawing([(specs, Path(folder))], palette, jobs)


def start_drawing(
    groups: Iterable[tuple[Iterable[ChartSpec], Path]],
    palette: Palette | None = None,
    jobs: int | None = None,
    drawing: Drawing | None = None,
) -> Drawing:
    """`start_charts` for several folders (charts and cards), drawn by one pool
    (`drawing`'s, when given: one that already draws)."""
    if drawing is None:
        drawing = Drawing(chart_workers() if jobs is None else jobs if jobs > 1 else 0, palette)
    for specs, folder in groups:
        folder.mkdir(parents=True, exist_ok=True)
        drawing.add(specs, folder, set(os.listdir(folder)))  # one listing, not a stat each
    drawing.all_in()
    return drawing
